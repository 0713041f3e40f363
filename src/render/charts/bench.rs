//! The charts of a benchmark report.

use std::collections::BTreeMap;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{format_value, Axis, Fit, Quantity};
use super::data::{bin_width, density, downsample, extent, finite, jitter, quantile, running_median, sorted, spread};
use super::frame::{frame, y_label_width, Rows, TOP, X_AXIS_HEIGHT};
use super::style::{
    draw_legend, fit, legend_height, series, svg, text_width, titled, LegendItem, Marker, Series, Swatch, INK,
    TEXT_SIZE, TITLE_HEIGHT, WIDTH,
};
use crate::metrics::{self, Dimension};
use crate::render::report_data::{BenchData, Chart, ReportData};
use crate::stats::compare::compare;
use crate::stats::describe::describe;
use crate::stats::outliers::{modified_zscores, THRESHOLD};

/// Points per series in line charts.
const MAX_LINE_POINTS: usize = 400;
/// Runs shown as points per command in all, whatever the number of commands.
const POINT_BUDGET: usize = 1500;
const WALL: &str = "time_wall_clock";
/// Fewer runs than this get no density and no box: their runs and median are shown as they are.
const MIN_VIOLIN: usize = 5;
/// Space between stacked panels.
const PANEL_GAP: u32 = 16;

pub fn charts(data: &ReportData) -> anyhow::Result<Vec<Chart>> {
    let mut out = Vec::new();
    for m in &data.metrics {
        out.extend(distribution(data, m)?);
    }
    out.extend(histogram(data)?);
    out.extend(progression(data)?);
    out.extend(timeline(data)?);
    out.extend(parameter_scan(data)?);
    for m in &data.metrics {
        out.extend(relative(data, m)?);
    }
    Ok(out)
}

/// One command's finite values of a metric, in run order.
struct Column<'a> {
    /// Position in the data: fixes the colour.
    index: usize,
    bench: &'a BenchData,
    values: Vec<f64>,
}

fn columns<'a>(data: &'a ReportData, metric: &str) -> Vec<Column<'a>> {
    data.benchmarks
        .iter()
        .enumerate()
        .filter_map(|(index, bench)| {
            let values = finite(bench.metrics.get(metric)?);
            (!values.is_empty()).then_some(Column { index, bench, values })
        })
        .collect()
}

/// A metric's label and what it measures (unknown metrics, e.g. hardware counters, are counts).
fn metric_info(name: &str) -> (String, Quantity) {
    match metrics::find(name) {
        Some(m) => (m.label.to_string(), Quantity::Metric(m.dimension)),
        None => (name.to_string(), Quantity::Metric(Dimension::Count)),
    }
}

/// A file-safe chart id.
fn chart_id(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", crate::render::units::count(n as u64), if n == 1 { one } else { many })
}

/// Room for command names in a row caption, leaving some for the figures after them.
fn name_room(reserve: f64) -> f64 {
    f64::from(WIDTH) - 90.0 - reserve
}

fn all_values<'a>(cols: &'a [Column]) -> impl Iterator<Item = f64> + 'a {
    cols.iter().flat_map(|c| c.values.iter().copied())
}

// ---------------------------------------------------------------------------------------------
// 1. Distribution

