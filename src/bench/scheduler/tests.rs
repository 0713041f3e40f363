//! The scheduler against the mock runner, with a runner and an observer that record every call.

use clap::Parser;

use super::*;
use crate::bench::mock::MockRunner;
use crate::cli::{Cli, Command};

fn options(args: &[&str]) -> BenchOptions {
    let cli = Cli::try_parse_from(["denet", "bench"].iter().chain(args)).expect("the arguments parse");
    let Command::Bench(a) = cli.command else { unreachable!("a bench command line") };
    BenchOptions::from_args(&a).expect("valid options")
}

/// The mock runner, logging each run as `command line [iteration]` (shared: the scheduler owns the runner).
#[derive(Default)]
struct Recording {
    log: std::rc::Rc<std::cell::RefCell<Vec<String>>>,
}

impl Runner for Recording {
    fn measure(&mut self, inv: &Invocation, sample: bool) -> Result<RunProfile, RunError> {
        let line = match inv.argv.iter().position(|a| a == "-c") {
            Some(i) => inv.argv[i + 1].clone(),
            None => inv.argv.join(" "),
        };
        let it = inv.env.iter().find(|(k, _)| k == "DENET_ITERATION").map_or("-", |(_, v)| v.as_str());
        self.log.borrow_mut().push(format!("{line} [{it}]"));
        MockRunner.measure(inv, sample)
    }
}

/// Every observer call, in order.
#[derive(Default)]
struct Calls {
    log: Vec<String>,
    finished: Vec<BenchmarkResult>,
}

impl Observer for Calls {
    fn benchmark_started(&mut self, index: usize, spec: &BenchmarkSpec, total: usize) {
        self.log.push(format!("started {index}/{total} {}", spec.name));
    }
    fn phase(&mut self, index: usize, text: &str) {
        self.log.push(format!("phase {index} {text}"));
    }
    fn run_starting(&mut self, index: usize, kind: RunKind) {
        self.log.push(format!("next {index} {kind:?}"));
    }
    fn run_done(&mut self, index: usize, result: &BenchmarkResult, target: u64) {
        self.log.push(format!("run {index} {}/{target}", result.runs.len()));
    }
    fn finished(&mut self, index: usize, result: BenchmarkResult) -> anyhow::Result<()> {
        self.log.push(format!("finished {index} ({} runs)", result.runs.len()));
        self.finished.push(result);
        Ok(())
    }
}

fn run(args: &[&str]) -> (Vec<String>, Calls, Outcome, Option<anyhow::Error>) {
    let opts = options(args);
    let runner = Recording::default();
    let log = runner.log.clone();
    let mut calls = Calls::default();
    let (outcome, error) = Scheduler::new(&opts, runner).run(&mut calls);
    let runs = log.borrow().clone();
    (runs, calls, outcome, error)
}

#[test]
fn hooks_warmups_and_runs_come_in_hyperfines_order() {
    let (runs, calls, outcome, error) =
        run(&["-s", "S", "-p", "P", "-C", "C", "-c", "X", "-w", "1", "-r", "2", "a", "b"]);
    assert!(error.is_none() && !outcome.interrupted && outcome.results.is_empty());
    let one = |c: &str| {
        [
            "S [-]",
            "P [warmup-0]",
            &format!("{c} [warmup-0]"),
            "C [warmup-0]",
            "P [0]",
            &format!("{c} [0]"),
            "C [0]",
            "P [1]",
            &format!("{c} [1]"),
            "C [1]",
            "X [-]",
        ]
        .map(String::from)
    };
    assert_eq!(runs, [one("a"), one("b")].concat());
    let calls_of = |i: usize, name: &str| {
        vec![
            format!("started {i}/2 {name}"),
            format!("phase {i} Performing warmup runs"),
            format!("next {i} Warmup"),
            format!("phase {i} Running preparation command"),
            format!("next {i} Initial"),
            format!("run {i} 1/2"),
            format!("next {i} Timed"),
            format!("run {i} 2/2"),
            format!("finished {i} (2 runs)"),
        ]
    };
    assert_eq!(calls.log, [calls_of(0, "a"), calls_of(1, "b")].concat());
}

#[test]
fn interleaved_rounds_alternate_and_hand_over_after_the_last_round() {
    let (runs, calls, _, error) = run(&["--interleave", "-r", "3", "a", "b"]);
    assert!(error.is_none());
    assert_eq!(runs, ["a [0]", "b [0]", "a [1]", "b [1]", "a [2]", "b [2]"]);
    let tail: Vec<&str> = calls.log.iter().rev().take(2).rev().map(String::as_str).collect();
    assert_eq!(tail, ["finished 0 (3 runs)", "finished 1 (3 runs)"]);
    // Progress learns whose run is in flight before each one, so it shows that command's figures.
    let runs: Vec<&str> =
        calls.log.iter().filter(|l| l.starts_with("next") || l.starts_with("run")).map(String::as_str).collect();
    let expected = ["next 0 Initial", "run 0 1/3", "next 1 Initial", "run 1 1/3"].into_iter().chain([
        "next 0 Timed",
        "run 0 2/3",
        "next 1 Timed",
        "run 1 2/3",
        "next 0 Timed",
        "run 0 3/3",
        "next 1 Timed",
        "run 1 3/3",
    ]);
    assert_eq!(runs, expected.collect::<Vec<_>>());
}

#[test]
fn the_run_count_fills_the_minimum_time_within_the_bounds() {
    let (_, calls, _, _) = run(&["sleep 0.5", "sleep 0.001", "-M", "100"]);
    let counts: Vec<usize> = calls.finished.iter().map(|r| r.runs.len()).collect();
    // 3 s / 0.5 s = 6, raised to the minimum of 10; 3 s / 1 ms = 3000, capped at -M 100.
    assert_eq!(counts, [10, 100]);
}

#[test]
fn a_failing_command_stops_everything_and_keeps_what_ran() {
    let (runs, calls, outcome, error) = run(&["-r", "3", "a", "exit 2", "c"]);
    let error = error.expect("a failing command is an error").to_string();
    assert!(
        error.starts_with("Command 'exit 2' terminated with non-zero exit code 2 in the first benchmark run."),
        "{error}"
    );
    assert_eq!(runs, ["a [0]", "a [1]", "a [2]", "exit 2 [0]"]);
    assert_eq!(calls.finished.len(), 1, "the finished benchmark was handed over");
    assert!(outcome.results.is_empty(), "the failed one has no accepted run");
}

#[test]
fn ignored_failures_are_kept_and_warned_of() {
    let (_, calls, _, error) = run(&["-i", "-r", "2", "exit 3"]);
    assert!(error.is_none());
    let r = &calls.finished[0];
    assert_eq!(r.runs.len(), 2);
    assert_eq!(r.warnings, [Warning::FailuresIgnored]);
}

#[test]
fn a_failing_hook_names_itself() {
    let (runs, _, _, error) = run(&["-r", "2", "-c", "exit 1", "a"]);
    let error = error.expect("a failing hook is an error").to_string();
    let expected = "The cleanup command failed: Command 'exit 1' terminated with non-zero exit code 1 in a \
                    non-benchmark run. Use the '--show-output' option to debug what went wrong. Append ' || true' \
                    to the command if this failure can be ignored.";
    assert_eq!(error, expected);
    assert_eq!(runs.last().map(String::as_str), Some("exit 1 [-]"));
}
