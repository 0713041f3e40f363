//! A command against the reference: relative change with its confidence interval and a significance test.

use criterion_stats::univariate::Sample;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::outliers::outliers;
use super::paired::{change_interval, paired_change, paired_p, Design};

/// Which test produced the p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Welch's unequal-variances t-test (the default).
    Welch,
    /// Mann–Whitney U, normal approximation with tie and continuity corrections, for data far from normal.
    MannWhitney,
    /// Paired t-test on the per-round log ratios of interleaved runs.
    Paired,
}

/// One command's metric against the reference's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// mean / reference mean.
    pub ratio: f64,
    /// The change: (mean − reference mean) / reference mean, or with paired rounds the
    /// 20%-trimmed mean of the per-round log ratios, transformed back, − 1.
    pub change: f64,
    /// (1 − α) confidence interval of the change (95% by default), the same interval the regression
    /// verdicts use: paired over rounds when `design` is paired, else independent resamples.
    pub change_ci95: Option<[f64; 2]>,
    /// Whether the runs were paired by interleaved rounds.
    #[serde(default)]
    pub design: Design,
    pub p_value: Option<f64>,
    pub test: Test,
    /// p < alpha.
    pub significant: bool,
}

/// Compare `other` against `reference` at significance level `alpha`; paired rounds when `design` says
/// so and every value is positive (a ratio needs it), else as independent samples.
pub fn compare(reference: &[f64], other: &[f64], alpha: f64, design: Design) -> Comparison {
    let mr = mean_sd(reference).0;
    let ratio = if mr != 0.0 { mean_sd(other).0 / mr } else { f64::NAN };
    let paired = (design == Design::Paired).then(|| paired_change(reference, other, true, alpha)).flatten();
    let (change, design, test, p_value) = match paired {
        Some((change, _)) => (change, Design::Paired, Test::Paired, paired_p(reference, other)),
        None => {
            let test = choose_test(reference, other);
            let p = match test {
                Test::MannWhitney => Some(mann_whitney(reference, other)),
                _ => welch(reference, other).map(|w| w.p),
            };
            (ratio - 1.0, Design::Independent, test, p)
        }
    };
    let spread = reference.len() > 1 && other.len() > 1 && mr != 0.0;
    let change_ci95 = spread.then(|| change_interval(reference, other, design, true, alpha));
    Comparison { ratio, change, change_ci95, design, p_value, test, significant: p_value.is_some_and(|p| p < alpha) }
}

/// Welch's t-test unless either sample is far from normal: strongly skewed (|skewness| > 1)
/// or holding outliers. With fewer than 3 values a rank test has no power, so Welch it is.
pub fn choose_test(a: &[f64], b: &[f64]) -> Test {
    let far_from_normal = |x: &[f64]| skewness(x).abs() > 1.0 || !outliers(x).is_empty();
    if a.len() >= 3 && b.len() >= 3 && (far_from_normal(a) || far_from_normal(b)) {
        Test::MannWhitney
    } else {
        Test::Welch
    }
}

/// Mean and sample standard deviation (n − 1); no deviation for a single value, which `Sample` refuses.
fn mean_sd(x: &[f64]) -> (f64, Option<f64>) {
    match x {
        [] => (f64::NAN, None),
        [v] => (*v, None),
        _ => {
            let sample = Sample::new(x);
            let mean = sample.mean();
            (mean, Some(sample.std_dev(Some(mean))))
        }
    }
}

/// Sample skewness (Fisher–Pearson, not bias-corrected); 0 for constant data.
pub fn skewness(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let m2 = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m3 = x.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    if m2 > 0.0 {
        m3 / m2.powf(1.5)
    } else {
        0.0
    }
}

#[derive(Debug, Clone, Copy)]
struct Welch {
    p: f64,
}

/// Welch's two-sided t-test of mean(b) − mean(a); `None` with fewer than two values on a side.
fn welch(a: &[f64], b: &[f64]) -> Option<Welch> {
    let ((ma, Some(sa)), (mb, Some(sb))) = (mean_sd(a), mean_sd(b)) else { return None };
    let (va, vb) = (sa * sa / a.len() as f64, sb * sb / b.len() as f64);
    let diff = mb - ma;
    let se = (va + vb).sqrt();
    if se == 0.0 {
        // Both constant: identical or certainly different.
        return Some(Welch { p: if diff == 0.0 { 1.0 } else { 0.0 } });
    }
    let df = (va + vb).powi(2) / (va * va / (a.len() - 1) as f64 + vb * vb / (b.len() - 1) as f64);
    // Absurd inputs (values near f64::MAX) overflow the variances: no test then, rather than a panic.
    let t = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = 2.0 * (1.0 - t.cdf((diff / se).abs()));
    Some(Welch { p: p.clamp(0.0, 1.0) })
}

