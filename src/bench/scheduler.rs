//! The order of everything: setup, warmups, prepare/run/conclude, cleanup, exactly as hyperfine does, or interleaved.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::precision::{self, Of, Precision};
use super::protocol::{self, Batch, IterationVar};
use super::runner::{Invocation, RunError, Runner};

use crate::options::bench::{BenchOptions, BenchmarkSpec, Interleave};
use crate::profile::{ExitStatus, RunProfile};

/// A problem worth telling the user about a benchmark's numbers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// Some runs exited non-zero and were ignored (`-i`).
    FailuresIgnored,
    /// The first run was much slower than the rest.
    SlowFirstRun,
    /// Statistical outliers in the primary metric.
    Outliers,
    /// Runs shorter than 5 ms through a shell: the shell's start-up dominates.
    FastWithShell,
    /// `--timeout` killed some runs (kept with `-i`).
    TimedOut,
    /// The OOM killer killed a process of some runs (`--memory-limit`).
    OomKilled,
}

/// One benchmark's measured runs.
#[derive(Debug, Clone)]
pub struct BenchmarkResult {
    pub spec: BenchmarkSpec,
    /// Timing runs only (warmups are not kept).
    pub runs: Vec<RunProfile>,
    pub warnings: Vec<Warning>,
    /// False when Ctrl-C stopped it before its last run.
    pub complete: bool,
    /// Its timing runs were taken in rounds with the other commands' (`--interleave`): run k of
    /// each command belongs to round k, which pairs them.
    pub interleaved: bool,
    /// `--precision`: the target and what the runs reached.
    pub precision: Option<Precision>,
}

/// Whose turn it is, for hooks and the iteration counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Iteration {
    Warmup(u64),
    Run(u64),
    /// setup and cleanup.
    None,
}

impl Iteration {
    /// The iteration counter a run of this turn sees, and its value.
    fn var(self) -> (IterationVar, u64) {
        match self {
            Iteration::Warmup(i) => (IterationVar::Warmup, i),
            Iteration::Run(i) => (IterationVar::Run, i),
            Iteration::None => (IterationVar::None, 0),
        }
    }

    fn describe(self) -> String {
        match self {
            Iteration::Warmup(0) => "the first warmup run".into(),
            Iteration::Warmup(i) => format!("warmup iteration {i}"),
            Iteration::Run(0) => "the first benchmark run".into(),
            Iteration::Run(i) => format!("benchmark iteration {i}"),
            Iteration::None => "a non-benchmark run".into(),
        }
    }
}

/// Receives progress, and each finished benchmark (to print and export it).
pub trait Observer {
    fn benchmark_started(&mut self, index: usize, spec: &BenchmarkSpec, total_benchmarks: usize);
    fn phase(&mut self, index: usize, text: &str);
    /// Benchmark `index`'s next run (or batch of runs) is about to start: interleaved, it names
    /// whose run is in flight, so that progress shows that command's own figures.
    fn run_starting(&mut self, index: usize, kind: RunKind);
    fn run_done(&mut self, index: usize, result: &BenchmarkResult, target_runs: u64);
    /// Takes a finished benchmark (in interleaved mode, each one after the last round), in order;
    /// the scheduler keeps only the unfinished ones, which the `Outcome` returns.
    fn finished(&mut self, index: usize, result: BenchmarkResult) -> anyhow::Result<()>;
}

/// What a run is for, as progress tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Warmup,
    /// The first timing run, from which the number of runs follows.
    Initial,
    Timed,
}

/// How the benchmark ended.
pub struct Outcome {
    /// The benchmarks that had runs but were not handed to `Observer::finished`, in order.
    pub results: Vec<BenchmarkResult>,
    pub interrupted: bool,
}

/// Errors that stop the benchmark (after exporting what was measured), in hyperfine 2.0's words.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A command or hook exited in a way that is not accepted.
    #[error("Command '{command}' {cause} in {when}.{hint}")]
    Failed { command: String, cause: String, when: String, hint: &'static str },
    /// A hook that failed or could not be started.
    #[error("The {kind} command failed: {cause:#} Append ' || true' to the command if this failure can be ignored.")]
    Hook { kind: Hook, cause: anyhow::Error },
}

