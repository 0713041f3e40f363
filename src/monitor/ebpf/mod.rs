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

use crate::metrics::Metric;
use crate::profile::{Capability, KernelCounters, Lifecycle, NetBytes, OffCpu, SyscallCount, SyscallTotals};

/// How a process takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Count it and the processes it starts.
    Tree,
    /// Count only the processes it starts, each from its exec (denet itself, or its spawner, while
    /// starting the command: what the child runs before its exec is theirs, not the command's).
    ParentOnly,
}

/// One step of the eBPF set-up: a prerequisite of every part, or the programs of one part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Part {
    /// denet was built with the `ebpf` feature.
    Feature,
    Privileges,
    PidNamespace,
    Tracefs,
    /// The target and generation maps that every program shares.
    Maps,
    Lifecycle,
    Syscalls,
    OffCpu,
    /// TCP bytes from kretprobes on tcp_sendmsg and tcp_recvmsg.
    TcpKprobes,
    /// TCP bytes from the sock tracepoints, where kprobes fail.
    TcpTracepoints,
    /// The exact peak of live processes per tree (BPF ISA v3 atomics).
    ProcessesPeak,
}

impl Part {
    const ALL: [Part; 11] = [
        Part::Feature,
        Part::Privileges,
        Part::PidNamespace,
        Part::Tracefs,
        Part::Maps,
        Part::Lifecycle,
        Part::Syscalls,
        Part::OffCpu,
        Part::TcpKprobes,
        Part::TcpTracepoints,
        Part::ProcessesPeak,
    ];

    /// The name doctor prints and the metadata records.
    pub fn name(self) -> &'static str {
        match self {
            Part::Feature => "ebpf feature",
            Part::Privileges => "privileges",
            Part::PidNamespace => "PID namespace",
            Part::Tracefs => "tracefs",
            Part::Maps => "bpf maps",
            Part::Lifecycle => "lifecycle (task_newtask, sched_process_exec/exit)",
            Part::Syscalls => "syscalls (raw_tp/sys_enter)",
            Part::OffCpu => "off-CPU (sched/sched_switch)",
            Part::TcpKprobes => "TCP bytes (kretprobe tcp_sendmsg, tcp_recvmsg)",
            Part::TcpTracepoints => "TCP bytes (sock/sock_send_length, sock_recv_length)",
            Part::ProcessesPeak => "processes peak (task_newtask, sched_process_exit; atomics of Linux 5.12)",
        }
    }

    /// What the part measures; None for a prerequisite of every part.
    fn measures(self) -> Option<MetricGroup> {
        match self {
            Part::Feature | Part::Privileges | Part::PidNamespace | Part::Tracefs | Part::Maps => None,
            Part::Lifecycle => Some(MetricGroup::Lifecycle),
            Part::Syscalls => Some(MetricGroup::Syscalls),
            Part::OffCpu => Some(MetricGroup::OffCpu),
            Part::TcpKprobes | Part::TcpTracepoints => Some(MetricGroup::TcpBytes),
            Part::ProcessesPeak => Some(MetricGroup::ProcessesPeak),
        }
    }
}

impl From<Part> for &'static str {
    fn from(part: Part) -> &'static str {
        part.name()
    }
}

impl TryFrom<String> for Part {
    type Error = String;

    fn try_from(name: String) -> Result<Part, String> {
        Part::ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| format!("unknown eBPF part '{name}'"))
    }
}

/// One part of the eBPF set-up and whether it works here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartStatus {
    #[serde(rename = "name")]
    pub part: Part,
    pub ok: bool,
    /// The reason it fails, or a note when it works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl PartStatus {
    #[cfg(feature = "ebpf")]
    pub fn ok(part: Part) -> PartStatus {
        PartStatus { part, ok: true, detail: None }
    }

    pub fn failed(part: Part, reason: String) -> PartStatus {
        PartStatus { part, ok: false, detail: Some(reason) }
    }

    #[cfg(feature = "ebpf")]
    pub fn with_note(mut self, note: &str) -> PartStatus {
        self.detail = Some(note.to_string());
        self
    }

    /// A failed part whose measurement another part of `all` gives (kprobes → sock tracepoints).
    pub fn is_replaced(&self, all: &[PartStatus]) -> bool {
        let measures = self.part.measures();
        !self.ok && measures.is_some() && all.iter().any(|o| o.ok && o.part.measures() == measures)
    }
}

