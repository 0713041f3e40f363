//! eBPF measurements (`--ebpf`): syscalls, off-CPU time, process lifecycle and TCP bytes, with graceful degradation.
//!
//! Everything here is an upgrade over /proc: when the feature is not built in,
//! when denet lacks the privileges, or when the kernel refuses a program, denet
//! warns once, records why in the metadata, and carries on without it.

pub mod categories;
#[cfg(all(feature = "ebpf", target_os = "linux"))]
mod loader;
pub mod probe;

use std::collections::HashMap;

use crate::vocab::Category;

use crate::profile::{Capability, KernelCounters, Lifecycle, NetBytes, OffCpu, SyscallCount, SyscallTotals};

/// Syscall numbers counted one by one (bpf/denet.h `DENET_NR_SYSCALLS`).
#[cfg(feature = "ebpf")]
pub const NR_SYSCALLS: usize = 512;

/// How a process takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Count it and the processes it starts.
    Tree,
    /// Count only the processes it starts (denet itself, or its spawner, while starting the command).
    ParentOnly,
}

/// One part of the eBPF set-up and whether it works here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    /// The reason it fails, or a note when it works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Check {
    pub fn ok(name: &str) -> Check {
        Check { name: name.to_string(), ok: true, detail: None }
    }

    pub fn failed(name: &str, reason: String) -> Check {
        Check { name: name.to_string(), ok: false, detail: Some(reason) }
    }

    #[cfg(feature = "ebpf")]
    pub fn with_note(mut self, note: &str) -> Check {
        self.detail = Some(note.to_string());
        self
    }
}

/// Cumulative counters as read from the maps (raw: nanoseconds, per syscall number).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub by_nr: Option<Vec<u64>>,
    pub other_nr: u64,
    /// (blocked, runnable) nanoseconds.
    pub off_cpu: Option<(u64, u64)>,
    /// (processes created, threads created, execs, children lost to a full target map).
    pub lifecycle: (u64, u64, u64, u64),
    /// (sent, received) bytes.
    pub net: Option<(u64, u64)>,
}

/// One process's own eBPF counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessKernel {
    pub syscalls: u64,
    pub off_cpu_ns: u64,
}

impl Snapshot {
    /// What happened between `base` and this snapshot.
    pub fn since(&self, base: &Snapshot) -> KernelCounters {
        let d = |a: u64, b: u64| a.saturating_sub(b);
        let syscalls = self.by_nr.as_ref().map(|now| {
            let before = base.by_nr.as_deref().unwrap_or(&[]);
            let mut totals = SyscallTotals::default();
            for (nr, n) in now.iter().enumerate() {
                let n = d(*n, before.get(nr).copied().unwrap_or(0));
                if n > 0 {
                    totals.add(category_of(nr), n);
                }
            }
            totals.add(Category::Other, d(self.other_nr, base.other_nr));
            totals
        });
        let off_cpu = self.off_cpu.map(|(blocked, runnable)| {
            let (b0, r0) = base.off_cpu.unwrap_or_default();
            let (blocked, runnable) = (d(blocked, b0), d(runnable, r0));
            OffCpu { time_off_cpu: (blocked + runnable) as f64 * 1e-9, time_off_cpu_runnable: runnable as f64 * 1e-9 }
        });
        let (p, t, e, _) = self.lifecycle;
        let (p0, t0, e0, _) = base.lifecycle;
        let lifecycle = Lifecycle { processes_created: d(p, p0), threads_created: d(t, t0), execs: d(e, e0) };
        let net = self.net.map(|(tx, rx)| {
            let (tx0, rx0) = base.net.unwrap_or_default();
            NetBytes { net_tcp_tx_bytes: d(tx, tx0), net_tcp_rx_bytes: d(rx, rx0) }
        });
        KernelCounters { syscalls, off_cpu, lifecycle: Some(lifecycle), net }
    }

    /// The `n` most frequent syscalls between `base` and this snapshot.
    pub fn top_syscalls(&self, base: &Snapshot, n: usize) -> Vec<SyscallCount> {
        let Some(now) = &self.by_nr else { return Vec::new() };
        let before = base.by_nr.as_deref().unwrap_or(&[]);
        let mut counts: Vec<SyscallCount> = now
            .iter()
            .enumerate()
            .map(|(nr, c)| (nr, c.saturating_sub(before.get(nr).copied().unwrap_or(0))))
            .filter(|(_, c)| *c > 0)
            .map(|(nr, count)| SyscallCount {
                name: syscall_name(nr).map(str::to_string).unwrap_or_else(|| format!("syscall_{nr}")),
                category: category_of(nr),
                count,
            })
            .collect();
        counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        counts.truncate(n);
        counts
    }

    /// Children that could not be followed because the target map was full.
    pub fn lost_targets(&self) -> u64 {
        self.lifecycle.3
    }
}

fn category_of(nr: usize) -> Category {
    syscall_name(nr).map(categories::category).unwrap_or(Category::Other)
}

#[cfg(all(feature = "ebpf", target_os = "linux"))]
fn syscall_name(nr: usize) -> Option<&'static str> {
    loader::syscall_name(nr)
}

#[cfg(not(all(feature = "ebpf", target_os = "linux")))]
fn syscall_name(_nr: usize) -> Option<&'static str> {
    None
}

/// The attached programs. Dropping it detaches them and frees their maps.
pub struct Kernel {
    #[cfg(all(feature = "ebpf", target_os = "linux"))]
    programs: loader::Programs,
    #[cfg(not(all(feature = "ebpf", target_os = "linux")))]
    _never: std::convert::Infallible,
}

