#!/usr/bin/env bash
# The CI noise study (docs/ci-noise.md): how often does a wall-time gate cry wolf, and how often does it
# catch a real 1%, 2% or 5% slowdown, on this machine under two background busy loops?
#
# For a CPU-bound C loop and a syscall-heavy C loop (N iterations; the changed build runs N·(1+δ)),
# each trial compares A (N) with B (N·(1+δ)) by
#   (a) hyperfine 2.0 and its own scripts/welch_ttest.py (p < 0.05: alarm),
#   (b) denet bench, runs one command after the other: the interval of the change, unpaired,
#   (c) denet bench --interleave: the interval of the change from per-round ratios (paired),
#   (d) denet bench --simulate, when this denet has it (exact instruction counts, one run).
# (a) to (c) get the same runs per command (RUNS, after one warmup), so the same wall-clock budget.
#
# Usage: examples/bench/ci-noise.sh            (OUT=dir, RUNS=20, AA=100, TRIALS=30, MS=10, DENET=, HYPERFINE=)
# Needs: cc, python3 with scipy (welch_ttest.py), hyperfine 2.0.0, a release build of denet.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/denet-ci-noise}
RUNS=${RUNS:-20}
AA=${AA:-100}
TRIALS=${TRIALS:-30}
MS=${MS:-10}
CHANGES=${CHANGES:-"1 2 5"}
HYPERFINE=${HYPERFINE:-/tmp/peers/hf2/bin/hyperfine}
DENET=${DENET:-${CARGO_TARGET_DIR:-$ROOT/target}/release/denet}
mkdir -p "$OUT"
cd "$OUT"

[ -x "$DENET" ] || { echo "build denet first: cargo build --release (or set DENET=)" >&2; exit 2; }
"$HYPERFINE" --version | grep -q '^hyperfine 2\.0\.0' || { echo "needs hyperfine 2.0.0 at $HYPERFINE" >&2; exit 2; }

