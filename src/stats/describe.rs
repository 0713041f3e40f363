//! One metric over a series of runs: count, mean, standard deviation, median, extremes and a bootstrap 95% CI of the mean.

use criterion_stats::univariate::Sample;
use serde::{Deserialize, Serialize};

/// Resamples for the bootstrap confidence interval: enough for a stable 95% interval.
const BOOTSTRAP_RESAMPLES: usize = 10_000;
/// Keep the bootstrap cheap for long series: resamples × runs stays under this.
const BOOTSTRAP_BUDGET: usize = 500_000;

/// Summary statistics of one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub count: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1); `None` for a single value, as hyperfine's `null`.
    pub stddev: Option<f64>,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Bootstrap (percentile) 95% confidence interval of the mean; `None` for fewer than two values.
    pub ci95_mean: Option<[f64; 2]>,
}

/// Describe `values` (non-empty, no NaN).
pub fn describe(values: &[f64]) -> Stats {
    describe_all(&[values]).remove(0)
}

/// Describe several series of the same runs (a benchmark's metrics) at once. Each gets exactly
/// what `describe` would give it alone; the bootstrap's resamples (which runs are drawn) are
/// shared, so the random draws, most of the cost, are made once for all of them.
pub fn describe_all(columns: &[&[f64]]) -> Vec<Stats> {
    let mut stats: Vec<Stats> = columns.iter().map(|values| point_stats(values)).collect();
    let varying: Vec<usize> = (0..columns.len())
        .filter(|&c| columns[c].len() > 1 && columns[c].iter().any(|&v| v != columns[c][0]))
        .collect();
    for (c, st) in stats.iter_mut().enumerate() {
        if columns[c].len() > 1 && !varying.contains(&c) {
            // Constant data: a degenerate interval, returned as is.
            st.ci95_mean = Some([st.mean, st.mean]);
        }
    }
    // Series of one length share resamples (a benchmark's metrics all have one value per run).
    let mut lengths: Vec<usize> = varying.iter().map(|&c| columns[c].len()).collect();
    lengths.sort_unstable();
    lengths.dedup();
    for n in lengths {
        let group: Vec<usize> = varying.iter().copied().filter(|&c| columns[c].len() == n).collect();
        let cols: Vec<&[f64]> = group.iter().map(|&c| columns[c]).collect();
        for (c, ci) in group.into_iter().zip(bootstrap_cis(&cols)) {
            stats[c].ci95_mean = Some(ci);
        }
    }
    stats
}

/// Everything but the confidence interval.
fn point_stats(values: &[f64]) -> Stats {
    assert!(!values.is_empty(), "describe needs at least one value");
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.len() == 1 {
        let v = values[0];
        return Stats { count: 1, mean: v, stddev: None, median: v, min, max, ci95_mean: None };
    }
    let sample = Sample::new(values);
    let mean = sample.mean();
    Stats {
        count: values.len(),
        mean,
        stddev: Some(sample.std_dev(Some(mean))),
        median: sample.percentiles().median(),
        min,
        max,
        ci95_mean: None,
    }
}

/// Resamples drawn from one seeded generator stream each, so that results do not depend on
/// how the chunks are shared out over threads.
const RESAMPLE_CHUNK: usize = 100;

/// Percentile bootstrap 95% CIs of the means of `columns` (same length n ≥ 2), on shared resamples.
///
/// The resampling is seeded, so the same runs always give the same interval. Chunks of
/// resamples are shared out over the CPUs when there is enough work.
fn bootstrap_cis(columns: &[&[f64]]) -> Vec<[f64; 2]> {
    let n = columns[0].len();
    let resamples = (BOOTSTRAP_BUDGET / n).clamp(1_000, BOOTSTRAP_RESAMPLES);
    let chunks = resamples.div_ceil(RESAMPLE_CHUNK);
    let cpus = std::thread::available_parallelism().map_or(1, |c| c.get()).min(chunks);
    let work = resamples * n * columns.len();
    // means[chunk] = the chunk's resample means, column by column.
    let per_chunk = |k: usize| chunk_means(columns, n, k, (resamples - k * RESAMPLE_CHUNK).min(RESAMPLE_CHUNK));
    let parts: Vec<Vec<Vec<f64>>> = if cpus < 2 || work < 2_000_000 {
        (0..chunks).map(per_chunk).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..cpus)
                .map(|t| s.spawn(move || (t..chunks).step_by(cpus).map(|k| (k, per_chunk(k))).collect::<Vec<_>>()))
                .collect();
            let mut all: Vec<(usize, Vec<Vec<f64>>)> =
                handles.into_iter().flat_map(|h| h.join().expect("a bootstrap thread panicked")).collect();
            all.sort_by_key(|(k, _)| *k);
            all.into_iter().map(|(_, m)| m).collect()
        })
    };
    (0..columns.len())
        .map(|c| {
            let mut means: Vec<f64> = parts.iter().flat_map(|p| p[c].iter().copied()).collect();
            [select_quantile(&mut means, 0.025), select_quantile(&mut means, 0.975)]
        })
        .collect()
}

