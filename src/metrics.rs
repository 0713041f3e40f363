//! The benchmark metrics: names (hyperfine 2.0's and denet's own), units, where each comes from, and `--metrics` parsing.

use serde::{Deserialize, Serialize};

use crate::profile::{Counter, KernelCounters, RunProfile};
use crate::vocab::Category;

/// What a metric measures, which fixes its units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Time,
    Bytes,
    Count,
}

/// Where a figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Monotonic clock around the run.
    Clock,
    /// `wait4` on the run's child: exact.
    Wait4,
    /// The /proc sampler: cumulative counters read at the end (exact for the tree's reaped members).
    ProcCounters,
    /// The /proc sampler at ticks: can miss what happens between two samples.
    Sampled,
    /// A perf_event counter the spawner opens around the run: enabled at exec, inherited by its children.
    PerfEvent,
    /// The eBPF programs (`--ebpf`): every event counted in the kernel.
    Ebpf,
}

/// How a metric is read from a run.
#[derive(Clone, Copy)]
enum Read {
    /// From wait4, the clock and the /proc sampler: always measured.
    Run(fn(&RunProfile) -> f64),
    /// Syscalls of one category, or (None) of all: the nine syscall metrics share this reader.
    Syscalls(Option<Category>),
    /// From another eBPF program's counts; None when that program was not running.
    Kernel(fn(&KernelCounters) -> Option<f64>),
    /// A perf_event counter's count (nanoseconds for a time); absent when it was not counted.
    Counter(Counter),
}

/// What the registry holds for each metric.
#[derive(Clone, Copy)]
struct Spec {
    name: &'static str,
    dimension: Dimension,
    source: Source,
    label: &'static str,
    read: Read,
}

