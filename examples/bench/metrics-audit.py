#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Audit denet's figures against ground-truth tools on real workloads (docs/metrics-validation.md).

Each workload runs once under `denet run --ebpf --json`, once under `/usr/bin/time -v`, once under
`perf stat` (software events and tracepoints: this VM has no hardware counters) and once under
`strace -f -c`; the table compares like with like and prints the deviation of denet's figure.
Separate runs of one workload differ a little by themselves (CPU time, context switches): the
deterministic figures (syscalls, faults, bytes, processes) are the ones that must agree closely.

Usage: DENET=target/release/denet examples/bench/metrics-audit.py [WORKLOAD...] > audit.md
Needs root for --ebpf and perf's tracepoints; gcc, make, xz, sort, tar, git, curl, python3, strace, perf.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

DENET = os.environ.get("DENET", "target/release/denet")
WORK = tempfile.mkdtemp(prefix="denet-audit-", dir=os.environ.get("AUDIT_DIR", os.getcwd()))
PORT = 18431


def setup():
    """Inputs for the workloads, in WORK (on a real file system: write_bytes needs one)."""
    os.chdir(WORK)
    with open("prog.c", "w") as f:
        f.write("#include <stdio.h>\n")
        for i in range(400):
            f.write(f"int f{i}(int x) {{ int s = 0; for (int j = 0; j < x; j++) s += j * {i} % 7; return s; }}\n")
        f.write("int main(void) { int s = 0;\n")
        for i in range(400):
            f.write(f"  s += f{i}({i});\n")
        f.write('  printf("%d\\n", s); return 0; }\n')
    os.makedirs("mk", exist_ok=True)
    for i in range(8):
        shutil.copy("prog.c", f"mk/p{i}.c")
    with open("mk/Makefile", "w") as f:
        objs = " ".join(f"p{i}.o" for i in range(8))
        f.write(f"all: {objs}\n%.o: %.c\n\tgcc -O1 -c $< -o $@\nclean:\n\trm -f *.o\n")
    data = bytes((i * 2654435761 >> 13) & 0xFF for i in range(4 << 20))
    with open("data.bin", "wb") as f:
        f.write(data * 4)
    with open("lines.txt", "w") as f:
        f.write("\n".join(str((i * 2654435761) % 1000003) for i in range(400000)))
    os.makedirs("tree", exist_ok=True)
    for i in range(200):
        with open(f"tree/f{i}", "wb") as f:
            f.write(data[: 64 << 10])
    subprocess.run("git init -q repo && cd repo && for i in $(seq 30); do seq $i 5000 > f$i; git add f$i;"
                   " git -c user.name=a -c user.email=a@b commit -qm $i; done", shell=True, check=True)
    with open("download.bin", "wb") as f:
        f.write(data * 12)


WORKLOADS = {
    "gcc": "gcc -O2 -o prog prog.c",
    "make -j2": "make -s -C mk clean >/dev/null && make -s -j2 -C mk",
    "xz": "xz -T1 -6 -c data.bin > data.xz",
    "sort": "sort -o sorted.txt lines.txt",
    "tar": "tar cf tree.tar tree",
    # A fresh copy each time: a second gc of the same repository has nothing left to pack.
    "git gc": "rm -rf gc && cp -r repo gc && cd gc && git gc -q",
    "curl (loopback)": f"curl -s -o /dev/null http://127.0.0.1:{PORT}/download.bin",
    "fork storm": "i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done",
    "dd; rm": "dd if=/dev/zero of=dd.bin bs=1M count=50 2>/dev/null && rm dd.bin",
}


def sh(cmd):
    return ["/bin/sh", "-c", cmd]


def denet(cmd):
    out = subprocess.run([DENET, "run", "-q", "--json", "--ebpf", "--"] + sh(cmd), capture_output=True, text=True)
    records = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    summary = records[-1]
    samples = [r for r in records if r["kind"] == "sample"]
    last = samples[-1]["aggregate"] if samples else {}
    # The sampler's own figures, before the summary took wait4's exact ones.
    summary["sampled"] = {k: last.get(k, 0) for k in ("cpu_time_s", "voluntary_ctx_switches", "involuntary_ctx_switches")}
    return summary


def gnu_time(cmd):
    err = subprocess.run(["/usr/bin/time", "-v"] + sh(cmd), capture_output=True, text=True).stderr
    field = lambda name: float(re.search(re.escape(name) + r": (\S+)", err).group(1))
    return {
        "cpu": field("User time (seconds)") + field("System time (seconds)"),
        "maxrss": field("Maximum resident set size (kbytes)") * 1024,
        "minflt": field("Minor (reclaiming a frame) page faults"),
        "vcsw": field("Voluntary context switches"),
        "ivcsw": field("Involuntary context switches"),
        "out": field("File system outputs") * 512,
    }


