//! Parameter scan: the primary metric's mean and CI against a numeric parameter.

use super::*;

/// The numeric parameter with the most distinct values (at least two), if any.
fn scan_parameter(data: &ReportData) -> Option<String> {
    let mut values: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut numeric: BTreeMap<&str, bool> = BTreeMap::new();
    for b in &data.benchmarks {
        for (k, v) in &b.parameters {
            match v.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => values.entry(k).or_default().push(x),
                _ => {
                    numeric.insert(k, false);
                }
            }
        }
    }
    values
        .into_iter()
        .filter(|(k, _)| numeric.get(k).copied().unwrap_or(true))
        .map(|(k, v)| {
            let mut v = sorted(&v);
            v.dedup();
            (k, v.len())
        })
        .filter(|&(_, n)| n >= 2)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(k, _)| k.to_string())
}

/// `name` with each standalone occurrence of `value` (not inside a longer number) replaced by `{param}`.
fn template(name: &str, param: &str, value: &str) -> String {
    // A digit next to the value, or a decimal point followed by one, would make it part of a longer number.
    let continues = |mut chars: std::iter::Peekable<Box<dyn Iterator<Item = char> + '_>>| match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('.') => chars.peek().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    };
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find(value) {
        let before: Box<dyn Iterator<Item = char>> = Box::new(rest[..at].chars().rev());
        let after: Box<dyn Iterator<Item = char>> = Box::new(rest[at + value.len()..].chars());
        out.push_str(&rest[..at]);
        if value.is_empty() || continues(before.peekable()) || continues(after.peekable()) {
            out.push_str(&rest[at..at + value.len().max(1)]);
        } else {
            out.push('{');
            out.push_str(param);
            out.push('}');
        }
        rest = &rest[at + value.len().max(1)..];
    }
    out.push_str(rest);
    out
}

/// (parameter value, mean, 95% CI of the mean).
type ScanPoint = (f64, f64, Option<[f64; 2]>);

pub(super) fn parameter_scan(data: &ReportData) -> anyhow::Result<Option<Chart>> {
    let Some(param) = scan_parameter(data) else { return Ok(None) };
    let metric = &data.primary_metric;
    let (label, quantity) = metric_info(metric);
    // Lines: benchmarks with the same name once the value is taken out (this keeps the other parameters apart).
    let mut groups: Vec<(String, usize, Vec<ScanPoint>)> = Vec::new();
    for (i, b) in data.benchmarks.iter().enumerate() {
        let Some(raw) = b.parameters.get(&param) else { continue };
        let Ok(xv) = raw.trim().parse::<f64>() else { continue };
        let Some(values) = b.metrics.get(metric).map(|v| finite(v)).filter(|v| !v.is_empty()) else { continue };
        let st = describe(&values);
        let key = template(&b.name, &param, raw.trim());
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.2.push((xv, st.mean, st.ci95_mean)),
            None => groups.push((key, i, vec![(xv, st.mean, st.ci95_mean)])),
        }
    }
    if groups.is_empty() {
        return Ok(None);
    }
    for g in &mut groups {
        g.2.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let (xmin, xmax) = extent(groups.iter().flat_map(|g| g.2.iter().map(|p| p.0)));
    let (ymin, ymax) = extent(
        groups
            .iter()
            .flat_map(|g| g.2.iter().flat_map(|p| [p.1, p.2.map_or(p.1, |c| c[0]), p.2.map_or(p.1, |c| c[1])])),
    );
    let x = Axis::new(
        Quantity::Plain,
        xmin,
        xmax,
        Fit { pad: 0.04, ticks: 8, log_ratio: Some(50.0), zero: false, ..Fit::default() },
    );
    let y = Axis::new(
        quantity,
        ymin,
        ymax,
        Fit { pad: 0.06, ticks: 6, log_ratio: Some(30.0), zero: false, ..Fit::default() },
    );
    let mut legend: Vec<LegendItem> =
        groups.iter().enumerate().map(|(k, g)| LegendItem::new(Swatch::Line(series(k)), g.0.clone())).collect();
    legend.push(LegendItem::new(Swatch::ErrorBar, "mean with its 95% confidence interval"));
    let legend_h = legend_height(&legend, WIDTH);
    let plot_h = TOP + 380 + X_AXIS_HEIGHT;
    let title = format!("{label} against the parameter {param}");
    let svg = svg(WIDTH, TITLE_HEIGHT + plot_h + legend_h, |root| {
        let body = titled(root, &title)?;
        let (plot, legend_area) = body.split_vertically(plot_h);
        let mut chart = frame(&plot, &x, &y, Some(&x.desc(&param)), &y.desc(&format!("{label}, mean")), None)?;
        let cap = (x.hi() - x.lo()) * 0.006;
        for (k, g) in groups.iter().enumerate() {
            let s = Series { marked: false, ..series(k) };
            let pts: Vec<(f64, f64)> = g.2.iter().map(|p| (x.pos(p.0), y.pos(p.1))).collect();
            chart.draw_series(std::iter::once(PathElement::new(pts.clone(), s.color.stroke_width(2))))?;
            for p in &g.2 {
                if let Some([lo, hi]) = p.2 {
                    let (px, lo, hi) = (x.pos(p.0), y.pos(lo), y.pos(hi));
                    chart.draw_series([
                        PathElement::new(vec![(px, lo), (px, hi)], s.color.stroke_width(1)),
                        PathElement::new(vec![(px - cap, lo), (px + cap, lo)], s.color.stroke_width(1)),
                        PathElement::new(vec![(px - cap, hi), (px + cap, hi)], s.color.stroke_width(1)),
                    ])?;
                }
            }
            chart.draw_series(pts.iter().map(|&p| Marker::new(p, series(k).shape, 4, s.color.filled())))?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: "parameter-scan".into(), title, svg }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_take_out_standalone_values_only() {
        assert_eq!(template("sort -n 10 file1 [n=10]", "n", "10"), "sort -n {n} file1 [n={n}]");
        assert_eq!(template("sleep 0.5 x100", "t", "0.5"), "sleep {t} x100");
        assert_eq!(template("x 100 1", "n", "1"), "x 100 {n}");
        assert_eq!(template("sort numbers-1000.txt", "n", "1000"), "sort numbers-{n}.txt");
        assert_eq!(template("a 1.5 1", "n", "1"), "a 1.5 {n}");
    }
}
