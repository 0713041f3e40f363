//! What denet measures against workloads whose cost is known exactly.

use crate::util::{cpu_exclusive, cpu_shared, f64_of, last_summary, run_workload, summary_of, u64_of, workload, MIB};

fn rusage(s: &serde_json::Value) -> &serde_json::Value {
    assert!(s["rusage"].is_object(), "`run` summary without rusage: {s}");
    &s["rusage"]
}

#[test]
fn two_busy_threads_use_two_cores() {
    let _cpu = cpu_exclusive();
    let s = summary_of(&["busy", "2", "1.5"]);
    let r = rusage(&s);
    let cpu = f64_of(r, "user_s") + f64_of(r, "system_s");
    let wall = f64_of(&s, "duration_s");
    let ratio = cpu / wall;
    // Checked first: below 1.7 the workload itself did not get two cores (other load on the machine).
    assert!((1.7..=2.1).contains(&ratio), "wait4 CPU {cpu} s over {wall} s wall = {ratio}, expected about 2: {s}");
    let peak = f64_of(&s, "cpu_percent_peak");
    assert!((170.0..=215.0).contains(&peak), "cpu_percent_peak {peak}, expected about 200: {s}");
    // The sampled tree total agrees with wait4 (clock-tick granularity allows a little under).
    let sampled = f64_of(&s, "cpu_time_s");
    assert!((sampled - cpu).abs() <= 0.05 + 0.03 * cpu, "sampled CPU time {sampled} s vs wait4 {cpu} s: {s}");
    assert_eq!(u64_of(&s, "processes_peak"), 1, "{s}");
    assert_eq!(u64_of(&s, "threads_peak"), 3, "main thread and two spinners: {s}");
}

#[test]
fn holding_200_mib_peaks_at_200_mib() {
    let _cpu = cpu_shared();
    let s = summary_of(&["hold", "200", "0.5"]);
    let (lo, hi) = (200 * MIB, 210 * MIB);
    for (what, v) in [
        ("rss_peak_process_bytes", u64_of(&s, "rss_peak_process_bytes")),
        ("rss_peak_tree_bytes", u64_of(&s, "rss_peak_tree_bytes")),
        ("rusage.max_rss_bytes", u64_of(rusage(&s), "max_rss_bytes")),
    ] {
        assert!((lo..=hi).contains(&v), "{what} = {v} ({:.1} MiB), expected 200..=210 MiB: {s}", v as f64 / MIB as f64);
    }
}

#[test]
fn writing_50_mib_with_fsync_counts_50_mib() {
    let _cpu = cpu_shared();
    // Under target/, not /tmp: a tmpfs /tmp never reaches storage, so write_bytes would stay 0.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let path = dir.path().join("written.bin");
    let s = summary_of(&["write", "50", path.to_str().unwrap()]);
    let written = u64_of(&s, "write_bytes");
    assert!((50 * MIB..55 * MIB).contains(&written), "write_bytes {written}, expected 50 MiB..55 MiB: {s}");
    let wchar = u64_of(&s, "wchar");
    assert!(wchar >= 50 * MIB, "wchar {wchar}, expected at least 50 MiB: {s}");
}

#[test]
fn writes_between_two_naps_are_counted() {
    let _cpu = cpu_shared();
    // The monitor reuses a sleeping process's last I/O and context-switch counts: it must read
    // them again once the process has woken up and written, while it naps again before exiting.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let path = dir.path().join("written.bin");
    let s = summary_of(&["nap-write", "0.5", "10", path.to_str().unwrap()]);
    let written = u64_of(&s, "write_bytes");
    assert!((10 * MIB..12 * MIB).contains(&written), "write_bytes {written}, expected 10 MiB..12 MiB: {s}");
    let wchar = u64_of(&s, "wchar");
    assert!(wchar >= 10 * MIB, "wchar {wchar}, expected at least 10 MiB: {s}");
    // Seen last during the second nap: all but the switches of waking up and exiting.
    let (sampled, exact) = (u64_of(&s, "voluntary_ctx_switches"), u64_of(rusage(&s), "voluntary_ctx_switches"));
    assert!(sampled <= exact && sampled + 1 >= exact, "voluntary switches: sampled {sampled}, wait4 {exact}: {s}");
}

#[test]
fn a_parent_with_three_children_is_four_processes() {
    let _cpu = cpu_shared();
    let s = summary_of(&["tree", "3", "0.5"]);
    assert_eq!(u64_of(&s, "processes_peak"), 4, "{s}");
}

#[test]
fn eight_threads_are_one_process() {
    let _cpu = cpu_shared();
    let s = summary_of(&["threads", "8", "0.5"]);
    assert_eq!(u64_of(&s, "processes_peak"), 1, "{s}");
    assert_eq!(u64_of(&s, "threads_peak"), 8, "{s}");
}

#[test]
fn exit_code_propagates() {
    let _cpu = cpu_shared();
    let out = run_workload(&["exit", "42"]);
    assert_eq!(out.status.code(), Some(42), "{out:?}");
    let s = last_summary(&out.stdout);
    assert_eq!(s["exit"]["code"], 42, "{s}");
}

