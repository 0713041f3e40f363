//! Property tests of every parser of user input: no input panics, and what a writer writes reads back the same.

use std::time::Duration;

use proptest::prelude::*;

use crate::metrics::{self, Metric};
use crate::options::{self, params, Unit};

/// A fixed number of cases, so CI time does not depend on the environment (PROPTEST_CASES).
fn config() -> ProptestConfig {
    ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn durations_never_panic_and_stay_in_range(s in "\\PC{0,20}") {
        for unit in [Unit::Millis, Unit::Seconds] {
            if let Ok(d) = options::parse_duration("-i", &s, unit) {
                prop_assert!(d >= Duration::from_millis(1) && d <= Duration::from_secs(366 * 86400), "{s:?}: {d:?}");
            }
        }
    }

    #[test]
    fn durations_read_back(ms in 1u64..10_000_000) {
        prop_assert_eq!(options::parse_duration("-i", &format!("{ms}ms"), Unit::Seconds).unwrap(), Duration::from_millis(ms));
        prop_assert_eq!(options::parse_duration("-i", &ms.to_string(), Unit::Millis).unwrap(), Duration::from_millis(ms));
    }

    #[test]
    fn thresholds_never_panic_and_are_never_negative(s in "\\PC{0,40}") {
        if let Ok(ts) = options::compare::thresholds(Some(&s)) {
            prop_assert!(!ts.is_empty());
            for t in ts {
                let (crate::vocab::Threshold::Relative(v) | crate::vocab::Threshold::Absolute(v)) = t.threshold;
                prop_assert!(v >= 0.0 && v.is_finite(), "{s:?}: {v}");
            }
        }
    }

    #[test]
    fn relative_thresholds_read_back(picks in proptest::collection::vec((0usize..Metric::ALL.len(), 0u32..100_000), 1..6)) {
        let spec: Vec<String> = picks.iter().map(|(m, p)| format!("{}={}%", Metric::ALL[*m].name(), *p as f64 / 100.0)).collect();
        let parsed = options::compare::thresholds(Some(&spec.join(","))).unwrap();
        // A metric given twice keeps its last value.
        for t in &parsed {
            let last = picks.iter().rev().find(|(m, _)| metrics::MetricKey::Known(Metric::ALL[*m]) == t.metric).unwrap();
            let crate::vocab::Threshold::Relative(r) = t.threshold else { panic!("a % threshold is relative") };
            prop_assert!((r - last.1 as f64 / 10_000.0).abs() < 1e-12, "{r} for {}", last.1);
        }
    }

    #[test]
    fn metric_selections_never_panic_and_are_never_empty(s in "\\PC{0,40}", ebpf: bool) {
        if let Ok(selected) = metrics::parse(&s, ebpf) {
            prop_assert!(!selected.is_empty(), "{s:?}");
        }
    }

    #[test]
    // Simulated metrics come with --simulate, never from --metrics.
    fn metric_selections_read_back(picks in proptest::sample::subsequence(
        Metric::ALL.iter().copied().filter(|m| !m.is_simulated()).collect::<Vec<_>>(), 1..8)) {
        let spec: Vec<&str> = picks.iter().map(|m| m.name()).collect();
        let parsed = metrics::parse(&spec.join(","), true).unwrap();
        prop_assert_eq!(parsed.iter().map(|s| s.metric).collect::<Vec<_>>(), picks);
    }

    #[test]
    fn parameter_lists_read_back_what_escaping_writes(values in proptest::collection::vec("\\PC{0,8}", 1..6)) {
        let escaped: Vec<String> = values.iter().map(|v| v.replace('\\', "\\\\").replace(',', "\\,")).collect();
        prop_assert_eq!(params::list("x", &escaped.join(",")).values, values);
    }

    #[test]
    fn parameter_scans_never_panic_and_start_at_min(min in "\\PC{0,12}", max in "\\PC{0,12}", step in proptest::option::of("\\PC{0,8}")) {
        if let Ok(scan) = params::scan("x", &min, &max, step.as_deref()) {
            prop_assert!(!scan.values.is_empty());
            prop_assert_eq!(scan.values[0].parse::<f64>().ok(), min.trim().parse::<f64>().ok());
        }
    }

    #[test]
    fn integer_scans_hold_every_step(min in -1000i64..1000, len in 0i64..500, step in 1i64..50) {
        let max = min + len;
        let scan = params::scan("x", &min.to_string(), &max.to_string(), Some(&step.to_string())).unwrap();
        prop_assert_eq!(scan.values.len() as i64, len / step + 1);
        prop_assert_eq!(scan.values.first().cloned(), Some(min.to_string()));
    }

    #[test]
    fn substitution_leaves_text_without_placeholders_alone(template in "[^{}]{0,30}", value in "\\PC{0,10}") {
        prop_assert_eq!(params::substitute(&template, &[("x".to_string(), value)]), template);
    }

    #[test]
    fn recordings_never_panic(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..6)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, lines.join(&b'\n')).unwrap();
        // A recording is read only when it holds at least one record, one per line at most.
        let mut records = 0;
        if crate::cmd::stats::read_recording(&path, &mut |_| records += 1).is_ok() {
            prop_assert!(records > 0 && records <= lines.len());
        }
    }
}

