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

/// A segment that `denet bench`'s progress line drew (`Benchmark 1/2: ...`; a block's title has no `/2`).
fn is_progress(s: &str) -> bool {
    s.split("Benchmark ").skip(1).any(|rest| {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with('/')
    })
}

/// Every progress line is erased (a segment of spaces only) before anything else is written, and
/// none is left at the end; returns the progress segments.
fn progress_never_stale(raw: &str) -> Vec<String> {
    let segs: Vec<String> = console::strip_ansi_codes(raw).split('\r').map(str::to_string).collect();
    let mut dirty = false;
    for s in &segs {
        if is_progress(s) {
            dirty = true;
        } else if s.trim().is_empty() && !s.contains('\n') {
            dirty &= s.is_empty();
        } else {
            assert!(!dirty, "written over a progress line that was not erased: {s:?} in {raw:?}");
        }
    }
    assert!(!dirty, "a progress line is left at the end: {raw:?}");
    segs.into_iter().filter(|s| is_progress(s)).collect()
}

/// The bytes of `args` under a pseudo-terminal, with `denet` run from a scratch directory.
fn bench_in_pty(cols: u16, env: &str, args: &str) -> Option<String> {
    in_pty(cols, env, &format!("bench {args}"))
}

#[test]
fn bench_fits_80_columns_and_its_progress_is_never_stale() {
    let _cpu = cpu_shared();
    let args = "-w 1 -r 3 --metrics default,time_system,processes_peak,page_faults_minor 'sleep 0.5' 'sleep 0.05'";
    let Some(raw) = bench_in_pty(80, "", args) else { return };
    for s in segments(&raw) {
        assert!(s.chars().count() <= 80, "{} columns at width 80: {s:?}\n{raw:?}", s.chars().count());
    }
    let progress = progress_never_stale(&raw);
    let plain = console::strip_ansi_codes(&raw);
    assert!(plain.contains("Benchmark 2: sleep 0.05") && plain.contains("x faster)"), "{raw:?}");
    // The spinner moves during the warmup and the long first run, before any run has ended.
    let moving = |phase: &str| {
        let distinct: std::collections::BTreeSet<&String> = progress.iter().filter(|s| s.contains(phase)).collect();
        assert!(distinct.len() >= 2, "{phase}: the line did not move: {progress:?}");
    };
    moving("Performing warmup runs:");
    moving("Initial run:");
    assert!(progress.iter().any(|s| s.contains("Current estimate: ") && s.contains("ETA")), "{progress:?}");
    assert!(plain.contains("Wall Time [ms]"), "at 80 columns the units are in the labels: {raw:?}");
}

#[test]
fn interleaved_progress_shows_the_running_commands_own_estimate() {
    let _cpu = cpu_shared();
    let args = "--debug-mode --interleave -r 4 'sleep 0.3' 'sleep 0.1'";
    let Some(raw) = bench_in_pty(160, "", args) else { return };
    let progress = progress_never_stale(&raw);
    let estimates: Vec<&String> = progress.iter().filter(|s| s.contains("Current estimate")).collect();
    assert!(estimates.len() >= 6, "{progress:?}");
    for s in estimates {
        let own = if s.contains("Benchmark 1/2: sleep 0.3") { "300.0 ms" } else { "100.0 ms" };
        assert!(s.contains(&format!("Current estimate: {own}")), "another command's estimate: {s:?}");
    }
}

