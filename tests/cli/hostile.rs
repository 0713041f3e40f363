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

/// A recording cut in the middle of a line (a full disk, a killed writer) is still read: the partial
/// line is named in a note and ignored.
#[test]
fn a_recording_cut_mid_line_is_read_with_a_note() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (rec, cut) = (dir.path().join("rec.jsonl"), dir.path().join("cut.jsonl"));
    let ok = denet().args(["run", "-q", "-o"]).arg(&rec).args(["--", "sleep", "0.2"]).status().unwrap();
    assert!(ok.success());
    let bytes = std::fs::read(&rec).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 40]).unwrap();
    for sub in ["stats", "report"] {
        let mut cmd = denet();
        cmd.arg(sub).arg(&cut);
        if sub == "report" {
            cmd.arg("-o").arg(dir.path().join("cut.html"));
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{sub}: {err}");
        assert!(err.contains("was cut off (no newline at the end): ignored"), "{sub}: {err}");
    }
    assert_eq!(std::fs::read(&cut).unwrap().len(), bytes.len() - 40, "the recording is left as it was");
}

/// `stats` on a results file says what the file is and which commands read it.
#[test]
fn stats_names_a_results_file_and_its_readers() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("b.json");
    let ok =
        denet().args(["bench", "-N", "--runs", "2", "--style", "none", "true", "--export-json"]).arg(&json).status();
    assert!(ok.unwrap().success());
    let out = denet().arg("stats").arg(&json).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("a JSON document, not a JSONL recording") && err.contains("denet report"), "{err}");
}

/// An endless input is refused after one bounded line, not read into memory.
#[test]
fn stats_refuses_an_endless_line() {
    let out = denet().args(["stats", "/dev/zero"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim(), "denet: /dev/zero: line 1 is longer than 64 MiB: not a denet recording");
}

/// Whether a process whose command line is exactly `cmdline` is alive (zombies aside).
fn running(cmdline: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().filter_map(Result::ok).any(|e| {
        let dir = e.path();
        let cmd = std::fs::read(dir.join("cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
        let zombie = stat.rsplit_once(") ").is_some_and(|(_, s)| s.starts_with('Z'));
        !zombie
            && cmd
                .split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a))
                .collect::<Vec<_>>()
                .join(" ")
                == cmdline
    })
}

/// `-d` stops the whole tree, also processes that ignore SIGTERM (they get SIGKILL after the grace).
#[test]
fn duration_stops_the_whole_tree_even_what_ignores_sigterm() {
    let _cpu = cpu_shared();
    let script = "trap '' TERM; sleep 61.234 & sleep 61.235; sleep 61.236";
    let started = std::time::Instant::now();
    let out = denet().args(["run", "-q", "-d", "0.5", "--", "sh", "-c", script]).output().unwrap();
    assert!(started.elapsed().as_secs_f64() < 10.0, "{out:?}");
    assert_eq!(out.status.code(), Some(137), "SIGKILL after the grace: {out:?}");
    for left in ["sleep 61.234", "sleep 61.235", "sleep 61.236"] {
        assert!(!running(left), "{left} outlived denet run -d");
    }
}

/// The command does not outlive a `denet run` killed by SIGKILL (which no handler can forward).
#[test]
fn the_command_dies_with_a_killed_denet() {
    let _cpu = cpu_shared();
    let mut denet_run = denet().args(["run", "-q", "--", "sleep", "62.345"]).spawn().unwrap();
    let appeared = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        running("sleep 62.345")
    });
    assert!(appeared, "the command started");
    denet_run.kill().unwrap();
    denet_run.wait().unwrap();
    let gone = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        !running("sleep 62.345")
    });
    assert!(gone, "the command outlived denet");
}

/// `denet bench --runs 2 --style none true` plus the given flags, which must succeed.
fn bench_ok(extra: &[&std::ffi::OsStr]) -> std::process::Output {
    let out = denet().args(["bench", "-N", "--runs", "2", "--style", "none", "true"]).args(extra).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    out
}

