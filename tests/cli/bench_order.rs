//! `denet bench` runs commands and hooks in hyperfine's order (hyperfine's tests/execution_order_tests.rs),
//! or interleaved; each run appends a line to a log file, and the log is compared with the exact order.

use std::path::PathBuf;

use crate::util::{cpu_shared, denet};

/// A log file in its own temporary directory, and `echo` commands that append to it.
struct Log {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Log {
    fn new() -> Log {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("order.log");
        Log { _dir: dir, path }
    }

    /// A shell command that appends `text` (shell-expanded, e.g. `$DENET_ITERATION`) to the log.
    fn echo(&self, text: &str) -> String {
        format!("echo {text} >> {}", shell_words::quote(self.path.to_str().expect("a UTF-8 path")))
    }

    fn lines(&self) -> Vec<String> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => text.lines().map(String::from).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => panic!("cannot read {}: {e}", self.path.display()),
        }
    }

    /// `denet bench --style none ARGS...`, which must succeed; the log's lines.
    fn bench(&self, args: &[String]) -> Vec<String> {
        let out = denet().args(["bench", "--style", "none"]).args(args).output().expect("denet runs");
        assert!(out.status.success(), "denet bench {args:?} failed: {out:?}");
        self.lines()
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `n` copies of each of `items`, in turn.
fn repeat(items: &[&str], n: usize) -> Vec<String> {
    items.iter().flat_map(|s| std::iter::repeat_n(s.to_string(), n)).collect()
}

#[test]
fn commands_run_in_order_each_series_complete() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&["-S".into(), "--runs=2".into(), log.echo("a"), log.echo("b")]);
    assert_eq!(got, strings(&["a", "a", "b", "b"]));
}

#[test]
fn warmups_come_before_the_timing_runs() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--warmup=3".into(),
        "--runs=2".into(),
        log.echo("a:$DENET_ITERATION"),
        log.echo("b:$DENET_ITERATION"),
    ]);
    let expected = ["a", "b"]
        .iter()
        .flat_map(|c| ["warmup-0", "warmup-1", "warmup-2", "0", "1"].map(|i| format!("{c}:{i}")))
        .collect::<Vec<_>>();
    assert_eq!(got, expected);
}

#[test]
fn setup_runs_once_before_each_series() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got =
        log.bench(&["-S".into(), "--runs=2".into(), "--setup".into(), log.echo("setup"), log.echo("a"), log.echo("b")]);
    assert_eq!(got, strings(&["setup", "a", "a", "setup", "b", "b"]));
}

#[test]
fn prepare_runs_before_every_run_warmups_included() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--warmup=1".into(),
        "--runs=2".into(),
        "--prepare".into(),
        log.echo("prepare"),
        log.echo("a"),
        log.echo("b"),
    ]);
    let expected: Vec<String> = ["a", "b"].iter().flat_map(|c| ["prepare", c].repeat(3)).map(String::from).collect();
    assert_eq!(got, expected);
}

#[test]
fn conclude_runs_after_every_run_warmups_included() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--warmup=1".into(),
        "--runs=2".into(),
        "--conclude".into(),
        log.echo("conclude"),
        log.echo("a"),
        log.echo("b"),
    ]);
    let expected: Vec<String> = ["a", "b"].iter().flat_map(|c| [c, "conclude"].repeat(3)).map(String::from).collect();
    assert_eq!(got, expected);
}

#[test]
fn cleanup_runs_once_after_each_series() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--runs=2".into(),
        "--cleanup".into(),
        log.echo("cleanup"),
        log.echo("a"),
        log.echo("b"),
    ]);
    assert_eq!(got, strings(&["a", "a", "cleanup", "b", "b", "cleanup"]));
}

#[test]
fn all_hooks_together_with_a_warmup() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--warmup=1".into(),
        "--runs=2".into(),
        "--setup".into(),
        log.echo("setup"),
        "--prepare".into(),
        log.echo("prepare"),
        "--conclude".into(),
        log.echo("conclude"),
        "--cleanup".into(),
        log.echo("cleanup"),
        log.echo("a"),
        log.echo("b"),
    ]);
    let mut expected = Vec::new();
    for c in ["a", "b"] {
        expected.push("setup");
        for _ in 0..3 {
            expected.extend(["prepare", c, "conclude"]);
        }
        expected.push("cleanup");
    }
    assert_eq!(got, strings(&expected));
}

#[test]
fn one_prepare_and_conclude_per_command_are_matched_by_index() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--runs=2".into(),
        "--prepare".into(),
        log.echo("prepare-a"),
        "--prepare".into(),
        log.echo("prepare-b"),
        "--conclude".into(),
        log.echo("conclude-a"),
        "--conclude".into(),
        log.echo("conclude-b"),
        log.echo("a"),
        log.echo("b"),
    ]);
    let expected = [["prepare-a", "a", "conclude-a"].repeat(2), ["prepare-b", "b", "conclude-b"].repeat(2)].concat();
    assert_eq!(got, strings(&expected));
}

