//! The end-of-monitoring summary as a table on stderr.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ColumnConstraint, ContentArrangement, Table};

use super::units::{bytes, count, seconds};
use crate::profile::{CgroupCounters, KernelCounters, RunLimits, Summary, SyscallCount};
use crate::recording::Metadata;
use crate::vocab::Category;

/// Rows of (label, value) for a summary: one figure per quantity, each labelled with its source
/// where it is not /proc's exact counters ("sampled" figures are lower bounds).
pub fn rows(s: &Summary) -> Vec<(String, String)> {
    let t = &s.totals;
    let mut rows = vec![
        ("Duration".to_string(), format!("{} ({} samples)", seconds(s.duration_s), s.samples)),
        ("CPU peak (sampled) / mean".into(), format!("{:.1}% / {:.1}%", s.cpu_percent_peak, s.cpu_percent_mean)),
        cpu_time_row(s),
        ("Peak RSS tree (sampled)".into(), bytes(s.rss_peak_tree_bytes)),
        ("Peak RSS largest process".into(), bytes(s.rss_peak_process_bytes)),
        processes_row(s),
        (
            if s.is_sampled("threads_peak") { "Threads peak (sampled)" } else { "Threads peak (cgroup)" }.into(),
            count(s.threads_peak),
        ),
        ("Storage read / write".into(), format!("{} / {}", bytes(t.read_bytes), bytes(t.write_bytes))),
        (
            "Storage write cancelled / net".into(),
            format!("{} / {}", bytes(t.cancelled_write_bytes), bytes(t.net_write_bytes())),
        ),
        ("Syscall read / write".into(), format!("{} / {}", bytes(t.rchar), bytes(t.wchar))),
        (
            format!("Page faults minor / major{}", if s.rusage.is_some() { " (wait4)" } else { "" }),
            format!("{} / {}", count(t.minor_faults), count(t.major_faults)),
        ),
        (
            format!("Ctx switches vol / invol{}", source(s, "voluntary_ctx_switches")),
            format!("{} / {}", count(t.voluntary_ctx_switches), count(t.involuntary_ctx_switches)),
        ),
    ];
    if let Some(r) = &s.rusage {
        rows.push((
            "Block in / out ops (wait4)".into(),
            format!("{} / {}", count(r.block_input_ops), count(r.block_output_ops)),
        ));
    }
    rows.extend(kernel_rows(&s.kernel, &s.top_syscalls));
    rows.extend(cgroup_rows(&s.cgroup, &s.limits));
    if let Some(e) = &s.exit {
        let how = match (e.code, e.signal) {
            (Some(c), _) => format!("exit code {c}"),
            (None, Some(sig)) => format!("killed by signal {sig}"),
            _ => "unknown".into(),
        };
        rows.push(("Exit".into(), how));
    }
    rows
}

/// " (sampled)" when `field` is a sampled lower bound, " (wait4)" when wait4 made it exact, else
/// " (eBPF)" (`attach --ebpf`: counted in the kernel).
fn source(s: &Summary, field: &str) -> &'static str {
    match (s.is_sampled(field), s.rusage.is_some()) {
        (true, _) => " (sampled)",
        (false, true) => " (wait4)",
        (false, false) => " (eBPF)",
    }
}

/// CPU time: wait4's user and system split where `run` has it, else the /proc total.
fn cpu_time_row(s: &Summary) -> (String, String) {
    match &s.rusage {
        Some(r) => (
            "CPU time (wait4)".into(),
            format!("{} (user {}, system {})", seconds(s.totals.cpu_time_s), seconds(r.user_s), seconds(r.system_s)),
        ),
        None => ("CPU time user+system".into(), seconds(s.totals.cpu_time_s)),
    }
}

/// Processes: the peak, and how many took part (each counted by eBPF where it ran, else sampled).
fn processes_row(s: &Summary) -> (String, String) {
    let label = match (s.is_sampled("processes_peak"), s.is_sampled("processes_seen")) {
        (true, true) => "Processes peak / seen (sampled)",
        (true, false) => "Processes peak (sampled) / seen (eBPF)",
        (false, true) => "Processes peak (eBPF) / seen (sampled)",
        (false, false) => "Processes peak / seen (eBPF)",
    };
    (label.into(), format!("{} / {}", count(s.processes_peak), count(s.processes_seen)))
}

