//! The benchmark metrics: names (hyperfine 2.0's and denet's own), units, where each comes from, and `--metrics` parsing.

use serde::{Deserialize, Serialize};

use crate::profile::RunProfile;

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
    /// The eBPF programs (`--ebpf`): every event counted in the kernel.
    Ebpf,
}

/// One metric.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    pub name: &'static str,
    pub dimension: Dimension,
    pub source: Source,
    /// Unit in the JSON export (hyperfine's words: "second", "byte"; none for counts).
    pub json_unit: Option<&'static str>,
    pub label: &'static str,
    pub extract: fn(&RunProfile) -> f64,
}

macro_rules! metric {
    ($name:literal, $dim:ident, $src:ident, $label:literal, |$p:ident| $e:expr) => {
        Metric {
            name: $name,
            dimension: Dimension::$dim,
            source: Source::$src,
            json_unit: match Dimension::$dim {
                Dimension::Time => Some("second"),
                Dimension::Bytes => Some("byte"),
                Dimension::Count => None,
            },
            label: $label,
            extract: |$p: &RunProfile| $e as f64,
        }
    };
}

/// Every metric, in display order.
pub const ALL: &[Metric] = &[
    metric!("time_wall_clock", Time, Clock, "Wall Time", |p| p.wall_s),
    metric!("time_user", Time, Wait4, "User time", |p| p.rusage.user_s),
    metric!("time_system", Time, Wait4, "System time", |p| p.rusage.system_s),
    metric!("time_cpu", Time, Wait4, "CPU time", |p| p.rusage.user_s + p.rusage.system_s),
    metric!("memory_peak_resident", Bytes, Wait4, "Peak RSS (largest process)", |p| p.rusage.max_rss_bytes),
    metric!("memory_peak_resident_tree", Bytes, Sampled, "Peak RSS (whole tree)", |p| p
        .tree
        .rss_peak_bytes
        .max(p.rusage.max_rss_bytes)),
    metric!("page_faults_minor", Count, Wait4, "Minor page faults", |p| p.rusage.minor_faults),
    metric!("page_faults_major", Count, Wait4, "Major page faults", |p| p.rusage.major_faults),
    metric!("context_switches_voluntary", Count, Wait4, "Voluntary context switches", |p| p
        .rusage
        .voluntary_ctx_switches),
    metric!("context_switches_involuntary", Count, Wait4, "Involuntary context switches", |p| p
        .rusage
        .involuntary_ctx_switches),
    metric!("block_input_ops", Count, Wait4, "Block input operations", |p| p.rusage.block_input_ops),
    metric!("block_output_ops", Count, Wait4, "Block output operations", |p| p.rusage.block_output_ops),
    metric!("io_read_bytes", Bytes, ProcCounters, "Storage read", |p| p.tree.read_bytes),
    metric!("io_write_bytes", Bytes, ProcCounters, "Storage write", |p| p.tree.write_bytes),
    metric!("io_read_chars", Bytes, ProcCounters, "Syscall read", |p| p.tree.rchar),
    metric!("io_write_chars", Bytes, ProcCounters, "Syscall write", |p| p.tree.wchar),
    metric!("processes_peak", Count, Sampled, "Processes (peak)", |p| p.tree.processes_peak),
    metric!("threads_peak", Count, Sampled, "Threads (peak)", |p| p.tree.threads_peak),
];

/// Not measured (eBPF off, or that program unavailable): never mixed into statistics.
const MISSING: f64 = f64::NAN;

