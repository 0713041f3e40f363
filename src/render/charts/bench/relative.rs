//! Relative change against the first command, with confidence intervals as error bars.

use super::*;

pub(super) fn relative(data: &ReportData, metric: &MetricKey) -> anyhow::Result<Option<Chart>> {
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
            Swatch::Fill(super::super::style::GREY, 0.3),
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
