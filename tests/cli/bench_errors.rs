//! `denet bench` on bad input, failing commands and hooks, and Ctrl-C.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::util::{cpu_shared, denet, denet_path, workload};

/// `denet bench ARGS...` refused as hyperfine refuses it: exit code 1 and `Error: ` with a message holding `needle`.
pub fn usage_error(args: &[&str], needle: &str) {
    denet()
        .arg("bench")
        .args(args)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::starts_with("Error: ").and(predicate::str::contains(needle)));
}

/// A file that commands append to, to prove whether anything ran.
pub fn log_in(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("ran.log");
    let echo = format!("echo ran >> {}", shell_words::quote(path.to_str().unwrap()));
    (path, echo)
}

#[test]
fn unknown_command_fails_to_run_and_exits_1() {
    let _cpu = cpu_shared();
    denet()
        .args(["bench", "-N", "--style", "none", "nosuch_cmd_xyz"])
        .assert()
        .code(1)
        .stderr("Error: Failed to run command 'nosuch_cmd_xyz': No such file or directory (os error 2)\n");
}

#[test]
fn a_failing_command_is_named_by_its_command_line() {
    let _cpu = cpu_shared();
    denet()
        .args(["bench", "-N", "--style", "none", "-r", "1", "-n", "named", "-L", "s", "0,1", "test {s} -eq 0"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "Error: Command 'test 1 -eq 0' terminated with non-zero exit code 1 in the first benchmark run. \
             Use the '-i'/'--ignore-failure' option",
        ));
}

#[test]
fn failing_command_exits_1_and_suggests_ignore_failure() {
    let _cpu = cpu_shared();
    denet()
        .args(["bench", "-N", "--style", "none", "--runs", "2", "sh -c 'exit 3'"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("non-zero exit code 3").and(predicate::str::contains("-i")));
}

#[test]
fn ignore_failure_accepts_any_non_zero_exit() {
    let _cpu = cpu_shared();
    denet().args(["bench", "-N", "--style", "none", "--runs", "2", "-i", "sh -c 'exit 3'"]).assert().success();
}

#[test]
fn ignore_failure_with_the_code_accepts_it() {
    let _cpu = cpu_shared();
    denet()
        .args(["bench", "-N", "--style", "none", "--runs", "2", "--ignore-failure=3", "sh -c 'exit 3'"])
        .assert()
        .success();
}

#[test]
fn ignore_failure_with_another_code_fails() {
    let _cpu = cpu_shared();
    denet()
        .args(["bench", "-N", "--style", "none", "--runs", "2", "--ignore-failure=4", "sh -c 'exit 3'"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("non-zero exit code 3"));
}

#[test]
fn two_prepares_for_three_commands_is_a_usage_error() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (log, echo) = log_in(dir.path());
    usage_error(
        &["-S", "--prepare", &echo, "--prepare", &echo, &echo, &echo, &echo],
        "The '--prepare' option has to be provided just once or N times, where N=3 is the number of benchmark commands.",
    );
    assert!(!log.exists(), "something ran before the error");
}

#[test]
fn two_concludes_for_three_commands_is_a_usage_error() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (log, echo) = log_in(dir.path());
    usage_error(
        &["-S", "--conclude", &echo, "--conclude", &echo, &echo, &echo, &echo],
        "The '--conclude' option has to be",
    );
    assert!(!log.exists(), "something ran before the error");
}

#[test]
fn three_command_names_for_two_commands_is_a_usage_error() {
    let _cpu = cpu_shared();
    usage_error(
        &["-N", "-n", "a", "-n", "b", "-n", "c", "true", "true"],
        "Too many --command-name options: Expected 2 at most",
    );
    usage_error(
        &["-N", "-n", "a", "-n", "b", "-n", "c", "-L", "x", "1,2", "echo {x}"],
        "'--command-name' has been specified 3 times. It has to appear exactly once, or exactly 2 times",
    );
}

