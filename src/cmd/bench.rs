//! `denet bench`: run the scheduler, print each benchmark as it finishes, export, and pick the exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::bench::mock::MockRunner;
use crate::bench::runner::Runner;
use crate::bench::scheduler::{BenchmarkResult, Observer, Outcome, Scheduler};
use crate::cmd::compare;
use crate::error::{exit, UserError};
use crate::metrics::Selected;
use crate::monitor::ebpf::{self, Kernel, PartStatus};
use crate::monitor::perf;
use crate::monitor::{Backend, Schedule};
use crate::options::bench::Against;
use crate::options::bench::{BenchOptions, BenchmarkSpec};
use crate::profile::{Counter, EnvRecord};
use crate::render::bench_report::{self, fmt_in, Paint};
use crate::render::bench_table::Layout;
use crate::render::export::{Exports, Report};
use crate::stats::Summarized;

pub fn bench(opts: &BenchOptions) -> anyhow::Result<ExitCode> {
    let baseline = Baseline::load(opts)?;
    let (kernel, mut setup) = ebpf_setup(opts);
    let counters = counters_setup(opts, &mut setup.metrics)?;
    let (done, printer) = if opts.mock {
        let mut printer = Printer::new(opts, setup);
        let (outcome, error) = Scheduler::new(opts, MockRunner).run(&mut printer);
        (printer.finish(outcome, error)?, printer)
    } else {
        // First, so that the environment is read while the spawner starts.
        let mut printer = Printer::new(opts, setup);
        let runner = real_runner(opts.sampling, kernel, counters)?;
        let (outcome, error) = Scheduler::new(opts, runner).run(&mut printer);
        (printer.finish(outcome, error)?, printer)
    };
    match done {
        Done::Complete(results) => baseline.apply(&printer.report(&results), opts),
        Done::Interrupted => Ok(ExitCode::from(exit::INTERRUPTED)),
    }
}

/// What this machine gives of the options' choice: the metrics shown and exported (the selection
/// less what `--ebpf` cannot measure here), and each part of the eBPF set-up.
struct Setup {
    metrics: Vec<Selected>,
    ebpf: Vec<PartStatus>,
}

/// Load the eBPF programs for `--ebpf`, and leave out of the selection the metrics this machine cannot
/// give (the warning that says why has been printed).
fn ebpf_setup(opts: &BenchOptions) -> (Option<Kernel>, Setup) {
    if !opts.ebpf || opts.mock {
        return (None, Setup { metrics: opts.metrics.clone(), ebpf: Vec::new() });
    }
    let opened = ebpf::open();
    let mut metrics: Vec<Selected> = opts.metrics.iter().filter(|s| !opened.lacks(s.metric)).cloned().collect();
    if metrics.is_empty() {
        metrics = crate::metrics::parse("default", false).expect("the default preset parses");
    }
    (opened.kernel, Setup { metrics, ebpf: opened.checks })
}

/// The perf_event counters of the selection that this machine can count, each tried once now: one
/// named in `--metrics` that cannot be counted is an error naming the reason and the fix (exit 1,
/// as hyperfine, but before anything runs); a preset's is left out of the selection.
fn counters_setup(opts: &BenchOptions, metrics: &mut Vec<Selected>) -> anyhow::Result<Vec<Counter>> {
    let mut counters = Vec::new();
    let mut refused = Vec::new();
    for s in metrics.iter() {
        let Some(c) = s.metric.counter() else { continue };
        let probed = if opts.mock {
            Err("the mock runner (--debug-mode) runs nothing to count".to_string())
        } else {
            perf::probe(c).map_err(|e| e.to_string())
        };
        match probed {
            Ok(()) => counters.push(c),
            Err(why) if opts.named_metrics.contains(&s.metric) => {
                return Err(UserError::CounterUnavailable { metric: s.metric.name(), why }.into())
            }
            Err(why) => {
                log::debug!("{} left out: {why}", s.metric.name());
                refused.push(s.metric);
            }
        }
    }
    metrics.retain(|s| !refused.contains(&s.metric));
    Ok(counters)
}

