//! The terminal report of `denet bench`: hyperfine 2.0's block per benchmark, compared with the first, and the warnings.

use console::Style;

use super::bench_table::{Layout, Legend, MetricRow, Table, Tone, Versus};
use crate::bench::precision::{Of, Precision};
use crate::bench::scheduler::Warning;
use crate::metrics::{self, Dimension, Metric, Selected};
use crate::stats::{Comparison, Stats, Summarized, Test};

/// Colours on or off.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub colors: bool,
}

impl Paint {
    fn style(&self, s: Style, text: &str) -> String {
        s.force_styling(self.colors).apply_to(text).to_string()
    }
    fn bold(&self, t: &str) -> String {
        self.style(Style::new().bold(), t)
    }
    fn dim(&self, t: &str) -> String {
        self.style(Style::new().dim(), t)
    }
    pub fn yellow(&self, t: &str) -> String {
        self.style(Style::new().yellow(), t)
    }
}

/// A value with a unit fixed for a column or a line (a plain count without its "count").
pub fn fmt_in(value: f64, unit: metrics::DisplayUnit) -> String {
    match unit.symbol {
        "count" => number_in(value, unit),
        symbol => format!("{} {symbol}", number_in(value, unit)),
    }
}

/// The display unit of a metric: `--metrics` wins, else hyperfine's unit for the reference's mean.
pub fn unit_for(metric: Metric, selected: &[Selected], reference_mean: f64) -> metrics::DisplayUnit {
    selected
        .iter()
        .find(|s| s.metric == metric)
        .and_then(|s| s.unit)
        .unwrap_or_else(|| metrics::table_unit(metric.dimension(), reference_mean))
}

/// A value in a unit without its symbol: three decimals for seconds, one otherwise (hyperfine's),
/// none for a plain count (612 syscalls, not 612.8; k, M and B keep one).
fn number_in(value: f64, unit: metrics::DisplayUnit) -> String {
    let v = unit.convert(value);
    match (unit.dimension, unit.symbol) {
        (Dimension::Time, "s") => format!("{v:.3}"),
        (_, "count") => format!("{v:.0}"),
        _ => format!("{v:.1}"),
    }
}

/// The reference's unit, or a larger one where the mean would read 1000 or more in it (7.9 ms,
/// not 7862.3 µs); never beyond seconds (hyperfine prints 1000.000 s, and its tests read that),
/// and never a unit the user chose in `--metrics`.
fn promoted(unit: metrics::DisplayUnit, chosen: bool, mean: f64) -> metrics::DisplayUnit {
    if chosen || unit.convert(mean).abs() < 1000.0 {
        return unit;
    }
    let own = metrics::table_unit(unit.dimension, mean);
    if unit.dimension == Dimension::Time && own.scale > 1.0 {
        metrics::table_unit(Dimension::Time, 1.0)
    } else {
        own
    }
}

/// One benchmark's report and the legend its columns need.
pub struct Block {
    pub text: String,
    pub legend: Legend,
}

/// What a block is drawn with.
#[derive(Clone, Copy)]
pub struct Look<'a> {
    pub selected: &'a [Selected],
    pub alpha: f64,
    pub layout: Layout,
    pub paint: Paint,
}

/// The block printed when a benchmark finishes: "Benchmark N: name (R runs)" and its table, each
/// metric compared with the first benchmark (`reference`; `None` for the first itself).
pub fn block(index: usize, s: &Summarized, reference: Option<&Summarized>, look: Look) -> Block {
    let runs = s.result.runs.len();
    let mut counted = format!("({runs} {}", if runs == 1 { "run" } else { "runs" });
    counted += if s.result.complete { ")" } else { ", interrupted)" };
    let paint = look.paint;
    let title = format!(
        "{}: {} {}",
        paint.bold(&format!("Benchmark {}", index + 1)),
        paint.bold(&s.result.spec.name),
        if s.result.complete { paint.dim(&counted) } else { paint.yellow(&counted) }
    );
    // A long command wraps at words in a terminal; piped, the line is hyperfine's.
    let title = match look.layout.width {
        Some(w) => crate::wrap::to_width(&title, w),
        None => title,
    } + "\n";
    let rows: Vec<MetricRow> = look.selected.iter().filter_map(|sel| metric_row(s, reference, sel, look)).collect();
    // The widest a label can be, whatever its source, so that every block lines up alike.
    let widest = |m: Metric| m.tagged(row_label(m), metrics::Source::Sampled).chars().count();
    let label_width = look.selected.iter().map(|sel| widest(sel.metric)).max().unwrap_or(0);
    let table = Table { rows, label_width };
    let (text, legend) = table.fitted(look.layout, paint.colors);
    Block { text: title + &text, legend }
}

