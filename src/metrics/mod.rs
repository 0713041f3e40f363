//! The benchmark metrics: names (hyperfine 2.0's and denet's own), units, where each comes from, and `--metrics` parsing.

use serde::{Deserialize, Serialize};

use crate::profile::{CgroupCounters, Counter, Events, KernelCounters, RunProfile};
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
    /// valgrind's cachegrind (`--simulate`): one extra run, simulated; exact and deterministic.
    Simulated,
    /// The run's own cgroup: the kernel's accounting of every process that was in it.
    Cgroup,
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
    /// From the simulated run's cachegrind events (`--simulate`), not from the timing runs.
    Simulated(fn(&Events) -> u64),
    /// From the run's own cgroup; None where it had none, or this machine's cgroups lack the file.
    Cgroup(fn(&CgroupCounters) -> Option<f64>),
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
    MemoryPeakResidentTree: "memory_peak_resident_tree", Bytes, Sampled, "Peak RSS whole tree",
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
    /// Of the storage bytes written, those truncated or deleted before writeback: they never reached storage.
    IoWriteCancelledBytes: "io_write_cancelled_bytes", Bytes, ProcCounters, "Storage write cancelled",
        Read::Run(|p| p.tree.cancelled_write_bytes as f64);
    /// Storage bytes written for good: written less cancelled, at least 0.
    IoWriteNetBytes: "io_write_net_bytes", Bytes, ProcCounters, "Storage write net",
        Read::Run(|p| p.tree.net_write_bytes() as f64);
    /// Bytes passed to read-like syscalls.
    IoReadChars: "io_read_chars", Bytes, ProcCounters, "Syscall read", Read::Run(|p| p.tree.rchar as f64);
    /// Bytes passed to write-like syscalls.
    IoWriteChars: "io_write_chars", Bytes, ProcCounters, "Syscall write", Read::Run(|p| p.tree.wchar as f64);
    /// Most processes alive at once: exact (counted in the kernel) with `--ebpf`, else at one sample.
    ProcessesPeak: "processes_peak", Count, Sampled, "Processes peak",
        Read::Run(|p| p.tree.processes_peak_ebpf.unwrap_or(p.tree.processes_peak) as f64);
    /// Most threads (tasks) alive at once: exact (`pids.peak`, which counts every thread) where the run had
    /// its own cgroup, else at one sample.
    ThreadsPeak: "threads_peak", Count, Sampled, "Threads peak",
        Read::Run(|p| p.cgroup.processes_peak_cgroup.unwrap_or(0).max(p.tree.threads_peak) as f64);
    /// High-water mark of the memory charged to the run's cgroup (anonymous, page cache, kernel).
    MemoryPeakCgroup: "memory_peak_cgroup", Bytes, Cgroup, "Peak memory (cgroup)",
        Read::Cgroup(|c| Some(c.memory_peak_cgroup? as f64));
    /// CPU time of every process that was in the run's cgroup, orphans and daemons included.
    TimeCpuCgroup: "time_cpu_cgroup", Time, Cgroup, "CPU time (cgroup)", Read::Cgroup(|c| c.time_cpu_cgroup);
    /// Time at least one task of the run's cgroup waited for a CPU (PSI).
    PressureCpuSome: "pressure_cpu_some", Time, Cgroup, "CPU stall (PSI)", Read::Cgroup(|c| c.pressure_cpu_some);
    /// Time at least one task of the run's cgroup waited for memory (PSI).
    PressureMemorySome: "pressure_memory_some", Time, Cgroup, "Memory stall (PSI)",
        Read::Cgroup(|c| c.pressure_memory_some);
    /// Time at least one task of the run's cgroup waited for I/O (PSI).
    PressureIoSome: "pressure_io_some", Time, Cgroup, "I/O stall (PSI)", Read::Cgroup(|c| c.pressure_io_some);
    /// Processes of the run's cgroup killed by the OOM killer.
    OomKills: "oom_kills", Count, Cgroup, "OOM kills", Read::Cgroup(|c| Some(c.oom_kills? as f64));
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
    /// Instructions executed by the tree in the simulated run (cachegrind's Ir).
    SimInstructions: "sim_instructions", Count, Simulated, "Instructions (sim)", Read::Simulated(|e| e.ir);
    /// Simulated L1 misses: instruction fetches, data reads and writes.
    SimL1Misses: "sim_l1_misses", Count, Simulated, "L1 misses (sim)", Read::Simulated(Events::l1_misses);
    /// Simulated last-level misses (accesses served by RAM).
    SimLlMisses: "sim_ll_misses", Count, Simulated, "LL misses (sim)", Read::Simulated(Events::ll_misses);
    /// Estimated cycles: L1 hits + 5 × LL hits + 35 × RAM hits (iai-callgrind's estimate).
    SimCycles: "sim_cycles", Count, Simulated, "Est. cycles (sim)", Read::Simulated(Events::cycles);
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

    /// The words for a higher and a lower mean in a comparison: "slower"/"faster" for the times
    /// that say how long something took (hyperfine's four, the cgroup's CPU time, the task clock),
    /// "more"/"fewer" for counts, "more"/"less" otherwise: less off-CPU time is not "faster".
    pub fn change_words(self) -> (&'static str, &'static str) {
        use Metric::*;
        match (self, self.dimension()) {
            (TimeWallClock | TimeUser | TimeSystem | TimeCpu | TimeCpuCgroup | TaskClock, _) => ("slower", "faster"),
            (_, Dimension::Count) => ("more", "fewer"),
            _ => ("more", "less"),
        }
    }

    /// Where the figures of `runs` come from: the registry's source, but for the peaks that an exact
    /// count replaces where every run has it: `processes_peak` from eBPF, `threads_peak` from the
    /// cgroup's `pids.peak` (which counts tasks, so threads).
    pub fn source_in(self, runs: &[RunProfile]) -> Source {
        let every = |has: fn(&RunProfile) -> bool| !runs.is_empty() && runs.iter().all(has);
        match self {
            Metric::ProcessesPeak if every(|r| r.tree.processes_peak_ebpf.is_some()) => Source::Ebpf,
            Metric::ThreadsPeak if every(|r| r.cgroup.processes_peak_cgroup.is_some()) => Source::Cgroup,
            m => m.source(),
        }
    }

    /// `label` tagged with `source` for a metric that is sampled without eBPF or a cgroup: "Threads
    /// peak (sampled)", "(cgroup)", "(eBPF)"; other labels as they are.
    pub fn tagged(self, label: &str, source: Source) -> String {
        if self.source() != Source::Sampled {
            return label.to_string();
        }
        match source {
            Source::Ebpf => format!("{label} (eBPF)"),
            Source::Cgroup => format!("{label} (cgroup)"),
            _ => format!("{label} (sampled)"),
        }
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
            // Not a timing run's figure: see `simulated`.
            Read::Simulated(_) => None,
            Read::Cgroup(read) => read(&p.cgroup),
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

    /// From the simulated run (`--simulate`): exact, one value per command.
    pub fn is_simulated(self) -> bool {
        self.source() == Source::Simulated
    }

    /// The value of the simulated run's events; None for a metric of the timing runs.
    pub fn simulated(self, events: &Events) -> Option<f64> {
        match self.spec().read {
            Read::Simulated(read) => Some(read(events) as f64),
            _ => None,
        }
    }

    /// Measured only on request, where this machine can (eBPF, perf_event counters, simulation):
    /// left out of a run that lacks it.
    fn is_optional(self) -> bool {
        self.is_ebpf() || self.counter().is_some() || self.is_simulated() || self.source() == Source::Cgroup
    }
}

