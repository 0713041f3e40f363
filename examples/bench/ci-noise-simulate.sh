#!/bin/sh
# Method (d) of docs/ci-noise.md: `denet bench --simulate` as a CI gate.
#
# For a CPU-bound C loop and a syscall-heavy C program, under two background busy loops (a shared
# runner), each trial simulates the workload once and compares it with the previous trial's run
# (an A/A comparison: a false alarm if `denet compare` exits 1) and with one run of 1% more
# iterations (a detection if it exits 1). Thresholds are denet's defaults with a baseline
# (sim_instructions=0.5%). One simulated run per side, no repetition.
#
#   DENET=target/release/denet TRIALS=100 WORK=/tmp/ci-noise-sim examples/bench/ci-noise-simulate.sh
set -eu
DENET=${DENET:-target/release/denet}
TRIALS=${TRIALS:-100}
WORK=${WORK:-/tmp/ci-noise-sim}
mkdir -p "$WORK"
cd "$WORK"

cat > cpu.c <<'C'
#include <stdlib.h>
int main(int c, char **v) { long n = atol(v[1]); volatile long s = 0; for (long i = 0; i < n; i++) s += i * 7; return 0; }
C
cat > sys.c <<'C'
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
int main(int c, char **v) {
    long n = atol(v[1]); int fd = open("/dev/null", O_WRONLY); char b = 'x';
    for (long i = 0; i < n; i++) { getppid(); write(fd, &b, 1); }
    return 0;
}
C
cc -O2 -o cpu cpu.c
cc -O2 -o sys sys.c

# Two busy loops at the lowest priority: the contention of a shared runner, without starving the
# machine's other users (simulated counts do not depend on it either way).
nice -n 19 sh -c 'while :; do :; done' & B1=$!
nice -n 19 sh -c 'while :; do :; done' & B2=$!
trap 'kill $B1 $B2 2>/dev/null' EXIT

sim() { # NAME WORKLOAD N OUT
    "$DENET" bench --simulate --runs 1 --style none -n "$1" --export-json "$4" "$WORK/$2 $3"
}
gate() { # BASELINE CURRENT: prints 1 when denet compare fails the gate
    if "$DENET" compare "$1" "$2" --style none >/dev/null; then echo 0; else echo 1; fi
}

for w in "cpu 10000000" "sys 50000"; do
    set -- $w
    name=$1 n=$2 more=$(( $2 + $2 / 100 ))
    false_alarms=0 detected=0
    sim "$name" "$name" "$n" "$name-0.json"
    start=$(date +%s)
    i=1
    while [ "$i" -le "$TRIALS" ]; do
        sim "$name" "$name" "$n" "$name-$i.json"
        sim "$name" "$name" "$more" "$name-more-$i.json"
        false_alarms=$(( false_alarms + $(gate "$name-$(( i - 1 )).json" "$name-$i.json") ))
        detected=$(( detected + $(gate "$name-$(( i - 1 )).json" "$name-more-$i.json") ))
        i=$(( i + 1 ))
    done
    distinct=$(for f in "$name"-[0-9]*.json; do
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["simulation"]["events"])' "$f"
    done | sort -u | wc -l)
    ir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["simulation"]["sim_instructions"])' "$name-0.json")
    ir_more=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["simulation"]["sim_instructions"])' "$name-more-1.json")
    echo "$name (n=$n): A/A false alarms $false_alarms/$TRIALS; +1% iterations detected $detected/$TRIALS;" \
        "distinct A/A event sets $distinct of $(( TRIALS + 1 )) runs; sim_instructions $ir -> $ir_more;" \
        "$(( $(date +%s) - start )) s"
done
