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

/// A line of the scan: the benchmarks whose names differ only in the parameter's value.
struct Group {
    /// The name with the value taken out.
    name: String,
    points: Vec<ScanPoint>,
}

pub(super) fn parameter_scan(data: &ReportData) -> anyhow::Result<Option<Chart>> {
    let Some(param) = scan_parameter(data) else { return Ok(None) };
    let metric = &data.primary_metric;
    let (label, quantity) = metric_info(metric);
    let groups = groups(data, &param, metric);
    if groups.is_empty() {
        return Ok(None);
    }
    let (xmin, xmax) = extent(groups.iter().flat_map(|g| g.points.iter().map(|p| p.0)));
    let (ymin, ymax) = extent(
        groups
            .iter()
            .flat_map(|g| g.points.iter().flat_map(|p| [p.1, p.2.map_or(p.1, |c| c[0]), p.2.map_or(p.1, |c| c[1])])),
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
        groups.iter().enumerate().map(|(k, g)| LegendItem::new(Swatch::Line(series(k)), g.name.clone())).collect();
    legend.push(LegendItem::new(Swatch::ErrorBar, "mean with its 95% confidence interval"));
    let plot_h = TOP + 380 + X_AXIS_HEIGHT;
    let title = format!("{label} against the parameter {param}");
    let svg = svg(WIDTH, TITLE_HEIGHT + plot_h + legend_height(&legend, WIDTH), |root| {
        let body = titled(root, &title)?;
        let (plot, legend_area) = body.split_vertically(plot_h);
        let mut chart = frame(&plot, &x, &y, Some(&x.desc(&param)), &y.desc(&format!("{label}, mean")), None)?;
        for (k, g) in groups.iter().enumerate() {
            draw_group(&mut chart, (&x, &y), k, g)?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: "parameter-scan".into(), title, svg }))
}

/// The benchmarks with a numeric value of `param`, grouped into lines (benchmarks with the same name once the
/// value is taken out: this keeps the other parameters apart), each line's points in order of the value.
fn groups(data: &ReportData, param: &str, metric: &MetricKey) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for b in &data.benchmarks {
        let Some(raw) = b.parameters.get(param) else { continue };
        let Ok(xv) = raw.trim().parse::<f64>() else { continue };
        let Some(values) = b.metrics.get(metric).map(|v| finite(v)).filter(|v| !v.is_empty()) else { continue };
        let st = describe(&values);
        let name = template(&b.name, param, raw.trim());
        let point = (xv, st.mean, st.ci95_mean);
        match groups.iter_mut().find(|g| g.name == name) {
            Some(g) => g.points.push(point),
            None => groups.push(Group { name, points: vec![point] }),
        }
    }
    for g in &mut groups {
        g.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    groups
}

/// Group `k`'s line, its error bars and its markers.
fn draw_group(chart: &mut Ctx, (x, y): (&Axis, &Axis), k: usize, g: &Group) -> anyhow::Result<()> {
    let s = Series { marked: false, ..series(k) };
    let pts: Vec<(f64, f64)> = g.points.iter().map(|p| (x.pos(p.0), y.pos(p.1))).collect();
    chart.draw_series(std::iter::once(PathElement::new(pts.clone(), s.color.stroke_width(2))))?;
    let cap = (x.hi() - x.lo()) * 0.006;
    for p in &g.points {
        let Some([lo, hi]) = p.2 else { continue };
        let (px, lo, hi) = (x.pos(p.0), y.pos(lo), y.pos(hi));
        chart.draw_series([
            PathElement::new(vec![(px, lo), (px, hi)], s.color.stroke_width(1)),
            PathElement::new(vec![(px - cap, lo), (px + cap, lo)], s.color.stroke_width(1)),
            PathElement::new(vec![(px - cap, hi), (px + cap, hi)], s.color.stroke_width(1)),
        ])?;
    }
    chart.draw_series(pts.iter().map(|&p| Marker::new(p, s.shape, 4, s.color.filled())))?;
    Ok(())
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
