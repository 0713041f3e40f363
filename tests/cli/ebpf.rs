//! `--ebpf`: exact counts against workloads that make known syscalls, sleeps and transfers, and the degradation paths.
//!
//! The accuracy tests need the `ebpf` feature and root (CI has both); elsewhere they print why they skip.

use serde_json::Value;

use crate::util::{cpu_shared, denet, denet_path, f64_of, last_summary, records, u64_of, workload, Tree};

/// Why eBPF tests cannot run here, if they cannot.
fn skip_reason() -> Option<&'static str> {
    if !cfg!(feature = "ebpf") {
        return Some("built without the ebpf feature (cargo test --features ebpf)");
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root (CI runs as root)");
    }
    None
}

macro_rules! needs_ebpf {
    () => {
        if let Some(why) = skip_reason() {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// `denet run -q --json --ebpf -- workload ARGS`: the summary, and stderr.
fn ebpf_run(args: &[&str]) -> (Value, String) {
    let out = denet().args(["run", "-q", "--json", "--ebpf", "--"]).arg(workload()).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "denet run --ebpf -- workload {args:?} failed: {stderr}");
    (last_summary(&out.stdout), stderr)
}

/// How often the summary's top syscalls list `name`.
fn top_count(summary: &Value, name: &str) -> u64 {
    summary["top_syscalls"]
        .as_array()
        .and_then(|top| top.iter().find(|t| t["name"] == name))
        .map_or(0, |t| u64_of(t, "count"))
}

fn assert_categories_add_up(s: &Value) {
    let parts = ["file_io", "memory", "process", "network", "ipc", "signal", "time", "other"];
    let sum: u64 = parts.iter().map(|c| u64_of(s, &format!("syscalls_{c}"))).sum();
    assert_eq!(sum, u64_of(s, "syscalls_total"), "categories do not add up to the total: {s}");
}

#[test]
fn counts_exactly_the_getppid_calls_made() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    let (s, _) = ebpf_run(&["getppid", "5000"]);
    // The workload makes 5000 raw getppid calls; the Rust runtime and the loader make none.
    let n = top_count(&s, "getppid");
    assert!((5000..=5003).contains(&n), "getppid counted {n} times, expected 5000: {s}");
    assert!(u64_of(&s, "syscalls_process") >= 5000, "{s}");
    assert!(u64_of(&s, "syscalls_total") < 5000 + 300, "start-up costs a few hundred syscalls at most: {s}");
    assert_categories_add_up(&s);
    assert_eq!(u64_of(&s, "execs"), 1, "one exec, of the workload: {s}");
}

#[test]
fn sleep_half_a_second_is_half_a_second_off_cpu() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    let (s, _) = ebpf_run(&["sleep", "0.5"]);
    let off = f64_of(&s, "time_off_cpu");
    assert!((0.475..=0.525).contains(&off), "off-CPU {off} s, expected 0.5 s ± 5%: {s}");
    assert!(f64_of(&s, "time_off_cpu_runnable") < 0.05, "a sleeper is blocked, not preempted: {s}");
}

#[test]
fn a_mebibyte_over_loopback_tcp_counts_exactly_each_way() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    let (s, _) = ebpf_run(&["tcp", "1048576"]);
    assert_eq!(u64_of(&s, "net_tcp_tx_bytes"), 1_048_576, "{s}");
    assert_eq!(u64_of(&s, "net_tcp_rx_bytes"), 1_048_576, "{s}");
    assert!(u64_of(&s, "syscalls_network") >= 4, "socket, bind, listen, connect, accept at least: {s}");
    assert_eq!(u64_of(&s, "threads_created"), 1, "the reader thread: {s}");
    assert_categories_add_up(&s);
}

#[test]
fn every_syscall_of_twenty_forked_children_is_counted() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    // Each child makes 1000 getppid calls right after fork and exits: too short for any /proc sample.
    let (s, _) = ebpf_run(&["forkn", "20", "1000"]);
    assert_eq!(top_count(&s, "getppid"), 20_000, "{s}");
    assert_eq!(u64_of(&s, "processes_created"), 20, "{s}");
    assert_categories_add_up(&s);
}

