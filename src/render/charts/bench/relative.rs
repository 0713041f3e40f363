//! Relative change against the first command, with confidence intervals as error bars.

use super::*;
use crate::render::bench_report::change_text;
use crate::stats::{Comparison, Design};

pub(super) fn relative(data: &ReportData, metric: &MetricKey) -> anyhow::Result<Option<Chart>> {
    let cols = columns(data, metric);
    let Some(reference) = cols.first().filter(|c| c.index == 0) else { return Ok(None) };
    if cols.len() < 2 {
        return Ok(None);
    }
    let (label, _) = metric_info(metric);
    let others: Vec<(&Column, Comparison)> =
        cols[1..].iter().map(|c| (c, compare(&reference.values, &c.values, data.alpha, data.design))).collect();
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
    let legend = legend(&reference.bench.name, &others, data.alpha, data.design);
    let plot_h = TOP + rows.height() + X_AXIS_HEIGHT;
    let title = format!("{label}: change against the reference");
    let svg = svg(WIDTH, TITLE_HEIGHT + plot_h + legend_height(&legend, WIDTH), |root| {
        let body = titled(root, &title)?;
        let (plot, legend_area) = body.split_vertically(plot_h);
        let y = Axis::rows(rows.n);
        let mut chart = frame(&plot, &x, &y, Some(&x.desc(&format!("Change in {label}"))), "", None)?;
        for (i, (col, c)) in others.iter().enumerate() {
            let s = series(col.index);
            rows.caption(&mut chart, &x, i, s, &caption(&col.bench.name, c))?;
            if c.change.is_finite() {
                draw_change(&mut chart, rows.band(i), c, s)?;
            }
        }
        draw_zero_line(&mut chart, rows)?;
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: chart_id(&format!("relative-{metric}")), title, svg }))
}

fn pct(v: f64) -> f64 {
    v * 100.0
}

fn legend(reference: &str, others: &[(&Column, Comparison)], alpha: f64, design: Design) -> Vec<LegendItem> {
    let how = match design {
        Design::Paired => "bootstrap over interleaved rounds",
        Design::Independent => "bootstrap",
    };
    // The legend names only what is drawn: one run has no interval and no test.
    let mut legend = vec![LegendItem::new(Swatch::Rule(INK, 2), format!("reference (0%): {reference}"))];
    if others.iter().any(|(_, c)| c.change_ci95.is_some()) {
        legend.push(LegendItem::new(
            Swatch::ErrorBar,
            format!("{}% confidence interval of the change ({how})", 100.0 * (1.0 - alpha)),
        ));
    }
    if others.iter().any(|(_, c)| !c.significant && c.p_value.is_some()) {
        legend.push(LegendItem::new(Swatch::Fill(GREY, 0.3), format!("pale: not significant at α = {alpha}")));
    }
    if others.iter().any(|(_, c)| c.p_value.is_none()) {
        legend.push(LegendItem::new(Swatch::None, "pale without an interval: too few runs for an interval or a test"));
    }
    legend
}

/// The command's name, cut to leave room for its figures: change, factor, interval and p-value.
fn caption(name: &str, c: &Comparison) -> String {
    let figures = if c.change.is_finite() {
        let mut t = change_text(c);
        if c.ratio >= 2.0 {
            t += &format!(" ({:.1}×)", c.ratio);
        }
        if let Some(p) = c.p_value {
            t += &if p < 0.001 { ", p < 0.001".to_string() } else { format!(", p = {p:.3}") };
        }
        t
    } else {
        "no change computable (reference mean is zero)".into()
    };
    format!("{}  ·  {figures}", fit(name, TEXT_SIZE, name_room(text_width(&figures, TEXT_SIZE) + 40.0)))
}

/// The change as a bar from zero (pale when not significant), its confidence interval as an error bar over it.
fn draw_change(chart: &mut Ctx, band: Band, c: &Comparison, s: Series) -> anyhow::Result<()> {
    let Band { centre, half } = band;
    let bh = half * 0.8;
    let alpha = if c.significant { 0.85 } else { 0.3 };
    chart.draw_series(std::iter::once(Rectangle::new(
        [(0.0, centre - bh), (pct(c.change), centre + bh)],
        s.color.mix(alpha).filled(),
    )))?;
    let Some([lo, hi]) = c.change_ci95 else { return Ok(()) };
    let (lo, hi) = (pct(lo), pct(hi));
    let cap = bh * 0.6;
    // A white halo under the bar keeps it visible over any colour.
    for (color, w) in [(WHITE, 4), (INK, 2)] {
        chart.draw_series([
            PathElement::new(vec![(lo, centre), (hi, centre)], color.stroke_width(w)),
            PathElement::new(vec![(lo, centre - cap), (lo, centre + cap)], color.stroke_width(w)),
            PathElement::new(vec![(hi, centre - cap), (hi, centre + cap)], color.stroke_width(w)),
        ])?;
    }
    Ok(())
}

/// The zero line, row by row, below the captions.
fn draw_zero_line(chart: &mut Ctx, rows: Rows) -> anyhow::Result<()> {
    chart.draw_series((0..rows.n).map(|i| {
        let Band { centre, half } = rows.band(i);
        PathElement::new(vec![(0.0, centre - half), (0.0, centre + half)], INK.stroke_width(2))
    }))?;
    Ok(())
}