/// What follows a failed command's message: how to go on (`-i` does not apply to hooks).
const COMMAND_HINT: &str = " Use the '-i'/'--ignore-failure' option if you want to ignore this. Alternatively, use the '--show-output' option to debug what went wrong.";
const HOOK_HINT: &str = " Use the '--show-output' option to debug what went wrong.";

impl BenchError {
    /// `line` (a command or hook, as given) ended with `exit` in turn `it`.
    fn failed(line: &str, exit: ExitStatus, shell: bool, it: Iteration, hint: &'static str) -> BenchError {
        let cause = match (exit.code, exit.signal) {
            // denet's addition: a shell says 127 for a command it did not find.
            (Some(127), _) if shell => {
                "terminated with non-zero exit code 127 (the shell's 'command not found')".into()
            }
            (Some(c), _) => format!("terminated with non-zero exit code {c}"),
            (None, Some(s)) => format!("was terminated by a signal (signal {s})"),
            (None, None) => "was terminated by a signal".into(),
        };
        BenchError::Failed { command: line.to_string(), cause, when: it.describe(), hint }
    }
}

/// A run that could not be measured: with hyperfine's words naming the command, unless interrupted.
fn not_run(e: RunError, line: &str) -> Stop {
    match e {
        RunError::Interrupted => Stop::Interrupted,
        RunError::Failed(e) => Stop::Error(e.context(format!("Failed to run command '{line}'"))),
    }
}

/// The commands around the benchmarked one (`--setup`, `--prepare`, `--conclude`, `--cleanup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Setup,
    Preparation,
    Conclusion,
    Cleanup,
}

impl std::fmt::Display for Hook {
    /// hyperfine's words in its error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Hook::Setup => "setup",
            Hook::Preparation => "preparation",
            Hook::Conclusion => "conclusion",
            Hook::Cleanup => "cleanup",
        })
    }
}

/// The time it takes the shell to start, taken off every shell run (hyperfine's calibration).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct ShellOverhead {
    wall_s: f64,
    user_s: f64,
    system_s: f64,
}

/// Runs the whole benchmark.
pub struct Scheduler<'a, R: Runner> {
    opts: &'a BenchOptions,
    runner: R,
    shell_overhead: ShellOverhead,
    clock: std::time::Instant,
    /// The benchmark whose setup, warmups or first run is under way: cut short by Ctrl-C, it is
    /// exported with no runs (the export says it was started and measured nothing).
    started: Option<usize>,
    /// The first command's primary-metric values, for `--precision` of a change in sequential runs.
    reference: Vec<f64>,
}

/// The two kinds of stop: Ctrl-C, or an error.
enum Stop {
    Interrupted,
    Error(anyhow::Error),
}

impl From<RunError> for Stop {
    fn from(e: RunError) -> Stop {
        match e {
            RunError::Interrupted => Stop::Interrupted,
            RunError::Failed(e) => Stop::Error(e),
        }
    }
}

impl From<BenchError> for Stop {
    fn from(e: BenchError) -> Stop {
        Stop::Error(e.into())
    }
}

