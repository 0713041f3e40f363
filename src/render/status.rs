//! The live status line on stderr: redrawn in place on a terminal, plain lines every few seconds otherwise.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::units;
use crate::monitor::{Flow, SampleSink};
use crate::profile::Sample;

/// How often a plain (non-terminal) status line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct StatusLine {
    tty: bool,
    last_plain: Option<Instant>,
    drawn: bool,
    /// The previous sample's time and syscall total, for the rate.
    prev_syscalls: Option<(f64, u64)>,
}

impl StatusLine {
    pub fn new() -> StatusLine {
        // Plain lines start after the first period: a short run should not log a line of zeros.
        StatusLine {
            // A dumb terminal cannot erase a line (no `ESC[K`): it gets the plain lines a log gets.
            tty: std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb"),
            last_plain: Some(Instant::now()),
            drawn: false,
            prev_syscalls: None,
        }
    }

    /// Remove the in-place line before other output goes to stderr.
    pub fn clear(&mut self) {
        if self.tty && self.drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.drawn = false;
        }
    }
}

impl Default for StatusLine {
    fn default() -> Self {
        Self::new()
    }
}

/// One line describing the tree now; with eBPF, the syscall rate since `prev` (time, total) and off-CPU time.
pub fn line(s: &Sample, prev: Option<(f64, u64)>) -> String {
    let mut text = proc_line(s);
    let k = &s.aggregate.kernel;
    if let Some(sc) = &k.syscalls {
        let rate = prev
            .filter(|(t, _)| s.t > *t)
            .map(|(t, n)| sc.syscalls_total.saturating_sub(n) as f64 / (s.t - t))
            .unwrap_or(0.0);
        text.push_str(&format!("  syscalls/s {:>8}", units::count(rate.round() as u64)));
    }
    if let Some(o) = &k.off_cpu {
        text.push_str(&format!("  off-CPU {:>8}", units::seconds(o.time_off_cpu)));
    }
    text
}

fn proc_line(s: &Sample) -> String {
    let a = &s.aggregate;
    format!(
        "denet {:>8}  CPU {:>6.1}%  RSS {:>10}  procs {:>3}  threads {:>4}  read {:>10}  write {:>10}",
        units::seconds(s.t),
        a.cpu_percent,
        units::bytes(a.rss_bytes),
        a.processes,
        a.threads,
        units::bytes(a.counters.read_bytes),
        units::bytes(a.counters.write_bytes),
    )
}

impl SampleSink for StatusLine {
    fn sample(&mut self, sample: &Sample) -> Flow {
        let mut err = std::io::stderr().lock();
        let prev = self.prev_syscalls;
        if self.tty {
            let _ = write!(err, "\r\x1b[K{}", line(sample, prev));
            self.drawn = true;
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