PERF_EVENTS = ["task-clock", "raw_syscalls:sys_enter", "sched:sched_process_fork",
               "sched:sched_process_exec"]


def perf(cmd):
    err = subprocess.run(["perf", "stat", "-x", ",", "-e", ",".join(PERF_EVENTS), "--"] + sh(cmd),
                         capture_output=True, text=True).stderr
    out = {}
    for line in err.splitlines():
        f = line.split(",")
        if len(f) > 3 and f[2] in PERF_EVENTS:
            out[f[2]] = float(f[0]) if f[0] not in ("<not counted>", "<not supported>") else None
    return out


def strace(cmd):
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as t:
        subprocess.run(["strace", "-f", "-c", "-o", t.name] + sh(cmd), capture_output=True)
        total = [l for l in t.read().splitlines() if l.rstrip().endswith("total")]
    return float(total[-1].split()[3]) if total else None


def row(workload, metric, ours, truth, source):
    if truth is None or ours is None:
        return f"| {workload} | {metric} | {fmt(ours)} | n/a | {source} | |"
    dev = "0.0%" if truth == ours else ("n/a" if truth == 0 else f"{100 * (ours - truth) / truth:+.1f}%")
    return f"| {workload} | {metric} | {fmt(ours)} | {fmt(truth)} | {source} | {dev} |"


def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.4g}"
    return f"{int(v):,}"


def audit(name, cmd):
    d, t, p, s = denet(cmd), gnu_time(cmd), perf(cmd), strace(cmd)
    k = d.get("rusage", {})
    rows = [
        row(name, "CPU time, s (summary)", d["cpu_time_s"], t["cpu"], "time -v user+sys"),
        row(name, "CPU time, s (sampler, schedstat ns)", d["sampled"]["cpu_time_s"], k.get("user_s", 0) + k.get("system_s", 0),
            "wait4, same run"),
        row(name, "CPU time, s (summary)", d["cpu_time_s"], (p.get("task-clock") or 0) / 1e3 or None, "perf task-clock"),
        row(name, "peak RSS largest process, B", d["rss_peak_process_bytes"], t["maxrss"], "time -v"),
        row(name, "minor faults", d["minor_faults"], t["minflt"], "time -v"),
        row(name, "context switches vol+invol", d["voluntary_ctx_switches"] + d["involuntary_ctx_switches"],
            t["vcsw"] + t["ivcsw"], "time -v"),
        row(name, "context switches (sampler, lower bound)",
            d["sampled"]["voluntary_ctx_switches"] + d["sampled"]["involuntary_ctx_switches"],
            k.get("voluntary_ctx_switches", 0) + k.get("involuntary_ctx_switches", 0), "wait4, same run"),
        row(name, "storage write, B", d["write_bytes"], t["out"], "time -v outputs × 512"),
        row(name, "syscalls (eBPF)", d.get("syscalls_total"), s, "strace -f -c total"),
        row(name, "syscalls (eBPF)", d.get("syscalls_total"), p.get("raw_syscalls:sys_enter"), "perf raw_syscalls"),
        # sched_process_fork fires for threads too.
        row(name, "processes + threads created (eBPF)", (d.get("processes_created") or 0) + (d.get("threads_created") or 0),
            p.get("sched:sched_process_fork"), "perf sched_process_fork"),
        row(name, "execs (eBPF)", d.get("execs"), p.get("sched:sched_process_exec"), "perf sched_process_exec"),
    ]
    if "curl" in name:
        size = os.path.getsize("download.bin")
        rows.append(row(name, "TCP received (eBPF), B", d.get("net_tcp_rx_bytes"), size, "file size"))
        rows.append(row(name, "rchar, B (no recv*)", d["rchar"], None, ""))
    if name == "dd; rm":
        rows.append(row(name, "storage write cancelled, B", d["cancelled_write_bytes"], d["write_bytes"], "write_bytes"))
        rows.append(row(name, "storage write net, B", d["write_bytes"] - d["cancelled_write_bytes"], 0, "nothing kept"))
    return rows


def main():
    setup()
    server = subprocess.Popen(["python3", "-m", "http.server", str(PORT), "--bind", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run(f"for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:{PORT}/ && break; sleep 0.1; done",
                       shell=True)
        print("| workload | metric | denet | ground truth | truth from | deviation |")
        print("|---|---|---|---|---|---|")
        for name, cmd in WORKLOADS.items():
            if len(sys.argv) > 1 and name not in sys.argv[1:]:
                continue
            for line in audit(name, cmd):
                print(line, flush=True)
    finally:
        server.kill()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
