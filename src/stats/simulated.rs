//! Verdicts on simulated counts: deterministic, so the change itself is set against the threshold, with no interval.

use super::compare::Test;
use super::describe::describe;
use super::regress::{Check, Verdict};
use crate::vocab::Threshold;

/// Judge one simulated count against the baseline's: a change beyond the threshold is a regression
/// (or an improvement) outright, since an A/A pair of simulated runs gives identical counts.
pub fn check(baseline: f64, current: f64, threshold: Threshold, alpha: f64) -> Check {
    let change = if baseline != 0.0 { current / baseline - 1.0 } else { f64::NAN };
    let difference = current - baseline;
    let (measured, t) = match threshold {
        Threshold::Relative(t) => (change, t),
        Threshold::Absolute(t) => (difference, t),
    };
    let verdict = if measured.is_nan() {
        Verdict::Inconclusive
    } else if measured > t {
        Verdict::Regressed
    } else if measured < -t {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    };
    Check {
        baseline: describe(&[baseline]),
        current: describe(&[current]),
        change,
        difference,
        // The interval of an exact value is the value.
        ci: [measured, measured],
        confidence: 1.0 - alpha,
        p_value: None,
        test: Test::Welch,
        threshold,
        verdict,
        runs_needed: None,
        // One simulated run each: nothing to pair.
        design: super::Design::Independent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_beyond_the_threshold_is_a_verdict_without_an_interval() {
        let t = Threshold::Relative(0.005);
        assert_eq!(check(1_000_000.0, 1_010_000.0, t, 0.05).verdict, Verdict::Regressed);
        assert_eq!(check(1_000_000.0, 1_004_000.0, t, 0.05).verdict, Verdict::Unchanged);
        assert_eq!(check(1_000_000.0, 1_000_000.0, t, 0.05).verdict, Verdict::Unchanged);
        assert_eq!(check(1_000_000.0, 990_000.0, t, 0.05).verdict, Verdict::Improved);
        let c = check(1_000_000.0, 1_010_000.0, t, 0.05);
        assert!((c.change - 0.01).abs() < 1e-12 && c.ci[0] == c.ci[1] && c.p_value.is_none());
    }

    #[test]
    fn absolute_thresholds_and_zero_baselines() {
        assert_eq!(check(100.0, 150.0, Threshold::Absolute(40.0), 0.05).verdict, Verdict::Regressed);
        assert_eq!(check(100.0, 130.0, Threshold::Absolute(40.0), 0.05).verdict, Verdict::Unchanged);
        assert_eq!(check(0.0, 5.0, Threshold::Relative(0.01), 0.05).verdict, Verdict::Inconclusive);
    }
}