#[test]
fn duplicate_parameter_names_are_a_usage_error() {
    let _cpu = cpu_shared();
    usage_error(&["-N", "-L", "x", "1,2", "-L", "x", "3", "echo {x}"], "Duplicate parameter names: x");
}

#[test]
fn inverted_parameter_range_is_a_usage_error() {
    let _cpu = cpu_shared();
    usage_error(&["-N", "-P", "n", "5", "1", "echo {n}"], "Empty parameter range");
}

#[test]
fn zero_parameter_step_is_a_usage_error() {
    let _cpu = cpu_shared();
    usage_error(&["-N", "-P", "n", "1", "5", "-D", "0", "echo {n}"], "Zero is not a valid parameter step");
}

#[test]
fn negative_parameter_step_is_a_usage_error() {
    let _cpu = cpu_shared();
    usage_error(&["-N", "-P", "n", "1", "5", "-D", "-1", "echo {n}"], "Parameter step size must be positive");
    usage_error(
        &["-N", "-P", "n", "0", "1", "--parameter-step-size=-0.5", "echo {n}"],
        "Parameter step size must be positive",
    );
}

#[test]
fn non_integer_range_without_a_step_is_a_usage_error() {
    let _cpu = cpu_shared();
    usage_error(&["-N", "-P", "n", "0.5", "1", "echo {n}"], "'-D/--parameter-step-size <DELTA>'");
}

#[test]
fn export_to_a_missing_directory_fails_before_anything_runs() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (log, echo) = log_in(dir.path());
    let sh_echo = format!("sh -c {}", shell_words::quote(&echo));
    usage_error(
        &["-N", "--runs", "1", "--setup", &echo, "--export-json", "/nonexistent/dir/x.json", &sh_echo],
        "/nonexistent/dir/x.json",
    );
    assert!(!log.exists(), "the setup or the command ran before the export path was refused");
}

#[test]
fn missing_input_file_is_a_usage_error() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (log, echo) = log_in(dir.path());
    usage_error(
        &["-S", "--runs", "1", "--input", "/nonexistent", &echo],
        "The file '/nonexistent' specified as '--input' does not exist",
    );
    assert!(!log.exists(), "the command ran before the input file was refused");
}

#[test]
fn unknown_metric_is_a_usage_error_listing_the_known_ones() {
    let _cpu = cpu_shared();
    denet().args(["bench", "-N", "--metrics", "bogus", "true"]).assert().code(1).stderr(
        predicate::str::starts_with("Error: Unknown metric 'bogus'. Expected one of: ")
            .and(predicate::str::contains("time_wall_clock"))
            .and(predicate::str::contains("memory_peak_resident")),
    );
}

#[test]
fn failing_prepare_exits_1() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (log, echo) = log_in(dir.path());
    denet()
        .args(["bench", "-S", "--style", "none", "--runs", "2", "--prepare", "exit 1", &echo])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "Error: The preparation command failed: Command 'exit 1' terminated with non-zero exit code 1 in \
             the first benchmark run. Use the '--show-output' option to debug what went wrong. Append ' || true' \
             to the command if this failure can be ignored.",
        ));
    assert!(!log.exists(), "the command ran although its preparation failed");
}

// ---- Ctrl-C ----

/// One process as /proc shows it.
struct Proc {
    ppid: u32,
    state: char,
    start: u64,
}

/// `/proc/PID/stat`: parent, state and start time (after the command name, which may hold spaces).
fn stat(pid: u32) -> Option<Proc> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields 3 (state), 4 (ppid) and 22 (starttime) of proc(5).
    Some(Proc { state: f.first()?.chars().next()?, ppid: f.get(1)?.parse().ok()?, start: f.get(19)?.parse().ok()? })
}

fn argv0(pid: u32) -> Option<String> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let first = cmdline.split(|&b| b == 0).next()?;
    Some(String::from_utf8_lossy(first).into_owned())
}

