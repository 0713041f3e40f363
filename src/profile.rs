//! The measurements a monitor produces: samples, per-process entries, summaries, one bench run's profile.

use serde::{Deserialize, Serialize};

use crate::vocab::Category;

mod simulation;
pub use simulation::{Caches, Events, Simulation};

/// Cumulative counters of a process or a tree, all since monitoring began.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// User plus system CPU time, seconds.
    pub cpu_time_s: f64,
    /// Bytes fetched from storage (`read_bytes` in /proc/PID/io).
    pub read_bytes: u64,
    /// Bytes sent to storage (`write_bytes` in /proc/PID/io).
    pub write_bytes: u64,
    /// Bytes this tree dirtied that never reached storage because it truncated or deleted the file
    /// first (`cancelled_write_bytes`: charged to the process that truncates, not the writer).
    #[serde(default)]
    pub cancelled_write_bytes: u64,
    /// Bytes passed to read-like syscalls (`rchar`).
    pub rchar: u64,
    /// Bytes passed to write-like syscalls (`wchar`).
    pub wchar: u64,
    /// Minor page faults.
    pub minor_faults: u64,
    /// Major page faults.
    pub major_faults: u64,
    /// Voluntary context switches.
    pub voluntary_ctx_switches: u64,
    /// Involuntary context switches.
    pub involuntary_ctx_switches: u64,
}

impl Counters {
    /// Apply `f` to each pair of fields and collect the results.
    pub fn zip_with(&self, o: &Counters, fi: impl Fn(u64, u64) -> u64, ff: impl Fn(f64, f64) -> f64) -> Counters {
        Counters {
            cpu_time_s: ff(self.cpu_time_s, o.cpu_time_s),
            read_bytes: fi(self.read_bytes, o.read_bytes),
            write_bytes: fi(self.write_bytes, o.write_bytes),
            cancelled_write_bytes: fi(self.cancelled_write_bytes, o.cancelled_write_bytes),
            rchar: fi(self.rchar, o.rchar),
            wchar: fi(self.wchar, o.wchar),
            minor_faults: fi(self.minor_faults, o.minor_faults),
            major_faults: fi(self.major_faults, o.major_faults),
            voluntary_ctx_switches: fi(self.voluntary_ctx_switches, o.voluntary_ctx_switches),
            involuntary_ctx_switches: fi(self.involuntary_ctx_switches, o.involuntary_ctx_switches),
        }
    }

    pub fn add(&self, o: &Counters) -> Counters {
        self.zip_with(o, u64::saturating_add, |a, b| a + b)
    }

    /// Bytes written to storage for good: written, less what was truncated or deleted before it got there.
    pub fn net_write_bytes(&self) -> u64 {
        self.write_bytes.saturating_sub(self.cancelled_write_bytes)
    }
}

/// Syscalls of the tree from the eBPF syscall program: every syscall counted, per category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SyscallTotals {
    pub syscalls_total: u64,
    pub syscalls_file_io: u64,
    pub syscalls_memory: u64,
    pub syscalls_process: u64,
    pub syscalls_network: u64,
    pub syscalls_ipc: u64,
    pub syscalls_signal: u64,
    pub syscalls_time: u64,
    pub syscalls_other: u64,
}

impl SyscallTotals {
    /// Count `n` syscalls of category `c` (and in the total: the categories always add up to it).
    pub fn add(&mut self, c: Category, n: u64) {
        self.syscalls_total += n;
        *self.slot(c) += n;
    }

    fn slot(&mut self, c: Category) -> &mut u64 {
        match c {
            Category::FileIo => &mut self.syscalls_file_io,
            Category::Memory => &mut self.syscalls_memory,
            Category::Process => &mut self.syscalls_process,
            Category::Network => &mut self.syscalls_network,
            Category::Ipc => &mut self.syscalls_ipc,
            Category::Signal => &mut self.syscalls_signal,
            Category::Time => &mut self.syscalls_time,
            Category::Other => &mut self.syscalls_other,
        }
    }

    /// The count of one category.
    pub fn get(&self, c: Category) -> u64 {
        let mut copy = *self;
        *copy.slot(c)
    }
}

/// Off-CPU time of the tree's threads from sched_switch, seconds (intervals counted when the thread runs again).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OffCpu {
    /// Blocked, sleeping or waiting for a CPU: all time switched out.
    pub time_off_cpu: f64,
    /// The part spent runnable but preempted (waiting for a CPU).
    pub time_off_cpu_runnable: f64,
}