/// hyperfine's labels for its metrics ("Memory"), denet's for its own.
fn row_label(m: Metric) -> &'static str {
    match m {
        Metric::MemoryPeakResident => "Memory",
        Metric::MemoryPeakResidentTree => "Memory whole tree",
        m => m.label(),
    }
}

/// One metric's row; `None` when these runs lack it (an eBPF metric this machine did not give).
fn metric_row(s: &Summarized, reference: Option<&Summarized>, sel: &Selected, look: Look) -> Option<MetricRow> {
    let summary = s.metric(sel.metric)?;
    let own = &summary.stats;
    let base = reference.and_then(|r| r.metric(sel.metric)).map(|m| &m.stats);
    // Units follow the first benchmark, so that the blocks compare at a glance.
    let scale = base.filter(|b| b.mean != 0.0).unwrap_or(own).mean;
    let unit = promoted(unit_for(sel.metric, look.selected, scale), sel.unit.is_some(), own.mean);
    let num = |v: f64| number_in(v, unit);
    let versus = match (reference, base) {
        (Some(r), Some(b)) => Some(versus(s, r, own, b, sel.metric, look.alpha)),
        _ => None,
    };
    if sel.metric.is_simulated() {
        return Some(simulated_row(sel.metric, own, versus));
    }
    Some(MetricRow {
        label: sel.metric.tagged(row_label(sel.metric), summary.source),
        unit: if unit.symbol == "count" { "" } else { unit.symbol },
        mean: num(own.mean),
        spread: own.stddev.map(|sd| [num(sd), num(own.min), num(own.max)]),
        versus,
    })
}

/// A simulated metric's row: its one exact count in full, and "exact" where a test would be (a
/// deterministic count needs none).
fn simulated_row(m: Metric, own: &Stats, versus: Option<Versus>) -> MetricRow {
    MetricRow {
        label: row_label(m).into(),
        unit: "",
        mean: grouped(own.mean as u64),
        spread: None,
        versus: versus.map(|v| Versus { test: "exact".into(), ..v }),
    }
}

/// 1234567 as "1,234,567".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The change against the first benchmark, hyperfine's factor when it is at least 1.3-fold, and
/// denet's test where the runs vary (constant runs, as the mock's, need no test).
fn versus(s: &Summarized, r: &Summarized, own: &Stats, base: &Stats, m: Metric, alpha: f64) -> Versus {
    if base.mean == 0.0 {
        let none = String::new;
        return Versus { change: "N/A".into(), interval: none(), factor: none(), test: none(), tone: Tone::Flat };
    }
    let ratio = own.mean / base.mean;
    let large = base.mean > 0.0 && !(0.7..1.3).contains(&ratio);
    let factor = match factor_parts(ratio, m.change_words()).filter(|_| large) {
        Some((f, word)) if f.is_finite() => format!("({f:.1}x {word})"),
        Some((_, word)) => format!("(∞x {word})"),
        None => String::new(),
    };
    // Not the standard deviation: summing identical values leaves it a rounding error above zero.
    let varies = |st: &Stats| st.max > st.min;
    let c = s.compare_to(r, m, alpha).filter(|_| varies(own) || varies(base));
    let (change, interval, test) = match &c {
        // The change the interval is about (paired rounds: the trimmed mean of the log ratios).
        Some(c) => (
            signed_pct(c.change),
            c.change_ci95.map_or(String::new(), |[lo, hi]| format!("[{}, {}]", signed_pct(lo), signed_pct(hi))),
            if c.p_value.is_some() { significance_text(c).replace(' ', "") } else { String::new() },
        ),
        None => (signed_pct(ratio - 1.0), String::new(), String::new()),
    };
    // Without a test (runs that do not vary) a change is exact, so it is coloured by its sign.
    let significant = c.as_ref().is_none_or(|c| c.significant || c.p_value.is_none());
    let tone = match ratio {
        r if !significant || r == 1.0 || !r.is_finite() => Tone::Flat,
        r if r > 1.0 => Tone::Worse,
        _ => Tone::Better,
    };
    Versus { change, interval, factor, test, tone }
}