/// The metrics that every one of `runs` has (all but the eBPF and counter ones; those when they were measured).
pub fn measured<'r>(runs: impl IntoIterator<Item = &'r RunProfile> + Clone) -> Vec<Metric> {
    let has = |m: Metric| runs.clone().into_iter().all(|r| !m.extract(r).is_nan());
    let any = runs.clone().into_iter().next().is_some();
    Metric::ALL.iter().copied().filter(|&m| !m.is_optional() || (any && has(m))).collect()
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

    /// `Metric::change_words`; a metric denet does not know is a count.
    pub fn change_words(&self) -> (&'static str, &'static str) {
        self.known().map_or(("more", "fewer"), Metric::change_words)
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

mod select;
mod units;

pub use select::{named, parse, Selected};
pub use units::{auto_unit, table_unit, unit, unit_symbols, DisplayUnit};

#[cfg(test)]
mod tests {
    use super::select::MetricsError;
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
        let proc_metrics = Metric::ALL.iter().filter(|m| !m.is_ebpf() && !m.is_simulated()).count();
        assert_eq!(parse("all", false).unwrap().len(), proc_metrics);
        let timed = Metric::ALL.iter().filter(|m| !m.is_simulated()).count();
        assert_eq!(parse("all", true).unwrap().len(), timed, "simulated metrics come with --simulate only");
        assert!(matches!(parse("sim_instructions", true), Err(MetricsError::Simulated(_))));
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
    fn a_sampled_peak_is_exact_where_every_run_has_the_exact_count_and_says_so() {
        let mut run = RunProfile::default();
        run.tree.processes_peak = 1;
        let runs = [run.clone(), run.clone()];
        assert_eq!(Metric::ProcessesPeak.source_in(&runs), Source::Sampled);
        let exact = |mut r: RunProfile| {
            r.tree.processes_peak_ebpf = Some(5);
            r.cgroup.processes_peak_cgroup = Some(7);
            r
        };
        let both = [exact(run.clone()), exact(run.clone())];
        assert_eq!(Metric::ProcessesPeak.source_in(&both), Source::Ebpf);
        assert_eq!(Metric::ProcessesPeak.extract(&both[0]), 5.0, "the kernel's count, not the sample's");
        assert_eq!(Metric::ThreadsPeak.source_in(&both), Source::Cgroup);
        assert_eq!(Metric::ProcessesPeak.source_in(&[exact(run.clone()), run]), Source::Sampled, "one run without");
        assert_eq!(Metric::ThreadsPeak.tagged("Threads peak", Source::Cgroup), "Threads peak (cgroup)");
        assert_eq!(Metric::ProcessesPeak.tagged("Processes peak", Source::Sampled), "Processes peak (sampled)");
        assert_eq!(Metric::TimeUser.tagged("User time", Source::Wait4), "User time", "exact metrics are not tagged");
    }

    #[test]
    fn net_write_is_written_less_cancelled_and_never_negative() {
        let mut run = RunProfile::default();
        (run.tree.write_bytes, run.tree.cancelled_write_bytes) = (50 << 20, 50 << 20);
        assert_eq!(Metric::IoWriteNetBytes.extract(&run), 0.0);
        assert_eq!(Metric::IoWriteCancelledBytes.extract(&run), (50 << 20) as f64);
        run.tree.write_bytes = 4096;
        assert_eq!(Metric::IoWriteNetBytes.extract(&run), 0.0, "another process's pages cancelled: floored at 0");
    }

    #[test]
    fn simulated_metrics_read_the_simulated_run_only() {
        let e = Events { ir: 1000, i1mr: 10, ilmr: 4, ..Events::default() };
        assert_eq!(Metric::SimInstructions.simulated(&e), Some(1000.0));
        assert_eq!(Metric::SimLlMisses.simulated(&e), Some(4.0));
        assert_eq!(Metric::TimeWallClock.simulated(&e), None);
        assert!(Metric::SimCycles.extract(&RunProfile::default()).is_nan(), "no timing run has it");
        assert!(!measured([&RunProfile::default()]).iter().any(|m| m.is_simulated()));
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