impl<'a, R: Runner> Scheduler<'a, R> {
    pub fn new(opts: &'a BenchOptions, runner: R) -> Scheduler<'a, R> {
        Scheduler {
            opts,
            runner,
            shell_overhead: ShellOverhead::default(),
            clock: std::time::Instant::now(),
            started: None,
            reference: Vec::new(),
        }
    }

    /// Run everything; Ctrl-C ends it early with what was measured, an error ends it with the error.
    pub fn run(mut self, obs: &mut dyn Observer) -> (Outcome, Option<anyhow::Error>) {
        let mut results: Vec<BenchmarkResult> = self.opts.benchmarks.iter().map(new_result).collect();
        let stop = match self.calibrate() {
            Err(stop) => Some(stop),
            Ok(()) => match self.opts.interleave {
                None => self.sequential(&mut results, obs).err(),
                Some((mode, seed)) => self.interleaved(&mut results, obs, mode, seed).err(),
            },
        };
        let cut = matches!(stop, Some(Stop::Interrupted)).then_some(self.started).flatten();
        let results: Vec<BenchmarkResult> = results
            .into_iter()
            .enumerate()
            .filter(|(i, r)| !r.runs.is_empty() || (cut == Some(*i) && !r.complete))
            .map(|(_, r)| r)
            .collect();
        match stop {
            None => (Outcome { results, interrupted: false }, None),
            Some(Stop::Interrupted) => (Outcome { results, interrupted: true }, None),
            Some(Stop::Error(e)) => (Outcome { results, interrupted: false }, Some(e)),
        }
    }

    fn sequential(&mut self, results: &mut [BenchmarkResult], obs: &mut dyn Observer) -> Result<(), Stop> {
        for i in 0..results.len() {
            self.started = Some(i);
            obs.benchmark_started(i, &results[i].spec, results.len());
            self.hook(i, Hook::Setup, Iteration::None)?;
            self.warmups(i, obs)?;
            let target = self.first_run(i, &mut results[i], obs)?;
            // With --precision every run is followed by a look at the interval.
            if self.batchable(i) && self.opts.precision.is_none() {
                self.timed_batch(i, &mut results[i], obs, target)?;
            }
            while (results[i].runs.len() as u64) < target && !self.precise(i, results, false) {
                self.timed_run(i, &mut results[i], obs, target)?;
            }
            results[i].precision = self.precision_reached(i, results, false);
            if i == 0 {
                self.reference = self.primary(&results[0]);
            }
            results[i].complete = true;
            self.hook(i, Hook::Cleanup, Iteration::None)?;
            hand_over(results, i, self.opts, obs)?;
        }
        Ok(())
    }

    /// Setups, then warmups and first runs in order, then the remaining runs in turns, then cleanups.
    fn interleaved(
        &mut self,
        results: &mut [BenchmarkResult],
        obs: &mut dyn Observer,
        mode: Interleave,
        seed: u64,
    ) -> Result<(), Stop> {
        let n = results.len();
        results.iter_mut().for_each(|r| r.interleaved = true);
        let mut targets = vec![0u64; n];
        for i in 0..n {
            self.started = Some(i);
            obs.benchmark_started(i, &results[i].spec, n);
            self.hook(i, Hook::Setup, Iteration::None)?;
            self.warmups(i, obs)?;
            targets[i] = self.first_run(i, &mut results[i], obs)?;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..n).collect();
        while (0..n).any(|i| (results[i].runs.len() as u64) < targets[i]) {
            if self.opts.precision.is_some() && (0..n).all(|i| self.precise(i, results, true)) {
                break;
            }
            if mode == Interleave::Random {
                order.shuffle(&mut rng);
            }
            for &i in &order {
                if (results[i].runs.len() as u64) < targets[i] {
                    self.timed_run(i, &mut results[i], obs, targets[i])?;
                }
            }
        }
        for i in 0..n {
            results[i].precision = self.precision_reached(i, results, true);
        }
        for (i, r) in results.iter_mut().enumerate() {
            r.complete = true;
            self.hook(i, Hook::Cleanup, Iteration::None)?;
        }
        for i in 0..n {
            hand_over(results, i, self.opts, obs)?;
        }
        Ok(())
    }

    fn warmups(&mut self, i: usize, obs: &mut dyn Observer) -> Result<(), Stop> {
        if self.opts.warmup > 0 {
            obs.phase(i, "Performing warmup runs");
            obs.run_starting(i, RunKind::Warmup);
        }
        if self.batchable(i) && self.opts.warmup > 0 {
            let batch = self.batch(i, self.opts.warmup, 0, IterationVar::Warmup);
            return self.run_batch(&self.spec(i).command_line, &batch, false, &mut |_| Ok(()));
        }
        for w in 0..self.opts.warmup {
            let it = Iteration::Warmup(w);
            self.hook(i, Hook::Preparation, it)?;
            self.command(i, it, false)?;
            self.hook(i, Hook::Conclusion, it)?;
        }
        Ok(())
    }

    /// Run 0, and from its time the number of runs (hyperfine's rule: fill the target time within the bounds).
    fn first_run(&mut self, i: usize, result: &mut BenchmarkResult, obs: &mut dyn Observer) -> Result<u64, Stop> {
        obs.phase(i, if self.spec(i).prepare.is_some() { "Running preparation command" } else { "Initial run" });
        obs.run_starting(i, RunKind::Initial);
        let it = Iteration::Run(0);
        let prep = self.hook(i, Hook::Preparation, it)?;
        let run = self.command(i, it, true)?;
        let concl = self.hook(i, Hook::Conclusion, it)?;
        let per_run = run.wall_s + self.shell_overhead.wall_s + prep + concl;
        let fill = if per_run > 0.0 { (self.opts.min_time / per_run).floor() as u64 } else { u64::MAX };
        let b = self.opts.bounds;
        let target = match self.opts.precision {
            // The precision decides when to stop; the maximum is the limit.
            Some(_) => b.max.unwrap_or(u64::MAX),
            None => fill.max(b.min).min(b.max.unwrap_or(u64::MAX)),
        };
        result.runs.push(run);
        obs.run_done(i, result, target);
        Ok(target)
    }

    /// The primary metric of each run of `result`.
    fn primary(&self, result: &BenchmarkResult) -> Vec<f64> {
        let metric = self.opts.metrics[0].metric;
        result.runs.iter().map(|r| metric.extract(r)).collect()
    }

    /// The half-width reached by benchmark `i`: of the change against the first command when
    /// there is one (paired over rounds when interleaved), else of its mean.
    fn half_width(&self, i: usize, results: &[BenchmarkResult], interleaved: bool) -> (Option<f64>, Of) {
        let own = self.primary(&results[i]);
        match (i, interleaved) {
            (0, _) => (precision::of_mean(&own), Of::Mean),
            (_, true) => (precision::of_change(&self.primary(&results[0]), &own, true), Of::PairedChange),
            (_, false) => (precision::of_change(&self.reference, &own, false), Of::Change),
        }
    }

    /// Whether benchmark `i` has its minimum of runs and the precision asked for (never without --precision).
    fn precise(&self, i: usize, results: &[BenchmarkResult], interleaved: bool) -> bool {
        let Some(target) = self.opts.precision else { return false };
        let enough_runs = results[i].runs.len() as u64 >= self.opts.bounds.min;
        enough_runs && self.half_width(i, results, interleaved).0.is_some_and(|h| h <= target)
    }

    fn precision_reached(&self, i: usize, results: &[BenchmarkResult], interleaved: bool) -> Option<Precision> {
        let target = self.opts.precision?;
        let (achieved, of) = self.half_width(i, results, interleaved);
        let max_runs_reached = !achieved.is_some_and(|h| h <= target);
        Some(Precision { target, achieved, of, max_runs_reached })
    }

    fn timed_run(
        &mut self,
        i: usize,
        result: &mut BenchmarkResult,
        obs: &mut dyn Observer,
        target: u64,
    ) -> Result<(), Stop> {
        let it = Iteration::Run(result.runs.len() as u64);
        obs.run_starting(i, RunKind::Timed);
        self.hook(i, Hook::Preparation, it)?;
        let run = self.command(i, it, true)?;
        result.runs.push(run);
        self.hook(i, Hook::Conclusion, it)?;
        obs.run_done(i, result, target);
        Ok(())
    }

    /// Runs with nothing between them (no prepare or conclude hook) go to the spawner as one
    /// batch, so that no message from denet sits between two runs: the per-run cost is then
    /// what spawning costs, as in hyperfine.
    fn batchable(&self, i: usize) -> bool {
        let spec = self.spec(i);
        spec.prepare.is_none() && spec.conclude.is_none()
    }

    fn batch(&self, i: usize, count: u64, first: u64, iteration: IterationVar) -> Batch {
        let spec = self.spec(i);
        let inv = self.invocation(spec, spec.argv.clone(), spec.program.clone(), Iteration::None);
        let count = count.min(u64::from(u32::MAX)) as u32;
        let inv = Invocation { contained: true, ..inv };
        Batch { accept: self.opts.ignore.clone(), ..Batch::single(&inv) }.with(count, first, iteration)
    }

    /// How `argv` runs for benchmark `spec` at turn `it`: its environment with the iteration counter,
    /// the input, and the output.
    fn invocation(
        &self,
        spec: &BenchmarkSpec,
        argv: Vec<String>,
        program: Option<std::path::PathBuf>,
        it: Iteration,
    ) -> Invocation {
        let (var, i) = it.var();
        Invocation {
            contained: false,
            argv,
            program,
            env: protocol::with_iteration(spec.env.clone(), var, i),
            input: self.opts.input.clone(),
            output: spec.output.clone(),
        }
    }

    /// The remaining timing runs of benchmark `i` as one batch.
    fn timed_batch(
        &mut self,
        i: usize,
        result: &mut BenchmarkResult,
        obs: &mut dyn Observer,
        target: u64,
    ) -> Result<(), Stop> {
        let done = result.runs.len() as u64;
        if done >= target {
            return Ok(());
        }
        let batch = self.batch(i, target - done, done, IterationVar::Run);
        obs.run_starting(i, RunKind::Timed);
        self.run_batch(&self.spec(i).command_line, &batch, true, &mut |run| {
            result.runs.push(run);
            obs.run_done(i, result, target);
            Ok(())
        })
    }

    /// Run a batch, checking each run as a single run is checked; `keep` takes the accepted ones.
    fn run_batch(
        &mut self,
        line: &str,
        batch: &Batch,
        timed: bool,
        keep: &mut dyn FnMut(RunProfile) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        // `each` reads the options and the clock while the runner is borrowed: split the fields.
        let Scheduler { opts, runner, shell_overhead, clock, .. } = self;
        let mut stop = None;
        let mut index = batch.first;
        let mut each = |mut run: RunProfile| {
            let it = match batch.iteration {
                IterationVar::Warmup => Iteration::Warmup(index),
                _ => Iteration::Run(index),
            };
            index += 1;
            run.started_s = started_s(&run, *clock, clock.elapsed().as_secs_f64() - run.wall_s);
            match check_run(opts, *shell_overhead, run, it, line).and_then(&mut *keep) {
                Ok(()) => true,
                Err(e) => {
                    stop = Some(e);
                    false
                }
            }
        };
        runner.measure_batch(batch, timed, &mut each).map_err(|e| not_run(e, line))?;
        stop.map_or(Ok(()), Err)
    }

    fn spec(&self, i: usize) -> &'a BenchmarkSpec {
        &self.opts.benchmarks[i]
    }

