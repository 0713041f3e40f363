//! `denet bench`'s command line as hyperfine 2.0's: shell syntax without a shell, `--env`, `--`, removed and conflicting flags.

use predicates::prelude::*;

use crate::bench_errors::{log_in, usage_error};
use crate::util::{cpu_shared, denet};

/// `denet bench ARGS...` refused by the command-line parser: exit code 2 and a message holding `needle`.
fn parser_error(args: &[&str], needle: &str) {
    denet().arg("bench").args(args).assert().code(2).stdout("").stderr(predicate::str::contains(needle));
}

/// `denet bench --show-output -r 1 ARGS...`: its stdout (the commands' output and the report).
fn shown(args: &[&str]) -> String {
    let out = denet().args(["bench", "--show-output", "-r", "1"]).args(args).output().expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn shell_syntax_without_a_chosen_shell_is_refused_before_anything_runs() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (log, echo) = log_in(dir.path());
    let line = format!("true && {echo}");
    denet().args(["bench", "-r", "1", &line]).assert().code(1).stdout("").stderr(format!(
        "Error: Command '{line}' contains unquoted shell syntax ('&&').\n\
         Explicitly choose how to execute it:\n  \
         -S / --shell=default  Interpret shell syntax.\n  \
         -N / --shell=none     Run directly, passing '&&' as a literal argument.\n"
    ));
    for op in ["|", "||", ";", ">", ">>", "<"] {
        usage_error(&["-r", "1", &format!("echo a {op} b")], &format!("unquoted shell syntax ('{op}')"));
    }
    usage_error(&["-r", "1", "-L", "x", "a", &format!("true {{x}} && {echo}")], "('&&')");
    assert!(!log.exists(), "a command ran before the refusal");
}

#[test]
fn a_leading_assignment_without_a_shell_is_refused() {
    let _cpu = cpu_shared();
    usage_error(
        &["-r", "1", "SOME_VAR=$HOME true"],
        "Cannot run 'SOME_VAR=$HOME true' directly because it starts with a variable assignment.",
    );
    usage_error(&["-r", "1", "SOME_VAR=1 true"], "use -S / --shell=default to run the command in a shell");
}

#[test]
fn an_explicit_choice_of_shell_decides_how_syntax_runs() {
    let _cpu = cpu_shared();
    // Named, so that only the command's output can hold the command line.
    let literal = shown(&["-n", "named", "-N", "echo before && echo after"]);
    assert!(literal.contains("before && echo after"), "{literal}");
    let literal = shown(&["-n", "named", "--shell=none", "echo before && echo after"]);
    assert!(literal.contains("before && echo after"), "{literal}");
    let interpreted = shown(&["-n", "named", "-S", "echo before && echo after"]);
    assert!(interpreted.contains("before\nafter\n") && !interpreted.contains("before &&"), "{interpreted}");
    // Quoted, escaped or attached operators and `$` are not shell syntax to hyperfine's check.
    let quoted = shown(&["echo '&&' \\| a>b $HOME"]);
    assert!(quoted.contains("&& | a>b $HOME"), "{quoted}");
}

#[test]
fn env_holds_several_quoted_assignments_per_command() {
    let _cpu = cpu_shared();
    let print = "sh -c 'echo \"[$A|$B|$C]\"'";
    let out = shown(&["--env", "A=1 B=\"x y\"", print]);
    assert!(out.contains("[1|x y|]"), "{out}");
    assert!(out.contains("Benchmark 1: A=1 B='x y' sh -c"), "the name shows the assignments: {out}");
    let out = shown(&["--env", "A=1", "--env", "C=3", print, print]);
    assert!(out.contains("[1||]") && out.contains("[||3]"), "one --env per command: {out}");
    // The hooks see their command's environment.
    let out = shown(&["--env", "A=7", "--setup", "echo \"setup[$A]\"", print]);
    assert!(out.contains("setup[7]"), "{out}");
    let out = shown(&["--env", "A={n}", "-L", "n", "4,5", print]);
    assert!(out.contains("[4||]") && out.contains("[5||]") && out.contains("Benchmark 2: A=5 sh -c"), "{out}");
}

