#!/usr/bin/env bash
# The benchmark harness side by side with hyperfine (1.20 or 2.0): what `denet bench` costs in wall
# time, how close its timing of a known duration is, and whether its peak RSS is right.
#
# Usage (from anywhere):  examples/bench/harness-vs-hyperfine.sh
# Environment:
#   REPS=5          repetitions of every measurement; medians are reported
#   HYPERFINE=...   the hyperfine binary, 1.20.0 or 2.0.0 (default /tmp/peers/bin/hyperfine; 1.20.0
#                   installed with `cargo install hyperfine --version 1.20.0 --root /tmp/peers` if missing)
#   DENET_METRICS=  a --metrics value for denet in part a (e.g. task_clock,context_switches: the
#                   cost of the per-run counters); hyperfine keeps its defaults
#   DENET_FLAGS=    more flags for every denet bench here, split at spaces (e.g. --no-cgroup: the
#                   cost of each run's cgroups, on by default)
#   CARGO_TARGET_DIR  where denet is built (default: the repository's target/)
#   DENET=...       another denet binary to measure (e.g. a build of an earlier commit)
#
# What is measured (all commands run directly, -N, stdout and stderr to /dev/null, and both
# tools export JSON to a temporary file so that they do the same work):
#
# a. Harness overhead: the total wall time of the whole process
#      denet bench -N --runs 500 --style none --export-json F true
#      hyperfine   -N --runs 500 --style none --export-json F true
#      denet bench -N --runs 500 --style none --export-json F --sample-interval 0 true
#    timed from just before the fork to just after the wait, with a monotonic clock
#    (python's time.perf_counter around subprocess.run: the wrapper's own start-up is not
#    inside the interval). The order alternates: d, h, d0 on even repetitions, d0, h, d on
#    odd ones. One untimed run of each comes first (page cache, binaries). Reported: the
#    median of each, the ratio of the medians denet/hyperfine (target <= 1.05 with the
#    default --sample-interval, i.e. with resource profiling on), the median of the
#    per-repetition ratios, and the cost per run ((median - median of the same tool with
#    --runs 1) / 499).
#
# b. Timing accuracy: `sleep 0.05`, --runs 30 -N, the mean from the JSON export
#    (hyperfine: results[0].mean; denet: results[0].summary.time_wall_clock.mean), and its
#    error against the true 0.05 s. The floors on this machine, each the mean of 30 timings
#    by python's perf_counter: time.sleep(0.05) in-process (the timer's own overshoot, no
#    process), os.posix_spawn + os.waitpid of /usr/bin/sleep 0.05 (the leanest spawn/exec/wait:
#    what any harness must at least measure), subprocess.run(['sleep', '0.05']) (CPython's
#    usual path), and os.fork + os.execv + os.waitpid (a fork of the ~10 MB python process).
#    Target: |denet - 0.05| <= |hyperfine - 0.05|.
#
# c. Peak RSS: `WORKLOAD hold 200 0.2` then `true`, --runs 3 -N, each tool's peak memory for
#    `true` (hyperfine 1.20: mean of results[1].memory_usage_byte; denet:
#    results[1].summary.memory_peak_resident.mean), and `/usr/bin/time -f %M true` for the
#    truth. Expected: hyperfine ~200 MB for `true` (the 200 MB command's high-water mark
#    leaks into it), denet about 1 MiB, as /usr/bin/time.
set -euo pipefail

REPS=${REPS:-5}
HYPERFINE=${HYPERFINE:-/tmp/peers/bin/hyperfine}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DENET=${DENET:-$TARGET/release/denet}
WORKLOAD=$TARGET/release/examples/workload

echo "building denet and examples/workload (release)..." >&2
CARGO_TARGET_DIR=$TARGET cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin denet --example workload
if [[ ! -x $HYPERFINE ]]; then
    echo "installing hyperfine 1.20.0 into /tmp/peers..." >&2
    cargo install --quiet hyperfine --version 1.20.0 --root /tmp/peers
    HYPERFINE=/tmp/peers/bin/hyperfine
fi
case $("$HYPERFINE" --version) in
    'hyperfine 1.20.0') HF="hyperfine 1.20" ;;
    'hyperfine 2.0.0') HF="hyperfine 2.0" ;;
    *) echo "$HYPERFINE is neither hyperfine 1.20.0 nor 2.0.0" >&2; exit 1 ;;
esac
export HF
# The JSON of each version: a benchmark's mean wall time, and a run's peak memory.
if [[ $HF == "hyperfine 2.0" ]]; then
    HF_MEAN='d["results"][0]["summary"]["time_wall_clock"]["mean"]'
    HF_PEAK='sum(m["memory_peak_resident"]["value"] for m in d["results"][R]["measurements"]) / 3'
