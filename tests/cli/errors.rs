//! Bad input: each gets its documented exit code and a message that names the problem.

use std::process::Command;

use predicates::prelude::*;

use crate::util::{cpu_shared, denet, denet_path, records, workload};

#[test]
fn missing_command_exits_127() {
    let _cpu = cpu_shared();
    denet()
        .args(["run", "-q", "--", "nosuchcmd_xyz"])
        .assert()
        .code(127)
        .stderr(predicate::str::contains("denet: command not found: nosuchcmd_xyz"));
}

#[test]
fn not_executable_exits_126() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    // Written files are not executable (0644 under the usual umask); make sure.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    denet()
        .args(["run", "-q", "--"])
        .arg(&script)
        .assert()
        .code(126)
        .stderr(predicate::str::contains(script.to_str().unwrap()));
}

#[test]
fn attach_to_a_missing_pid_exits_1() {
    let _cpu = cpu_shared();
    denet().args(["attach", "-q", "4194000"]).assert().code(1).stderr(predicate::str::contains("4194000"));
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn attach_to_a_pid_we_may_not_read_exits_1() {
    let _cpu = cpu_shared();
    if !is_root() {
        eprintln!("skipped: needs root, to run denet as `nobody` and be refused PID 1");
        return;
    }
    let which = Command::new("which").arg("setpriv").output();
    if !which.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: setpriv is not installed (util-linux)");
        return;
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(denet_path())
        .args(["attach", "-q", "1"])
        .output()
        .expect("setpriv runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "as nobody, attach 1: {out:?}");
    assert!(stderr.contains("refused to let denet read /proc/1/"), "stderr: {stderr}");
    assert!(stderr.contains("run denet as the process owner or as root"), "stderr: {stderr}");
}

fn rejects_interval(args: &[&str]) {
    denet()
        .args(["run", "-q"])
        .args(args)
        .args(["--", "true"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("interval"));
}

#[test]
fn interval_zero_exits_2() {
    let _cpu = cpu_shared();
    rejects_interval(&["-i", "0"]);
}

#[test]
fn interval_negative_exits_2() {
    let _cpu = cpu_shared();
    rejects_interval(&["-i", "-5"]);
}

#[test]
fn interval_not_a_number_exits_2() {
    let _cpu = cpu_shared();
    rejects_interval(&["-i", "abc"]);
}

#[test]
fn interval_above_the_maximum_exits_2() {
    let _cpu = cpu_shared();
    rejects_interval(&["-i", "500", "-m", "100"]);
}

#[test]
fn closed_stdout_is_not_an_error() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    let out = Command::new("bash")
        .args(["-c", r#"set -o pipefail; "$0" run --json -- "$1" sleep 0.3 | head -1"#])
        .arg(denet_path())
        .arg(workload())
        .output()
        .expect("bash runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "denet's exit status through the pipe: {out:?}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1, "head -1 passes one line");
    assert_eq!(recs[0]["kind"], "metadata");
}

#[test]
fn stats_of_a_missing_file_exits_1() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("missing.jsonl");
    denet().arg("stats").arg(&file).assert().code(1).stderr(predicate::str::contains("missing.jsonl"));
}

#[test]
fn stats_of_an_empty_file_exits_1() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.jsonl");
    std::fs::write(&file, "").unwrap();
    denet().arg("stats").arg(&file).assert().code(1).stderr(predicate::str::contains("empty.jsonl"));
}

#[test]
fn stats_of_a_corrupt_file_names_the_line() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("corrupt.jsonl");
    let out = denet().args(["run", "-q", "--json", "--", "true"]).output().expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 3, "{text}");
    lines[1] = "{\"kind\":\"sample\",\"t\":";
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    denet()
        .arg("stats")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("corrupt.jsonl").and(predicate::str::contains("line 2")));
}

/// The monitor's flags belong to `run` and `attach`: elsewhere clap itself refuses them, by name.
#[test]
fn monitor_flags_are_refused_by_clap_where_they_do_not_apply() {
    for (args, flag) in [
        (&["-o", "x.jsonl", "bench", "true"][..], "'-o'"),
        (&["-i", "50", "bench", "true"][..], "'-i'"),
        (&["bench", "--json", "true"][..], "'--json'"),
        (&["bench", "--backend", "procfs", "true"][..], "'--backend'"),
        (&["compare", "-q", "a.json", "b.json"][..], "'-q'"),
    ] {
        let out = denet().args(args).output().expect("denet runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("unexpected argument") && err.contains(flag), "{args:?}: {err}");
    }
}

/// `denet bench --help` shows bench's options only, none of the monitor's.
#[test]
fn bench_help_shows_no_monitor_flag() {
    let out = denet().args(["bench", "--help"]).output().expect("denet runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--export-json"), "{help}");
    for flag in ["--json ", "--out <", "--quiet", "--env-record", "--backend", "--interval", "--max-interval"] {
        assert!(!help.contains(flag), "bench --help lists {flag}:\n{help}");
    }
}

/// `report`'s output file is its own option, with its own help.
#[test]
fn report_help_describes_its_output_file() {
    let out = denet().args(["report", "--help"]).output().expect("denet runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("-o, --out <FILE.html>") && help.contains("The HTML file to write"), "{help}");
    assert!(!help.contains("JSONL records"), "{help}");
}
