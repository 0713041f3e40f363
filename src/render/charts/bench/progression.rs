//! Progression: wall time against run index, for warmup effects and drift.

use super::*;

/// Up to this many runs a command's runs are dots under a running median; beyond, block medians in a band.
const MAX_DOTS: usize = 300;

pub(super) fn progression(data: &ReportData) -> anyhow::Result<Option<Chart>> {
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
    let legend = legend(&cols);
    let plot_h = TOP + 380 + X_AXIS_HEIGHT;
    let title = format!("{label}: progression over the runs");
    let svg = svg(WIDTH, TITLE_HEIGHT + plot_h + legend_height(&legend, WIDTH), |root| {
        let body = titled(root, &title)?;
        let (plot, legend_area) = body.split_vertically(plot_h);
        let mut chart = frame(&plot, &x, &y, Some("Run"), &y.desc(&label), None)?;
        for col in &cols {
            let s = series(col.index);
            match col.values.len() {
                n if n < MIN_VIOLIN => draw_few(&mut chart, &y, &col.values, s)?,
                n if n <= MAX_DOTS => draw_smoothed(&mut chart, &y, &col.values, s)?,
                _ => draw_blocks(&mut chart, &y, &col.values, s)?,
            }
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: "progression".into(), title, svg }))
}

/// Runs per block when a command's `n` runs are summarised by blocks.
fn block(n: usize) -> usize {
    n.div_ceil(MAX_DOTS)
}

/// The running median's window over `n` runs (odd, so that it is centred).
fn window(n: usize) -> usize {
    (n / 10).clamp(1, 25) | 1
}

/// A line per command, and a note on how the runs are drawn for the lengths present.
fn legend(cols: &[Column]) -> Vec<LegendItem> {
    let mut legend: Vec<LegendItem> =
        cols.iter().map(|c| LegendItem::new(Swatch::Line(series(c.index)), c.bench.name.clone())).collect();
    let few = cols.iter().filter(|c| c.values.len() <= MAX_DOTS).map(|c| c.values.len()).max();
    let many = cols.iter().filter(|c| c.values.len() > MAX_DOTS).map(|c| c.values.len()).max();
    if let Some(n) = few {
        legend.push(LegendItem::new(
            Swatch::None,
            match (n, window(n)) {
                (..5, _) => "dots: runs, in order".into(),
                // A window of one run is the runs themselves: no median to speak of.
                (_, 1) => {
                    format!("dots: runs; {} joins them in order", if cols.len() == 1 { "the line" } else { "lines" })
                }
                (_, w) => format!(
                    "dots: runs; {}: running median over {w} consecutive runs",
                    if cols.len() == 1 { "line" } else { "lines" }
                ),
            },
        ));
    }
    if let Some(n) = many {
        legend.push(LegendItem::new(
            Swatch::None,
            format!(
                "{}: median of each block of {} consecutive runs; {}: 10th to 90th percentile",
                if cols.len() == 1 { "line" } else { "lines" },
                block(n),
                if cols.len() == 1 { "band" } else { "bands" }
            ),
        ));
    }
    legend
}

/// `values` at run numbers 1, 2, … on the chart.
fn by_run(y: &Axis, values: &[f64]) -> Vec<(f64, f64)> {
    values.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, y.pos(v))).collect()
}

fn draw_runs(chart: &mut Ctx, y: &Axis, values: &[f64], s: Series, size: i32, alpha: f64) -> anyhow::Result<()> {
    let style = s.color.mix(alpha).filled();
    chart.draw_series(by_run(y, values).into_iter().map(|p| Marker::new(p, s.shape, size, style)))?;
    Ok(())
}

/// A few runs: join them, and show each.
fn draw_few(chart: &mut Ctx, y: &Axis, values: &[f64], s: Series) -> anyhow::Result<()> {
    draw_line(chart, &by_run(y, values), Series { marked: false, ..s })?;
    draw_runs(chart, y, values, s, 4, 0.9)
}

/// Every run as a dot, under their running median.
fn draw_smoothed(chart: &mut Ctx, y: &Axis, values: &[f64], s: Series) -> anyhow::Result<()> {
    draw_runs(chart, y, values, s, if values.len() <= 100 { 3 } else { 2 }, 0.5)?;
    draw_line(chart, &by_run(y, &running_median(values, window(values.len()))), s)
}

/// Too many runs for dots: each block's median as a line in a band from its 10th to its 90th percentile.
fn draw_blocks(chart: &mut Ctx, y: &Axis, values: &[f64], s: Series) -> anyhow::Result<()> {
    let b = block(values.len());
    let stats: Vec<(f64, f64, f64, f64)> = values
        .chunks(b)
        .enumerate()
        .map(|(k, chunk)| {
            let mid = (k * b) as f64 + (chunk.len() as f64 + 1.0) / 2.0;
            (mid, quantile(chunk, 0.1), quantile(chunk, 0.5), quantile(chunk, 0.9))
        })
        .collect();
    let mut band: Vec<(f64, f64)> = stats.iter().map(|p| (p.0, y.pos(p.3))).collect();
    band.extend(stats.iter().rev().map(|p| (p.0, y.pos(p.1))));
    chart.draw_series(std::iter::once(Polygon::new(band, s.color.mix(0.2).filled())))?;
    let line: Vec<(f64, f64)> = stats.iter().map(|p| (p.0, y.pos(p.2))).collect();
    draw_line(chart, &line, s)
}