    /// Run the benchmarked command once; a failure not covered by `-i` stops everything.
    fn command(&mut self, i: usize, it: Iteration, timed: bool) -> Result<RunProfile, Stop> {
        let spec = self.spec(i);
        let inv = Invocation { contained: true, ..self.invocation(spec, spec.argv.clone(), spec.program.clone(), it) };
        let started = self.clock.elapsed().as_secs_f64();
        let mut run = self.runner.measure(&inv, timed).map_err(|e| not_run(e, &spec.command_line))?;
        run.started_s = started_s(&run, self.clock, started);
        check_run(self.opts, self.shell_overhead, run, it, &spec.command_line)
    }

    /// Run a hook through the shell if it is set; returns its wall time, the shell's start included
    /// (0 when unset).
    fn hook(&mut self, i: usize, kind: Hook, it: Iteration) -> Result<f64, Stop> {
        let spec = self.spec(i);
        let cmd = match kind {
            Hook::Setup => &spec.setup,
            Hook::Preparation => &spec.prepare,
            Hook::Conclusion => &spec.conclude,
            Hook::Cleanup => &spec.cleanup,
        };
        let Some(cmd) = cmd else { return Ok(0.0) };
        let argv = self.opts.shell.iter().cloned().chain(["-c".to_string(), cmd.clone()]).collect();
        let inv = self.invocation(spec, argv, None, it);
        let in_hook = |cause: anyhow::Error| Stop::from(BenchError::Hook { kind, cause });
        let run = self.runner.measure(&inv, false).map_err(|e| match not_run(e, cmd) {
            Stop::Error(e) => in_hook(e),
            interrupted => interrupted,
        })?;
        let exit = run.exit.unwrap_or_default();
        if exit.code != Some(0) {
            return Err(in_hook(BenchError::failed(cmd, exit, true, it, HOOK_HINT).into()));
        }
        Ok(run.wall_s)
    }

