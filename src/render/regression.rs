//! Regression check reports: a terminal table, a GitHub-flavoured Markdown table, and JUnit XML.

use console::Style;

use super::bench_report::fmt_in;
use super::columns::{Cell, Column, Grid, Screen};
use super::escape;
use crate::checks::{Note, Regression, Row};
use crate::metrics::{self, MetricKey};
use crate::stats::regress::{test_name, Verdict};
use crate::vocab::Threshold;

/// "5%" or "2.0 MiB".
pub fn threshold_text(t: &Threshold, metric: &MetricKey) -> String {
    match t {
        Threshold::Relative(f) => format!("{}%", trim(100.0 * f)),
        Threshold::Absolute(a) => fmt_in(*a, metrics::auto_unit(metric.dimension(), *a)),
    }
}

/// A note of the checks in words.
pub fn note_text(note: &Note) -> String {
    match note {
        Note::OnlyInBaseline(k) => format!("'{k}' is in the baseline only: not checked"),
        Note::New(k) => format!("'{k}' is new (not in the baseline): not checked"),
        Note::NoRuns { benchmark, side } => {
            format!("'{benchmark}' has no runs in the {side} (cut short before its first run ended): not checked")
        }
        Note::InNeither(metric) => format!("{metric} is in neither file: not checked"),
        Note::MissingFrom { metric, side } => format!("{metric} is missing from {side}: not checked"),
        Note::ZeroBaseline { benchmark, metric } => format!(
            "{benchmark} / {metric}: the baseline is 0, so a change in % is undefined; give an absolute threshold (e.g. {metric}=10)"
        ),
        Note::TooNoisy { benchmark, metric, threshold, runs, needed } => format!(
            "{benchmark} / {metric}: too noisy to resolve a {} threshold with {runs} runs; about {needed} runs per command would",
            threshold_text(threshold, metric)
        ),
        Note::OlderFormat { side, tool, lacks } => format!("the {side} file is a {tool} export: {lacks}"),
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A simulated count: exact, so its verdict needs no interval (the table says so).
fn is_exact(r: &Row) -> bool {
    r.metric.known().is_some_and(|m| m.is_simulated())
}

/// "50.9 ms ± 0.2 ms (30 runs)", or "7,108,298 (simulated)".
fn summary_text(r: &Row, baseline: bool) -> String {
    let s = if baseline { &r.check.baseline } else { &r.check.current };
    if is_exact(r) {
        return format!("{} (simulated)", super::bench_report::grouped(s.mean as u64));
    }
    let unit = metrics::auto_unit(r.metric.dimension(), r.check.baseline.mean);
    match s.stddev {
        Some(sd) => format!("{} ± {} ({} runs)", fmt_in(s.mean, unit), fmt_in(sd, unit), s.count),
        None => format!("{} (1 run)", fmt_in(s.mean, unit)),
    }
}

/// "+19.8% [+19.5%, +20.1%]" in the threshold's terms.
pub fn change_text(r: &Row) -> String {
    let c = &r.check;
    let unit = metrics::auto_unit(r.metric.dimension(), c.difference.abs().max(c.ci[1].abs()));
    let signed = |v: f64| format!("{}{}", if v >= 0.0 { "+" } else { "-" }, fmt_in(v.abs(), unit));
    match c.threshold {
        // A change from zero has no percentage: the absolute difference says what happened.
        Threshold::Relative(_) if !c.change.is_finite() || c.baseline.mean == 0.0 => {
            format!("{} (from 0)", signed(c.difference))
        }
        Threshold::Relative(_) if is_exact(r) => format!("{:+.2}% (exact)", 100.0 * c.change),
        Threshold::Relative(_) => {
            format!("{:+.1}% [{:+.1}%, {:+.1}%]", 100.0 * c.change, 100.0 * c.ci[0], 100.0 * c.ci[1])
        }
        Threshold::Absolute(_) if is_exact(r) => format!("{} (exact)", signed(c.difference)),
        Threshold::Absolute(_) => format!("{} [{}, {}]", signed(c.difference), signed(c.ci[0]), signed(c.ci[1])),
    }
}

fn p_text(r: &Row) -> String {
    if is_exact(r) {
        return "none needed (exact)".into();
    }
    match r.check.p_value {
        Some(p) if p < 0.001 => format!("< 0.001 ({})", test_name(r.check.test)),
        Some(p) => format!("{p:.3} ({})", test_name(r.check.test)),
        None => "n/a".into(),
    }
}

pub fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Improved => "improved",
        Verdict::Unchanged => "unchanged",
        Verdict::Regressed => "REGRESSED",
        Verdict::Inconclusive => "inconclusive",
    }
}

/// One line: "1 regressed, 2 unchanged, ...".
pub fn headline(r: &Regression) -> String {
    let parts: Vec<String> = [Verdict::Regressed, Verdict::Improved, Verdict::Unchanged, Verdict::Inconclusive]
        .iter()
        .map(|&v| (v, r.count(v)))
        .filter(|(_, n)| *n > 0)
        .map(|(v, n)| format!("{n} {}", verdict_text(v).to_lowercase()))
        .collect();
    parts.join(", ")
}

