//! Look and layout shared by every chart: palette, markers, fonts, text fitting, the SVG canvas and the legend.

use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendCoord, DrawingErrorKind};

/// Chart width in pixels.
pub const WIDTH: u32 = 900;
pub const FONT: &str = "sans-serif";
/// Font sizes as plotters takes them (the SVG gets size / 1.24 px).
pub const TITLE_SIZE: f64 = 22.0;
pub const DESC_SIZE: f64 = 17.0;
pub const TICK_SIZE: f64 = 15.0;
pub const TEXT_SIZE: f64 = 15.0;

pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const GRID: RGBColor = RGBColor(0xe4, 0xe4, 0xe4);
pub const AXIS: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub const GREY: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// Okabe–Ito, the yellow last: it is the hardest to see on white.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0xF0, 0xE4, 0x42),
];

/// A marker shape: the palette's second and third rounds use other shapes, and put them on their lines too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Triangle,
    Square,
    Diamond,
}

/// How series `i` (a command, in the data's order) is drawn in every chart.
#[derive(Debug, Clone, Copy)]
pub struct Series {
    pub color: RGBColor,
    pub shape: Shape,
    /// Lines carry markers (beyond the eighth series, where colours repeat).
    pub marked: bool,
}

pub fn series(i: usize) -> Series {
    const SHAPES: [Shape; 4] = [Shape::Circle, Shape::Triangle, Shape::Square, Shape::Diamond];
    Series {
        color: PALETTE[i % PALETTE.len()],
        shape: SHAPES[(i / PALETTE.len()) % SHAPES.len()],
        marked: i >= PALETTE.len(),
    }
}

pub fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

/// Estimated width in pixels of `text` at plotters size `size` (sans-serif averages about 0.6 em per character).
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size / 1.24 * 0.6
}

/// `text` cut to about `max_px` pixels at `size`, with an ellipsis.
pub fn fit(text: &str, size: f64, max_px: f64) -> String {
    let max_chars = (max_px / (size / 1.24 * 0.6)).floor().max(4.0) as usize;
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max_chars - 1).collect();
        s.push('…');
        s
    }
}

pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Render an SVG document of `width` × `height` with `draw`.
pub fn svg(width: u32, height: u32, draw: impl FnOnce(&Area) -> anyhow::Result<()>) -> anyhow::Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(out)
}

/// Draw the title; return the area below it.
pub fn titled<'a>(root: &Area<'a>, title: &str) -> anyhow::Result<Area<'a>> {
    let (head, body) = root.split_vertically(TITLE_HEIGHT);
    head.draw(&Text::new(
        fit(title, TITLE_SIZE, f64::from(WIDTH) - 40.0),
        (f64::from(WIDTH) as i32 / 2, 12),
        font(TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    Ok(body)
}

pub const TITLE_HEIGHT: u32 = 42;

/// A marker at a data point, drawn with the backend's primitives.
pub struct Marker<C> {
    at: C,
    shape: Shape,
    size: i32,
    style: ShapeStyle,
}

impl<C> Marker<C> {
    pub fn new(at: C, shape: Shape, size: i32, style: ShapeStyle) -> Self {
        Marker { at, shape, size, style }
    }
}

impl<'a, C> PointCollection<'a, C> for &'a Marker<C> {
    type Point = &'a C;
    type IntoIter = std::iter::Once<&'a C>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for Marker<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = pos.next() else { return Ok(()) };
        draw_shape(backend, (x, y), self.shape, self.size, &self.style)
    }
}

fn draw_shape<DB: DrawingBackend>(
    backend: &mut DB,
    (x, y): BackendCoord,
    shape: Shape,
    s: i32,
    style: &ShapeStyle,
) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
    let polygon = |pts: Vec<BackendCoord>, backend: &mut DB| {
        if style.filled {
            backend.fill_polygon(pts, style)
        } else {
            let mut closed = pts.clone();
            closed.push(pts[0]);
            backend.draw_path(closed, style)
        }
    };
    match shape {
        Shape::Circle => backend.draw_circle((x, y), s as u32, style, style.filled),
        Shape::Square => {
            let h = (f64::from(s) * 0.85).round() as i32;
            backend.draw_rect((x - h, y - h), (x + h, y + h), style, style.filled)
        }
        Shape::Triangle => {
            let h = (f64::from(s) * 1.2).round() as i32;
            polygon(vec![(x, y - h), (x + h, y + h * 2 / 3), (x - h, y + h * 2 / 3)], backend)
        }
        Shape::Diamond => {
            let h = (f64::from(s) * 1.2).round() as i32;
            polygon(vec![(x, y - h), (x + h, y), (x, y + h), (x - h, y)], backend)
        }
    }
}

/// What a legend entry shows.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    /// A line in a series' style (with its marker where it has one).
    Line(Series),
    /// A plain line of a colour and width.
    Rule(RGBColor, u32),
    /// A series' marker.
    Point(Series),
    /// A filled rectangle.
    Fill(RGBColor, f64),
    /// The outlier cross.
    Cross,
    /// A box with a median line and whiskers.
    BoxPlot,
    /// A point with a vertical error bar.
    ErrorBar,
    /// Text only.
    None,
}

#[derive(Debug, Clone)]
pub struct LegendItem {
    pub swatch: Swatch,
    pub label: String,
}