/// Rows for what the command's own cgroup counted (exact; none without a cgroup), and its limits.
fn cgroup_rows(c: &CgroupCounters, l: &RunLimits) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if let Some(m) = c.memory_peak_cgroup {
        rows.push(("cgroup peak memory (charged)".into(), bytes(m)));
    }
    if let Some(t) = c.time_cpu_cgroup {
        rows.push(("cgroup CPU time (all members)".into(), seconds(t)));
    }
    if let (Some(cpu), Some(mem), Some(io)) = (c.pressure_cpu_some, c.pressure_memory_some, c.pressure_io_some) {
        rows.push((
            "cgroup stall CPU / memory / I/O".into(),
            format!("{} / {} / {}", seconds(cpu), seconds(mem), seconds(io)),
        ));
    }
    if let Some(n) = c.oom_kills {
        rows.push(("cgroup OOM kills".into(), count(n)));
    }
    if l.timed_out {
        rows.push(("Timed out".into(), "yes: the whole tree was killed (--timeout)".into()));
    }
    if !l.strays.is_empty() {
        rows.push(("Strays".into(), l.strays.join(", ")));
    }
    rows
}

/// Rows for what the eBPF programs counted (none without `--ebpf`).
fn kernel_rows(k: &KernelCounters, top: &[SyscallCount]) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if let Some(sc) = &k.syscalls {
        rows.push(("Syscalls (eBPF)".into(), count(sc.syscalls_total)));
        let by: Vec<String> = Category::ALL
            .iter()
            .filter(|c| sc.get(**c) > 0)
            .map(|c| format!("{} {}", c.key().replace('_', " "), count(sc.get(*c))))
            .collect();
        rows.push(("Syscalls by category".into(), by.join(", ")));
    }
    if !top.is_empty() {
        let names: Vec<String> = top.iter().take(5).map(|t| format!("{} {}", t.name, count(t.count))).collect();
        rows.push(("Top syscalls".into(), names.join(", ")));
    }
    if let Some(o) = &k.off_cpu {
        rows.push((
            "Off-CPU total / runnable".into(),
            format!("{} / {}", seconds(o.time_off_cpu), seconds(o.time_off_cpu_runnable)),
        ));
    }
    if let Some(l) = &k.lifecycle {
        rows.push((
            "Created processes / threads, execs".into(),
            format!("{} / {}, {}", count(l.processes_created), count(l.threads_created), count(l.execs)),
        ));
    }
    if let Some(n) = &k.net {
        rows.push((
            "TCP sent / received".into(),
            format!("{} / {}", bytes(n.net_tcp_tx_bytes), bytes(n.net_tcp_rx_bytes)),
        ));
    }
    rows
}

/// The summary as a two-column table, at most `width` columns wide when given.
pub fn render(s: &Summary, width: Option<usize>) -> String {
    render_rows(rows(s), width)
}

/// Rows as a two-column table; with a `width` (a terminal's), long values wrap inside their cell
/// at word boundaries instead of the terminal cutting the table's lines.
pub fn render_rows(rows: Vec<(String, String)>, width: Option<usize>) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    if let Some(w) = width {
        table.set_content_arrangement(ContentArrangement::Dynamic);
        // One short of the width: a line that fills the last column wraps early on some terminals.
        table.set_width(w.saturating_sub(1).min(u16::MAX as usize) as u16);
    }
    table.set_header(vec![Cell::new("Metric"), Cell::new("Value")]);
    for (k, v) in rows {
        table.add_row(vec![k, v]);
    }
    // The labels keep their lines; the values wrap.
    if let Some(labels) = table.column_mut(0) {
        labels.set_constraint(ColumnConstraint::ContentWidth);
    }
    table.to_string()
}

/// What a recording is of: the command (`run`) or the process (`attach`), and when it started.
pub fn recorded_rows(meta: &Metadata) -> Vec<(String, String)> {
    let command = shell_words::join(&meta.command);
    let what = match meta.mode.as_str() {
        "attach" => ("Process".to_string(), attached(meta.pid, &meta.command)),
        _ => ("Command".to_string(), command),
    };
    let started = chrono::DateTime::parse_from_rfc3339(&meta.start_time)
        .map_or(meta.start_time.clone(), |t| t.format("%Y-%m-%d %H:%M:%S %:z").to_string());
    vec![what, ("Started".into(), started)]
}

