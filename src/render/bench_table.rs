//! hyperfine 2.0's per-benchmark table: a header row, one row per metric, numbers aligned apart from their units.

use console::Style;

/// How wide the table may be, and where units go: in the cells (hyperfine's full layout) or in
/// the label (its compact layout, for terminals narrower than 110 columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub compact: bool,
    /// The terminal's width; `None` when stdout is not a terminal (no limit, as hyperfine).
    pub width: Option<usize>,
}

/// hyperfine switches to the compact layout below this width.
const COMPACT_BELOW: usize = 110;

impl Layout {
    /// hyperfine's full layout when not writing to a terminal, so that piped output is the same.
    pub const FULL: Layout = Layout { compact: false, width: None };

    /// The layout for stdout: its terminal's width, if it is one.
    pub fn for_stdout() -> Layout {
        match console::Term::stdout().size_checked() {
            Some((_, cols)) => Layout::for_width(cols as usize),
            None => Layout::FULL,
        }
    }

    pub fn for_width(cols: usize) -> Layout {
        Layout { compact: cols < COMPACT_BELOW, width: Some(cols) }
    }
}

/// One metric's figures, formatted in its display unit.
pub struct MetricRow {
    pub label: String,
    /// The unit's symbol; empty for plain counts.
    pub unit: &'static str,
    pub mean: String,
    /// σ, min and max; `None` for a single run (hyperfine then shows one "Value" column).
    pub spread: Option<[String; 3]>,
    /// Against the first benchmark; `None` for the first itself.
    pub versus: Option<Versus>,
}

/// The change against the first benchmark: "+12.3%", its interval, "(2.0x slower)" and denet's test.
pub struct Versus {
    pub change: String,
    /// "[+11.9%, +12.7%]": the change's confidence interval; empty where there is none.
    pub interval: String,
    pub factor: String,
    /// "p=0.012*": the significance test; empty where there is none.
    pub test: String,
    pub tone: Tone,
}

/// What the legend under the last block explains: the columns that some block showed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Legend {
    #[default]
    None,
    Interval,
    /// The test, and the interval with it.
    Test,
}

/// How a change is coloured, as in the HTML report: worse (red) and better (green) when it is
/// significant, or exact where the runs do not vary; muted when it is not significant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Worse,
    Better,
    Flat,
}

/// The table of one benchmark; `label_width` keeps labels aligned across benchmarks.
pub struct Table {
    pub rows: Vec<MetricRow>,
    pub label_width: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Label,
    Mean,
    Sigma,
    Min,
    Max,
    Change,
    Factor,
    Interval,
    Test,
}

/// The optional columns, dropped in this order when the terminal is too narrow: the test first
/// (the interval says more: how large the change could be), the range (least needed to compare),
/// then the change's interval, the factor, and σ last.
const DROPS: [&[Col]; 5] = [&[Col::Test], &[Col::Min, Col::Max], &[Col::Interval], &[Col::Factor], &[Col::Sigma]];

/// A piece of a line and its colour.
type Seg = (String, Option<Style>);

impl Table {
    /// The table's lines, each "  "-indented; in a terminal, optional columns drop until it fits.
    #[cfg(test)]
    pub fn render(&self, layout: Layout, colors: bool) -> String {
        self.fitted(layout, colors).0
    }

    /// The lines, and the legend they need (for the interval or the test columns among them).
    pub fn fitted(&self, layout: Layout, colors: bool) -> (String, Legend) {
        let mut cols = self.columns();
        let mut lines = self.lines(&cols, layout);
        for drop in DROPS {
            let Some(width) = layout.width else { break };
            if lines.iter().all(|l| plain_width(l) <= width) {
                break;
            }
            cols.retain(|c| !drop.contains(c));
            lines = self.lines(&cols, layout);
        }
        let any =
            |f: fn(&Versus) -> &String| self.rows.iter().any(|r| r.versus.as_ref().is_some_and(|v| !f(v).is_empty()));
        let shown = |c: Col, f: fn(&Versus) -> &String| cols.contains(&c) && any(f);
        let legend = match (shown(Col::Test, |v| &v.test), shown(Col::Interval, |v| &v.interval)) {
            (true, _) => Legend::Test,
            (false, true) => Legend::Interval,
            (false, false) => Legend::None,
        };
        (lines.iter().map(|l| format!("{}\n", paint_line(l, colors))).collect(), legend)
    }

    fn multiple_runs(&self) -> bool {
        self.rows.iter().any(|r| r.spread.is_some())
    }

