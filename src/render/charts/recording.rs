//! The charts of a monitor recording: one timeline each for CPU, memory, storage I/O and processes.

use plotters::prelude::*;

use super::axis::{Axis, Fit, Quantity};
use super::data::{downsample, extent, rates};
use super::frame::{frame, Ctx, TOP, X_AXIS_HEIGHT};
use super::style::{draw_legend, legend_height, series, svg, titled, LegendItem, Swatch, TITLE_HEIGHT, WIDTH};
use crate::metrics::Dimension;
use crate::render::report_data::{Chart, RecordingData, RecordingPoint};
use crate::vocab::Category;

const MAX_POINTS: usize = 400;
const PLOT_HEIGHT: u32 = 300;

/// A line of a timeline: its legend label, colour index and points (t seconds, value in base units).
struct Line {
    label: String,
    series: usize,
    points: Vec<(f64, f64)>,
    /// Draw as steps (counts).
    step: bool,
    /// Each value is the average over the interval before it (CPU %): drawn over that interval.
    averaged: bool,
}

impl Line {
    fn new(label: impl Into<String>, series: usize, points: Vec<(f64, f64)>) -> Line {
        Line { label: label.into(), series, points, step: false, averaged: false }
    }

    fn steps(self) -> Line {
        Line { step: true, ..self }
    }

    fn averaged(self) -> Line {
        Line { averaged: true, ..self }
    }
}

/// A timeline chart apart from its lines.
struct Panel {
    id: &'static str,
    title: &'static str,
    y_name: &'static str,
    quantity: Quantity,
    /// Fill the area under the lines (one level, such as CPU or memory).
    area_fill: bool,
}

impl Panel {
    const fn new(id: &'static str, title: &'static str, y_name: &'static str, quantity: Quantity) -> Panel {
        Panel { id, title, y_name, quantity, area_fill: false }
    }

    const fn filled(self) -> Panel {
        Panel { area_fill: true, ..self }
    }
}

/// A quantity of the recording over time, where known.
fn over_time(pts: &[&RecordingPoint], f: impl Fn(&RecordingPoint) -> f64) -> Vec<(f64, f64)> {
    pts.iter().map(|p| (p.t, f(p))).filter(|p| p.1.is_finite()).collect()
}

/// A level (CPU %, bytes, counts), downsampled.
fn level(pts: &[&RecordingPoint], f: impl Fn(&RecordingPoint) -> f64) -> Vec<(f64, f64)> {
    downsample(&over_time(pts, f), MAX_POINTS)
}

/// The rate of a cumulative counter.
fn rate(pts: &[&RecordingPoint], f: impl Fn(&RecordingPoint) -> f64) -> Vec<(f64, f64)> {
    rates(&over_time(pts, f), MAX_POINTS)
}

pub fn charts(rec: &RecordingData) -> anyhow::Result<Vec<Chart>> {
    let all: Vec<&RecordingPoint> = rec.points.iter().filter(|p| p.t.is_finite()).collect();
    if all.len() < 2 {
        return Ok(Vec::new());
    }
    let span = extent(all.iter().map(|p| p.t));
    // Levels end with the last live sample; counters (I/O, syscalls, off-CPU time) keep the exited process's totals.
    let pts = live(&all);
    let cpu = Panel::new("recording-cpu", "CPU use", "CPU", Quantity::Percent).filled();
    let memory = Panel::new("recording-memory", "Memory", "RSS", Quantity::Metric(Dimension::Bytes)).filled();
    let io = Panel::new("recording-io", "Storage I/O", "Rate", Quantity::ByteRate);
    let processes = Panel::new("recording-processes", "Processes and threads", "Count", Quantity::Plain);
    let mut charts = vec![
        timeline(
            &cpu,
            span,
            vec![Line::new(
                "CPU of the process tree, averaged over each sampling interval (100% = one core busy)",
                3,
                level(&pts, |p| p.cpu_percent),
            )
            .averaged()],
        )?,
        timeline(
            &memory,
            span,
            vec![Line::new("resident memory of the process tree (RSS)", 2, level(&pts, |p| p.rss_bytes))],
        )?,
        timeline(
            &io,
            span,
            vec![
                Line::new("read from storage", 1, rate(&all, |p| p.read_bytes)),
                Line::new("written to storage", 4, rate(&all, |p| p.write_bytes)),
            ],
        )?,
        timeline(
            &processes,
            span,
            vec![
                Line::new("processes", 0, level(&pts, |p| p.processes)).steps(),
                Line::new("threads", 5, level(&pts, |p| p.threads)).steps(),
            ],
        )?,
    ];
    charts.extend(kernel_charts(&all, span)?);
    Ok(charts)
}

/// The samples without the last ones taken after the process exited (no memory left, not "zero memory used").
fn live<'a>(pts: &[&'a RecordingPoint]) -> Vec<&'a RecordingPoint> {
    let end = pts.iter().rposition(|p| p.rss_bytes > 0.0).map_or(pts.len(), |i| i + 1);
    pts[..end].to_vec()
}