/// The lines under the last block that explain the interval and the test columns.
pub fn legend(alpha: f64, legend: Legend) -> String {
    let confidence = 100.0 * (1.0 - alpha);
    match legend {
        Legend::None => String::new(),
        Legend::Interval => format!("  change [{confidence:.0}% confidence interval] vs. benchmark 1\n"),
        Legend::Test => format!(
            "  change [{confidence:.0}% confidence interval] vs. benchmark 1; p: its Welch's t-test\n  (†: Mann–Whitney U, ‡: paired t-test over interleaved rounds); *: p < {alpha}\n"
        ),
    }
}

/// hyperfine 2.0's warning texts (and 1.x's for outliers, which 2.0 no longer looks for).
pub fn warning_text(w: &Warning, s: &Summarized, warmup: bool, prepare: bool) -> String {
    match w {
        Warning::FailuresIgnored => "Ignoring non-zero exit code.".into(),
        Warning::TimedOut => {
            let n = s.result.runs.iter().filter(|r| r.limits.timed_out).count();
            format!("{n} of {} runs timed out (--timeout): each was killed with its whole process tree.", s.result.runs.len())
        }
        Warning::OomKilled => {
            let n = s.result.runs.iter().filter(|r| r.limits.oom_killed).count();
            format!("{n} of {} runs had a process killed by the OOM killer (--memory-limit, or the machine's memory).", s.result.runs.len())
        }
        Warning::FastWithShell => "Command took less than 5 ms to complete. Note that the wall-clock measurements might be inaccurate because denet can not calibrate the shell startup time much more precise than this limit. You can try to use the `-N`/`--shell=none` option to disable the shell completely.".into(),
        Warning::Outliers => format!(
            "Statistical outliers were detected. Consider re-running this benchmark on a quiet system without any interferences from other programs.{}",
            if warmup && prepare { "" } else { " It might help to use the '--warmup' or '--prepare' options." }
        ),
        Warning::SlowFirstRun => {
            let first = s.result.runs.first().map_or(0.0, |r| r.wall_s);
            let hint = match (warmup, prepare) {
                (true, true) => "You are already using both the '--warmup' option as well as the '--prepare' option. Consider re-running the benchmark on a quiet system. Maybe it was a random outlier. Alternatively, consider increasing the warmup count.",
                (true, false) => "You are already using the '--warmup' option which helps to fill these caches before the actual benchmark. You can either try to increase the warmup count further or re-run this benchmark on a quiet system in case it was a random outlier. Alternatively, consider using the '--prepare' option to clear the caches before each timing run.",
                (false, true) => "You are already using the '--prepare' option which can be used to clear caches. If you did not use a cache-clearing command with '--prepare', you can either try that or consider using the '--warmup' option to fill those caches before the actual benchmark.",
                (false, false) => "You should consider using the '--warmup' option to fill those caches before the actual benchmark. Alternatively, use the '--prepare' option to clear the caches before each timing run.",
            };
            format!(
                "The first benchmarking run for this command was significantly slower than the rest ({}). This could be caused by (filesystem) caches that were not filled until after the first run. {hint}",
                fmt_in(first, metrics::table_unit(Dimension::Time, first))
            )
        }
    }
}

/// "+12.3% [+11.9%, +12.7%]": the change and its confidence interval, the one uncertainty of a
/// change that every report shows (docs/statistics.md); "+12.3%" without spread.
pub fn change_text(c: &Comparison) -> String {
    if !c.change.is_finite() {
        return "N/A (reference is 0)".into();
    }
    match c.change_ci95 {
        Some([lo, hi]) if lo.is_finite() && hi.is_finite() => {
            format!("{} [{}, {}]", signed_pct(c.change), signed_pct(lo), signed_pct(hi))
        }
        _ => signed_pct(c.change),
    }
}

/// A fraction as a signed percentage with one decimal, "0.0%" for what rounds to zero.
pub fn signed_pct(v: f64) -> String {
    let pct = 100.0 * v;
    if pct.abs() < 0.05 {
        "0.0%".into()
    } else {
        format!("{pct:+.1}%")
    }
}