/// Two-sided Mann–Whitney U p-value (normal approximation, tie-corrected, with continuity correction), as scipy's
/// `mannwhitneyu(method="asymptotic")`.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let n = n1 + n2;
    let mut all: Vec<(f64, bool)> = a.iter().map(|&v| (v, true)).chain(b.iter().map(|&v| (v, false))).collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (mut rank_sum_a, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < all.len() {
        let j = all[i..].iter().position(|x| x.0 != all[i].0).map_or(all.len(), |k| i + k);
        let avg_rank = (i + j + 1) as f64 / 2.0;
        rank_sum_a += avg_rank * all[i..j].iter().filter(|x| x.1).count() as f64;
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        i = j;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mu = n1 * n2 / 2.0;
    let sigma = (n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    if sigma == 0.0 {
        return 1.0;
    }
    let z = ((u - mu).abs() - 0.5).max(0.0) / sigma;
    (2.0 * (1.0 - Normal::standard().cdf(z))).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: [f64; 7] = [1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 0.98];
    const B: [f64; 8] = [1.3, 1.25, 1.4, 1.35, 1.28, 1.5, 1.33, 1.31];

    #[test]
    fn welch_matches_scipy() {
        // scipy.stats.ttest_ind(A, B, equal_var=False): t = -6.6620800362, p = 3.020788642e-05
        let w = welch(&A, &B).unwrap();
        assert!((w.p - 3.020788642e-05).abs() < 1e-10, "p = {}", w.p);
    }

    #[test]
    fn mann_whitney_matches_scipy() {
        // scipy.stats.mannwhitneyu(A, B, method="asymptotic", use_continuity=True): p = 0.001460061916
        assert!((mann_whitney(&A, &B) - 0.001460061916).abs() < 1e-9);
        // With ties: mannwhitneyu([1,2,2,3,3,3,4,5], [3,4,4,5,5,6,7,7]): p = 0.01051524594
        let c = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0];
        let d = [3.0, 4.0, 4.0, 5.0, 5.0, 6.0, 7.0, 7.0];
        assert!((mann_whitney(&c, &d) - 0.01051524594).abs() < 1e-9);
    }

    #[test]
    fn ratio_and_its_interval() {
        let c = compare(&A, &B, 0.05, Design::Independent);
        assert!((c.ratio - 1.34 / 1.0257142857).abs() < 1e-9, "{}", c.ratio);
        assert!((c.change - (c.ratio - 1.0)).abs() < 1e-12);
        let [lo, hi] = c.change_ci95.unwrap();
        // Welch's interval over the reference mean is [0.2056, 0.4072]: the bootstrap's is close to it.
        assert!(lo > 0.18 && lo < 0.25 && hi > 0.37 && hi < 0.43, "[{lo}, {hi}]");
        assert_eq!(compare(&[1.0], &[2.0, 2.4], 0.05, Design::Independent).change_ci95, None);
    }

    #[test]
    fn paired_rounds_use_the_paired_test_and_interval() {
        let b = [1.0, 2.0, 3.0, 4.0];
        let c = [1.01, 2.02, 3.03, 4.04];
        let p = compare(&b, &c, 0.05, Design::Paired);
        assert_eq!((p.test, p.design), (Test::Paired, Design::Paired));
        assert!(p.significant && (p.change - 0.01).abs() < 1e-9);
        let i = compare(&b, &c, 0.05, Design::Independent);
        assert!(!i.significant, "{i:?}");
    }

    #[test]
    fn chooses_rank_test_for_skewed_data() {
        let normalish = [10.0, 10.1, 9.9, 10.05, 9.95, 10.02];
        let skewed = [10.0, 10.0, 10.1, 10.0, 10.05, 30.0];
        assert_eq!(choose_test(&normalish, &normalish), Test::Welch);
        assert_eq!(choose_test(&normalish, &skewed), Test::MannWhitney);
        assert_eq!(choose_test(&[1.0, 2.0], &[1.0, 50.0]), Test::Welch);
    }

    #[test]
    fn identical_constant_samples_are_not_different() {
        let c = compare(&[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0], 0.05, Design::Independent);
        assert_eq!(c.p_value, Some(1.0));
        assert!(!c.significant);
        let d = compare(&[1.0, 1.0, 1.0], &[2.0, 2.0, 2.0], 0.05, Design::Independent);
        assert!(d.significant);
    }
}
