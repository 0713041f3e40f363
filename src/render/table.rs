//! The end-of-monitoring summary as a table on stderr.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Table};

use super::units::{bytes, count, seconds};
use crate::profile::{KernelCounters, Summary, SyscallCount};
use crate::recording::Metadata;
use crate::vocab::Category;

/// Rows of (label, value) for a summary.
pub fn rows(s: &Summary) -> Vec<(String, String)> {
    let t = &s.totals;
    let mut rows = vec![
        ("Duration".to_string(), format!("{} ({} samples)", seconds(s.duration_s), s.samples)),
        ("CPU peak / mean".into(), format!("{:.1}% / {:.1}%", s.cpu_percent_peak, s.cpu_percent_mean)),
        ("CPU time user+system".into(), seconds(t.cpu_time_s)),
        ("Peak RSS tree (sampled)".into(), bytes(s.rss_peak_tree_bytes)),
        ("Peak RSS largest process".into(), bytes(s.rss_peak_process_bytes)),
        ("Processes peak / seen".into(), format!("{} / {}", s.processes_peak, s.processes_seen)),
        ("Threads peak".into(), count(s.threads_peak)),
        ("Storage read / write".into(), format!("{} / {}", bytes(t.read_bytes), bytes(t.write_bytes))),
        ("Syscall read / write".into(), format!("{} / {}", bytes(t.rchar), bytes(t.wchar))),
        ("Page faults minor / major".into(), format!("{} / {}", count(t.minor_faults), count(t.major_faults))),
        (
            "Ctx switches vol / invol".into(),
            format!("{} / {}", count(t.voluntary_ctx_switches), count(t.involuntary_ctx_switches)),
        ),
    ];
    if let Some(r) = &s.rusage {
        rows.push(("wait4 user / system".into(), format!("{} / {}", seconds(r.user_s), seconds(r.system_s))));
        rows.push(("wait4 peak RSS (largest)".into(), bytes(r.max_rss_bytes)));
        rows.push((
            "wait4 faults minor / major".into(),
            format!("{} / {}", count(r.minor_faults), count(r.major_faults)),
        ));
        rows.push((
            "wait4 ctx switches vol / invol".into(),
            format!("{} / {}", count(r.voluntary_ctx_switches), count(r.involuntary_ctx_switches)),
        ));
        rows.push((
            "wait4 block in / out ops".into(),
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
    render_rows(rows(s))
}

/// Rows as a two-column table.
pub fn render_rows(rows: Vec<(String, String)>) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![Cell::new("Metric"), Cell::new("Value")]);
    for (k, v) in rows {
        table.add_row(vec![k, v]);
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
