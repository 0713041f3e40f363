//! A plot frame: a cartesian chart with our axes, grid and tick labels, plus the row layout of the per-command charts.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{Axis, AxisRange};
use super::style::{font, text_width, Area, Series, AXIS, DESC_SIZE, GRID, INK, TEXT_SIZE, TICK_SIZE};

pub type Coord = Cartesian2d<AxisRange, AxisRange>;
pub type Ctx<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Coord>;

/// Height of the x-axis band (tick labels and axis title).
pub const X_AXIS_HEIGHT: u32 = 52;
/// Space above the plot inside its area.
pub const TOP: u32 = 6;

/// The width the y tick labels and the y-axis title need.
pub fn y_label_width(y: &Axis, with_desc: bool) -> u32 {
    let widest = y.ticks().iter().map(|&t| text_width(&y.label(t), TICK_SIZE)).fold(0.0, f64::max);
    (widest + if with_desc { 36.0 } else { 12.0 } + 8.0).ceil() as u32
}

/// A chart over `area` with `x` and `y`; the x axis gets tick labels and its title only when `x_desc` is given;
/// `y_width` fixes the y-label band (to align stacked panels).
pub fn frame<'a, 'b>(
    area: &'a Area<'b>,
    x: &Axis,
    y: &Axis,
    x_desc: Option<&str>,
    y_desc: &str,
    y_width: Option<u32>,
) -> anyhow::Result<Ctx<'a, 'b>> {
    let y_width =
        y_width.unwrap_or_else(|| if y.ticks().is_empty() { 12 } else { y_label_width(y, !y_desc.is_empty()) });
    let mut chart = ChartBuilder::on(area)
        .margin_left(8)
        .margin_right(28)
        .margin_top(TOP)
        .x_label_area_size(if x_desc.is_some() { X_AXIS_HEIGHT } else { 0 })
        .y_label_area_size(y_width)
        .build_cartesian_2d(x.range(), y.range())?;
    let show_x = x_desc.is_some();
    let x_fmt = |c: &f64| if show_x { x.label(*c) } else { String::new() };
    let y_fmt = |c: &f64| y.label(*c);
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS)
        .set_all_tick_mark_size(4)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(font(TICK_SIZE))
        .axis_desc_style(font(DESC_SIZE));
    if let Some(d) = x_desc {
        mesh.x_desc(d);
    }
    if !y_desc.is_empty() {
        mesh.y_desc(y_desc);
    }
    mesh.draw()?;
    Ok(chart)
}

/// Rows of a per-command chart: a caption line on top of each row, the drawing below it.
#[derive(Debug, Clone, Copy)]
pub struct Rows {
    pub n: usize,
    /// Pixels per row.
    pub px: u32,
}

const CAPTION_PX: f64 = 20.0;

/// The drawing band of a row, in y units: its centre line and half the height available.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    pub centre: f64,
    pub half: f64,
}

impl Rows {
    pub fn new(n: usize, total: u32, min: u32, max: u32) -> Rows {
        Rows { n, px: (total / n.max(1) as u32).clamp(min, max) }
    }

    pub fn height(&self) -> u32 {
        self.n as u32 * self.px
    }

    /// The y of row `i` (counted from the top): its band is y ± 0.5.
    pub fn y(&self, i: usize) -> f64 {
        (self.n - 1 - i) as f64
    }

    /// Where the drawing of row `i` goes, below its caption.
    pub fn band(&self, i: usize) -> Band {
        let px = f64::from(self.px);
        Band {
            centre: self.y(i) + 0.5 - (CAPTION_PX + (px - CAPTION_PX) / 2.0) / px,
            half: ((px - CAPTION_PX) / 2.0 - 3.0) / px,
        }
    }

    /// Draw row `i`'s caption (a colour swatch and `text`) at its top left, and a separator above rows after the first.
    pub fn caption(&self, chart: &mut Ctx, x: &Axis, i: usize, series: Series, text: &str) -> anyhow::Result<()> {
        let top = self.y(i) + 0.5;
        if i > 0 {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x.lo(), top), (x.hi(), top)],
                GRID.stroke_width(1),
            )))?;
        }
        chart.draw_series(std::iter::once(
            EmptyElement::at((x.lo(), top))
                + Rectangle::new([(6, 6), (16, 16)], series.color.filled())
                + Text::new(
                    text.to_string(),
                    (22, 5),
                    font(TEXT_SIZE).color(&INK).pos(Pos::new(HPos::Left, VPos::Top)),
                ),
        ))?;
        Ok(())
    }
}