/// Processes and threads started, and execs, by the tree (exact, from the kernel's fork and exec events).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    pub processes_created: u64,
    pub threads_created: u64,
    pub execs: u64,
}

/// TCP payload bytes sent and received by the tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct NetBytes {
    pub net_tcp_tx_bytes: u64,
    pub net_tcp_rx_bytes: u64,
}

/// What the eBPF programs counted (`--ebpf`): each part absent when it was not measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct KernelCounters {
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub syscalls: Option<SyscallTotals>,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub off_cpu: Option<OffCpu>,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub net: Option<NetBytes>,
}

impl KernelCounters {
    pub fn is_empty(&self) -> bool {
        self.syscalls.is_none() && self.off_cpu.is_none() && self.lifecycle.is_none() && self.net.is_none()
    }
}

/// What a run's own cgroup counted (exact kernel accounting; docs/metrics.md): each figure absent
/// where this machine's cgroups do not give it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CgroupCounters {
    /// High-water mark of the memory charged to the group, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_peak_cgroup: Option<u64>,
    /// CPU time of every process that was in the group, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_cpu_cgroup: Option<f64>,
    /// Most processes in the group at once (`pids.peak`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processes_peak_cgroup: Option<u64>,
    /// PSI "some" stall time of the group, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pressure_cpu_some: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pressure_memory_some: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pressure_io_some: Option<f64>,
    /// Processes of the group the OOM killer killed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oom_kills: Option<u64>,
}

impl CgroupCounters {
    pub fn is_empty(&self) -> bool {
        *self == CgroupCounters::default()
    }
}

/// How a run ended besides its exit status: a limit of denet's stopped it, or processes outlived it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLimits {
    /// `--timeout` ran out: the run's whole group was killed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// The OOM killer killed a process of the run (`--memory-limit`, or the machine's memory).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub oom_killed: bool,
    /// Processes left in the run's group after its main process exited ("PID name"), killed
    /// unless `--keep-strays`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strays: Vec<String>,
}

/// One syscall and how often the tree made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyscallCount {
    pub name: String,
    pub category: Category,
    pub count: u64,
}

/// One process at one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessSample {
    pub pid: u32,
    pub ppid: u32,
    pub name: String,
    /// CPU use since the previous sample; 100 = one busy core.
    pub cpu_percent: f64,
    pub rss_bytes: u64,
    /// Peak RSS of this process so far (VmHWM: exact, not sampled).
    pub rss_peak_bytes: u64,
    pub vms_bytes: u64,
    pub threads: u64,
    /// The process's own cumulative counters (its reaped children included, as the kernel counts them).
    #[serde(flatten)]
    pub counters: Counters,
    /// Its own syscalls while monitored (eBPF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syscalls: Option<u64>,
    /// Its threads' off-CPU time while monitored, seconds (eBPF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_off_cpu: Option<f64>,
}

/// The whole tree at one sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// CPU use of the tree since the previous sample; 100 = one busy core.
    pub cpu_percent: f64,
    /// Sum of the resident set sizes of the live processes.
    pub rss_bytes: u64,
    pub vms_bytes: u64,
    pub threads: u64,
    pub processes: u64,
    /// Tree totals since monitoring began, exited processes included.
    #[serde(flatten)]
    pub counters: Counters,
    /// eBPF tree totals since monitoring began.
    #[serde(flatten)]
    pub kernel: KernelCounters,
}

/// One tick of the monitor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since monitoring began.
    pub t: f64,
    /// Wall-clock time, RFC 3339.
    pub ts: String,
    /// Seconds covered by this sample (since the previous one).
    pub dt: f64,
    pub aggregate: Aggregate,
    pub processes: Vec<ProcessSample>,
}

/// Exact figures from `wait4` on a child; times in seconds, peak RSS in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Rusage {
    pub user_s: f64,
    pub system_s: f64,
    /// Peak RSS of the largest single process among the child and its reaped descendants.
    pub max_rss_bytes: u64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub voluntary_ctx_switches: u64,
    pub involuntary_ctx_switches: u64,
    /// Block input operations (512-byte units as the kernel counts them).
    pub block_input_ops: u64,
    pub block_output_ops: u64,
}

impl Rusage {
    /// Combine two rusages as the kernel does for reaped descendants: sums, and max for peak RSS.
    pub fn merge(&self, o: &Rusage) -> Rusage {
        Rusage {
            user_s: self.user_s + o.user_s,
            system_s: self.system_s + o.system_s,
            max_rss_bytes: self.max_rss_bytes.max(o.max_rss_bytes),
            minor_faults: self.minor_faults + o.minor_faults,
            major_faults: self.major_faults + o.major_faults,
            voluntary_ctx_switches: self.voluntary_ctx_switches + o.voluntary_ctx_switches,
            involuntary_ctx_switches: self.involuntary_ctx_switches + o.involuntary_ctx_switches,
            block_input_ops: self.block_input_ops + o.block_input_ops,
            block_output_ops: self.block_output_ops + o.block_output_ops,
        }
    }
}

