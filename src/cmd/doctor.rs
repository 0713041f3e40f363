//! `denet doctor`: what eBPF can measure on this kernel with these privileges, and the exact reason for what it cannot.

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::monitor::ebpf::{self, probe, PartStatus};

/// Everything doctor found.
#[derive(Debug, Serialize)]
struct Findings {
    /// The eBPF parts denet loads, loaded and attached for real.
    programs: Vec<PartStatus>,
    /// The kernel facilities they rely on.
    probes: Vec<Facility>,
    /// Kernel settings and privileges, as found.
    settings: Vec<(String, String)>,
}

/// One kernel facility and whether it is there.
#[derive(Debug, Serialize)]
struct Facility {
    name: String,
    ok: bool,
    /// The reason it is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// Print the findings; exit 0 when every eBPF part works, 1 when some part is unavailable.
pub fn doctor(json: bool) -> anyhow::Result<ExitCode> {
    let findings = Findings { settings: settings(), probes: probes(), programs: programs() };
    let text = if json { serde_json::to_string_pretty(&findings)? + "\n" } else { render(&findings) };
    super::write_stdout(text.as_bytes())?;
    // A failed part whose fallback works (kprobes → sock tracepoints) does not make the machine unfit.
    let all_ok = findings.programs.iter().all(|c| c.ok || c.is_replaced(&findings.programs));
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn settings() -> Vec<(String, String)> {
    let sysctl = |name: &str, meaning: fn(&str) -> &'static str| {
        let v = probe::sysctl(name).unwrap_or_else(|| "not present".into());
        let m = meaning(&v);
        (name.to_string(), if m.is_empty() { v } else { format!("{v} ({m})") })
    };
    vec![
        ("kernel".into(), kernel_release()),
        ("denet built with eBPF".into(), if cfg!(feature = "ebpf") { "yes".into() } else { "no".into() }),
        ("effective user id".into(), effective_uid()),
        ("capabilities".into(), probe::capability_summary()),
        sysctl("kernel.unprivileged_bpf_disabled", |v| match v {
            "0" => "unprivileged BPF allowed",
            "1" => "unprivileged BPF off until reboot; denet needs root or CAP_BPF",
            "2" => "unprivileged BPF off; denet needs root or CAP_BPF",
            _ => "",
        }),
        sysctl("kernel.perf_event_paranoid", |v| match v {
            "-1" | "0" | "1" => "tracepoints open to users with CAP_PERFMON or more",
            _ => "tracepoint attach needs CAP_PERFMON (or root)",
        }),
        sysctl("kernel.kptr_restrict", |v| match v {
            "0" => "kernel addresses visible",
            _ => "kernel addresses hidden from unprivileged users (denet does not need them)",
        }),
    ]
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

fn effective_uid() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:").map(|v| v.split_whitespace().nth(1).unwrap_or("?").to_string()))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The facilities, one by one, without loading denet's programs.
fn probes() -> Vec<Facility> {
    let mut out = vec![check("privileges (root, or CAP_BPF and CAP_PERFMON)", probe::privileges())];
    out.push(check("PID namespace", probe::pid_namespace()));
    out.push(check("tracefs", probe::tracefs().map(|_| ())));
    for (group, event) in [
        ("raw_syscalls", "sys_enter"),
        ("sched", "sched_switch"),
        ("task", "task_newtask"),
        ("sched", "sched_process_exec"),
        ("sched", "sched_process_exit"),
        ("sock", "sock_send_length"),
        ("sock", "sock_recv_length"),
        ("kmem", "rss_stat"),
    ] {
        out.push(check(&format!("tracepoint {group}:{event}"), probe::tracepoint_exists(group, event)));
    }
    let kprobes = Path::new("/sys/bus/event_source/devices/kprobe/type").exists();
    out.push(check(
        "kprobes",
        if kprobes {
            Ok(())
        } else {
            Err("CONFIG_KPROBES is off: /sys/bus/event_source/devices/kprobe is missing".into())
        },
    ));
    let btf = Path::new("/sys/kernel/btf/vmlinux").exists();
    out.push(check(
        "kernel BTF (not needed by denet)",
        if btf { Ok(()) } else { Err("/sys/kernel/btf/vmlinux is missing".into()) },
    ));
    out.push(check("ring buffer map", ebpf::ring_buffer()));
    out
}

fn check(name: &str, r: Result<(), String>) -> Facility {
    Facility { name: name.to_string(), ok: r.is_ok(), detail: r.err() }
}

/// Load and attach denet's programs for real, then let them go.
fn programs() -> Vec<PartStatus> {
    let opened = ebpf::open_quietly();
    opened.checks
}

fn render(f: &Findings) -> String {
    let mut out = String::from("Settings\n");
    for (k, v) in &f.settings {
        out += &format!("  {k:<34} {v}\n");
    }
    out += "Kernel facilities\n";
    for c in &f.probes {
        out += &line(c.ok, &c.name, c.detail.as_deref());
    }
    out += "denet's eBPF programs (loaded and attached now)\n";
    for c in &f.programs {
        out += &line(c.ok, c.part.name(), c.detail.as_deref());
    }
    out
}

fn line(ok: bool, name: &str, detail: Option<&str>) -> String {
    let mark = if ok { "ok  " } else { "FAIL" };
    let detail = detail.map(|d| format!(": {d}")).unwrap_or_default();
    format!("  {mark} {name}{detail}\n")
}
