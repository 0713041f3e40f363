//! Resource timeline of each command's median run: CPU % and tree RSS, and syscalls per second with eBPF.

use super::*;

/// Height of each panel's plot when the commands are overlaid.
const PANEL: u32 = 210;
/// Up to this many commands share each panel; beyond, each command gets its own row (small multiples).
const MAX_OVERLAID: usize = 3;
/// Height of a panel's plot in the small multiples, and of the caption above each row.
const SMALL: u32 = 110;
const ROW_CAPTION: u32 = 24;

pub(super) fn timeline(data: &ReportData) -> anyhow::Result<Option<Chart>> {
    let Some(timeline) = Timeline::new(data) else { return Ok(None) };
    let mut legend: Vec<LegendItem> = Vec::new();
    if timeline.overlaid() {
        let n = timeline.with.len();
        legend.extend(timeline.with.iter().enumerate().map(|(k, (i, b))| {
            let s = series(*i);
            let swatch = if s.marked { Swatch::Line(s) } else { Swatch::Rule(s.color, line_width(k, n)) };
            LegendItem::new(swatch, b.name.clone())
        }));
    }
    legend.push(LegendItem::new(
        Swatch::None,
        "each command's median run, sampled; CPU: 100% = one core busy, averaged over each sampling interval",
    ));
    let title = "Resource use over the median run (sampled)".to_string();
    let svg = svg(WIDTH, TITLE_HEIGHT + timeline.height() + legend_height(&legend, WIDTH), |root| {
        let body = titled(root, &title)?;
        let (stack, legend_area) = body.split_vertically(timeline.height());
        if timeline.overlaid() {
            timeline.draw(&stack)?;
        } else {
            timeline.draw_multiples(&stack)?;
        }
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: "timeline".into(), title, svg }))
}

/// Line `k` of `n` overlaid: earlier lines are wider, so a line exactly under a later one still shows, as its border.
fn line_width(k: usize, n: usize) -> u32 {
    2 + 2 * (n - 1 - k) as u32
}

/// The samples of a run up to its last live one: a sample after the process exited holds no memory, which is
/// not the run's memory use dropping to zero.
fn live(b: &BenchData) -> &[[f64; 4]] {
    let end = b.timeline.iter().rposition(|p| p[2] > 0.0).map_or(b.timeline.len(), |i| i + 1);
    &b.timeline[..end]
}

/// Column `k` of a timeline (1 CPU %, 2 RSS, 3 cumulative syscalls) against time, where both are known.
fn points(b: &BenchData, k: usize) -> Vec<(f64, f64)> {
    live(b).iter().filter(|p| p[0].is_finite() && p[k].is_finite()).map(|p| (p[0], p[k])).collect()
}

/// CPU % as steps: each sample is the average over the interval since the previous one (since the start for the
/// first), so it is drawn over that interval rather than as a spike at its end.
fn cpu_steps(b: &BenchData) -> Vec<(f64, f64)> {
    let pts = points(b, 1);
    if pts.len() < 2 {
        // A single sample stays a point (marked), not a stub from the start.
        return pts;
    }
    let mut prev = 0.0;
    let mut out = Vec::new();
    for (t, v) in pts {
        out.extend([(prev, v), (t, v)]);
        prev = t;
    }
    out
}