/// The eBPF metrics (`--ebpf`); a run without them reads NaN and the metric is left out of every output.
pub const KERNEL: &[Metric] = &[
    metric!("syscalls_total", Count, Ebpf, "Syscalls", |p| p
        .kernel
        .syscalls
        .map_or(MISSING, |s| s.syscalls_total as f64)),
    metric!("syscalls_file_io", Count, Ebpf, "Syscalls: file I/O", |p| p
        .kernel
        .syscalls
        .map_or(MISSING, |s| s.syscalls_file_io as f64)),
    metric!("syscalls_memory", Count, Ebpf, "Syscalls: memory", |p| p
        .kernel
        .syscalls
        .map_or(MISSING, |s| s.syscalls_memory as f64)),
    metric!("syscalls_process", Count, Ebpf, "Syscalls: process", |p| p
        .kernel
        .syscalls
        .map_or(MISSING, |s| s.syscalls_process as f64)),
    metric!("syscalls_network", Count, Ebpf, "Syscalls: network", |p| p
        .kernel
        .syscalls
        .map_or(MISSING, |s| s.syscalls_network as f64)),
    metric!("syscalls_ipc", Count, Ebpf, "Syscalls: IPC", |p| p
        .kernel
        .syscalls
        .map_or(MISSING, |s| s.syscalls_ipc as f64)),
    metric!("syscalls_signal", Count, Ebpf, "Syscalls: signal", |p| p
        .kernel
        .syscalls
        .map_or(MISSING, |s| s.syscalls_signal as f64)),
    metric!("syscalls_time", Count, Ebpf, "Syscalls: time", |p| p
        .kernel
        .syscalls
        .map_or(MISSING, |s| s.syscalls_time as f64)),
    metric!("syscalls_other", Count, Ebpf, "Syscalls: other", |p| p
        .kernel
        .syscalls
        .map_or(MISSING, |s| s.syscalls_other as f64)),
    metric!("time_off_cpu", Time, Ebpf, "Off-CPU time", |p| p.kernel.off_cpu.map_or(MISSING, |o| o.time_off_cpu)),
    metric!("time_off_cpu_runnable", Time, Ebpf, "Off-CPU, runnable", |p| p
        .kernel
        .off_cpu
        .map_or(MISSING, |o| o.time_off_cpu_runnable)),
    metric!("processes_created", Count, Ebpf, "Processes created", |p| p
        .kernel
        .lifecycle
        .map_or(MISSING, |l| l.processes_created as f64)),
    metric!("threads_created", Count, Ebpf, "Threads created", |p| p
        .kernel
        .lifecycle
        .map_or(MISSING, |l| l.threads_created as f64)),
    metric!("execs", Count, Ebpf, "Execs", |p| p.kernel.lifecycle.map_or(MISSING, |l| l.execs as f64)),
    metric!("net_tcp_tx_bytes", Bytes, Ebpf, "TCP sent", |p| p
        .kernel
        .net
        .map_or(MISSING, |n| n.net_tcp_tx_bytes as f64)),
    metric!("net_tcp_rx_bytes", Bytes, Ebpf, "TCP received", |p| p
        .kernel
        .net
        .map_or(MISSING, |n| n.net_tcp_rx_bytes as f64)),
];

/// Every metric denet knows, /proc and wait4 first, then eBPF.
pub fn every() -> impl Iterator<Item = &'static Metric> {
    ALL.iter().chain(KERNEL)
}

/// The metrics that every one of `runs` has (all of ALL; the eBPF ones when they were measured).
pub fn measured<'r>(runs: impl IntoIterator<Item = &'r RunProfile> + Clone) -> Vec<&'static Metric> {
    let has = |m: &Metric| runs.clone().into_iter().all(|r| !(m.extract)(r).is_nan());
    let any = runs.clone().into_iter().next().is_some();
    ALL.iter().chain(KERNEL.iter().filter(|m| any && has(m))).collect()
}

/// hyperfine's hardware-counter metrics, which need `perf_event_open` and hardware counters.
pub const HARDWARE: &[&str] = &["cpu_cycles", "instructions", "cache_references", "cache_misses", "branch_misses"];

/// Look a metric up by name.
pub fn find(name: &str) -> Option<&'static Metric> {
    every().find(|m| m.name == name)
}

/// A display unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    pub symbol: &'static str,
    /// Base units (seconds, bytes, counts) per display unit.
    pub scale: f64,
    pub dimension: Dimension,
}

