//! The confidence interval of a change, the one uncertainty shown for it everywhere: from per-round ratios when runs were interleaved (paired), else from independent resamples.
//!
//! Paired (tango's method): with `--interleave` round k holds run k of every command, taken moments
//! apart, so whatever slowed the machine in that round slowed both. The per-round ratio c_k / b_k
//! cancels it, and the change is the 20%-trimmed mean of the log ratios, transformed back, with a
//! percentile bootstrap over rounds. Trimmed, because a round in which only one of the two runs was
//! preempted gives a wild ratio that the pairing cannot cancel: on a shared runner those rounds
//! doubled the interval's width (docs/ci-noise.md). Independent: the change of the means, each side
//! resampled on its own.

use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::describe::{quantile, resample_mean, select_quantile};
use crate::trimmed::{trimmed_mean, yuen};

/// How the runs of two commands relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Design {
    /// Taken at different times: each side varies on its own.
    #[default]
    Independent,
    /// Interleaved rounds: run k of one command beside run k of the other.
    Paired,
}

const RESAMPLES: usize = 10_000;
const BUDGET: usize = 4_000_000;

/// Per-round statistic: the log ratio (relative) or the difference (absolute) of the first
/// min(len) rounds; None when fewer than two rounds, or a ratio of a value ≤ 0 is undefined.
pub fn per_round(b: &[f64], c: &[f64], relative: bool) -> Option<Vec<f64>> {
    let n = b.len().min(c.len());
    if n < 2 || (relative && b[..n].iter().chain(&c[..n]).any(|&v| v <= 0.0 || !v.is_finite())) {
        return None;
    }
    let f = |(x, y): (&f64, &f64)| if relative { (y / x).ln() } else { y - x };
    Some(b.iter().zip(c).map(f).collect())
}

/// The paired change (relative: trimmed mean of the log ratios, transformed back; absolute: trimmed
/// mean difference) and its (1 − α) percentile-bootstrap interval over rounds.
pub fn paired_change(b: &[f64], c: &[f64], relative: bool, alpha: f64) -> Option<(f64, [f64; 2])> {
    let d = per_round(b, c, relative)?;
    let back = |v: f64| if relative { v.exp_m1() } else { v };
    let centre = trimmed_mean(&mut d.clone());
    if d.iter().all(|&v| v == d[0]) {
        return Some((back(centre), [back(centre), back(centre)]));
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x9a1e_d5ee_d000);
    let resamples = (BUDGET / d.len()).clamp(1_000, RESAMPLES);
    let mut draw = vec![0.0; d.len()];
    let mut centres: Vec<f64> = (0..resamples)
        .map(|_| {
            draw.iter_mut().for_each(|x| *x = d[rng.random_range(0..d.len())]);
            trimmed_mean(&mut draw)
        })
        .collect();
    let ci = [back(select_quantile(&mut centres, alpha / 2.0)), back(select_quantile(&mut centres, 1.0 - alpha / 2.0))];
    Some((back(centre), ci))
}

/// Two-sided p-value of Yuen's trimmed t-test on the per-round log ratios (against 0).
pub fn paired_p(b: &[f64], c: &[f64]) -> Option<f64> {
    let (centre, se, df) = yuen(&per_round(b, c, true)?)?;
    if se == 0.0 {
        return Some(if centre == 0.0 { 1.0 } else { 0.0 });
    }
    let t = StudentsT::new(0.0, 1.0, df).ok()?;
    Some((2.0 * (1.0 - t.cdf((centre / se).abs()))).clamp(0.0, 1.0))
}

/// The (1 − α) interval of the change: paired when the design is and the rounds allow it,
/// else independent resamples of both sides. Relative: a fraction of the baseline mean.
pub fn change_interval(b: &[f64], c: &[f64], design: Design, relative: bool, alpha: f64) -> [f64; 2] {
    if design == Design::Paired {
        if let Some((_, ci)) = paired_change(b, c, relative, alpha) {
            return ci;
        }
    }
    independent_interval(b, c, relative, alpha)
}

