//! Distribution of a metric per command: violin, box plot, runs as points, outliers marked.

use super::*;

pub(super) fn distribution(data: &ReportData, metric: &MetricKey) -> anyhow::Result<Option<Chart>> {
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
    let legend = legend(&cols, budget);
    let plot_h = TOP + rows.height() + X_AXIS_HEIGHT;
    let title = format!("{label}: distribution of the runs");
    let svg = svg(WIDTH, TITLE_HEIGHT + plot_h + legend_height(&legend, WIDTH), |root| {
        let body = titled(root, &title)?;
        let (plot, legend_area) = body.split_vertically(plot_h);
        let mut chart = frame(&plot, &x, &Axis::rows(rows.n), Some(&x.desc(&label)), "", None)?;
        for (i, col) in cols.iter().enumerate() {
            let runs = Runs::new(col);
            rows.caption(&mut chart, &x, i, series(col.index), &caption(&runs))?;
            draw_row(&mut chart, RowArea { x: &x, band: rows.band(i) }, &runs, budget)?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: chart_id(&format!("distribution-{metric}")), title, svg }))
}

/// The legend names only what the chart draws: violins and boxes need enough runs, crosses need outliers.
fn legend(cols: &[Column], budget: usize) -> Vec<LegendItem> {
    let any_outliers = cols.iter().any(|c| modified_zscores(&c.values).iter().any(|z| z.abs() > THRESHOLD));
    let thinned = cols.iter().any(|c| c.values.len() > budget);
    let mut legend = vec![LegendItem::new(
        Swatch::Point(Series { color: GREY, ..series(0) }),
        if thinned { format!("runs (at most {budget} per command, evenly by rank)") } else { "runs".into() },
    )];
    if cols.iter().any(|c| c.values.len() >= MIN_VIOLIN) {
        legend.push(LegendItem::new(Swatch::Fill(GREY, 0.35), "density of the runs (kernel estimate)"));
        legend.push(LegendItem::new(Swatch::BoxPlot, "median and quartiles; whiskers to 1.5 × IQR"));
    }
    if cols.iter().any(|c| c.values.len() < MIN_VIOLIN) {
        legend.push(LegendItem::new(Swatch::Rule(INK, 3), "median"));
    }
    if any_outliers {
        legend.push(LegendItem::new(Swatch::Cross, format!("outliers (|modified z| > {:.1})", THRESHOLD)));
    }
    legend
}

/// One command's runs, ranked, with their outliers flagged.
struct Runs<'a> {
    col: &'a Column<'a>,
    sorted: Vec<f64>,
    /// Indices into the values, by rank.
    order: Vec<usize>,
    is_outlier: Vec<bool>,
}

impl<'a> Runs<'a> {
    fn new(col: &'a Column<'a>) -> Self {
        let is_outlier = modified_zscores(&col.values).iter().map(|z| z.abs() > THRESHOLD).collect();
        let mut order: Vec<usize> = (0..col.values.len()).collect();
        order.sort_by(|&a, &b| col.values[a].total_cmp(&col.values[b]));
        Runs { col, sorted: sorted(&col.values), order, is_outlier }
    }

    /// Too few runs for a density and a box: the runs and their median are drawn as they are.
    fn few(&self) -> bool {
        self.col.values.len() < MIN_VIOLIN
    }

    /// At most `k` of the regular runs (or of the outliers), evenly by rank.
    fn thinned(&self, outliers: bool, k: usize) -> Vec<usize> {
        let ranked: Vec<usize> = self.order.iter().copied().filter(|&i| self.is_outlier[i] == outliers).collect();
        spread(ranked.len(), k).into_iter().map(|j| ranked[j]).collect()
    }
}

fn caption(runs: &Runs) -> String {
    let outliers = runs.is_outlier.iter().filter(|&&o| o).count();
    let mut text = format!(
        "{}  ·  {}",
        fit(&runs.col.bench.name, TEXT_SIZE, name_room(200.0)),
        plural(runs.col.values.len(), "run", "runs")
    );
    if outliers > 0 {
        text += &format!(", {}", plural(outliers, "outlier", "outliers"));
    }
    text
}

/// Where a row is drawn: the value axis and the row's band.
#[derive(Clone, Copy)]
struct RowArea<'a> {
    x: &'a Axis,
    band: Band,
}

