//! The charts of a monitor recording: one timeline each for CPU, memory, storage I/O and processes.

use plotters::prelude::*;

use super::axis::{Axis, Fit, Quantity};
use super::data::{downsample, extent, rates};
use super::frame::{frame, Ctx, TOP, X_AXIS_HEIGHT};
use super::style::{draw_legend, legend_height, series, svg, titled, LegendItem, Series, Swatch, TITLE_HEIGHT, WIDTH};
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
}

pub fn charts(rec: &RecordingData) -> anyhow::Result<Vec<Chart>> {
    let pts: Vec<&RecordingPoint> = rec.points.iter().filter(|p| p.t.is_finite()).collect();
    if pts.len() < 2 {
        return Ok(Vec::new());
    }
    let series_of = |f: fn(&RecordingPoint) -> f64| -> Vec<(f64, f64)> {
        pts.iter().map(|p| (p.t, f(p))).filter(|p| p.1.is_finite()).collect()
    };
    let level = |f: fn(&RecordingPoint) -> f64| downsample(&series_of(f), MAX_POINTS);
    let rate = |f: fn(&RecordingPoint) -> f64| rates(&series_of(f), MAX_POINTS);
    let (t0, t1) = extent(pts.iter().map(|p| p.t));
    let mut charts = vec![
        timeline(
            "recording-cpu",
            "CPU use",
            "CPU",
            Quantity::Percent,
            (t0, t1),
            vec![Line {
                label: "CPU of the process tree (100% = one core busy)".into(),
                series: 3,
                points: level(|p| p.cpu_percent),
                step: false,
            }],
            true,
        )?,
        timeline(
            "recording-memory",
            "Memory",
            "RSS",
            Quantity::Metric(Dimension::Bytes),
            (t0, t1),
            vec![Line {
                label: "resident memory of the process tree (RSS)".into(),
                series: 2,
                points: level(|p| p.rss_bytes),
                step: false,
            }],
            true,
        )?,
        timeline(
            "recording-io",
            "Storage I/O",
            "Rate",
            Quantity::ByteRate,
            (t0, t1),
            vec![
                Line { label: "read from storage".into(), series: 1, points: rate(|p| p.read_bytes), step: false },
                Line { label: "written to storage".into(), series: 4, points: rate(|p| p.write_bytes), step: false },
            ],
            false,
        )?,
        timeline(
            "recording-processes",
            "Processes and threads",
            "Count",
            Quantity::Plain,
            (t0, t1),
            vec![
                Line { label: "processes".into(), series: 0, points: level(|p| p.processes), step: true },
                Line { label: "threads".into(), series: 5, points: level(|p| p.threads), step: true },
            ],
            false,
        )?,
    ];
    charts.extend(kernel_charts(&pts, (t0, t1))?);
    Ok(charts)
}

/// With eBPF data: syscalls per second by category, and the tree's threads off CPU on average.
fn kernel_charts(pts: &[&RecordingPoint], span: (f64, f64)) -> anyhow::Result<Vec<Chart>> {
    let mut out = Vec::new();
    let rate_of = |f: &dyn Fn(&RecordingPoint) -> f64| -> Vec<(f64, f64)> {
        let s: Vec<(f64, f64)> = pts.iter().map(|p| (p.t, f(p))).filter(|p| p.1.is_finite()).collect();
        rates(&s, MAX_POINTS)
    };
    if pts.iter().any(|p| p.syscalls[0].is_finite()) {
        let last = pts.last().map(|p| p.syscalls).unwrap_or([0.0; 8]);
        let lines: Vec<Line> = Category::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| last[*i] > 0.0)
            .map(|(i, c)| Line {
                label: c.key().replace('_', " "),
                series: i,
                points: rate_of(&|p: &RecordingPoint| p.syscalls[i]),
                step: false,
            })
            .collect();
        if !lines.is_empty() {
            out.push(timeline(
                "recording-syscalls",
                "Syscalls by category (eBPF)",
                "Syscalls/s",
                Quantity::Plain,
                span,
                lines,
                false,
            )?);
        }
    }
    if pts.iter().any(|p| p.off_cpu.is_finite()) {
        let lines = vec![
            Line {
                label: "blocked (sleeping, waiting for I/O, a lock, a child)".into(),
                series: 1,
                points: rate_of(&|p: &RecordingPoint| p.off_cpu - p.off_cpu_runnable),
                step: false,
            },
            Line {
                label: "runnable, waiting for a CPU".into(),
                series: 6,
                points: rate_of(&|p: &RecordingPoint| p.off_cpu_runnable),
                step: false,
            },
        ];
        out.push(timeline(
            "recording-off-cpu",
            "Off-CPU time (eBPF)",
            "Threads off CPU",
            Quantity::Plain,
            span,
            lines,
            false,
        )?);
    }
    Ok(out)
}

fn timeline(
    id: &str,
    title: &str,
    y_name: &str,
    quantity: Quantity,
    (t0, t1): (f64, f64),
    lines: Vec<Line>,
    area_fill: bool,
) -> anyhow::Result<Chart> {
    let x = Axis::new(Quantity::Metric(Dimension::Time), t0.min(0.0), t1, Fit { ticks: 8, ..Fit::default() });
    let (_, max) = extent(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    let integer = quantity == Quantity::Plain;
    let y = Axis::new(quantity, 0.0, max, Fit { zero: true, pad: 0.06, ticks: 6, log_ratio: None, integer });
    let legend: Vec<LegendItem> = lines
        .iter()
        .map(|l| LegendItem::new(Swatch::Line(Series { marked: false, ..series(l.series) }), l.label.clone()))
        .collect();
    let legend_h = legend_height(&legend, WIDTH);
    let plot_h = TOP + PLOT_HEIGHT + X_AXIS_HEIGHT;
    let svg = svg(WIDTH, TITLE_HEIGHT + plot_h + legend_h, |root| {
        let body = titled(root, title)?;
        let (plot, legend_area) = body.split_vertically(plot_h);
        let mut chart: Ctx = frame(&plot, &x, &y, Some(&x.desc("Time")), &y.desc(y_name), None)?;
        for l in &lines {
            let color = series(l.series).color;
            let mut pts: Vec<(f64, f64)> = l.points.iter().map(|&(t, v)| (x.pos(t), y.pos(v))).collect();
            if l.step {
                // Counts hold until the next sample.
                pts = pts
                    .iter()
                    .enumerate()
                    .flat_map(|(i, &p)| if i == 0 { vec![p] } else { vec![(p.0, pts[i - 1].1), p] })
                    .collect();
            }
            if pts.is_empty() {
                continue;
            }
            if area_fill {
                let mut poly = pts.clone();
                poly.push((pts[pts.len() - 1].0, 0.0));
                poly.push((pts[0].0, 0.0));
                chart.draw_series(std::iter::once(Polygon::new(poly, color.mix(0.15).filled())))?;
            }
            chart.draw_series(std::iter::once(PathElement::new(pts, color.stroke_width(2))))?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Chart { id: id.into(), title: title.into(), svg })
}
