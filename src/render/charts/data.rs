//! Numbers behind the pictures: densities, bins, thinning and downsampling.

use criterion_stats::univariate::kde::kernel::Gaussian;
use criterion_stats::univariate::kde::{Bandwidth, Kde};
use criterion_stats::univariate::Sample;

use crate::stats::describe::quantile;

/// The finite values of `v`, in order.
pub fn finite(v: &[f64]) -> Vec<f64> {
    v.iter().copied().filter(|x| x.is_finite()).collect()
}

/// `v` sorted ascending.
pub fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

/// Min and max of `v` (infinite for an empty slice).
pub fn extent(v: impl IntoIterator<Item = f64>) -> (f64, f64) {
    v.into_iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
}

/// `k` indices into `0..n` evenly spread, first and last included (all of them when `n <= k`).
pub fn spread(n: usize, k: usize) -> Vec<usize> {
    if n <= k {
        return (0..n).collect();
    }
    if k <= 1 {
        return vec![n / 2];
    }
    (0..k).map(|i| (i * (n - 1) + (k - 1) / 2) / (k - 1)).collect()
}

/// A kernel density estimate of `s` (sorted, at least 2 values, not all equal) at `grid`, scaled to a maximum of 1.
///
/// Gaussian kernel, Silverman's robust bandwidth (0.9 · min(sd, IQR / 1.34) · n^-1/5); long series are
/// thinned by rank to 2,000 values first, which leaves the shape as it is.
pub fn density(s: &[f64], grid: &[f64]) -> Option<Vec<f64>> {
    if s.len() < 2 {
        return None;
    }
    let thinned: Vec<f64> = spread(s.len(), 2000).into_iter().map(|i| s[i]).collect();
    let n = thinned.len() as f64;
    let sample = Sample::new(&thinned);
    let sd = sample.std_dev(None);
    let iqr = quantile(&thinned, 0.75) - quantile(&thinned, 0.25);
    let spread = if iqr > 0.0 { sd.min(iqr / 1.34) } else { sd };
    let bw = 0.9 * spread * n.powf(-0.2);
    if !(bw.is_finite() && bw > 0.0) {
        return None;
    }
    let kde = Kde::new(sample, Gaussian, Bandwidth::Manual(bw));
    let ys: Vec<f64> = grid.iter().map(|&x| kde.estimate(x)).collect();
    let max = ys.iter().copied().fold(0.0, f64::max);
    (max > 0.0).then(|| ys.iter().map(|y| y / max).collect())
}

/// Freedman–Diaconis bin width of sorted `s` (2 · IQR · n^-1/3), or Sturges' when the IQR is zero; `None` for constant data.
pub fn bin_width(s: &[f64]) -> Option<f64> {
    if s.len() < 2 || s[s.len() - 1] <= s[0] {
        return None;
    }
    let (lo, hi) = (s[0], s[s.len() - 1]);
    let n = s.len() as f64;
    let iqr = quantile(s, 0.75) - quantile(s, 0.25);
    let w = if iqr > 0.0 { 2.0 * iqr / n.cbrt() } else { (hi - lo) / (n.log2().ceil() + 1.0) };
    (w > 0.0).then_some(w)
}

/// A deterministic pseudo-random number in [-1, 1] for `seed` (SplitMix64), for jitter that does not change between renders.
pub fn jitter(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// At most `max_points` of a series ordered by x: each of `max_points / 2` buckets keeps its lowest and highest
/// point, in order, so peaks survive.
pub fn downsample(points: &[(f64, f64)], max_points: usize) -> Vec<(f64, f64)> {
    if points.len() <= max_points {
        return points.to_vec();
    }
    let buckets = (max_points / 2).max(1);
    let mut out = Vec::with_capacity(buckets * 2);
    for b in 0..buckets {
        let chunk = &points[b * points.len() / buckets..(b + 1) * points.len() / buckets];
        if chunk.is_empty() {
            continue;
        }
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = i;
            }
            if p.1 > chunk[hi].1 {
                hi = i;
            }
        }
        let (a, b) = (lo.min(hi), lo.max(hi));
        out.push(chunk[a]);
        if b != a {
            out.push(chunk[b]);
        }
    }
    out
}

/// Rates of a cumulative counter `(t, total)` over at most `max_points` intervals: (interval middle, units per second).
pub fn rates(points: &[(f64, f64)], max_points: usize) -> Vec<(f64, f64)> {
    if points.len() < 2 {
        return Vec::new();
    }
    let intervals = (points.len() - 1).min(max_points.max(1));
    let mut out = Vec::with_capacity(intervals);
    for k in 0..intervals {
        let a = points[k * (points.len() - 1) / intervals];
        let b = points[(k + 1) * (points.len() - 1) / intervals];
        let dt = b.0 - a.0;
        if dt > 0.0 {
            out.push(((a.0 + b.0) / 2.0, ((b.1 - a.1) / dt).max(0.0)));
        }
    }
    out
}

/// Running median of `v` over a centred window of `w` values (shrunk at the ends).
pub fn running_median(v: &[f64], w: usize) -> Vec<f64> {
    let half = w / 2;
    (0..v.len())
        .map(|i| {
            let window = &v[i.saturating_sub(half)..(i + half + 1).min(v.len())];
            quantile(window, 0.5)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_evenly_with_both_ends() {
        assert_eq!(spread(10, 4), vec![0, 3, 6, 9]);
        assert_eq!(spread(3, 5), vec![0, 1, 2]);
        assert_eq!(spread(1000, 500).len(), 500);
    }

    #[test]
    fn downsampling_keeps_peaks_and_bounds_points() {
        let pts: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, if i == 5_123 { 99.0 } else { 1.0 })).collect();
        let d = downsample(&pts, 400);
        assert!(d.len() <= 400);
        assert!(d.iter().any(|p| p.1 == 99.0));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn rates_of_a_counter() {
        let pts = [(0.0, 0.0), (1.0, 100.0), (2.0, 300.0)];
        assert_eq!(rates(&pts, 10), vec![(0.5, 100.0), (1.5, 200.0)]);
        assert_eq!(rates(&pts, 1), vec![(1.0, 150.0)]);
    }

    #[test]
    fn bins_and_density() {
        let s: Vec<f64> = (0..100).map(|i| i as f64).collect();
        // IQR 49.5, n^(1/3) = 4.64: 2 * 49.5 / 4.64 = 21.3
        assert!((bin_width(&s).unwrap() - 21.33).abs() < 0.05);
        assert_eq!(bin_width(&[1.0, 1.0]), None);
        let d = density(&s, &[0.0, 50.0, 99.0]).unwrap();
        assert!(d[1] > d[0] && d[1] > d[2] && (d[1] - 1.0).abs() < 1e-12);
        assert!((-1.0..=1.0).contains(&jitter(7)) && jitter(7) == jitter(7) && jitter(7) != jitter(8));
    }
}
