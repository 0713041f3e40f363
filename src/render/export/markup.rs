//! Markdown, AsciiDoc and Org-mode exports: hyperfine 2.0's table (the primary metric's mean, change and factor against the first command), one builder, three syntaxes.

use super::{base_unit, Exporter, Report};
use crate::metrics::{DisplayUnit, Selected};
use crate::render::bench_report::unit_for;
use crate::stats::{Stats, Summarized};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Markdown,
    Asciidoc,
    Orgmode,
}

pub struct Markup(pub Flavor);

/// Columns: Command and Factor left-aligned, the numbers right-aligned (hyperfine's).
const RIGHT: [bool; 4] = [false, true, true, false];

/// The cells: a header row and one row per benchmark. Significance is left out on purpose: these
/// tables are hyperfine's, and denet's tests go to the terminal, the HTML report and `compare`.
fn grid(r: &Report, primary: &Selected) -> Vec<[String; 4]> {
    let metric = primary.metric;
    let rows: Vec<(&Summarized, &Stats)> =
        r.results.iter().filter_map(|s| Some((s, &s.metric(metric)?.stats))).collect();
    let unit = table_unit(primary, r.selected, rows.iter().map(|(_, st)| st.mean));
    let header = format!("Mean {} [{}]", metric.label(), unit.symbol);
    let mut grid = vec![["Command".to_string(), header, "Change".into(), "Factor".into()]];
    let reference = rows.first().map(|(_, st)| *st);
    for (i, (s, st)) in rows.iter().enumerate() {
        let mean = match st.stddev {
            Some(sd) => format!("{} ± {}", value(unit, st.mean), value(unit, sd)),
            None => value(unit, st.mean),
        };
        let (change, factor) = match reference.filter(|_| i > 0) {
            Some(reference) => {
                (change(st.mean, reference.mean), factor(st.mean, reference.mean, metric.change_words()))
            }
            None => Default::default(),
        };
        grid.push([s.result.spec.name.replace('|', "\\|"), mean, change, factor]);
    }
    grid
}

/// One unit for the column: the one `--metrics` fixed, else the base unit when every mean is 0,
/// else the unit fitting the first non-zero mean (so a zero reference does not leave it unscaled).
fn table_unit(primary: &Selected, selected: &[Selected], means: impl Iterator<Item = f64>) -> DisplayUnit {
    let mean = means.into_iter().find(|&m| m != 0.0).unwrap_or(0.0);
    let unit = match primary.unit {
        None if mean == 0.0 => base_unit(primary.metric.dimension()),
        _ => unit_for(primary.metric, selected, mean),
    };
    super::shown(unit)
}

/// Seconds with three decimals, every other unit with one.
fn value(unit: DisplayUnit, v: f64) -> String {
    let precision = if unit.symbol == "s" { 3 } else { 1 };
    format!("{:.precision$}", unit.convert(v))
}

/// `+12.3%`; `0.0%` for no change either way; `N/A` against a zero reference.
fn change(mean: f64, reference: f64) -> String {
    if reference == 0.0 {
        return "N/A".into();
    }
    match format!("{:+.1}%", 100.0 * (mean / reference - 1.0)) {
        zero if zero == "+0.0%" || zero == "-0.0%" => "0.0%".into(),
        pct => pct,
    }
}

/// `(2.0x slower)`, only for changes of 30% or more against a positive reference (hyperfine's rule),
/// in the metric's words (`Metric::change_words`).
fn factor(mean: f64, reference: f64, words: (&'static str, &'static str)) -> String {
    if !(reference > 0.0 && (mean >= 1.3 * reference || mean <= 0.7 * reference)) {
        return String::new();
    }
    match crate::render::bench_report::factor_parts(mean / reference, words) {
        Some((f, word)) if f.is_finite() => format!("({f:.1}x {word})"),
        Some((_, word)) => format!("(∞x {word})"),
        None => String::new(),
    }
}

