#!/usr/bin/env bash
# What the monitor itself costs: CPU time used by `denet run` while it watches `sleep`,
# as a percentage of one core, for this denet and for upstream denet 0.10.3, at the same
# sampling intervals.
#
# Usage (from anywhere):  examples/bench/monitor-overhead.sh
# Environment:
#   SLEEP=20        seconds the watched command runs (lower it for a quick try; report with 20)
#   REPS=3          repetitions of each configuration; the median is reported
#   TREE=N          watch a tree of N+1 processes instead of one `sleep`: examples/workload's
#                   `tree N S` (a parent and N sleeping children); default 0, plain `sleep S`
#   CHECK=5         seconds of the extra run per configuration that counts samples (0: skip)
#   UPSTREAM=...    the upstream binary (default /tmp/peers/bin/denet; installed with
#                   `cargo install denet --version 0.10.3 --root /tmp/peers` if missing)
#
# Configurations (both tools do the same work: sample the tree, write one JSONL record per
# sample to /dev/null, no live display):
#   denet    -q -o /dev/null -i I -m I run -- sleep S
#   upstream -q -o /dev/null -i I -m I run sleep S      (-q: nothing on stdout; -o: the JSONL)
# with I = 100 and 10 (-m equal to -i: no ramp, the interval stays at I for the whole run),
# and I = 100 with the default maximum (the interval ramps to 1000 ms between 1 s and 10 s).
# With TREE=N, `workload tree N S` takes the place of `sleep S`.
#
# How the monitor's CPU time is measured:
#   Each run happens in a fresh subshell, which waits for the monitor; the subshell then
#   runs bash's `times`, whose second line is getrusage(RUSAGE_CHILDREN) of that subshell:
#   the user+system time of every process it reaped (the monitor) plus, recursively, of
#   everything the monitor reaped (the watched command), at microsecond precision (printed
#   to the millisecond; /usr/bin/time prints only hundredths, too coarse for ~0.1% of 20 s).
#   Reading /proc/<monitor>/stat from outside cannot catch the monitor's last moment (the
#   final sample, the summary) and has 10 ms resolution. The watched command is not the
#   monitor, so its share is removed: the same measurement is made of the watched command
#   alone (REPS times, median) and subtracted. For `sleep` that is about a millisecond, but
#   it is removed rather than assumed. Wall time is taken around the monitor with
#   $EPOCHREALTIME. % of one core = (monitor CPU seconds) / (wall seconds) * 100.
#
# Samples per second: a tool that cannot keep up with its interval takes fewer samples
# and so spends less. Upstream sleeps the interval *after* each sample (its period is the
# interval plus the sample's cost), denet keeps fixed deadlines. One extra CHECK-second run
# per configuration writes the JSONL to a file and counts its samples, and the CPU per
# sample is compared too.
set -euo pipefail

SLEEP=${SLEEP:-20}
REPS=${REPS:-3}
TREE=${TREE:-0}
CHECK=${CHECK:-5}
UPSTREAM=${UPSTREAM:-/tmp/peers/bin/denet}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DENET=$ROOT/target/release/denet
WORKLOAD=$ROOT/target/release/examples/workload

echo "building denet (release)..." >&2
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin denet --example workload
if [[ ! -x $UPSTREAM ]]; then
    echo "installing upstream denet 0.10.3 into /tmp/peers..." >&2
    cargo install --quiet denet --version 0.10.3 --root /tmp/peers
    UPSTREAM=/tmp/peers/bin/denet
