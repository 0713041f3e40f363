//! The measurements a monitor produces: samples, per-process entries, summaries and the JSONL records.

use serde::{Deserialize, Serialize};

/// Cumulative counters of a process or a tree, all since monitoring began.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// User plus system CPU time, seconds.
    pub cpu_time_s: f64,
    /// Bytes fetched from storage (`read_bytes` in /proc/PID/io).
    pub read_bytes: u64,
    /// Bytes sent to storage (`write_bytes` in /proc/PID/io).
    pub write_bytes: u64,
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
    /// Exact figures from `wait4` (only for `denet run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rusage: Option<Rusage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<ExitStatus>,
    /// The fields above that are sampled (read at ticks, so they can miss what happens between two)
    /// rather than exact kernel counters; docs/metrics.md says which is which and why.
    #[serde(default = "sampled_fields")]
    pub sampled: Vec<String>,
}

/// Summary fields whose values come from samples, not from exact kernel accounting.
pub fn sampled_fields() -> Vec<String> {
    ["cpu_percent_peak", "rss_peak_tree_bytes", "processes_peak", "threads_peak", "processes_seen"]
        .into_iter()
        .map(String::from)
        .collect()
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

/// The first record of a recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub denet_version: String,
    pub mode: String,
    pub pid: u32,
    pub command: Vec<String>,
    pub start_time: String,
    pub interval_ms: u64,
    pub max_interval_ms: u64,
    pub backend: String,
    pub capabilities: Vec<Capability>,
    /// Where the monitored program's stdout goes (it never shares a stream with the JSONL).
    pub child_stdout: String,
}

/// One line of a JSONL recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Metadata(Metadata),
    Env(Box<crate::monitor::env::EnvRecord>),
    Sample(Sample),
    Summary(Summary),
}

/// One point of a run's resource timeline (for charts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Seconds since the run started.
    pub t: f64,
    pub cpu_percent: f64,
    pub rss_bytes: u64,
}

/// What the /proc sampler saw of a run's process tree (sampled figures, and cumulative counters read at the end).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TreeProfile {
    /// Peak of the summed RSS of the tree's live processes (sampled).
    pub rss_peak_bytes: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub rchar: u64,
    pub wchar: u64,
    pub processes_peak: u64,
    pub threads_peak: u64,
    pub samples: u64,
    /// At most a few hundred points, evenly thinned.
    pub timeline: Vec<TimelinePoint>,
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
}
