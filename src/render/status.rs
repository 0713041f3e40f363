//! The live status line on stderr: redrawn in place on a terminal, plain lines every few seconds otherwise,
//! and none when the monitored command writes to the same stderr (the two would splice into each other).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::units;
use crate::monitor::{Flow, SampleSink};
use crate::profile::Sample;

/// How often a plain (non-terminal) status line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct StatusLine {
    mode: Mode,
    last_plain: Option<Instant>,
    drawn: bool,
    /// The previous sample's time and syscall total, for the rate.
    prev_syscalls: Option<(f64, u64)>,
}

/// How the status reaches stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Redrawn in place, cut to the terminal's width.
    InPlace,
    /// A line every few seconds (a log, or a terminal that cannot erase a line).
    Plain,
    /// Not at all.
    Off,
}

impl Mode {
    /// `child_shares_stderr`: the monitored command writes to denet's stderr, where any status
    /// line would splice into the command's lines, so there is none.
    pub fn for_stderr(child_shares_stderr: bool) -> Mode {
        // A dumb terminal cannot erase a line (no `ESC[K`): it gets the plain lines a log gets.
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        match (child_shares_stderr, std::io::stderr().is_terminal() && !dumb) {
            (true, _) => Mode::Off,
            (false, true) => Mode::InPlace,
            (false, false) => Mode::Plain,
        }
    }
}

/// The terminal's width in columns (80 when it cannot be told).
fn columns() -> usize {
    console::Term::stderr().size_checked().map_or(80, |(_, cols)| cols as usize)
}

impl StatusLine {
    pub fn new(mode: Mode) -> StatusLine {
        // Plain lines start after the first period: a short run should not log a line of zeros.
        StatusLine { mode, last_plain: Some(Instant::now()), drawn: false, prev_syscalls: None }
    }

    /// Remove the in-place line before other output goes to stderr.
    pub fn clear(&mut self) {
        if self.mode == Mode::InPlace && self.drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.drawn = false;
        }
    }
}

/// One line describing the tree now; with eBPF, the syscall rate since `prev` (time, total) and off-CPU time.
pub fn line(s: &Sample, prev: Option<(f64, u64)>) -> String {
    fields(s, prev).join("  ")
}

/// As many whole fields as fit in `width` columns, the first ones first (time, CPU, memory).
pub fn fit(s: &Sample, prev: Option<(f64, u64)>, width: usize) -> String {
    let mut text = String::new();
    for field in fields(s, prev) {
        let sep = if text.is_empty() { "" } else { "  " };
        if text.len() + sep.len() + console::measure_text_width(&field) > width {
            break;
        }
        text = text + sep + &field;
    }
    text
}

fn fields(s: &Sample, prev: Option<(f64, u64)>) -> Vec<String> {
    let mut text = proc_fields(s);
    let k = &s.aggregate.kernel;
    if let Some(sc) = &k.syscalls {
        let rate = prev
            .filter(|(t, _)| s.t > *t)
            .map(|(t, n)| sc.syscalls_total.saturating_sub(n) as f64 / (s.t - t))
            .unwrap_or(0.0);
        text.push(format!("syscalls/s {:>8}", units::count(rate.round() as u64)));
    }
    if let Some(o) = &k.off_cpu {
        text.push(format!("off-CPU {:>8}", units::seconds(o.time_off_cpu)));
    }
    text
}

fn proc_fields(s: &Sample) -> Vec<String> {
    let a = &s.aggregate;
    vec![
        format!("denet {:>8}", units::seconds(s.t)),
        format!("CPU {:>6.1}%", a.cpu_percent),
        format!("RSS {:>10}", units::bytes(a.rss_bytes)),
        format!("procs {:>3}", a.processes),
        format!("threads {:>4}", a.threads),
        format!("read {:>10}", units::bytes(a.counters.read_bytes)),
        format!("write {:>10}", units::bytes(a.counters.write_bytes)),
    ]
}

impl SampleSink for StatusLine {
    fn sample(&mut self, sample: &Sample) -> Flow {
        let mut err = std::io::stderr().lock();
        let prev = self.prev_syscalls;
        if self.mode == Mode::InPlace {
            // One column short of the width: writing the last column makes some terminals wrap.
            let text = fit(sample, prev, columns().saturating_sub(1));
            let _ = write!(err, "\r\x1b[K{text}");
            self.drawn = true;
        } else if self.mode == Mode::Off {
            return Flow::Continue;
        } else if self.last_plain.is_none_or(|t| t.elapsed() >= PLAIN_EVERY) {
            let _ = writeln!(err, "{}", line(sample, prev));
            self.last_plain = Some(Instant::now());
        }
        if let Some(sc) = &sample.aggregate.kernel.syscalls {
            self.prev_syscalls = Some((sample.t, sc.syscalls_total));
        }
        let _ = err.flush();
        Flow::Continue
    }
}
