//! Robust estimators with no dependencies, shared by bench's stopping rule and the statistics: the 20%-trimmed mean and Yuen's trimmed t.

/// The share of rounds trimmed from each end (Yuen's 20%: robust to wild rounds, close to the mean's
/// efficiency when there are none).
pub const TRIM: f64 = 0.2;

/// The rounds trimmed from each end of `n`; none below 5 rounds, where a trim would leave too few.
pub fn trimmed_count(n: usize) -> usize {
    if n < 5 {
        0
    } else {
        (TRIM * n as f64).floor() as usize
    }
}

/// The trimmed mean of `v`, sorting `v` in place.
pub fn trimmed_mean(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    let k = trimmed_count(v.len());
    let kept = &v[k..v.len() - k];
    kept.iter().sum::<f64>() / kept.len() as f64
}

/// The trimmed mean of the per-round log ratios, its standard error by the winsorized variance
/// (Yuen), and the degrees of freedom (rounds kept − 1); None below two rounds kept.
pub fn yuen(logs: &[f64]) -> Option<(f64, f64, f64)> {
    let n = logs.len();
    let k = trimmed_count(n);
    let mut v = logs.to_vec();
    let centre = trimmed_mean(&mut v);
    let h = n - 2 * k;
    if h < 2 {
        return None;
    }
    let (lo, hi) = (v[k], v[n - 1 - k]);
    let wins: Vec<f64> = v.iter().map(|x| x.clamp(lo, hi)).collect();
    let wmean = wins.iter().sum::<f64>() / n as f64;
    let wvar = wins.iter().map(|x| (x - wmean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let se = wvar.sqrt() / ((1.0 - 2.0 * k as f64 / n as f64) * (n as f64).sqrt());
    Some((centre, se, (h - 1) as f64))
}