fn distribution(data: &ReportData, metric: &str) -> anyhow::Result<Option<Chart>> {
    let cols = columns(data, metric);
    if cols.is_empty() {
        return Ok(None);
    }
    let (label, quantity) = metric_info(metric);
    let (min, max) = extent(all_values(&cols));
    let x = Axis::new(
        quantity,
        min,
        max,
        Fit { pad: 0.04, ticks: 8, log_ratio: Some(30.0), zero: false, ..Fit::default() },
    );
    let rows = Rows::new(cols.len(), 420, 64, 130);
    let budget = (POINT_BUDGET / cols.len()).clamp(150, 500);
    let any_outliers = cols.iter().any(|c| modified_zscores(&c.values).iter().any(|z| z.abs() > THRESHOLD));
    let violins = cols.iter().any(|c| c.values.len() >= MIN_VIOLIN);
    let thinned = cols.iter().any(|c| c.values.len() > budget);
    let mut legend = vec![LegendItem::new(
        Swatch::Point(Series { color: super::style::GREY, ..series(0) }),
        if thinned { format!("runs (at most {budget} per command, evenly by rank)") } else { "runs".into() },
    )];
    if violins {
        legend.push(LegendItem::new(Swatch::Fill(super::style::GREY, 0.35), "density of the runs (kernel estimate)"));
        legend.push(LegendItem::new(Swatch::BoxPlot, "median and quartiles; whiskers to 1.5 × IQR"));
    }
    if cols.iter().any(|c| c.values.len() < MIN_VIOLIN) {
        legend.push(LegendItem::new(Swatch::Rule(INK, 3), "median"));
    }
    if any_outliers {
        legend.push(LegendItem::new(Swatch::Cross, format!("outliers (|modified z| > {:.1})", THRESHOLD)));
    }
    let legend_h = legend_height(&legend, WIDTH);
    let plot_h = TOP + rows.height() + X_AXIS_HEIGHT;
    let title = format!("{label}: distribution of the runs");
    let svg = svg(WIDTH, TITLE_HEIGHT + plot_h + legend_h, |root| {
        let body = titled(root, &title)?;
        let (plot, legend_area) = body.split_vertically(plot_h);
        let y = Axis::rows(rows.n);
        let mut chart = frame(&plot, &x, &y, Some(&x.desc(&label)), "", None)?;
        for (i, col) in cols.iter().enumerate() {
            let s = series(col.index);
            let z = modified_zscores(&col.values);
            let is_outlier: Vec<bool> = z.iter().map(|z| z.abs() > THRESHOLD).collect();
            let outliers = is_outlier.iter().filter(|&&o| o).count();
            let mut text = format!(
                "{}  ·  {}",
                fit(&col.bench.name, TEXT_SIZE, name_room(200.0)),
                plural(col.values.len(), "run", "runs")
            );
            if outliers > 0 {
                text += &format!(", {}", plural(outliers, "outlier", "outliers"));
            }
            rows.caption(&mut chart, &x, i, s, &text)?;

            let (centre, half) = (rows.centre(i), rows.half());
            let sorted_values = sorted(&col.values);
            let coords: Vec<f64> = sorted_values.iter().map(|&v| x.pos(v)).collect();
            let (cmin, cmax) = (coords[0], coords[coords.len() - 1]);
            // Violin.
            let grid: Vec<f64> = (0..=100).map(|k| cmin + (cmax - cmin) * k as f64 / 100.0).collect();
            let few = col.values.len() < MIN_VIOLIN;
            let dens = if few { None } else { density(&coords, &grid) };
            if let Some(d) = &dens {
                let mut outline: Vec<(f64, f64)> = grid.iter().zip(d).map(|(&g, &h)| (g, centre + h * half)).collect();
                outline.extend(grid.iter().zip(d).rev().map(|(&g, &h)| (g, centre - h * half)));
                chart.draw_series(std::iter::once(Polygon::new(outline.clone(), s.color.mix(0.22).filled())))?;
                outline.push(outline[0]);
                chart.draw_series(std::iter::once(PathElement::new(outline, s.color.mix(0.9).stroke_width(1))))?;
            }
            let spread_at = |c: f64| -> f64 {
                match &dens {
                    Some(d) if cmax > cmin => {
                        let k = ((c - cmin) / (cmax - cmin) * 100.0).round().clamp(0.0, 100.0) as usize;
                        (d[k] * half * 0.85).max(half * 0.15)
                    }
                    _ => half * 0.5,
                }
            };
            // Runs: all of them up to the budget, else evenly by rank; outliers always.
            let mut order: Vec<usize> = (0..col.values.len()).collect();
            order.sort_by(|&a, &b| col.values[a].total_cmp(&col.values[b]));
            let regular: Vec<usize> = order.iter().copied().filter(|&k| !is_outlier[k]).collect();
            let shown: Vec<usize> = spread(regular.len(), budget).into_iter().map(|j| regular[j]).collect();
            let (size, alpha) = match shown.len() {
                _ if few => (4, 0.85),
                0..=200 => (3, 0.55),
                _ => (2, 0.55),
            };
            let point_at = |k: usize| {
                let c = x.pos(col.values[k]);
                (c, centre + jitter((col.index as u64) << 32 | k as u64) * spread_at(c))
            };
            let runs = || shown.iter().map(|&k| Marker::new(point_at(k), s.shape, size, s.color.mix(alpha).filled()));
            if !few {
                chart.draw_series(runs())?;
            }
            // Box and whiskers.
            let (q1, med, q3) =
                (quantile(&sorted_values, 0.25), quantile(&sorted_values, 0.5), quantile(&sorted_values, 0.75));
            let bh = half * 0.28;
            if !few {
                let iqr = q3 - q1;
                let lo = sorted_values.iter().copied().find(|&v| v >= q1 - 1.5 * iqr).unwrap_or(q1);
                let hi = sorted_values.iter().rev().copied().find(|&v| v <= q3 + 1.5 * iqr).unwrap_or(q3);
                let (lo, q1c, medc, q3c, hi) = (x.pos(lo), x.pos(q1), x.pos(med), x.pos(q3), x.pos(hi));
                let line = |a: (f64, f64), b: (f64, f64), w: u32| PathElement::new(vec![a, b], INK.stroke_width(w));
                chart.draw_series([
                    line((lo, centre), (q1c, centre), 1),
                    line((q3c, centre), (hi, centre), 1),
                    line((lo, centre - bh * 0.6), (lo, centre + bh * 0.6), 1),
                    line((hi, centre - bh * 0.6), (hi, centre + bh * 0.6), 1),
                ])?;
                chart.draw_series([
                    Rectangle::new([(q1c, centre - bh), (q3c, centre + bh)], WHITE.mix(0.8).filled()),
                    Rectangle::new([(q1c, centre - bh), (q3c, centre + bh)], INK.stroke_width(1)),
                ])?;
                chart.draw_series(std::iter::once(line((medc, centre - bh), (medc, centre + bh), 3)))?;
            } else {
                let m = x.pos(med);
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(m, centre - half * 0.6), (m, centre + half * 0.6)],
                    INK.stroke_width(3),
                )))?;
                chart.draw_series(runs())?;
            }
            // Outliers on top.
            let outlier_idx: Vec<usize> = order.iter().copied().filter(|&k| is_outlier[k]).collect();
            let outlier_idx: Vec<usize> = spread(outlier_idx.len(), 300).into_iter().map(|j| outlier_idx[j]).collect();
            let (cross, stroke) = if outlier_idx.len() > 30 { (3, 1) } else { (4, 2) };
            chart.draw_series(outlier_idx.iter().map(|&k| Cross::new(point_at(k), cross, INK.stroke_width(stroke))))?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: chart_id(&format!("distribution-{metric}")), title, svg }))
}

