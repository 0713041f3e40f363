//! `denet compare` and the baseline side of `denet bench`: checks, reports, and the exit code CI reads.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{CompareArgs, FailOn};
use crate::error::UserError;
use crate::options::compare::{thresholds, CheckOptions};
use crate::render::export::write_atomically;
use crate::render::regression;
use crate::results::{self, ResultsFile};
use crate::stats::checks::{self, Regression};

/// Where named baselines live, relative to the working directory.
pub const BASELINE_DIR: &str = ".denet/baselines";

/// A baseline argument: a path when it looks like one (has a `/` or ends in `.json`) or exists; else a name.
pub fn baseline_path(arg: &str) -> PathBuf {
    let p = Path::new(arg);
    if arg.contains('/') || arg.ends_with(".json") || p.exists() {
        p.to_path_buf()
    } else {
        Path::new(BASELINE_DIR).join(format!("{arg}.json"))
    }
}

/// Refuse a baseline name that would escape the baseline folder or be awkward on disk.
pub fn check_name(name: &str) -> Result<(), UserError> {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(UserError::InvalidValue {
            flag: "--save-baseline",
            value: name.into(),
            why: "use letters, digits, '-', '_' and '.' (not first)".into(),
        })
    }
}

pub fn check_options(
    threshold: Option<&str>,
    alpha: f64,
    fail_on: FailOn,
    markdown: Option<&str>,
    junit: Option<&str>,
) -> Result<CheckOptions, UserError> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(UserError::InvalidValue {
            flag: "--alpha",
            value: alpha.to_string(),
            why: "must be between 0 and 1".into(),
        });
    }
    Ok(CheckOptions {
        thresholds: thresholds(threshold)?,
        alpha,
        fail_on_inconclusive: fail_on == FailOn::Inconclusive,
        markdown: markdown.map(PathBuf::from),
        junit: junit.map(PathBuf::from),
    })
}

pub fn compare(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let opts = check_options(
        args.threshold.as_deref(),
        args.alpha,
        args.fail_on,
        args.export_markdown.as_deref(),
        args.export_junit.as_deref(),
    )?;
    let baseline = results::read(&baseline_path(&args.baseline))?;
    let current = results::read(&baseline_path(&args.current))?;
    let regression = checks::run(&baseline, &current, &opts)?;
    report(&regression, &opts, (args.style != crate::cli::Style::None).then_some(""))
}

/// Write the reports, append to the GitHub job summary, print (under `heading`, when given), and
/// return the exit code. Files come first, and a closed stdout (`denet compare ... | head`) is
/// ignored: neither may turn a regression into a success.
pub fn report(r: &Regression, opts: &CheckOptions, heading: Option<&str>) -> anyhow::Result<ExitCode> {
    let code = if r.failed(opts.fail_on_inconclusive) {
        ExitCode::from(crate::error::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    };
    let md = regression::markdown(r);
    if let Some(p) = opts.markdown.as_deref().filter(|p| *p != Path::new("-")) {
        write_atomically(p, md.as_bytes())?;
    }
    if let Some(p) = &opts.junit {
        write_atomically(p, regression::junit(r, opts.fail_on_inconclusive).as_bytes())?;
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&summary)
            .with_context(|| format!("cannot append to GITHUB_STEP_SUMMARY ({})", Path::new(&summary).display()))?;
        writeln!(f, "{md}")?;
    }
    let mut terminal = String::new();
    if let Some(h) = heading {
        if !h.is_empty() {
            terminal = format!("{h}\n");
        }
        terminal += &regression::terminal(r);
    }
    if opts.markdown.as_deref() == Some(Path::new("-")) {
        terminal += &md;
    }
    let mut out = std::io::stdout().lock();
    ignore_closed_pipe(out.write_all(terminal.as_bytes()).and_then(|_| out.flush()))?;
    Ok(code)
}

/// A reader that went away is not a failure; anything else is.
fn ignore_closed_pipe(r: std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Read a baseline for `bench --baseline` up front, so a bad one fails before any run.
pub fn load_baseline(arg: &str) -> Result<ResultsFile, UserError> {
    results::read(&baseline_path(arg))
}