/// The registry: one line per metric (its identity, name, dimension, source, label and reader,
/// with its doc comment); everything else (exports, reports, `--metrics`) follows from it.
macro_rules! registry {
    ($($(#[doc = $doc:literal])+ $id:ident: $name:literal, $dim:ident, $src:ident, $label:literal, $read:expr;)+) => {
        /// A metric denet measures. Unknown names (another tool's metrics) exist only in files: `MetricKey`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Metric {
            $($(#[doc = $doc])+ $id,)+
        }

        impl Metric {
            /// Every metric, in display order: wait4, the clock and /proc first, then perf_event, then eBPF.
            pub const ALL: &'static [Metric] = &[$(Metric::$id),+];

            fn spec(self) -> Spec {
                match self {
                    $(Metric::$id => Spec {
                        name: $name,
                        dimension: Dimension::$dim,
                        source: Source::$src,
                        label: $label,
                        read: $read,
                    },)+
                }
            }
        }
    };
}

registry! {
    /// Spawn to exit, monotonic clock.
    TimeWallClock: "time_wall_clock", Time, Clock, "Wall Time", Read::Run(|p| p.wall_s);
    /// User-mode CPU time of the run and the descendants it reaped.
    TimeUser: "time_user", Time, Wait4, "User time", Read::Run(|p| p.rusage.user_s);
    /// Kernel-mode CPU time, likewise.
    TimeSystem: "time_system", Time, Wait4, "System time", Read::Run(|p| p.rusage.system_s);
    /// User plus system time.
    TimeCpu: "time_cpu", Time, Wait4, "CPU time", Read::Run(|p| p.rusage.user_s + p.rusage.system_s);
    /// Peak RSS of the largest single process (hyperfine's definition).
    MemoryPeakResident: "memory_peak_resident", Bytes, Wait4, "Peak RSS (largest process)",
        Read::Run(|p| p.rusage.max_rss_bytes as f64);
    /// Peak of the summed RSS of the whole tree, at least the largest process's.
    MemoryPeakResidentTree: "memory_peak_resident_tree", Bytes, Sampled, "Peak RSS (whole tree)",
        Read::Run(|p| p.tree.rss_peak_bytes.max(p.rusage.max_rss_bytes) as f64);
    /// Page faults served without I/O.
    PageFaultsMinor: "page_faults_minor", Count, Wait4, "Minor page faults", Read::Run(|p| p.rusage.minor_faults as f64);
    /// Page faults served with I/O.
    PageFaultsMajor: "page_faults_major", Count, Wait4, "Major page faults", Read::Run(|p| p.rusage.major_faults as f64);
    /// Switches of all threads while blocking.
    ContextSwitchesVoluntary: "context_switches_voluntary", Count, Wait4, "Voluntary context switches",
        Read::Run(|p| p.rusage.voluntary_ctx_switches as f64);
    /// Switches of all threads by preemption.
    ContextSwitchesInvoluntary: "context_switches_involuntary", Count, Wait4, "Involuntary context switches",
        Read::Run(|p| p.rusage.involuntary_ctx_switches as f64);
    /// File-system block inputs.
    BlockInputOps: "block_input_ops", Count, Wait4, "Block input operations", Read::Run(|p| p.rusage.block_input_ops as f64);
    /// File-system block outputs.
    BlockOutputOps: "block_output_ops", Count, Wait4, "Block output operations",
        Read::Run(|p| p.rusage.block_output_ops as f64);
    /// Storage bytes read by the tree.
    IoReadBytes: "io_read_bytes", Bytes, ProcCounters, "Storage read", Read::Run(|p| p.tree.read_bytes as f64);
    /// Storage bytes written by the tree.
    IoWriteBytes: "io_write_bytes", Bytes, ProcCounters, "Storage write", Read::Run(|p| p.tree.write_bytes as f64);
    /// Bytes passed to read-like syscalls.
    IoReadChars: "io_read_chars", Bytes, ProcCounters, "Syscall read", Read::Run(|p| p.tree.rchar as f64);
    /// Bytes passed to write-like syscalls.
    IoWriteChars: "io_write_chars", Bytes, ProcCounters, "Syscall write", Read::Run(|p| p.tree.wchar as f64);
    /// Most processes alive at one sample.
    ProcessesPeak: "processes_peak", Count, Sampled, "Processes (peak)", Read::Run(|p| p.tree.processes_peak as f64);
    /// Most threads alive at one sample.
    ThreadsPeak: "threads_peak", Count, Sampled, "Threads (peak)", Read::Run(|p| p.tree.threads_peak as f64);
    /// CPU cycles in user space (hardware counter).
    CpuCycles: "cpu_cycles", Count, PerfEvent, "CPU cycles", Read::Counter(Counter::CpuCycles);
    /// Instructions retired in user space (hardware counter).
    Instructions: "instructions", Count, PerfEvent, "Instructions", Read::Counter(Counter::Instructions);
    /// Last-level cache accesses in user space (hardware counter).
    CacheReferences: "cache_references", Count, PerfEvent, "Cache references", Read::Counter(Counter::CacheReferences);
    /// Last-level cache misses in user space (hardware counter).
    CacheMisses: "cache_misses", Count, PerfEvent, "Cache misses", Read::Counter(Counter::CacheMisses);
    /// Mispredicted branches in user space (hardware counter).
    BranchMisses: "branch_misses", Count, PerfEvent, "Branch misses", Read::Counter(Counter::BranchMisses);
    /// Time on a CPU, user and kernel, of every thread of the tree (the kernel's task clock).
    TaskClock: "task_clock", Time, PerfEvent, "Task clock", Read::Counter(Counter::TaskClock);
    /// Context switches of the tree's threads, voluntary or not (software counter).
    ContextSwitches: "context_switches", Count, PerfEvent, "Context switches", Read::Counter(Counter::ContextSwitches);
    /// Moves of the tree's threads from one CPU to another (software counter).
    CpuMigrations: "cpu_migrations", Count, PerfEvent, "CPU migrations", Read::Counter(Counter::CpuMigrations);
    /// Every syscall the tree made.
    SyscallsTotal: "syscalls_total", Count, Ebpf, "Syscalls", Read::Syscalls(None);
    /// Syscalls on files and descriptors.
    SyscallsFileIo: "syscalls_file_io", Count, Ebpf, "Syscalls: file I/O", Read::Syscalls(Some(Category::FileIo));
    /// Syscalls on memory mappings.
    SyscallsMemory: "syscalls_memory", Count, Ebpf, "Syscalls: memory", Read::Syscalls(Some(Category::Memory));
    /// Syscalls on processes.
    SyscallsProcess: "syscalls_process", Count, Ebpf, "Syscalls: process", Read::Syscalls(Some(Category::Process));
    /// Syscalls on sockets.
    SyscallsNetwork: "syscalls_network", Count, Ebpf, "Syscalls: network", Read::Syscalls(Some(Category::Network));
    /// Syscalls of inter-process communication.
    SyscallsIpc: "syscalls_ipc", Count, Ebpf, "Syscalls: IPC", Read::Syscalls(Some(Category::Ipc));
    /// Syscalls on signals.
    SyscallsSignal: "syscalls_signal", Count, Ebpf, "Syscalls: signal", Read::Syscalls(Some(Category::Signal));
    /// Syscalls on clocks and timers.
    SyscallsTime: "syscalls_time", Count, Ebpf, "Syscalls: time", Read::Syscalls(Some(Category::Time));
    /// Every other syscall.
    SyscallsOther: "syscalls_other", Count, Ebpf, "Syscalls: other", Read::Syscalls(Some(Category::Other));
    /// Time the tree's threads spent switched out.
    TimeOffCpu: "time_off_cpu", Time, Ebpf, "Off-CPU time", Read::Kernel(|k| Some(k.off_cpu?.time_off_cpu));
    /// The part of the off-CPU time spent runnable, waiting for a CPU.
    TimeOffCpuRunnable: "time_off_cpu_runnable", Time, Ebpf, "Off-CPU, runnable",
        Read::Kernel(|k| Some(k.off_cpu?.time_off_cpu_runnable));
    /// Processes forked by the tree.
    ProcessesCreated: "processes_created", Count, Ebpf, "Processes created",
        Read::Kernel(|k| Some(k.lifecycle?.processes_created as f64));
    /// Threads started by the tree.
    ThreadsCreated: "threads_created", Count, Ebpf, "Threads created",
        Read::Kernel(|k| Some(k.lifecycle?.threads_created as f64));
    /// Successful execs by the tree.
    Execs: "execs", Count, Ebpf, "Execs", Read::Kernel(|k| Some(k.lifecycle?.execs as f64));
    /// TCP payload bytes sent.
    NetTcpTxBytes: "net_tcp_tx_bytes", Bytes, Ebpf, "TCP sent", Read::Kernel(|k| Some(k.net?.net_tcp_tx_bytes as f64));
    /// TCP payload bytes received.
    NetTcpRxBytes: "net_tcp_rx_bytes", Bytes, Ebpf, "TCP received", Read::Kernel(|k| Some(k.net?.net_tcp_rx_bytes as f64));
}

impl Metric {
    /// The name in exports and on the command line.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn dimension(self) -> Dimension {
        self.spec().dimension
    }

    pub fn source(self) -> Source {
        self.spec().source
    }

    /// The name people read in reports.
    pub fn label(self) -> &'static str {
        self.spec().label
    }

    /// Unit in the JSON export (hyperfine's words: "second", "byte"; none for counts).
    pub fn json_unit(self) -> Option<&'static str> {
        match self.dimension() {
            Dimension::Time => Some("second"),
            Dimension::Bytes => Some("byte"),
            Dimension::Count => None,
        }
    }

    /// The value of one run, in base units; NaN when not measured (eBPF off, or that program
    /// unavailable), which is never mixed into statistics.
    pub fn extract(self, p: &RunProfile) -> f64 {
        let kernel = match self.spec().read {
            Read::Run(read) => return read(p),
            Read::Syscalls(category) => {
                p.kernel.syscalls.map(|s| category.map_or(s.syscalls_total, |c| s.get(c)) as f64)
            }
            Read::Kernel(read) => read(&p.kernel),
            // Counts are exact integers; a time is counted in nanoseconds.
            Read::Counter(c) => p.counters.get(c).map(|v| match self.dimension() {
                Dimension::Time => v as f64 * 1e-9,
                _ => v as f64,
            }),
        };
        kernel.unwrap_or(f64::NAN)
    }

    /// The metric of this name.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// Counted by the eBPF programs (`--ebpf`).
    pub fn is_ebpf(self) -> bool {
        self.source() == Source::Ebpf
    }

    /// The perf_event counter behind this metric, if it is one.
    pub fn counter(self) -> Option<Counter> {
        match self.spec().read {
            Read::Counter(c) => Some(c),
            _ => None,
        }
    }

    /// Measured only on request, where this machine can (eBPF, perf_event counters): left out of a
    /// run that lacks it.
    fn is_optional(self) -> bool {
        self.is_ebpf() || self.counter().is_some()
    }
}

