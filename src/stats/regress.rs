//! Regression verdicts: the confidence interval of a change set against a threshold.
//!
//! One method throughout: the (1 − α) percentile-bootstrap confidence interval
//! of the change (relative or absolute, as the threshold is), from per-round
//! ratios of interleaved runs or else independent resamples of both sides
//! (`paired::change_interval`, the interval every report shows). A metric *regressed* when the whole
//! interval lies above +threshold, *improved* when it lies below −threshold,
//! is *unchanged* when it lies within ±threshold, and the result is
//! *inconclusive* when it straddles a boundary (the runs are too noisy to tell).
//! Higher is worse for every metric denet measures.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::compare::{compare, Test};
use super::describe::{describe, Stats};
use super::paired::{change_interval, Design};
use crate::vocab::Threshold;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Improved,
    Unchanged,
    Regressed,
    Inconclusive,
}

/// One metric of one benchmark, baseline against current.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub baseline: Stats,
    pub current: Stats,
    /// (current − baseline) / baseline mean.
    pub change: f64,
    /// current − baseline means, in base units.
    pub difference: f64,
    /// Confidence interval of the change, in the threshold's terms (fraction or base units).
    pub ci: [f64; 2],
    pub confidence: f64,
    pub p_value: Option<f64>,
    pub test: Test,
    /// Paired over interleaved rounds, or independent samples.
    #[serde(default)]
    pub design: Design,
    pub threshold: Threshold,
    pub verdict: Verdict,
    /// Runs per side that would resolve the threshold at this noise, when the runs taken cannot.
    pub runs_needed: Option<usize>,
}

/// Judge `current` against `baseline`; `design` says whether run k of each was taken in the same round.
pub fn check(baseline: &[f64], current: &[f64], threshold: Threshold, alpha: f64, design: Design) -> Check {
    let (b, c) = (describe(baseline), describe(current));
    let relative = matches!(threshold, Threshold::Relative(_));
    let ci = change_interval(baseline, current, design, relative, alpha);
    let t = match threshold {
        Threshold::Relative(t) | Threshold::Absolute(t) => t,
    };
    // A relative change of a zero baseline is undefined: only an absolute threshold can judge it.
    let undefined = relative && b.mean == 0.0;
    let verdict = if baseline.len() < 2 || current.len() < 2 || undefined {
        Verdict::Inconclusive
    } else if ci[0] > t {
        Verdict::Regressed
    } else if ci[1] < -t {
        Verdict::Improved
    } else if ci[0] >= -t && ci[1] <= t {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    };
    let cmp = compare(baseline, current, alpha, design);
    Check {
        change: if b.mean != 0.0 { cmp.change } else { f64::NAN },
        difference: c.mean - b.mean,
        ci,
        confidence: 1.0 - alpha,
        p_value: cmp.p_value,
        test: cmp.test,
        design: cmp.design,
        runs_needed: runs_needed(&b, &c, threshold, alpha, paired_spread(baseline, current, &cmp, relative)),
        baseline: b,
        current: c,
        threshold,
        verdict,
    }
}

/// If the interval is wider than the threshold allows (so "unchanged" cannot be shown even for no change),
/// the runs per side that would narrow it enough: n > (z · √(s_b² + s_c²) / T)², with s the standard
/// deviations (relative to the baseline mean for a relative threshold).
fn runs_needed(b: &Stats, c: &Stats, threshold: Threshold, alpha: f64, paired: Option<f64>) -> Option<usize> {
    let (sb, sc) = (b.stddev?, c.stddev?);
    let z = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
    let (spread, t) = match threshold {
        Threshold::Relative(t) if b.mean != 0.0 => (paired.unwrap_or((sb * sb + sc * sc).sqrt() / b.mean.abs()), t),
        Threshold::Relative(_) => return None,
        Threshold::Absolute(t) => (paired.unwrap_or((sb * sb + sc * sc).sqrt()), t),
    };
    if t <= 0.0 {
        return None;
    }
    let needed = (z * spread / t).powi(2).ceil() as usize + 1;
    let have = b.count.min(c.count);
    (needed > have).then_some(needed)
}

