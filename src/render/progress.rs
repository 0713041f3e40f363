//! `denet bench`'s progress line on stderr: a spinner turned by a thread of its own, the command whose run is in flight, its mean so far and an ETA; erased before anything else is printed.

use std::io::Write;
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the spinner turns (hyperfine's is 80 ms).
const TICK: Duration = Duration::from_millis(100);
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/// A dumb terminal may lack the braille glyphs.
const SPINNER_ASCII: [&str; 4] = ["|", "/", "-", "\\"];
/// The bar's widest; it gives way first when the terminal is narrow.
const BAR_MAX: usize = 30;
const BAR_MIN: usize = 8;

/// What the line says; the spinner, the elapsed time and the ETA move on their own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shown {
    /// "Benchmark 2/3: name".
    pub label: String,
    pub what: What,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum What {
    /// Nothing yet.
    #[default]
    Idle,
    /// A phase with no estimate yet ("Initial run", warmups): its elapsed time counts up.
    Phase(String),
    /// The command's mean so far, its runs done of the target, and the seconds left for all.
    Estimate { mean: String, done: u64, target: Option<u64>, eta_s: Option<f64> },
}

/// The state the ticking thread and the printer share.
struct State {
    shown: Shown,
    /// When `shown` last changed: the phase's elapsed time and the ETA count from here.
    since: Instant,
    frame: usize,
    /// Columns drawn on the current line (0: nothing to erase).
    drawn: usize,
    /// Hidden between an erase and the next update, so that a tick cannot draw over a report.
    hidden: bool,
    ascii: bool,
}

/// The line being shown, so that a message written meanwhile (`note!`, a log line) can erase it
/// first instead of splicing into it.
static SHOWN: Mutex<Option<Arc<Mutex<State>>>> = Mutex::new(None);

/// Run `write` (a message to stderr) with the progress line erased and no tick drawing meanwhile;
/// the next tick draws the line again, under the message.
pub fn erased<R>(write: impl FnOnce() -> R) -> R {
    let shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner());
    match shown.as_ref() {
        Some(state) => {
            let mut s = lock(state);
            s.erase();
            write()
        }
        None => write(),
    }
}