fn syscall_rate(b: &BenchData) -> Vec<(f64, f64)> {
    let all: Vec<(f64, f64)> =
        b.timeline.iter().filter(|p| p[0].is_finite() && p[3].is_finite()).map(|p| (p[0], p[3])).collect();
    rates(&all, 400)
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

/// One quantity's panel: its axis, its axis title and how a command's points are read.
type Quantity3<'t> = (&'t Axis, String, fn(&BenchData) -> Vec<(f64, f64)>);

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
        // Small multiples are narrower: fewer time ticks.
        let ticks = if with.len() <= MAX_OVERLAID { 8 } else { 4 };
        Some(Timeline {
            x: Axis::new(
                Quantity::Metric(Dimension::Time),
                0.0,
                tmax.max(0.0),
                Fit { zero: true, ticks, ..Fit::default() },
            ),
            cpu: level_axis(Quantity::Percent, cpu_max),
            rss: level_axis(Quantity::Metric(Dimension::Bytes), rss_max),
            sys: level_axis(Quantity::Plain, sys_max.max(1.0)),
            syscalls: benches().any(|b| !syscall_rate(b).is_empty()),
            with,
        })
    }

    fn overlaid(&self) -> bool {
        self.with.len() <= MAX_OVERLAID
    }

    /// The panels: CPU, RSS, and syscalls with eBPF.
    fn quantities(&self) -> Vec<Quantity3<'_>> {
        let mut q: Vec<Quantity3> = vec![
            (&self.cpu, self.cpu.desc("CPU"), cpu_steps),
            (&self.rss, self.rss.desc("Tree RSS"), |b| points(b, 2)),
        ];
        if self.syscalls {
            q.push((&self.sys, "Syscalls/s (eBPF)".into(), syscall_rate));
        }
        q
    }

    fn height(&self) -> u32 {
        let n = self.with.len() as u32;
        if self.overlaid() {
            let panels = self.quantities().len() as u32;
            panels * (TOP + PANEL) + (panels - 1) * PANEL_GAP + X_AXIS_HEIGHT
        } else {
            n * (ROW_CAPTION + TOP + SMALL) + (n - 1) * PANEL_GAP + X_AXIS_HEIGHT
        }
    }

    /// The same y-label width in every panel keeps their x axes aligned.
    fn y_width(&self) -> Option<u32> {
        self.quantities().iter().map(|q| y_label_width(q.0, true)).max()
    }

    /// The panels stacked, every command overlaid; only the bottom one gets the time axis.
    fn draw(&self, stack: &Area) -> anyhow::Result<()> {
        let x_desc = self.x.desc("Time since the run started");
        let quantities = self.quantities();
        let breaks: Vec<i32> = (1..quantities.len()).map(|k| (k as u32 * (TOP + PANEL + PANEL_GAP)) as i32).collect();
        let areas = stack.split_by_breakpoints(Vec::<i32>::new(), breaks);
        for (k, ((y, desc, read), area)) in quantities.iter().zip(&areas).enumerate() {
            let area = if k > 0 { area.split_vertically(PANEL_GAP).1 } else { area.clone() };
            let last = k + 1 == quantities.len();
            let mut chart = frame(&area, &self.x, y, last.then_some(x_desc.as_str()), desc, self.y_width())?;
            for (j, (i, b)) in self.with.iter().enumerate() {
                let pts: Vec<(f64, f64)> = read(b).into_iter().map(|(t, v)| (self.x.pos(t), y.pos(v))).collect();
                draw_wide_line(&mut chart, &pts, series(*i), line_width(j, self.with.len()))?;
            }
        }
        Ok(())
    }

    /// Small multiples: a row per command with its name, its panels side by side on the shared axes.
    fn draw_multiples(&self, stack: &Area) -> anyhow::Result<()> {
        let x_desc = self.x.desc("Time since the run started");
        let row = ROW_CAPTION + TOP + SMALL + PANEL_GAP;
        let breaks: Vec<i32> = (1..self.with.len()).map(|k| (k as u32 * row) as i32).collect();
        let rows = stack.split_by_breakpoints(Vec::<i32>::new(), breaks);
        let quantities = self.quantities();
        for (r, ((i, b), area)) in self.with.iter().zip(&rows).enumerate() {
            let area = if r > 0 { area.split_vertically(PANEL_GAP).1 } else { area.clone() };
            let (head, body) = area.split_vertically(ROW_CAPTION);
            draw_row_caption(&head, series(*i), &b.name)?;
            let last = r + 1 == self.with.len();
            for ((y, desc, read), panel) in quantities.iter().zip(body.split_evenly((1, quantities.len()))) {
                let mut chart = frame(&panel, &self.x, y, last.then_some(x_desc.as_str()), desc, self.y_width())?;
                let pts: Vec<(f64, f64)> = read(b).into_iter().map(|(t, v)| (self.x.pos(t), y.pos(v))).collect();
                draw_line(&mut chart, &pts, series(*i))?;
            }
        }
        Ok(())
    }
}

/// A row's colour swatch and command name.
fn draw_row_caption(area: &Area, s: Series, name: &str) -> anyhow::Result<()> {
    area.draw(&Rectangle::new([(12, 7), (22, 17)], s.color.filled()))?;
    let text = fit(name, TEXT_SIZE, f64::from(WIDTH) - 60.0);
    area.draw(&Text::new(text, (28, 12), font(TEXT_SIZE).pos(Pos::new(HPos::Left, VPos::Center))))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bench(timeline: Vec<[f64; 4]>) -> BenchData {
        BenchData { timeline, ..BenchData::default() }
    }

    #[test]
    fn the_exited_process_sample_is_not_drawn() {
        let nan = f64::NAN;
        let b = bench(vec![[0.01, 50.0, 4e6, nan], [0.02, 100.0, 8e6, nan], [0.03, 0.0, 0.0, nan]]);
        assert_eq!(points(&b, 2), [(0.01, 4e6), (0.02, 8e6)], "RSS ends at its last live value, not at 0");
        // CPU over each interval: 50% from the start to 10 ms, 100% from 10 to 20 ms.
        assert_eq!(cpu_steps(&b), [(0.0, 50.0), (0.01, 50.0), (0.01, 100.0), (0.02, 100.0)]);
    }

    #[test]
    fn earlier_lines_are_wider() {
        assert_eq!((0..3).map(|k| line_width(k, 3)).collect::<Vec<_>>(), [6, 4, 2]);
    }
}