// ---------------------------------------------------------------------------------------------
// 2. Histogram of wall times, one panel per command on a shared axis

fn histogram(data: &ReportData) -> anyhow::Result<Option<Chart>> {
    let cols = columns(data, WALL);
    if cols.is_empty() {
        return Ok(None);
    }
    let (label, quantity) = metric_info(WALL);
    let (min, max) = extent(all_values(&cols));
    let x = Axis::new(
        quantity,
        min,
        max,
        Fit { pad: 0.03, ticks: 8, log_ratio: Some(30.0), zero: false, ..Fit::default() },
    );
    let coords: Vec<Vec<f64>> =
        cols.iter().map(|c| sorted(&c.values.iter().map(|&v| x.pos(v)).collect::<Vec<_>>())).collect();
    let (cmin, cmax) = (x.pos(min), x.pos(max));
    let span = cmax - cmin;
    // Bins: the finest Freedman–Diaconis width among the commands, 5 to 60 bins over the whole range.
    let (start, width, bins) = if span > 0.0 {
        let fd = coords.iter().filter_map(|c| bin_width(c)).fold(f64::INFINITY, f64::min);
        let bins = if fd.is_finite() { (span / fd).ceil() as usize } else { 10 };
        let bins = bins.clamp(5, 60);
        (cmin, span / bins as f64, bins)
    } else {
        let w = (x.hi() - x.lo()) / 40.0;
        (cmin - w / 2.0, w, 1)
    };
    let counts: Vec<Vec<usize>> = coords
        .iter()
        .map(|c| {
            let mut h = vec![0; bins];
            for &v in c {
                h[(((v - start) / width).floor().max(0.0) as usize).min(bins - 1)] += 1;
            }
            h
        })
        .collect();
    let panel = (600 / cols.len() as u32).clamp(92, 300);
    let bin_text = if x.is_log() {
        "bins of equal width on the log scale".to_string()
    } else {
        format!("bin width {}", format_value(quantity, width * x.scale()))
    };
    let legend = vec![LegendItem::new(Swatch::Rule(INK, 2), "median"), LegendItem::new(Swatch::None, bin_text)];
    let legend_h = legend_height(&legend, WIDTH);
    let stack_h = (TOP + panel) * cols.len() as u32 + PANEL_GAP * (cols.len() as u32 - 1) + X_AXIS_HEIGHT;
    let title = format!("{label}: histogram per command");
    let svg = svg(WIDTH, TITLE_HEIGHT + stack_h + legend_h, |root| {
        let body = titled(root, &title)?;
        let (stack, legend_area) = body.split_vertically(stack_h);
        let breaks: Vec<i32> = (1..cols.len()).map(|k| (k as u32 * (panel + TOP + PANEL_GAP)) as i32).collect();
        let panels = stack.split_by_breakpoints(Vec::<i32>::new(), breaks);
        let headroom = 1.0 - 24.0 / f64::from(panel);
        let y_axis = |top: f64| {
            Axis::new(
                Quantity::Plain,
                0.0,
                top / headroom,
                Fit { zero: true, ticks: 3, integer: true, ..Fit::default() },
            )
        };
        let y_width = counts
            .iter()
            .map(|c| y_label_width(&y_axis(*c.iter().max().unwrap_or(&1) as f64), true))
            .max()
            .unwrap_or(40);
        for (k, (area, col)) in panels.iter().zip(&cols).enumerate() {
            let s = series(col.index);
            let top = *counts[k].iter().max().unwrap_or(&1) as f64;
            // Room above the bars for the caption.
            let y = y_axis(top);
            let last = k + 1 == cols.len();
            let x_desc = x.desc(&label);
            let area = if k > 0 { area.split_vertically(PANEL_GAP).1 } else { area.clone() };
            let mut chart = frame(&area, &x, &y, last.then_some(x_desc.as_str()), "runs", Some(y_width))?;
            let bar = |b: usize, c: usize| {
                let x0 = start + b as f64 * width;
                [(x0, 0.0), (x0 + width, c as f64)]
            };
            let filled: Vec<(usize, usize)> = counts[k].iter().copied().enumerate().filter(|&(_, c)| c > 0).collect();
            chart.draw_series(filled.iter().map(|&(b, c)| Rectangle::new(bar(b, c), s.color.mix(0.8).filled())))?;
            if bins <= 40 {
                chart.draw_series(filled.iter().map(|&(b, c)| Rectangle::new(bar(b, c), WHITE.stroke_width(1))))?;
            }
            let med = quantile(&coords[k], 0.5);
            chart.draw_series([
                PathElement::new(vec![(med, 0.0), (med, top)], WHITE.stroke_width(4)),
                PathElement::new(vec![(med, 0.0), (med, top)], INK.stroke_width(2)),
            ])?;
            let text = format!(
                "{}  ·  {}, median {}",
                fit(&col.bench.name, TEXT_SIZE, name_room(260.0)),
                plural(col.values.len(), "run", "runs"),
                format_value(quantity, quantile(&sorted(&col.values), 0.5))
            );
            let cap_y = y.hi();
            chart.draw_series(std::iter::once(
                EmptyElement::at((x.lo(), cap_y))
                    + Rectangle::new([(6, 4), (16, 14)], s.color.filled())
                    + Text::new(text, (22, 3), super::style::font(TEXT_SIZE).pos(Pos::new(HPos::Left, VPos::Top))),
            ))?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: chart_id(&format!("histogram-{WALL}")), title, svg }))
}