/// A results file holding `text`, read as `compare`, `report` and `--baseline` read it.
fn read_results(text: &[u8]) -> Result<crate::results::Document<'static>, crate::error::UserError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    std::fs::write(&path, text).unwrap();
    crate::results::read(&path)
}

/// A denet results file as `--export-json` writes it (two commands, parameters, a timeline).
const DENET_RESULTS: &str = r#"{"schema_version":2,"metadata":{"denet_version":"0.1.0","start_time":"2026-12-05T16:00:00Z","platform":{"os":"linux","architecture":"x86_64"},"alpha":0.05,"selected_metrics":["time_wall_clock","memory_peak_resident"]},"primary_metric":"time_wall_clock","results":[{"command":"sleep 0.1","name":"a","measurements":[{"time_wall_clock":{"value":0.101,"unit":"second"},"exit_code":0,"page_faults_minor":{"value":70},"started_s":0.0},{"time_wall_clock":{"value":0.102,"unit":"second"},"exit_code":0,"page_faults_minor":{"value":71},"started_s":0.11}],"parameters":{"n":{"value":"1"}},"complete":true,"timeline":{"run":0,"columns":["t_s","cpu_percent","rss_bytes"],"points":[[0.0,1.0,1000],[0.01,2.0,2000]]}},{"command":"sleep 0.2","measurements":[{"time_wall_clock":{"value":0.2,"unit":"second"},"exit_code":null,"exit_signal":9}],"complete":false}]}"#;

/// hyperfine 2.0's shape.
const HYPERFINE_2_RESULTS: &str = r#"{"schema_version":2,"metadata":{"hyperfine_version":"2.0.0"},"results":[{"command":"sleep 0.1","measurements":[{"time_wall_clock":{"value":0.1,"unit":"second"},"time_user":{"value":0.001,"unit":"second"},"memory_peak_resident":{"value":2000000,"unit":"byte"},"exit_code":0}],"summary":{"time_wall_clock":{"mean":0.1}}}]}"#;

/// hyperfine 1.x's shape.
const HYPERFINE_1_RESULTS: &str = r#"{"results":[{"command":"sleep 0.1","mean":0.1,"stddev":0.001,"median":0.1,"user":0.001,"system":0.0,"min":0.1,"max":0.1,"times":[0.1,0.101],"exit_codes":[0,0],"parameters":{"n":"1"}}]}"#;