/// A command's violin, runs, box (or median) and outliers, in that order so that the box and the outliers stay on top.
fn draw_row(chart: &mut Ctx, area: RowArea, runs: &Runs, budget: usize) -> anyhow::Result<()> {
    let s = series(runs.col.index);
    let violin = Violin::new(area.x, runs);
    draw_violin(chart, area.band, &violin, s)?;
    let point_at = |k: usize| {
        let c = area.x.pos(runs.col.values[k]);
        let seed = (runs.col.index as u64) << 32 | k as u64;
        (c, area.band.centre + jitter(seed) * violin.spread_at(c, area.band.half))
    };
    let shown: Vec<(f64, f64)> = runs.thinned(false, budget).into_iter().map(point_at).collect();
    if runs.few() {
        draw_median(chart, area, quantile(&runs.sorted, 0.5))?;
        draw_points(chart, &shown, s, true)?;
    } else {
        draw_points(chart, &shown, s, false)?;
        draw_box(chart, area, &runs.sorted)?;
    }
    let outliers: Vec<(f64, f64)> = runs.thinned(true, 300).into_iter().map(point_at).collect();
    draw_outliers(chart, &outliers)
}

/// A kernel density of a command's runs over their range, in axis coordinates (none for a few runs).
struct Violin {
    lo: f64,
    hi: f64,
    grid: Vec<f64>,
    /// Density at each grid point, scaled to a maximum of 1.
    heights: Option<Vec<f64>>,
}

impl Violin {
    fn new(x: &Axis, runs: &Runs) -> Violin {
        let coords: Vec<f64> = runs.sorted.iter().map(|&v| x.pos(v)).collect();
        let (lo, hi) = (coords[0], coords[coords.len() - 1]);
        let grid: Vec<f64> = (0..=100).map(|k| lo + (hi - lo) * k as f64 / 100.0).collect();
        let heights = if runs.few() { None } else { density(&coords, &grid) };
        Violin { lo, hi, grid, heights }
    }

    /// How far from the centre line the points at `c` scatter: inside the violin, never quite flat.
    fn spread_at(&self, c: f64, half: f64) -> f64 {
        match &self.heights {
            Some(d) if self.hi > self.lo => {
                let k = ((c - self.lo) / (self.hi - self.lo) * 100.0).round().clamp(0.0, 100.0) as usize;
                (d[k] * half * 0.85).max(half * 0.15)
            }
            _ => half * 0.5,
        }
    }
}

fn draw_violin(chart: &mut Ctx, band: Band, violin: &Violin, s: Series) -> anyhow::Result<()> {
    let Some(d) = &violin.heights else { return Ok(()) };
    let Band { centre, half } = band;
    let mut outline: Vec<(f64, f64)> = violin.grid.iter().zip(d).map(|(&g, &h)| (g, centre + h * half)).collect();
    outline.extend(violin.grid.iter().zip(d).rev().map(|(&g, &h)| (g, centre - h * half)));
    chart.draw_series(std::iter::once(Polygon::new(outline.clone(), s.color.mix(0.22).filled())))?;
    outline.push(outline[0]);
    chart.draw_series(std::iter::once(PathElement::new(outline, s.color.mix(0.9).stroke_width(1))))?;
    Ok(())
}

/// The runs as points: a few stand out, many get smaller and paler so that the density shows through.
fn draw_points(chart: &mut Ctx, points: &[(f64, f64)], s: Series, few: bool) -> anyhow::Result<()> {
    let (size, alpha) = match points.len() {
        _ if few => (4, 0.85),
        0..=200 => (3, 0.55),
        _ => (2, 0.55),
    };
    chart.draw_series(points.iter().map(|&p| Marker::new(p, s.shape, size, s.color.mix(alpha).filled())))?;
    Ok(())
}

/// The box from the quartiles with the median, and whiskers to the furthest runs within 1.5 × IQR.
fn draw_box(chart: &mut Ctx, area: RowArea, sorted: &[f64]) -> anyhow::Result<()> {
    let (q1, med, q3) = (quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75));
    let iqr = q3 - q1;
    let lo = sorted.iter().copied().find(|&v| v >= q1 - 1.5 * iqr).unwrap_or(q1);
    let hi = sorted.iter().rev().copied().find(|&v| v <= q3 + 1.5 * iqr).unwrap_or(q3);
    let x = area.x;
    let (lo, q1c, medc, q3c, hi) = (x.pos(lo), x.pos(q1), x.pos(med), x.pos(q3), x.pos(hi));
    let Band { centre, half } = area.band;
    let bh = half * 0.28;
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
    Ok(())
}

/// The median alone, for runs too few for a box.
fn draw_median(chart: &mut Ctx, area: RowArea, median: f64) -> anyhow::Result<()> {
    let (m, Band { centre, half }) = (area.x.pos(median), area.band);
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(m, centre - half * 0.6), (m, centre + half * 0.6)],
        INK.stroke_width(3),
    )))?;
    Ok(())
}

/// Outliers as crosses, finer when there are many.
fn draw_outliers(chart: &mut Ctx, points: &[(f64, f64)]) -> anyhow::Result<()> {
    let (cross, stroke) = if points.len() > 30 { (3, 1) } else { (4, 2) };
    chart.draw_series(points.iter().map(|&p| Cross::new(p, cross, INK.stroke_width(stroke))))?;
    Ok(())
}