/// What `open` produced: the programs when at least the core works, and what can and cannot be measured.
pub struct Opened {
    pub kernel: Option<Kernel>,
    pub checks: Vec<Check>,
    pub capabilities: Vec<Capability>,
}

/// The metrics each part provides, for the capability records.
const PARTS: &[(&str, &str)] = &[
    ("syscalls", "syscalls_total"),
    ("off-CPU", "time_off_cpu"),
    ("lifecycle", "processes_created"),
    ("TCP bytes", "net_tcp_tx_bytes"),
];

/// Load the programs for `--ebpf`, warning once about each part that cannot work and why.
pub fn open() -> Opened {
    let started = std::time::Instant::now();
    let (kernel, checks) = load();
    log::debug!("eBPF programs loaded and attached in {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    let capabilities = capabilities(&checks);
    // One warning per reason: without the feature or the privileges, every part fails for the same one.
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for c in capabilities.iter().filter(|c| !c.available) {
        let reason = c.reason.as_deref().unwrap_or("unavailable");
        match reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, metrics)) => metrics.push(&c.metric),
            None => reasons.push((reason, vec![&c.metric])),
        }
    }
    for (reason, metrics) in reasons {
        log::warn!("eBPF metrics not measured ({}): {reason}", metrics.join(", "));
    }
    if let Some(why) = replaced_by_fallback(&checks) {
        log::warn!("TCP bytes: kprobes unavailable ({why}); counting with the sock tracepoints instead");
    }
    Opened { kernel, checks, capabilities }
}

/// Why the kprobes failed, when the sock tracepoints count TCP bytes in their place.
fn replaced_by_fallback(checks: &[Check]) -> Option<&str> {
    let failed = checks.iter().find(|c| !c.ok && c.name.starts_with("TCP bytes (kretprobe"))?;
    checks.iter().any(|c| c.ok && c.name.starts_with("TCP bytes (sock")).then(|| failed.detail.as_deref().unwrap_or(""))
}

/// Load the programs like `open`, without the warnings (doctor shows every check itself).
pub fn open_quietly() -> Opened {
    let (kernel, checks) = load();
    let capabilities = capabilities(&checks);
    Opened { kernel, checks, capabilities }
}

/// One capability per part: available when one of its checks passed, else the first reason.
fn capabilities(checks: &[Check]) -> Vec<Capability> {
    let global = checks.iter().find(|c| !c.ok && !PARTS.iter().any(|(p, _)| c.name.starts_with(p)));
    PARTS
        .iter()
        .map(|(part, metric)| {
            let mine: Vec<&Check> = checks.iter().filter(|c| c.name.starts_with(part)).collect();
            let reason = if mine.iter().any(|c| c.ok) {
                None
            } else {
                Some(
                    mine.first()
                        .or(global.as_ref())
                        .and_then(|c| c.detail.clone())
                        .unwrap_or_else(|| "the eBPF programs are not loaded".to_string()),
                )
            };
            crate::monitor::source::capability(metric, reason)
        })
        .collect()
}

#[cfg(all(feature = "ebpf", target_os = "linux"))]
fn load() -> (Option<Kernel>, Vec<Check>) {
    if let Err(reason) = probe::privileges() {
        return (None, vec![Check::failed("privileges", reason)]);
    }
    if let Err(reason) = probe::pid_namespace() {
        return (None, vec![Check::failed("PID namespace", reason)]);
    }
    let loaded = loader::load();
    (loaded.programs.map(|programs| Kernel { programs }), loaded.checks)
}

#[cfg(not(all(feature = "ebpf", target_os = "linux")))]
fn load() -> (Option<Kernel>, Vec<Check>) {
    (None, vec![Check::failed("ebpf feature", probe::NOT_BUILT.to_string())])
}

#[cfg(all(feature = "ebpf", target_os = "linux"))]
impl Kernel {
    pub fn watch(&self, pid: u32, role: Role) -> anyhow::Result<()> {
        self.programs.watch(pid, role)
    }

    pub fn unwatch(&self, pid: u32) {
        self.programs.unwatch(pid)
    }

    pub fn snapshot(&self) -> Snapshot {
        self.programs.snapshot()
    }

    /// The snapshot and each live target's own counts, read together (once per tick).
    pub fn snapshot_and_processes(&self) -> (Snapshot, HashMap<u32, ProcessKernel>) {
        self.programs.snapshot_and_processes()
    }

    pub fn has_syscalls(&self) -> bool {
        self.programs.has_syscalls()
    }

    pub fn has_offcpu(&self) -> bool {
        self.programs.has_offcpu()
    }
}

#[cfg(not(all(feature = "ebpf", target_os = "linux")))]
impl Kernel {
    pub fn watch(&self, _pid: u32, _role: Role) -> anyhow::Result<()> {
        match self._never {}
    }

    pub fn unwatch(&self, _pid: u32) {
        match self._never {}
    }

    pub fn snapshot(&self) -> Snapshot {
        match self._never {}
    }

    pub fn snapshot_and_processes(&self) -> (Snapshot, HashMap<u32, ProcessKernel>) {
        match self._never {}
    }

    pub fn has_syscalls(&self) -> bool {
        match self._never {}
    }

    pub fn has_offcpu(&self) -> bool {
        match self._never {}
    }
}

/// The ring-buffer probe of `denet doctor`.
#[cfg(all(feature = "ebpf", target_os = "linux"))]
pub fn ring_buffer() -> Result<(), String> {
    loader::ring_buffer()
}

#[cfg(not(all(feature = "ebpf", target_os = "linux")))]
pub fn ring_buffer() -> Result<(), String> {
    Err(probe::NOT_BUILT.to_string())
}