/// The factor of a ratio of means and its word, from the metric's `(higher, lower)` words
/// (`Metric::change_words`); `None` when the ratio is undefined (a zero or missing reference).
pub fn factor_parts(ratio: f64, (higher, lower): (&'static str, &'static str)) -> Option<(f64, &'static str)> {
    if ratio.is_nan() || ratio < 0.0 {
        return None;
    }
    Some(if ratio >= 1.0 { (ratio, higher) } else { (1.0 / ratio, lower) })
}

/// The significance cell: p-value, the test, and a star when significant.
pub fn significance_text(c: &Comparison) -> String {
    match c.p_value {
        None => "n/a (1 run)".into(),
        Some(p) => {
            let p_txt = if p < 0.001 { "p < 0.001".to_string() } else { format!("p = {p:.3}") };
            let test = match c.test {
                Test::MannWhitney => "†",
                Test::Paired => "‡",
                Test::Welch => "",
            };
            format!("{p_txt}{test}{}", if c.significant { " *" } else { "" })
        }
    }
}

/// What `--precision` is of, in words.
fn precision_of(p: &Precision) -> &'static str {
    match p.of {
        Of::Mean => "of the mean",
        Of::Change => "of the change",
        Of::PairedChange => "of the paired change",
    }
}

/// The target as the user gave it: "1", "0.5", "0.0001".
fn target_pct(t: f64) -> String {
    ((100.0 * t * 1e6).round() / 1e6).to_string()
}

fn pm(v: Option<f64>) -> String {
    v.map_or("unknown".into(), |h| format!("±{:.2}%", 100.0 * h))
}

/// "Precision: ±0.41% of the mean (95% interval; target ±1.00%) after 12 runs".
pub fn precision_text(p: &Precision, runs: usize) -> String {
    let plural = if runs == 1 { "" } else { "s" };
    format!(
        "Precision: {} {} (95% interval; target ±{}%) after {runs} run{plural}",
        pm(p.achieved),
        precision_of(p),
        target_pct(p.target)
    )
}

/// The warning when `--max-runs` came before the precision.
pub fn precision_warning(p: &Precision, runs: usize) -> String {
    format!(
        "the maximum of {runs} runs was reached before the target precision ±{}%: the 95% interval {} is {}. Raise --max-runs, or quiet the machine (denet doctor --bench).",
        target_pct(p.target),
        precision_of(p),
        pm(p.achieved)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_no_decimals_and_units_are_promoted_past_three_digits() {
        let count = metrics::table_unit(Dimension::Count, 612.8);
        assert_eq!(fmt_in(612.8, count), "613");
        let us = metrics::table_unit(Dimension::Time, 300e-6);
        assert_eq!(us.symbol, "µs");
        assert_eq!(fmt_in(7862.3e-6, promoted(us, false, 7862.3e-6)), "7.9 ms");
        assert_eq!(fmt_in(862.3e-6, promoted(us, false, 862.3e-6)), "862.3 µs");
        assert_eq!(fmt_in(7862.3e-6, promoted(us, true, 7862.3e-6)), "7862.3 µs", "a unit chosen in --metrics stays");
        let s = metrics::table_unit(Dimension::Time, 1.0);
        assert_eq!(fmt_in(1000.0, promoted(s, false, 1000.0)), "1000.000 s", "hyperfine's tests read seconds");
        let kib = metrics::table_unit(Dimension::Bytes, 2048.0);
        assert_eq!(fmt_in(5.0 * 1048576.0, promoted(kib, false, 5.0 * 1048576.0)), "5.0 MiB");
    }

    #[test]
    fn only_times_of_how_long_it_took_are_faster_or_slower() {
        assert_eq!(factor_parts(0.5, Metric::TimeWallClock.change_words()), Some((2.0, "faster")));
        assert_eq!(factor_parts(0.5, Metric::TimeOffCpu.change_words()), Some((2.0, "less")));
        assert_eq!(factor_parts(0.5, Metric::SyscallsTotal.change_words()), Some((2.0, "fewer")));
        assert_eq!(factor_parts(2.0, Metric::MemoryPeakResident.change_words()), Some((2.0, "more")));
    }
}