/// An export to a device is written through: the device stays a device (as root, `--export-json
/// /dev/null` once replaced /dev/null for the whole machine). A private node stands in for /dev/null.
#[test]
fn an_export_to_a_device_writes_through_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("null");
    let made = Command::new("mknod").arg(&node).args(["c", "1", "3"]).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mknod needs root (CAP_MKNOD)");
        return;
    }
    bench_ok(&["--export-json".as_ref(), node.as_os_str()]);
    assert!(std::fs::metadata(&node).unwrap().file_type().is_char_device(), "the device was replaced");
}

/// A FIFO gets the export once, at the end, and stays a FIFO.
#[test]
fn an_export_to_a_fifo_is_written_once_and_the_fifo_stays() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = Command::new("cat").arg(&fifo).stdout(Stdio::piped()).spawn().unwrap();
    let out = denet()
        .args(["bench", "-N", "--runs", "2", "--style", "none", "true", "false -h", "--export-csv"])
        .arg(&fifo)
        .args(["-i"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(reader.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(text.matches("command,").count(), 1, "one CSV, written once: {text}");
    assert_eq!(text.lines().count(), 3, "the header and both commands: {text}");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

/// A symlink stays a link and its target is replaced; an existing file keeps its mode and owner.
#[test]
fn an_export_keeps_links_modes_and_owners() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("results.json");
    std::fs::write(&target, "{}").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    // As root, give the file away: the export must keep its owner.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        std::os::unix::fs::chown(&target, Some(4321), Some(4321)).unwrap();
    }
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink("results.json", &link).unwrap();
    bench_ok(&["--export-json".as_ref(), link.as_os_str()]);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
    let meta = std::fs::metadata(&target).unwrap();
    assert!(std::fs::read_to_string(&target).unwrap().contains("\"schema_version\""));
    assert_eq!(meta.mode() & 0o777, 0o600, "the mode was not kept");
    if root {
        assert_eq!((meta.uid(), meta.gid()), (4321, 4321), "the owner was not kept");
    }
}

/// `--export-json /dev/stdout` prints the export instead of destroying the link.
#[test]
fn an_export_to_dev_stdout_prints_it() {
    let out = bench_ok(&["--export-json".as_ref(), "/dev/stdout".as_ref()]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
    assert_eq!(doc["schema_version"], 2);
}

/// `report -o -` writes the page to stdout, as bench's exports do with `-`, not to a file named `-`.
#[test]
fn report_to_dash_is_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("b.json");
    bench_ok(&["--export-json".as_ref(), json.as_os_str()]);
    let out = denet().arg("report").arg(&json).args(["-o", "-"]).current_dir(dir.path()).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("<!DOCTYPE html>"));
    assert!(!dir.path().join("-").exists(), "a file named '-' was written");
}

/// As root, a refused /proc file is named, and the advice is not "run as root".
#[test]
fn attach_as_root_names_what_was_refused() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root");
        return;
    }
    let out = denet().args(["attach", "-q", "-d", "0.2", "1"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        eprintln!("skipped: this kernel lets root read PID 1's files");
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("denet: cannot monitor PID 1: the kernel refused to let denet read /proc/1/"), "{err}");
    assert!(!err.contains("as root)") && !err.contains("or as root"), "root is told to be root: {err}");
}

/// A tiny descriptor limit is named in the message, not a bare "Too many open files".
#[test]
fn a_tiny_open_files_limit_is_named() {
    let out = Command::new("sh")
        .args(["-c", "ulimit -n 5 && exec \"$0\" bench -N --runs 2 true"])
        .arg(crate::util::denet_path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("(open files limit: 5)"), "{err}");
}