/// The workload processes below `root`, with their start times (to tell them from a reused PID).
fn workloads_below(root: u32) -> Vec<(u32, u64)> {
    let mut procs: HashMap<u32, Proc> = HashMap::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) {
            if let Some(p) = stat(pid) {
                procs.insert(pid, p);
            }
        }
    }
    let below = |mut pid: u32| {
        while let Some(p) = procs.get(&pid) {
            if p.ppid == root {
                return true;
            }
            pid = p.ppid;
        }
        false
    };
    let exe = workload().to_string_lossy().into_owned();
    let mut found: Vec<(u32, u64)> = procs
        .iter()
        .filter(|(&pid, p)| p.state != 'Z' && below(pid) && argv0(pid).as_deref() == Some(exe.as_str()))
        .map(|(&pid, p)| (pid, p.start))
        .collect();
    found.sort();
    found
}

/// denet and the workloads it started: killed and reaped if the test fails half-way.
struct Running {
    denet: Child,
    workloads: Vec<(u32, u64)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for &(pid, start) in &self.workloads {
            if stat(pid).is_some_and(|p| p.start == start) {
                // SAFETY: kill has no memory effects; the PID is the workload's (same start time).
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        }
        if let Ok(None) = self.denet.try_wait() {
            // SAFETY: as above; denet (not yet reaped) leads its own process group, its spawner included.
            unsafe { libc::kill(-(self.denet.id() as libc::pid_t), libc::SIGKILL) };
            let _ = self.denet.wait();
        }
    }
}

#[test]
fn ctrl_c_exports_the_finished_benchmark_and_kills_the_running_tree() {
    let _cpu = cpu_shared();
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let tree = format!("{} tree 2 30", shell_words::quote(workload().to_str().unwrap()));
    let child = Command::new(denet_path())
        .args(["bench", "-N", "--runs", "3", "--style", "none", "--export-json"])
        .arg(&json)
        .args(["sleep 0.05", tree.as_str()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("denet starts");
    let mut run = Running { denet: child, workloads: Vec::new() };
    let pid = run.denet.id();

    // Wait for the second benchmark's tree: `workload tree` and its two `workload sleep` children.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        run.workloads = workloads_below(pid);
        if run.workloads.len() == 3 {
            break;
        }
        assert!(run.denet.try_wait().unwrap().is_none(), "denet ended before the tree started");
        assert!(Instant::now() < deadline, "no tree of 3 workload processes after 20 s: {:?}", run.workloads);
        std::thread::sleep(Duration::from_millis(5));
    }

    // SAFETY: kill has no memory effects; the PID is our child's, not yet reaped.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = run.denet.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "denet still running 20 s after SIGINT");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(status.code(), Some(130), "{status:?}");

    let text = std::fs::read_to_string(&json).expect("the JSON export exists after Ctrl-C");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("the export is whole JSON");
    let rs = doc["results"].as_array().expect("results");
    assert_eq!(rs.len(), 2, "the finished benchmark and the interrupted one: {doc}");
    assert_eq!(rs[0]["command"], "sleep 0.05", "{doc}");
    assert_eq!(rs[0]["measurements"].as_array().map(Vec::len), Some(3), "{doc}");
    assert_eq!(rs[0]["complete"], true, "{doc}");
    // Cut short in its first run: exported with no runs.
    assert_eq!(rs[1]["measurements"].as_array().map(Vec::len), Some(0), "{doc}");
    assert_eq!(rs[1]["complete"], false, "{doc}");

    let alive: Vec<u32> = run
        .workloads
        .iter()
        .filter(|&&(p, start)| stat(p).is_some_and(|s| s.start == start && s.state != 'Z'))
        .map(|&(p, _)| p)
        .collect();
    assert!(alive.is_empty(), "workload processes still running after denet exited: {alive:?}");
    let left: Vec<u32> = run
        .workloads
        .iter()
        .filter(|&&(p, start)| stat(p).is_some_and(|s| s.start == start))
        .map(|&(p, _)| p)
        .collect();
    assert!(left.is_empty(), "workload processes killed but left unreaped (zombies) after denet exited: {left:?}");
}