    fn columns(&self) -> Vec<Col> {
        let mut cols = vec![Col::Label, Col::Mean];
        if self.multiple_runs() {
            cols.extend([Col::Sigma, Col::Min, Col::Max]);
        }
        if self.rows.iter().any(|r| r.versus.is_some()) {
            // After hyperfine's change and factor, so that its lines (`+900.0%  (10.0x slower)`) stay as they are.
            cols.extend([Col::Change, Col::Factor]);
            if self.rows.iter().any(|r| r.versus.as_ref().is_some_and(|v| !v.interval.is_empty())) {
                cols.push(Col::Interval);
            }
            cols.push(Col::Test);
        }
        cols
    }

    /// The header and the metric rows as coloured pieces, trailing blanks removed.
    fn lines(&self, cols: &[Col], layout: Layout) -> Vec<Vec<Seg>> {
        let header: Vec<String> = cols.iter().map(|&c| self.heading(c)).collect();
        let cells: Vec<Vec<String>> =
            self.rows.iter().map(|r| cols.iter().map(|&c| cell(r, c, layout)).collect()).collect();
        let unit_width = self.rows.iter().map(|r| r.unit.chars().count()).max().unwrap_or(0).max(3);
        let widths: Vec<usize> = cols
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let widest = cells.iter().map(|row| row[i].chars().count()).chain([header[i].chars().count()]).max();
                widest.unwrap_or(0).max(self.min_width(c, layout))
            })
            .collect();
        let shape = Shape { cols, widths: &widths, unit_width, layout };
        let mut lines = vec![shape.line(&header, "", None)];
        for (k, (row, cells)) in self.rows.iter().zip(&cells).enumerate() {
            // hyperfine sets the first metric, the primary one, in bold.
            lines.push(shape.line(cells, row.unit, Some((row, k == 0))));
        }
        lines
    }

    fn heading(&self, c: Col) -> String {
        match c {
            Col::Mean if !self.multiple_runs() => "Value",
            Col::Mean => "mean",
            Col::Sigma => "σ",
            Col::Min => "min",
            Col::Max => "max",
            _ => "",
        }
        .into()
    }

    /// hyperfine's minimum widths, so that benchmarks printed one by one line up.
    fn min_width(&self, c: Col, layout: Layout) -> usize {
        match (c, layout.compact) {
            (Col::Label, _) => self.label_width,
            (Col::Test | Col::Interval, _) => 0,
            (Col::Mean | Col::Sigma | Col::Min | Col::Max, false) => 7,
            (Col::Mean | Col::Sigma | Col::Min | Col::Max, true) => 5,
            (_, false) => 14,
            (_, true) => 7,
        }
    }
}

/// A row's text in one column; the compact layout moves the unit into the label.
fn cell(r: &MetricRow, c: Col, layout: Layout) -> String {
    let spread = |i: usize| r.spread.as_ref().map_or(String::new(), |s| s[i].clone());
    let versus = |f: fn(&Versus) -> &String| r.versus.as_ref().map_or(String::new(), |v| f(v).clone());
    match c {
        Col::Label if layout.compact && !r.unit.is_empty() => format!("{} [{}]", r.label, r.unit),
        Col::Label => r.label.clone(),
        Col::Mean => r.mean.clone(),
        Col::Sigma => spread(0),
        Col::Min => spread(1),
        Col::Max => spread(2),
        // hyperfine writes N/A where the first benchmark lacks the metric.
        Col::Change if r.versus.is_none() => "N/A".into(),
        Col::Change => versus(|v| &v.change),
        Col::Interval => versus(|v| &v.interval),
        Col::Factor => versus(|v| &v.factor),
        Col::Test => versus(|v| &v.test),
    }
}

/// The columns shown and their widths.
struct Shape<'a> {
    cols: &'a [Col],
    widths: &'a [usize],
    unit_width: usize,
    layout: Layout,
}

