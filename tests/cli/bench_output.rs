//! `denet bench`: run counts (with --mock), the JSON/CSV/markup exports, and the per-run peak RSS.

use std::path::Path;

use serde_json::Value;

use crate::util::{cpu_shared, denet, f64_of, u64_of, workload, MIB};

/// `denet bench --style none ARGS... --export-json -`, which must succeed: the JSON document.
fn bench_json(args: &[&str]) -> Value {
    let out = denet().args(["bench", "--style", "none", "--export-json", "-"]).args(args).output().expect("denet runs");
    assert!(out.status.success(), "denet bench {args:?} failed: {out:?}");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// `denet bench ARGS...`, which must succeed: stdout as text.
fn bench_stdout(args: &[&str]) -> String {
    let out = denet().arg("bench").args(args).output().expect("denet runs");
    assert!(out.status.success(), "denet bench {args:?} failed: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 on stdout")
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["results"].as_array().unwrap_or_else(|| panic!("no results array: {doc}"))
}

fn measurements(result: &Value) -> &Vec<Value> {
    result["measurements"].as_array().unwrap_or_else(|| panic!("no measurements array: {result}"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON ({e}): {text}", path.display()))
}

/// The value of a metric in each run.
fn per_run(result: &Value, metric: &str) -> Vec<f64> {
    measurements(result).iter().map(|m| f64_of(&m[metric], "value")).collect()
}

// ---- run counts (--mock: `sleep X` takes exactly X s) ----

fn mock_runs(args: &[&str]) -> usize {
    let mut all = vec!["--mock"];
    all.extend_from_slice(args);
    let doc = bench_json(&all);
    assert_eq!(results(&doc).len(), 1, "{doc}");
    measurements(&results(&doc)[0]).len()
}

#[test]
fn half_second_commands_get_the_minimum_of_ten_runs() {
    let _cpu = cpu_shared();
    assert_eq!(mock_runs(&["sleep 0.5"]), 10);
}

#[test]
fn short_commands_fill_three_seconds() {
    let _cpu = cpu_shared();
    assert_eq!(mock_runs(&["sleep 0.01"]), 300);
    assert_eq!(mock_runs(&["sleep 0.0817"]), 36);
}

#[test]
fn prepare_time_counts_towards_the_three_seconds() {
    let _cpu = cpu_shared();
    assert_eq!(mock_runs(&["--prepare=sleep 0.02", "sleep 0.01"]), 100);
    assert_eq!(mock_runs(&["--conclude=sleep 0.02", "sleep 0.01"]), 100);
}

#[test]
fn min_runs_one_allows_a_single_long_run() {
    let _cpu = cpu_shared();
    assert_eq!(mock_runs(&["--min-runs=1", "sleep 4"]), 1);
}

#[test]
fn max_runs_caps_the_count() {
    let _cpu = cpu_shared();
    assert_eq!(mock_runs(&["-M", "5", "sleep 0.01"]), 5);
}

#[test]
fn runs_fixes_the_count_and_warmups_are_not_kept() {
    let _cpu = cpu_shared();
    assert_eq!(mock_runs(&["--runs", "7", "sleep 0.01"]), 7);
    assert_eq!(mock_runs(&["--runs", "7", "--warmup", "3", "sleep 0.5"]), 7);
}

#[test]
fn basic_style_reports_the_run_count() {
    let _cpu = cpu_shared();
    let out = bench_stdout(&["--mock", "--style", "basic", "sleep 0.5", "sleep 0.01"]);
    assert!(out.contains("Benchmark 1: sleep 0.5"), "{out}");
    assert!(out.contains("Benchmark 2: sleep 0.01"), "{out}");
    // hyperfine 2.0: the run count closes the benchmark's title line.
    assert!(out.contains("Benchmark 1: sleep 0.5 (10 runs)\n"), "{out}");
    assert!(out.contains("Benchmark 2: sleep 0.01 (300 runs)\n"), "{out}");
}

// ---- JSON ----

#[test]
fn json_export_has_hyperfines_schema_2() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.json");
    let out = denet()
        .args(["bench", "-N", "--runs", "3", "--style", "none", "--export-json"])
        .arg(&file)
        .args(["true", "sleep 0.01"])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let doc = read_json(&file);
    assert_eq!(doc["schema_version"], 2, "{doc}");
    assert_eq!(doc["primary_metric"], "time_wall_clock", "{doc}");
    let os = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        other => other,
    };
    assert_eq!(doc["metadata"]["platform"]["os"], os, "{}", doc["metadata"]);
    let rs = results(&doc);
    assert_eq!(rs.len(), 2, "{doc}");
    for (r, command) in rs.iter().zip(["true", "sleep 0.01"]) {
        assert_eq!(r["command"], command, "{r}");
        assert!(r.get("name").is_none(), "`name` without -n: {r}");
        assert!(r.get("parameters").is_none(), "`parameters` without -L/-P: {r}");
        let ms = measurements(r);
        assert_eq!(ms.len(), 3, "{r}");
        for m in ms {
            assert_eq!(m["time_wall_clock"]["unit"], "second", "{m}");
            assert!(f64_of(&m["time_wall_clock"], "value") > 0.0, "{m}");
            assert_eq!(m["memory_peak_resident"]["unit"], "byte", "{m}");
            assert!(f64_of(&m["memory_peak_resident"], "value") > 0.0, "{m}");
            assert_eq!(m["exit_code"], 0, "{m}");
        }
        let s = &r["summary"]["time_wall_clock"];
        assert_eq!(s["unit"], "second", "{s}");
        assert_eq!(u64_of(s, "count"), 3, "{s}");
        let walls = per_run(r, "time_wall_clock");
        let mean = walls.iter().sum::<f64>() / 3.0;
        let (min, max) = (walls.iter().copied().fold(f64::MAX, f64::min), walls.iter().copied().fold(0.0, f64::max));
        let mut sorted = walls.clone();
        sorted.sort_by(f64::total_cmp);
        let sd = (walls.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        assert!(close(f64_of(s, "mean"), mean), "mean of {walls:?} is {mean}: {s}");
        assert!(close(f64_of(s, "stddev"), sd), "sample stddev of {walls:?} is {sd}: {s}");
        assert!(close(f64_of(s, "median"), sorted[1]), "median of {walls:?}: {s}");
        assert!(close(f64_of(s, "min"), min) && close(f64_of(s, "max"), max), "min/max of {walls:?}: {s}");
        assert_eq!(r["summary"]["memory_peak_resident"]["unit"], "byte", "{r}");
    }
    assert!(rs[0].get("comparison").is_none(), "the reference is compared with itself: {}", rs[0]);
    assert!(rs[1]["comparison"].is_object(), "no comparison for the second command: {}", rs[1]);
}

#[test]
fn json_stddev_is_null_for_a_single_run() {
    let _cpu = cpu_shared();
    let doc = bench_json(&["-N", "--runs", "1", "true"]);
    let s = &results(&doc)[0]["summary"]["time_wall_clock"];
    assert_eq!(u64_of(s, "count"), 1, "{s}");
    assert!(s["stddev"].is_null(), "{s}");
    assert_eq!(f64_of(s, "mean"), f64_of(s, "min"), "{s}");
}

#[test]
fn json_name_only_with_a_command_name() {
    let _cpu = cpu_shared();
    let doc = bench_json(&["--mock", "--runs", "2", "-n", "first", "sleep 0.1", "sleep 0.2"]);
    let rs = results(&doc);
    assert_eq!(rs[0]["name"], "first", "{}", rs[0]);
    assert_eq!(rs[0]["command"], "sleep 0.1", "{}", rs[0]);
    assert!(rs[1].get("name").is_none(), "the second command has no -n: {}", rs[1]);
}

#[test]
fn json_parameters_are_strings_under_value() {
    let _cpu = cpu_shared();
    let doc = bench_json(&["--mock", "--runs", "2", "-L", "n", "1,2", "sleep 0.0{n}"]);
    let rs = results(&doc);
    assert_eq!(rs.len(), 2, "{doc}");
    assert_eq!(rs[0]["command"], "sleep 0.01");
    assert_eq!(rs[0]["parameters"], serde_json::json!({"n": {"value": "1"}}), "{}", rs[0]);
    assert_eq!(rs[1]["command"], "sleep 0.02");
    assert_eq!(rs[1]["parameters"], serde_json::json!({"n": {"value": "2"}}), "{}", rs[1]);
    // The mock's timings prove the substituted command is what ran.
    assert_eq!(per_run(&rs[1], "time_wall_clock"), [0.02, 0.02]);

    let doc = bench_json(&["--mock", "--runs", "1", "-P", "x", "3", "4", "sleep 1"]);
    let values: Vec<&Value> = results(&doc).iter().map(|r| &r["parameters"]["x"]["value"]).collect();
    assert_eq!(values, ["3", "4"], "{doc}");
}

// ---- CSV ----

/// Equal up to the last digits (serde_json's float parsing may be one ULP off).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr.headers().expect("a CSV header").iter().map(String::from).collect();
    let rows = rdr.records().map(|r| r.expect("a CSV row").iter().map(String::from).collect()).collect();
    (header, rows)
}

#[test]
fn csv_export_has_a_row_per_command() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (csv_file, json_file) = (dir.path().join("out.csv"), dir.path().join("out.json"));
    let out = denet()
        .args(["bench", "-N", "--runs", "3", "--style", "none", "--export-csv"])
        .arg(&csv_file)
        .arg("--export-json")
        .arg(&json_file)
        .args(["true", "sleep 0.01"])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&csv_file).unwrap();
    // hyperfine 2.0's columns: the name, then unit and figures per selected metric, in base units.
    assert!(text.starts_with("command,time_wall_clock_unit,time_wall_clock_mean,time_wall_clock_stddev,"), "{text}");
    let (header, rows) = csv_rows(&text);
    assert_eq!(rows.len(), 2, "{text}");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}: {text}"));
    let doc = read_json(&json_file);
    for (row, r) in rows.iter().zip(results(&doc)) {
        assert_eq!(row.len(), header.len(), "{text}");
        assert_eq!(row[col("command")], r["command"].as_str().unwrap(), "{text}");
        for metric in ["time_wall_clock", "time_user"] {
            assert_eq!(row[col(&format!("{metric}_unit"))], "s", "{text}");
            for stat in ["mean", "stddev", "median", "min", "max"] {
                let cell = &row[col(&format!("{metric}_{stat}"))];
                let v: f64 = cell.parse().unwrap_or_else(|e| panic!("{metric} {stat} is not a number ({e}): {text}"));
                let j = f64_of(&r["summary"][metric], stat);
                assert!(close(v, j), "CSV {metric} {stat} {v} differs from the JSON summary's {j}: {text}");
            }
        }
    }
}