    /// With a shell, measure its start-up 50 times, as hyperfine does, to subtract it from every run.
    fn calibrate(&mut self) -> Result<(), Stop> {
        if !self.opts.shell_commands {
            return Ok(());
        }
        const RUNS: usize = 50;
        let argv: Vec<String> = self.opts.shell.iter().cloned().chain(["-c".to_string(), String::new()]).collect();
        let inv = Invocation {
            contained: false,
            argv,
            program: None,
            env: Vec::new(),
            input: self.opts.input.clone(),
            output: crate::vocab::Output::Null,
        };
        let mut sum = ShellOverhead::default();
        for _ in 0..RUNS {
            let r = self.runner.measure(&inv, false)?;
            if r.exit.and_then(|e| e.code) != Some(0) {
                let msg = format!(
                    "Could not measure the shell's start-up time. Make sure you can run '{} -c \"\"'.",
                    self.opts.shell.join(" ")
                );
                return Err(Stop::Error(anyhow::anyhow!(msg)));
            }
            sum.wall_s += r.wall_s;
            sum.user_s += r.rusage.user_s;
            sum.system_s += r.rusage.system_s;
        }
        let n = RUNS as f64;
        self.shell_overhead =
            ShellOverhead { wall_s: sum.wall_s / n, user_s: sum.user_s / n, system_s: sum.system_s / n };
        Ok(())
    }
}