else
    HF_MEAN='d["results"][0]["mean"]'
    HF_PEAK='sum(d["results"][R]["memory_usage_byte"]) / 3'
fi
METRICS=()
[[ -n ${DENET_METRICS:-} ]] && METRICS=(--metrics "$DENET_METRICS")
read -ra FLAGS <<<"${DENET_FLAGS:-}"
METRICS+=("${FLAGS[@]}")
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# wall CMD...: run CMD (stdout and stderr to /dev/null) and print its wall time in seconds,
# monotonic clock, from just before the spawn to just after the wait. Fails if CMD fails.
wall() {
    python3 - "$@" <<'EOF'
import subprocess, sys, time
t0 = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t1 = time.perf_counter()
if r.returncode != 0:
    sys.exit(f"failed ({r.returncode}): {' '.join(sys.argv[1:])}")
print(f"{t1 - t0:.6f}")
EOF
}

# json EXPR FILE: evaluate the python expression EXPR with `d` = the parsed JSON of FILE.
json() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$1" "$2"
}

# median: the median of the numbers on stdin, one per line.
median() {
    python3 -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.stdin.read().split()))'
}

# time_a CONFIG RUNS: print the wall time of one configuration of part a.
time_a() {
    case $1 in
        d)  wall "$DENET" bench -N --runs "$2" --style none --export-json "$TMP/a-d.json" "${METRICS[@]}" true ;;
        d0) wall "$DENET" bench -N --runs "$2" --style none --export-json "$TMP/a-d0.json" --sample-interval 0 "${METRICS[@]}" true ;;
        h)  wall "$HYPERFINE" -N --runs "$2" --style none --export-json "$TMP/a-h.json" true ;;
    esac
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -r)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# CPU time of the whole machine, to tell afterwards how busy it was: other load makes every figure
# here noisy (the harness and its runs take turns on one CPU; part b mostly sleeps).
cpu_counters() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat; }
read -r cpu_total0 cpu_idle0 < <(cpu_counters)
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)   REPS=$REPS   denet metrics: ${DENET_METRICS:-default}   denet flags: ${DENET_FLAGS:-none}   denet $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), $("$HYPERFINE" --version)"
echo

# ---- a. harness overhead -------------------------------------------------------------------
for c in d d0 h; do time_a $c 500 >/dev/null; done   # untimed
for ((i = 0; i < REPS; i++)); do
    if ((i % 2 == 0)); then order=(d h d0); else order=(d0 h d); fi
    for c in "${order[@]}"; do
        time_a $c 500 >>"$TMP/a-$c.txt"
        time_a $c 1 >>"$TMP/a1-$c.txt"
    done
done
for c in d d0 h; do
    declare "med_$c=$(median <"$TMP/a-$c.txt")"
    declare "one_$c=$(median <"$TMP/a1-$c.txt")"