/// Percentile bootstrap of the change of the mean, seeded so that the same data give the same interval.
fn independent_interval(b: &[f64], c: &[f64], relative: bool, alpha: f64) -> [f64; 2] {
    if b.is_empty() || c.is_empty() {
        return [f64::NAN, f64::NAN];
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x0c0f_fee5);
    let resamples = (BUDGET / (b.len() + c.len())).clamp(1_000, RESAMPLES);
    let mut idx = Vec::new();
    let mut mean_of = |x: &[f64]| resample_mean(&mut rng, x, &mut idx);
    let changes: Vec<f64> = (0..resamples)
        .map(|_| {
            let (mb, mc) = (mean_of(b), mean_of(c));
            match (relative, mb != 0.0) {
                (true, true) => mc / mb - 1.0,
                (true, false) => 0.0,
                (false, _) => mc - mb,
            }
        })
        .collect();
    [quantile(&changes, alpha / 2.0), quantile(&changes, 1.0 - alpha / 2.0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rounds whose common drift (each round's machine speed) swamps a steady 1% change.
    fn drifting(n: usize, change: f64) -> (Vec<f64>, Vec<f64>) {
        let speed = |k: usize| 1.0 + 0.2 * (((k * 7) % 13) as f64 / 12.0);
        let jitter = |k: usize| 1.0 + 0.002 * (((k * 5) % 7) as f64 / 3.0 - 1.0);
        let b = (0..n).map(|k| 0.010 * speed(k) * jitter(k)).collect();
        let c = (0..n).map(|k| 0.010 * (1.0 + change) * speed(k) * jitter(k + 3)).collect();
        (b, c)
    }

    #[test]
    fn pairing_resolves_a_one_percent_change_that_independent_resamples_cannot() {
        let (b, c) = drifting(30, 0.01);
        let (change, [lo, hi]) = paired_change(&b, &c, true, 0.05).unwrap();
        assert!((change - 0.01).abs() < 0.002, "{change}");
        assert!(lo > 0.005 && hi < 0.015, "paired [{lo}, {hi}]");
        let [ilo, ihi] = change_interval(&b, &c, Design::Independent, true, 0.05);
        assert!(ilo < 0.0 && ihi > 0.02, "independent [{ilo}, {ihi}]");
        assert!(paired_p(&b, &c).unwrap() < 0.001);
    }

    #[test]
    fn a_few_wild_rounds_neither_move_nor_widen_the_paired_change() {
        // 27 rounds at +1% (± 0.1%), and 3 in which only one of the two runs was preempted.
        let b: Vec<f64> = (0..30).map(|k| 0.010 * (1.0 + 0.01 * ((k % 5) as f64))).collect();
        let jitter = |k: usize| 1.0 + 0.001 * ((k % 3) as f64 - 1.0);
        let mut c: Vec<f64> = b.iter().enumerate().map(|(k, x)| x * 1.01 * jitter(k)).collect();
        (c[4], c[11], c[17]) = (c[4] * 2.5, c[11] * 3.0, c[17] / 2.0);
        let (change, [lo, hi]) = paired_change(&b, &c, true, 0.05).unwrap();
        assert!((change - 0.01).abs() < 2e-4, "{change}");
        assert!(lo > 0.009 && hi < 0.011, "[{lo}, {hi}]");
        // The untrimmed mean of the log ratios, for contrast: pulled above +3% by the three rounds.
        let logs = per_round(&b, &c, true).unwrap();
        assert!((logs.iter().sum::<f64>() / 30.0).exp_m1() > 0.03);
        assert!(paired_p(&b, &c).unwrap() < 1e-6);
    }

    #[test]
    fn yuen_matches_a_hand_computation() {
        // numpy: 20% trimmed mean 0.01, winsorized sd / ((1 − 0.4)·√10) = 0.000447903..., df 5,
        // two-sided p by scipy.stats.t.sf = 3.349151e-06.
        let x = [0.01, 0.012, 0.008, 0.011, 0.009, 0.3, 0.010, -0.25, 0.0105, 0.0095];
        let (centre, se, df) = yuen(&x).unwrap();
        assert!((centre - 0.01).abs() < 1e-12 && (se - 0.000_447_903_208).abs() < 1e-11 && df == 5.0);
        let b = [1.0; 10];
        let c: Vec<f64> = x.iter().map(|v| v.exp()).collect();
        assert!((paired_p(&b, &c).unwrap() - 3.349_151e-6).abs() < 1e-11);
    }

    #[test]
    fn geometric_mean_ratio_matches_a_hand_computation() {
        // Below 5 rounds nothing is trimmed: ratios 1.1, 1.2, 0.9: exp(mean(ln)) − 1 = (1.1 · 1.2 · 0.9)^(1/3) − 1 = 0.0591045...
        let (change, _) = paired_change(&[1.0, 2.0, 3.0], &[1.1, 2.4, 2.7], true, 0.05).unwrap();
        assert!((change - 0.059_104_5).abs() < 1e-6, "{change}");
    }

    #[test]
    fn absolute_pairs_use_differences_and_constant_rounds_are_exact() {
        let (d, ci) = paired_change(&[10.0, 20.0], &[12.0, 22.0], false, 0.05).unwrap();
        assert_eq!((d, ci), (2.0, [2.0, 2.0]));
    }

    #[test]
    fn undefined_ratios_fall_back_to_independent_resamples() {
        assert!(per_round(&[0.0, 1.0], &[1.0, 1.0], true).is_none());
        let ci = change_interval(&[1.0, 1.1, 0.9], &[2.0, 2.2, 1.8], Design::Paired, true, 0.05);
        assert!(ci[0] > 0.8 && ci[1] < 1.2, "{ci:?}");
        assert_eq!(per_round(&[1.0], &[2.0, 3.0], true), None);
    }
}
