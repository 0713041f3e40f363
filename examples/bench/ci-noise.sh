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

# N for a run of about MS milliseconds (the median of 5 runs of a probe).
calibrate() {
    python3 - "$1" "$MS" <<'EOF'
import subprocess, sys, time
prog, ms = sys.argv[1], float(sys.argv[2])
probe = 2_000_000 if prog.endswith("cpu") else 200_000
t = []
for _ in range(5):
    s = time.perf_counter(); subprocess.run([prog, str(probe)], check=True); t.append(time.perf_counter() - s)
t.sort()
print(int(probe * ms / 1000 / t[2]))
EOF
}

# One trial: prints "method workload delta trial seconds lo hi p" lines (lo/hi: the interval of the change, or -).
denet_trial() { # method workload delta trial n_a n_b [flags]
    local m=$1 w=$2 d=$3 k=$4 a=$5 b=$6; shift 6
    local s; s=$(date +%s.%N)
    "$DENET" bench -N --style none --warmup 1 --runs "$RUNS" "$@" --export-json "j.json" "./$w $a" "./$w $b" >/dev/null 2>&1
    local e; e=$(date +%s.%N)
    python3 - "$m" "$w" "$d" "$k" "$s" "$e" <<'EOF'
import json, sys
m, w, d, k, s, e = sys.argv[1:]
c = json.load(open("j.json"))["results"][1]["comparison"]["time_wall_clock"]
lo, hi = c["change_ci95"]
print(m, w, d, k, f"{float(e) - float(s):.3f}", lo, hi, c["p_value"])
EOF
}

hyperfine_trial() { # workload delta trial n_a n_b
    local w=$1 d=$2 k=$3 a=$4 b=$5
    local s; s=$(date +%s.%N)
    "$HYPERFINE" -N --style none --warmup 1 --runs "$RUNS" --export-json h.json "./$w $a" "./$w $b" >/dev/null 2>&1
    local e; e=$(date +%s.%N)
    local p; p=$(python3 welch_ttest.py h.json | sed -n 's/.*p = \([^ ]*\)$/\1/p')
    python3 - "$w" "$d" "$k" "$s" "$e" "$p" <<'EOF'
import json, sys
w, d, k, s, e, p = sys.argv[1:]
r = json.load(open("h.json"))["results"]
mean = lambda x: sum(m["time_wall_clock"]["value"] for m in x["measurements"]) / len(x["measurements"])
print("hyperfine", w, d, k, f"{float(e) - float(s):.3f}", "-", "-", p, mean(r[1]) / mean(r[0]) - 1)
EOF
}

simulate_trial() { # workload delta trial n_a n_b
    local w=$1 d=$2 k=$3 a=$4 b=$5
    local s; s=$(date +%s.%N)
    "$DENET" bench -N --style none --simulate --runs 1 --export-json s.json "./$w $a" "./$w $b" >/dev/null 2>&1
    local e; e=$(date +%s.%N)
    python3 - "$w" "$d" "$k" "$s" "$e" <<'EOF'
import json, sys
w, d, k, s, e = sys.argv[1:]
c = json.load(open("s.json"))["results"][1]["comparison"]["sim_instructions"]
print("simulate", w, d, k, f"{float(e) - float(s):.3f}", c["change"], c["change"], "-")
EOF
}

SIMULATE=no
"$DENET" bench --help 2>/dev/null | grep -q -- '--simulate' && command -v valgrind >/dev/null && SIMULATE=yes

: > trials.txt
for w in cpu sys; do
    n=$(calibrate "./$w")
    echo "# $w: N = $n (about $MS ms a run); load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a trials.txt
    for d in 0 $CHANGES; do
        count=$([ "$d" = 0 ] && echo "$AA" || echo "$TRIALS")
        b=$(python3 -c "print(round($n * (1 + $d / 100)))")
        for k in $(seq 1 "$count"); do
            # The methods take turns within a trial, so that drift of the machine hits each alike.
            hyperfine_trial "$w" "$d" "$k" "$n" "$b" >> trials.txt
            denet_trial unpaired "$w" "$d" "$k" "$n" "$b" >> trials.txt
            denet_trial paired "$w" "$d" "$k" "$n" "$b" --interleave >> trials.txt
            if [ "$SIMULATE" = yes ] && [ "$k" -le 5 ]; then simulate_trial "$w" "$d" "$k" "$n" "$b" >> trials.txt; fi
        done
        echo "  $w +$d%: $count trials done ($(date -u +%H:%M:%S))" >&2
    done
done

python3 - trials.txt <<'EOF' | tee summary.md
import sys
from collections import defaultdict
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith("#")]
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
for w in ["cpu", "sys"]:
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
echo "trials: $OUT/trials.txt; summary: $OUT/summary.md" >&2