#[test]
fn kprobes_fall_back_to_the_sock_tracepoints_with_one_warning() {
    needs_ebpf!();
    if std::path::Path::new("/sys/bus/event_source/devices/kprobe/type").exists() {
        eprintln!("skipped: this kernel has kprobes, so there is nothing to fall back from");
        return;
    }
    let out =
        denet().args(["run", "-q", "--json", "--ebpf", "--"]).arg(workload()).args(["tcp", "4096"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("kprobes unavailable").count(), 1, "one warning: {stderr}");
    assert!(stderr.contains("CONFIG_KPROBES") && stderr.contains("sock tracepoints"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "no libbpf text: {stderr}");
    let meta = records(&out.stdout).into_iter().next().unwrap();
    let checks = meta["ebpf"].as_array().expect("the eBPF checks in the metadata");
    let by_name = |p: &str| checks.iter().find(|c| c["name"].as_str().unwrap().starts_with(p)).cloned().unwrap();
    assert_eq!(by_name("TCP bytes (kretprobe")["ok"], false, "{meta}");
    assert_eq!(by_name("TCP bytes (sock")["ok"], true, "{meta}");
    assert_eq!(u64_of(&last_summary(&out.stdout), "net_tcp_tx_bytes"), 4096);
}

/// Without the feature, or as an unprivileged user: one warning with the reason, /proc data, exit 0.
#[test]
fn without_ebpf_it_warns_once_and_carries_on() {
    let mut cmd = std::process::Command::new("setpriv");
    let unprivileged = cfg!(feature = "ebpf");
    if unprivileged {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: dropping privileges needs root");
            return;
        }
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]).arg(denet_path());
    } else {
        cmd = std::process::Command::new(denet_path());
    }
    // --no-cgroup: unprivileged, the cgroup would be a second warning, about something else.
    let out =
        cmd.args(["run", "-q", "--json", "--ebpf", "--no-cgroup", "--", "true"]).current_dir("/").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one warning: {stderr}");
    let expected = if unprivileged { "eBPF needs root, or CAP_BPF, CAP_PERFMON" } else { "--features ebpf" };
    assert!(stderr.contains(expected), "the warning names the fix: {stderr}");
    let meta = records(&out.stdout).into_iter().next().unwrap();
    let caps = meta["capabilities"].as_array().unwrap();
    let syscalls = caps.iter().find(|c| c["metric"] == "syscalls_total").expect("a syscalls capability");
    assert_eq!(syscalls["available"], false);
    assert!(syscalls["reason"].as_str().unwrap().contains(expected), "{meta}");
    let summary = last_summary(&out.stdout);
    assert!(summary.get("syscalls_total").is_none(), "no eBPF figures: {summary}");
    assert!(summary["rusage"].is_object(), "the /proc and wait4 figures are there: {summary}");
}

#[test]
fn attach_follows_children_forked_after_it_started() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    // The shell waits for the attach to begin (it reads a line), then forks the workload.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("go");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // `& wait`: the shell forks the workload for sure (a shell may exec a last command in its own place).
    let script = format!("read x < {}; {} forkn 5 100 & wait", fifo.display(), workload().display());
    let tree = Tree::spawn(std::process::Command::new("sh").args(["-c", &script]));
    let mut monitor = std::process::Command::new(denet_path())
        .args(["attach", "-q", "--json", "--ebpf", "-d", "20"])
        .arg(tree.pid().to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The metadata line is written once the programs are attached.
    let mut stdout = std::io::BufReader::new(monitor.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.contains("\"kind\":\"metadata\""), "{first}");
    std::fs::write(&fifo, "go\n").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(monitor.wait().unwrap().success(), "attach ends with the tree");
    let s = last_summary(rest.as_bytes());
    assert_eq!(top_count(&s, "getppid"), 500, "{s}");
    assert_eq!(u64_of(&s, "processes_created"), 6, "the workload and its five children: {s}");
    assert_eq!(u64_of(&s, "execs"), 1, "the workload's exec: {s}");
    assert_eq!(u64_of(&s, "processes_seen"), 7, "the shell found at attach, the workload, its five children: {s}");
}