/// Seconds from the benchmark's start to the run's spawn, as the spawner saw it (`fallback` without it).
fn started_s(run: &RunProfile, clock: std::time::Instant, fallback: f64) -> f64 {
    run.spawned_at.map_or(fallback, |t| t.saturating_duration_since(clock).as_secs_f64()).max(0.0)
}

/// A run's exit against `-i` (a refused one stops everything, with hyperfine's message), and the
/// shell's start-up taken off shell runs.
fn check_run(
    opts: &BenchOptions,
    shell_overhead: ShellOverhead,
    mut run: RunProfile,
    it: Iteration,
    line: &str,
) -> Result<RunProfile, Stop> {
    let exit = run.exit.unwrap_or_default();
    if !opts.ignore.accepts(exit.code) {
        return Err(BenchError::failed(line, exit, opts.shell_commands, it, COMMAND_HINT).into());
    }
    if opts.shell_commands {
        let o = shell_overhead;
        run.wall_s = (run.wall_s - o.wall_s).max(0.0);
        run.rusage.user_s = (run.rusage.user_s - o.user_s).max(0.0);
        run.rusage.system_s = (run.rusage.system_s - o.system_s).max(0.0);
    }
    Ok(run)
}

fn new_result(spec: &BenchmarkSpec) -> BenchmarkResult {
    BenchmarkResult {
        spec: spec.clone(),
        runs: Vec::new(),
        warnings: Vec::new(),
        complete: false,
        interleaved: false,
        precision: None,
    }
}

/// Give finished benchmark `i` to the observer, with the warnings about how it ran (those about
/// its numbers are the statistics' job); an empty placeholder keeps the indices.
fn hand_over(
    results: &mut [BenchmarkResult],
    i: usize,
    opts: &BenchOptions,
    obs: &mut dyn Observer,
) -> Result<(), Stop> {
    let placeholder = new_result(&results[i].spec);
    let mut r = std::mem::replace(&mut results[i], placeholder);
    if r.runs.iter().any(|p| p.exit.is_some_and(|e| e.code != Some(0))) {
        r.warnings.push(Warning::FailuresIgnored);
    }
    if opts.shell_commands && r.runs.iter().any(|p| p.wall_s < 0.005) {
        r.warnings.push(Warning::FastWithShell);
    }
    if r.runs.iter().any(|p| p.limits.timed_out) {
        r.warnings.push(Warning::TimedOut);
    }
    if r.runs.iter().any(|p| p.limits.oom_killed) {
        r.warnings.push(Warning::OomKilled);
    }
    obs.finished(i, r).map_err(Stop::Error)
}

#[cfg(test)]
mod tests;