// ---------------------------------------------------------------------------------------------
// 3. Progression: wall time against run index

fn progression(data: &ReportData) -> anyhow::Result<Option<Chart>> {
    let cols = columns(data, WALL);
    if cols.is_empty() {
        return Ok(None);
    }
    let (label, quantity) = metric_info(WALL);
    let (min, max) = extent(all_values(&cols));
    let longest = cols.iter().map(|c| c.values.len()).max().unwrap_or(1);
    let x = Axis::new(
        Quantity::Plain,
        1.0,
        longest.max(2) as f64,
        Fit { pad: 0.01, ticks: 10, integer: true, ..Fit::default() },
    );
    let y = Axis::new(
        quantity,
        min,
        max,
        Fit { pad: 0.05, ticks: 6, log_ratio: Some(30.0), zero: false, ..Fit::default() },
    );
    let block = |n: usize| n.div_ceil(300);
    let window = |n: usize| (n / 10).clamp(1, 25) | 1;
    let mut legend: Vec<LegendItem> =
        cols.iter().map(|c| LegendItem::new(Swatch::Line(series(c.index)), c.bench.name.clone())).collect();
    let few = cols.iter().filter(|c| c.values.len() <= 300).map(|c| c.values.len()).max();
    let many = cols.iter().filter(|c| c.values.len() > 300).map(|c| c.values.len()).max();
    if let Some(n) = few {
        legend.push(LegendItem::new(
            Swatch::None,
            if n >= 5 {
                format!("dots: runs; lines: running median over {} runs", window(n))
            } else {
                "dots: runs, in order".into()
            },
        ));
    }
    if let Some(n) = many {
        legend.push(LegendItem::new(
            Swatch::None,
            format!("lines: median of each block of {} runs; bands: 10th to 90th percentile", block(n)),
        ));
    }
    let legend_h = legend_height(&legend, WIDTH);
    let plot_h = TOP + 380 + X_AXIS_HEIGHT;
    let title = format!("{label}: progression over the runs");
    let svg = svg(WIDTH, TITLE_HEIGHT + plot_h + legend_h, |root| {
        let body = titled(root, &title)?;
        let (plot, legend_area) = body.split_vertically(plot_h);
        let mut chart = frame(&plot, &x, &y, Some("Run"), &y.desc(&label), None)?;
        for col in &cols {
            let s = series(col.index);
            let n = col.values.len();
            let y = &y;
            let runs = |size: i32, alpha: f64| {
                col.values.iter().enumerate().map(move |(i, &v)| {
                    Marker::new(((i + 1) as f64, y.pos(v)), s.shape, size, s.color.mix(alpha).filled())
                })
            };
            if n < MIN_VIOLIN {
                // A few runs: join them, and show each.
                let line: Vec<(f64, f64)> =
                    col.values.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, y.pos(v))).collect();
                draw_line(&mut chart, &line, Series { marked: false, ..s })?;
                chart.draw_series(runs(4, 0.9))?;
                continue;
            }
            let line: Vec<(f64, f64)> = if n <= 300 {
                chart.draw_series(runs(if n <= 100 { 3 } else { 2 }, 0.5))?;
                let smooth = running_median(&col.values, window(n));
                smooth.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, y.pos(v))).collect()
            } else {
                let b = block(n);
                let stats: Vec<(f64, f64, f64, f64)> = col
                    .values
                    .chunks(b)
                    .enumerate()
                    .map(|(k, chunk)| {
                        let c = sorted(chunk);
                        let mid = (k * b) as f64 + (chunk.len() as f64 + 1.0) / 2.0;
                        (mid, quantile(&c, 0.1), quantile(&c, 0.5), quantile(&c, 0.9))
                    })
                    .collect();
                let mut band: Vec<(f64, f64)> = stats.iter().map(|p| (p.0, y.pos(p.3))).collect();
                band.extend(stats.iter().rev().map(|p| (p.0, y.pos(p.1))));
                chart.draw_series(std::iter::once(Polygon::new(band, s.color.mix(0.2).filled())))?;
                stats.iter().map(|p| (p.0, y.pos(p.2))).collect()
            };
            draw_line(&mut chart, &line, s)?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: "progression".into(), title, svg }))
}