/// Under TERM=dumb the live status line never uses `ESC[K` (a dumb terminal cannot erase a line).
#[test]
fn a_dumb_terminal_gets_no_escape_codes() {
    let Ok(out) = Command::new("script")
        .args(["-qec"])
        .arg(format!("{} run -- sleep 1.3", crate::util::denet_path().display()))
        .arg("/dev/null")
        .env("TERM", "dumb")
        .output()
    else {
        eprintln!("skipped: script(1) from util-linux is needed for a pseudo-terminal");
        return;
    };
    assert!(out.status.success(), "{out:?}");
    assert!(!out.stdout.contains(&0x1b), "escape codes under TERM=dumb: {:?}", String::from_utf8_lossy(&out.stdout));
}

/// Two results files of `true` (named `name` when given) in `dir`, compared with `threshold`:
/// stdout (the terminal table, then the Markdown) and the JUnit file.
fn compare_two_runs_of_true(dir: &std::path::Path, name: Option<&str>, threshold: &str) -> (String, String) {
    for file in ["base.json", "cur.json"] {
        let mut cmd = denet();
        cmd.args(["bench", "-N", "--runs", "3", "--style", "none"]);
        if let Some(n) = name {
            cmd.args(["-n", n]);
        }
        let out = cmd.args(["true", "--export-json"]).arg(dir.join(file)).output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let junit = dir.join("j.xml");
    let out = denet()
        .arg("compare")
        .args([dir.join("base.json"), dir.join("cur.json")])
        .args(["--threshold", threshold, "--export-markdown", "-", "--export-junit"])
        .arg(&junit)
        .output()
        .unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), std::fs::read_to_string(&junit).unwrap())
}

/// `text` parses as XML to its end and holds no character XML 1.0 forbids.
fn assert_xml(text: &str) {
    assert!(!text.chars().any(|c| c < ' ' && !"\t\n\r".contains(c)), "a control character XML forbids: {text}");
    let mut reader = quick_xml::Reader::from_str(text);
    while !matches!(reader.read_event().expect("well-formed XML"), quick_xml::events::Event::Eof) {}
}

/// Names reach PR comments and CI reports: no Markdown injection (links, images, HTML, a closed
/// code span), and JUnit stays parseable XML with control characters in a name.
#[test]
fn names_cannot_inject_markdown_or_break_junit() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let evil = "x``y <img src=x onerror=alert(6)> [click](javascript:alert(7)) \u{1}\u{1b}[31m";
    let (stdout, junit) = compare_two_runs_of_true(dir.path(), Some(evil), "time_wall_clock=1000%");
    // The terminal table comes first; the Markdown starts at its heading.
    let md = &stdout[stdout.find("### denet:").expect("the Markdown report")..];
    // The name is shown, literally, in a code span fenced past its own backticks; nothing else of it
    // is outside a code span, and its control characters are gone.
    let span = "```x``y <img src=x onerror=alert(6)> [click](javascript:alert(7)) \u{FFFD}\u{FFFD}[31m```";
    assert!(md.contains(span), "{md}");
    let outside = md.replace(span, "");
    assert!(!outside.contains("<img") && !outside.contains("](javascript"), "raw HTML or a link got through: {md}");
    assert_xml(&junit);
}

/// Every chart stays parseable XML when a name holds characters XML forbids.
#[test]
fn charts_stay_xml_with_control_characters_in_names() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let out = denet()
        .args(["bench", "-N", "--runs", "3", "--style", "none", "-n", "a\u{1}\u{2}\u{1b}b", "true", "--export-svg"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut charts = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        assert_xml(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        charts += 1;
    }
    assert!(charts > 0, "no chart was written");
}

/// A zero baseline has no percentage change: every report shows the absolute change, never NaN.
#[test]
fn a_zero_baseline_prints_an_absolute_change_not_nan() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (stdout, junit) = compare_two_runs_of_true(dir.path(), None, "page_faults_major=5%");
    let text = stdout + &junit;
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
    assert!(text.contains("+0 (from 0)"), "a count of zero, with no decimals: {text}");
}

