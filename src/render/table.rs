//! The end-of-monitoring summary as a table on stderr.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Table};

use super::units::{bytes, count, seconds};
use crate::profile::{KernelCounters, Summary, SyscallCount};
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
        ("Threads peak (sampled)".into(), count(s.threads_peak)),
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

/// " (sampled)" when `field` is a sampled lower bound, " (wait4)" when wait4 made it exact.
fn source(s: &Summary, field: &str) -> &'static str {
    match (s.is_sampled(field), s.rusage.is_some()) {
        (true, _) => " (sampled)",
        (false, true) => " (wait4)",
        (false, false) => "",
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

/// Processes: the sampled peak, and how many took part (counted by eBPF where it ran).
fn processes_row(s: &Summary) -> (String, String) {
    let label = if s.is_sampled("processes_seen") {
        "Processes peak / seen (sampled)"
    } else {
        "Processes peak (sampled) / started (eBPF)"
    };
    (label.into(), format!("{} / {}", count(s.processes_peak), count(s.processes_seen)))
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

/// The summary as a two-column table.
pub fn render(s: &Summary) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![Cell::new("Metric"), Cell::new("Value")]);
    for (k, v) in rows(s) {
        table.add_row(vec![k, v]);
    }
    table.to_string()
}