#[cfg(unix)]
fn real_runner(
    schedule: Option<Schedule>,
    kernel: Option<Kernel>,
    counters: Vec<Counter>,
) -> anyhow::Result<impl Runner> {
    use anyhow::Context;
    crate::bench::runner::ProcRunner::new(schedule, Backend::native(), kernel, counters).with_context(|| {
        // The spawner needs a few descriptors of its own; a tiny `ulimit -n` is the usual cause.
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit fills the struct it is given.
        let known = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
        let open_files = if known { format!(" (open files limit: {})", limit.rlim_cur) } else { String::new() };
        format!("cannot start the spawner that runs the benchmark{open_files}")
    })
}

#[cfg(not(unix))]
fn real_runner(
    _schedule: Option<Schedule>,
    _kernel: Option<Kernel>,
    _counters: Vec<Counter>,
) -> anyhow::Result<MockRunner> {
    anyhow::bail!("denet bench needs a Unix system (it measures runs with wait4)")
}

/// How the benchmark ended, once reported.
enum Done {
    Complete(Vec<Summarized>),
    Interrupted,
}

/// `--baseline` and `--save-baseline`: the baseline read before any run, applied after the last.
struct Baseline {
    /// What to check against: a baseline file, or (None) the first command.
    compare_to: Option<(Option<crate::results::Document<'static>>, crate::options::compare::CheckOptions)>,
    save_as: Option<std::path::PathBuf>,
    markdown_files: Vec<std::path::PathBuf>,
}

impl Baseline {
    fn load(opts: &BenchOptions) -> anyhow::Result<Baseline> {
        let compare_to = match &opts.regression {
            None => None,
            Some(r) => {
                let file = match &r.against {
                    Against::Baseline(path) => Some(crate::results::read(path)?),
                    Against::FirstCommand => None,
                };
                Some((file, r.check.clone()))
            }
        };
        let markdown_files = opts
            .exports
            .iter()
            .filter_map(|(f, t)| match (f, t) {
                (crate::vocab::Format::Markdown, crate::vocab::Destination::File(p)) => Some(p.clone()),
                _ => None,
            })
            .collect();
        Ok(Baseline { compare_to, save_as: opts.save_baseline.clone(), markdown_files })
    }

    /// Save, then compare: the exit code is the comparison's.
    fn apply(&self, report: &Report, opts: &BenchOptions) -> anyhow::Result<ExitCode> {
        if let Some(path) = &self.save_as {
            let json = crate::render::export::exporter(crate::vocab::Format::Json).render(report)?;
            crate::render::export::write_atomically(path, &json)?;
            note!("denet: saved the results as baseline {}", path.display());
        }
        let Some((baseline, check)) = &self.compare_to else { return Ok(ExitCode::SUCCESS) };
        let current = crate::render::export::document(report);
        let regression = match baseline {
            Some(b) => crate::checks::run(b, &current, check)?,
            None => crate::checks::against_reference(&current, check)?,
        };
        let heading = if baseline.is_some() { "Against the baseline:" } else { "Against the first command:" };
        let code = compare::report(&regression, check, opts.look.report.then_some(heading))?;
        // A Markdown export gets the comparison too, ready for a pull-request comment.
        for path in &self.markdown_files {
            let mut text = std::fs::read_to_string(path).unwrap_or_default();
            text.push('\n');
            text.push_str(&crate::render::regression::markdown(&regression));
            crate::render::export::write_atomically(path, text.as_bytes())?;
        }
        Ok(code)
    }
}

/// Prints progress and reports, and keeps the exports up to date.
struct Printer<'a> {
    opts: &'a BenchOptions,
    setup: Setup,
    exports: Exports,
    /// The environment record, read on a thread of its own (sysfs and procfs: about a millisecond,
    /// which would otherwise delay the first run); joined when the first export needs it.
    env: std::cell::LazyCell<EnvRecord, Box<dyn FnOnce() -> EnvRecord>>,
    start_time: String,
    done: Vec<Summarized>,
    bar: Option<ProgressBar>,
    /// Per benchmark: the running sums for the progress line (each command's own, also when interleaved).
    progress: std::collections::HashMap<usize, Progress>,
    paint: Paint,
    layout: Layout,
    /// Whether a block showed a significance test, so that the legend is printed at the end.
    tested: bool,
}