fi
"$UPSTREAM" --version | grep -q '^denet 0\.10\.3$' || { echo "$UPSTREAM is not denet 0.10.3" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# measure CMD...: print "wall_seconds cpu_seconds" of CMD and everything it reaped.
measure() {
    (
        start=$EPOCHREALTIME
        "$@" >/dev/null 2>&1 </dev/null
        end=$EPOCHREALTIME
        # `times`, second line: children's user and system time, as "0m1.234s 0m0.567s".
        # It must run in this subshell, not in a pipeline or $(...), which would fork a
        # process that has reaped nothing: hence the file.
        times >"$TMP/times"
        sed -n 2p "$TMP/times" | awk -v s="$start" -v e="$end" '
            function secs(x,  m) { m = x; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", x); sub(/s$/, "", x); return m * 60 + x }
            { printf "%.6f %.6f\n", e - s, secs($1) + secs($2) }'
    )
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The watched command for S seconds.
watched() {
    if ((TREE > 0)); then echo "$WORKLOAD tree $TREE $1"; else echo "sleep $1"; fi
}

# cmdline NAME OUT SECONDS: the command line of a configuration.
cmdline() {
    local tool=${1%_*} key=${1#*_} flags
    case $key in
        100) flags="-i 100 -m 100" ;;
        10) flags="-i 10 -m 10" ;;
        ramp) flags="-i 100" ;;
    esac
    if [[ $tool == denet ]]; then
        echo "$DENET run -q -o $2 $flags -- $(watched "$3")"
    else
        echo "$UPSTREAM -q -o $2 $flags run $(watched "$3")"
    fi
}

ORDER=(denet_100 upstream_100 denet_10 upstream_10 denet_ramp upstream_ramp)

echo "watching: $(watched "$SLEEP"); $REPS repetitions, $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)" >&2
# Repetitions outermost and configurations interleaved, so that a burst of noise from
# other work on the machine spreads over all configurations instead of hitting one.
for rep in $(seq "$REPS"); do
    # shellcheck disable=SC2046  # the command line is split on purpose
    measure $(watched "$SLEEP") | awk '{ print $2 }' >>"$TMP/alone"
    for name in "${ORDER[@]}"; do
        # shellcheck disable=SC2046
        read -r wall cpu < <(measure $(cmdline "$name" /dev/null "$SLEEP"))
        echo "$wall $cpu" >>"$TMP/$name"
        printf '  rep %d %-14s wall %7.3f s  cpu %7.3f s\n' "$rep" "$name" "$wall" "$cpu" >&2
    done
done

# Samples per second, from one CHECK-second run per configuration that keeps its JSONL.
declare -A RATE
for name in "${ORDER[@]}"; do
    RATE[$name]=0
    ((CHECK > 0)) || continue
    # shellcheck disable=SC2046
    read -r wall _ < <(measure $(cmdline "$name" "$TMP/rec.jsonl" "$CHECK"))
    # denet writes "kind":"sample" records, upstream "kind":"tree" ones.
    n=$(grep -c -E '"kind":"(sample|tree)"' "$TMP/rec.jsonl" || true)
    RATE[$name]=$(awk -v n="$n" -v w="$wall" 'BEGIN { printf "%.1f", n / w }')
done

alone_cpu=$(median <"$TMP/alone")
# Per run: % of one core = (cpu - the watched command's own cpu) / wall * 100; then the median of the runs.
pct() { awk -v c="$alone_cpu" '{ p = ($2 - c) / $1 * 100; print (p < 0 ? 0 : p) }' "$TMP/$1" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo
printf 'the watched command alone (%s): %.4f CPU seconds (median, subtracted from every run)\n\n' \
    "$(watched "$SLEEP")" "$alone_cpu"
printf '%-28s %12s %10s %14s %10s %14s %18s\n' "interval" "denet %core" "samples/s" \
    "upstream %core" "samples/s" "denet/upstream" "per sample d/u"
for key in 100 10 ramp; do
    case $key in
        100) label="-i 100 -m 100" ;;
        10) label="-i 10 -m 10" ;;
        ramp) label="-i 100 (ramps to 1000 ms)" ;;
    esac
    d=$(pct "denet_$key")
    u=$(pct "upstream_$key")
    dr=${RATE[denet_$key]}
    ur=${RATE[upstream_$key]}
    per_sample=$(awk -v d="$d" -v u="$u" -v dr="$dr" -v ur="$ur" \
        'BEGIN { if (dr > 0 && ur > 0 && u > 0) printf "%.2f", (d / dr) / (u / ur); else print "n/a" }')
    printf '%-28s %11.3f%% %10s %13.3f%% %10s %14s %18s\n' "$label" "$d" "$dr" "$u" "$ur" "$(ratio "$d" "$u")" "$per_sample"
done