done
paired=$(paste "$TMP/a-d.txt" "$TMP/a-h.txt" | python3 -c '
import statistics, sys
print(statistics.median(float(d) / float(h) for d, h in (l.split() for l in sys.stdin)))')

python3 - "$med_d" "$med_d0" "$med_h" "$one_d" "$one_d0" "$one_h" "$paired" <<'EOF'
import os, sys
d, d0, h, o_d, o_d0, o_h, paired = map(float, sys.argv[1:])
print("a. total wall time of the whole process, 500 runs of `true` (median of REPS)")
print(f"   {'':32} {'total':>9} {'--runs 1':>9} {'per run':>9}")
for name, t, one in [("denet bench (default sampling)", d, o_d),
                     ("denet bench --sample-interval 0", d0, o_d0),
                     (os.environ["HF"], h, o_h)]:
    print(f"   {name:32} {t:8.3f}s {one * 1e3:7.1f}ms {(t - one) / 499 * 1e6:7.0f}us")
ok = "meets" if d / h <= 1.05 else "MISSES"
print(f"   ratio denet/hyperfine: {d / h:.3f} (median of per-repetition ratios {paired:.3f}); "
      f"target <= 1.05: {ok}")
print(f"   ratio denet --sample-interval 0 / hyperfine: {d0 / h:.3f}")
EOF
echo

# ---- b. timing accuracy ----------------------------------------------------------------------
for ((i = 0; i < REPS; i++)); do
    if ((i % 2 == 0)); then order=(d h); else order=(h d); fi
    for c in "${order[@]}"; do
        if [[ $c == d ]]; then
            "$DENET" bench -N --runs 30 --style none --export-json "$TMP/b-d.json" "${FLAGS[@]}" 'sleep 0.05' 2>/dev/null
            json 'd["results"][0]["summary"]["time_wall_clock"]["mean"]' "$TMP/b-d.json" >>"$TMP/b-d.txt"
        else
            "$HYPERFINE" -N --runs 30 --style none --export-json "$TMP/b-h.json" 'sleep 0.05' 2>/dev/null
            json "$HF_MEAN" "$TMP/b-h.json" >>"$TMP/b-h.txt"
        fi
    done
    python3 - >>"$TMP/b-py.txt" <<'EOF'
import os, statistics, subprocess, time
def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t
def fork():
    pid = os.fork()
    if pid == 0:
        try:
            os.execv("/usr/bin/sleep", ["sleep", "0.05"])
        finally:
            os._exit(127)
    os.waitpid(pid, 0)
null = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
fs = [lambda: time.sleep(0.05),
      lambda: os.waitpid(os.posix_spawn("/usr/bin/sleep", ["sleep", "0.05"], os.environ), 0),
      lambda: subprocess.run(["sleep", "0.05"], **null),
      fork]
print(*(statistics.mean(timed(f) for _ in range(30)) for f in fs))
EOF
done
py=()
for k in 1 2 3 4; do py+=("$(cut -d' ' -f$k "$TMP/b-py.txt" | median)"); done
python3 - "$(median <"$TMP/b-d.txt")" "$(median <"$TMP/b-h.txt")" "${py[@]}" <<'EOF'
import os, sys
d, h, sl, ps, sr, fk = map(float, sys.argv[1:])
print("b. mean of `sleep 0.05`, 30 runs (median of REPS)")
for name, m in [("denet bench", d), (os.environ["HF"], h),
                ("python time.sleep(0.05), no process", sl),
                ("python os.posix_spawn + waitpid", ps),
                ("python subprocess.run", sr),
                ("python os.fork + execv + waitpid", fk)]:
    print(f"   {name:36} {m * 1e3:8.3f} ms   error {(m - 0.05) * 1e3:+7.3f} ms")
ok = "meets" if abs(d - 0.05) <= abs(h - 0.05) else "MISSES"
print(f"   target |denet - 0.05| <= |hyperfine - 0.05|: {ok}")
EOF
echo

# ---- c. peak RSS -----------------------------------------------------------------------------
for ((i = 0; i < REPS; i++)); do
    "$DENET" bench -N --runs 3 --style none --export-json "$TMP/c-d.json" "${FLAGS[@]}" "$WORKLOAD hold 200 0.2" true 2>/dev/null
    json 'd["results"][1]["summary"]["memory_peak_resident"]["mean"]' "$TMP/c-d.json" >>"$TMP/c-d.txt"
    json 'd["results"][0]["summary"]["memory_peak_resident"]["mean"]' "$TMP/c-d.json" >>"$TMP/c-d-hold.txt"
    "$HYPERFINE" -N --runs 3 --style none --export-json "$TMP/c-h.json" "$WORKLOAD hold 200 0.2" true 2>/dev/null
    json "${HF_PEAK//R/1}" "$TMP/c-h.json" >>"$TMP/c-h.txt"
    json "${HF_PEAK//R/0}" "$TMP/c-h.json" >>"$TMP/c-h-hold.txt"
    { /usr/bin/time -f %M true; } 2>&1 | python3 -c 'import sys; print(int(sys.stdin.read()) * 1024)' >>"$TMP/c-time.txt"
done
python3 - "$(median <"$TMP/c-d.txt")" "$(median <"$TMP/c-h.txt")" "$(median <"$TMP/c-time.txt")" \
    "$(median <"$TMP/c-d-hold.txt")" "$(median <"$TMP/c-h-hold.txt")" <<'EOF'
import os, sys
d, h, t, dh, hh = map(float, sys.argv[1:])
mib = lambda b: f"{b / 2**20:7.2f} MiB"
print("c. peak RSS of `true` after `workload hold 200 0.2` (median of REPS)")
print(f"   {'':32} {'true':>11} {'hold 200':>11}")
print(f"   {'denet bench':32} {mib(d)} {mib(dh)}")
print(f"   {os.environ['HF']:32} {mib(h)} {mib(hh)}")
print(f"   {'/usr/bin/time -f %M true':32} {mib(t)}")
ok = "meets" if abs(d - t) <= 0.25 * 2**20 else "MISSES"
print(f"   target: denet within 0.25 MiB of /usr/bin/time: {ok}")
EOF
read -r cpu_total1 cpu_idle1 < <(cpu_counters)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU busy during the measurements:" \
    "$(( 100 - 100 * (cpu_idle1 - cpu_idle0) / (cpu_total1 - cpu_total0) ))% of $(nproc) CPUs" \
    "(alone on an idle 2-CPU VM, these measurements read about 20-25%)"