/// The metrics that every one of `runs` has (all but the eBPF and counter ones; those when they were measured).
pub fn measured<'r>(runs: impl IntoIterator<Item = &'r RunProfile> + Clone) -> Vec<Metric> {
    let has = |m: Metric| runs.clone().into_iter().all(|r| !m.extract(r).is_nan());
    let any = runs.clone().into_iter().next().is_some();
    Metric::ALL.iter().copied().filter(|&m| !m.is_optional() || (any && has(m))).collect()
}

/// The metrics named in a `--metrics` value, not brought in by a preset: those must be measured
/// (a preset's counters are left out where this machine cannot count them, as hyperfine's `all`).
pub fn named(spec: &str) -> Vec<Metric> {
    let name = |item: &str| item.split_once(':').map_or(item, |(n, _)| n).trim().to_string();
    spec.split(',').filter_map(|item| Metric::from_name(&name(item))).collect()
}

/// A metric named in a results file: one denet knows, or another tool's (hyperfine's
/// `instructions`), kept by name. Ordered by name, as the files' maps are.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MetricKey {
    Known(Metric),
    Other(String),
}

impl MetricKey {
    pub fn parse(name: &str) -> MetricKey {
        Metric::from_name(name).map_or_else(|| MetricKey::Other(name.to_string()), MetricKey::Known)
    }