const UNITS: &[Unit] = &[
    Unit { symbol: "ns", scale: 1e-9, dimension: Dimension::Time },
    Unit { symbol: "us", scale: 1e-6, dimension: Dimension::Time },
    Unit { symbol: "µs", scale: 1e-6, dimension: Dimension::Time },
    Unit { symbol: "ms", scale: 1e-3, dimension: Dimension::Time },
    Unit { symbol: "s", scale: 1.0, dimension: Dimension::Time },
    Unit { symbol: "min", scale: 60.0, dimension: Dimension::Time },
    Unit { symbol: "h", scale: 3600.0, dimension: Dimension::Time },
    Unit { symbol: "B", scale: 1.0, dimension: Dimension::Bytes },
    Unit { symbol: "kB", scale: 1e3, dimension: Dimension::Bytes },
    Unit { symbol: "MB", scale: 1e6, dimension: Dimension::Bytes },
    Unit { symbol: "GB", scale: 1e9, dimension: Dimension::Bytes },
    Unit { symbol: "KiB", scale: 1024.0, dimension: Dimension::Bytes },
    Unit { symbol: "MiB", scale: 1048576.0, dimension: Dimension::Bytes },
    Unit { symbol: "GiB", scale: 1073741824.0, dimension: Dimension::Bytes },
    Unit { symbol: "count", scale: 1.0, dimension: Dimension::Count },
    Unit { symbol: "k", scale: 1e3, dimension: Dimension::Count },
    Unit { symbol: "M", scale: 1e6, dimension: Dimension::Count },
    Unit { symbol: "B", scale: 1e9, dimension: Dimension::Count },
];

/// Find a unit for a dimension by symbol ("B" is bytes for byte metrics and billions for counts).
pub fn unit(symbol: &str, dimension: Dimension) -> Option<Unit> {
    UNITS.iter().copied().find(|u| u.symbol == symbol && u.dimension == dimension)
}

/// The unit symbols accepted for a dimension, for error messages.
pub fn unit_symbols(dimension: Dimension) -> Vec<&'static str> {
    UNITS.iter().filter(|u| u.dimension == dimension && u.symbol != "µs").map(|u| u.symbol).collect()
}

/// The best unit to show `value` (in base units) in: the largest whose value is at least 1.
pub fn auto_unit(dimension: Dimension, value: f64) -> Unit {
    let pick = |symbols: &[&str]| {
        let candidates: Vec<Unit> = symbols.iter().filter_map(|s| unit(s, dimension)).collect();
        candidates.iter().rev().find(|u| value.abs() >= u.scale).copied().unwrap_or(candidates[0])
    };
    match dimension {
        Dimension::Time => pick(&["us", "ms", "s"]).with_symbol_for_display(),
        Dimension::Bytes => pick(&["B", "KiB", "MiB", "GiB"]),
        Dimension::Count => unit("count", dimension).unwrap(),
    }
}