/// A code span that holds any backticks: a longer run of them as the delimiter, padded by spaces
/// only then. Spelt exactly as hyperfine spells it (render::escape::markdown_code, for denet's own
/// regression tables, pads differently and escapes `|` itself).
fn markdown_code(name: &str) -> String {
    let longest = name.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    if longest == 0 {
        format!("`{name}`")
    } else {
        let fence = "`".repeat(longest + 1);
        format!("{fence} {name} {fence}")
    }
}

fn markdown(grid: &[[String; 4]]) -> String {
    let row = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    let divider: String = RIGHT.iter().map(|&r| if r { "---:|" } else { ":---|" }).collect();
    let mut out = row(&grid[0]) + "|" + &divider + "\n";
    for cells in &grid[1..] {
        out += &row(&[markdown_code(&cells[0]), cells[1].clone(), cells[2].clone(), cells[3].clone()]);
    }
    out
}

fn asciidoc(grid: &[[String; 4]]) -> String {
    let cols: Vec<&str> = RIGHT.iter().map(|&r| if r { ">" } else { "<" }).collect();
    let mut out = format!("[cols=\"{}\"]\n|===", cols.join(","));
    for (i, cells) in grid.iter().enumerate() {
        out.push('\n');
        for (j, cell) in cells.iter().enumerate() {
            let cell = if i > 0 && j == 0 { format!("`{cell}`") } else { cell.clone() };
            out += if cell.is_empty() { "|\n".to_string() } else { format!("| {cell}\n") }.as_str();
        }
    }
    out + "|===\n"
}

fn orgmode(grid: &[[String; 4]]) -> String {
    let row = |first: &str, rest: &[String]| format!("| {first}  |  {} |\n", rest.join(" |  "));
    let mut out = row(&grid[0][0], &grid[0][1..]);
    out += &format!("|{}--|\n", "--+".repeat(RIGHT.len() - 1));
    for cells in &grid[1..] {
        out += &row(&format!("={}=", cells[0]), &cells[1..]);
    }
    out
}

impl Exporter for Markup {
    fn render(&self, r: &Report) -> anyhow::Result<Vec<u8>> {
        let grid = grid(r, &r.selected[0]);
        let text = match self.0 {
            Flavor::Markdown => markdown(&grid),
            Flavor::Asciidoc => asciidoc(&grid),
            Flavor::Orgmode => orgmode(&grid),
        };
        Ok(text.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metric;

    #[test]
    fn markdown_code_spans_hold_backticks() {
        for (name, expected) in [
            ("echo `uname`", "`` echo `uname` ``"),
            ("echo ``quoted``", "``` echo ``quoted`` ```"),
            ("`", "`` ` ``"),
            ("plain", "`plain`"),
        ] {
            assert_eq!(markdown_code(name), expected, "{name:?}");
        }
    }

    #[test]
    fn change_and_factor_follow_hyperfine() {
        assert_eq!(change(2.0, 2.0), "0.0%");
        assert_eq!(change(1.99999, 2.0), "0.0%");
        assert_eq!(change(3.0, 2.0), "+50.0%");
        assert_eq!(change(0.0, 0.0), "N/A");
        let words = |m: Metric| m.change_words();
        assert_eq!(factor(1.0, 2.0, words(Metric::TimeWallClock)), "(2.0x faster)");
        assert_eq!(factor(2.5, 2.0, words(Metric::TimeWallClock)), "");
        assert_eq!(factor(2.6, 2.0, words(Metric::MemoryPeakResident)), "(1.3x more)");
        assert_eq!(factor(0.0, 2.0, words(Metric::SyscallsTotal)), "(∞x fewer)");
        assert_eq!(factor(1.0, 2.0, words(Metric::TimeOffCpu)), "(2.0x less)", "less off-CPU time is not faster");
        assert_eq!(factor(1.0, 0.0, words(Metric::TimeWallClock)), "");
    }
}