/// How a child ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitStatus {
    /// Exit code when the child exited normally.
    pub code: Option<i32>,
    /// Signal number when the child was killed by a signal.
    pub signal: Option<i32>,
}

impl ExitStatus {
    /// The shell convention: the exit code, or 128 + N for signal N.
    pub fn shell_code(&self) -> i32 {
        match (self.code, self.signal) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s,
            (None, None) => 1,
        }
    }
}

/// The end-of-monitoring summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub duration_s: f64,
    pub samples: u64,
    pub cpu_percent_peak: f64,
    /// CPU time over the monitored duration; 100 = one busy core on average.
    pub cpu_percent_mean: f64,
    /// Peak of the summed RSS of all live processes of the tree (sampled).
    pub rss_peak_tree_bytes: u64,
    /// Peak RSS of the largest single process (VmHWM, exact per process).
    pub rss_peak_process_bytes: u64,
    pub processes_peak: u64,
    pub threads_peak: u64,
    /// Distinct processes seen over the run.
    pub processes_seen: u64,
    /// Tree totals over the monitored duration.
    #[serde(flatten)]
    pub totals: Counters,
    /// eBPF tree totals over the monitored duration.
    #[serde(flatten)]
    pub kernel: KernelCounters,
    /// The most frequent syscalls (eBPF).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_syscalls: Vec<SyscallCount>,
    /// Exact figures from `wait4` (only for `denet run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rusage: Option<Rusage>,
    /// Exact figures from the command's own cgroup (only for `denet run`, where it has one).
    #[serde(flatten, default)]
    pub cgroup: CgroupCounters,
    /// `timed_out`, `oom_killed` and the strays (only for `denet run`).
    #[serde(flatten, default)]
    pub limits: RunLimits,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<ExitStatus>,
    /// The fields above that are sampled (read at ticks, so they can miss what happens between two)
    /// rather than exact kernel counters; docs/metrics.md says which is which and why.
    #[serde(default = "sampled_fields")]
    pub sampled: Vec<String>,
    /// What became unmeasurable during the run, with the reason (what was known at the start is
    /// in the metadata record's `capabilities`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<Capability>,
}

