#!/usr/bin/env python3
"""What bench's cgroups cost against hyperfine 2.0: denet (cgroups on, the default), denet
--no-cgroup and hyperfine, each `-N --runs RUNS --style none --export-json F true`, one after
another in rotating order, REPS times. Reported: each one's median wall time (the whole process,
perf_counter around subprocess.run) and, for each pair, the 20%-trimmed mean of the
per-repetition log ratios with a bootstrap 95% interval (docs/performance.md).

Usage: DENET=target/release/denet HYPERFINE=/tmp/peers/hf2/bin/hyperfine \\
       examples/bench/cgroup-paired.py [REPS [RUNS]]      (defaults 30, 500; as root for cgroups)
"""
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

DENET = os.environ.get("DENET", "target/release/denet")
HYPERFINE = os.environ.get("HYPERFINE", "/tmp/peers/hf2/bin/hyperfine")
REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
RUNS = sys.argv[2] if len(sys.argv) > 2 else "500"


def timed(args):
    t0 = time.perf_counter()
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = time.perf_counter()
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(args)}")
    return t1 - t0


def trimmed_mean(xs, cut=0.2):
    xs = sorted(xs)
    k = int(len(xs) * cut)
    xs = xs[k:len(xs) - k]
    return sum(xs) / len(xs)


def ratio(a, b):
    logs = [math.log(x / y) for x, y in zip(a, b)]
    boot = sorted(trimmed_mean(random.choices(logs, k=len(logs))) for _ in range(2000))
    return math.exp(trimmed_mean(logs)), math.exp(boot[50]), math.exp(boot[1949])


def main():
    tmp = tempfile.mkdtemp()
    common = ["-N", "--runs", RUNS, "--style", "none", "--export-json"]
    configs = {
        "on": [DENET, "bench", *common, f"{tmp}/on.json", "true"],
        "off": [DENET, "bench", *common, f"{tmp}/off.json", "--no-cgroup", "true"],
        "hf": [HYPERFINE, *common, f"{tmp}/hf.json", "true"],
    }
    for args in configs.values():
        timed(args)  # untimed: page cache, binaries
    orders = [["on", "hf", "off"], ["off", "hf", "on"], ["hf", "on", "off"],
              ["off", "on", "hf"], ["on", "off", "hf"], ["hf", "off", "on"]]
    times = {k: [] for k in configs}
    loads = []
    for i in range(REPS):
        for k in orders[i % len(orders)]:
            times[k].append(timed(configs[k]))
        loads.append(os.getloadavg()[0])
    print(f"{REPS} repetitions of {RUNS} runs; load average (1 min) {min(loads):.2f}-{max(loads):.2f}")
    for k, v in times.items():
        print(f"  {k:4} median {statistics.median(v) * 1e3:.1f} ms")
    for a, b in [("on", "hf"), ("off", "hf"), ("on", "off")]:
        est, lo, hi = ratio(times[a], times[b])
        medians = statistics.median(times[a]) / statistics.median(times[b])
        print(f"  {a}/{b}: {est:.3f} [{lo:.3f}, {hi:.3f}]; ratio of medians {medians:.3f}")


main()
