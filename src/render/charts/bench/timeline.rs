//! Resource timeline of each command's median run: CPU % and tree RSS, and syscalls per second with eBPF.

use super::*;

pub(super) fn timeline(data: &ReportData) -> anyhow::Result<Option<Chart>> {
    let with: Vec<(usize, &BenchData)> = data
        .benchmarks
        .iter()
        .enumerate()
        .filter(|(_, b)| b.timeline.iter().any(|p| p[..3].iter().all(|v| v.is_finite())))
        .collect();
    if with.is_empty() {
        return Ok(None);
    }
    let points = |b: &BenchData, k: usize| -> Vec<(f64, f64)> {
        b.timeline.iter().filter(|p| p[0].is_finite() && p[k].is_finite()).map(|p| (p[0], p[k])).collect()
    };
    let syscall_rate = |b: &BenchData| rates(&points(b, 3), 400);
    let with_syscalls = with.iter().any(|(_, b)| !syscall_rate(b).is_empty());
    let (_, tmax) = extent(with.iter().flat_map(|(_, b)| b.timeline.iter().map(|p| p[0]).filter(|t| t.is_finite())));
    let (_, cpu_max) = extent(with.iter().flat_map(|(_, b)| points(b, 1).into_iter().map(|p| p.1)));
    let (_, rss_max) = extent(with.iter().flat_map(|(_, b)| points(b, 2).into_iter().map(|p| p.1)));
    let x = Axis::new(
        Quantity::Metric(Dimension::Time),
        0.0,
        tmax.max(0.0),
        Fit { zero: true, ticks: 8, ..Fit::default() },
    );
    let cpu = Axis::new(
        Quantity::Percent,
        0.0,
        cpu_max,
        Fit { zero: true, pad: 0.06, ticks: 5, log_ratio: None, ..Fit::default() },
    );
    let rss = Axis::new(
        Quantity::Metric(Dimension::Bytes),
        0.0,
        rss_max,
        Fit { zero: true, pad: 0.06, ticks: 5, log_ratio: None, ..Fit::default() },
    );
    let (_, sys_max) = extent(with.iter().flat_map(|(_, b)| syscall_rate(b).into_iter().map(|p| p.1)));
    let sys = Axis::new(
        Quantity::Plain,
        0.0,
        sys_max.max(1.0),
        Fit { zero: true, pad: 0.06, ticks: 5, log_ratio: None, ..Fit::default() },
    );
    let mut legend: Vec<LegendItem> =
        with.iter().map(|(i, b)| LegendItem::new(Swatch::Line(series(*i)), b.name.clone())).collect();
    legend.push(LegendItem::new(Swatch::None, "each command's median run; CPU: 100% = one core busy"));
    let legend_h = legend_height(&legend, WIDTH);
    let panel = 210;
    let panels = if with_syscalls { 3 } else { 2 };
    let stack_h = panels * (TOP + panel) + (panels - 1) * PANEL_GAP + X_AXIS_HEIGHT;
    let title = "Resource use over the median run".to_string();
    let svg = svg(WIDTH, TITLE_HEIGHT + stack_h + legend_h, |root| {
        let body = titled(root, &title)?;
        let (stack, legend_area) = body.split_vertically(stack_h);
        let (top, rest) = stack.split_vertically(TOP + panel);
        let rest = rest.split_vertically(PANEL_GAP).1;
        let (middle, bottom) = if with_syscalls {
            let (m, b) = rest.split_vertically(TOP + panel);
            (m, Some(b.split_vertically(PANEL_GAP).1))
        } else {
            (rest, None)
        };
        let x_desc = x.desc("Time since the run started");
        // The same y-label width in every panel keeps their x axes aligned.
        let w = y_label_width(&cpu, true).max(y_label_width(&rss, true)).max(y_label_width(&sys, true));
        let mut c1 = frame(&top, &x, &cpu, None, &cpu.desc("CPU"), Some(w))?;
        let rss_x = if with_syscalls { None } else { Some(x_desc.as_str()) };
        let mut c2 = frame(&middle, &x, &rss, rss_x, &rss.desc("Tree RSS"), Some(w))?;
        let mut c3 = match &bottom {
            Some(area) => Some(frame(area, &x, &sys, Some(&x_desc), "Syscalls/s (eBPF)", Some(w))?),
            None => None,
        };
        for (i, b) in &with {
            let s = series(*i);
            let cpu_line: Vec<(f64, f64)> = points(b, 1).into_iter().map(|(t, v)| (x.pos(t), cpu.pos(v))).collect();
            let rss_line: Vec<(f64, f64)> = points(b, 2).into_iter().map(|(t, v)| (x.pos(t), rss.pos(v))).collect();
            draw_line(&mut c1, &cpu_line, s)?;
            draw_line(&mut c2, &rss_line, s)?;
            if let Some(c3) = c3.as_mut() {
                let line: Vec<(f64, f64)> = syscall_rate(b).into_iter().map(|(t, v)| (x.pos(t), sys.pos(v))).collect();
                draw_line(c3, &line, s)?;
            }
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: "timeline".into(), title, svg }))
}
