//! The terminal report of `denet bench`: a block per benchmark, warnings, the comparison table and the summary.

use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, Table};
use console::Style;

use super::units;
use crate::bench::scheduler::Warning;
use crate::metrics::{self, Dimension, Metric, Selected};
use crate::stats::{Comparison, Stats, Summarized, Test};
use crate::vocab::Category;

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
    fn green(&self, t: &str) -> String {
        self.style(Style::new().green(), t)
    }
    fn cyan(&self, t: &str) -> String {
        self.style(Style::new().cyan(), t)
    }
    fn magenta(&self, t: &str) -> String {
        self.style(Style::new().magenta(), t)
    }
    fn dim(&self, t: &str) -> String {
        self.style(Style::new().dim(), t)
    }
    fn yellow(&self, t: &str) -> String {
        self.style(Style::new().yellow(), t)
    }
}

/// A value with a unit fixed for a column or a line.
pub fn fmt_in(value: f64, unit: metrics::DisplayUnit) -> String {
    let v = unit.convert(value);
    match unit.dimension {
        Dimension::Time if unit.symbol == "s" => format!("{v:.3} {}", unit.symbol),
        Dimension::Count if unit.symbol == "count" => format!("{v:.1}"),
        _ => format!("{v:.1} {}", unit.symbol),
    }
}

/// The display unit of a metric: `--metrics` wins, else the best unit for the reference's mean.
pub fn unit_for(metric: Metric, selected: &[Selected], reference_mean: f64) -> metrics::DisplayUnit {
    selected
        .iter()
        .find(|s| s.metric == metric)
        .and_then(|s| s.unit)
        .unwrap_or_else(|| metrics::auto_unit(metric.dimension(), reference_mean))
}

/// The block printed when a benchmark finishes.
pub fn block(index: usize, s: &Summarized, reference: &Summarized, selected: &[Selected], paint: Paint) -> String {
    let mut out = format!(
        "{}{}\n",
        header(index, &s.result.spec.name, paint),
        if s.result.complete { String::new() } else { paint.yellow(" (interrupted)") }
    );
    out += &body(s, reference, selected, paint);
    out
}

/// "Benchmark N: name", as hyperfine prints it when the benchmark starts.
pub fn header(index: usize, name: &str, paint: Paint) -> String {
    paint.bold(&format!("Benchmark {}: {name}", index + 1))
}

/// One benchmark's summaries as a block shows them: means, and units fixed by the reference.
struct View<'a> {
    s: &'a Summarized,
    reference: &'a Summarized,
    selected: &'a [Selected],
}

impl View<'_> {
    fn stats(&self, m: Metric) -> Option<&Stats> {
        self.s.metric(m).map(|x| &x.stats)
    }

    /// The mean per run; NaN for an eBPF metric these runs lack (its line is then left out).
    fn mean(&self, m: Metric) -> f64 {
        self.stats(m).map_or(f64::NAN, |st| st.mean)
    }

    fn unit(&self, m: Metric) -> metrics::DisplayUnit {
        unit_for(m, self.selected, self.reference.metric(m).map_or(f64::NAN, |x| x.stats.mean))
    }

    fn has(&self, m: Metric) -> bool {
        self.s.metric(m).is_some()
    }
}

/// The block without its header line (printed when the benchmark started).
pub fn body(s: &Summarized, reference: &Summarized, selected: &[Selected], paint: Paint) -> String {
    let v = View { s, reference, selected };
    let runs = s.result.runs.len();
    let mut out = if s.result.complete { String::new() } else { format!("  {}\n", paint.yellow("(interrupted)")) };
    // A summarised benchmark has runs, and every run a wall time.
    let Some(wall) = v.stats(Metric::TimeWallClock) else { return out };
    let wu = v.unit(Metric::TimeWallClock);
    let user = fmt_in(v.mean(Metric::TimeUser), v.unit(Metric::TimeUser));
    let sys = fmt_in(v.mean(Metric::TimeSystem), v.unit(Metric::TimeSystem));
    if runs == 1 {
        out += &format!(
            "  Time (abs ≡):        {:>10}               [User: {user}, System: {sys}]\n",
            paint.green(&fmt_in(wall.mean, wu))
        );
    } else {
        // Pad before colouring: escape codes would count towards the width.
        let pad = |v: f64| format!("{:>10}", fmt_in(v, wu));
        out += &format!(
            "  Time (mean ± σ):     {} ± {}    [User: {user}, System: {sys}]\n",
            paint.bold(&paint.green(&pad(wall.mean))),
            paint.green(&pad(wall.stddev.unwrap_or(0.0)))
        );
        out += &format!(
            "  Range (min … max):   {} … {}    {}\n",
            paint.cyan(&pad(wall.min)),
            paint.magenta(&pad(wall.max)),
            paint.dim(&format!("{runs} runs"))
        );
    }
    out += &resource_lines(&v);
    out += &kernel_lines(&v);
    out += &extra_lines(&v);
    out
}

