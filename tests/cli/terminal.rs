//! What a person sees in a terminal: run under a pseudo-terminal (`script`) of a given width.

use std::process::Command;

use crate::util::{cpu_shared, denet_path};

/// The bytes written to a pseudo-terminal of `cols` columns by `args` (a shell command line),
/// or None (with the reason printed) when `script` is not installed.
fn in_pty(cols: u16, env: &str, args: &str) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed, so there is no pseudo-terminal");
        return None;
    }
    let line = format!("stty cols {cols} rows 40; {env} {} {args}", denet_path().display());
    let out = Command::new("script").args(["-qec", &line, "/dev/null"]).output().unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What each screen line shows after `\r` redraws, colour codes stripped.
fn segments(raw: &str) -> Vec<String> {
    let plain = console::strip_ansi_codes(raw).replace("\x1b[K", "");
    plain.split(['\r', '\n']).map(str::to_string).collect()
}

fn is_status(s: &str) -> bool {
    s.starts_with("denet ") && s.contains("CPU ")
}

#[test]
fn run_draws_no_status_line_where_the_command_writes() {
    let _cpu = cpu_shared();
    let script = "-i 10 -m 10 -- sh -c 'for i in 1 2 3 4 5; do printf \"child line %s\\n\" $i; sleep 0.05; done'";
    let Some(raw) = in_pty(80, "", &format!("run {script}")) else { return };
    let segs = segments(&raw);
    assert_eq!(segs.iter().filter(|s| s.contains("child line")).count(), 5, "{raw:?}");
    for s in &segs {
        assert!(!(is_status(s) || s.contains("child line") && s.contains("CPU")), "status beside output: {raw:?}");
    }
}

#[test]
fn silent_run_status_line_fits_80_columns_and_is_erased() {
    let _cpu = cpu_shared();
    for cols in [80usize, 160] {
        let Some(raw) = in_pty(cols as u16, "", "run -s -i 10 -m 10 -- sleep 0.4") else { return };
        let segs = segments(&raw);
        let status: Vec<&String> = segs.iter().filter(|s| is_status(s)).collect();
        assert!(status.len() > 3, "no live status line at {cols} columns: {raw:?}");
        for s in segments(&raw) {
            assert!(s.chars().count() < cols, "{} columns at width {cols}: {s:?}", s.chars().count());
        }
        // The last status line is erased before the summary table.
        let last = raw.rfind("denet ").unwrap();
        let table = raw.find("Metric").unwrap();
        assert!(last < table && raw[last..table].contains("\r\x1b[K"), "not erased: {raw:?}");
    }
    // Wider terminals show more fields.
    let narrow = in_pty(80, "", "run -s -- sleep 0.3").unwrap();
    assert!(!segments(&narrow).iter().any(|s| is_status(s) && s.contains("write")), "{narrow:?}");
}

/// `stats` and the recording's report say what was recorded; `attach` what it attached to; `report` where it wrote.
#[test]
fn recordings_say_what_was_recorded() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    crate::util::denet().args(["run", "-q", "-o"]).arg(&rec).args(["--", "sleep", "0.1"]).assert().success();
    let out = crate::util::denet().arg("stats").arg(&rec).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Command") && table.contains("sleep 0.1") && table.contains("Started"), "{table}");
    let html = dir.path().join("r.html");
    let out = crate::util::denet().arg("report").arg(&rec).arg("-o").arg(&html).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("denet: wrote {}", html.display())), "{said}");
    assert!(std::fs::read_to_string(&html).unwrap().contains("sleep 0.1"), "the report does not name the command");

    let mut sleeper = Command::new("sleep").arg("5").spawn().unwrap();
    let out = crate::util::denet().args(["attach", "-d", "0.3"]).arg(sleeper.id().to_string()).output().unwrap();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("denet: attached to PID {} (sleep 5)", sleeper.id())), "{said}");
}
