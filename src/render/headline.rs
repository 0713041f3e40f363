//! The HTML report's headline: who has the lowest primary metric, by how much, and how sure that is.

use serde::Serialize;

use super::bench_report::factor_parts;
use super::report_data::ReportData;
use crate::stats::{compare, Comparison};

/// The headline as text pieces; command names are marked so that the template sets them as code.
#[derive(Debug, Serialize)]
pub struct Headline {
    /// (text, is a command name).
    pub parts: Vec<(String, bool)>,
    /// `worse`/`better`/`flat`: how sure, for the colour.
    pub class: &'static str,
}

/// The headline of a report of two commands or more (`None` for one: nothing to compare it with).
///
/// The best is the command with the lowest mean of the primary metric. When it is not the reference, it is
/// compared with the reference; when it is, the next best is compared with it.
pub fn headline(data: &ReportData) -> Option<Headline> {
    let metric = &data.primary_metric;
    let means: Vec<(usize, f64)> =
        data.benchmarks.iter().enumerate().filter_map(|(i, b)| Some((i, mean(b.metrics.get(metric)?)?))).collect();
    let reference = means.iter().find(|m| m.0 == 0)?;
    let best = means.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
    let (slow, fast, fast_is_subject) = if best.0 == 0 {
        (means.iter().filter(|m| m.0 != 0).min_by(|a, b| a.1.total_cmp(&b.1))?, reference, true)
    } else {
        (reference, best, false)
    };
    let values = |i: usize| &data.benchmarks[i].metrics[metric];
    let c = compare(values(slow.0), values(fast.0), data.alpha, data.design);
    let name = |i: usize| (data.benchmarks[i].name.clone(), true);
    let text = |s: String| (s, false);
    let (factor, word) = factor_parts(c.ratio, metric.change_words())?;
    let lowest = match (metric.change_words().1, c.significant) {
        ("faster", true) => "is the fastest".to_string(),
        (_, true) => format!("has the lowest {}", metric.label()),
        // An insignificant difference crowns nobody.
        (_, false) => format!("has the lowest mean {}", metric.label()),
    };
    let mut parts = Vec::new();
    if !c.significant {
        parts.push(text("No clear winner: ".into()));
    }
    // Equal means give a ratio of 1, which factor_parts calls "slower".
    let by = if factor < 1.005 { "the same to 2 digits as".to_string() } else { format!("{factor:.2}× {word} than") };
    parts.extend([name(fast.0), text(format!(" {lowest}: {by} "))]);
    if fast_is_subject {
        parts.extend([text("the next, ".into()), name(slow.0)]);
    } else {
        parts.extend([text("the reference, ".into()), name(slow.0)]);
    }
    parts.push(text(format!(" ({}).", certainty(&c, data.alpha))));
    Some(Headline { parts, class: if c.significant { "better" } else { "flat" } })
}

fn mean(v: &[f64]) -> Option<f64> {
    let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
}

/// The change with its 95% confidence interval and whether it is significant: "−34.2%, 95% CI [−36.0%, −32.4%];
/// significant at α = 0.05, p < 0.001".
fn certainty(c: &Comparison, alpha: f64) -> String {
    let pct = |v: f64| format!("{:+.1}%", 100.0 * v).replace('-', "−");
    let mut t = pct(c.change);
    if let Some([lo, hi]) = c.change_ci95 {
        t += &format!(", 95% CI [{}, {}]", pct(lo), pct(hi));
    }
    match c.p_value {
        None => t + "; one run each: no test of significance",
        Some(p) => {
            let p = if p < 0.001 { "p < 0.001".to_string() } else { format!("p = {p:.3}") };
            let verdict = if c.significant { "significant" } else { "not significant: it may be noise" };
            format!("{t}; {verdict} at α = {alpha}, {p}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metric;
    use crate::render::report_data::BenchData;

    fn data(means: &[f64]) -> ReportData {
        let benchmarks = means
            .iter()
            .enumerate()
            .map(|(i, &m)| BenchData {
                name: format!("cmd{i}"),
                metrics: [(Metric::TimeWallClock.into(), (0..20).map(|k| m * (1.0 + 0.01 * (k % 5) as f64)).collect())]
                    .into(),
                ..BenchData::default()
            })
            .collect();
        ReportData { primary_metric: Metric::TimeWallClock.into(), benchmarks, alpha: 0.05, ..ReportData::default() }
    }

    fn text(h: &Headline) -> String {
        h.parts.iter().map(|p| p.0.as_str()).collect()
    }

    #[test]
    fn names_the_fastest_against_the_reference() {
        let h = headline(&data(&[0.2, 0.1, 0.3])).unwrap();
        let t = text(&h);
        assert!(t.starts_with("cmd1 is the fastest: 2.00× faster than the reference, cmd0 (−50.0%, 95% CI ["), "{t}");
        assert!(t.ends_with("; significant at α = 0.05, p < 0.001)."), "{t}");
        assert_eq!(h.class, "better");
        assert!(h.parts.iter().filter(|p| p.1).map(|p| p.0.as_str()).eq(["cmd1", "cmd0"]));
    }

    #[test]
    fn a_fastest_reference_is_compared_with_the_next() {
        let t = text(&headline(&data(&[0.1, 0.3, 0.15])).unwrap());
        assert!(t.starts_with("cmd0 is the fastest: 1.50× faster than the next, cmd2"), "{t}");
    }

    #[test]
    fn an_insignificant_difference_crowns_nobody() {
        let mut d = data(&[0.1, 0.1]);
        d.benchmarks[1].metrics.values_mut().for_each(|v| v.reverse());
        let h = headline(&d).unwrap();
        let t = text(&h);
        assert!(t.starts_with("No clear winner: ") && t.contains("has the lowest mean Wall Time"), "{t}");
        assert!(t.contains("not significant") && t.contains(": the same to 2 digits as "), "{t}");
        assert_eq!(h.class, "flat");
    }

    #[test]
    fn one_command_has_no_headline() {
        assert!(headline(&data(&[0.1])).is_none());
    }
}