#[test]
fn parameter_list_runs_each_value_in_turn() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--runs=2".into(),
        "-L".into(),
        "number".into(),
        "1,2,3".into(),
        log.echo("{number}"),
    ]);
    assert_eq!(got, repeat(&["1", "2", "3"], 2));
}

#[test]
fn the_first_parameter_list_varies_fastest() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--runs=1".into(),
        "-L".into(),
        "number".into(),
        "1,2,3".into(),
        "-L".into(),
        "letter".into(),
        "a,b".into(),
        log.echo("{number}{letter}"),
    ]);
    assert_eq!(got, strings(&["1a", "2a", "3a", "1b", "2b", "3b"]));
}

#[test]
fn the_command_varies_faster_than_the_parameters() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--runs=1".into(),
        "-L".into(),
        "n".into(),
        "1,2".into(),
        log.echo("x{n}"),
        log.echo("y{n}"),
    ]);
    assert_eq!(got, strings(&["x1", "y1", "x2", "y2"]));
}

#[test]
fn parameter_scan_runs_each_value_in_turn() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got =
        log.bench(&["-S".into(), "--runs=2".into(), "-P".into(), "n".into(), "1".into(), "3".into(), log.echo("{n}")]);
    assert_eq!(got, repeat(&["1", "2", "3"], 2));
}

#[test]
fn parameter_scan_with_a_step() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--runs=1".into(),
        "-P".into(),
        "n".into(),
        "1".into(),
        "6".into(),
        "-D".into(),
        "2".into(),
        log.echo("{n}"),
    ]);
    assert_eq!(got, strings(&["1", "3", "5"]));
}

#[test]
fn parameters_are_substituted_in_every_hook() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--runs=1".into(),
        "-L".into(),
        "n".into(),
        "1,2".into(),
        "--setup".into(),
        log.echo("setup-{n}"),
        "--prepare".into(),
        log.echo("prepare-{n}"),
        "--conclude".into(),
        log.echo("conclude-{n}"),
        "--cleanup".into(),
        log.echo("cleanup-{n}"),
        log.echo("run-{n}"),
    ]);
    let expected: Vec<String> = ["1", "2"]
        .iter()
        .flat_map(|n| ["setup", "prepare", "run", "conclude", "cleanup"].map(|w| format!("{w}-{n}")))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn iteration_variables_in_prepare_command_and_conclude() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--runs=2".into(),
        "--warmup=1".into(),
        "--setup".into(),
        log.echo("setup:${DENET_ITERATION-unset}:${HYPERFINE_ITERATION-unset}"),
        "--prepare".into(),
        log.echo("prepare:$HYPERFINE_ITERATION"),
        "--conclude".into(),
        log.echo("conclude:$HYPERFINE_ITERATION"),
        "--cleanup".into(),
        log.echo("cleanup:${DENET_ITERATION-unset}:${HYPERFINE_ITERATION-unset}"),
        log.echo("benchmark:$DENET_ITERATION"),
    ]);
    let mut expected = vec!["setup:unset:unset".to_string()];
    for i in ["warmup-0", "0", "1"] {
        expected.extend(["prepare", "benchmark", "conclude"].map(|w| format!("{w}:{i}")));
    }
    expected.push("cleanup:unset:unset".into());
    assert_eq!(got, expected);
}

#[test]
fn both_iteration_variables_are_set_for_the_command() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--runs=2".into(),
        "--warmup=1".into(),
        log.echo("$DENET_ITERATION/$HYPERFINE_ITERATION"),
        log.echo("b:$DENET_ITERATION/$HYPERFINE_ITERATION"),
    ]);
    assert_eq!(
        got,
        strings(&["warmup-0/warmup-0", "0/0", "1/1", "b:warmup-0/warmup-0", "b:0/0", "b:1/1"]),
        "the counter restarts for each command"
    );
}

/// scheduler.rs `interleaved`: per command in order its setup, warmups and first run; then the remaining
/// runs in rounds; then every cleanup.
#[test]
fn interleave_alternates_the_timing_runs() {
    let _cpu = cpu_shared();
    let log = Log::new();
    let got = log.bench(&[
        "-S".into(),
        "--interleave".into(),
        "--runs=3".into(),
        "--warmup=1".into(),
        "--setup".into(),
        log.echo("setup"),
        "--cleanup".into(),
        log.echo("cleanup"),
        log.echo("a:$DENET_ITERATION"),
        log.echo("b:$DENET_ITERATION"),
    ]);
    let expected =
        ["setup", "a:warmup-0", "a:0", "setup", "b:warmup-0", "b:0", "a:1", "b:1", "a:2", "b:2", "cleanup", "cleanup"];
    assert_eq!(got, strings(&expected));
}

