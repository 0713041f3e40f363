//! Statistics over runs: summaries with bootstrap confidence intervals, outliers, and comparisons with significance tests.

pub mod compare;
pub mod describe;
pub mod outliers;
pub mod paired;
pub mod regress;

pub use compare::{compare, Comparison, Test};
pub use describe::{describe, Stats};
pub use paired::Design;

use crate::bench::scheduler::{BenchmarkResult, Warning};
use crate::metrics::Metric;

/// One metric of one benchmark: its values per run and their statistics.
#[derive(Debug, Clone)]
pub struct MetricSummary {
    pub metric: Metric,
    pub values: Vec<f64>,
    pub stats: Stats,
}

/// A benchmark with every metric summarised.
#[derive(Debug, Clone)]
pub struct Summarized {
    pub result: BenchmarkResult,
    pub metrics: Vec<MetricSummary>,
    /// The scheduler's warnings, then those about the numbers (a slow first run, outliers).
    pub warnings: Vec<Warning>,
}

impl Summarized {
    /// Summarise every metric of a benchmark that has at least one run (one shared bootstrap).
    pub fn new(result: BenchmarkResult) -> Summarized {
        let measured = crate::metrics::measured(&result.runs);
        let columns: Vec<Vec<f64>> =
            measured.iter().map(|m| result.runs.iter().map(|r| m.extract(r)).collect()).collect();
        let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let stats = describe::describe_all(&slices);
        let metrics = measured
            .into_iter()
            .zip(columns)
            .zip(stats)
            .map(|((metric, values), stats)| MetricSummary { metric, values, stats })
            .collect();
        let mut warnings = result.warnings.clone();
        if result.complete {
            let walls: Vec<f64> = result.runs.iter().map(|r| r.wall_s).collect();
            warnings.extend(outliers::warning(&walls));
        }
        Summarized { result, metrics, warnings }
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
