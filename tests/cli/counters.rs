//! `denet bench` perf_event counters: software ones against known workloads in both spawners, the hardware ones where a PMU exists, and the refusals.

use serde_json::Value;

use crate::util::{cpu_exclusive, cpu_shared, denet, f64_of, workload};

/// Both spawners: the tiny C one (posix_spawn) and the fork fallback.
const SPAWNERS: [&str; 2] = ["tiny", "fork"];

/// `denet bench -N --style none --export-json - ARGS...` with `spawner`: the JSON document; `None`,
/// with the reason printed, where this machine cannot count a counter named (exit 1 and the message
/// that names it; an unprivileged user under perf_event_paranoid 2 has no context switches, a
/// container's seccomp profile may forbid all).
fn bench_json(spawner: &str, args: &[&str]) -> Option<Value> {
    let mut cmd = denet();
    if spawner == "fork" {
        cmd.env("DENET_SPAWNER", "fork");
    }
    let out = cmd.args(["bench", "-N", "--style", "none", "--export-json", "-"]).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(1) && stderr.contains("is unavailable: perf_event_open(") {
        assert!(stderr.contains("Fix: "), "the refusal names no fix: {stderr}");
        eprintln!("skipped: {}", stderr.trim());
        return None;
    }
    assert!(out.status.success(), "denet bench {args:?} ({spawner}) failed: {out:?}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// Each run's values of `metric` in the first result.
fn per_run(doc: &Value, metric: &str) -> Vec<f64> {
    let runs = doc["results"][0]["measurements"].as_array().unwrap();
    runs.iter().map(|m| f64_of(&m[metric], "value")).collect()
}

#[test]
fn the_task_clock_of_two_busy_threads_is_their_cpu_time() {
    let _cpu = cpu_exclusive();
    let busy = format!("{} busy 2 0.3", workload().display());
    for spawner in SPAWNERS {
        let Some(doc) = bench_json(spawner, &["--runs", "3", "--metrics", "task_clock,time_cpu", &busy]) else {
            return;
        };
        let (clock, cpu) = (per_run(&doc, "task_clock"), per_run(&doc, "time_cpu"));
        for (t, c) in clock.iter().zip(&cpu) {
            // Both count every thread's time on a CPU; wait4's also covers the few hundred
            // microseconds between the spawn and the exec, the task clock starts at the exec.
            // On a busy machine the threads get less than their 0.6 s; whatever they got, both see it.
            assert!(*c > 0.02, "{spawner}: CPU time {c} s for two threads busy 0.3 s");
            assert!((t - c).abs() <= 0.05 * c + 0.005, "{spawner}: task clock {t} s, CPU time {c} s");
        }
        assert_eq!(doc["results"][0]["measurements"][0]["task_clock"]["unit"], "second");
    }
}

#[test]
fn context_switches_count_every_process_of_the_tree() {
    let _cpu = cpu_shared();
    // Four children that each sleep, and their parent waiting for them: at least five switches,
    // and only if the children inherit the counter.
    let tree = format!("{} tree 4 0.02", workload().display());
    for spawner in SPAWNERS {
        let metrics = "context_switches,cpu_migrations";
        let Some(doc) = bench_json(spawner, &["--runs", "3", "--metrics", metrics, &tree]) else { return };
        for n in per_run(&doc, "context_switches") {
            assert!(n >= 5.0, "{spawner}: {n} context switches for a parent and four sleeping children");
        }
        let first = &doc["results"][0]["measurements"][0]["context_switches"];
        assert!(first.get("unit").is_none(), "a count has no unit, as in hyperfine's JSON: {first}");
        assert!(doc["results"][0]["summary"]["cpu_migrations"]["mean"].as_f64().is_some(), "{doc}");
    }
}

#[test]
fn instructions_are_counted_where_a_pmu_exists() {
    let _cpu = cpu_shared();
    let out =
        denet().args(["bench", "-N", "--style", "none", "--runs", "2", "--metrics", "instructions", "true"]).output();
    let out = out.unwrap();
    if !out.status.success() {
        // No PMU here, or perf_event_paranoid forbids it: hyperfine's exit code, and a message
        // naming the counter, the kernel's answer and the fix.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        let named = "Metric 'instructions' is unavailable: perf_event_open(PERF_COUNT_HW_INSTRUCTIONS)";
        assert!(stderr.contains(named) && stderr.contains("Fix: "), "{stderr}");
        eprintln!("skipped: no hardware counters here ({})", stderr.trim());
        return;
    }
    let spin = format!("{} busy 1 0.05", workload().display());
    let instructions = |spawner, cmd| {
        per_run(&bench_json(spawner, &["--runs", "2", "--metrics", "instructions", cmd]).unwrap(), "instructions")
    };
    for spawner in SPAWNERS {
        let (t, b) = (instructions(spawner, "true"), instructions(spawner, &spin));
        // `true` runs a few hundred thousand instructions in user space; 50 ms of spinning, millions.
        assert!(t.iter().all(|&n| n > 1e4 && n < 1e7), "{spawner}: true: {t:?}");
        assert!(b.iter().all(|&n| n > 1e7), "{spawner}: busy 50 ms: {b:?}");
    }
}

#[test]
fn counters_are_refused_with_a_shell_and_left_out_of_the_all_preset() {
    let _cpu = cpu_shared();
    let out = denet().args(["bench", "-S", "sh", "--runs", "2", "--metrics", "task_clock", "true"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Metric 'task_clock' is unavailable when a shell is enabled"), "{stderr}");
    let out = denet()
        .args(["bench", "-S", "sh", "--style", "none", "--runs", "2", "--metrics", "all", "--export-json", "-", "true"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &doc["results"][0]["measurements"][0];
    assert!(run.get("task_clock").is_none() && run.get("time_wall_clock").is_some(), "{run}");
}

#[test]
fn the_all_preset_has_the_software_counters_without_a_shell() {
    let _cpu = cpu_shared();
    let Some(doc) = bench_json("tiny", &["--runs", "2", "--metrics", "all", "true"]) else { return };
    let run = &doc["results"][0]["measurements"][0];
    assert!(run["task_clock"]["value"].as_f64().is_some_and(|v| v > 0.0), "{run}");
}
