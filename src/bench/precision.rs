//! `--precision`: whether a command has run enough, the 95% interval of its primary metric's mean (or of its change against the reference) within ±target.
//!
//! Checked after every run, so a t-interval (cheap) rather than the bootstrap the reports use: for
//! the sample sizes reached here the two agree to a few percent of the width.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// What `--precision` asked for and what the runs gave, recorded per benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Precision {
    /// The target relative half-width (0.01 for ±1%).
    pub target: f64,
    /// The half-width reached, relative (of the mean, or of the change against the reference).
    pub achieved: Option<f64>,
    /// Of the mean, or of the change against the first command.
    pub of: Of,
    /// `--max-runs` came first: the target was not reached.
    pub max_runs_reached: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Of {
    Mean,
    Change,
    /// The change over interleaved rounds (per-round log ratios).
    PairedChange,
}

fn t975(n: usize) -> Option<f64> {
    StudentsT::new(0.0, 1.0, (n - 1) as f64).ok().map(|t| t.inverse_cdf(0.975))
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (mean, v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0))
}

/// Relative half-width of the 95% t-interval of the mean; None below two runs or at a zero mean.
pub fn of_mean(v: &[f64]) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let (mean, var) = mean_var(v);
    (mean != 0.0).then(|| t975(v.len())).flatten().map(|t| t * (var / v.len() as f64).sqrt() / mean.abs())
}

/// Relative half-width of the 95% interval of the change against `reference`: Welch's with
/// independent runs, Yuen's trimmed t over per-round log ratios with interleaved ones (as the
/// reported paired interval).
pub fn of_change(reference: &[f64], v: &[f64], paired: bool) -> Option<f64> {
    if reference.len() < 2 || v.len() < 2 {
        return None;
    }
    if paired {
        let n = reference.len().min(v.len());
        if reference[..n].iter().chain(&v[..n]).any(|&x| x <= 0.0) {
            return None;
        }
        let logs: Vec<f64> = reference.iter().zip(v).map(|(b, c)| (c / b).ln()).collect();
        let (_, se, df) = crate::trimmed::yuen(&logs)?;
        return Some(StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(0.975) * se);
    }
    let ((mr, vr), (_, vv)) = (mean_var(reference), mean_var(v));
    let (ar, av) = (vr / reference.len() as f64, vv / v.len() as f64);
    let df = (ar + av).powi(2) / (ar * ar / (reference.len() - 1) as f64 + av * av / (v.len() - 1) as f64);
    let t = if df.is_finite() { StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(0.975) } else { 1.96 };
    (mr != 0.0).then(|| t * (ar + av).sqrt() / mr.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_widths_match_scipy() {
        // scipy.stats.t.ppf(0.975, 6) * np.std(A, ddof=1) / sqrt(7) / np.mean(A) = 0.0907...
        let a = [1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 0.98];
        let h = of_mean(&a).unwrap();
        assert!((h - 2.446_911_85 * 0.100_640_804 / 7f64.sqrt() / 1.025_714_285_7).abs() < 1e-6, "{h}");
        assert_eq!(of_mean(&[1.0]), None);
    }

    #[test]
    fn pairing_narrows_the_change_when_rounds_drift_together() {
        let b = [1.0, 1.2, 0.9, 1.1, 1.3, 0.95];
        let c: Vec<f64> = b.iter().enumerate().map(|(i, x)| x * (1.02 + 0.001 * (i % 2) as f64)).collect();
        let paired = of_change(&b, &c, true).unwrap();
        let independent = of_change(&b, &c, false).unwrap();
        assert!(paired < 0.002 && independent > 0.1, "{paired} {independent}");
    }
}
