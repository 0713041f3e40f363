#!/usr/bin/env bash
# What exports cost when a benchmark has many short commands: `denet bench --runs 1` of N
# commands (`true 1` ... `true N`, no shell) with and without `--export-json` and `--export-csv`,
# wall time of the whole invocation, median of REPS, and the ratio with/without.
#
# Before 2026-12 the export files were rewritten after every command, so their cost grew with
# the square of the number of commands (1,000 commands: 150.7 s against 1.9 s); they are now
# rewritten on a time budget (src/render/export/mod.rs, WRITE_BUDGET) plus once at the end.
# Target: a ratio of at most 1.5 at 1,000 commands.
#
# Usage (from the repository):  examples/bench/export-cost.sh
# Environment:
#   DENET=PATH   the binary (default target/release/denet; build it with `cargo build --release`)
#   COUNTS="250 500 1000"   numbers of commands
#   REPS=3       repetitions of each configuration; the median is reported
set -euo pipefail

DENET=${DENET:-target/release/denet}
COUNTS=${COUNTS:-250 500 1000}
REPS=${REPS:-3}
[[ -x $DENET ]] || { echo "no $DENET: run 'cargo build --release' or set DENET" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Seconds (to the millisecond) that one invocation takes.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-8s %12s %12s %8s\n' commands "without (s)" "with (s)" ratio
for n in $COUNTS; do
    mapfile -t commands < <(seq -f 'true %g' 1 "$n")
    base=(bench --runs 1 -N --style none "${commands[@]}")
    without=$(for _ in $(seq "$REPS"); do seconds "$DENET" "${base[@]}"; done | median)
    with=$(for _ in $(seq "$REPS"); do
        seconds "$DENET" "${base[@]}" --export-json "$scratch/r.json" --export-csv "$scratch/r.csv"
    done | median)
    # The last write holds every command.
    lines=$(wc -l <"$scratch/r.csv")
    [[ $lines -eq $((n + 1)) ]] || { echo "the CSV holds $lines lines, not $((n + 1))" >&2; exit 1; }
    printf '%-8s %12.3f %12.3f %8.2f\n' "$n" "$without" "$with" "$(echo "$with / $without" | bc -l)"
done
