//! `denet compare` and the baseline side of `denet bench`: checks, reports, and the exit code CI reads.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::checks::{self, Regression};
use crate::options::compare::{CheckOptions, CompareOptions};
use crate::render::columns::{colours_allowed, Screen};
use crate::render::export::write_atomically;
use crate::render::regression;
use crate::results;

pub fn compare(opts: &CompareOptions) -> anyhow::Result<ExitCode> {
    let baseline = results::read(&opts.baseline)?;
    let current = results::read(&opts.current)?;
    let regression = checks::run(&baseline, &current, &opts.check)?;
    report(&regression, &opts.check, opts.print.then_some(""), Out { to_stderr: false, colors: colours_allowed() })
}

/// Where the terminal report goes: stdout, or stderr (`bench` with an export on stdout), and
/// whether colours are allowed there (`bench --style`; `NO_COLOR`, `TERM=dumb`). Colours and a
/// width apply only where that stream is a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub to_stderr: bool,
    pub colors: bool,
}

/// Write the reports, append to the GitHub job summary, print (under `heading`, when given), and
/// return the exit code. Files come first, and a closed stdout (`denet compare ... | head`) is
/// ignored: neither may turn a regression into a success.
pub fn report(r: &Regression, opts: &CheckOptions, heading: Option<&str>, out: Out) -> anyhow::Result<ExitCode> {
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
        let screen = Screen::detect(out.to_stderr);
        terminal += &regression::terminal(r, Screen { colors: screen.colors && out.colors, ..screen });
    }
    if opts.markdown.as_deref() == Some(Path::new("-")) {
        terminal += &md;
    }
    if out.to_stderr {
        // Not through `note!`: the table is already fitted to the width.
        let _ = writeln!(std::io::stderr(), "{}", terminal.trim_end_matches('\n'));
        return Ok(code);
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