#[test]
fn csv_runs_export_has_a_row_per_run() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runs.csv");
    let out = denet()
        .args(["bench", "-N", "--runs", "4", "--style", "none", "--export-csv-runs"])
        .arg(&file)
        .args(["true", "sleep 0.01"])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    let (header, rows) = csv_rows(&text);
    assert_eq!(rows.len(), 8, "{text}");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}: {text}"));
    let got: Vec<(String, String)> = rows.iter().map(|r| (r[col("command")].clone(), r[col("run")].clone())).collect();
    let expected: Vec<(String, String)> =
        ["true", "sleep 0.01"].iter().flat_map(|c| (0..4).map(move |i| (c.to_string(), i.to_string()))).collect();
    assert_eq!(got, expected, "{text}");
    for r in &rows {
        assert_eq!(r[col("exit_code")], "0", "{text}");
        let wall: f64 = r[col("time_wall_clock")].parse().unwrap();
        assert!(wall > 0.0, "{text}");
    }
}

// ---- Markdown, AsciiDoc, Org-mode ----

#[test]
fn markdown_export_has_a_row_per_command_with_the_change() {
    let _cpu = cpu_shared();
    let md =
        bench_stdout(&["--mock", "--style", "none", "--runs", "3", "--export-markdown", "-", "sleep 1", "sleep 2"]);
    // hyperfine 2.0's table exactly (no significance column), set apart by blank lines on stdout.
    let expected = "\n| Command | Mean Wall Time [s] | Change | Factor |\n|:---|---:|---:|:---|\n\
                    | `sleep 1` | 1.000 ± 0.000 |  |  |\n\
                    | `sleep 2` | 2.000 ± 0.000 | +100.0% | (2.0x slower) |\n\n";
    assert_eq!(md, expected);
}

