//! Statistics over runs: summaries with bootstrap confidence intervals, outliers, and comparisons with significance tests.

pub mod compare;
pub mod describe;
pub mod outliers;
pub mod paired;
pub mod regress;
pub mod simulated;

pub use compare::{compare, Comparison, Test};
pub use describe::{describe, Stats};
pub use paired::Design;

use crate::bench::scheduler::{BenchmarkResult, Warning};
use crate::metrics::{Metric, Source};
use crate::profile::Simulation;

/// One metric of one benchmark: its values per run and their statistics.
#[derive(Debug, Clone)]
pub struct MetricSummary {
    pub metric: Metric,
    pub values: Vec<f64>,
    pub stats: Stats,
    /// Where these runs' figures came from (`Metric::source_in`: eBPF or a cgroup can make a
    /// sampled metric exact).
    pub source: Source,
}

/// A benchmark with every metric summarised.
#[derive(Debug, Clone)]
pub struct Summarized {
    pub result: BenchmarkResult,
    pub metrics: Vec<MetricSummary>,
    /// The scheduler's warnings, then those about the numbers (a slow first run, outliers).
    pub warnings: Vec<Warning>,
    /// The run under cachegrind (`--simulate`), whose metrics join `metrics` with one value each.
    pub simulation: Option<Simulation>,
}

impl Summarized {
    /// Summarise every metric of a benchmark's runs (one shared bootstrap); none without runs.
    pub fn new(result: BenchmarkResult) -> Summarized {
        // A benchmark cut short before its first run has nothing to summarise (and is exported so).
        let measured = if result.runs.is_empty() { Vec::new() } else { crate::metrics::measured(&result.runs) };
        let columns: Vec<Vec<f64>> =
            measured.iter().map(|m| result.runs.iter().map(|r| m.extract(r)).collect()).collect();
        let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let stats = describe::describe_all(&slices);
        let metrics = measured
            .into_iter()
            .zip(columns)
            .zip(stats)
            .map(|((metric, values), stats)| MetricSummary {
                metric,
                values,
                stats,
                source: metric.source_in(&result.runs),
            })
            .collect();
        let mut warnings = result.warnings.clone();
        if result.complete {
            let walls: Vec<f64> = result.runs.iter().map(|r| r.wall_s).collect();
            warnings.extend(outliers::warning(&walls));
        }
        Summarized { result, metrics, warnings, simulation: None }
    }

    /// Add the simulated run: each simulated metric is one exact value.
    pub fn with_simulation(mut self, sim: Simulation) -> Summarized {
        for &metric in Metric::ALL {
            if let Some(v) = metric.simulated(&sim.events) {
                let source = metric.source();
                self.metrics.push(MetricSummary { metric, values: vec![v], stats: describe(&[v]), source });
            }
        }
        self.simulation = Some(sim);
        self
    }

    /// The metrics whose figures are sampled (lower bounds, or a peak that can be missed), in order.
    pub fn sampled(&self) -> Vec<Metric> {
        self.metrics.iter().filter(|m| m.source == Source::Sampled).map(|m| m.metric).collect()
    }

    /// A metric's summary; None for an eBPF metric these runs lack.
    pub fn metric(&self, metric: Metric) -> Option<&MetricSummary> {
        self.metrics.iter().find(|m| m.metric == metric)
    }

    /// This benchmark's `metric` against the reference's, when both have it: paired by rounds
    /// when both were interleaved.
    pub fn compare_to(&self, reference: &Summarized, metric: Metric, alpha: f64) -> Option<Comparison> {
        let design =
            if self.result.interleaved && reference.result.interleaved { Design::Paired } else { Design::Independent };
        Some(compare(&reference.metric(metric)?.values, &self.metric(metric)?.values, alpha, design))
    }
}
