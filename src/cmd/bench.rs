//! `denet bench`: run the scheduler, print each benchmark as it finishes, export, and pick the exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::bench::mock::MockRunner;
use crate::bench::runner::Runner;
use crate::bench::scheduler::{BenchmarkResult, Observer, Outcome, RunKind, Scheduler};
use crate::bench::simulate::Simulator;
use crate::cmd::compare;
use crate::error::{exit, UserError};
use crate::metrics::Selected;
use crate::monitor::ebpf::{self, Kernel, PartStatus};
use crate::monitor::perf;
use crate::monitor::{Backend, Schedule};
use crate::options::bench::Against;
use crate::options::bench::{BenchOptions, BenchmarkSpec};
use crate::profile::{Counter, EnvRecord, NoiseFinding};
use crate::render::bench_report::{self, fmt_in, Paint};
use crate::render::bench_table::Layout;
use crate::render::export::{Exports, Report};
use crate::render::progress::{self, Shown, What};
use crate::stats::Summarized;

pub fn bench(opts: &BenchOptions) -> anyhow::Result<ExitCode> {
    pin(opts)?;
    // The spawner first: its move into the session's v1 cgroups waits for an RCU grace period,
    // which the rest of the start-up overlaps (monitor/cgroup/session.rs).
    let started = if opts.mock { None } else { Some(start_spawner(&opts.limits)?) };
    let baseline = Baseline::load(opts)?;
    let (kernel, mut setup) = ebpf_setup(opts);
    setup.cgroup = started.as_ref().map(|s| s.cgroup.clone());
    setup.noise = crate::monitor::noise::warnings();
    let counters = counters_setup(opts, &mut setup.metrics)?;
    simulate_setup(opts, &mut setup)?;
    let (done, mut printer) = match started {
        None => {
            let mut printer = Printer::new(opts, setup);
            let (outcome, error) = Scheduler::new(opts, MockRunner).run(&mut printer);
            (printer.finish(outcome, error)?, printer)
        }
        Some(started) => {
            let mut printer = Printer::new(opts, setup);
            let runner = real_runner(started, opts.sampling, kernel, counters)?;
            let (outcome, error) = Scheduler::new(opts, runner).run(&mut printer);
            (printer.finish(outcome, error)?, printer)
        }
    };
    let code = match &done {
        Done::Complete(results) => baseline.apply(&printer.report(results), opts, printer.out.to_stderr, true)?,
        Done::Interrupted(results) => {
            // The regression reports (JUnit, the Markdown's comparison) of what finished; the exit
            // code stays the interrupt's.
            let finished: Vec<&Summarized> = results.iter().filter(|s| s.result.complete).collect();
            baseline.apply_interrupted(&finished, &printer, opts)?;
            ExitCode::from(exit::INTERRUPTED)
        }
    };
    printer.out.result()?;
    Ok(code)
}

/// `--cpus`: pin this thread first, so that the environment record, the spawner and every run
/// started from here on inherit the CPUs.
fn pin(opts: &BenchOptions) -> anyhow::Result<()> {
    use anyhow::Context;
    let Some(cpus) = &opts.cpus else { return Ok(()) };
    crate::monitor::affinity::pin(cpus)
        .with_context(|| format!("cannot pin to CPUs {}", crate::monitor::affinity::format_list(cpus)))
}

/// What this machine gives of the options' choice: the metrics shown and exported (the selection
/// less what `--ebpf` cannot measure here), and each part of the eBPF set-up.
struct Setup {
    metrics: Vec<Selected>,
    ebpf: Vec<PartStatus>,
    /// `--simulate`: valgrind, found before the first run.
    simulator: Option<Simulator>,
    /// What makes benchmarks noisy here, recorded in the environment and shown once.
    noise: Vec<NoiseFinding>,
    /// Whether the runs have cgroups of their own (the results' metadata; None: the mock runner).
    cgroup: Option<crate::results::CgroupStatus>,
}

