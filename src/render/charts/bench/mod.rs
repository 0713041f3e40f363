//! The charts of a benchmark report.

use std::collections::BTreeMap;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{format_value, Axis, Fit, Quantity};
use super::data::{bin_width, density, downsample, extent, finite, jitter, rates, running_median, sorted, spread};
use super::frame::{frame, y_label_width, Band, Ctx, Rows, TOP, X_AXIS_HEIGHT};
use super::style::{
    draw_legend, fit, font, legend_height, series, svg, text_width, titled, Area, LegendItem, Marker, Series, Swatch,
    GREY, INK, TEXT_SIZE, TITLE_HEIGHT, WIDTH,
};
use crate::metrics::{Dimension, Metric, MetricKey};
use crate::render::report_data::{BenchData, Chart, ReportData};
use crate::stats::compare::compare;
use crate::stats::describe::{describe, quantile};
use crate::stats::outliers::{modified_zscores, THRESHOLD};

/// Points per series in line charts.
const MAX_LINE_POINTS: usize = 400;
/// Runs shown as points per command in all, whatever the number of commands.
const POINT_BUDGET: usize = 1500;
const WALL: &MetricKey = &MetricKey::Known(Metric::TimeWallClock);
/// Fewer runs than this get no density and no box: their runs and median are shown as they are.
const MIN_VIOLIN: usize = 5;
/// Space between stacked panels.
const PANEL_GAP: u32 = 16;

pub fn charts(data: &ReportData) -> anyhow::Result<Vec<Chart>> {
    // A scan's question is how the parameter changes the result: its chart comes first.
    let mut out: Vec<Chart> = parameter_scan(data)?.into_iter().collect();
    for m in &data.metrics {
        out.extend(distribution(data, m)?);
    }
    out.extend(histogram(data)?);
    out.extend(progression(data)?);
    out.extend(timeline(data)?);
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

fn columns<'a>(data: &'a ReportData, metric: &MetricKey) -> Vec<Column<'a>> {
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
fn metric_info(key: &MetricKey) -> (String, Quantity) {
    (key.label().to_string(), Quantity::Metric(key.dimension()))
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

mod distribution;
mod histogram;
mod progression;
mod relative;
mod scan;
mod timeline;

use distribution::distribution;
use histogram::histogram;
use progression::progression;
use relative::relative;
use scan::parameter_scan;
use timeline::timeline;

/// A series' line, with its markers spaced along it when the series has them.
fn draw_line(chart: &mut Ctx, points: &[(f64, f64)], s: Series) -> anyhow::Result<()> {
    draw_wide_line(chart, points, s, 2)
}

/// `draw_line` with a stroke of `width` pixels.
fn draw_wide_line(chart: &mut Ctx, points: &[(f64, f64)], s: Series, width: u32) -> anyhow::Result<()> {
    let points = downsample(points, MAX_LINE_POINTS);
    chart.draw_series(std::iter::once(PathElement::new(points.clone(), s.color.stroke_width(width))))?;
    // A run sampled once or twice (a run of one or two ticks) is a dot or a stub: mark its points, or the chart looks empty.
    if points.len() <= 2 {
        chart.draw_series(points.iter().map(|&p| Marker::new(p, s.shape, 4, s.color.filled())))?;
    } else if s.marked {
        let marks = spread(points.len(), 12);
        chart.draw_series(marks.into_iter().map(|k| Marker::new(points[k], s.shape, 4, s.color.filled())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_file_safe() {
        assert_eq!(chart_id("distribution-../x y"), "distribution-___x_y");
    }
}