/// Peak memory, I/O, context switches and faults, as means per run.
fn resource_lines(v: &View) -> String {
    use Metric::*;
    let mu = v.unit(MemoryPeakResident);
    let (rss, spread) = match v.stats(MemoryPeakResident) {
        Some(st) => (st.mean, st.stddev.map(|sd| format!(" ± {}", fmt_in(sd, mu))).unwrap_or_default()),
        None => (f64::NAN, String::new()),
    };
    let bytes = |m: Metric| units::bytes(v.mean(m) as u64);
    format!(
        "  Peak RSS:            {:>10}{spread}    [whole tree: {}; at peak {}, {}]\n\
         \x20 Storage I/O:         read {}, write {}    [syscalls: read {}, write {}]\n\
         \x20 Context switches:    {:.0} voluntary, {:.0} involuntary    [page faults: {:.0} minor, {:.0} major]\n",
        fmt_in(rss, mu),
        fmt_in(v.mean(MemoryPeakResidentTree), v.unit(MemoryPeakResidentTree)),
        plural(v.mean(ProcessesPeak), "process", "processes"),
        plural(v.mean(ThreadsPeak), "thread", "threads"),
        bytes(IoReadBytes),
        bytes(IoWriteBytes),
        bytes(IoReadChars),
        bytes(IoWriteChars),
        v.mean(ContextSwitchesVoluntary),
        v.mean(ContextSwitchesInvoluntary),
        v.mean(PageFaultsMinor),
        v.mean(PageFaultsMajor),
    )
}

/// With `--ebpf`: syscalls by category, off-CPU time, processes and TCP bytes, as means per run.
fn kernel_lines(v: &View) -> String {
    use Metric::*;
    let mut out = String::new();
    if v.has(SyscallsTotal) {
        let categories = [
            SyscallsFileIo,
            SyscallsMemory,
            SyscallsProcess,
            SyscallsNetwork,
            SyscallsIpc,
            SyscallsSignal,
            SyscallsTime,
            SyscallsOther,
        ];
        let mut parts: Vec<(f64, String)> = categories
            .iter()
            .zip(Category::ALL)
            .map(|(&m, c)| (v.mean(m), c.key().replace('_', " ")))
            .filter(|(mean, _)| *mean > 0.0)
            .collect();
        parts.sort_by(|a, b| b.0.total_cmp(&a.0));
        let parts: Vec<String> = parts.iter().take(4).map(|(n, name)| format!("{name} {}", round_count(*n))).collect();
        out +=
            &format!("  Syscalls (eBPF):     {:>10}    [{}]\n", round_count(v.mean(SyscallsTotal)), parts.join(", "));
    }
    if v.has(TimeOffCpu) {
        let lifecycle = if v.has(ProcessesCreated) {
            format!(
                "    [processes created: {}, execs: {}]",
                round_count(v.mean(ProcessesCreated)),
                round_count(v.mean(Execs))
            )
        } else {
            String::new()
        };
        out += &format!(
            "  Off-CPU (eBPF):      {:>10}    (runnable {}){lifecycle}\n",
            fmt_in(v.mean(TimeOffCpu), v.unit(TimeOffCpu)),
            fmt_in(v.mean(TimeOffCpuRunnable), v.unit(TimeOffCpuRunnable))
        );
    }
    if v.has(NetTcpTxBytes) && v.mean(NetTcpTxBytes) + v.mean(NetTcpRxBytes) > 0.0 {
        out += &format!(
            "  TCP (eBPF):          sent {}, received {}\n",
            units::bytes(v.mean(NetTcpTxBytes) as u64),
            units::bytes(v.mean(NetTcpRxBytes) as u64)
        );
    }
    out
}