/// Summary fields whose values come from samples, not from exact kernel accounting: each is a lower
/// bound (a sample can miss a short process, a brief peak, the switches of a process between two
/// ticks). `run` removes those it replaces with exact figures (`Summary::with_wait4`, `with_ebpf`).
pub fn sampled_fields() -> Vec<String> {
    [
        "cpu_percent_peak",
        "rss_peak_tree_bytes",
        "processes_peak",
        "threads_peak",
        "processes_seen",
        "voluntary_ctx_switches",
        "involuntary_ctx_switches",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

impl Summary {
    /// Whether `field` is sampled (a lower bound) rather than exact.
    pub fn is_sampled(&self, field: &str) -> bool {
        self.sampled.iter().any(|f| f == field)
    }

    fn now_exact(&mut self, fields: &[&str]) {
        self.sampled.retain(|f| !fields.contains(&f.as_str()));
    }

    /// Replace the sampled tree totals with wait4's exact ones for the command and every descendant
    /// reaped (denet is the subreaper, so orphans too): one figure per quantity. A sampled total can
    /// still be larger (a process that was never reaped, still running), so each keeps the larger.
    pub fn with_wait4(mut self, r: &Rusage) -> Summary {
        let t = &mut self.totals;
        t.cpu_time_s = t.cpu_time_s.max(r.user_s + r.system_s);
        t.minor_faults = t.minor_faults.max(r.minor_faults);
        t.major_faults = t.major_faults.max(r.major_faults);
        t.voluntary_ctx_switches = t.voluntary_ctx_switches.max(r.voluntary_ctx_switches);
        t.involuntary_ctx_switches = t.involuntary_ctx_switches.max(r.involuntary_ctx_switches);
        // wait4's peak is exact for the largest process; a lower bound on the tree's summed peak too,
        // which sampling can miss in short runs.
        self.rss_peak_process_bytes = self.rss_peak_process_bytes.max(r.max_rss_bytes);
        self.rss_peak_tree_bytes = self.rss_peak_tree_bytes.max(r.max_rss_bytes);
        if self.duration_s > 0.0 {
            self.cpu_percent_mean = 100.0 * self.totals.cpu_time_s / self.duration_s;
        }
        self.now_exact(&["voluntary_ctx_switches", "involuntary_ctx_switches"]);
        self.rusage = Some(*r);
        self
    }

    /// With eBPF's process lifecycle, every process of the tree is counted: the `initial` ones (the
    /// command for `run`; for `attach`, those found alive and put into the count) and each forked since.
    pub fn with_ebpf_processes(mut self, initial: u64) -> Summary {
        if let Some(l) = self.kernel.lifecycle {
            self.processes_seen = self.processes_seen.max(l.processes_created + initial);
            self.now_exact(&["processes_seen"]);
        }
        self
    }

    /// The exact peak of live processes, from the eBPF processes program (`--ebpf`).
    pub fn with_ebpf_processes_peak(mut self, peak: u64) -> Summary {
        self.processes_peak = peak;
        self.now_exact(&["processes_peak"]);
        self
    }

    /// The tree's context switches as the eBPF off-CPU program counted them in the kernel: exact where
    /// there is no wait4 (`attach`), one figure per quantity.
    pub fn with_ebpf_switches(mut self, voluntary: u64, involuntary: u64) -> Summary {
        (self.totals.voluntary_ctx_switches, self.totals.involuntary_ctx_switches) = (voluntary, involuntary);
        self.now_exact(&["voluntary_ctx_switches", "involuntary_ctx_switches"]);
        self
    }
}

/// Folds samples into a summary, one at a time (a recording can be long).
#[derive(Debug)]
pub struct SummaryBuilder {
    summary: Summary,
    pids: std::collections::HashSet<u32>,
}

impl Default for SummaryBuilder {
    fn default() -> Self {
        SummaryBuilder {
            summary: Summary { sampled: sampled_fields(), ..Summary::default() },
            pids: Default::default(),
        }
    }
}

impl SummaryBuilder {
    pub fn observe(&mut self, s: &Sample) {
        let m = &mut self.summary;
        let a = &s.aggregate;
        m.duration_s = s.t;
        m.samples += 1;
        m.cpu_percent_peak = m.cpu_percent_peak.max(a.cpu_percent);
        m.rss_peak_tree_bytes = m.rss_peak_tree_bytes.max(a.rss_bytes);
        m.processes_peak = m.processes_peak.max(a.processes);
        m.threads_peak = m.threads_peak.max(a.threads);
        m.totals = a.counters;
        m.kernel = a.kernel;
        for p in &s.processes {
            m.rss_peak_process_bytes = m.rss_peak_process_bytes.max(p.rss_peak_bytes);
            self.pids.insert(p.pid);
        }
        m.processes_seen = self.pids.len() as u64;
        m.cpu_percent_mean = if m.duration_s > 0.0 { 100.0 * m.totals.cpu_time_s / m.duration_s } else { 0.0 };
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    pub fn finish(self) -> Summary {
        self.summary
    }
}

/// What the recording could and could not measure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Capability {
    pub metric: String,
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Host, kernel, CPU and the settings that move benchmark numbers. `None` means not readable here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvRecord {
    pub hostname: Option<String>,
    pub os: String,
    pub arch: String,
    pub kernel: Option<String>,
    pub cpu_model: Option<String>,
    /// Logical CPUs online.
    pub logical_cpus: usize,
    pub physical_cores: Option<usize>,
    pub sockets: Option<usize>,
    pub numa_nodes: Option<usize>,
    /// Hardware threads per core.
    pub threads_per_core: Option<usize>,
    /// Simultaneous multithreading: "on", "off", "notsupported", ...
    pub smt: Option<String>,
    /// CPUs this process may run on (inherited affinity), as a list like "0-3,6".
    pub affinity: Option<String>,
    /// Scaling governors in use, deduplicated (e.g. ["performance"]).
    pub governors: Vec<String>,
    pub cpu_mhz_current: Option<f64>,
    pub cpu_mhz_min: Option<f64>,
    pub cpu_mhz_max: Option<f64>,
    /// Transparent huge pages mode (the bracketed choice in sysfs).
    pub transparent_hugepages: Option<String>,
    pub memory_total_bytes: Option<u64>,
    /// What on this machine makes benchmarks noisy, each with its fix (`denet doctor --bench`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub noise: Vec<NoiseFinding>,
}

/// One setting that moves benchmark numbers, as found, and how to fix it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoiseFinding {
    /// What was checked: "governor", "turbo", "smt", "aslr", "load", "swap", "thermal", "isolated_cpus", ...
    pub check: String,
    /// What was found, in words.
    pub found: String,
    /// How to make it quiet; empty when nothing needs doing.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fix: String,
    /// True when it makes benchmarks noisy here (a warning); false for a fact worth knowing.
    pub noisy: bool,
}

/// One point of a run's resource timeline (for charts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Seconds since the run started.
    pub t: f64,
    pub cpu_percent: f64,
    pub rss_bytes: u64,
    /// Syscalls of the run so far (eBPF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syscalls: Option<u64>,
}

/// What the /proc sampler saw of a run's process tree (sampled figures, and cumulative counters read at the end).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TreeProfile {
    /// Peak of the summed RSS of the tree's live processes (sampled).
    pub rss_peak_bytes: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// Of `write_bytes`, the bytes truncated or deleted before writeback (charged to whoever did it).
    #[serde(default)]
    pub cancelled_write_bytes: u64,
    pub rchar: u64,
    pub wchar: u64,
    pub processes_peak: u64,
    /// The exact peak of live processes, counted in the kernel (`--ebpf`, bpf/processes.bpf.c).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processes_peak_ebpf: Option<u64>,
    pub threads_peak: u64,
    pub samples: u64,
    /// At most a few hundred points, evenly thinned.
    pub timeline: Vec<TimelinePoint>,
}

