//! Progression: wall time against run index, for warmup effects and drift.

use super::*;

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
                        let mid = (k * b) as f64 + (chunk.len() as f64 + 1.0) / 2.0;
                        (mid, quantile(chunk, 0.1), quantile(chunk, 0.5), quantile(chunk, 0.9))
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