/// With eBPF data: syscalls per second by category, and the tree's threads off CPU on average.
fn kernel_charts(pts: &[&RecordingPoint], span: (f64, f64)) -> anyhow::Result<Vec<Chart>> {
    let mut out = Vec::new();
    if pts.iter().any(|p| p.syscalls[0].is_finite()) {
        let last = pts.last().map(|p| p.syscalls).unwrap_or([0.0; 8]);
        let lines: Vec<Line> = Category::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| last[*i] > 0.0)
            .map(|(i, c)| Line::new(c.key().replace('_', " "), i, rate(pts, |p| p.syscalls[i])))
            .collect();
        if !lines.is_empty() {
            let panel = Panel::new("recording-syscalls", "Syscalls by category (eBPF)", "Syscalls/s", Quantity::Plain);
            out.push(timeline(&panel, span, lines)?);
        }
    }
    if pts.iter().any(|p| p.off_cpu.is_finite()) {
        let lines = vec![
            Line::new(
                "blocked (sleeping, waiting for I/O, a lock, a child)",
                1,
                rate(pts, |p| p.off_cpu - p.off_cpu_runnable),
            ),
            Line::new("runnable, waiting for a CPU", 6, rate(pts, |p| p.off_cpu_runnable)),
        ];
        let panel = Panel::new("recording-off-cpu", "Off-CPU time (eBPF)", "Threads off CPU", Quantity::Plain);
        out.push(timeline(&panel, span, lines)?);
    }
    Ok(out)
}

fn timeline(panel: &Panel, (t0, t1): (f64, f64), lines: Vec<Line>) -> anyhow::Result<Chart> {
    let x = Axis::new(Quantity::Metric(Dimension::Time), t0.min(0.0), t1, Fit { ticks: 8, ..Fit::default() });
    let (_, max) = extent(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    let integer = panel.quantity == Quantity::Plain;
    let y = Axis::new(panel.quantity, 0.0, max, Fit { zero: true, pad: 0.06, ticks: 6, log_ratio: None, integer });
    let legend: Vec<LegendItem> = lines
        .iter()
        .enumerate()
        .map(|(k, l)| {
            LegendItem::new(Swatch::Rule(series(l.series).color, line_width(k, lines.len())), l.label.clone())
        })
        .collect();
    let legend_h = legend_height(&legend, WIDTH);
    let plot_h = TOP + PLOT_HEIGHT + X_AXIS_HEIGHT;
    let svg = svg(WIDTH, TITLE_HEIGHT + plot_h + legend_h, |root| {
        let body = titled(root, panel.title)?;
        let (plot, legend_area) = body.split_vertically(plot_h);
        let mut chart: Ctx = frame(&plot, &x, &y, Some(&x.desc("Time")), &y.desc(panel.y_name), None)?;
        for (k, l) in lines.iter().enumerate() {
            draw_line(&mut chart, (&x, &y), l, (panel.area_fill, line_width(k, lines.len())))?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Chart { id: panel.id.into(), title: panel.title.into(), svg })
}

/// Line `k` of `n`: earlier lines are wider, so a line exactly under a later one still shows, as its border.
fn line_width(k: usize, n: usize) -> u32 {
    2 + 3 * (n - 1 - k) as u32
}

/// Values that are averages over the interval before each point, as steps over those intervals; the first
/// interval is taken as long as the second (not before `start`).
fn over_intervals(pts: &[(f64, f64)], start: f64) -> Vec<(f64, f64)> {
    if pts.len() < 2 {
        return pts.to_vec();
    }
    let first = ((pts[0].0 - (pts[1].0 - pts[0].0)).max(start), pts[0].1);
    let with_start: Vec<(f64, f64)> = std::iter::once(first).chain(pts.iter().copied()).collect();
    with_start.windows(2).flat_map(|w| [(w[0].0, w[1].1), w[1]]).collect()
}

/// A line on the chart: counts as steps (they hold until the next sample), levels with the area under them filled.
fn draw_line(chart: &mut Ctx, (x, y): (&Axis, &Axis), l: &Line, (area_fill, width): (bool, u32)) -> anyhow::Result<()> {
    let color = series(l.series).color;
    let mut pts: Vec<(f64, f64)> = l.points.iter().map(|&(t, v)| (x.pos(t), y.pos(v))).collect();
    if l.averaged {
        pts = over_intervals(&pts, x.pos(0.0));
    }
    if l.step {
        pts = pts
            .iter()
            .enumerate()
            .flat_map(|(i, &p)| if i == 0 { vec![p] } else { vec![(p.0, pts[i - 1].1), p] })
            .collect();
    }
    if pts.is_empty() {
        return Ok(());
    }
    if area_fill {
        let mut poly = pts.clone();
        poly.push((pts[pts.len() - 1].0, 0.0));
        poly.push((pts[0].0, 0.0));
        chart.draw_series(std::iter::once(Polygon::new(poly, color.mix(0.15).filled())))?;
    }
    chart.draw_series(std::iter::once(PathElement::new(pts, color.stroke_width(width))))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_end_at_the_last_live_sample() {
        let p = |t: f64, rss: f64| RecordingPoint { t, rss_bytes: rss, ..RecordingPoint::default() };
        let pts = [p(0.1, 5.0), p(0.2, 7.0), p(0.3, 0.0)];
        let refs: Vec<&RecordingPoint> = pts.iter().collect();
        assert_eq!(live(&refs).len(), 2);
        // A recording that never saw memory keeps its samples.
        let none = [p(0.1, 0.0), p(0.2, 0.0)];
        assert_eq!(live(&none.iter().collect::<Vec<_>>()).len(), 2);
        assert_eq!(line_width(0, 2), 5, "processes, drawn first, show around threads over them");
    }

    #[test]
    fn averages_are_drawn_over_their_intervals() {
        let steps = over_intervals(&[(0.1, 50.0), (0.2, 0.0), (0.3, 100.0)], 0.0);
        assert_eq!(steps, [(0.0, 50.0), (0.1, 50.0), (0.1, 0.0), (0.2, 0.0), (0.2, 100.0), (0.3, 100.0)]);
    }
}
