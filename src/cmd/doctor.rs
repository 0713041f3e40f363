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
    /// Whether /proc can be read: every metric of `run`, `attach` and `bench` needs it.
    procfs: Facility,
}

/// What doctor concludes, and its exit code.
#[derive(Debug, Serialize)]
struct Verdict {
    code: u8,
    summary: &'static str,
    /// Each failure that matters, with its fix (failures that share a fix are listed once).
    fixes: Vec<String>,
}

/// `--json`: the findings as before, and the verdict beside them.
#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    findings: &'a Findings,
    verdict: &'a Verdict,
}

/// Exit code: everything works, eBPF included.
const WORKS: u8 = 0;
/// Exit code: denet cannot measure here (no readable /proc).
const BROKEN: u8 = 1;
/// Exit code: denet works, but some eBPF part is unavailable and denet falls back to /proc data.
const FALLBACKS: u8 = 3;

/// One kernel facility and whether it is there.
#[derive(Debug, Serialize)]
struct Facility {
    name: String,
    ok: bool,
    /// The reason it is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// Print the findings and the verdict; exit with the verdict's code (docs/cli.md).
pub fn doctor(json: bool) -> anyhow::Result<ExitCode> {
    let findings = Findings { settings: settings(), procfs: procfs(), probes: probes(), programs: programs() };
    let verdict = verdict(&findings);
    let text = if json {
        serde_json::to_string_pretty(&Report { findings: &findings, verdict: &verdict })? + "\n"
    } else {
        crate::wrap::for_stdout(&render(&findings, &verdict))
    };
    super::write_stdout(text.as_bytes())?;
    Ok(ExitCode::from(verdict.code))
}

/// The verdict, from /proc and denet's eBPF programs as loaded; the facilities only explain them.
fn verdict(f: &Findings) -> Verdict {
    if !f.procfs.ok {
        let fixes = vec![format!("{}: {}", f.procfs.name, f.procfs.detail.as_deref().unwrap_or("unreadable"))];
        return Verdict { code: BROKEN, summary: "denet cannot measure here", fixes };
    }
    // A failed part whose fallback works (kprobes → sock tracepoints) does not count.
    let failed: Vec<&PartStatus> = f.programs.iter().filter(|c| !c.ok && !c.is_replaced(&f.programs)).collect();
    if failed.is_empty() {
        return Verdict { code: WORKS, summary: "everything works, eBPF included", fixes: Vec::new() };
    }
    let mut fixes: Vec<String> = Vec::new();
    for c in failed {
        let fix = c.detail.clone().unwrap_or_else(|| "see docs/ebpf.md".into());
        if !fixes.iter().any(|f| f.ends_with(&fix)) {
            fixes.push(format!("{}: {fix}", c.part.name()));
        }
    }
    Verdict {
        code: FALLBACKS,
        summary: "denet works with fallbacks: --ebpf measures less here (fix below), /proc data is complete",
        fixes,
    }
}

/// /proc, read the way the monitor reads it.
fn procfs() -> Facility {
    let r = std::fs::read_to_string("/proc/self/stat").map(|_| ()).map_err(|e| {
        format!("cannot read /proc/self/stat ({e}); mount it (`mount -t proc proc /proc`), or use --backend sysinfo")
    });
    check("/proc (every metric of run, attach and bench)", r)
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

fn render(f: &Findings, v: &Verdict) -> String {
    let mut out = String::from("Settings\n");
    for (k, v) in &f.settings {
        out += &format!("  {k:<34} {v}\n");
    }
    // When every program works, a missing facility is one denet does not need here.
    let mark = |ok: bool| match (ok, v.code) {
        (true, _) => Mark::Ok,
        (false, WORKS) => Mark::NotNeeded,
        (false, _) => Mark::Fail,
    };
    out += "Kernel facilities\n";
    for c in std::iter::once(&f.procfs).chain(&f.probes) {
        out += &line(mark(c.ok), &c.name, c.detail.as_deref());
    }
    out += "denet's eBPF programs (loaded and attached now)\n";
    for c in &f.programs {
        let m = if c.is_replaced(&f.programs) { Mark::NotNeeded } else { mark(c.ok) };
        out += &line(m, c.part.name(), c.detail.as_deref());
    }
    out + &render_verdict(v)
}

fn render_verdict(v: &Verdict) -> String {
    let style = match v.code {
        WORKS => console::Style::new().green().bold(),
        FALLBACKS => console::Style::new().yellow().bold(),
        _ => console::Style::new().red().bold(),
    };
    let mut out = format!("\n{} {} (exit code {})\n", style.apply_to("Verdict:"), style.apply_to(v.summary), v.code);
    for fix in &v.fixes {
        out += &format!("  fix {fix}\n");
    }
    out
}

#[derive(Clone, Copy)]
enum Mark {
    Ok,
    Fail,
    /// Failed, but nothing depends on it here (a fallback works, or every program loaded without it).
    NotNeeded,
}

fn line(mark: Mark, name: &str, detail: Option<&str>) -> String {
    let mark = match mark {
        Mark::Ok => "ok  ".to_string(),
        Mark::Fail => console::style("FAIL").red().bold().to_string(),
        Mark::NotNeeded => "--  ".to_string(),
    };
    let detail = detail.map(|d| format!(": {d}")).unwrap_or_default();
    format!("  {mark} {name}{detail}\n")
}