fn killed_by(signal: i32, expected_exit: i32) {
    let _cpu = cpu_shared();
    let out = run_workload(&["signal", &signal.to_string()]);
    assert_eq!(out.status.code(), Some(expected_exit), "{out:?}");
    let s = last_summary(&out.stdout);
    assert_eq!(s["exit"]["signal"], signal, "{s}");
    assert!(s["exit"]["code"].is_null(), "a killed child has no exit code: {s}");
}

#[test]
fn sigkill_exits_137() {
    killed_by(9, 137);
}

#[test]
fn sigterm_exits_143() {
    killed_by(15, 143);
}

#[test]
fn children_shorter_than_a_tick_still_count() {
    let _cpu = cpu_shared();
    let s = summary_of(&["forkn", "50"]);
    let exact = u64_of(rusage(&s), "minor_faults");
    assert!(exact > 0, "wait4 minor_faults is 0: {s}");
    let sampled = u64_of(&s, "minor_faults");
    assert!(
        sampled * 2 >= exact,
        "sampled minor_faults {sampled} is under half of wait4's {exact}: reaped children were lost: {s}"
    );
}

#[test]
fn duration_stops_the_command_with_sigterm() {
    let _cpu = cpu_shared();
    let out = crate::util::denet()
        .args(["run", "-q", "--json", "--duration", "0.5", "--"])
        .arg(crate::util::workload())
        .args(["sleep", "30"])
        .output()
        .expect("denet runs");
    assert_eq!(out.status.code(), Some(143), "expected SIGTERM (128 + 15): {out:?}");
    let s = last_summary(&out.stdout);
    assert_eq!(s["exit"]["signal"], 15, "{s}");
    let d = f64_of(&s, "duration_s");
    assert!(d < 5.0, "duration_s {d}: --duration 0.5 did not stop a 30 s sleep: {s}");
}

/// PIDs whose parent is `ppid`, read from /proc.
fn children_of(ppid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().nth(1) == Some(&ppid.to_string()))
                })
                .unwrap_or(false)
        })
        .collect()
}

