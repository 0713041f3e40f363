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
    let bins = Bins::new(x.pos(min), x.pos(max), &x, &coords);
    let counts = coords.iter().map(|c| bins.count(c)).collect();
    let panel = (600 / cols.len() as u32).clamp(92, 300);
    let bin_text = if x.is_log() {
        "bins of equal width on the log scale".to_string()
    } else {
        format!("bin width {}", format_value(quantity, bins.width * x.scale()))
    };
    let legend = vec![LegendItem::new(Swatch::Rule(INK, 2), "median"), LegendItem::new(Swatch::None, bin_text)];
    let stack_h = (TOP + panel) * cols.len() as u32 + PANEL_GAP * (cols.len() as u32 - 1) + X_AXIS_HEIGHT;
    let title = format!("{label}: histogram per command");
    let hist = Histogram { cols, coords, bins, counts, x, label, quantity, panel };
    let svg = svg(WIDTH, TITLE_HEIGHT + stack_h + legend_height(&legend, WIDTH), |root| {
        let body = titled(root, &title)?;
        let (stack, legend_area) = body.split_vertically(stack_h);
        hist.draw(&stack)?;
        draw_legend(&legend_area, &legend)
    })?;
    Ok(Some(Chart { id: chart_id(&format!("histogram-{WALL}")), title, svg }))
}

/// Bins shared by every command, in axis coordinates.
#[derive(Debug, Clone, Copy)]
struct Bins {
    start: f64,
    width: f64,
    n: usize,
}

impl Bins {
    /// The finest Freedman–Diaconis width among the commands, 5 to 60 bins over the whole range `lo..hi`;
    /// one narrow bin when every run took the same time.
    fn new(lo: f64, hi: f64, x: &Axis, coords: &[Vec<f64>]) -> Bins {
        let span = hi - lo;
        if span > 0.0 {
            let fd = coords.iter().filter_map(|c| bin_width(c)).fold(f64::INFINITY, f64::min);
            let n = if fd.is_finite() { (span / fd).ceil() as usize } else { 10 };
            let n = n.clamp(5, 60);
            Bins { start: lo, width: span / n as f64, n }
        } else {
            let width = (x.hi() - x.lo()) / 40.0;
            Bins { start: lo - width / 2.0, width, n: 1 }
        }
    }

    fn count(&self, coords: &[f64]) -> Vec<usize> {
        let mut h = vec![0; self.n];
        for &v in coords {
            h[(((v - self.start) / self.width).floor().max(0.0) as usize).min(self.n - 1)] += 1;
        }
        h
    }

    /// Bin `b`'s bar up to `count`.
    fn bar(&self, b: usize, count: usize) -> [(f64, f64); 2] {
        let x0 = self.start + b as f64 * self.width;
        [(x0, 0.0), (x0 + self.width, count as f64)]
    }
}

/// Everything a histogram panel needs: the commands, their positions on the shared axis and their counts.
struct Histogram<'a> {
    cols: Vec<Column<'a>>,
    /// Each command's runs on the x axis, sorted.
    coords: Vec<Vec<f64>>,
    bins: Bins,
    counts: Vec<Vec<usize>>,
    x: Axis,
    label: String,
    quantity: Quantity,
    /// Height of a panel's plot.
    panel: u32,
}

impl Histogram<'_> {
    /// The panels, stacked, with one y-label width so that their x axes line up.
    fn draw(&self, stack: &Area) -> anyhow::Result<()> {
        let (n, panel) = (self.cols.len(), self.panel);
        let breaks: Vec<i32> = (1..n).map(|k| (k as u32 * (panel + TOP + PANEL_GAP)) as i32).collect();
        let panels = stack.split_by_breakpoints(Vec::<i32>::new(), breaks);
        let y_width = self.counts.iter().map(|c| y_label_width(&self.y_axis(c), true)).max().unwrap_or(40);
        for (k, area) in panels.iter().enumerate().take(n) {
            let area = if k > 0 { area.split_vertically(PANEL_GAP).1 } else { area.clone() };
            self.draw_panel(&area, k, y_width)?;
        }
        Ok(())
    }

    /// A count axis with room above the highest bar for the caption.
    fn y_axis(&self, counts: &[usize]) -> Axis {
        let headroom = 1.0 - 24.0 / f64::from(self.panel);
        let top = *counts.iter().max().unwrap_or(&1) as f64;
        Axis::new(Quantity::Plain, 0.0, top / headroom, Fit { zero: true, ticks: 3, integer: true, ..Fit::default() })
    }

    fn draw_panel(&self, area: &Area, k: usize, y_width: u32) -> anyhow::Result<()> {
        let (col, counts) = (&self.cols[k], &self.counts[k]);
        let s = series(col.index);
        let y = self.y_axis(counts);
        let x_desc = self.x.desc(&self.label);
        let last = k + 1 == self.cols.len();
        let mut chart = frame(area, &self.x, &y, last.then_some(x_desc.as_str()), "runs", Some(y_width))?;
        self.draw_bars(&mut chart, counts, s)?;
        let top = *counts.iter().max().unwrap_or(&1) as f64;
        draw_median(&mut chart, quantile(&self.coords[k], 0.5), top)?;
        let text = format!(
            "{}  ·  {}, median {}",
            fit(&col.bench.name, TEXT_SIZE, name_room(260.0)),
            plural(col.values.len(), "run", "runs"),
            format_value(self.quantity, quantile(&col.values, 0.5))
        );
        draw_caption(&mut chart, (self.x.lo(), y.hi()), s, text)
    }

    /// The non-empty bins; outlined in white while they are wide enough to tell apart.
    fn draw_bars(&self, chart: &mut Ctx, counts: &[usize], s: Series) -> anyhow::Result<()> {
        let filled: Vec<(usize, usize)> = counts.iter().copied().enumerate().filter(|&(_, c)| c > 0).collect();
        let bars = || filled.iter().map(|&(b, c)| self.bins.bar(b, c));
        chart.draw_series(bars().map(|bar| Rectangle::new(bar, s.color.mix(0.8).filled())))?;
        if self.bins.n <= 40 {
            chart.draw_series(bars().map(|bar| Rectangle::new(bar, WHITE.stroke_width(1))))?;
        }
        Ok(())
    }
}

/// The median as a rule over the bars, with a white halo.
fn draw_median(chart: &mut Ctx, median: f64, top: f64) -> anyhow::Result<()> {
    chart.draw_series([
        PathElement::new(vec![(median, 0.0), (median, top)], WHITE.stroke_width(4)),
        PathElement::new(vec![(median, 0.0), (median, top)], INK.stroke_width(2)),
    ])?;
    Ok(())
}

/// A colour swatch and `text` at the top left of a panel.
fn draw_caption(chart: &mut Ctx, at: (f64, f64), s: Series, text: String) -> anyhow::Result<()> {
    chart.draw_series(std::iter::once(
        EmptyElement::at(at)
            + Rectangle::new([(6, 4), (16, 14)], s.color.filled())
            + Text::new(text, (22, 3), font(TEXT_SIZE).pos(Pos::new(HPos::Left, VPos::Top))),
    ))?;
    Ok(())
}