/// A mean count, with thousands separators, and one decimal when the runs differ.
fn round_count(v: f64) -> String {
    if v.fract() == 0.0 {
        units::count(v as u64)
    } else {
        format!("{}.{}", units::count(v.trunc() as u64), ((v.fract() * 10.0).round() as u64).min(9))
    }
}

/// "1 process", "2.5 processes" (a mean over runs may be fractional).
fn plural(n: f64, one: &str, many: &str) -> String {
    let shown = if n.fract() == 0.0 { format!("{n:.0}") } else { format!("{n:.1}") };
    format!("{shown} {}", if n == 1.0 { one } else { many })
}

/// The metrics the fixed lines above show, so that a selected one is not shown twice. The
/// syscall categories are not among them: the syscalls line names only the four largest.
const IN_FIXED_LINES: &[Metric] = {
    use Metric::*;
    &[
        TimeWallClock,
        TimeUser,
        TimeSystem,
        MemoryPeakResident,
        MemoryPeakResidentTree,
        IoReadBytes,
        IoWriteBytes,
        IoReadChars,
        IoWriteChars,
        ContextSwitchesVoluntary,
        ContextSwitchesInvoluntary,
        PageFaultsMinor,
        PageFaultsMajor,
        ProcessesPeak,
        ThreadsPeak,
        SyscallsTotal,
        TimeOffCpu,
        TimeOffCpuRunnable,
        ProcessesCreated,
        Execs,
        NetTcpTxBytes,
        NetTcpRxBytes,
    ]
};

/// Selected metrics the fixed lines do not show.
fn extra_lines(v: &View) -> String {
    v.selected
        .iter()
        .filter(|sel| !IN_FIXED_LINES.contains(&sel.metric))
        .filter_map(|sel| {
            let st = v.stats(sel.metric)?;
            let unit = v.unit(sel.metric);
            Some(format!(
                "  {:<20} {:>10} ± {:>10}    ({} … {})\n",
                format!("{}:", sel.metric.label()),
                fmt_in(st.mean, unit),
                fmt_in(st.stddev.unwrap_or(0.0), unit),
                fmt_in(st.min, unit),
                fmt_in(st.max, unit)
            ))
        })
        .collect()
}

/// hyperfine's warning texts.
pub fn warning_text(w: &Warning, s: &Summarized, warmup: bool, prepare: bool) -> String {
    match w {
        Warning::FailuresIgnored => "Ignoring non-zero exit code.".into(),
        Warning::FastWithShell => "Command took less than 5 ms to complete. Note that the results might be inaccurate because the shell's start-up time cannot be subtracted much more precisely than that. Use -N (no shell) to run the command directly.".into(),
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
                units::seconds(first)
            )
        }
    }
}

/// "+12.3% ± 0.4%", or "0.0%".
pub fn change_text(c: &Comparison) -> String {
    if !c.change.is_finite() {
        return "N/A (reference is 0)".into();
    }
    let pct = 100.0 * c.change;
    let pct = if pct.abs() < 0.05 { 0.0 } else { pct };
    match c.ratio_stddev {
        Some(sd) => format!("{pct:+.1}% ± {:.1}%", 100.0 * sd),
        None => format!("{pct:+.1}%"),
    }
}

/// The factor of a ratio of means and its word ("slower"/"faster" for time, "more"/"less" otherwise);
/// `None` when the ratio is undefined (a zero or missing reference).
pub fn factor_parts(ratio: f64, dimension: Dimension) -> Option<(f64, &'static str)> {
    if ratio.is_nan() || ratio < 0.0 {
        return None;
    }
    let (f, up) = if ratio >= 1.0 { (ratio, true) } else { (1.0 / ratio, false) };
    let word = match (dimension, up) {
        (Dimension::Time, true) => "slower",
        (Dimension::Time, false) => "faster",
        (_, true) => "more",
        (_, false) => "less",
    };
    Some((f, word))
}

/// "1.99× slower" / "2.00× less" from a ratio of means.
pub fn factor_text(ratio: f64, dimension: Dimension) -> String {
    match factor_parts(ratio, dimension) {
        Some((f, word)) if f.is_finite() => format!("{f:.2}× {word}"),
        Some(_) => "∞".into(),
        None => String::new(),
    }
}