#[test]
fn no_colour_codes_under_nocolor_no_color_or_a_dumb_terminal() {
    let _cpu = cpu_shared();
    let args = "--debug-mode -r 3 'sleep 0.1' 'sleep 0.2'";
    let Some(coloured) = bench_in_pty(80, "", args) else { return };
    assert!(coloured.contains("\x1b[3"), "colours by default on a terminal: {coloured:?}");
    for (env, style) in [("", "--style nocolor"), ("NO_COLOR=1", ""), ("TERM=dumb", "")] {
        let raw = bench_in_pty(80, env, &format!("{style} {args}")).unwrap();
        assert!(!raw.contains('\x1b'), "{env} {style}: escape codes in {raw:?}");
        assert!(raw.contains("Benchmark 2: sleep 0.2") && raw.contains("+100.0%"), "{raw:?}");
    }
    // The progress line under TERM=dumb: plain characters, erased with spaces, not ESC[K.
    let dumb = bench_in_pty(80, "TERM=dumb", "-r 2 'sleep 0.3'").unwrap();
    assert!(!dumb.contains('\x1b') && dumb.contains("Benchmark 1/1: sleep 0.3"), "{dumb:?}");
}

#[test]
fn compare_fits_80_columns_and_colours_worse_and_better() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let export = |file: &str, second: &str| {
        let path = dir.path().join(file);
        let names = ["-n", "fast", "-n", "slow"];
        let args = ["bench", "--debug-mode", "-r", "5", "sleep 0.1", second, "--style", "none"];
        crate::util::denet().args(args).args(names).arg("--export-json").arg(&path).assert().success();
        path.display().to_string()
    };
    let (base, cur) = (export("a.json", "sleep 0.2"), export("b.json", "sleep 0.3"));
    let Some(raw) = in_pty(80, "", &format!("compare {base} {cur}")) else { return };
    for s in segments(&raw) {
        assert!(s.chars().count() <= 80, "{} columns at width 80: {s:?}\n{raw:?}", s.chars().count());
    }
    let plain = console::strip_ansi_codes(&raw);
    assert!(plain.contains("Change [95% CI]") && plain.contains("REGRESSED"), "{plain}");
    assert!(raw.contains("\x1b[31m+50.0%") || raw.contains("\x1b[31m+50"), "a regression in red: {raw:?}");
    let wide = in_pty(160, "", &format!("compare {base} {cur}")).unwrap();
    assert!(wide.contains("Threshold") && wide.contains("5 → 5"), "every column at 160: {wide:?}");
    for env in ["NO_COLOR=1", "TERM=dumb"] {
        let raw = in_pty(80, env, &format!("compare {base} {cur}")).unwrap();
        assert!(!raw.contains('\x1b') && raw.contains("REGRESSED"), "{env}: {raw:?}");
    }
}

#[test]
fn ctrl_c_leaves_no_progress_line() {
    let _cpu = cpu_shared();
    // SIGINT in the middle of the second run, as Ctrl-C sends it.
    let Some(raw) = bench_in_pty(80, "timeout -s INT 1.2", "-r 5 'sleep 0.5' 'sleep 0.6'") else { return };
    let progress = progress_never_stale(&raw);
    assert!(!progress.is_empty(), "no progress line was drawn: {raw:?}");
    assert!(console::strip_ansi_codes(&raw).contains("interrupted"), "{raw:?}");
}

#[test]
fn a_long_command_name_wraps_in_the_title() {
    let _cpu = cpu_shared();
    let name = format!("a name of {}", "many words ".repeat(10));
    let Some(raw) = bench_in_pty(80, "", &format!("--debug-mode -r 2 -n '{name}' 'sleep 0.1'")) else { return };
    assert!(console::strip_ansi_codes(&raw).contains("many words many"), "{raw:?}");
    for s in segments(&raw) {
        assert!(s.chars().count() <= 80, "{} columns at width 80: {s:?}\n{raw:?}", s.chars().count());
    }
}

#[test]
fn a_warning_during_the_runs_erases_the_progress_line_first() {
    let _cpu = cpu_shared();
    // A process left behind is named in a warning as soon as the run ends, while the line is shown.
    let Some(raw) = bench_in_pty(80, "", "--cgroup -r 2 \"sh -c 'sleep 2 & sleep 0.3'\"") else { return };
    if !raw.contains("still running") {
        eprintln!("skipped: no cgroup here, so no stray warning: {raw:?}");
        return;
    }
    progress_never_stale(&raw);
}
