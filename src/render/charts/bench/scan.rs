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

/// (category index of the parameter's value, mean, 95% CI of the mean).
type ScanPoint = (f64, f64, Option<[f64; 2]>);

/// A line of the scan: one command at the same values of the other parameters, across the scanned values.
struct Group {
    /// The command's name with the scanned value as `{param}`, for the legend.
    name: String,
    points: Vec<ScanPoint>,
}

pub(super) fn parameter_scan(data: &ReportData) -> anyhow::Result<Option<Chart>> {
    let Some(param) = scan_parameter(data) else { return Ok(None) };
    let metric = &data.primary_metric;
    let (label, quantity) = metric_info(metric);
    let values = scanned_values(data, &param);
    let groups = groups(data, &param, metric, &values);
    if groups.is_empty() {
        return Ok(None);
    }
    let (ymin, ymax) = extent(
        groups
            .iter()
            .flat_map(|g| g.points.iter().flat_map(|p| [p.1, p.2.map_or(p.1, |c| c[0]), p.2.map_or(p.1, |c| c[1])])),
    );
    // The values are categories: a tick at each value that exists (-P's steps and -L's items alike), none between.
    let x = Axis::categories(values.iter().map(|v| v.1.clone()).collect(), 12);
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

/// The distinct values of `param` in numeric order: (number, text as the results spell it).
fn scanned_values(data: &ReportData, param: &str) -> Vec<(f64, String)> {
    let mut values: Vec<(f64, String)> = data
        .benchmarks
        .iter()
        .filter_map(|b| b.parameters.get(param))
        .filter_map(|raw| Some((raw.trim().parse::<f64>().ok()?, raw.trim().to_string())))
        .collect();
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    values.dedup_by(|a, b| a.0 == b.0);
    values
}

/// The benchmarks with a value of `param`, grouped into lines by the results' parameters, never by the command
/// text: a line is the same values of the other parameters and the same command, the k-th of the benchmarks
/// that share all their parameters (each command is run once per combination of values, in the same order).
fn groups(data: &ReportData, param: &str, metric: &MetricKey, values: &[(f64, String)]) -> Vec<Group> {
    let mut seen: BTreeMap<&BTreeMap<String, String>, usize> = BTreeMap::new();
    let mut lines: Vec<Line> = Vec::new();
    for b in &data.benchmarks {
        let Some(raw) = b.parameters.get(param) else { continue };
        let Some(at) = raw.trim().parse::<f64>().ok().and_then(|v| values.iter().position(|x| x.0 == v)) else {
            continue;
        };
        let Some(runs) = b.metrics.get(metric).map(|v| finite(v)).filter(|v| !v.is_empty()) else { continue };
        let nth = seen.entry(&b.parameters).or_default();
        let key = (b.parameters.iter().filter(|(k, _)| *k != param).collect(), *nth);
        *nth += 1;
        let st = describe(&runs);
        let i = lines.iter().position(|l| l.key == key).unwrap_or_else(|| {
            lines.push(Line { key, points: Vec::new(), names: Vec::new() });
            lines.len() - 1
        });
        lines[i].points.push((at as f64, st.mean, st.ci95_mean));
        lines[i].names.push((b.name.as_str(), raw.trim()));
    }
    lines
        .into_iter()
        .map(|mut l| {
            l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Group { name: line_name(&l.names, param), points: l.points }
        })
        .collect()
}

/// A line being gathered: its key (the other parameters' values, the command's place), points and names.
struct Line<'a> {
    key: (Vec<(&'a String, &'a String)>, usize),
    points: Vec<ScanPoint>,
    /// (benchmark name, scanned value).
    names: Vec<(&'a str, &'a str)>,
}

/// A line's name: its commands' names with the scanned value as `{param}`, found where the names differ (in
/// `gzip -5 -c in5.txt` only the first 5 is the level when `gzip -4 -c in5.txt` is on the same line).
fn line_name(names: &[(&str, &str)], param: &str) -> String {
    let (first, value) = names[0];
    if names.len() < 2 {
        return template(first, param, value);
    }
    let prefix = names.iter().map(|n| common_prefix(first, n.0)).min().unwrap_or(0);
    let suffix = names.iter().map(|n| common_suffix(first, n.0)).min().unwrap_or(0);
    let candidates: Option<Vec<String>> =
        names.iter().map(|&(name, value)| in_place(name, value, prefix, suffix, param)).collect();
    match candidates {
        Some(c) if c.iter().all(|t| *t == c[0]) => c[0].clone(),
        _ => template(first, param, value),
    }
}

/// `name` with the occurrence of `value` that covers the part between the common prefix and suffix replaced by
/// `{param}`; with several occurrences there (a value used twice), each standalone one.
fn in_place(name: &str, value: &str, prefix: usize, suffix: usize, param: &str) -> Option<String> {
    let end = name.len().checked_sub(suffix)?.max(prefix);
    let covering = name.match_indices(value).map(|(at, _)| at).find(|&at| at <= prefix && at + value.len() >= end);
    match covering {
        Some(at) if !value.is_empty() => Some(format!("{}{{{param}}}{}", &name[..at], &name[at + value.len()..])),
        _ if value.is_empty() || end <= prefix => None,
        _ => Some(format!("{}{}{}", &name[..prefix], template(&name[prefix..end], param, value), &name[end..])),
    }
}

/// Bytes `a` and `b` share at their start, on a character boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices().zip(b.chars()).find(|((_, x), y)| x != y).map_or(a.len().min(b.len()), |((i, _), _)| i)
}

/// Bytes `a` and `b` share at their end, on a character boundary.
fn common_suffix(a: &str, b: &str) -> usize {
    let same = a.chars().rev().zip(b.chars().rev()).take_while(|(x, y)| x == y);
    same.map(|(c, _)| c.len_utf8()).sum()
}

/// Group `k`'s line, its error bars and its markers.
fn draw_group(chart: &mut Ctx, (x, y): (&Axis, &Axis), k: usize, g: &Group) -> anyhow::Result<()> {
    let s = Series { marked: false, ..series(k) };
    let pts: Vec<(f64, f64)> = g.points.iter().map(|p| (p.0, y.pos(p.1))).collect();
    chart.draw_series(std::iter::once(PathElement::new(pts.clone(), s.color.stroke_width(2))))?;
    let cap = (x.hi() - x.lo()) * 0.006;
    for p in &g.points {
        let Some([lo, hi]) = p.2 else { continue };
        let (px, lo, hi) = (p.0, y.pos(lo), y.pos(hi));
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
