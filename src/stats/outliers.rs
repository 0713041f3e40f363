//! Outliers by modified z-score, as hyperfine flags them.

use super::describe::quantile;
use crate::bench::scheduler::Warning;

/// |modified z| above this is an outlier: 14.826 = 10 × 1.4826, i.e. ten robust standard deviations.
pub const THRESHOLD: f64 = 14.826;

/// Modified z-scores: (x − median) / MAD, with MAD the median absolute deviation.
/// When MAD is zero (more than half the values are equal), a value off the median
/// has an infinite score, as in hyperfine.
pub fn modified_zscores(values: &[f64]) -> Vec<f64> {
    if values.is_empty() {
        return Vec::new();
    }
    let median = quantile(values, 0.5);
    let deviations: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
    let mad = quantile(&deviations, 0.5);
    values
        .iter()
        .map(|v| {
            let d = v - median;
            if mad > 0.0 {
                d / mad
            } else if d == 0.0 {
                0.0
            } else {
                d.signum() * f64::INFINITY
            }
        })
        .collect()
}

/// What hyperfine warns of in a benchmark's wall times: a first run far slower than the rest
/// (a cold cache), or else outliers anywhere.
pub fn warning(walls: &[f64]) -> Option<Warning> {
    let z = modified_zscores(walls);
    if z.first().is_some_and(|&z0| z0 > THRESHOLD) {
        Some(Warning::SlowFirstRun)
    } else if z.iter().any(|v| v.abs() > THRESHOLD) {
        Some(Warning::Outliers)
    } else {
        None
    }
}

/// Indices of the outliers in `values`.
pub fn outliers(values: &[f64]) -> Vec<usize> {
    modified_zscores(values).iter().enumerate().filter(|(_, z)| z.abs() > THRESHOLD).map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zscores_match_numpy() {
        // numpy: med = 10.05, mad = 0.05; z = (x - med) / mad
        let x = [10.0, 10.2, 9.9, 10.1, 10.0, 25.0, 10.05];
        let z = modified_zscores(&x);
        let expected = [-1.0, 3.0, -3.0, 1.0, -1.0, 299.0, 0.0];
        for (a, b) in z.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert_eq!(outliers(&x), vec![5]);
    }

    #[test]
    fn a_value_off_a_constant_majority_is_an_outlier() {
        assert_eq!(outliers(&[1.0, 1.0, 1.0, 5.0]), vec![3]);
        assert!(outliers(&[1.0, 1.0, 1.0]).is_empty());
    }
}
