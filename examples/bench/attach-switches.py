#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Context switches under `denet attach`, against the kernel's own totals (docs/metrics-validation.md).

A process that denet did not start cannot be waited for, so `attach` has no wait4 figure: with
`--ebpf` it counts the tree's switches in the kernel (sched_switch), without it it can only sample
/proc and labels the figure a lower bound. Here this script starts the workload, so it can wait4
it for the truth; denet attaches, then a line on the workload's stdin lets it begin. Workloads:
`workload naps N` (built by `cargo build --examples`: N sleeps of 1 ms, one voluntary switch
each) and a shell loop of 2,000 `/bin/true` (the issue's example: every child's switches).

Usage: DENET=target/debug/denet WORKLOAD=target/debug/examples/workload \
       examples/bench/attach-switches.py [NAPS] [REPEATS]
Needs root (or CAP_BPF and CAP_PERFMON) and the ebpf feature for the --ebpf rows.
"""

import json
import os
import subprocess
import sys

DENET = os.environ.get("DENET", "target/debug/denet")
WORKLOAD = os.environ.get("WORKLOAD", "target/debug/examples/workload")


def status_switches(pid):
    """(voluntary, involuntary) of `pid`'s main thread, from /proc/PID/status."""
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines() if ":" in line)
    return int(fields["voluntary_ctxt_switches"]), int(fields["nonvoluntary_ctxt_switches"])


def attach(argv, ebpf):
    """Attach to `argv` (which waits for a line on stdin first): the truth and denet's summary.

    The truth is the tree's total from wait4 (the process and every descendant it reaped), less
    what its main thread had switched before the line came (/proc/PID/status; it has no children
    then): the switches from the attach on, the exit's included, as denet counts them.
    """
    w = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    args = [DENET, "attach", "-q", "--json", "-d", "60"] + (["--ebpf"] if ebpf else []) + [str(w.pid)]
    monitor = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    monitor.stdout.readline()  # the metadata record: denet is attached
    before = status_switches(w.pid)
    w.stdin.write("go\n")
    w.stdin.flush()
    _, _, ru = os.wait4(w.pid, 0)
    rest = monitor.stdout.read()
    monitor.wait()
    summary = [json.loads(line) for line in rest.splitlines() if '"kind":"summary"' in line][-1]
    return (ru.ru_nvcsw - before[0], ru.ru_nivcsw - before[1]), summary


def main():
    naps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    loop = "read x; i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done"
    workloads = [(f"{naps} naps of 1 ms", [WORKLOAD, "naps", str(naps)]), ("2,000 /bin/true", ["sh", "-c", loop])]
    print("| workload | mode | truth vol / invol | denet vol / invol | label | vol deviation | invol deviation |")
    print("|---|---|---|---|---|---|---|")
    for name, argv in workloads:
        for ebpf in (True, False):
            for _ in range(repeats):
                (vol, invol), s = attach(argv, ebpf)
                dv, di = s["voluntary_ctx_switches"], s["involuntary_ctx_switches"]
                label = "sampled" if "voluntary_ctx_switches" in s["sampled"] else "exact"
                mode = "attach --ebpf" if ebpf else "attach"
                pct = lambda d, t: f"{d - t:+d} ({100 * (d - t) / max(t, 1):+.1f}%)"
                print(f"| {name} | {mode} | {vol} / {invol} | {dv} / {di} | {label} | {pct(dv, vol)} | {pct(di, invol)} |")


if __name__ == "__main__":
    main()