/// The significance cell: p-value, the test, and a star when significant.
pub fn significance_text(c: &Comparison) -> String {
    match c.p_value {
        None => "n/a (1 run)".into(),
        Some(p) => {
            let p_txt = if p < 0.001 { "p < 0.001".to_string() } else { format!("p = {p:.3}") };
            let test = if c.test == Test::MannWhitney { "†" } else { "" };
            format!("{p_txt}{test}{}", if c.significant { " *" } else { "" })
        }
    }
}

/// The comparison of every benchmark against the first, for the selected metrics.
pub fn comparison_table(all: &[Summarized], selected: &[Selected], alpha: f64) -> String {
    let reference = &all[0];
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["Command", "Metric", "Mean ± σ", "Change", "Factor", "Significance"]);
    for s in all {
        let rows = selected.iter().filter_map(|sel| comparison_row(s, reference, sel, selected, alpha));
        for (k, mut row) in rows.enumerate() {
            // The command's name on its first row only.
            if k == 0 {
                row[0] = s.result.spec.name.clone();
            }
            table.add_row(row);
        }
    }
    for col in 2..6 {
        if let Some(c) = table.column_mut(col) {
            c.set_cell_alignment(if col == 2 { CellAlignment::Right } else { CellAlignment::Left });
        }
    }
    format!(
        "{table}\n  * significant at α = {alpha} (Welch's t-test; † Mann–Whitney U where the runs are far from normal: docs/statistics.md)\n"
    )
}

/// One command's row for one metric (its name cell left empty); None when it lacks the metric.
fn comparison_row(
    s: &Summarized,
    reference: &Summarized,
    sel: &Selected,
    selected: &[Selected],
    alpha: f64,
) -> Option<Vec<String>> {
    let m = &s.metric(sel.metric)?.stats;
    let unit = unit_for(sel.metric, selected, reference.metric(sel.metric)?.stats.mean);
    let mean = match m.stddev {
        Some(sd) => format!("{} ± {}", fmt_in(m.mean, unit), fmt_in(sd, unit)),
        None => fmt_in(m.mean, unit),
    };
    let label = sel.metric.label().to_string();
    if std::ptr::eq(s, reference) {
        return Some(vec![String::new(), label, mean, "reference".into(), String::new(), String::new()]);
    }
    let c = s.compare_to(reference, sel.metric, alpha)?;
    Some(vec![
        String::new(),
        label,
        mean,
        change_text(&c),
        factor_text(c.ratio, sel.metric.dimension()),
        significance_text(&c),
    ])
}

/// hyperfine's summary for the primary metric: "X ran N.NN ± x times faster than Y".
pub fn summary(all: &[Summarized], primary: &Selected, alpha: f64, paint: Paint) -> String {
    let reference = &all[0];
    let mut out = format!("{}\n  {} ran\n", paint.bold("Summary"), paint.cyan(&reference.result.spec.name));
    for s in &all[1..] {
        let Some(c) = s.compare_to(reference, primary.metric, alpha) else { continue };
        // Express as the reference relative to the other, as hyperfine does.
        let (r, word) = if c.ratio >= 1.0 { (c.ratio, "faster") } else { (1.0 / c.ratio, "slower") };
        let (r, word) = match primary.metric.dimension() {
            Dimension::Time => (r, word),
            _ => (r, if word == "faster" { "less" } else { "more" }),
        };
        // sd(1/x) ≈ sd(x) / x² for the inverted ratio.
        let sd = c.ratio_stddev.map(|sd| if c.ratio >= 1.0 { sd } else { sd / (c.ratio * c.ratio) }).unwrap_or(0.0);
        let verdict = match (c.significant, c.p_value) {
            (true, Some(_)) => paint.green(&format!("significant, {}", significance_text(&c).trim_end_matches(" *"))),
            (false, Some(_)) => paint.yellow(&format!("not significant, {}", significance_text(&c))),
            _ => paint.dim("significance n/a"),
        };
        out += &format!(
            "  {:>8} ± {:.2} times {word} than {}    [{verdict}]\n",
            paint.bold(&paint.green(&format!("{r:.2}"))),
            sd,
            paint.magenta(&s.result.spec.name)
        );
    }
    out
}