/// Paths no file can have are refused before the first run, not after the benchmark.
#[test]
fn impossible_export_paths_are_refused_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let long = "a".repeat(300);
    for (flag, value, why) in [
        ("--export-json", String::new(), "an empty path"),
        ("--export-csv", dir.path().join(&long).display().to_string(), "a file name of 300 bytes"),
        ("--save-baseline", long.clone(), "a file name of 305 bytes"),
    ] {
        let out = denet()
            .args(["bench", "-N", "--runs", "1", "--style", "none", "--setup", "touch ran", "true", flag, &value])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{flag}: {err}");
        assert!(err.contains(why), "{flag}: {err}");
        assert!(!dir.path().join("ran").exists(), "{flag}: the benchmark ran before the refusal");
    }
}

/// `bench > /dev/full`: the report cannot be written, so the exit code says so (1, after the
/// export files are written: nothing measured is lost).
#[test]
fn bench_to_a_full_stdout_fails_after_writing_its_files() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = denet()
        .args(["bench", "--runs", "3", "sleep 0.01", "--export-json"])
        .arg(&json)
        .stdout(full())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.lines().last(),
        Some("Error: cannot write the report to stdout: No space left on device (os error 28)")
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["results"][0]["measurements"].as_array().map(Vec::len), Some(3), "{doc}");
}

/// A closed stdout (`denet bench ... | head -1`) is not a failure: the benchmark and its files go on.
#[test]
fn bench_to_a_closed_stdout_still_succeeds() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let mut child = denet()
        .args(["bench", "-N", "--runs", "2", "true", "true -h", "--export-json"])
        .arg(&json)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(2), "{doc}");
}

/// denet bench started in its own process group; `signal` is sent once `marker` exists (the
/// benchmark reached the phase under test); returns the exit code.
fn bench_interrupted_at(dir: &std::path::Path, args: &[&str], marker: &str, signal: i32) -> Option<i32> {
    use std::os::unix::process::CommandExt;
    let mut child = denet()
        .arg("bench")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !dir.join(marker).exists() {
        assert!(child.try_wait().unwrap().is_none(), "denet ended before {marker} appeared");
        assert!(std::time::Instant::now() < deadline, "{marker} did not appear in 30 s");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SAFETY: kill has no memory effects; the PID is our child's, not yet reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    let status = child.wait().unwrap();
    status.code()
}

/// Ctrl-C (or SIGTERM) before the first run ends, or during `--setup`: the stale files are replaced
/// by the results so far (the command, with no runs, `"complete": false`; empty CSV cells), exit 130.
#[test]
fn an_interrupt_before_the_first_run_ends_replaces_stale_exports() {
    let _cpu = cpu_shared();
    for (signal, extra, command) in
        [(libc::SIGINT, None, "touch began && sleep 30"), (libc::SIGTERM, Some("touch began && sleep 30"), "sleep 0.1")]
    {
        let dir = tempfile::tempdir().unwrap();
        for stale in ["s.json", "s.csv"] {
            std::fs::write(dir.path().join(stale), "{\"stale\":true}\n").unwrap();
        }
        let mut args =
            vec!["--shell=sh", "--runs", "3", "--export-json", "s.json", "--export-csv", "s.csv", "-n", "cut"];
        if let Some(setup) = extra {
            args.extend(["--setup", setup]);
        }
        args.push(command);
        let code = bench_interrupted_at(dir.path(), &args, "began", signal);
        assert_eq!(code, Some(130), "signal {signal}");
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).expect("whole JSON");
        let r = &doc["results"][0];
        assert_eq!((r["command"].as_str(), r["name"].as_str()), (Some(command), Some("cut")), "{doc}");
        assert_eq!(r["measurements"].as_array().map(Vec::len), Some(0), "{doc}");
        assert_eq!(r["complete"], false, "{doc}");
        let csv = std::fs::read_to_string(dir.path().join("s.csv")).unwrap();
        let row = csv.lines().nth(1).expect("a row for the interrupted command");
        assert!(row.starts_with("cut,") && row.contains(",,,,,"), "empty cells: {csv}");
    }
}