impl Shape<'_> {
    /// One line; `row` is None for the header (which stops before the comparison columns).
    fn line(&self, cells: &[String], unit: &str, row: Option<(&MetricRow, bool)>) -> Vec<Seg> {
        let mut segs: Vec<Seg> = vec![("  ".into(), None)];
        let bold = row.is_some_and(|(_, first)| first);
        for (i, (&c, text)) in self.cols.iter().zip(cells).enumerate() {
            if row.is_none() && matches!(c, Col::Change | Col::Interval | Col::Factor | Col::Test) {
                break;
            }
            if i > 0 {
                let sep = separator(c, self.cols[i - 1]);
                // A row of one value (a simulated count) among rows of many has no spread to join.
                let lone = row.is_some_and(|(r, _)| r.spread.is_none()) && sep.trim().chars().count() == 1;
                segs.push((if lone { "   ".into() } else { sep.into() }, None));
            }
            let pad = " ".repeat(self.widths[i] - text.chars().count());
            let with_unit = !self.layout.compact && is_value(c);
            let text = if with_unit && !unit.is_empty() { format!("{text} {unit}") } else { text.clone() };
            let style = row.map(|(r, _)| style(c, r)).map(|s| if bold { s.bold() } else { s });
            if matches!(c, Col::Label | Col::Interval | Col::Factor | Col::Test) {
                segs.extend([(text, style), (pad, None)]);
            } else {
                segs.extend([(pad, None), (text, style)]);
            }
            if with_unit {
                // A missing unit (headers, plain counts) also takes the space before a unit.
                let n = self.unit_width - unit.chars().count() + usize::from(unit.is_empty());
                segs.push((" ".repeat(n), None));
            }
        }
        trim_end(&mut segs);
        segs
    }
}

fn is_value(c: Col) -> bool {
    matches!(c, Col::Mean | Col::Sigma | Col::Min | Col::Max)
}

/// "mean ± σ", "min … max"; two spaces elsewhere (and where σ or the range was dropped), but one
/// before the test, so that two commands' tables fit 80 columns with every column.
fn separator(c: Col, previous: Col) -> &'static str {
    match (previous, c) {
        (Col::Mean, Col::Sigma) => " ± ",
        (Col::Min, Col::Max) => " … ",
        (_, Col::Test) => " ",
        _ => "  ",
    }
}

/// hyperfine's colours: mean and σ green, min cyan, max magenta; the change and its factor as the
/// HTML report colours them (hyperfine colours every rise red, significant or not).
fn style(c: Col, r: &MetricRow) -> Style {
    let tone = r.versus.as_ref().map(|v| v.tone);
    match (c, tone) {
        (Col::Mean | Col::Sigma, _) => Style::new().green(),
        (Col::Min, _) => Style::new().cyan(),
        (Col::Max, _) => Style::new().magenta(),
        (Col::Change | Col::Factor | Col::Interval, Some(Tone::Worse)) => Style::new().red(),
        (Col::Change | Col::Factor | Col::Interval, Some(Tone::Better)) => Style::new().green(),
        (Col::Change | Col::Factor | Col::Interval, Some(Tone::Flat)) => Style::new().dim(),
        _ => Style::new(),
    }
}

fn trim_end(segs: &mut Vec<Seg>) {
    while let Some((text, _)) = segs.last_mut() {
        let kept = text.trim_end().len();
        text.truncate(kept);
        if !text.is_empty() {
            break;
        }
        segs.pop();
    }
}

fn plain_width(segs: &[Seg]) -> usize {
    segs.iter().map(|(t, _)| t.chars().count()).sum()
}

