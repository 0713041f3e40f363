//! Regression checks: `denet compare`, `bench --baseline`, `bench --threshold`: verdicts, exit codes, reports, bad input.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::util::{cpu_shared, denet, workload};

/// A results file in hyperfine 2.0's schema with the given per-run wall times and peak RSS.
fn results(benchmarks: &[(&str, &[f64], &[f64])]) -> Value {
    let results: Vec<Value> = benchmarks
        .iter()
        .map(|(cmd, walls, rss)| {
            let runs: Vec<Value> = walls
                .iter()
                .zip(rss.iter())
                .map(|(w, m)| {
                    json!({"time_wall_clock": {"value": w, "unit": "second"},
                           "memory_peak_resident": {"value": m, "unit": "byte"}, "exit_code": 0})
                })
                .collect();
            json!({"command": cmd, "measurements": runs})
        })
        .collect();
    json!({"schema_version": 2, "metadata": {"hyperfine_version": "2.0.0"}, "primary_metric": "time_wall_clock", "results": results})
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
    p
}

/// n values spread evenly ±spread around mean (a deterministic "noisy" series).
fn series(mean: f64, n: usize, spread: f64) -> Vec<f64> {
    (0..n).map(|i| mean * (1.0 + spread * ((i % 5) as f64 / 2.0 - 1.0))).collect()
}

fn compare(dir: &Path, base: &Value, cur: &Value, extra: &[&str]) -> std::process::Output {
    let b = write(dir, "base.json", base);
    let c = write(dir, "cur.json", cur);
    denet().arg("compare").arg(&b).arg(&c).args(extra).env_remove("GITHUB_STEP_SUMMARY").output().unwrap()
}

const MIB: f64 = 1048576.0;

