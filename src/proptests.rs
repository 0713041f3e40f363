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
    fn metric_selections_read_back(picks in proptest::sample::subsequence(Metric::ALL.to_vec(), 1..8)) {
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