#[test]
fn asciidoc_and_orgmode_exports_have_their_syntax() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (adoc, org) = (dir.path().join("t.adoc"), dir.path().join("t.org"));
    let out = denet()
        .args(["bench", "--mock", "--runs", "2", "--style", "none", "--export-asciidoc"])
        .arg(&adoc)
        .arg("--export-orgmode")
        .arg(&org)
        .args(["sleep 1", "sleep 2"])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    // hyperfine 2.0's layouts, byte for byte.
    let adoc = std::fs::read_to_string(adoc).unwrap();
    let expected = "[cols=\"<,>,>,<\"]\n|===\n| Command\n| Mean Wall Time [s]\n| Change\n| Factor\n\n\
                    | `sleep 1`\n| 1.000 ± 0.000\n|\n|\n\n\
                    | `sleep 2`\n| 2.000 ± 0.000\n| +100.0%\n| (2.0x slower)\n|===\n";
    assert_eq!(adoc, expected);
    let org = std::fs::read_to_string(org).unwrap();
    let expected = "| Command  |  Mean Wall Time [s] |  Change |  Factor |\n|--+--+--+--|\n\
                    | =sleep 1=  |  1.000 ± 0.000 |   |   |\n\
                    | =sleep 2=  |  2.000 ± 0.000 |  +100.0% |  (2.0x slower) |\n";
    assert_eq!(org, expected);
}