#[test]
fn sigterm_is_forwarded_and_the_summary_still_written() {
    let _cpu = cpu_shared();
    let denet = std::process::Command::new(crate::util::denet_path())
        .args(["run", "-q", "--json", "--"])
        .arg(workload())
        .args(["sleep", "30"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("denet starts");
    // Wait (bounded) until denet has started the workload, then ask denet to stop.
    let pid = denet.id();
    let found = (0..2000).find_map(|_| {
        let kids = children_of(pid);
        if kids.is_empty() {
            std::thread::yield_now();
            std::thread::sleep(std::time::Duration::from_millis(5));
            None
        } else {
            Some(kids)
        }
    });
    let kids = found.expect("denet started no child within 10 s");
    // SAFETY: sending a signal to a child we started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let out = denet.wait_with_output().expect("denet ends");
    assert_eq!(out.status.code(), Some(143), "the workload died of the forwarded SIGTERM: {out:?}");
    let s = last_summary(&out.stdout);
    assert_eq!(s["exit"]["signal"], 15, "{s}");
    for k in kids {
        assert!(!std::path::Path::new(&format!("/proc/{k}")).exists(), "child {k} left behind");
    }
}

/// A process that makes itself non-dumpable refuses its /proc/PID/io even to its own user: one
/// warning names it, the capability says why, and the rest is still measured.
#[cfg(target_os = "linux")]
#[test]
fn a_refused_io_file_is_reported_once() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root, to run denet as an unprivileged user (root reads every io file)");
        return;
    }
    let _cpu = cpu_shared();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
        .arg(crate::util::denet_path())
        .args(["run", "-q", "--json", "-i", "50", "--"])
        .arg(workload())
        .args(["private", "0.4"])
        .current_dir("/")
        .output()
        .expect("denet runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches("io not measured").count(), 1, "{stderr}");
    assert!(stderr.contains("monitor as the process owner or root"), "{stderr}");
    let s = last_summary(&out.stdout);
    assert_eq!(u64_of(&s, "processes_peak"), 1, "{s}");
    assert_eq!(s["unavailable"][0]["metric"], "io", "the summary says io went missing: {s}");
}

#[test]
fn one_busy_thread_peaks_at_one_core() {
    let _cpu = cpu_exclusive();
    let s = summary_of(&["busy", "1", "1.0"]);
    let r = rusage(&s);
    let cpu = f64_of(r, "user_s") + f64_of(r, "system_s");
    let ratio = cpu / f64_of(&s, "duration_s");
    // Checked first: below 0.8 the spinner itself did not get a core (other load on the machine).
    assert!(ratio >= 0.8, "wait4 CPU {cpu} s is {ratio} of the wall time, expected about 1: {s}");
    // CPU time in nanoseconds (schedstat), not 10 ms ticks: no tick lands in a short interval twice.
    let peak = f64_of(&s, "cpu_percent_peak");
    assert!((80.0..=105.0).contains(&peak), "cpu_percent_peak {peak}, expected 100 at most 105: {s}");
}

/// A process with a few milliseconds of CPU: in 10 ms clock ticks it read 0.
#[test]
fn milliseconds_of_cpu_are_not_zero() {
    let _cpu = cpu_shared();
    // The interpreter itself, not a wrapper (pyenv's shim is a shell script whose children, reaped,
    // are counted in clock ticks: the kernel keeps no nanosecond sum of reaped children).
    let python = std::process::Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output();
    let Some(python) = python.ok().filter(|o| o.status.success()) else {
        eprintln!("skipped: python3 is not available here");
        return;
    };
    let python = String::from_utf8_lossy(&python.stdout).trim().to_string();
    let out = crate::util::denet()
        .args(["run", "-q", "--json", "--", &python, "-c", "sum(range(10**6))"])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let records = crate::util::records(&out.stdout);
    let s = last_summary(&out.stdout);
    let r = rusage(&s);
    let exact = f64_of(r, "user_s") + f64_of(r, "system_s");
    assert!(f64_of(&s, "cpu_time_s") >= exact - 1e-9 && exact > 0.0, "the summary's CPU time is wait4's: {s}");
    // The samples' own figure (schedstat), before the summary took wait4's: within 1 ms + 2%.
    let last = records.iter().rev().find(|r| r["kind"] == "sample").expect("a sample");
    let sampled = f64_of(&last["aggregate"], "cpu_time_s");
    assert!(
        (sampled - exact).abs() <= 0.001 + 0.02 * exact,
        "sampled CPU time {sampled} s against wait4's {exact} s: {last}"
    );
    assert!(f64_of(&s, "cpu_percent_mean") > 0.0, "{s}");
}

/// A loop of short processes: the samples miss most of their context switches; wait4 has them all.
#[test]
fn context_switches_of_short_processes_are_wait4_s() {
    let _cpu = cpu_shared();
    let out = crate::util::denet()
        .args(["run", "-q", "--json", "--", "sh", "-c", "i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done"])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let s = last_summary(&out.stdout);
    let r = rusage(&s);
    for field in ["voluntary_ctx_switches", "involuntary_ctx_switches"] {
        assert!(u64_of(&s, field) >= u64_of(r, field), "{field}: the summary has wait4's figure: {s}");
        let sampled: Vec<&str> = s["sampled"].as_array().unwrap().iter().filter_map(|f| f.as_str()).collect();
        assert!(!sampled.contains(&field), "{field} is exact, not in `sampled`: {s}");
    }
    assert!(u64_of(&s, "voluntary_ctx_switches") >= 300, "the shell waits for each of 300 children: {s}");
}

/// `dd of=f; rm f`: the pages dirtied never reach storage, and the net write says so.
#[test]
fn a_file_deleted_before_writeback_is_a_cancelled_write() {
    let _cpu = cpu_shared();
    // Under target/, not /tmp: a tmpfs /tmp never reaches storage, so write_bytes would stay 0.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let f = dir.path().join("cancelled.bin");
    let script = format!("dd if=/dev/zero of={0} bs=1M count=50 2>/dev/null && rm {0}", f.display());
    let out =
        crate::util::denet().args(["run", "-q", "--json", "--", "sh", "-c", &script]).output().expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let s = last_summary(&out.stdout);
    let written = u64_of(&s, "write_bytes");
    if written < 50 * MIB {
        eprintln!("skipped: this file system does not account dirtied pages as write_bytes ({written}): {s}");
        return;
    }
    let cancelled = u64_of(&s, "cancelled_write_bytes");
    assert!(cancelled >= 50 * MIB, "cancelled_write_bytes {cancelled}, expected the 50 MiB rm dropped: {s}");
    assert!(written - cancelled < MIB, "net storage write {} B, expected under 1 MiB: {s}", written - cancelled);
}

/// The same in a bench run: the spawner reads the exited run's cancelled bytes, so each run shows
/// ~50 MiB cancelled and a net write of ~0.
#[test]
fn a_bench_run_that_deletes_its_file_before_writeback_has_a_net_write_of_zero() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let f = dir.path().join("cancelled.bin");
    let script = format!("sh -c 'dd if=/dev/zero of={0} bs=1M count=50 2>/dev/null && rm {0}'", f.display());
    let out = crate::util::denet()
        .args(["bench", "--runs", "2", "--style", "none", "--export-json", "-", &script])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    for m in doc["results"][0]["measurements"].as_array().expect("measurements") {
        let value = |metric: &str| m[metric]["value"].as_f64().unwrap_or_else(|| panic!("no {metric}: {m}"));
        if value("io_write_bytes") < (50 * MIB) as f64 {
            eprintln!("skipped: this file system does not account dirtied pages as write_bytes: {m}");
            return;
        }
        assert!(value("io_write_cancelled_bytes") >= (50 * MIB) as f64, "50 MiB cancelled expected: {m}");
        assert!(value("io_write_net_bytes") < MIB as f64, "a net write under 1 MiB expected: {m}");
    }
}