impl TreeProfile {
    /// Fold one sample of the run's tree in: peaks rise, cumulative counters take the latest value.
    pub fn observe(&mut self, a: &Aggregate) {
        self.rss_peak_bytes = self.rss_peak_bytes.max(a.rss_bytes);
        self.processes_peak = self.processes_peak.max(a.processes);
        self.threads_peak = self.threads_peak.max(a.threads);
        let c = &a.counters;
        (self.read_bytes, self.write_bytes, self.rchar, self.wchar) = (c.read_bytes, c.write_bytes, c.rchar, c.wchar);
        self.cancelled_write_bytes = c.cancelled_write_bytes;
        self.samples += 1;
    }

    /// Bytes written to storage for good: written, less what was truncated or deleted first (at least 0).
    pub fn net_write_bytes(&self) -> u64 {
        self.write_bytes.saturating_sub(self.cancelled_write_bytes)
    }
}

/// A perf_event counter that the spawner reads around each run (docs/metrics.md, "Counters").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    CpuCycles,
    Instructions,
    CacheReferences,
    CacheMisses,
    BranchMisses,
    TaskClock,
    ContextSwitches,
    CpuMigrations,
}

impl Counter {
    pub const ALL: [Counter; 8] = [
        Counter::CpuCycles,
        Counter::Instructions,
        Counter::CacheReferences,
        Counter::CacheMisses,
        Counter::BranchMisses,
        Counter::TaskClock,
        Counter::ContextSwitches,
        Counter::CpuMigrations,
    ];
}

/// One run's counts, each absent when it was not counted (not asked for, or not readable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterValues([Option<u64>; Counter::ALL.len()]);

impl CounterValues {
    pub fn get(&self, c: Counter) -> Option<u64> {
        self.0[c as usize]
    }

    pub fn set(&mut self, c: Counter, value: Option<u64>) {
        self.0[c as usize] = value;
    }
}

/// One benchmark run's measurements.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunProfile {
    /// Spawn to observed exit, monotonic clock, seconds.
    pub wall_s: f64,
    /// Exact figures from `wait4` on this run's child.
    pub rusage: Rusage,
    pub tree: TreeProfile,
    pub exit: Option<ExitStatus>,
    /// Seconds from the start of the benchmark to the start of this run (for drift charts).
    pub started_s: f64,
    /// What the eBPF programs counted during this run (`--ebpf`).
    #[serde(default, skip_serializing_if = "KernelCounters::is_empty")]
    pub kernel: KernelCounters,
    /// The perf_event counters of this run (`--metrics` naming one), read by the spawner.
    #[serde(skip)]
    pub counters: CounterValues,
    /// This run's most frequent syscalls (eBPF), at most ten.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_syscalls: Vec<SyscallCount>,
    /// When the spawner started it (for `started_s`; replies can be read well after the run).
    #[serde(skip)]
    pub spawned_at: Option<std::time::Instant>,
    /// What the run's own cgroup counted.
    #[serde(default, skip_serializing_if = "CgroupCounters::is_empty")]
    pub cgroup: CgroupCounters,
    /// `timed_out`, `oom_killed`, strays.
    #[serde(default)]
    pub limits: RunLimits,
}