#[test]
fn metrics_with_a_unit_change_the_markdown_header() {
    let _cpu = cpu_shared();
    let auto = bench_stdout(&["--mock", "--style", "none", "--runs", "2", "--export-markdown", "-", "sleep 1.5"]);
    assert!(auto.starts_with("\n| Command | Mean Wall Time [s] |"), "{auto}");
    let ms = bench_stdout(&[
        "--mock",
        "--style",
        "none",
        "--runs",
        "2",
        "--metrics",
        "time_wall_clock:ms,memory_peak_resident",
        "--export-markdown",
        "-",
        "sleep 1.5",
    ]);
    assert!(ms.starts_with("\n| Command | Mean Wall Time [ms] |"), "{ms}");
    assert!(ms.contains("| `sleep 1.5` | 1500.0 ± 0.0 |"), "{ms}");
}

// ---- exports survive a failure ----

#[test]
fn a_failing_second_command_leaves_the_first_in_the_export() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.json");
    let out = denet()
        .args(["bench", "-N", "--runs", "3", "--style", "none", "--export-json"])
        .arg(&file)
        .args(["true", "sh -c 'exit 3'"])
        .output()
        .expect("denet runs");
    assert_ne!(out.status.code(), Some(0), "the failing command went unnoticed: {out:?}");
    assert!(out.status.code().is_some(), "denet died of a signal: {out:?}");
    let doc = read_json(&file);
    let rs = results(&doc);
    assert_eq!(rs.len(), 1, "only the first command has results: {doc}");
    assert_eq!(rs[0]["command"], "true");
    assert_eq!(measurements(&rs[0]).len(), 3, "{doc}");
    // No temporary file is left beside the export.
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    assert_eq!(names, ["out.json"], "{names:?}");
}

// ---- accuracy: per-run peak RSS (hyperfine 1.x gets both wrong) ----