#[test]
fn bench_counts_each_run_from_its_exec() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("b.json");
    let w = workload();
    let out = denet()
        .args(["bench", "--ebpf", "--runs", "3", "--style", "none", "--metrics", "time_wall_clock,syscalls_process"])
        .arg(format!("{} getppid 1000", w.display()))
        .arg(format!("{} getppid 3000", w.display()))
        .arg("--export-json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    for (result, calls) in doc["results"].as_array().unwrap().iter().zip([1000u64, 3000]) {
        for m in result["measurements"].as_array().unwrap() {
            let process = m["syscalls_process"]["value"].as_f64().unwrap() as u64;
            // getppid, plus the handful of process syscalls of start-up (execve, arch_prctl, ...).
            assert!((calls..=calls + 30).contains(&process), "{process} process syscalls for {calls} getppid");
            let total = m["syscalls_total"]["value"].as_f64().unwrap() as u64;
            assert!(total >= process, "{m}");
        }
    }
    assert!(doc["metadata"]["ebpf"].is_array(), "the eBPF checks are recorded");
}

#[test]
fn doctor_reports_each_probe() {
    let out = denet().arg("doctor").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in ["kernel.unprivileged_bpf_disabled", "kernel.perf_event_paranoid", "kernel.kptr_restrict", "kprobes"]
    {
        assert!(stdout.contains(needle), "doctor does not mention {needle}: {stdout}");
    }
    match skip_reason() {
        None => {
            assert!(out.status.success(), "eBPF works here, so doctor exits 0: {stdout}");
            assert!(stdout.contains("\nVerdict: everything works"), "{stdout}");
            assert!(stdout.contains("ok   syscalls (raw_tp/sys_enter)"), "{stdout}");
        }
        Some(why) => {
            assert_eq!(out.status.code(), Some(3), "eBPF cannot work here ({why}): works with fallbacks: {stdout}");
            assert!(stdout.contains("FAIL"), "{stdout}");
            // The verdict comes last, and names a fix.
            let verdict = stdout.rsplit_once("\nVerdict: ").map(|(_, v)| v).unwrap_or_else(|| panic!("{stdout}"));
            assert!(verdict.starts_with("denet works with fallbacks") && verdict.contains("\n  fix "), "{stdout}");
        }
    }
}