#[test]
fn interleave_random_with_a_seed_is_reproducible() {
    let _cpu = cpu_shared();
    let run = || {
        let log = Log::new();
        log.bench(&[
            "-S".into(),
            "--interleave=random".into(),
            "--seed".into(),
            "7".into(),
            "--runs=6".into(),
            log.echo("a"),
            log.echo("b"),
            log.echo("c"),
        ])
    };
    let first = run();
    let second = run();
    assert_eq!(first, second, "the same seed gave two orders");
    assert_eq!(first.len(), 18, "{first:?}");
    assert_eq!(first[..3], strings(&["a", "b", "c"]), "the first runs are in command order: {first:?}");
    let rounds: Vec<&[String]> = first[3..].chunks(3).collect();
    for round in &rounds {
        let mut sorted = round.to_vec();
        sorted.sort();
        assert_eq!(sorted, strings(&["a", "b", "c"]), "each round runs every command once: {first:?}");
    }
    assert!(rounds.iter().any(|r| *r != strings(&["a", "b", "c"]).as_slice()), "five rounds, none shuffled: {first:?}");
}

#[test]
fn interleave_random_with_two_commands_does_three_runs_of_each() {
    let _cpu = cpu_shared();
    let run = || {
        let log = Log::new();
        log.bench(&[
            "-S".into(),
            "--interleave=random".into(),
            "--seed".into(),
            "7".into(),
            "--runs=3".into(),
            log.echo("a"),
            log.echo("b"),
        ])
    };
    let first = run();
    assert_eq!(first, run(), "the same seed gave two orders");
    assert_eq!(first.iter().filter(|l| *l == "a").count(), 3, "{first:?}");
    assert_eq!(first.iter().filter(|l| *l == "b").count(), 3, "{first:?}");
    assert_eq!(first.len(), 6, "{first:?}");
}

/// Each command keeps its own run count when interleaved (deterministic with --mock).
#[test]
fn interleaved_commands_keep_their_own_run_counts() {
    let _cpu = cpu_shared();
    for mode in ["--interleave", "--interleave=random"] {
        let out = denet()
            .args(["bench", "--mock", "--style", "none", mode, "--export-json", "-", "sleep 0.5", "sleep 0.01"])
            .output()
            .expect("denet runs");
        assert!(out.status.success(), "{out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        let counts: Vec<usize> = v["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["measurements"].as_array().expect("measurements").len())
            .collect();
        assert_eq!(counts, [10, 300], "{mode}");
    }
}

/// Both spawners (the tiny one, and the fork fallback of `DENET_SPAWNER=fork`) run batches in the
/// same order, with the same iteration counters, and stop after the first run that fails: a
/// failing command runs exactly as often as under hyperfine, not once more.
#[test]
fn a_batch_stops_at_the_first_failing_run_with_either_spawner() {
    let _cpu = cpu_shared();
    for spawner in ["default", "fork"] {
        let log = Log::new();
        let cmd = format!("{}; test $DENET_ITERATION != 3", log.echo("$DENET_ITERATION"));
        let out = denet()
            .env("DENET_SPAWNER", spawner)
            .args(["bench", "--style", "none", "-S", "--runs=10", "--warmup=2", &cmd])
            .output()
            .expect("denet runs");
        assert_eq!(out.status.code(), Some(1), "{spawner}: a failing run is an error: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("benchmark iteration 3"), "{spawner}: {stderr}");
        assert_eq!(log.lines(), strings(&["warmup-0", "warmup-1", "0", "1", "2", "3"]), "{spawner}");
    }
}

/// Where build.rs could build the tiny spawner (CI can: gcc and libc6-dev), it is the one in use.
#[test]
fn the_tiny_spawner_runs_where_it_was_built() {
    let _cpu = cpu_shared();
    let out = denet()
        .env("DENET_LOG", "debug")
        .env_remove("DENET_SPAWNER")
        .args(["bench", "--style", "none", "-N", "--runs=2", "true"])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if cfg!(denet_tiny_spawner) {
        assert!(stderr.contains("spawner: posix_spawn (tiny spawner)"), "{stderr}");
    } else {
        eprintln!("skipped: this build has no tiny spawner (see the build warning)");
        assert!(stderr.contains("spawner: fork (denet __spawner)"), "{stderr}");
    }
}

/// Both spawners find a program as execvp does: through the PATH given with `--env` (not denet's
/// own), and a script without a `#!` line runs through /bin/sh.
#[test]
fn programs_are_found_as_execvp_finds_them_with_either_spawner() {
    use std::os::unix::fs::PermissionsExt;
    let _cpu = cpu_shared();
    for spawner in ["default", "fork"] {
        let log = Log::new();
        let dir = tempfile::tempdir().unwrap();
        let tool = dir.path().join("denet-test-tool");
        std::fs::write(&tool, format!("{}\n", log.echo("$DENET_ITERATION"))).unwrap();
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("PATH={}:/usr/bin:/bin", dir.path().display());
        let out = denet()
            .env("DENET_SPAWNER", spawner)
            .args(["bench", "--style", "none", "-N", "--runs=2", "--env", &path, "denet-test-tool"])
            .output()
            .expect("denet runs");
        assert!(out.status.success(), "{spawner}: {out:?}");
        assert_eq!(log.lines(), strings(&["0", "1"]), "{spawner}");
    }
}
