//! Histogram of wall times, one panel per command on a shared axis.

use super::*;

pub(super) fn histogram(data: &ReportData) -> anyhow::Result<Option<Chart>> {
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
                format_value(quantity, quantile(&col.values, 0.5))
            );
            let cap_y = y.hi();
            chart.draw_series(std::iter::once(
                EmptyElement::at((x.lo(), cap_y))
                    + Rectangle::new([(6, 4), (16, 14)], s.color.filled())
                    + Text::new(
                        text,
                        (22, 3),
                        super::super::style::font(TEXT_SIZE).pos(Pos::new(HPos::Left, VPos::Top)),
                    ),
            ))?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: chart_id(&format!("histogram-{WALL}")), title, svg }))
}