/// After Ctrl-C, `--export-junit` still holds the check of the benchmarks that finished.
#[test]
fn junit_is_written_after_an_interrupt() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--shell=sh",
        "--runs",
        "3",
        "--threshold",
        "time_wall_clock=1000%",
        "--export-junit",
        "j.xml",
        "sleep 0.01",
        "sleep 0.02",
        "touch began && sleep 30",
    ];
    assert_eq!(bench_interrupted_at(dir.path(), &args, "began", libc::SIGINT), Some(130));
    let junit = std::fs::read_to_string(dir.path().join("j.xml")).expect("the JUnit file");
    assert_xml(&junit);
    assert!(junit.contains("<testsuite name=\"sleep 0.02\""), "{junit}");
    assert!(!junit.contains("began"), "the interrupted command is not judged: {junit}");
}

/// Two outputs to one place are refused before anything runs, naming both flags.
#[test]
fn two_exports_to_one_place_are_refused_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    for (flags, first_line) in [
        (
            &["--export-json", "same", "--export-csv", "./same"][..],
            "Error: invalid --export-csv './same': --export-json writes to the same file: give each export its own file",
        ),
        (
            &["--export-json", "-", "--export-csv", "-"],
            "Error: invalid --export-csv '-': --export-json writes to stdout too: give one of them a file",
        ),
        (
            &["--export-markdown", "-", "--export-json", "/dev/stdout"],
            "Error: invalid --export-markdown '-': --export-json writes to stdout too: give one of them a file",
        ),
        (
            &["--export-html", "same", "--export-json", "same"],
            "Error: invalid --export-html 'same': --export-json writes to the same file: give each export its own file",
        ),
    ] {
        let out = denet()
            .args(["bench", "--runs", "1", "--setup", "touch ran", "true"])
            .args(flags)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flags:?}: {err}");
        assert_eq!(err.lines().next(), Some(first_line), "{flags:?}");
        assert!(out.stdout.is_empty(), "{flags:?}");
        assert!(!dir.path().join("ran").exists() && !dir.path().join("same").exists(), "{flags:?}: it ran");
    }
}

/// With an export on stdout, the human report goes to stderr: stdout is the export alone.
#[test]
fn an_export_on_stdout_keeps_stdout_clean_for_jq() {
    let _cpu = cpu_shared();
    let out = denet()
        .args([
            "bench",
            "-N",
            "--runs",
            "2",
            "true",
            "true -h",
            "--export-json",
            "-",
            "--threshold",
            "time_wall_clock=1000%",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(2));
    assert!(err.contains("Benchmark 1: true") && err.contains("Against the first command:"), "{err}");
}

/// `compare` and `report` never read an endless input into memory: the file and the limit are named.
#[test]
fn results_readers_refuse_endless_inputs() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    bench_ok(&["--export-json".as_ref(), dir.path().join("a.json").as_os_str()]);
    let html = dir.path().join("x.html");
    let cases: [(&str, String, i32); 4] = [
        ("compare a.json /dev/zero", "denet: /dev/zero: not valid JSON (expected value at line 1 column 1)".into(), 2),
        (
            "report /dev/zero -o x.html",
            "denet: /dev/zero: not valid JSON (expected value at line 1 column 1)".into(),
            2,
        ),
        // An endless blank input: read up to the limit, then refused.
        (
            "compare a.json /dev/stdin",
            "denet: /dev/stdin: larger than 256 MiB: not a results file denet reads".into(),
            2,
        ),
        (
            "report /dev/stdin -o x.html",
            "denet: /dev/stdin: larger than 256 MiB: not a results file denet reads".into(),
            2,
        ),
    ];
    for (args, first_line, code) in cases {
        let out = Command::new("sh")
            .args(["-c", &format!("yes '' | \"$0\" {args}")])
            .arg(denet_path())
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args}: {err}");
        assert_eq!(err.lines().next(), Some(first_line.as_str()), "{args}");
        assert!(!html.exists(), "{args}: a report was written");
    }
}