/// Colours applied to each piece after padding, so escape codes never count towards a width.
fn paint_line(segs: &[Seg], colors: bool) -> String {
    segs.iter()
        .map(|(text, style)| match style {
            Some(s) if colors && !text.is_empty() => s.clone().force_styling(true).apply_to(text).to_string(),
            _ => text.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, unit: &'static str, values: [&str; 4], versus: Option<[&str; 3]>) -> MetricRow {
        MetricRow {
            label: label.into(),
            unit,
            mean: values[0].into(),
            spread: Some([values[1].into(), values[2].into(), values[3].into()]),
            versus: versus.map(|[change, factor, test]| Versus {
                change: change.into(),
                interval: String::new(),
                factor: factor.into(),
                test: test.into(),
                tone: Tone::Flat,
            }),
        }
    }

    fn second() -> Table {
        Table {
            rows: vec![
                row("Wall Time", "ms", ["21.9", "1.4", "21.2", "24.5"], Some(["+53.4%", "(1.5x slower)", "p<0.001*"])),
                row("Memory", "MiB", ["3.1", "0.0", "3.1", "3.1"], Some(["+4.2%", "", "p=0.210"])),
            ],
            label_width: 9,
        }
    }

    /// `second` with the changes' intervals.
    fn with_intervals() -> Table {
        let mut t = second();
        for (r, interval) in t.rows.iter_mut().zip(["[+50.1%, +56.8%]", "[-1.2%, +9.6%]"]) {
            r.versus.as_mut().unwrap().interval = interval.into();
        }
        t
    }

    #[test]
    fn full_layout_is_hyperfines() {
        let text = second().render(Layout::FULL, false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "                mean     ±       σ          min     …     max");
        assert_eq!(
            lines[1],
            "  Wall Time     21.9 ms  ±     1.4 ms      21.2 ms  …    24.5 ms           +53.4%  (1.5x slower)  p<0.001*"
        );
        assert_eq!(
            lines[2],
            "  Memory         3.1 MiB ±     0.0 MiB      3.1 MiB …     3.1 MiB           +4.2%                 p=0.210"
        );
    }

    #[test]
    fn compact_layout_fits_eighty_columns() {
        let text = second().render(Layout::for_width(80), false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "                   mean ±     σ    min …   max");
        assert_eq!(lines[1], "  Wall Time [ms]   21.9 ±   1.4   21.2 …  24.5   +53.4%  (1.5x slower) p<0.001*");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{text}");
    }

    #[test]
    fn columns_drop_in_order_below_the_compact_width() {
        let widths = |cols: usize| {
            let text = with_intervals().render(Layout::for_width(cols), false);
            assert!(text.lines().all(|l| l.chars().count() <= cols), "{cols} columns:\n{text}");
            text
        };
        let all = widths(109);
        assert!(all.contains('…') && all.contains("p<0.001*") && all.contains("[+50.1%, +56.8%]"), "{all}");
        let eighty = widths(80);
        assert!(!eighty.contains("p<0.001") && !eighty.contains('…'), "the test, then the range go first:\n{eighty}");
        assert!(
            eighty.contains("[+50.1%, +56.8%]") && eighty.contains("(1.5x slower)"),
            "the interval stays:\n{eighty}"
        );
        let narrow = widths(60);
        assert!(!narrow.contains("[+50.1%") && narrow.contains("(1.5x slower)"), "then the interval:\n{narrow}");
        let narrower = widths(44);
        assert!(!narrower.contains("slower") && narrower.contains('±'), "then the factor:\n{narrower}");
        assert!(!widths(39).contains('±'), "σ last");
    }

    #[test]
    fn the_legend_explains_only_the_columns_shown() {
        assert_eq!(with_intervals().fitted(Layout::for_width(109), false).1, Legend::Test);
        assert_eq!(
            with_intervals().fitted(Layout::for_width(80), false).1,
            Legend::Interval,
            "no legend for a dropped test"
        );
        assert_eq!(second().fitted(Layout::for_width(50), false).1, Legend::None);
        let mut untested = second();
        untested.rows.iter_mut().for_each(|r| r.versus.as_mut().unwrap().test.clear());
        assert_eq!(
            untested.fitted(Layout::FULL, false).1,
            Legend::None,
            "runs that do not vary have no test to explain"
        );
    }

    #[test]
    fn one_run_has_a_value_column() {
        let mut t = second();
        for r in &mut t.rows {
            r.spread = None;
        }
        let text = t.render(Layout::FULL, false);
        assert_eq!(text.lines().next(), Some("               Value"));
        assert!(text.contains("  Wall Time     21.9 ms           +53.4%  (1.5x slower)"), "{text}");
    }

    #[test]
    fn changes_are_coloured_as_in_the_html_report() {
        let mut t = second();
        t.rows.truncate(1);
        let line = |tone: Tone, t: &mut Table| {
            t.rows[0].versus.as_mut().unwrap().tone = tone;
            t.render(Layout::FULL, true).lines().nth(1).unwrap().to_string()
        };
        let red = "\x1b[31m";
        assert!(line(Tone::Worse, &mut t).contains(red), "a significant rise is red");
        let better = line(Tone::Better, &mut t);
        assert!(
            better.matches("\x1b[32m").count() == 4 && !better.contains(red),
            "mean, σ, the change and its factor green: {better:?}"
        );
        let flat = line(Tone::Flat, &mut t);
        assert!(!flat.contains(red) && flat.contains("\x1b[2m"), "not significant: muted, not red: {flat:?}");
    }

    #[test]
    fn colours_only_when_asked() {
        assert!(!second().render(Layout::FULL, false).contains('\x1b'));
        let coloured = second().render(Layout::FULL, true);
        assert!(coloured.contains("\x1b["), "{coloured}");
        let plain = console::strip_ansi_codes(&coloured);
        assert_eq!(plain, second().render(Layout::FULL, false), "colours add no width");
    }
}