/// `PID 1234 (sleep 10)`: how `attach` names the process it follows.
pub fn attached(pid: u32, command: &[String]) -> String {
    match command.is_empty() {
        true => format!("PID {pid}"),
        false => format!("PID {pid} ({})", shell_words::join(command)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Counters, Lifecycle, Rusage, SummaryBuilder};

    fn summary() -> Summary {
        let mut s = SummaryBuilder::default().finish();
        s.duration_s = 1.0;
        s.totals = Counters { cpu_time_s: 0.5, involuntary_ctx_switches: 23, ..Counters::default() };
        s
    }

    fn row<'a>(rows: &'a [(String, String)], prefix: &str) -> &'a (String, String) {
        rows.iter().find(|(k, _)| k.starts_with(prefix)).unwrap_or_else(|| panic!("no row {prefix}: {rows:?}"))
    }

    #[test]
    fn wait4_replaces_the_sampled_figures_and_each_quantity_shows_once() {
        let r = Rusage {
            user_s: 0.4,
            system_s: 0.2,
            involuntary_ctx_switches: 2533,
            max_rss_bytes: 1 << 20,
            ..Rusage::default()
        };
        let s = summary().with_wait4(&r);
        assert!((s.totals.cpu_time_s - 0.6).abs() < 1e-9 && (s.cpu_percent_mean - 60.0).abs() < 1e-6, "{s:?}");
        assert_eq!(s.totals.involuntary_ctx_switches, 2533);
        assert!(!s.is_sampled("involuntary_ctx_switches") && s.is_sampled("processes_seen"), "{:?}", s.sampled);
        let rows = rows(&s);
        assert_eq!(row(&rows, "Ctx switches").0, "Ctx switches vol / invol (wait4)");
        assert_eq!(row(&rows, "Ctx switches").1, "0 / 2,533");
        assert_eq!(row(&rows, "CPU time").0, "CPU time (wait4)");
        assert_eq!(rows.iter().filter(|(k, _)| k.contains("RSS")).count(), 2, "tree and largest process: {rows:?}");
        assert_eq!(rows.iter().filter(|(k, _)| k.contains("witch")).count(), 1, "{rows:?}");
    }

    #[test]
    fn without_wait4_context_switches_are_labelled_sampled() {
        let rows = rows(&summary());
        assert_eq!(row(&rows, "Ctx switches").0, "Ctx switches vol / invol (sampled)");
        assert_eq!(row(&rows, "Processes").0, "Processes peak / seen (sampled)");
    }

    #[test]
    fn ebpf_counts_the_processes_started() {
        let mut s = summary();
        s.processes_seen = 2;
        s.kernel.lifecycle = Some(Lifecycle { processes_created: 2000, threads_created: 0, execs: 2001 });
        let s = s.with_ebpf_processes(1);
        assert_eq!(s.processes_seen, 2001, "the command and the 2,000 it forked");
        assert_eq!(row(&rows(&s), "Processes").0, "Processes peak (sampled) / seen (eBPF)");
        let s = s.with_ebpf_processes_peak(2);
        assert_eq!(row(&rows(&s), "Processes"), &("Processes peak / seen (eBPF)".into(), "2 / 2,001".into()));
        assert!(!s.is_sampled("processes_peak"), "{:?}", s.sampled);
    }

    #[test]
    fn ebpf_switches_are_exact_without_wait4() {
        let s = summary().with_ebpf_switches(200, 7);
        assert_eq!(row(&rows(&s), "Ctx switches"), &("Ctx switches vol / invol (eBPF)".into(), "200 / 7".into()));
        assert!(!s.is_sampled("voluntary_ctx_switches") && !s.is_sampled("involuntary_ctx_switches"));
    }

    #[test]
    fn the_table_fits_the_terminal_width() {
        let long = ("Top syscalls".to_string(), "openat 197, mmap 161, newfstatat 141, close 137, read 31, ".repeat(3));
        let rows = vec![("Duration".to_string(), "1.00 s".to_string()), long];
        for width in [60, 80, 160] {
            let text = render_rows(rows.clone(), Some(width));
            assert!(text.lines().all(|l| l.chars().count() < width), "{width}:\n{text}");
            assert!(text.contains("openat 197"), "{text}");
        }
    }

    #[test]
    fn a_deleted_file_nets_to_nothing_written() {
        let mut s = summary();
        s.totals.write_bytes = 50 << 20;
        s.totals.cancelled_write_bytes = 50 << 20;
        assert_eq!(row(&rows(&s), "Storage write cancelled").1, "50.0 MiB / 0 B");
    }
}