impl LegendItem {
    pub fn new(swatch: Swatch, label: impl Into<String>) -> Self {
        LegendItem { swatch, label: label.into() }
    }
}

const LEGEND_ROW: u32 = 22;
const SWATCH_W: i32 = 26;
const LEGEND_PAD: u32 = 10;

/// Columns, column width and rows of the entries with a swatch; notes (text only) follow, a row each.
fn legend_grid(items: &[LegendItem], width: u32) -> (usize, f64, usize) {
    let usable = f64::from(width) - 2.0 * f64::from(LEGEND_PAD);
    let keyed: Vec<&LegendItem> = items.iter().filter(|i| !matches!(i.swatch, Swatch::None)).collect();
    let widest = keyed.iter().map(|i| text_width(&i.label, TEXT_SIZE)).fold(0.0, f64::max);
    let col = (widest + f64::from(SWATCH_W) + 30.0).min(usable);
    let cols = ((usable / col).floor() as usize).clamp(1, keyed.len().max(1));
    (cols, usable / cols as f64, keyed.len().div_ceil(cols))
}

/// The height a legend of `items` takes in `width` pixels.
pub fn legend_height(items: &[LegendItem], width: u32) -> u32 {
    if items.is_empty() {
        return 0;
    }
    let (_, _, rows) = legend_grid(items, width);
    let notes = items.iter().filter(|i| matches!(i.swatch, Swatch::None)).count();
    (rows + notes) as u32 * LEGEND_ROW + 2 * LEGEND_PAD
}

/// Draw `items` in a grid filling the area (below the plot), the notes after it.
pub fn draw_legend(area: &Area, items: &[LegendItem]) -> anyhow::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let (w, _) = area.dim_in_pixel();
    let (cols, col, rows) = legend_grid(items, w);
    let row_y = |r: usize| (LEGEND_PAD + r as u32 * LEGEND_ROW + LEGEND_ROW / 2) as i32;
    let keyed = items.iter().filter(|i| !matches!(i.swatch, Swatch::None));
    for (k, item) in keyed.enumerate() {
        let (r, c) = (k / cols, k % cols);
        let x = (f64::from(LEGEND_PAD) + c as f64 * col) as i32;
        let y = row_y(r);
        draw_swatch(area, item.swatch, x, y)?;
        let label = fit(&item.label, TEXT_SIZE, col - f64::from(SWATCH_W) - 14.0);
        area.draw(&Text::new(label, (x + SWATCH_W + 6, y), font(TEXT_SIZE).pos(Pos::new(HPos::Left, VPos::Center))))?;
    }
    let notes = items.iter().filter(|i| matches!(i.swatch, Swatch::None));
    for (k, item) in notes.enumerate() {
        let label = fit(&item.label, TEXT_SIZE, f64::from(w) - 2.0 * f64::from(LEGEND_PAD));
        let pos = (LEGEND_PAD as i32, row_y(rows + k));
        area.draw(&Text::new(label, pos, font(TEXT_SIZE).color(&AXIS).pos(Pos::new(HPos::Left, VPos::Center))))?;
    }
    Ok(())
}

fn draw_swatch(area: &Area, swatch: Swatch, x: i32, y: i32) -> anyhow::Result<()> {
    let mid = (x + SWATCH_W / 2, y);
    match swatch {
        Swatch::Line(s) => {
            area.draw(&PathElement::new(vec![(x, y), (x + SWATCH_W, y)], s.color.stroke_width(2)))?;
            if s.marked {
                area.draw(&Marker::new(mid, s.shape, 4, s.color.filled()))?;
            }
        }
        Swatch::Rule(c, w) => area.draw(&PathElement::new(vec![(x, y), (x + SWATCH_W, y)], c.stroke_width(w)))?,
        Swatch::Point(s) => area.draw(&Marker::new(mid, s.shape, 4, s.color.mix(0.8).filled()))?,
        Swatch::Fill(c, a) => area.draw(&Rectangle::new([(x, y - 6), (x + SWATCH_W, y + 6)], c.mix(a).filled()))?,
        Swatch::Cross => area.draw(&Cross::new(mid, 4, INK.stroke_width(2)))?,
        Swatch::BoxPlot => {
            area.draw(&PathElement::new(vec![(x, y), (x + SWATCH_W, y)], INK.stroke_width(1)))?;
            area.draw(&Rectangle::new([(x + 7, y - 5), (x + SWATCH_W - 7, y + 5)], WHITE.filled()))?;
            area.draw(&Rectangle::new([(x + 7, y - 5), (x + SWATCH_W - 7, y + 5)], INK.stroke_width(1)))?;
            area.draw(&PathElement::new(vec![(mid.0, y - 5), (mid.0, y + 5)], INK.stroke_width(2)))?;
        }
        Swatch::ErrorBar => {
            area.draw(&PathElement::new(vec![(mid.0, y - 7), (mid.0, y + 7)], INK.stroke_width(1)))?;
            area.draw(&PathElement::new(vec![(mid.0 - 4, y - 7), (mid.0 + 4, y - 7)], INK.stroke_width(1)))?;
            area.draw(&PathElement::new(vec![(mid.0 - 4, y + 7), (mid.0 + 4, y + 7)], INK.stroke_width(1)))?;
            area.draw(&Circle::new(mid, 3, INK.filled()))?;
        }
        Swatch::None => {}
    }
    Ok(())
}