/// The live line; dropping it stops the thread and erases the line.
pub struct Progress {
    state: Arc<Mutex<State>>,
    ticker: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    /// A line on stderr (the caller has checked that it is a terminal); `TERM=dumb` gets ASCII.
    pub fn start() -> Progress {
        let ascii = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let state = State { shown: Shown::default(), since: Instant::now(), frame: 0, drawn: 0, hidden: true, ascii };
        let state = Arc::new(Mutex::new(state));
        let (stop, stopped) = mpsc::channel::<()>();
        let shared = Arc::clone(&state);
        let ticker = std::thread::Builder::new().name("progress".into()).spawn(move || {
            // Ends when the sender is dropped.
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                let mut s = lock(&shared);
                s.frame += 1;
                s.draw();
            }
        });
        *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&state));
        Progress { state, ticker: ticker.ok().map(|t| (stop, t)) }
    }

    /// Show `shown` now (and from then on, as the spinner turns).
    pub fn show(&self, shown: Shown) {
        let mut s = lock(&self.state);
        if s.shown != shown {
            s.shown = shown;
            s.since = Instant::now();
        }
        s.hidden = false;
        s.draw();
    }

    /// Erase the line until the next `show`, before other output goes to the terminal.
    pub fn hide(&self) {
        let mut s = lock(&self.state);
        s.erase();
        s.hidden = true;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some((stop, thread)) = self.ticker.take() {
            drop(stop);
            let _ = thread.join();
        }
        self.hide();
        *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The state, also after a panic elsewhere (a line on the terminal is not worth a second panic).
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The terminal's width in columns (80 when it cannot be told).
fn columns() -> usize {
    console::Term::stderr().size_checked().map_or(80, |(_, cols)| cols as usize)
}

impl State {
    fn draw(&mut self) {
        if self.hidden || self.shown.what == What::Idle {
            return;
        }
        let spinner = if self.ascii { SPINNER_ASCII[self.frame % 4] } else { SPINNER[self.frame % 10] };
        // One column short of the width: a line that fills it would wrap on some terminals.
        let text = compose(&self.shown, self.since.elapsed(), spinner, self.ascii, columns().saturating_sub(1));
        let width = console::measure_text_width(&text);
        // Spaces, not `ESC[K`, over what is left of the longer line before: a dumb terminal has no `ESC[K`.
        let pad = " ".repeat(self.drawn.saturating_sub(width));
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{text}{pad}").and_then(|()| err.flush());
        self.drawn = width;
    }

    fn erase(&mut self) {
        if self.drawn == 0 {
            return;
        }
        // Two more for a `^C` the terminal echoed after the line.
        let blank = " ".repeat((self.drawn + 2).min(columns().saturating_sub(1)));
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{blank}\r").and_then(|()| err.flush());
        self.drawn = 0;
    }
}

/// The line in at most `width` columns: the bar gives way first, then the run count, then the
/// label shortens; hyperfine's shape ("⠙ Current estimate: 52.3 ms ███░░ ETA 00:00:01") when it fits.
pub fn compose(shown: &Shown, elapsed: Duration, spinner: &str, ascii: bool, width: usize) -> String {
    let (message, count, eta, fraction) = match &shown.what {
        What::Idle => (String::new(), String::new(), String::new(), None),
        What::Phase(text) => (format!("{text}: {}", clock(elapsed.as_secs_f64())), String::new(), String::new(), None),
        What::Estimate { mean, done, target, eta_s } => {
            let count = target.map_or(format!("{done} runs"), |t| format!("{done}/{t}"));
            // The estimate counts down between runs, so that a long run does not freeze it.
            let eta = eta_s.map_or(String::new(), |e| format!("ETA {}", clock((e - elapsed.as_secs_f64()).max(0.0))));
            let fraction = target.filter(|t| *t > 0).map(|t| *done as f64 / t as f64);
            (format!("Current estimate: {mean}"), count, eta, fraction)
        }
    };
    let tail =
        |count: &str| [count, eta.as_str()].iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join("  ");
    let head = |label: &str| format!("{spinner} {label}  {message}");
    let fits = |s: &str| console::measure_text_width(s) <= width;
    let full = join(&head(&shown.label), &tail(&count));
    if let Some(f) = fraction {
        let room = width.saturating_sub(console::measure_text_width(&full) + 2).min(BAR_MAX);
        if room >= BAR_MIN {
            return join(&format!("{}  {}", head(&shown.label), bar(f, room, ascii)), &tail(&count));
        }
    }
    if fits(&full) {
        return full;
    }
    let without_count = join(&head(&shown.label), &tail(""));
    if fits(&without_count) {
        return without_count;
    }
    let rest = console::measure_text_width(&without_count) - console::measure_text_width(&shown.label);
    let label = console::truncate_str(&shown.label, width.saturating_sub(rest).max(12), "…");
    console::truncate_str(&join(&head(&label), &tail("")), width, "").into_owned()
}

fn join(head: &str, tail: &str) -> String {
    if tail.is_empty() {
        head.to_string()
    } else {
        format!("{head}  {tail}")
    }
}

/// A bar of `width` cells, `fraction` of them full.
fn bar(fraction: f64, width: usize, ascii: bool) -> String {
    let full = ((fraction.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    let (on, off) = if ascii { ("#", "-") } else { ("█", "░") };
    format!("{}{}", on.repeat(full), off.repeat(width - full))
}

/// Seconds as hyperfine's clock: "00:00:01" (tenths under a minute: "00:00:01.2"), hours when it takes them.
fn clock(s: f64) -> String {
    let tenths = (s * 10.0).round() as u64;
    let (h, m, sec) = (tenths / 36000, (tenths / 600) % 60, (tenths / 10) % 60);
    if tenths < 600 {
        format!("00:00:{sec:02}.{}", tenths % 10)
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(label: &str) -> Shown {
        Shown {
            label: label.into(),
            what: What::Estimate { mean: "52.3 ms".into(), done: 3, target: Some(10), eta_s: Some(3.0) },
        }
    }

    #[test]
    fn the_line_has_hyperfines_parts_and_fits_every_width() {
        let shown = estimate("Benchmark 2/3: sleep 0.05");
        let wide = compose(&shown, Duration::ZERO, "⠙", false, 159);
        assert!(wide.starts_with("⠙ Benchmark 2/3: sleep 0.05  Current estimate: 52.3 ms  ██████"), "{wide}");
        assert!(wide.ends_with("3/10  ETA 00:00:03.0"), "{wide}");
        for width in 20..=200 {
            let line =
                compose(&estimate(&format!("Benchmark 1/1: {}", "x".repeat(90))), Duration::ZERO, "⠙", false, width);
            assert!(console::measure_text_width(&line) <= width, "{width}: {line}");
        }
        let narrow = compose(&shown, Duration::ZERO, "⠙", false, 79);
        assert!(narrow.contains("Current estimate: 52.3 ms") && narrow.contains("ETA"), "{narrow}");
    }

    #[test]
    fn the_eta_counts_down_and_a_phase_counts_up() {
        let shown = estimate("Benchmark 1/1: a");
        assert!(compose(&shown, Duration::from_millis(1200), "⠙", false, 100).ends_with("ETA 00:00:01.8"));
        let phase = Shown { label: "Benchmark 1/1: a".into(), what: What::Phase("Initial run".into()) };
        let line = compose(&phase, Duration::from_millis(2500), "|", true, 79);
        assert_eq!(line, "| Benchmark 1/1: a  Initial run: 00:00:02.5");
        assert_eq!(clock(3725.0), "01:02:05");
    }

    #[test]
    fn no_escape_codes_in_the_line() {
        let line = compose(&estimate("Benchmark 1/2: a"), Duration::ZERO, "|", true, 79);
        assert!(!line.contains('\x1b') && line.contains("###"), "{line}");
    }
}