#[test]
fn synthetic_verdicts_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let same_rss = vec![10.0 * MIB; 20];
    let base = results(&[("a", &series(0.100, 20, 0.01), &same_rss)]);
    // +20%: regressed, exit 1.
    let slower = results(&[("a", &series(0.120, 20, 0.01), &same_rss)]);
    let out = compare(dir.path(), &base, &slower, &[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("REGRESSED"));
    // −20%: improved, exit 0.
    let faster = results(&[("a", &series(0.080, 20, 0.01), &same_rss)]);
    let out = compare(dir.path(), &base, &faster, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("improved"));
    // +1%: within 5%, unchanged, exit 0.
    let same = results(&[("a", &series(0.101, 20, 0.01), &same_rss)]);
    let out = compare(dir.path(), &base, &same, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 unchanged"), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn noise_is_inconclusive_and_can_fail_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let rss = vec![10.0 * MIB; 5];
    let base = results(&[("a", &series(0.100, 5, 0.4), &rss)]);
    let cur = results(&[("a", &series(0.103, 5, 0.4), &rss)]);
    let out = compare(dir.path(), &base, &cur, &["--threshold", "time_wall_clock=5%"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(text.contains("inconclusive"), "{text}");
    assert!(text.contains("runs per command would"), "the noise guard names a run count: {text}");
    let out = compare(dir.path(), &base, &cur, &["--threshold", "time_wall_clock=5%", "--fail-on", "inconclusive"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

#[test]
fn absolute_memory_threshold_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let walls = series(0.1, 10, 0.01);
    let base = results(&[("a", &walls, &[50.0 * MIB; 10])]);
    let cur = results(&[("a", &walls, &[53.0 * MIB; 10])]);
    let md = dir.path().join("c.md");
    let junit = dir.path().join("j.xml");
    let summary = dir.path().join("summary.md");
    let b = write(dir.path(), "b.json", &base);
    let c = write(dir.path(), "c.json", &cur);
    let out = denet()
        .args(["compare", "--threshold", "time_wall_clock=5%,memory_peak_resident=2MiB"])
        .arg(&b)
        .arg(&c)
        .arg("--export-markdown")
        .arg(&md)
        .arg("--export-junit")
        .arg(&junit)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "3 MiB more is beyond 2 MiB: {out:?}");
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.starts_with("### denet: 1 regressed, 1 unchanged"), "{md}");
    assert!(md.contains("| `a` | Peak RSS (largest process) |") && md.contains("regressed"), "{md}");
    assert_eq!(std::fs::read_to_string(summary).unwrap().trim(), md.trim(), "the job summary gets the same table");
    let xml = std::fs::read_to_string(junit).unwrap();
    assert!(xml.contains("<testsuites name=\"denet\" tests=\"2\" failures=\"1\">"), "{xml}");
    assert!(xml.contains("name=\"memory_peak_resident\"><failure"), "{xml}");
    assert!(xml.contains("name=\"time_wall_clock\"><system-out>unchanged"), "{xml}");
}

#[test]
fn bad_input_is_a_usage_error_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", &results(&[("a", &[0.1, 0.1], &[MIB, MIB])]));
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("missing.json", None, "cannot read it"),
        ("empty.json", Some(String::new()), "the file is empty"),
        ("corrupt.json", Some("{\"schema_version\": 2, \"results\": [".into()), "not valid JSON"),
        (
            "v1.json",
            Some(json!({"results": [{"command": "a", "mean": 0.1}]}).to_string()),
            "has no per-run \"times\" (hyperfine 1.x)",
        ),
        ("v3.json", Some(json!({"schema_version": 3, "results": []}).to_string()), "found schema_version 3"),
        (
            "other.json",
            Some(results(&[("b", &[0.1, 0.1], &[MIB, MIB])]).to_string()),
            "no benchmark of the current results matches",
        ),
    ];
    for (name, content, expected) in cases {
        let path = dir.path().join(name);
        if let Some(c) = content {
            std::fs::write(&path, c).unwrap();
        }
        let out = denet().arg("compare").arg(&good).arg(&path).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {out:?}");
        assert!(err.contains(expected), "{name}: expected '{expected}' in: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A results file in hyperfine 1.x's shape (as 1.20 writes it): per-run wall times and exit codes,
/// means of user and system time, and the running maximum of the children's memory.
fn results_v1(command: &str, walls: &[f64]) -> Value {
    let mean = walls.iter().sum::<f64>() / walls.len() as f64;
    json!({"results": [{"command": command, "mean": mean, "stddev": 0.001, "median": mean, "user": 0.001,
        "system": 0.0, "min": walls[0], "max": walls[0], "times": walls,
        "memory_usage_byte": vec![3182592; walls.len()], "exit_codes": vec![0; walls.len()]}]})
}

#[test]
fn hyperfine_1_files_are_compared_on_wall_time_with_a_note_on_what_they_lack() {
    let dir = tempfile::tempdir().unwrap();
    let base = results_v1("a", &series(0.100, 20, 0.01));
    let slower = results(&[("a", &series(0.120, 20, 0.01), &[10.0 * MIB; 20])]);
    let out = compare(dir.path(), &base, &slower, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "+20% wall time regresses: {out:?}");
    assert!(text.contains("REGRESSED") && text.contains("Wall Time"), "{text}");
    assert!(text.contains("the baseline file is a hyperfine 1.x export"), "{text}");
    assert!(text.contains("no per-run memory"), "{text}");
    assert!(text.contains("memory_peak_resident is missing from the baseline: not checked"), "{text}");
    // Asked for explicitly, a metric the 1.x file lacks is still an error.
    let out = compare(dir.path(), &base, &slower, &["--threshold", "memory_peak_resident=5%"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing from the baseline"), "{out:?}");
}

#[test]
fn disjoint_metric_sets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let with_rss = results(&[("a", &[0.1, 0.1], &[MIB, MIB])]);
    let mut without = with_rss.clone();
    for m in without["results"][0]["measurements"].as_array_mut().unwrap() {
        m.as_object_mut().unwrap().remove("memory_peak_resident");
    }
    let out = compare(dir.path(), &with_rss, &without, &["--threshold", "memory_peak_resident=5%"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing from the current results"), "{out:?}");
}

/// Record real runs once, then compare disjoint halves of them many times: the false-positive rate
/// of the verdict, without spending minutes re-running `sleep`.
#[test]
fn the_same_command_is_not_flagged_in_19_of_20_comparisons() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.json");
    let out = denet()
        .args([
            "bench",
            "-N",
            "--runs",
            "40",
            "--style",
            "none",
            "--sample-interval",
            "0",
            "sleep 0.05",
            "--export-json",
        ])
        .arg(&rec)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&rec).unwrap()).unwrap();
    let runs = doc["results"][0]["measurements"].as_array().unwrap().clone();
    let mut flagged = 0;
    for k in 0..20u64 {
        // A deterministic shuffle (multiplicative hashing), different for each k.
        let mut order: Vec<usize> = (0..runs.len()).collect();
        order.sort_by_key(|&i| {
            (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15 ^ (k + 1).wrapping_mul(0xD1B5_4A32_D192_ED03))
        });
        let half = |part: &[usize]| {
            let mut d = doc.clone();
            d["results"][0]["measurements"] = Value::Array(part.iter().map(|&i| runs[i].clone()).collect());
            d
        };
        let (a, b) = order.split_at(runs.len() / 2);
        let out = compare(dir.path(), &half(a), &half(b), &["--threshold", "time_wall_clock=5%"]);
        match out.status.code() {
            Some(0) => {}
            Some(1) => flagged += 1,
            _ => panic!("{out:?}"),
        }
    }
    assert!(flagged <= 1, "{flagged} of 20 comparisons of sleep 0.05 with itself were flagged as regressions");
}

#[test]
fn a_slower_command_regresses_and_a_bigger_allocation_regresses_memory() {
    let _cpu = cpu_shared();
    let w = workload();
    let w = w.to_str().unwrap();
    // Time: sleep 0.05 against sleep 0.06 (+20%) at 5%.
    let out = denet()
        .args(["bench", "-N", "--runs", "10", "--style", "none", "--interleave", "--threshold", "time_wall_clock=5%"])
        .args([&format!("{w} sleep 0.05"), &format!("{w} sleep 0.06")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "sleep 0.06 regressed against sleep 0.05: {out:?}");
    // Memory: 20 MiB more at equal time is a memory regression at the default 10%.
    let out = denet()
        .args([
            "bench",
            "-N",
            "--runs",
            "5",
            "--style",
            "basic",
            "--interleave",
            "--threshold",
            "memory_peak_resident=10%",
        ])
        .args([&format!("{w} hold 40 0.05"), &format!("{w} hold 60 0.05")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text.contains("Peak RSS (largest process)") && text.contains("REGRESSED"), "{text}");
}

#[test]
fn baselines_are_saved_and_compared_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        denet().current_dir(dir.path()).args(["bench", "--mock", "--style", "none"]).args(args).output().unwrap()
    };
    let out = run(&["--runs", "10", "sleep 0.05", "--save-baseline", "main"]);
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join(".denet/baselines/main.json").is_file());
    assert_eq!(run(&["--runs", "10", "sleep 0.05", "--baseline", "main"]).status.code(), Some(0));
    // The mock makes `sleep 0.06` exactly 20% slower: a regression against the saved baseline? No: it is
    // another benchmark (matched by command), so nothing matches: a usage error.
    let out = run(&["--runs", "10", "sleep 0.06", "--baseline", "main"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // Named alike with -n, it is matched, and it regressed.
    let out = run(&["--runs", "10", "-n", "sleep 0.05", "sleep 0.06", "--baseline", "main"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    // A baseline that does not exist fails before anything runs.
    let out = run(&["--runs", "10", "sleep 0.05", "--baseline", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(".denet/baselines/nope.json"), "{out:?}");
}
