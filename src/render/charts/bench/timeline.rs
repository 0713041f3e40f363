//! Resource timeline of each command's median run: CPU % and tree RSS, and syscalls per second with eBPF.

use super::*;

/// Height of each panel's plot.
const PANEL: u32 = 210;

pub(super) fn timeline(data: &ReportData) -> anyhow::Result<Option<Chart>> {
    let Some(timeline) = Timeline::new(data) else { return Ok(None) };
    let mut legend: Vec<LegendItem> =
        timeline.with.iter().map(|(i, b)| LegendItem::new(Swatch::Line(series(*i)), b.name.clone())).collect();
    legend.push(LegendItem::new(Swatch::None, "each command's median run; CPU: 100% = one core busy"));
    let panels = if timeline.syscalls { 3 } else { 2 };
    let stack_h = panels * (TOP + PANEL) + (panels - 1) * PANEL_GAP + X_AXIS_HEIGHT;
    let title = "Resource use over the median run".to_string();
    let svg = svg(WIDTH, TITLE_HEIGHT + stack_h + legend_height(&legend, WIDTH), |root| {
        let body = titled(root, &title)?;
        let (stack, legend_area) = body.split_vertically(stack_h);
        timeline.draw(&stack)?;
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: "timeline".into(), title, svg }))
}

/// Column `k` of a timeline (1 CPU %, 2 RSS, 3 cumulative syscalls) against time, where both are known.
fn points(b: &BenchData, k: usize) -> Vec<(f64, f64)> {
    b.timeline.iter().filter(|p| p[0].is_finite() && p[k].is_finite()).map(|p| (p[0], p[k])).collect()
}

fn syscall_rate(b: &BenchData) -> Vec<(f64, f64)> {
    rates(&points(b, 3), 400)
}

/// A panel's y axis from zero to `max`.
fn level_axis(quantity: Quantity, max: f64) -> Axis {
    Axis::new(quantity, 0.0, max, Fit { zero: true, pad: 0.06, ticks: 5, log_ratio: None, ..Fit::default() })
}

/// The commands with a timeline, and the axes their panels share.
struct Timeline<'a> {
    /// (position in the data, for the colour; benchmark).
    with: Vec<(usize, &'a BenchData)>,
    x: Axis,
    cpu: Axis,
    rss: Axis,
    sys: Axis,
    /// Some command counted syscalls (eBPF): a third panel.
    syscalls: bool,
}

impl<'a> Timeline<'a> {
    fn new(data: &'a ReportData) -> Option<Self> {
        let with: Vec<(usize, &BenchData)> = data
            .benchmarks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.timeline.iter().any(|p| p[..3].iter().all(|v| v.is_finite())))
            .collect();
        if with.is_empty() {
            return None;
        }
        let benches = || with.iter().map(|(_, b)| *b);
        let (_, tmax) = extent(benches().flat_map(|b| b.timeline.iter().map(|p| p[0]).filter(|t| t.is_finite())));
        let (_, cpu_max) = extent(benches().flat_map(|b| points(b, 1).into_iter().map(|p| p.1)));
        let (_, rss_max) = extent(benches().flat_map(|b| points(b, 2).into_iter().map(|p| p.1)));
        let (_, sys_max) = extent(benches().flat_map(|b| syscall_rate(b).into_iter().map(|p| p.1)));
        Some(Timeline {
            x: Axis::new(
                Quantity::Metric(Dimension::Time),
                0.0,
                tmax.max(0.0),
                Fit { zero: true, ticks: 8, ..Fit::default() },
            ),
            cpu: level_axis(Quantity::Percent, cpu_max),
            rss: level_axis(Quantity::Metric(Dimension::Bytes), rss_max),
            sys: level_axis(Quantity::Plain, sys_max.max(1.0)),
            syscalls: benches().any(|b| !syscall_rate(b).is_empty()),
            with,
        })
    }

    /// The panels, stacked; only the bottom one gets the time axis.
    fn draw(&self, stack: &Area) -> anyhow::Result<()> {
        let (top, middle, bottom) = self.split(stack);
        let x_desc = self.x.desc("Time since the run started");
        // The same y-label width in every panel keeps their x axes aligned.
        let w = [&self.cpu, &self.rss, &self.sys].map(|a| y_label_width(a, true)).into_iter().max();
        let (x, cpu, rss) = (&self.x, &self.cpu, &self.rss);
        let mut c1 = frame(&top, x, cpu, None, &cpu.desc("CPU"), w)?;
        let rss_x = if self.syscalls { None } else { Some(x_desc.as_str()) };
        let mut c2 = frame(&middle, x, rss, rss_x, &rss.desc("Tree RSS"), w)?;
        let mut c3 = match &bottom {
            Some(area) => Some(frame(area, x, &self.sys, Some(&x_desc), "Syscalls/s (eBPF)", w)?),
            None => None,
        };
        let on = |points: Vec<(f64, f64)>, y: &Axis| -> Vec<(f64, f64)> {
            points.into_iter().map(|(t, v)| (x.pos(t), y.pos(v))).collect()
        };
        for (i, b) in &self.with {
            let s = series(*i);
            draw_line(&mut c1, &on(points(b, 1), cpu), s)?;
            draw_line(&mut c2, &on(points(b, 2), rss), s)?;
            if let Some(c3) = c3.as_mut() {
                draw_line(c3, &on(syscall_rate(b), &self.sys), s)?;
            }
        }
        Ok(())
    }

    /// The CPU, RSS and (with syscalls) syscall panels' areas.
    fn split<'b>(&self, stack: &Area<'b>) -> (Area<'b>, Area<'b>, Option<Area<'b>>) {
        let (top, rest) = stack.split_vertically(TOP + PANEL);
        let rest = rest.split_vertically(PANEL_GAP).1;
        if !self.syscalls {
            return (top, rest, None);
        }
        let (middle, bottom) = rest.split_vertically(TOP + PANEL);
        (top, middle, Some(bottom.split_vertically(PANEL_GAP).1))
    }
}