impl<'a> Printer<'a> {
    fn new(opts: &'a BenchOptions, setup: Setup) -> Printer<'a> {
        if !opts.look.colors {
            // The progress bar's template colours follow console's switch (`--style nocolor`, NO_COLOR).
            console::set_colors_enabled_stderr(false);
        }
        Printer {
            opts,
            setup,
            exports: Exports::new(opts.exports.clone()),
            env: {
                // Started now, joined when first needed.
                let thread = std::thread::Builder::new().spawn(EnvRecord::capture).ok();
                std::cell::LazyCell::new(Box::new(move || {
                    thread.and_then(|t| t.join().ok()).unwrap_or_else(EnvRecord::capture)
                }))
            },
            start_time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            done: Vec::new(),
            bar: None,
            progress: std::collections::HashMap::new(),
            paint: Paint { colors: opts.look.colors },
            layout: Layout::for_stdout(),
            tested: false,
        }
    }

    fn primary(&self) -> &Selected {
        &self.setup.metrics[0]
    }

    fn report<'r>(&'r self, results: &'r [Summarized]) -> Report<'r> {
        Report {
            results,
            selected: &self.setup.metrics,
            alpha: self.opts.alpha,
            start_time: &self.start_time,
            env: &self.env,
            ebpf: &self.setup.ebpf,
        }
    }

    /// hyperfine's order: the block on stdout, then a blank line on stderr and the warnings, then a
    /// blank line on stdout.
    fn print_block(&mut self, index: usize, s: &Summarized) {
        if self.opts.look.report {
            let reference = self.done.first();
            let look = bench_report::Look {
                selected: &self.setup.metrics,
                alpha: self.opts.alpha,
                layout: self.layout,
                paint: self.paint,
            };
            let block = bench_report::block(index, s, reference, look);
            self.tested |= block.tested;
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{}", block.text);
            let _ = out.flush();
        }
        if !s.warnings.is_empty() {
            let prepare = s.result.spec.prepare.is_some();
            note!(" ");
            for w in &s.warnings {
                let text = bench_report::warning_text(w, s, self.opts.warmup > 0, prepare);
                note!("  {}: {text}", self.paint.yellow("Warning"));
            }
        }
        if self.opts.look.report {
            // A closed stdout is not an error (main ends quietly on it), so nothing here may panic.
            let _ = writeln!(std::io::stdout().lock(), " ");
        }
    }

    /// The end: results of an interrupted or failed benchmark are still exported; the comparison is printed.
    fn finish(&mut self, outcome: Outcome, error: Option<anyhow::Error>) -> anyhow::Result<Done> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let cut_short = outcome.interrupted || error.is_some();
        // Finished benchmarks were summarised as they ended; what was cut short joins them.
        let mut summarized = std::mem::take(&mut self.done);
        summarized.extend(outcome.results.into_iter().map(Summarized::new));
        if !summarized.is_empty() {
            // After a normal end the files already hold every result (written as each benchmark finished).
            if cut_short {
                self.exports.write_files(&self.report(&summarized))?;
            }
            self.write_html(&summarized)?;
        }
        if self.tested && self.opts.look.report {
            let _ = write!(std::io::stdout().lock(), "{}", bench_report::legend(self.opts.alpha));
        }
        if !summarized.is_empty() {
            self.exports.write_stdout(&self.report(&summarized))?;
        }
        if let Some(e) = error {
            return Err(e);
        }
        if outcome.interrupted {
            note!("denet: interrupted; the results measured so far were exported");
            return Ok(Done::Interrupted);
        }
        Ok(Done::Complete(summarized))
    }

