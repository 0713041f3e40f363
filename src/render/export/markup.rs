//! Markdown, AsciiDoc and Org-mode exports: one table builder (hyperfine 2.0's columns plus significance), three syntaxes.

use super::{Exporter, Report};
use crate::metrics::Dimension;
use crate::render::bench_report::{factor_parts, significance_text, unit_for};
use crate::stats::Summarized;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Markdown,
    Asciidoc,
    Orgmode,
}

pub struct Markup(pub Flavor);

/// Cells of the table: a header row and one row per benchmark, left/right alignment per column.
struct Grid {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

/// hyperfine's factor: only for differences of 30% or more.
fn factor(ratio: f64, dimension: Dimension) -> String {
    if 0.7 < ratio && ratio < 1.3 {
        return String::new();
    }
    match factor_parts(ratio, dimension) {
        Some((f, word)) if f.is_finite() => format!("({f:.1}x {word})"),
        _ => String::new(),
    }
}

fn grid(r: &Report, command_cell: fn(&str) -> String) -> Grid {
    let primary = &r.selected[0];
    let reference = &r.results[0];
    let metric = primary.metric;
    let unit = unit_for(metric, r.selected, reference.metric(metric).map_or(f64::NAN, |m| m.stats.mean));
    let header = vec![
        "Command".to_string(),
        format!("Mean {} [{}]", metric.label(), unit.symbol),
        "Change".into(),
        "Factor".into(),
        "Significance".into(),
    ];
    let precision = if unit.symbol == "s" { 3 } else { 1 };
    let rows = r
        .results
        .iter()
        .filter_map(|s: &Summarized| {
            let st = &s.metric(metric)?.stats;
            let mean = match st.stddev {
                Some(sd) => format!("{:.p$} ± {:.p$}", unit.convert(st.mean), unit.convert(sd), p = precision),
                None => format!("{:.p$}", unit.convert(st.mean), p = precision),
            };
            let cmd = command_cell(&s.result.spec.name);
            if std::ptr::eq(s, reference) {
                return Some(vec![cmd, mean, String::new(), String::new(), String::new()]);
            }
            let c = s.compare_to(reference, metric, r.alpha)?;
            let pct = 100.0 * c.change;
            let change = if !pct.is_finite() {
                "N/A".into()
            } else if pct.abs() < 0.05 {
                "0.0%".into()
            } else {
                format!("{pct:+.1}%")
            };
            Some(vec![cmd, mean, change, factor(c.ratio, metric.dimension()), significance_text(&c)])
        })
        .collect();
    Grid { header, rows, right: vec![false, true, true, false, false] }
}

fn markdown_command(name: &str) -> String {
    let escaped = name.replace('|', "\\|");
    if escaped.contains('`') {
        format!("`` {escaped} ``")
    } else {
        format!("`{escaped}`")
    }
}

fn markdown(g: &Grid) -> String {
    let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    let align: Vec<String> = g.right.iter().map(|&r| if r { "---:" } else { ":---" }.to_string()).collect();
    let mut out = line(&g.header) + &format!("|{}|\n", align.join("|"));
    for row in &g.rows {
        out += &line(row);
    }
    out
}

fn asciidoc(g: &Grid) -> String {
    let cols: Vec<&str> = g.right.iter().map(|&r| if r { ">" } else { "<" }).collect();
    let mut out = format!("[cols=\"{}\", options=\"header\"]\n|===\n", cols.join(","));
    for row in std::iter::once(&g.header).chain(&g.rows) {
        for cell in row {
            out += &format!("| {}\n", cell.replace('|', "\\|"));
        }
        out.push('\n');
    }
    out + "|===\n"
}

fn orgmode(g: &Grid) -> String {
    let line = |cells: &[String]| {
        format!("| {} |\n", cells.iter().map(|c| c.replace('|', "\\vert{}")).collect::<Vec<_>>().join(" | "))
    };
    let mut out = line(&g.header);
    out += &format!("|{}|\n", vec!["--"; g.header.len()].join("+"));
    for row in &g.rows {
        out += &line(row);
    }
    out
}

impl Exporter for Markup {
    fn render(&self, r: &Report) -> anyhow::Result<Vec<u8>> {
        let text = match self.0 {
            Flavor::Markdown => markdown(&grid(r, markdown_command)),
            Flavor::Asciidoc => asciidoc(&grid(r, |n| format!("`{n}`"))),
            Flavor::Orgmode => orgmode(&grid(r, |n| format!("={n}="))),
        };
        Ok(text.into_bytes())
    }
}