/// What the eBPF parts measure, one capability record each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetricGroup {
    Syscalls,
    OffCpu,
    Lifecycle,
    TcpBytes,
    /// Not an eBPF metric of its own: it makes `processes_peak` exact, which is sampled without it.
    ProcessesPeak,
}

impl MetricGroup {
    const ALL: [MetricGroup; 5] = [
        MetricGroup::Syscalls,
        MetricGroup::OffCpu,
        MetricGroup::Lifecycle,
        MetricGroup::TcpBytes,
        MetricGroup::ProcessesPeak,
    ];

    /// The metric that stands for it in the capability records.
    fn metric(self) -> Metric {
        match self {
            MetricGroup::Syscalls => Metric::SyscallsTotal,
            MetricGroup::OffCpu => Metric::TimeOffCpu,
            MetricGroup::Lifecycle => Metric::ProcessesCreated,
            MetricGroup::TcpBytes => Metric::NetTcpTxBytes,
            MetricGroup::ProcessesPeak => Metric::ProcessesPeak,
        }
    }

    /// The measurement that gives `metric` (None: not an eBPF metric; `processes_peak`, which the
    /// processes program only makes exact, is never dropped for want of it).
    fn giving(metric: Metric) -> Option<MetricGroup> {
        use Metric::*;
        match metric {
            SyscallsTotal | SyscallsFileIo | SyscallsMemory | SyscallsProcess | SyscallsNetwork | SyscallsIpc
            | SyscallsSignal | SyscallsTime | SyscallsOther => Some(MetricGroup::Syscalls),
            TimeOffCpu | TimeOffCpuRunnable => Some(MetricGroup::OffCpu),
            ProcessesCreated | ThreadsCreated | Execs => Some(MetricGroup::Lifecycle),
            NetTcpTxBytes | NetTcpRxBytes => Some(MetricGroup::TcpBytes),
            _ => None,
        }
    }
}

/// Cumulative counters as read from the maps (raw: nanoseconds, per syscall number).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub by_nr: Option<Vec<u64>>,
    pub other_nr: u64,
    pub off_cpu: Option<OffCpuNs>,
    pub lifecycle: LifecycleCounts,
    pub net: Option<TcpBytes>,
    /// Context switches of the tree (with the off-CPU program).
    pub switches: Option<Switches>,
}

/// Context switches of the tree's threads, as the kernel's nvcsw and nivcsw count them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Switches {
    pub voluntary: u64,
    pub involuntary: u64,
}

/// Off-CPU time of the tree, split by why its threads were switched out.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OffCpuNs {
    pub blocked: u64,
    pub runnable: u64,
}

/// The lifecycle program's counters (bpf/denet.h `denet_lifecycle_counts`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LifecycleCounts {
    pub processes_created: u64,
    pub threads_created: u64,
    pub execs: u64,
    /// Children that could not be followed because the target map was full.
    pub lost_targets: u64,
}