#[test]
fn env_names_appear_in_the_json_and_csv_exports() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (json, csv) = (dir.path().join("r.json"), dir.path().join("r.csv"));
    denet()
        .args(["bench", "-r", "1", "--style", "none", "--env", "A=1 B=2", "--export-json"])
        .arg(&json)
        .arg("--export-csv")
        .arg(&csv)
        .arg("true")
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["results"][0]["name"], "A=1 B=2 true", "{doc}");
    assert_eq!(doc["results"][0]["command"], "true", "{doc}");
    let text = std::fs::read_to_string(&csv).unwrap();
    // The display name is a column of its own (hyperfine's `command` column).
    assert!(text.lines().nth(1).is_some_and(|l| l.split(',').any(|f| f == "A=1 B=2 true")), "{text}");
}

#[test]
fn bad_env_values_are_refused_as_hyperfine_refuses_them() {
    let _cpu = cpu_shared();
    usage_error(
        &["--env", "OMP_NUM_THREADS", "true"],
        "Invalid value 'OMP_NUM_THREADS' for '--env': expected an assignment like NAME=value or NAME=\"quoted value\".",
    );
    usage_error(&["--env", "1A=2", "true"], "Invalid environment variable name '1A' in '--env'");
    usage_error(&["--env", "A='x", "true"], "Failed to parse '--env' assignments");
    usage_error(
        &["--env", "A=1", "--env", "B=2", "true"],
        "The '--env' option has to be provided just once or N times, where N=1 is the number of benchmark commands.",
    );
}

#[test]
fn each_argument_after_double_dash_is_a_command() {
    let _cpu = cpu_shared();
    let out =
        denet().args(["bench", "-r", "1", "--style", "basic", "--", "echo a", "echo b"]).output().expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Benchmark 1: echo a") && stdout.contains("Benchmark 2: echo b"), "{stdout}");
}

#[test]
fn removed_hyperfine_flags_say_what_to_do_instead() {
    parser_error(
        &["--reference", "echo a", "echo b"],
        "The --reference option has been removed. Put your reference command first instead.",
    );
    parser_error(&["--reference"], "The --reference option has been removed.");
    parser_error(&["--reference-name", "x", "echo a"], "-n/--command-name");
    parser_error(&["--sort", "command", "echo a"], "The --sort option has been removed");
    parser_error(&["-u", "ms", "echo a"], "--metrics METRIC:UNIT");
    parser_error(&["--time-unit=ms", "echo a"], "--metrics METRIC:UNIT");
}

#[test]
fn conflicting_and_repeated_flags_follow_hyperfine() {
    let _cpu = cpu_shared();
    parser_error(&["-P", "x", "1", "2", "-P", "y", "1", "2", "echo {x} {y}"], "cannot be used multiple times");
    parser_error(&["--show-output", "--style", "basic", "true"], "cannot be used with");
    // A repeated --shell: the last one counts (the first does not exist).
    denet()
        .args(["bench", "-r", "1", "--style", "none", "--shell", "no-such-shell-xyz", "--shell", "sh", "true"])
        .assert()
        .success();
}

#[test]
fn memory_units_include_terabytes() {
    let _cpu = cpu_shared();
    for unit in ["TB", "TiB"] {
        let metrics = format!("memory_peak_resident:{unit}");
        denet().args(["bench", "-r", "1", "--style", "none", "--metrics", &metrics, "true"]).assert().success();
    }
    usage_error(
        &["--metrics", "memory_peak_resident:ms", "true"],
        "Unit 'ms' is not valid for metric 'memory_peak_resident'. Expected one of: ",
    );
}

#[test]
fn failing_hooks_are_named_with_hyperfines_words() {
    let _cpu = cpu_shared();
    for (flag, kind) in
        [("--setup", "setup"), ("--prepare", "preparation"), ("--conclude", "conclusion"), ("--cleanup", "cleanup")]
    {
        let needle =
            format!("Error: The {kind} command failed: Command 'exit 3' terminated with non-zero exit code 3 in ");
        denet()
            .args(["bench", "-r", "1", flag, "exit 3", "true"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(needle));
    }
}