    pub fn name(&self) -> &str {
        match self {
            MetricKey::Known(m) => m.name(),
            MetricKey::Other(name) => name,
        }
    }

    pub fn known(&self) -> Option<Metric> {
        match self {
            MetricKey::Known(m) => Some(*m),
            MetricKey::Other(_) => None,
        }
    }

    /// The label of a known metric; another tool's metric goes by its name.
    pub fn label(&self) -> &str {
        match self {
            MetricKey::Known(m) => m.label(),
            MetricKey::Other(name) => name,
        }
    }

    /// Metrics denet does not know (hyperfine's hardware counters) are counts.
    pub fn dimension(&self) -> Dimension {
        self.known().map_or(Dimension::Count, Metric::dimension)
    }
}

/// hyperfine's primary metric when a file names none.
impl Default for MetricKey {
    fn default() -> MetricKey {
        MetricKey::Known(Metric::TimeWallClock)
    }
}

impl From<Metric> for MetricKey {
    fn from(m: Metric) -> MetricKey {
        MetricKey::Known(m)
    }
}

impl PartialEq<Metric> for MetricKey {
    fn eq(&self, m: &Metric) -> bool {
        *self == MetricKey::Known(*m)
    }
}

impl Ord for MetricKey {
    fn cmp(&self, other: &MetricKey) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl PartialOrd for MetricKey {
    fn partial_cmp(&self, other: &MetricKey) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for MetricKey {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for MetricKey {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<MetricKey, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(de)?;
        Ok(MetricKey::parse(&name))
    }
}

impl std::fmt::Display for MetricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A unit to show a metric in (the units of a bare number on the command line are `options::Unit`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DisplayUnit {
    pub symbol: &'static str,
    /// Base units (seconds, bytes, counts) per display unit.
    pub scale: f64,
    pub dimension: Dimension,
}

const UNITS: &[DisplayUnit] = &[
    DisplayUnit { symbol: "ns", scale: 1e-9, dimension: Dimension::Time },
    DisplayUnit { symbol: "us", scale: 1e-6, dimension: Dimension::Time },
    DisplayUnit { symbol: "µs", scale: 1e-6, dimension: Dimension::Time },
    DisplayUnit { symbol: "ms", scale: 1e-3, dimension: Dimension::Time },
    DisplayUnit { symbol: "s", scale: 1.0, dimension: Dimension::Time },
    DisplayUnit { symbol: "min", scale: 60.0, dimension: Dimension::Time },
    DisplayUnit { symbol: "h", scale: 3600.0, dimension: Dimension::Time },
    DisplayUnit { symbol: "B", scale: 1.0, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "kB", scale: 1e3, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "MB", scale: 1e6, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "GB", scale: 1e9, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "TB", scale: 1e12, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "KiB", scale: 1024.0, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "MiB", scale: 1048576.0, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "GiB", scale: 1073741824.0, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "TiB", scale: 1099511627776.0, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "count", scale: 1.0, dimension: Dimension::Count },
    DisplayUnit { symbol: "k", scale: 1e3, dimension: Dimension::Count },
    DisplayUnit { symbol: "M", scale: 1e6, dimension: Dimension::Count },
    DisplayUnit { symbol: "B", scale: 1e9, dimension: Dimension::Count },
];

/// Find a unit for a dimension by symbol ("B" is bytes for byte metrics and billions for counts).
pub fn unit(symbol: &str, dimension: Dimension) -> Option<DisplayUnit> {
    UNITS.iter().copied().find(|u| u.symbol == symbol && u.dimension == dimension)
}

/// The unit symbols accepted for a dimension, for error messages.
pub fn unit_symbols(dimension: Dimension) -> Vec<&'static str> {
    UNITS.iter().filter(|u| u.dimension == dimension && u.symbol != "µs").map(|u| u.symbol).collect()
}

/// The best unit to show `value` (in base units) in: the largest whose value is at least 1.
pub fn auto_unit(dimension: Dimension, value: f64) -> DisplayUnit {
    let pick = |symbols: &[&str]| {
        let candidates: Vec<DisplayUnit> = symbols.iter().filter_map(|s| unit(s, dimension)).collect();
        candidates.iter().rev().find(|u| value.abs() >= u.scale).copied().unwrap_or(candidates[0])
    };
    match dimension {
        Dimension::Time => pick(&["us", "ms", "s"]).with_symbol_for_display(),
        Dimension::Bytes => pick(&["B", "KiB", "MiB", "GiB"]),
        Dimension::Count => unit("count", dimension).unwrap(),
    }
}

/// hyperfine 2.0's unit for a table or export column scaled by `mean`: a zero mean in the base
/// unit (s, B, count), else the largest unit that keeps the mean at least 1, from ns to h, bytes in
/// binary steps, counts in k, M and B. The charts keep `auto_unit`'s fewer steps on their axes.
pub fn table_unit(dimension: Dimension, mean: f64) -> DisplayUnit {
    let symbols: &[&str] = match dimension {
        Dimension::Time => &["ns", "µs", "ms", "s", "min", "h"],
        Dimension::Bytes => &["B", "KiB", "MiB", "GiB", "TiB"],
        Dimension::Count => &["count", "k", "M", "B"],
    };
    let units: Vec<DisplayUnit> = symbols.iter().filter_map(|s| unit(s, dimension)).collect();
    let base = units.iter().copied().find(|u| u.scale == 1.0).unwrap_or(units[0]);
    if mean == 0.0 {
        return base;
    }
    units.iter().rev().find(|u| mean.abs() >= u.scale).copied().unwrap_or(units[0])
}

impl DisplayUnit {
    /// Show microseconds as µs.
    fn with_symbol_for_display(self) -> DisplayUnit {
        if self.symbol == "us" {
            DisplayUnit { symbol: "µs", ..self }
        } else {
            self
        }
    }

    /// `value` in base units, expressed in this unit.
    pub fn convert(&self, value: f64) -> f64 {
        value / self.scale
    }
}

/// A metric selected by `--metrics`, with an optional fixed display unit.
#[derive(Debug, Clone, Copy)]
pub struct Selected {
    pub metric: Metric,
    pub unit: Option<DisplayUnit>,
}

/// The presets of `--metrics`.
/// `all` includes the eBPF metrics when `ebpf` (`--ebpf`) is on; `ebpf` is the eBPF metrics alone.
pub fn preset(name: &str, ebpf: bool) -> Option<Vec<Metric>> {
    use Metric::*;
    let all = Metric::ALL.iter().copied();
    match name {
        // hyperfine 2.0's two presets, in its order.
        "default" => Some(vec![TimeWallClock, MemoryPeakResident]),
        "time" => Some(vec![TimeWallClock, TimeCpu, TimeUser, TimeSystem]),
        // What a process does beyond its time: the tree's memory, storage I/O, switches and faults.
        "resources" => Some(vec![
            TimeWallClock,
            TimeCpu,
            MemoryPeakResident,
            MemoryPeakResidentTree,
            IoReadBytes,
            IoWriteBytes,
            ContextSwitchesVoluntary,
            ContextSwitchesInvoluntary,
            PageFaultsMinor,
            PageFaultsMajor,
        ]),
        "all" => Some(all.filter(|m| ebpf || !m.is_ebpf()).collect()),
        "ebpf" => Some(all.filter(|m| m.is_ebpf()).collect()),
        _ => None,
    }
}

/// Why a `--metrics` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsError {
    Unknown(String),
    NeedsEbpf(String),
    BadUnit { metric: String, unit: String, accepted: Vec<&'static str> },
    Empty,
}

impl std::fmt::Display for MetricsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricsError::Unknown(m) => write!(
                f,
                "Unknown metric '{m}'. Expected one of: {}, or a preset: default, time, resources, all, ebpf (docs/metrics.md)",
                Metric::ALL.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
            ),
            MetricsError::NeedsEbpf(m) => {
                write!(f, "metric '{m}' is counted by the eBPF programs; add --ebpf (docs/ebpf.md)")
            }
            MetricsError::BadUnit { metric, unit, accepted } => {
                write!(f, "Unit '{unit}' is not valid for metric '{metric}'. Expected one of: {}", accepted.join(", "))
            }
            MetricsError::Empty => write!(f, "no metric given; e.g. --metrics time_wall_clock,memory_peak_resident"),
        }
    }
}