/// A series' line, with its markers spaced along it when the series has them.
fn draw_line(chart: &mut super::frame::Ctx, points: &[(f64, f64)], s: Series) -> anyhow::Result<()> {
    let points = downsample(points, MAX_LINE_POINTS);
    chart.draw_series(std::iter::once(PathElement::new(points.clone(), s.color.stroke_width(2))))?;
    if s.marked && !points.is_empty() {
        let marks = spread(points.len(), 12);
        chart.draw_series(marks.into_iter().map(|k| Marker::new(points[k], s.shape, 4, s.color.filled())))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 4. Resource timeline of the median run

fn timeline(data: &ReportData) -> anyhow::Result<Option<Chart>> {
    let with: Vec<(usize, &BenchData)> = data
        .benchmarks
        .iter()
        .enumerate()
        .filter(|(_, b)| b.timeline.iter().any(|p| p.iter().all(|v| v.is_finite())))
        .collect();
    if with.is_empty() {
        return Ok(None);
    }
    let points = |b: &BenchData, k: usize| -> Vec<(f64, f64)> {
        b.timeline.iter().filter(|p| p.iter().all(|v| v.is_finite())).map(|p| (p[0], p[k])).collect()
    };
    let (_, tmax) = extent(with.iter().flat_map(|(_, b)| b.timeline.iter().map(|p| p[0]).filter(|t| t.is_finite())));
    let (_, cpu_max) = extent(with.iter().flat_map(|(_, b)| points(b, 1).into_iter().map(|p| p.1)));
    let (_, rss_max) = extent(with.iter().flat_map(|(_, b)| points(b, 2).into_iter().map(|p| p.1)));
    let x = Axis::new(
        Quantity::Metric(Dimension::Time),
        0.0,
        tmax.max(0.0),
        Fit { zero: true, ticks: 8, ..Fit::default() },
    );
    let cpu = Axis::new(
        Quantity::Percent,
        0.0,
        cpu_max,
        Fit { zero: true, pad: 0.06, ticks: 5, log_ratio: None, ..Fit::default() },
    );
    let rss = Axis::new(
        Quantity::Metric(Dimension::Bytes),
        0.0,
        rss_max,
        Fit { zero: true, pad: 0.06, ticks: 5, log_ratio: None, ..Fit::default() },
    );
    let mut legend: Vec<LegendItem> =
        with.iter().map(|(i, b)| LegendItem::new(Swatch::Line(series(*i)), b.name.clone())).collect();
    legend.push(LegendItem::new(Swatch::None, "each command's median run; CPU: 100% = one core busy"));
    let legend_h = legend_height(&legend, WIDTH);
    let panel = 210;
    let stack_h = 2 * (TOP + panel) + PANEL_GAP + X_AXIS_HEIGHT;
    let title = "Resource use over the median run".to_string();
    let svg = svg(WIDTH, TITLE_HEIGHT + stack_h + legend_h, |root| {
        let body = titled(root, &title)?;
        let (stack, legend_area) = body.split_vertically(stack_h);
        let (top, bottom) = stack.split_vertically(TOP + panel);
        let bottom = bottom.split_vertically(PANEL_GAP).1;
        let x_desc = x.desc("Time since the run started");
        // The same y-label width in both panels keeps their x axes aligned.
        let w = y_label_width(&cpu, true).max(y_label_width(&rss, true));
        let mut c1 = frame(&top, &x, &cpu, None, &cpu.desc("CPU"), Some(w))?;
        let mut c2 = frame(&bottom, &x, &rss, Some(&x_desc), &rss.desc("Tree RSS"), Some(w))?;
        for (i, b) in &with {
            let s = series(*i);
            let cpu_line: Vec<(f64, f64)> = points(b, 1).into_iter().map(|(t, v)| (x.pos(t), cpu.pos(v))).collect();
            let rss_line: Vec<(f64, f64)> = points(b, 2).into_iter().map(|(t, v)| (x.pos(t), rss.pos(v))).collect();
            draw_line(&mut c1, &cpu_line, s)?;
            draw_line(&mut c2, &rss_line, s)?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: "timeline".into(), title, svg }))
}

// ---------------------------------------------------------------------------------------------
// 5. Parameter scan

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

fn parameter_scan(data: &ReportData) -> anyhow::Result<Option<Chart>> {
    let Some(param) = scan_parameter(data) else { return Ok(None) };
    let metric = data.primary_metric.as_str();
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

// ---------------------------------------------------------------------------------------------
// 6. Relative change against the first command

fn relative(data: &ReportData, metric: &str) -> anyhow::Result<Option<Chart>> {
    let cols = columns(data, metric);
    let Some(reference) = cols.first().filter(|c| c.index == 0) else { return Ok(None) };
    if cols.len() < 2 {
        return Ok(None);
    }
    let (label, _) = metric_info(metric);
    let others: Vec<(&Column, crate::stats::Comparison)> =
        cols[1..].iter().map(|c| (c, compare(&reference.values, &c.values, data.alpha))).collect();
    let pct = |v: f64| v * 100.0;
    let (min, max) = extent(others.iter().filter(|(_, c)| c.change.is_finite()).flat_map(|(_, c)| {
        let ci = c.change_ci95.unwrap_or([c.change, c.change]);
        [pct(c.change), pct(ci[0]), pct(ci[1])]
    }));
    let (min, max) = if min.is_finite() { (min, max) } else { (0.0, 1.0) };
    let x = Axis::new(
        Quantity::Percent,
        min,
        max,
        Fit { zero: true, pad: 0.08, ticks: 8, log_ratio: None, ..Fit::default() },
    );
    let rows = Rows::new(others.len(), 300, 54, 90);
    let any_ns = others.iter().any(|(_, c)| !c.significant);
    let mut legend = vec![
        LegendItem::new(Swatch::Rule(INK, 2), format!("reference (0%): {}", reference.bench.name)),
        LegendItem::new(Swatch::ErrorBar, "95% confidence interval of the change (Welch)"),
    ];
    if any_ns {
        legend.push(LegendItem::new(
            Swatch::Fill(super::style::GREY, 0.3),
            format!("pale: not significant at α = {}", data.alpha),
        ));
    }
    let legend_h = legend_height(&legend, WIDTH);
    let plot_h = TOP + rows.height() + X_AXIS_HEIGHT;
    let title = format!("{label}: change against the reference");
    let svg = svg(WIDTH, TITLE_HEIGHT + plot_h + legend_h, |root| {
        let body = titled(root, &title)?;
        let (plot, legend_area) = body.split_vertically(plot_h);
        let y = Axis::rows(rows.n);
        let mut chart = frame(&plot, &x, &y, Some(&x.desc(&format!("Change in {label}"))), "", None)?;
        for (i, (col, c)) in others.iter().enumerate() {
            let s = series(col.index);
            let figures = if c.change.is_finite() {
                let mut t = format!("{:+.1}%", pct(c.change));
                if c.ratio >= 2.0 {
                    t += &format!(" ({:.1}×)", c.ratio);
                }
                if let Some([lo, hi]) = c.change_ci95 {
                    t += &format!(" [{:+.1}%, {:+.1}%]", pct(lo), pct(hi));
                }
                if let Some(p) = c.p_value {
                    t += &if p < 0.001 { ", p < 0.001".to_string() } else { format!(", p = {p:.3}") };
                }
                t
            } else {
                "no change computable (reference mean is zero)".into()
            };
            let text = format!(
                "{}  ·  {figures}",
                fit(&col.bench.name, TEXT_SIZE, name_room(text_width(&figures, TEXT_SIZE) + 40.0))
            );
            rows.caption(&mut chart, &x, i, s, &text)?;
            if !c.change.is_finite() {
                continue;
            }
            let (centre, half) = (rows.centre(i), rows.half());
            let bh = half * 0.8;
            let alpha = if c.significant { 0.85 } else { 0.3 };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, centre - bh), (pct(c.change), centre + bh)],
                s.color.mix(alpha).filled(),
            )))?;
            if let Some([lo, hi]) = c.change_ci95 {
                let (lo, hi) = (pct(lo), pct(hi));
                let cap = bh * 0.6;
                for (color, w) in [(WHITE, 4), (INK, 2)] {
                    chart.draw_series([
                        PathElement::new(vec![(lo, centre), (hi, centre)], color.stroke_width(w)),
                        PathElement::new(vec![(lo, centre - cap), (lo, centre + cap)], color.stroke_width(w)),
                        PathElement::new(vec![(hi, centre - cap), (hi, centre + cap)], color.stroke_width(w)),
                    ])?;
                }
            }
        }
        // The zero line, row by row, below the captions.
        chart.draw_series((0..rows.n).map(|i| {
            let (centre, half) = (rows.centre(i), rows.half());
            PathElement::new(vec![(0.0, centre - half), (0.0, centre + half)], INK.stroke_width(2))
        }))?;
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: chart_id(&format!("relative-{metric}")), title, svg }))
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

    #[test]
    fn ids_are_file_safe() {
        assert_eq!(chart_id("distribution-../x y"), "distribution-___x_y");
    }
}