/// TCP bytes of the tree.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TcpBytes {
    pub sent: u64,
    pub received: u64,
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
        let off_cpu = self.off_cpu.map(|now| {
            let before = base.off_cpu.unwrap_or_default();
            let (blocked, runnable) = (d(now.blocked, before.blocked), d(now.runnable, before.runnable));
            OffCpu { time_off_cpu: (blocked + runnable) as f64 * 1e-9, time_off_cpu_runnable: runnable as f64 * 1e-9 }
        });
        let (now, before) = (&self.lifecycle, &base.lifecycle);
        let lifecycle = Lifecycle {
            processes_created: d(now.processes_created, before.processes_created),
            threads_created: d(now.threads_created, before.threads_created),
            execs: d(now.execs, before.execs),
        };
        let net = self.net.map(|now| {
            let before = base.net.unwrap_or_default();
            NetBytes { net_tcp_tx_bytes: d(now.sent, before.sent), net_tcp_rx_bytes: d(now.received, before.received) }
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
        self.lifecycle.lost_targets
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
    pub checks: Vec<PartStatus>,
    pub capabilities: Vec<Capability>,
}

impl Opened {
    /// Whether `metric` is an eBPF metric that cannot be measured here (the warning said why).
    pub fn lacks(&self, metric: Metric) -> bool {
        MetricGroup::giving(metric)
            .is_some_and(|m| self.capabilities.iter().any(|c| !c.available && c.metric == m.metric().name()))
    }
}

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
fn replaced_by_fallback(checks: &[PartStatus]) -> Option<&str> {
    let failed = checks.iter().find(|c| c.part == Part::TcpKprobes && c.is_replaced(checks))?;
    Some(failed.detail.as_deref().unwrap_or(""))
}

/// Load the programs like `open`, without the warnings (doctor shows every check itself).
pub fn open_quietly() -> Opened {
    let (kernel, checks) = load();
    let capabilities = capabilities(&checks);
    Opened { kernel, checks, capabilities }
}

/// One capability per part: available when one of its checks passed, else the first reason.
fn capabilities(checks: &[PartStatus]) -> Vec<Capability> {
    let global = checks.iter().find(|c| !c.ok && c.part.measures().is_none());
    MetricGroup::ALL
        .into_iter()
        .map(|measurement| {
            let mine: Vec<&PartStatus> = checks.iter().filter(|c| c.part.measures() == Some(measurement)).collect();
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
            crate::monitor::source::capability(measurement.metric().name(), reason)
        })
        .collect()
}

#[cfg(all(feature = "ebpf", target_os = "linux"))]
fn load() -> (Option<Kernel>, Vec<PartStatus>) {
    if let Err(reason) = probe::privileges() {
        return (None, vec![PartStatus::failed(Part::Privileges, reason)]);
    }
    if let Err(reason) = probe::pid_namespace() {
        return (None, vec![PartStatus::failed(Part::PidNamespace, reason)]);
    }
    let loaded = loader::load();
    (loaded.programs.map(|programs| Kernel { programs }), loaded.checks)
}

#[cfg(not(all(feature = "ebpf", target_os = "linux")))]
fn load() -> (Option<Kernel>, Vec<PartStatus>) {
    (None, vec![PartStatus::failed(Part::Feature, probe::NOT_BUILT.to_string())])
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

    /// Put `pid`, found alive, into the live-process count of the tree of `root` (`attach`); false
    /// when it was there already or the processes program is not loaded.
    pub fn join_tree(&self, pid: u32, root: u32) -> bool {
        self.programs.join_tree(pid, root)
    }

    /// The most processes of the tree of `root` alive at once, counted from 0 when it was named
    /// (those `join_tree` put in come on top), and the tree forgotten; None without the processes
    /// program, or when the tree never forked nor lost a process.
    pub fn take_tree_peak(&self, root: u32) -> Option<i64> {
        self.programs.take_tree_peak(root)
    }

    pub fn has_processes(&self) -> bool {
        self.programs.has_processes()
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

    pub fn join_tree(&self, _pid: u32, _root: u32) -> bool {
        match self._never {}
    }

    pub fn take_tree_peak(&self, _root: u32) -> Option<i64> {
        match self._never {}
    }

    pub fn has_processes(&self) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_is_recorded_by_its_name_and_read_back() {
        let status = PartStatus::failed(Part::TcpKprobes, "no kprobes".into());
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name": "TCP bytes (kretprobe tcp_sendmsg, tcp_recvmsg)", "ok": false, "detail": "no kprobes"})
        );
        assert_eq!(serde_json::from_value::<PartStatus>(json).unwrap(), status);
        for part in Part::ALL {
            assert_eq!(Part::try_from(part.name().to_string()), Ok(part), "names must be unique");
        }
    }

    #[test]
    fn every_ebpf_metric_has_the_part_that_gives_it() {
        for &metric in Metric::ALL {
            let ebpf = metric.source() == crate::metrics::Source::Ebpf;
            assert_eq!(MetricGroup::giving(metric).is_some(), ebpf, "{}", metric.name());
        }
        for m in MetricGroup::ALL.into_iter().filter(|m| m.metric().is_ebpf()) {
            assert_eq!(MetricGroup::giving(m.metric()), Some(m));
        }
        assert_eq!(MetricGroup::giving(Metric::ProcessesPeak), None, "sampled without eBPF: never dropped");
    }

    #[test]
    fn a_failed_part_is_replaced_only_by_a_working_part_of_the_same_measurement() {
        let kprobes = PartStatus::failed(Part::TcpKprobes, "no kprobes".into());
        let syscalls = PartStatus::failed(Part::Syscalls, "refused".into());
        let sock = PartStatus { part: Part::TcpTracepoints, ok: true, detail: None };
        let all = [kprobes.clone(), syscalls.clone(), sock];
        assert!(kprobes.is_replaced(&all));
        assert!(!syscalls.is_replaced(&all));
        assert_eq!(replaced_by_fallback(&all), Some("no kprobes"));
        assert_eq!(replaced_by_fallback(&all[..2]), None);
    }
}
