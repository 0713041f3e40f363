#!/usr/bin/env bash
# What `--ebpf` costs the monitored program, and how long loading the programs takes.
#
#   examples/bench/ebpf-overhead.sh            # REPS=5 by default; needs root and clang/libelf (see docs/ebpf.md)
#
# Each workload runs under `denet run` with and without `--ebpf`, alternating, REPS times; the
# figure is the workload's own wall time (denet's summary `duration_s`: spawn to exit), so the
# monitor's start-up and the program load are not counted. A bare run (python's perf_counter
# around the spawn and wait) is printed as a check that `denet run` itself costs nothing.
#   storm:   dd if=/dev/zero of=/dev/null bs=1 count=2000000 (about 4 M syscalls)
#   typical: tar of /usr/share/doc piped into gzip -6 (CPU-bound, a few thousand file syscalls)
#   floor:   the same storm with the kernel's own raw_syscalls:sys_enter ftrace event enabled and
#            filtered to match nothing: what any per-syscall tracepoint costs on this kernel
# Load and attach time comes from `DENET_LOG=debug denet run --ebpf -- true`.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS=${REPS:-5}
cargo build --release --features ebpf -q
DENET=target/release/denet
[ "$(id -u)" = 0 ] || { echo "needs root (eBPF)"; exit 1; }

python3 - "$DENET" "$REPS" <<'EOF'
import json, os, statistics, subprocess, sys, time
denet, reps = sys.argv[1], int(sys.argv[2])
workloads = {
    "storm": ["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=2000000"],
    "typical": ["sh", "-c", "tar -cf - -C /usr/share doc 2>/dev/null | gzip -6 > /dev/null"],
}

def under_denet(cmd, ebpf):
    args = [denet, "run", "-q", "--json"] + (["--ebpf"] if ebpf else []) + ["--"] + cmd
    out = subprocess.run(args, capture_output=True, check=True).stdout.decode().splitlines()
    return json.loads(out[-1])["duration_s"]

def bare(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t

def ftrace_floor(cmd):
    ev = "/sys/kernel/tracing/events/raw_syscalls/sys_enter"
    if not os.path.isdir(ev):
        return None
    open(f"{ev}/filter", "w").write("common_pid == 1")
    open(f"{ev}/enable", "w").write("1")
    try:
        return bare(cmd)
    finally:
        open(f"{ev}/enable", "w").write("0")
        open(f"{ev}/filter", "w").write("0")

for name, cmd in workloads.items():
    plain, off, on, floor = [], [], [], []
    for i in range(reps):
        plain.append(bare(cmd))
        order = [False, True] if i % 2 == 0 else [True, False]
        for ebpf in order:
            (on if ebpf else off).append(under_denet(cmd, ebpf))
        if name == "storm":
            f = ftrace_floor(cmd)
            if f is not None:
                floor.append(f)
    m = statistics.median
    # Each repetition runs both back to back: the median of the pairs' ratios cancels the machine's drift.
    paired = m([a / b for a, b in zip(on, off)])
    print(f"{name}: bare {m(plain):.3f} s, denet run {m(off):.3f} s, denet run --ebpf {m(on):.3f} s "
          f"-> --ebpf / without = {m(on) / m(off):.3f} (median of paired ratios {paired:.3f}; "
          f"runs: {', '.join(f'{x:.2f}' for x in on)} vs {', '.join(f'{x:.2f}' for x in off)})")
    if floor:
        print(f"  kernel floor (filtered ftrace event, no BPF): {m(floor):.3f} s -> {m(floor) / m(plain):.3f} x bare")

loads = []
for _ in range(reps):
    err = subprocess.run([denet, "run", "-q", "-o", "/dev/null", "--ebpf", "--", "true"], capture_output=True,
                         env={**os.environ, "DENET_LOG": "debug"}).stderr.decode()
    for line in err.splitlines():
        if "loaded and attached in" in line:
            loads.append(float(line.split(" in ")[1].split()[0]))
print(f"load and attach: median {statistics.median(loads):.1f} ms, max {max(loads):.1f} ms over {len(loads)} starts")
EOF
