//! Hostile and careless cases: full and closed streams, and what each leaves behind. Each case checks
//! the exit code, the message's first line and the state of the files it touched.

use std::fs::OpenOptions;
use std::process::Stdio;

use std::process::Command;

use crate::util::{cpu_shared, denet_path};

fn denet() -> Command {
    Command::new(denet_path())
}

/// /dev/full: every write fails with ENOSPC (opened for writing only; nothing replaces it).
fn full() -> Stdio {
    Stdio::from(OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists on Linux"))
}

#[test]
fn a_full_stdout_is_an_error_with_its_reason_not_a_panic() {
    for args in [&["doctor"][..], &["doctor", "--json"], &["completions", "bash"], &["man"]] {
        let out = denet().args(args).stdout(full()).output().expect("denet runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().next(), Some("denet: cannot write to stdout: No space left on device (os error 28)"));
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_full_stderr_never_changes_the_exit_code_of_run() {
    let _cpu = cpu_shared();
    for (script, code) in [("echo hi", 0), ("exit 3", 3)] {
        let out = denet().args(["run", "--", "sh", "-c", script]).stderr(full()).output().expect("denet runs");
        assert_eq!(out.status.code(), Some(code), "{script}: {out:?}");
    }
}

#[test]
fn a_full_stderr_never_changes_the_exit_code_of_attach() {
    let _cpu = cpu_shared();
    let mut child = Command::new("sleep").arg("5").spawn().expect("sleep starts");
    let out =
        denet().args(["attach", "-d", "0.3", &child.id().to_string()]).stderr(full()).output().expect("denet runs");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}
