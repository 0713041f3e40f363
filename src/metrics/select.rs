//! `--metrics`: the presets and the parsing of a selection of metrics with optional units.

use super::{unit, unit_symbols, DisplayUnit, Metric};

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
            IoWriteCancelledBytes,
            IoWriteNetBytes,
            ContextSwitchesVoluntary,
            ContextSwitchesInvoluntary,
            PageFaultsMinor,
            PageFaultsMajor,
        ]),
        "all" => Some(all.filter(|m| (ebpf || !m.is_ebpf()) && !m.is_simulated()).collect()),
        "ebpf" => Some(all.filter(|m| m.is_ebpf()).collect()),
        _ => None,
    }
}

/// Why a `--metrics` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsError {
    Unknown(String),
    NeedsEbpf(String),
    Simulated(String),
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
            MetricsError::Simulated(m) => write!(
                f,
                "metric '{m}' is counted in a simulated run: add --simulate, which shows every sim_ metric after the selected ones (docs/ci.md)"
            ),
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
            if metric.is_simulated() {
                return Err(MetricsError::Simulated(metric.name().to_string()));
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

/// The metrics named in a `--metrics` value, not brought in by a preset: those must be measured
/// (a preset's counters are left out where this machine cannot count them, as hyperfine's `all`).
pub fn named(spec: &str) -> Vec<Metric> {
    let name = |item: &str| item.split_once(':').map_or(item, |(n, _)| n).trim().to_string();
    spec.split(',').filter_map(|item| Metric::from_name(&name(item))).collect()
}