/// Load the eBPF programs for `--ebpf`, and leave out of the selection the metrics this machine cannot
/// give (the warning that says why has been printed).
fn ebpf_setup(opts: &BenchOptions) -> (Option<Kernel>, Setup) {
    if !opts.ebpf || opts.mock {
        return (
            None,
            Setup { metrics: opts.metrics.clone(), ebpf: Vec::new(), simulator: None, noise: Vec::new(), cgroup: None },
        );
    }
    let opened = ebpf::open();
    let mut metrics: Vec<Selected> = opts.metrics.iter().filter(|s| !opened.lacks(s.metric)).cloned().collect();
    if metrics.is_empty() {
        metrics = crate::metrics::parse("default", false).expect("the default preset parses");
    }
    let cgroup = None;
    (opened.kernel, Setup { metrics, ebpf: opened.checks, simulator: None, noise: Vec::new(), cgroup })
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

/// `--simulate`: find valgrind (an error naming the package when it is missing, before anything
/// runs), and show every simulated metric after the selected ones.
fn simulate_setup(opts: &BenchOptions, setup: &mut Setup) -> anyhow::Result<()> {
    if !opts.simulate {
        return Ok(());
    }
    if opts.mock {
        anyhow::bail!("--simulate runs the commands under valgrind: it cannot be combined with --debug-mode");
    }
    setup.simulator = Some(Simulator::find()?);
    let sim = crate::metrics::Metric::ALL.iter().filter(|m| m.is_simulated());
    setup.metrics.extend(sim.map(|&metric| Selected { metric, unit: None }));
    Ok(())
}

/// The spawner, started, and the runs' cgroups: what `real_runner` builds on.
struct Started {
    #[cfg(unix)]
    spawner: crate::bench::spawner::Spawner,
    #[cfg(unix)]
    containment: crate::bench::runner::Containment,
    /// Whether the runs have cgroups of their own, and if not why (the results' metadata).
    cgroup: crate::results::CgroupStatus,
}

/// Make the runs' cgroups (or warn once why there are none) and start the spawner, which begins
/// moving into the v1 ones.
#[cfg(unix)]
fn start_spawner(limits: &crate::options::limits::Limits) -> anyhow::Result<Started> {
    use anyhow::Context;
    let (containment, cgroup) = containment(limits)?;
    let spawner = crate::bench::spawner::Spawner::start(containment.plan.joined()).with_context(cannot_start)?;
    Ok(Started { spawner, containment, cgroup })
}

/// The spawner needs a few descriptors of its own (and the runner one more): a tiny `ulimit -n` is
/// the usual cause of a failure to start them.
#[cfg(unix)]
fn cannot_start() -> String {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit fills the struct it is given.
    let known = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    let open_files = if known { format!(" (open files limit: {})", limit.rlim_cur) } else { String::new() };
    format!("cannot start the spawner that runs the benchmark{open_files}")
}

#[cfg(unix)]
fn real_runner(
    started: Started,
    schedule: Option<Schedule>,
    kernel: Option<Kernel>,
    counters: Vec<Counter>,
) -> anyhow::Result<impl Runner> {
    use anyhow::Context;
    let Started { spawner, containment, .. } = started;
    crate::bench::runner::ProcRunner::new(spawner, schedule, Backend::native(), kernel, counters, containment)
        .with_context(cannot_start)
}

/// The runs' cgroups (made now, removed with the runner), or one warning saying why there are none.
#[cfg(unix)]
fn containment(
    limits: &crate::options::limits::Limits,
) -> anyhow::Result<(crate::bench::runner::Containment, crate::results::CgroupStatus)> {
    let (plan, reason) = if limits.cgroup {
        match crate::monitor::cgroup::Plan::session(limits.memory_limit) {
            Ok(p) => (p, None),
            Err(why) if limits.memory_limit.is_some() => anyhow::bail!("--memory-limit: {why}"),
            Err(why) => {
                note!("Warning: runs go without a cgroup of their own, so the cgroup metrics are absent and processes a run leaves behind are not killed: {why}");
                (Default::default(), Some(why))
            }
        }
    } else {
        (Default::default(), Some("turned off (--no-cgroup)".to_string()))
    };
    let status = crate::results::CgroupStatus { enabled: reason.is_none(), reason };
    Ok((crate::bench::runner::Containment { plan, timeout: limits.timeout, keep_strays: limits.keep_strays }, status))
}

#[cfg(not(unix))]
fn start_spawner(_limits: &crate::options::limits::Limits) -> anyhow::Result<Started> {
    anyhow::bail!("denet bench needs a Unix system (it measures runs with wait4)")
}

#[cfg(not(unix))]
fn real_runner(
    _started: Started,
    _schedule: Option<Schedule>,
    _kernel: Option<Kernel>,
    _counters: Vec<Counter>,
) -> anyhow::Result<MockRunner> {
    anyhow::bail!("denet bench needs a Unix system (it measures runs with wait4)")
}

/// How the benchmark ended, once reported.
enum Done {
    Complete(Vec<Summarized>),
    Interrupted(Vec<Summarized>),
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
    fn apply(&self, report: &Report, opts: &BenchOptions, to_stderr: bool, save: bool) -> anyhow::Result<ExitCode> {
        if let Some(path) = self.save_as.as_ref().filter(|_| save) {
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
        let out = compare::Out { to_stderr, colors: opts.look.colors };
        let code = compare::report(&regression, check, opts.look.report.then_some(heading), out)?;
        // A Markdown export gets the comparison too, ready for a pull-request comment.
        for path in &self.markdown_files {
            let mut text = std::fs::read_to_string(path).unwrap_or_default();
            text.push('\n');
            text.push_str(&crate::render::regression::markdown(&regression));
            crate::render::export::write_atomically(path, text.as_bytes())?;
        }
        Ok(code)
    }

    /// After Ctrl-C: the regression check of the benchmarks that finished, so that `--export-junit`
    /// and the Markdown still say what was checked; no baseline is saved from a cut-short benchmark.
    fn apply_interrupted(
        &self,
        finished: &[&Summarized],
        printer: &Printer,
        opts: &BenchOptions,
    ) -> anyhow::Result<()> {
        if self.compare_to.is_none() {
            return Ok(());
        }
        let results: Vec<Summarized> = finished.iter().map(|s| (*s).clone()).collect();
        match self.apply(&printer.report(&results), opts, printer.out.to_stderr, false) {
            Ok(_) => Ok(()),
            Err(e) if e.downcast_ref::<UserError>().is_some() => {
                note!("denet: no regression check after the interrupt: {e:#}");
                Ok(())
            }
            Err(e) => Err(e),
        }
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
    /// The live line, on a terminal only.
    bar: Option<progress::Progress>,
    /// Per benchmark: the running sums for the progress line (each command's own, also when interleaved).
    progress: std::collections::HashMap<usize, SoFar>,
    /// The benchmark whose run is in flight, and what its line says while no run has ended.
    current: Option<usize>,
    paint: Paint,
    layout: Layout,
    /// What the legend printed at the end explains: the columns some block showed.
    legend: crate::render::bench_table::Legend,
    /// Where the human report goes, and how writing it went.
    out: ReportOut,
}

/// The human report's stream: stdout, or stderr when an export goes to stdout (so that
/// `--export-json - | jq` reads JSON only). A full stdout is an error at the end (the benchmark
/// goes on and the files are still written); a closed one (`| head`) is not.
struct ReportOut {
    to_stderr: bool,
    closed: bool,
    failed: Option<std::io::Error>,
}

impl ReportOut {
    fn write(&mut self, text: &str) {
        if self.closed || self.failed.is_some() {
            return;
        }
        let written = if self.to_stderr {
            let mut err = std::io::stderr().lock();
            err.write_all(text.as_bytes()).and_then(|()| err.flush())
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        };
        match written {
            Ok(()) => {}
            // stderr is for messages (as `note!`), and a reader that went away is not a failure.
            Err(e) if self.to_stderr || e.kind() == std::io::ErrorKind::BrokenPipe => self.closed = true,
            Err(e) => self.failed = Some(e),
        }
    }

    /// The first failure to write the report, as an error.
    fn result(&mut self) -> anyhow::Result<()> {
        match self.failed.take() {
            Some(e) => Err(anyhow::Error::new(e).context("cannot write the report to stdout")),
            None => Ok(()),
        }
    }
}

impl<'a> Printer<'a> {
    fn new(opts: &'a BenchOptions, setup: Setup) -> Printer<'a> {
        let noise = setup.noise.clone();
        Printer {
            opts,
            setup,
            exports: Exports::new(opts.exports.clone()),
            env: {
                // Started now, joined when first needed.
                let thread = std::thread::Builder::new().spawn(EnvRecord::capture).ok();
                std::cell::LazyCell::new(Box::new(move || {
                    let rec = thread.and_then(|t| t.join().ok()).unwrap_or_else(EnvRecord::capture);
                    EnvRecord { noise, ..rec }
                }))
            },
            start_time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            done: Vec::new(),
            bar: (opts.look.progress && std::io::stderr().is_terminal()).then(progress::Progress::start),
            progress: std::collections::HashMap::new(),
            current: None,
            paint: Paint { colors: opts.look.colors },
            layout: Layout::for_stdout(),
            legend: Default::default(),
            out: ReportOut {
                to_stderr: opts.exports.iter().any(|(_, d)| *d == crate::vocab::Destination::Stdout),
                closed: false,
                failed: None,
            },
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
            cgroup: self.setup.cgroup.as_ref(),
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
            self.legend = self.legend.max(block.legend);
            self.out.write(&block.text);
            if let Some(p) = &s.result.precision {
                self.out.write(&format!("  {}\n", bench_report::precision_text(p, s.result.runs.len())));
            }
        }
        if let Some(p) = s.result.precision.filter(|p| p.max_runs_reached) {
            note!("  {}: {}", self.paint.yellow("Warning"), bench_report::precision_warning(&p, s.result.runs.len()));
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
            self.out.write(" \n");
        }
    }

    /// The end: results of an interrupted or failed benchmark are still exported; the comparison is printed.
    fn finish(&mut self, outcome: Outcome, error: Option<anyhow::Error>) -> anyhow::Result<Done> {
        // Stopped and erased before anything else is printed: nothing stale after Ctrl-C or an error.
        drop(self.bar.take());
        let cut_short = outcome.interrupted || error.is_some();
        // Finished benchmarks were summarised as they ended; what was cut short joins them.
        let mut summarized = std::mem::take(&mut self.done);
        summarized.extend(outcome.results.into_iter().map(Summarized::new));
        // A benchmark cut short before its first run is exported too, with no runs: a stale file
        // from an earlier benchmark must not pass for this one's results.
        if cut_short {
            self.exports.write_files(&self.report(&summarized))?;
        } else {
            self.exports.write_pending(&self.report(&summarized))?;
        }
        if !summarized.is_empty() {
            self.write_html(&summarized)?;
        }
        if self.opts.look.report {
            self.out.write(&bench_report::legend(self.opts.alpha, self.legend));
        }
        // Once, and only to a person watching (the progress bar's condition): scripts read the record.
        if self.opts.look.progress {
            for n in &self.setup.noise {
                note!("  {}: noisy machine: {}. Fix: {}", self.paint.yellow("Warning"), n.found, n.fix);
            }
        }
        if !summarized.is_empty() || cut_short {
            self.exports.write_stdout(&self.report(&summarized))?;
        }
        let interrupted_simulation = error.as_ref().is_some_and(|e| e.is::<crate::bench::simulate::Interrupted>());
        if let Some(e) = error.filter(|_| !interrupted_simulation) {
            return Err(e);
        }
        if outcome.interrupted || interrupted_simulation {
            note!("denet: interrupted; the results measured so far were exported");
            return Ok(Done::Interrupted(summarized));
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
}

/// One benchmark's runs so far, for the progress line.
#[derive(Default)]
struct SoFar {
    /// "Benchmark 2/3: name".
    label: String,
    /// What it is doing while no run has ended ("Initial run", warmups).
    phase: String,
    primary_sum: f64,
    wall_sum: f64,
    runs: u64,
    target: u64,
}

impl SoFar {
    /// The wall time its remaining runs will take at its mean so far.
    fn remaining_s(&self) -> f64 {
        match self.runs {
            0 => 0.0,
            n => self.target.saturating_sub(n) as f64 * self.wall_sum / n as f64,
        }
    }
}

impl Printer<'_> {
    /// The line for benchmark `index`: its phase until a run has ended, then its own mean and the
    /// time left for all (a target is unknown under `--precision`, which stops when precise).
    fn show_progress(&self, index: usize) {
        let (Some(bar), Some(p)) = (&self.bar, self.progress.get(&index)) else { return };
        let what = match p.runs {
            0 => What::Phase(p.phase.clone()),
            n => {
                let mean = p.primary_sum / n as f64;
                let sel = self.primary();
                let unit = sel.unit.unwrap_or_else(|| crate::metrics::table_unit(sel.metric.dimension(), mean));
                let known = self.opts.precision.is_none() && p.target != u64::MAX;
                let eta: f64 = self.progress.values().map(SoFar::remaining_s).sum();
                What::Estimate {
                    mean: fmt_in(mean, unit),
                    done: n,
                    target: known.then_some(p.target),
                    eta_s: known.then_some(eta),
                }
            }
        };
        bar.show(Shown { label: p.label.clone(), what });
    }

    fn hide_progress(&self) {
        if let Some(bar) = &self.bar {
            bar.hide();
        }
    }
}

impl Observer for Printer<'_> {
    fn benchmark_started(&mut self, index: usize, spec: &BenchmarkSpec, total: usize) {
        self.progress.entry(index).or_default().label = format!("Benchmark {}/{total}: {}", index + 1, spec.name);
        self.current = Some(index);
    }

    fn phase(&mut self, index: usize, text: &str) {
        self.progress.entry(index).or_default().phase = text.to_string();
        self.show_progress(index);
    }

    fn run_starting(&mut self, index: usize, _kind: RunKind) {
        // Interleaved, each command's run in turn: the line follows whose run is in flight.
        if self.current != Some(index) {
            self.current = Some(index);
            self.show_progress(index);
        }
    }

    fn run_done(&mut self, index: usize, result: &BenchmarkResult, target: u64) {
        let Some(run) = result.runs.last() else { return };
        let primary = self.primary().metric.extract(run);
        let p = self.progress.entry(index).or_default();
        p.primary_sum += primary;
        p.wall_sum += run.wall_s;
        (p.runs, p.target) = (result.runs.len() as u64, target);
        self.show_progress(index);
    }

    fn finished(&mut self, i: usize, result: BenchmarkResult) -> anyhow::Result<()> {
        let mut s = Summarized::new(result);
        if let Some(simulator) = &self.setup.simulator {
            let p = self.progress.entry(i).or_default();
            (p.phase, p.runs) = ("Simulating one run under cachegrind (20 to 100 times slower)".into(), 0);
            self.show_progress(i);
            match simulator.run(&s.result.spec, &self.opts.input, &self.opts.ignore) {
                Ok(sim) => s = s.with_simulation(sim),
                Err(e) => {
                    // The timing runs are kept: `finish` exports them with the error (or the Ctrl-C).
                    self.done.push(s);
                    return Err(e);
                }
            }
        }
        self.hide_progress();
        self.print_block(i, &s);
        self.done.push(s);
        // On a time budget: rewriting every file after every benchmark made many short benchmarks
        // cost quadratic time; the rest is written at the end, also after an error or Ctrl-C.
        self.exports.write_files_if_due(&self.report(&self.done))
    }
}