/// Parse `--metrics M[:UNIT],...`; presets expand in place, duplicates are dropped, the first is primary.
pub fn parse(spec: &str, ebpf: bool) -> Result<Vec<Selected>, MetricsError> {
    let mut out: Vec<Selected> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, unit_sym) = match item.split_once(':') {
            Some((n, u)) => (n.trim(), Some(u.trim())),
            None => (item, None),
        };
        let metrics = match preset(name, ebpf) {
            Some(metrics) if unit_sym.is_none() => metrics,
            _ => vec![Metric::from_name(name).ok_or_else(|| MetricsError::Unknown(name.to_string()))?],
        };
        for metric in metrics {
            if metric.is_ebpf() && !ebpf {
                return Err(MetricsError::NeedsEbpf(metric.name().to_string()));
            }
            let unit = unit_sym
                .map(|u| {
                    // hyperfine's ASCII spelling of µs, shown as µs.
                    let u = if u == "us" { "µs" } else { u };
                    unit(u, metric.dimension()).ok_or_else(|| MetricsError::BadUnit {
                        metric: metric.name().to_string(),
                        unit: u.to_string(),
                        accepted: unit_symbols(metric.dimension()),
                    })
                })
                .transpose()?;
            if !out.iter().any(|s| s.metric == metric) {
                out.push(Selected { metric, unit });
            }
        }
    }
    if out.is_empty() {
        return Err(MetricsError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_presets_units_and_keeps_order() {
        let m = parse("memory_peak_resident:MiB,default", false).unwrap();
        let names: Vec<_> = m.iter().map(|s| s.metric.name()).collect();
        assert_eq!(names, ["memory_peak_resident", "time_wall_clock"]);
        let time: Vec<_> = parse("time", false).unwrap().iter().map(|s| s.metric.name()).collect();
        assert_eq!(time, ["time_wall_clock", "time_cpu", "time_user", "time_system"], "hyperfine's order");
        assert_eq!(parse("time_user:us", false).unwrap()[0].unit.unwrap().symbol, "µs");
        assert_eq!(m[0].unit.unwrap().symbol, "MiB");
        assert_eq!(parse("time_wall_clock:ms", false).unwrap()[0].unit.unwrap().scale, 1e-3);
        assert_eq!(parse("page_faults_minor:k", false).unwrap()[0].unit.unwrap().scale, 1e3);
    }

    #[test]
    fn refuses_unknown_names_and_units() {
        assert!(matches!(parse("time_wallclock", false), Err(MetricsError::Unknown(_))));
        assert!(matches!(parse("time_wall_clock:MiB", false), Err(MetricsError::BadUnit { .. })));
        assert_eq!(parse("instructions", false).unwrap()[0].metric, Metric::Instructions);
        assert!(matches!(parse(" , ", false), Err(MetricsError::Empty)));
    }

    #[test]
    fn ebpf_metrics_need_the_flag() {
        assert!(matches!(parse("syscalls_total", false), Err(MetricsError::NeedsEbpf(_))));
        assert_eq!(parse("syscalls_total,time_off_cpu:ms", true).unwrap()[1].unit.unwrap().symbol, "ms");
        let proc_metrics = Metric::ALL.iter().filter(|m| !m.is_ebpf()).count();
        assert_eq!(parse("all", false).unwrap().len(), proc_metrics);
        assert_eq!(parse("all", true).unwrap().len(), Metric::ALL.len());
        let run = RunProfile::default();
        let always = Metric::ALL.iter().filter(|m| !m.is_optional()).count();
        assert_eq!(measured([&run]).len(), always, "eBPF and counter metrics of a run without them are left out");
    }

    #[test]
    fn counters_read_from_the_run_and_only_when_counted() {
        let mut run = RunProfile::default();
        assert!(!measured([&run]).contains(&Metric::TaskClock), "not counted: left out");
        run.counters.set(Counter::TaskClock, Some(1_500_000));
        run.counters.set(Counter::ContextSwitches, Some(7));
        assert_eq!(Metric::TaskClock.extract(&run), 0.0015, "nanoseconds to seconds");
        assert_eq!(Metric::ContextSwitches.extract(&run), 7.0);
        assert!(measured([&run]).contains(&Metric::TaskClock) && !measured([&run]).contains(&Metric::Instructions));
        assert_eq!(Metric::Instructions.json_unit(), None, "a count has no unit in hyperfine's JSON");
    }

    #[test]
    fn named_metrics_are_those_not_from_a_preset() {
        assert_eq!(named("all, instructions:k,time"), [Metric::Instructions]);
        assert_eq!(named("default"), []);
    }

    #[test]
    fn picks_readable_units() {
        assert_eq!(auto_unit(Dimension::Time, 0.0123).symbol, "ms");
        assert_eq!(auto_unit(Dimension::Time, 0.000_5).symbol, "µs");
        assert_eq!(auto_unit(Dimension::Time, 2.0).symbol, "s");
        assert_eq!(auto_unit(Dimension::Bytes, 200.0 * 1048576.0).symbol, "MiB");
        assert_eq!(auto_unit(Dimension::Bytes, 100.0).symbol, "B");
    }

    #[test]
    fn picks_hyperfines_table_units() {
        let sym = |d, v| table_unit(d, v).symbol;
        assert_eq!(sym(Dimension::Time, 0.0), "s", "a zero mean is shown in the base unit");
        assert_eq!(sym(Dimension::Time, 5e-7), "ns");
        assert_eq!(sym(Dimension::Time, 0.000_5), "µs");
        assert_eq!(sym(Dimension::Time, 1000.0), "min");
        assert_eq!(sym(Dimension::Time, 7200.0), "h");
        assert_eq!(sym(Dimension::Bytes, 0.0), "B");
        assert_eq!(sym(Dimension::Bytes, 3.0 * 1048576.0), "MiB");
        assert_eq!(sym(Dimension::Count, 0.0), "count");
        assert_eq!(sym(Dimension::Count, 143.2e9), "B");
        assert_eq!(sym(Dimension::Count, 12.0), "count");
        assert_eq!(table_unit(Dimension::Count, 143.2e9).convert(143.2e9), 143.2);
    }
}