/// The terminal table and the notes, fitted to `screen`: the run counts drop first, then the
/// p-value, the threshold, the baseline and the current figures; the benchmark and the metric
/// are shortened last. The change and the verdict stay, coloured as in the HTML report.
pub fn terminal(r: &Regression, screen: Screen) -> String {
    let confidence = r.rows.first().map_or(95.0, |x| 100.0 * x.check.confidence);
    let col = |heading: &str, right: bool, drop_rank: Option<u8>, shrinks: bool| Column {
        heading: heading.into(),
        right,
        drop_rank,
        shrinks,
    };
    let columns = vec![
        col("Benchmark", false, None, true),
        col("Metric", false, None, true),
        col("Baseline", true, Some(4), false),
        col("Current", true, Some(5), false),
        col(&format!("Change [{confidence:.0}% CI]"), true, None, false),
        col("Verdict", false, None, false),
        col("Threshold", true, Some(3), false),
        col("p", false, Some(2), false),
        col("Runs", true, Some(1), false),
    ];
    let rows = r.rows.iter().map(terminal_row).collect();
    let mut out = Grid { columns, rows }.render(screen);
    out += &format!("{}\n", headline(r));
    for n in &r.notes {
        out += &format!("{}\n", wrap(&format!("  note: {}", note_text(n)), screen.width));
    }
    out
}

/// One check as cells: worse in red, better in green, inconclusive in yellow (the HTML's colours).
fn terminal_row(row: &Row) -> Vec<Cell> {
    let tone = match row.check.verdict {
        Verdict::Regressed => Some(Style::new().red()),
        Verdict::Improved => Some(Style::new().green()),
        Verdict::Inconclusive => Some(Style::new().yellow()),
        Verdict::Unchanged => None,
    };
    let runs = format!("{} → {}", row.check.baseline.count, row.check.current.count);
    vec![
        (row.benchmark.clone(), None),
        (row.metric.label().to_string(), None),
        (spread_text(row, true), None),
        (spread_text(row, false), None),
        (change_text(row), tone.clone()),
        (verdict_text(row.check.verdict).to_string(), tone.map(|s| s.bold())),
        (threshold_text(&row.check.threshold, &row.metric), None),
        (p_text(row), None),
        (runs, None),
    ]
}

/// "50.9 ms ± 0.2 ms" (the run counts have their own column), "7,108,298" for an exact count.
fn spread_text(r: &Row, baseline: bool) -> String {
    let s = if baseline { &r.check.baseline } else { &r.check.current };
    if is_exact(r) {
        return super::bench_report::grouped(s.mean as u64);
    }
    let unit = metrics::auto_unit(r.metric.dimension(), r.check.baseline.mean);
    match s.stddev {
        Some(sd) => format!("{} ± {}", fmt_in(s.mean, unit), fmt_in(sd, unit)),
        None => fmt_in(s.mean, unit),
    }
}

/// A note wrapped to the screen's width, when there is one.
fn wrap(text: &str, width: Option<usize>) -> String {
    width.map_or(text.to_string(), |w| crate::wrap::to_width(text, w))
}

/// A GitHub-flavoured Markdown table for a pull-request comment or the job summary.
pub fn markdown(r: &Regression) -> String {
    let icon = |v: Verdict| match v {
        Verdict::Regressed => "🔴 regressed",
        Verdict::Improved => "🟢 improved",
        Verdict::Unchanged => "⚪ unchanged",
        Verdict::Inconclusive => "🟡 inconclusive",
    };
    let confidence = r.rows.first().map_or(95.0, |x| 100.0 * x.check.confidence);
    let mut out = format!("### denet: {}\n\n", headline(r));
    out +=
        &format!("| Benchmark | Metric | Baseline | Current | Change [{confidence:.0}% CI] | Threshold | Verdict |\n");
    out += "|:---|:---|---:|---:|---:|---:|:---|\n";
    for row in &r.rows {
        out += &format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            escape::markdown_code(&row.benchmark),
            escape::markdown(row.metric.label()),
            summary_text(row, true),
            summary_text(row, false),
            change_text(row),
            threshold_text(&row.check.threshold, &row.metric),
            icon(row.check.verdict)
        );
    }
    if !r.notes.is_empty() {
        out.push('\n');
        for n in &r.notes {
            out += &format!("> {}\n", escape::markdown(&note_text(n)));
        }
    }
    out
}

/// JUnit XML: a test suite per benchmark, a test case per metric; a regression is a failure,
/// an inconclusive check a failure only with `--fail-on inconclusive` (otherwise it is reported as skipped).
pub fn junit(r: &Regression, fail_on_inconclusive: bool) -> String {
    let failing = |v: Verdict| v == Verdict::Regressed || (fail_on_inconclusive && v == Verdict::Inconclusive);
    let mut suites: Vec<(&str, Vec<&Row>)> = Vec::new();
    for row in &r.rows {
        match suites.iter_mut().find(|(b, _)| *b == row.benchmark) {
            Some((_, rows)) => rows.push(row),
            None => suites.push((&row.benchmark, vec![row])),
        }
    }
    let failures = r.rows.iter().filter(|x| failing(x.check.verdict)).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"denet\" tests=\"{}\" failures=\"{failures}\">\n",
        r.rows.len()
    );
    for (bench, rows) in suites {
        let f = rows.iter().filter(|x| failing(x.check.verdict)).count();
        out += &format!("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\">\n", escape::xml(bench), rows.len());
        for row in rows {
            let detail = format!(
                "{}: {} ({} → {}), threshold {}",
                verdict_text(row.check.verdict),
                change_text(row),
                summary_text(row, true),
                summary_text(row, false),
                threshold_text(&row.check.threshold, &row.metric)
            );
            out += &format!(
                "    <testcase classname=\"{}\" name=\"{}\">",
                escape::xml(bench),
                escape::xml(row.metric.name())
            );
            if failing(row.check.verdict) {
                out += &format!("<failure message=\"{}\"/>", escape::xml(&detail));
            } else if row.check.verdict == Verdict::Inconclusive {
                out += &format!("<skipped message=\"{}\"/>", escape::xml(&detail));
            } else {
                out += &format!("<system-out>{}</system-out>", escape::xml(&detail));
            }
            out += "</testcase>\n";
        }
        out += "  </testsuite>\n";
    }
    out + "</testsuites>\n"
}