/// Chunk `k` of the resamples: `count` resamples of n runs, each column's mean over each.
fn chunk_means(columns: &[&[f64]], n: usize, k: usize, count: usize) -> Vec<Vec<f64>> {
    use rand::SeedableRng;
    let mut rng =
        rand_chacha::ChaCha8Rng::seed_from_u64(0x05ee_d0fd_e1e7 ^ (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut means = vec![Vec::with_capacity(count); columns.len()];
    let mut idx = Vec::with_capacity(n);
    for _ in 0..count {
        resample_indices(&mut rng, n, &mut idx);
        for (c, col) in columns.iter().enumerate() {
            means[c].push(gathered_sum(col, &idx) / n as f64);
        }
    }
    means
}

/// The sum of `col` at `idx`, in four independent partial sums: one running sum would wait on
/// each addition (its latency), four keep the CPU busy.
fn gathered_sum(col: &[f64], idx: &[u32]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut quads = idx.chunks_exact(4);
    for q in &mut quads {
        for (a, &i) in acc.iter_mut().zip(q) {
            *a += col[i as usize];
        }
    }
    let rest: f64 = quads.remainder().iter().map(|&i| col[i as usize]).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
}

/// n indices drawn with replacement from 0..n.
//
// The draws are the whole cost of a benchmark's statistics, so they come two per 64-bit number
// by multiply-shift (Lemire) instead of a rejection-sampled range: the bias, under n / 2^32, is
// far below the interval's own Monte Carlo error.
fn resample_indices(rng: &mut impl rand::RngCore, n: usize, out: &mut Vec<u32>) {
    debug_assert!(n > 0 && n < (1 << 32));
    let index = |x: u32| ((u64::from(x) * n as u64) >> 32) as u32;
    out.clear();
    while out.len() + 2 <= n {
        let x = rng.next_u64();
        out.push(index(x as u32));
        out.push(index((x >> 32) as u32));
    }
    if out.len() < n {
        out.push(index(rng.next_u32()));
    }
}

/// The mean of one bootstrap resample of `values` (n draws with replacement); `idx` is scratch.
pub fn resample_mean(rng: &mut impl rand::RngCore, values: &[f64], idx: &mut Vec<u32>) -> f64 {
    resample_indices(rng, values.len(), idx);
    gathered_sum(values, idx) / values.len() as f64
}

/// Where quantile `q` falls among `n` sorted values: the ranks either side and the weight of the upper one
/// (linear interpolation, R type 7, numpy's default).
fn ranks(n: usize, q: f64) -> (usize, usize, f64) {
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    (pos.floor() as usize, pos.ceil() as usize, pos - pos.floor())
}

/// `quantile` by selection rather than a full sort (reorders `v`): the bootstrap's 10,000 means.
pub fn select_quantile(v: &mut [f64], q: f64) -> f64 {
    let (lo, hi, w) = ranks(v.len(), q);
    let (_, &mut at_lo, right) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let at_hi = if hi > lo { right.iter().copied().fold(f64::INFINITY, f64::min) } else { at_lo };
    at_lo + (at_hi - at_lo) * w
}

/// The value at quantile `q` (0..=1) of `values` (non-empty, any order) with linear interpolation.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    // Already sorted input (as the charts often pass) costs one pass.
    v.sort_by(f64::total_cmp);
    let (lo, hi, w) = ranks(v.len(), q);
    v[lo] + (v[hi] - v[lo]) * w
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values from numpy 2 / scipy 1.x:
    // a = [1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 0.98]
    // np.mean(a) = 1.0257142857, np.std(a, ddof=1) = 0.1006408040, np.median(a) = 1.0
    const A: [f64; 7] = [1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 0.98];

    #[test]
    fn matches_numpy() {
        let s = describe(&A);
        assert_eq!(s.count, 7);
        assert!((s.mean - 1.0257142857).abs() < 1e-9);
        assert!((s.stddev.unwrap() - 0.1006408040).abs() < 1e-9);
        assert!((s.median - 1.0).abs() < 1e-12);
        assert_eq!((s.min, s.max), (0.9, 1.2));
    }

    #[test]
    fn bootstrap_ci_brackets_the_mean_at_about_the_normal_width() {
        let s = describe(&A);
        let [lo, hi] = s.ci95_mean.unwrap();
        assert!(lo < s.mean && s.mean < hi);
        // Normal-theory half-width: 1.96 * sd / sqrt(n) = 0.0746; the bootstrap's is close to it (a bit narrower).
        let half = (hi - lo) / 2.0;
        assert!(half > 0.05 && half < 0.085, "half-width {half}");
    }

    #[test]
    fn selection_gives_the_sorted_quantiles() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0, 9.5, 0.5];
        for q in [0.0, 0.025, 0.3, 0.5, 0.975, 1.0] {
            assert_eq!(select_quantile(&mut v.to_vec(), q), quantile(&v, q), "q = {q}");
        }
    }

    #[test]
    fn series_described_together_get_what_each_gets_alone() {
        let b: Vec<f64> = A.iter().map(|v| v * 3.0 + 1.0).collect();
        let constant = [2.0; 7];
        let long: Vec<f64> = (0..3000).map(|i| ((i * 7919) % 101) as f64).collect();
        let long2: Vec<f64> = long.iter().map(|v| v.sqrt()).collect();
        let together = describe_all(&[&A, &b, &constant, &long, &long2]);
        for (values, st) in [&A[..], &b, &constant, &long, &long2].into_iter().zip(together) {
            assert_eq!(describe(values), st);
        }
    }

    #[test]
    fn bootstrap_is_reproducible() {
        assert_eq!(describe(&A).ci95_mean, describe(&A).ci95_mean);
    }

    #[test]
    fn single_value_has_no_spread() {
        let s = describe(&[2.5]);
        assert_eq!((s.count, s.mean, s.median, s.stddev, s.ci95_mean), (1, 2.5, 2.5, None, None));
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // np.quantile([1, 2, 3, 4], 0.25) = 1.75
        assert!((quantile(&[4.0, 1.0, 3.0, 2.0], 0.25) - 1.75).abs() < 1e-12);
        assert_eq!(quantile(&[5.0], 0.9), 5.0);
    }
}
