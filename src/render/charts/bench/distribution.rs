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
    let any_outliers = cols.iter().any(|c| modified_zscores(&c.values).iter().any(|z| z.abs() > THRESHOLD));
    let violins = cols.iter().any(|c| c.values.len() >= MIN_VIOLIN);
    let thinned = cols.iter().any(|c| c.values.len() > budget);
    let mut legend = vec![LegendItem::new(
        Swatch::Point(Series { color: super::super::style::GREY, ..series(0) }),
        if thinned { format!("runs (at most {budget} per command, evenly by rank)") } else { "runs".into() },
    )];
    if violins {
        legend.push(LegendItem::new(
            Swatch::Fill(super::super::style::GREY, 0.35),
            "density of the runs (kernel estimate)",
        ));
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
