//! `denet attach` to processes the test starts.

use std::process::{Command, Stdio};

use crate::util::{cpu_shared, denet, last_summary, u64_of, workload, Tree};

#[test]
fn attach_sees_the_whole_tree() {
    let _cpu = cpu_shared();
    let tree = Tree::spawn(Command::new(workload()).args(["tree", "2", "3"]).stdin(Stdio::null()));
    let out = denet()
        .args(["attach", "-q", "--json", &tree.pid().to_string(), "--duration", "1"])
        .output()
        .expect("denet runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let s = last_summary(&out.stdout);
    assert_eq!(u64_of(&s, "processes_peak"), 3, "a parent and two children: {s}");
    assert!(s.get("rusage").is_none(), "attach cannot wait4 a process it did not start: {s}");
}

#[test]
fn attach_ends_when_the_process_exits() {
    let _cpu = cpu_shared();
    let mut child = Command::new(workload()).args(["sleep", "0.5"]).stdin(Stdio::null()).spawn().expect("spawn");
    let pid = child.id();
    // Reap it as a shell would; an unreaped zombie would still be in /proc.
    let reaper = std::thread::spawn(move || child.wait());
    let out = denet().args(["attach", "-q", "--json", &pid.to_string()]).output().expect("denet runs");
    assert!(reaper.join().unwrap().unwrap().success());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let s = last_summary(&out.stdout);
    assert_eq!(u64_of(&s, "processes_peak"), 1, "{s}");
}

#[test]
fn attach_ends_when_the_process_exits_before_it_is_reaped() {
    let _cpu = cpu_shared();
    // Our child stays a zombie until we reap it after denet is done: it has exited, so denet must stop.
    // --duration 5 bounds the test if it does not; ending well before that means it saw the exit.
    let mut child = Command::new(workload()).args(["sleep", "0.5"]).stdin(Stdio::null()).spawn().expect("spawn");
    let out = denet()
        .args(["attach", "-q", "--json", &child.id().to_string(), "--duration", "5"])
        .output()
        .expect("denet runs");
    assert!(child.wait().unwrap().success());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let s = last_summary(&out.stdout);
    let d = crate::util::f64_of(&s, "duration_s");
    assert!(d < 4.0, "attach ran {d} s, to its --duration limit, after a 0.5 s process had exited (unreaped): {s}");
}