    /// `--export-html` and `--export-svg`, drawn from the results model the JSON export writes.
    fn write_html(&self, summarized: &[Summarized]) -> anyhow::Result<()> {
        if self.opts.html.is_none() && self.opts.svg_dir.is_none() {
            return Ok(());
        }
        let report = self.report(summarized);
        let data = crate::render::report_data::from_results(&crate::render::export::document(&report), "denet bench");
        let (page, charts) = super::report::results_page(&data)?;
        if let Some(p) = &self.opts.html {
            crate::render::export::write_atomically(p, page.as_bytes())?;
        }
        if let Some(dir) = &self.opts.svg_dir {
            crate::render::charts::write_svgs(&charts, dir)?;
        }
        Ok(())
    }

    fn new_bar(&self, index: usize, total: usize, spec: &BenchmarkSpec) -> Option<ProgressBar> {
        if !self.opts.look.progress || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(self.opts.bounds.min), ProgressDrawTarget::stderr());
        // hyperfine's shape on one line; the message gives way first when the terminal is narrow.
        let style = ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg} {bar:16.cyan/blue} {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(prefix(index, total, &spec.name));
        // The spinner moves during warmups and a long first run, when no run has ended yet.
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Some(bar)
    }
}

/// One benchmark's runs so far, for the progress line.
#[derive(Default)]
struct Progress {
    prefix: String,
    primary_sum: f64,
    wall_sum: f64,
    runs: u64,
    target: u64,
}

impl Progress {
    /// The wall time its remaining runs will take at its mean so far.
    fn remaining_s(&self) -> f64 {
        match self.runs {
            0 => 0.0,
            n => self.target.saturating_sub(n) as f64 * self.wall_sum / n as f64,
        }
    }
}

/// `Benchmark 2/3: NAME`, the name cut so that the line keeps room for the estimate.
fn prefix(index: usize, total: usize, name: &str) -> String {
    format!("Benchmark {}/{total}: {}", index + 1, console::truncate_str(name, 24, "…"))
}

impl Observer for Printer<'_> {
    fn benchmark_started(&mut self, index: usize, spec: &BenchmarkSpec, total: usize) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.progress.entry(index).or_default().prefix = prefix(index, total, &spec.name);
        self.bar = self.new_bar(index, total, spec);
    }

    fn phase(&mut self, _index: usize, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_string());
        }
    }

    fn run_done(&mut self, index: usize, result: &BenchmarkResult, target: u64) {
        let Some(run) = result.runs.last() else { return };
        let primary = self.primary().metric.extract(run);
        let p = self.progress.entry(index).or_default();
        p.primary_sum += primary;
        p.wall_sum += run.wall_s;
        (p.runs, p.target) = (result.runs.len() as u64, target);
        let mean = p.primary_sum / p.runs as f64;
        let eta: f64 = self.progress.values().map(Progress::remaining_s).sum();
        if let Some(bar) = &self.bar {
            let unit = self
                .primary()
                .unit
                .unwrap_or_else(|| crate::metrics::table_unit(self.primary().metric.dimension(), mean));
            // Interleaved, runs of every command share the bar: it shows whose estimate this is.
            bar.set_prefix(self.progress[&index].prefix.clone());
            bar.set_length(target);
            bar.set_position(result.runs.len() as u64);
            let eta = crate::render::units::seconds(eta);
            bar.set_message(format!("Current estimate: {}, ETA {eta}", fmt_in(mean, unit)));
        }
    }

    fn finished(&mut self, i: usize, result: BenchmarkResult) -> anyhow::Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let s = Summarized::new(result);
        self.print_block(i, &s);
        self.done.push(s);
        self.exports.write_files(&self.report(&self.done))
    }
}