/// Tiny entries repeated without end (`{},` is a run) are refused at a number of runs, so memory
/// stays bounded however small each entry is (an endless list of empty results once took 2.1 GB).
#[test]
fn endless_lists_of_tiny_entries_are_refused() {
    let _cpu = cpu_shared();
    for (head, entry) in [
        (r#"{"schema_version":2,"results":["#, r#"{"command":"x","measurements":[]},"#),
        (r#"{"schema_version":2,"results":[{"command":"x","measurements":["#, "{},"),
    ] {
        let out = Command::new("sh")
            .args(["-c", "(printf '%s' \"$1\"; yes \"$2\") | \"$0\" compare /dev/stdin /dev/stdin"])
            .args([denet_path().as_os_str(), head.as_ref(), entry.as_ref()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{entry}: {err}");
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(
                "denet: /dev/stdin: cannot read the results: more than 2000000 runs: not a results file denet reads"
            ),
            "{entry}: {err}"
        );
    }
}

/// `compare` refuses values no run can have, naming the file, the result, the run and the metric.
#[test]
fn compare_refuses_impossible_values() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("a.json");
    bench_ok(&["--export-json".as_ref(), good.as_os_str()]);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    for (metric, value) in [("time_wall_clock", -1.0), ("memory_peak_resident", -5.0), ("page_faults_minor", -2.0)] {
        let mut bad = doc.clone();
        bad["results"][0]["measurements"][1][metric]["value"] = serde_json::json!(value);
        let path = dir.path().join("bad.json");
        std::fs::write(&path, serde_json::to_vec(&bad).unwrap()).unwrap();
        let out = denet().arg("compare").arg(&good).arg(&path).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{metric}: {err}");
        let expected = format!(
            "denet: {}: result 1 ('true'), run 2: {metric} is {value}: no run can measure that",
            path.display()
        );
        assert_eq!(err.lines().next(), Some(expected.as_str()));
        assert!(out.stdout.is_empty(), "{metric}: a comparison was printed");
    }
}

/// Many short benchmarks: the files are rewritten on a time budget, not after each, and the last
/// write still holds every result.
#[test]
fn many_benchmarks_all_reach_the_export() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let csv = dir.path().join("r.csv");
    let commands: Vec<String> = (0..60).map(|i| format!("true {i}")).collect();
    let out = denet()
        .args(["bench", "-N", "--runs", "1", "--style", "none"])
        .args(&commands)
        .arg("--export-json")
        .arg(&json)
        .arg("--export-csv")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let names: Vec<&str> = doc["results"].as_array().unwrap().iter().filter_map(|r| r["command"].as_str()).collect();
    assert_eq!(names, commands.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 61);
}

/// A results file exported after Ctrl-C holds a command with no runs: `compare` and `report` read
/// it, the command is named in a note and not checked (it once panicked: "describe needs at least
/// one value").
#[test]
fn results_with_a_command_without_runs_are_compared_and_reported() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.json");
    let out = denet()
        .args(["bench", "-N", "--runs", "2", "--style", "none", "true", "true -h", "--export-json"])
        .arg(&full)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&full).unwrap()).unwrap();
    doc["results"][1]["measurements"] = serde_json::json!([]);
    doc["results"][1]["complete"] = serde_json::json!(false);
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = denet().arg("compare").arg(&full).arg(&cut).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        stdout.contains(
            "note: 'true -h' has no runs in the current results (cut short before its first run ended): not checked"
        ),
        "{stdout}"
    );
    let html = dir.path().join("cut.html");
    let out = denet().arg("report").arg(&cut).arg("-o").arg(&html).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(std::fs::read_to_string(&html).unwrap().starts_with("<!DOCTYPE html>"));
}

/// An export on a full stdout is an error that says what could not be written.
#[test]
fn an_export_on_a_full_stdout_is_an_error() {
    let _cpu = cpu_shared();
    let out =
        denet().args(["bench", "-N", "--runs", "1", "true", "--export-json", "-"]).stdout(full()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.lines().last(),
        Some("Error: cannot write the export to stdout: No space left on device (os error 28)")
    );
}