/// With paired rounds, the standard deviation of the per-round statistic (log ratio or difference):
/// the noise that pairing leaves, which sets the runs needed instead of both sides' spread.
fn paired_spread(b: &[f64], c: &[f64], cmp: &super::Comparison, relative: bool) -> Option<f64> {
    if cmp.design != Design::Paired {
        return None;
    }
    describe(&super::paired::per_round(b, c, relative)?).stddev
}

/// The verdict's test name for display.
pub fn test_name(t: Test) -> &'static str {
    match t {
        Test::Welch => "Welch",
        Test::MannWhitney => "Mann–Whitney",
        Test::Paired => "paired t",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy(mean: f64, n: usize, spread: f64) -> Vec<f64> {
        // A fixed, symmetric pattern around the mean.
        (0..n).map(|i| mean * (1.0 + spread * (((i * 7) % 11) as f64 / 5.0 - 1.0))).collect()
    }

    #[test]
    fn a_clear_slowdown_beyond_the_threshold_regresses() {
        let c = check(
            &noisy(0.050, 30, 0.01),
            &noisy(0.060, 30, 0.01),
            Threshold::Relative(0.05),
            0.05,
            Design::Independent,
        );
        assert_eq!(c.verdict, Verdict::Regressed, "{c:?}");
        assert!((c.change - 0.2).abs() < 0.01);
        assert!(c.ci[0] > 0.15 && c.ci[1] < 0.25);
    }

    #[test]
    fn the_same_data_is_unchanged_and_a_speedup_improves() {
        let a = noisy(0.050, 30, 0.01);
        assert_eq!(check(&a, &a, Threshold::Relative(0.05), 0.05, Design::Independent).verdict, Verdict::Unchanged);
        let c = check(&a, &noisy(0.040, 30, 0.01), Threshold::Relative(0.05), 0.05, Design::Independent);
        assert_eq!(c.verdict, Verdict::Improved);
    }

    #[test]
    fn noise_wider_than_the_threshold_is_inconclusive_and_says_how_many_runs() {
        let c =
            check(&noisy(0.050, 5, 0.3), &noisy(0.052, 5, 0.3), Threshold::Relative(0.05), 0.05, Design::Independent);
        assert_eq!(c.verdict, Verdict::Inconclusive);
        let n = c.runs_needed.expect("too noisy for 5 runs");
        assert!(n > 5, "{n}");
    }

    #[test]
    fn absolute_thresholds_work_in_base_units() {
        let mib = 1048576.0;
        let b = noisy(100.0 * mib, 10, 0.001);
        let c = noisy(120.0 * mib, 10, 0.001);
        assert_eq!(
            check(&b, &c, Threshold::Absolute(2.0 * mib), 0.05, Design::Independent).verdict,
            Verdict::Regressed
        );
        assert_eq!(
            check(&b, &c, Threshold::Absolute(30.0 * mib), 0.05, Design::Independent).verdict,
            Verdict::Unchanged
        );
    }

    #[test]
    fn a_zero_baseline_cannot_be_judged_relatively() {
        let c = check(&[0.0, 0.0, 0.0], &[5000.0, 5100.0, 4900.0], Threshold::Relative(0.1), 0.05, Design::Independent);
        assert_eq!(c.verdict, Verdict::Inconclusive);
        let c =
            check(&[0.0, 0.0, 0.0], &[5000.0, 5100.0, 4900.0], Threshold::Absolute(10.0), 0.05, Design::Independent);
        assert_eq!(c.verdict, Verdict::Regressed);
    }

    #[test]
    fn single_runs_cannot_decide() {
        assert_eq!(
            check(&[1.0], &[2.0], Threshold::Relative(0.05), 0.05, Design::Independent).verdict,
            Verdict::Inconclusive
        );
    }
}
