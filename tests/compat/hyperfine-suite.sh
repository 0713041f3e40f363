#!/usr/bin/env bash
# hyperfine 2.0.0's own integration and execution-order tests, run against `denet bench`.
#
# Usage:  tests/compat/hyperfine-suite.sh            # against target/release/denet (built first)
#         tests/compat/hyperfine-suite.sh --control  # against the real hyperfine 2.0.0 (the harness check)
# Environment:
#   DENET=PATH      the denet binary (default: target/release/denet, built by this script)
#   HYPERFINE=PATH  the hyperfine 2.0.0 binary for --control (default /tmp/peers/hf2/bin/hyperfine,
#                   installed with `cargo install hyperfine --version 2.0.0 --ignore-rust-version` if missing)
#   MIN_PASS=N      exit 1 when fewer tests pass (default: 76 for the control; denet's floor below)
#   WORK=DIR        where the suite is copied and built (default target/compat; reused between runs)
#
# Nothing of hyperfine is committed: its crate is fetched from crates.io at run time (a throwaway
# crate depending on hyperfine =2.0.0, `cargo fetch`), copied out of the cargo registry, and only
# tests/common.rs is changed so that `hyperfine()` runs the binary under test (`denet bench`).
# No assertion, snapshot or test body is edited.
#
# The three JSON snapshot tests (json_export_basic, json_export_single_run,
# json_export_parameterized_with_reference) fail for denet by design: denet adds its own keys
# and writes denet_version for hyperfine_version. For those three, this script checks instead that
# every path and value of hyperfine's snapshot is in denet's output, in hyperfine's order
# (tests/compat/json_subset.py), and reports that check.
#
# The last line is `N passed, M failed` (the subset check counts as passing all three when it holds).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${WORK:-$ROOT/target/compat}
# denet's floor: the suite's count when this script came in; raise it as the drop-in work lands.
DENET_FLOOR=76
MODE=denet
[[ ${1:-} == --control ]] && MODE=control

fetch_suite() {
    local scratch
    scratch=$(mktemp -d)
    mkdir -p "$scratch/src"
    printf '[package]\nname = "fetch-hyperfine"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\nhyperfine = "=2.0.0"\n' \
        >"$scratch/Cargo.toml"
    echo 'fn main() {}' >"$scratch/src/main.rs"
    cargo fetch --quiet --manifest-path "$scratch/Cargo.toml" >&2
    rm -rf "$scratch"
    local src
    src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/hyperfine-2.0.0 | head -1)
    [[ -d $src ]] || { echo "hyperfine 2.0.0's source was not found in the cargo registry" >&2; exit 1; }
    rm -rf "$WORK/hyperfine-2.0.0"
    mkdir -p "$WORK"
    cp -r "$src" "$WORK/hyperfine-2.0.0"
}

# Point `hyperfine_raw_command()` at the binary under test; fail loudly if the file changed shape.
patch_common() {
    local common=$WORK/hyperfine-2.0.0/tests/common.rs program=$1 first_arg=$2
    local from='Command::new(assert_cmd::cargo::cargo_bin!("hyperfine"));'
    grep -qF "$from" "$common" || { echo "tests/common.rs is not as expected" >&2; exit 1; }
    local to="Command::new(\"$program\");"
    [[ -n $first_arg ]] && to="Command::new(\"$program\"); cmd.arg(\"$first_arg\");"
    python3 - "$common" "$from" "$to" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
open(path, "w").write(text.replace(old, new, 1))
PY
}

if [[ $MODE == control ]]; then
    BIN=${HYPERFINE:-/tmp/peers/hf2/bin/hyperfine}
    if [[ ! -x $BIN ]]; then
        echo "installing hyperfine 2.0.0 into /tmp/peers/hf2..." >&2
        cargo install --quiet hyperfine --version 2.0.0 --ignore-rust-version --root /tmp/peers/hf2
        BIN=/tmp/peers/hf2/bin/hyperfine
    fi
    FIRST_ARG=""
    MIN_PASS=${MIN_PASS:-76}
else
    if [[ -z ${DENET:-} ]]; then
        cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin denet
        DENET=${CARGO_TARGET_DIR:-$ROOT/target}/release/denet
    fi
    BIN=$DENET
    FIRST_ARG=bench
    MIN_PASS=${MIN_PASS:-$DENET_FLOOR}
fi

fetch_suite
patch_common "$BIN" "$FIRST_ARG"
LOG=$WORK/$MODE.log
echo "running hyperfine 2.0.0's suite against: $BIN $FIRST_ARG" >&2
(
    cd "$WORK/hyperfine-2.0.0"
    INSTA_UPDATE=no CARGO_TARGET_DIR="$WORK/target" cargo test --ignore-rust-version --no-fail-fast \
        --test integration_tests --test execution_order_tests -- --test-threads=2 2>&1
) >"$LOG" || true

passed=$(grep -cE '^test .* \.\.\. ok$' "$LOG" || true)
failed_list=$(grep -E '^test .* \.\.\. FAILED$' "$LOG" | sed -E 's/^test (.*) \.\.\. FAILED$/\1/' || true)
if ! grep -qE '^test result:' "$LOG"; then
    echo "the suite did not run; see $LOG" >&2
    tail -20 "$LOG" >&2
    exit 1
fi

JSON_TESTS=(json_export_basic json_export_single_run json_export_parameterized_with_reference)
if [[ $MODE == denet ]]; then
    # The JSON snapshot tests: hyperfine's snapshot must be a subset of denet's output, in order.
    subset_ok=0
    for t in "${JSON_TESTS[@]}"; do
        if grep -qx "$t" <<<"$failed_list"; then
            if python3 "$ROOT/tests/compat/json_subset.py" "$BIN" \
                "$WORK/hyperfine-2.0.0/tests/snapshots/integration_tests__$t.snap" "$WORK/hyperfine-2.0.0/tests"; then
                echo "subset check $t: ok (hyperfine's snapshot is contained in denet's output, in order)"
                subset_ok=$((subset_ok + 1))
                failed_list=$(grep -vx "$t" <<<"$failed_list" || true)
                passed=$((passed + 1))
            else
                echo "subset check $t: FAILED"
            fi
        fi
    done
fi

failed=$(grep -c . <<<"$failed_list" || true)
if [[ -n $failed_list ]]; then
    echo "failing tests:"
    sed 's/^/  /' <<<"$failed_list"
fi
echo "log: $LOG"
echo "$passed passed, $failed failed"
if ((passed < MIN_PASS)); then
    echo "below the target of $MIN_PASS passing tests" >&2
    exit 1
fi