/// A process's own count in the samples: its entry plus what CPUs still hold for it (the per-CPU cache).
#[test]
fn a_live_process_shows_its_own_syscall_count() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    let out = denet()
        .args(["run", "-q", "--json", "-i", "50", "--ebpf", "--"])
        .arg(workload())
        .args(["getppid", "5000", "0.6"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let own: Vec<u64> = records(&out.stdout)
        .iter()
        .filter(|r| r["kind"] == "sample")
        .filter_map(|r| r["processes"].as_array()?.first()?.get("syscalls")?.as_u64())
        .collect();
    let last = *own.last().expect("samples with the process's own syscall count");
    // 5000 getppid, plus the runtime's start-up (about 100) and the sleep.
    assert!((5000..5400).contains(&last), "the process's own count at the last sample: {last} ({own:?})");
}

/// `perf stat -e raw_syscalls:sys_enter` of `argv` (None, with the reason printed, where perf cannot count it).
fn perf_syscalls(argv: &[&str]) -> Option<u64> {
    let out = std::process::Command::new("perf")
        .args(["stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "--"])
        .args(argv)
        .output();
    let Ok(out) = out else {
        eprintln!("skipped: perf is not installed");
        return None;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let count =
        stderr.lines().find(|l| l.contains("raw_syscalls:sys_enter")).and_then(|l| l.split(',').next()?.parse().ok());
    if count.is_none() {
        eprintln!("skipped: perf cannot count raw_syscalls:sys_enter here: {stderr}");
    }
    count
}

/// A PATH where `true` is found only after eight entries that do not exist: execvp tries each.
fn long_path() -> String {
    let missing: Vec<String> = (0..8).map(|i| format!("/nonexistent/denet-{i}")).collect();
    format!("{}:/usr/bin:/bin", missing.join(":"))
}

/// The harness's own syscalls before the exec (the failed execve of each PATH entry in `run`, the
/// 117 rt_sigaction of posix_spawn's SETSIGDEF in bench) are not the command's.
#[test]
fn true_counts_what_perf_counts_in_run_and_bench() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    let Some(truth) = perf_syscalls(&["/bin/true"]) else { return };
    let out = denet().env("PATH", long_path()).args(["run", "-q", "--json", "--ebpf", "--", "true"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = last_summary(&out.stdout);
    let run = u64_of(&s, "syscalls_total");
    assert!(run.abs_diff(truth) <= 3, "run counted {run} syscalls of true, perf {truth}: {s}");
    assert_eq!(top_count(&s, "rt_sigaction"), 0, "true makes no rt_sigaction: {s}");
    let out = denet()
        .env("PATH", long_path())
        .args(["bench", "--ebpf", "-N", "--runs", "3", "--style", "none", "--export-json", "-", "true"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    for m in doc["results"][0]["measurements"].as_array().unwrap() {
        let bench = m["syscalls_total"]["value"].as_f64().unwrap() as u64;
        assert!(bench.abs_diff(truth) <= 3, "bench counted {bench} syscalls of true, perf {truth}: {m}");
        assert_eq!(m["syscalls_signal"]["value"], 0, "none of the spawner's rt_sigaction: {m}");
    }
}

/// `strace -c`'s table of `sort` (name -> calls), or None where strace is missing.
fn strace_table(argv: &[&str]) -> Option<std::collections::HashMap<String, u64>> {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("strace.txt");
    let status = std::process::Command::new("strace")
        .env("LC_ALL", "C")
        .args(["-f", "-c", "-o"])
        .arg(&table)
        .args(argv)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("skipped: strace is not installed or cannot trace here");
        return None;
    }
    let text = std::fs::read_to_string(&table).unwrap();
    // Rows: % time, seconds, usecs/call, calls, [errors], syscall.
    let rows = text.lines().filter_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (name, calls) = (f.last()?, f.get(3)?.parse().ok()?);
        (f.len() >= 5 && *name != "total").then(|| (name.to_string(), calls))
    });
    Some(rows.collect())
}

#[test]
fn the_syscall_table_of_sort_is_strace_s() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let lines: Vec<String> = (0..50_000u64).map(|i| (i.wrapping_mul(2_654_435_761) % 100_003).to_string()).collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let output = dir.path().join("out.txt");
    let argv = ["sort", "-o", output.to_str().unwrap(), input.to_str().unwrap()];
    let Some(truth) = strace_table(&argv) else { return };
    let out = denet().env("LC_ALL", "C").args(["run", "-q", "--json", "--ebpf", "--"]).args(argv).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = last_summary(&out.stdout);
    let top = s["top_syscalls"].as_array().unwrap();
    assert!(top.len() >= 5, "{s}");
    for row in top {
        let (name, count) = (row["name"].as_str().unwrap(), u64_of(row, "count"));
        let expected = truth.get(name).copied().unwrap_or(0);
        assert!(count.abs_diff(expected) <= 1, "{name}: denet {count}, strace -c {expected}: {s}");
    }
    let total: u64 = truth.values().sum();
    let counted = u64_of(&s, "syscalls_total");
    assert!(counted.abs_diff(total) <= 3, "denet {counted} syscalls, strace -c {total}: {s}");
}

/// `workload naps 200` started under `attach`: denet's figure of its context switches and the kernel's
/// own counts (/proc/self/status, printed by the workload around its naps), and denet's summary.
fn attach_to_naps(ebpf: bool) -> (Value, [u64; 4]) {
    use std::io::{BufRead, Read, Write};
    use std::process::{Command, Stdio};
    let mut naps = Command::new(workload());
    let tree = Tree::spawn(naps.args(["naps", "200"]).stdin(Stdio::piped()).stdout(Stdio::piped()));
    let mut monitor = Command::new(denet_path())
        .args(["attach", "-q", "--json", "-d", "20"])
        .args(ebpf.then_some("--ebpf"))
        .arg(tree.pid().to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The metadata line is written once the programs are attached; then the naps begin.
    let mut stdout = std::io::BufReader::new(monitor.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let mut tree = tree;
    tree.0.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut counts = String::new();
    tree.0.stdout.take().unwrap().read_to_string(&mut counts).unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(monitor.wait().unwrap().success(), "attach ends with the process");
    let kernel: Vec<u64> = counts.split_whitespace().map(|n| n.parse().unwrap()).collect();
    (last_summary(rest.as_bytes()), kernel.try_into().unwrap_or_else(|k| panic!("the workload printed {k:?}")))
}

/// 200 naps of 1 ms are 200 voluntary switches: `attach --ebpf` counts them in the kernel (and the last
/// switch at the exit, which /proc/PID/status never shows), and says the figure is exact.
#[test]
fn attach_counts_the_context_switches_of_200_naps_exactly() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    let (s, [vol0, invol0, vol1, invol1]) = attach_to_naps(true);
    let (voluntary, involuntary) = (u64_of(&s, "voluntary_ctx_switches"), u64_of(&s, "involuntary_ctx_switches"));
    let truth = vol1 - vol0;
    assert!(truth >= 200, "the kernel counts a switch per nap: {truth}");
    assert!(
        (truth..=truth + 3).contains(&voluntary),
        "voluntary: denet {voluntary}, the kernel {truth} (+1 at exit): {s}"
    );
    assert!(involuntary >= invol1 - invol0 && involuntary <= invol1 - invol0 + 5, "involuntary {involuntary}: {s}");
    let sampled: Vec<&str> = s["sampled"].as_array().unwrap().iter().filter_map(|f| f.as_str()).collect();
    for exact in ["voluntary_ctx_switches", "involuntary_ctx_switches", "processes_peak", "processes_seen"] {
        assert!(!sampled.contains(&exact), "{exact} is counted by eBPF, not sampled: {s}");
    }
    assert_eq!(u64_of(&s, "processes_peak"), 1, "{s}");
}

/// Without eBPF, attach can only sample the switches: a lower bound, and labelled so.
#[test]
fn attach_without_ebpf_labels_the_context_switches_sampled() {
    let _cpu = cpu_shared();
    let (s, [vol0, _, vol1, _]) = attach_to_naps(false);
    let sampled: Vec<&str> = s["sampled"].as_array().unwrap().iter().filter_map(|f| f.as_str()).collect();
    assert!(sampled.contains(&"voluntary_ctx_switches") && sampled.contains(&"processes_peak"), "{s}");
    assert!(u64_of(&s, "voluntary_ctx_switches") <= vol1 - vol0 + 1, "a sampled figure is a lower bound: {s}");
}

/// The peak of live processes is counted in the kernel: a parent and four children alive together
/// are five, in `run` and in each bench run, labelled by their source.
#[test]
fn processes_peak_is_counted_in_the_kernel() {
    needs_ebpf!();
    let _cpu = cpu_shared();
    let (s, _) = ebpf_run(&["tree", "4", "0.2"]);
    assert_eq!(u64_of(&s, "processes_peak"), 5, "{s}");
    assert!(!s["sampled"].as_array().unwrap().iter().any(|f| f == "processes_peak"), "{s}");
    let out = denet()
        .args(["bench", "--ebpf", "--runs", "2", "--style", "none", "--export-json", "-"])
        .arg(format!("{} tree 4 0.2", workload().display()))
        .arg(format!("{} sleep 0", workload().display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (result, peak) in doc["results"].as_array().unwrap().iter().zip([5.0, 1.0]) {
        for m in result["measurements"].as_array().unwrap() {
            assert_eq!(m["processes_peak"]["value"].as_f64(), Some(peak), "{m}");
        }
        assert_eq!(result["summary"]["processes_peak"]["source"], "ebpf", "{result}");
        assert!(!result["sampled"].as_array().unwrap().iter().any(|f| f == "processes_peak"), "{result}");
    }
}