impl Unit {
    /// Show microseconds as µs.
    fn with_symbol_for_display(self) -> Unit {
        if self.symbol == "us" {
            Unit { symbol: "µs", ..self }
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
    pub metric: &'static Metric,
    pub unit: Option<Unit>,
}

/// The presets of `--metrics`.
/// `all` includes the eBPF metrics when `ebpf` (`--ebpf`) is on; `ebpf` is the eBPF metrics alone.
pub fn preset(name: &str, ebpf: bool) -> Option<Vec<&'static str>> {
    match name {
        "default" => Some(vec!["time_wall_clock", "time_user", "time_system", "memory_peak_resident"]),
        "time" => Some(vec!["time_wall_clock", "time_user", "time_system", "time_cpu"]),
        "all" if ebpf => Some(every().map(|m| m.name).collect()),
        "all" => Some(ALL.iter().map(|m| m.name).collect()),
        "ebpf" => Some(KERNEL.iter().map(|m| m.name).collect()),
        _ => None,
    }
}

/// Why a `--metrics` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsError {
    Unknown(String),
    Unavailable(String),
    NeedsEbpf(String),
    BadUnit { metric: String, unit: String, accepted: Vec<&'static str> },
    Empty,
}

impl std::fmt::Display for MetricsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricsError::Unknown(m) => write!(
                f,
                "unknown metric '{m}'; known: {}, and the presets default, time, all, ebpf (docs/metrics.md)",
                every().map(|m| m.name).collect::<Vec<_>>().join(", ")
            ),
            MetricsError::Unavailable(m) => write!(
                f,
                "metric '{m}' needs hardware performance counters, which denet does not read yet; choose from 'denet bench --metrics all'"
            ),
            MetricsError::NeedsEbpf(m) => {
                write!(f, "metric '{m}' is counted by the eBPF programs; add --ebpf (docs/ebpf.md)")
            }
            MetricsError::BadUnit { metric, unit, accepted } => {
                write!(f, "unit '{unit}' does not fit metric '{metric}'; use one of {}", accepted.join(", "))
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
        let names = match preset(name, ebpf) {
            Some(names) if unit_sym.is_none() => names,
            _ => vec![name],
        };
        for n in names {
            let metric = find(n).ok_or_else(|| {
                if HARDWARE.contains(&n) {
                    MetricsError::Unavailable(n.to_string())
                } else {
                    MetricsError::Unknown(n.to_string())
                }
            })?;
            if metric.source == Source::Ebpf && !ebpf {
                return Err(MetricsError::NeedsEbpf(n.to_string()));
            }
            let unit = unit_sym
                .map(|u| {
                    unit(u, metric.dimension).ok_or_else(|| MetricsError::BadUnit {
                        metric: n.to_string(),
                        unit: u.to_string(),
                        accepted: unit_symbols(metric.dimension),
                    })
                })
                .transpose()?;
            if !out.iter().any(|s| s.metric.name == n) {
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
        let names: Vec<_> = m.iter().map(|s| s.metric.name).collect();
        assert_eq!(names, ["memory_peak_resident", "time_wall_clock", "time_user", "time_system"]);
        assert_eq!(m[0].unit.unwrap().symbol, "MiB");
        assert_eq!(parse("time_wall_clock:ms", false).unwrap()[0].unit.unwrap().scale, 1e-3);
        assert_eq!(parse("page_faults_minor:k", false).unwrap()[0].unit.unwrap().scale, 1e3);
    }

    #[test]
    fn refuses_unknown_names_and_units() {
        assert!(matches!(parse("time_wallclock", false), Err(MetricsError::Unknown(_))));
        assert!(matches!(parse("time_wall_clock:MiB", false), Err(MetricsError::BadUnit { .. })));
        assert!(matches!(parse("instructions", false), Err(MetricsError::Unavailable(_))));
        assert!(matches!(parse(" , ", false), Err(MetricsError::Empty)));
    }

    #[test]
    fn ebpf_metrics_need_the_flag() {
        assert!(matches!(parse("syscalls_total", false), Err(MetricsError::NeedsEbpf(_))));
        assert_eq!(parse("syscalls_total,time_off_cpu:ms", true).unwrap()[1].unit.unwrap().symbol, "ms");
        assert_eq!(parse("all", false).unwrap().len(), ALL.len());
        assert_eq!(parse("all", true).unwrap().len(), ALL.len() + KERNEL.len());
        let run = RunProfile::default();
        assert_eq!(measured([&run]).len(), ALL.len(), "eBPF metrics of a run without them are left out");
    }

    #[test]
    fn picks_readable_units() {
        assert_eq!(auto_unit(Dimension::Time, 0.0123).symbol, "ms");
        assert_eq!(auto_unit(Dimension::Time, 0.000_5).symbol, "µs");
        assert_eq!(auto_unit(Dimension::Time, 2.0).symbol, "s");
        assert_eq!(auto_unit(Dimension::Bytes, 200.0 * 1048576.0).symbol, "MiB");
        assert_eq!(auto_unit(Dimension::Bytes, 100.0).symbol, "B");
    }
}