proptest! {
    #![proptest_config(config())]

    #[test]
    fn results_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_results(&bytes);
    }

    #[test]
    fn mutated_results_files_never_panic_nor_read_impossible_values(
        which in 0usize..3,
        cuts in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 0..6),
        truncate in proptest::option::of(any::<proptest::sample::Index>()),
    ) {
        let mut text = [DENET_RESULTS, HYPERFINE_2_RESULTS, HYPERFINE_1_RESULTS][which].as_bytes().to_vec();
        for (at, byte) in cuts {
            let i = at.index(text.len());
            text[i] = byte;
        }
        if let Some(at) = truncate {
            text.truncate(at.index(text.len()));
        }
        if let Ok(doc) = read_results(&text) {
            for b in &doc.results {
                for key in b.metrics() {
                    prop_assert!(b.values(&key).unwrap().iter().all(|v| v.is_finite() && *v >= 0.0), "{key}");
                }
            }
        }
    }

    #[test]
    fn results_of_every_shape_read_back_their_runs(
        runs in proptest::collection::vec((0.0f64..1e6, proptest::option::of(-255i64..256)), 1..20),
        shape in 0usize..3,
    ) {
        let times: Vec<f64> = runs.iter().map(|r| r.0).collect();
        let codes: Vec<Option<i64>> = runs.iter().map(|r| r.1).collect();
        let text = match shape {
            // hyperfine 1.x: bare lists.
            0 => serde_json::json!({"results": [{"command": "c", "mean": 1.0, "times": times, "exit_codes": codes}]}),
            // hyperfine 2.0 and denet: one object per run.
            _ => {
                let ms: Vec<serde_json::Value> = runs.iter().map(|(t, c)| serde_json::json!({"time_wall_clock": {"value": t, "unit": "second"}, "exit_code": c})).collect();
                let meta = if shape == 1 { serde_json::json!({"hyperfine_version": "2.0.0"}) } else { serde_json::json!({"denet_version": "0.1.0"}) };
                serde_json::json!({"schema_version": 2, "metadata": meta, "results": [{"command": "c", "measurements": ms}]})
            }
        };
        let doc = read_results(text.to_string().as_bytes()).unwrap();
        let b = &doc.results[0];
        prop_assert_eq!(b.values(&Metric::TimeWallClock.into()).unwrap().into_owned(), times);
        prop_assert_eq!(b.exit_codes(), codes);
    }

    #[test]
    fn results_denet_writes_read_back_the_same(
        runs in proptest::collection::vec((0.0f64..1e9, 0u32..1_000_000, proptest::option::of(0i64..256), 0.0f64..1e4), 0..12),
    ) {
        use crate::results::{Measurement, Measurements};
        let measurements: Vec<Measurement> = runs
            .iter()
            .map(|(t, faults, code, started)| Measurement {
                values: vec![(Metric::TimeWallClock.into(), *t), (Metric::PageFaultsMinor.into(), f64::from(*faults))],
                exit_code: *code,
                exit_signal: None,
                started_s: Some(*started),
                timed_out: false,
                oom_killed: false,
            })
            .collect();
        let mut doc: crate::results::Document = serde_json::from_str(DENET_RESULTS).unwrap();
        doc.results[0].measurements = Measurements::Read(measurements.clone());
        let text = serde_json::to_vec(&doc).unwrap();
        let back = read_results(&text).unwrap();
        let Measurements::Read(read) = &back.results[0].measurements else { panic!("read runs") };
        let mut read = read.clone();
        read.iter_mut().for_each(|m| m.values.sort_by(|a, b| a.0.cmp(&b.0)));
        let mut written = measurements;
        written.iter_mut().for_each(|m| m.values.sort_by(|a, b| a.0.cmp(&b.0)));
        prop_assert_eq!(read, written);
        prop_assert_eq!(back.results[0].key(), doc.results[0].key());
    }

    #[test]
    fn env_values_never_panic(s in "\\PC{0,40}") {
        if let Ok(env) = crate::options::bench::environment(&s) {
            for (name, _) in &env {
                prop_assert!(crate::options::shell_syntax::is_variable_name(name), "{s:?}: {name:?}");
            }
        }
    }

    #[test]
    fn env_assignments_read_back_what_quoting_writes(
        pairs in proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_]{0,8}", "\\PC{0,12}"), 0..5),
    ) {
        let line: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={}", shell_words::quote(v))).collect();
        let env = crate::options::bench::environment(&line.join(" ")).unwrap();
        // A later assignment to a name replaces an earlier one.
        let mut expected: Vec<(String, String)> = Vec::new();
        for (n, v) in pairs {
            expected.retain(|(k, _)| *k != n);
            expected.push((n, v));
        }
        prop_assert_eq!(env, expected);
    }
}