# hyperfine's own t-test script, from its 2.0.0 crate source (cargo install fetched it): never committed.
SCRIPTS=$(ls -d ~/.cargo/registry/src/*/hyperfine-2.0.0/scripts 2>/dev/null | head -1)
[ -n "$SCRIPTS" ] || { echo "no hyperfine-2.0.0 crate source: cargo install hyperfine --version 2.0.0" >&2; exit 2; }
cp "$SCRIPTS/welch_ttest.py" "$SCRIPTS/plot_utils.py" "$OUT/"
python3 -c 'import scipy' || { echo "welch_ttest.py needs scipy: pip install scipy" >&2; exit 2; }

# The workloads: N iterations of an add the compiler cannot drop, or of a getppid syscall.
cat > cpu.c <<'EOF'
#include <stdlib.h>
int main(int argc, char **argv) {
    volatile unsigned long x = 0;
    for (unsigned long i = 0, n = strtoul(argv[1], 0, 10); i < n; i++) x += i;
    return 0;
}
EOF
cat > sys.c <<'EOF'
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
    for (unsigned long i = 0, n = strtoul(argv[1], 0, 10); i < n; i++) syscall(SYS_getppid);
    return 0;
}
EOF
cc -O2 -o cpu cpu.c
cc -O2 -o sys sys.c

# Two busy loops, as other jobs on a shared runner; stopped by their ids on any exit.
BUSY=()
stop_busy() { for p in "${BUSY[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_busy EXIT
for _ in 1 2; do sh -c 'while :; do :; done' & BUSY+=($!); done

# N for a run of about MS milliseconds: the fastest of 5 runs of a probe of about 100 ms (long enough
# that the cost of starting it is small, the fastest so that a preempted probe does not shorten N).
calibrate() {
    python3 - "$1" "$MS" <<'EOF'
import subprocess, sys, time
prog, ms = sys.argv[1], float(sys.argv[2])
probe = 40_000_000 if prog.endswith("cpu") else 400_000
t = []
for _ in range(5):
    s = time.perf_counter(); subprocess.run([prog, str(probe)], check=True); t.append(time.perf_counter() - s)
print(int(probe * ms / 1000 / min(t)))
EOF
}

# One trial of each method leaves its export in raw/ (method-workload-delta-trial.json) and its
# milliseconds in times.txt; everything is read once at the end (a Python start per trial would
# cost more than the trial on a loaded machine).
timed() { # name command...
    local name=$1; shift
    local s; s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || echo "$name failed" >&2
    echo "$name $(( ($(date +%s%N) - s) / 1000000 ))" >> times.txt
}

trial() { # workload delta trial n_a n_b
    local w=$1 d=$2 k=$3 a=$4 b=$5 id="$1-$2-$3"
    # The methods take turns within a trial, so that drift of the machine hits each alike.
    timed "hyperfine-$id" "$HYPERFINE" -N --style none --warmup 1 --runs "$RUNS" --export-json "raw/hyperfine-$id.json" "./$w $a" "./$w $b"
    timed "unpaired-$id" "$DENET" bench -N --style none --warmup 1 --runs "$RUNS" --export-json "raw/unpaired-$id.json" "./$w $a" "./$w $b"
    timed "paired-$id" "$DENET" bench -N --style none --warmup 1 --runs "$RUNS" --interleave --export-json "raw/paired-$id.json" "./$w $a" "./$w $b"
    if [ "$SIMULATE" = yes ] && [ "$k" -le 5 ]; then
        timed "simulate-$id" "$DENET" bench -N --style none --simulate --runs 1 --export-json "raw/simulate-$id.json" "./$w $a" "./$w $b"
    fi
}

SIMULATE=no
"$DENET" bench --help 2>/dev/null | grep -q -- '--simulate' && command -v valgrind >/dev/null && SIMULATE=yes

rm -rf raw; mkdir raw; : > times.txt; : > workloads.txt
for w in ${WORKLOADS:-cpu sys}; do
    n=$(calibrate "./$w")
    echo "$w: N = $n (about $MS ms a run when calibrated); load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a workloads.txt
    for d in 0 $CHANGES; do
        count=$([ "$d" = 0 ] && echo "$AA" || echo "$TRIALS")
        b=$(python3 -c "print(round($n * (1 + $d / 100)))")
        for k in $(seq 1 "$count"); do trial "$w" "$d" "$k" "$n" "$b"; done
        echo "  $w +$d%: $count trials done ($(date -u +%H:%M:%S))" >&2
    done
done

# hyperfine's verdicts by its own welch_ttest.py (its main(), run in one Python for every file).
python3 - <<'EOF' > trials.txt
import contextlib, glob, io, json, os, re, sys
sys.path.insert(0, ".")
import welch_ttest
ms = dict(l.rsplit(" ", 1) for l in open("times.txt").read().split("\n") if l)
mean = lambda x: sum(r["time_wall_clock"]["value"] for r in x["measurements"]) / len(x["measurements"])
for f in sorted(glob.glob("raw/*.json")):
    name = os.path.basename(f)[:-5]
    m, w, d, k = name.split("-")
    secs = int(ms.get(name, "0")) / 1000
    try:
        doc = json.load(open(f))
    except ValueError:
        continue
    if m == "hyperfine":
        out = io.StringIO()
        sys.argv = ["welch_ttest.py", f]
        with contextlib.redirect_stdout(out):
            welch_ttest.main()
        p = re.search(r"p = (\S+)", out.getvalue()).group(1)
        r = doc["results"]
        print(m, w, d, k, secs, "-", "-", p, mean(r[1]) / mean(r[0]) - 1)
    elif m == "simulate":
        c = doc["results"][1]["comparison"]["sim_instructions"]
        print(m, w, d, k, secs, c["change"], c["change"], "-")
    else:
        c = doc["results"][1]["comparison"]["time_wall_clock"]
        print(m, w, d, k, secs, c["change_ci95"][0], c["change_ci95"][1], c["p_value"])
EOF

python3 - trials.txt <<'EOF' | tee summary.md
import sys
from collections import defaultdict
rows = [l.split() for l in open(sys.argv[1])]
by = defaultdict(list)
for r in rows:
    by[(r[0], r[1], int(r[2]))].append(r)
GRID = [0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0]

def alarm(r, t):
    """The gate fires at threshold t (%): hyperfine's script by p < 0.05, denet's interval beyond ±t."""
    if r[0] == "hyperfine":
        return t == 0.0 and float(r[7]) < 0.05
    lo, hi = float(r[5]) * 100, float(r[6]) * 100
    return lo > t or hi < -t

def caught(r, t):
    if r[0] == "hyperfine":
        return t == 0.0 and float(r[7]) < 0.05 and float(r[8]) > 0
    return float(r[5]) * 100 > t

methods = [m for m in ["hyperfine", "unpaired", "paired", "simulate"] if any(k[0] == m for k in by)]
changes = sorted({k[2] for k in by if k[2] > 0})
for w in [w for w in ["cpu", "sys"] if any(k[1] == w for k in by)]:
    print(f"\n### {w}\n")
    print("| method | s per trial | A/A alarms at p<0.05 / CI beyond 0 | smallest threshold with ≤ 1% A/A alarms | "
          + " | ".join(f"+{d}% caught (at that threshold; at 0)" for d in changes) + " |")
    print("|---" * (4 + len(changes)) + "|")
    for m in methods:
        aa = by[(m, w, 0)]
        if not aa:
            continue
        secs = sum(float(r[4]) for k in by if k[:2] == (m, w) for r in by[k]) / sum(len(by[k]) for k in by if k[:2] == (m, w))
        fa0 = sum(alarm(r, 0.0) for r in aa)
        grid = [0.0] if m == "hyperfine" else GRID
        best = next((t for t in grid if sum(alarm(r, t) for r in aa) <= 0.01 * len(aa)), None)
        cells = []
        for d in changes:
            tr = by[(m, w, d)]
            at = f"{sum(caught(r, best) for r in tr)}/{len(tr)}" if best is not None and tr else "–"
            cells.append(f"{at}; {sum(caught(r, 0.0) for r in tr)}/{len(tr)}" if tr else "–")
        shown = "none on the grid" if best is None else f"{best:g}%"
        print(f"| {m} | {secs:.2f} | {fa0}/{len(aa)} | {shown} | " + " | ".join(cells) + " |")
EOF
cat workloads.txt
echo "trials: $OUT/trials.txt; summary: $OUT/summary.md" >&2