#[test]
fn peak_rss_of_a_small_command_after_a_big_one_is_small() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.json");
    let big = format!("{} hold 200 0.2", shell_words::quote(workload().to_str().unwrap()));
    let out = denet()
        .args(["bench", "-N", "--runs", "3", "--style", "none", "--export-json"])
        .arg(&file)
        .args([big.as_str(), "true"])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let doc = read_json(&file);
    let rs = results(&doc);
    let big_mean = f64_of(&rs[0]["summary"]["memory_peak_resident"], "mean");
    let small_mean = f64_of(&rs[1]["summary"]["memory_peak_resident"], "mean");
    assert!(big_mean >= (200 * MIB) as f64, "hold 200 MiB peaked at {:.1} MiB", big_mean / MIB as f64);
    assert!(small_mean < (10 * MIB) as f64, "`true` after it peaked at {:.1} MiB", small_mean / MIB as f64);
}

#[test]
fn identical_commands_have_identical_peak_rss() {
    let _cpu = cpu_shared();
    let doc = bench_json(&["-N", "--runs", "5", "true", "true"]);
    let rs = results(&doc);
    let (a, b) = (per_run(&rs[0], "memory_peak_resident"), per_run(&rs[1], "memory_peak_resident"));
    assert_eq!((a.len(), b.len()), (5, 5));
    let all: Vec<f64> = a.iter().chain(&b).copied().collect();
    let spread = all.iter().copied().fold(f64::MIN, f64::max) - all.iter().copied().fold(f64::MAX, f64::min);
    // `true`'s own peak varies by about 150 KiB from run to run (`/usr/bin/time -f %M true` gives
    // 960-1108 KiB here: how many file pages the loader maps around each fault). What must not
    // happen is the second command starting from a higher floor than the first.
    assert!(spread <= 256.0 * 1024.0, "peak RSS of `true` varies by {spread} bytes: first {a:?}, second {b:?}");
    assert!(all.iter().all(|&v| v < 2.0 * MIB as f64), "`true` peaks at about 1 MiB: first {a:?}, second {b:?}");
}

/// As in hyperfine 2.0, "Benchmark 1: name (N runs)" is printed when the benchmark ends, above its
/// figures: the command's own output (--show-output) comes before it.
#[test]
fn shown_output_comes_before_the_benchmark_block() {
    let _cpu = cpu_shared();
    let out =
        denet().args(["bench", "-N", "--runs", "2", "--show-output", "echo shown-line"]).output().expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let at = |needle: &str| stdout.find(needle).unwrap_or_else(|| panic!("no {needle:?} in {stdout}"));
    assert!(stdout.starts_with("shown-line\nshown-line\n"), "{stdout}");
    assert!(at("\nshown-line\n") < at("Benchmark 1: echo shown-line (2 runs)"), "{stdout}");
    assert!(at("Benchmark 1: echo shown-line") < at("Wall Time"), "{stdout}");
    assert_eq!(stdout.matches("Benchmark 1:").count(), 1, "{stdout}");
}

/// A run shorter than a tick is never sampled, yet its own process and main thread existed.
#[test]
fn a_run_shorter_than_a_tick_has_its_own_process() {
    let doc = bench_json(&["-N", "--runs", "3", "true"]);
    for m in doc["results"][0]["measurements"].as_array().unwrap() {
        assert!(m["processes_peak"]["value"].as_f64().unwrap() >= 1.0, "{m}");
        assert!(m["threads_peak"]["value"].as_f64().unwrap() >= 1.0, "{m}");
    }
}

/// Figures from the /proc sampler say so: "(sampled)" in the block, a `sampled` list in the JSON.
#[test]
fn sampled_figures_are_labelled_in_the_block_and_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("b.json");
    let json_arg = json.to_str().unwrap();
    let args = ["-N", "--runs", "2", "--metrics", "time_wall_clock,processes_peak,threads_peak", "--export-json"];
    let text = bench_stdout(&[&args[..], &[json_arg, "true"]].concat());
    for label in ["Processes peak (sampled)", "Threads peak (sampled)"] {
        assert!(text.contains(label), "no {label:?} in:\n{text}");
    }
    assert!(!text.contains("Wall Time (sampled)"), "{text}");
    let doc = read_json(&json);
    let sampled: Vec<&str> =
        doc["results"][0]["sampled"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(sampled, ["memory_peak_resident_tree", "processes_peak", "threads_peak"], "{doc}");
    assert_eq!(doc["results"][0]["summary"]["processes_peak"]["sampled"], true);
}
