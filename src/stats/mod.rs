//! Statistics over runs: summaries with bootstrap confidence intervals, outliers, and comparisons with significance tests.

pub mod checks;
pub mod compare;
pub mod describe;
pub mod outliers;
pub mod regress;

pub use compare::{compare, Comparison, Test};
pub use describe::{describe, Stats};

use crate::bench::scheduler::BenchmarkResult;
use crate::metrics::Metric;

/// One metric of one benchmark: its values per run and their statistics.
#[derive(Debug, Clone)]
pub struct MetricSummary {
    pub metric: &'static Metric,
    pub values: Vec<f64>,
    pub stats: Stats,
}

/// A benchmark with every metric summarised.
#[derive(Debug, Clone)]
pub struct Summarized {
    pub result: BenchmarkResult,
    pub metrics: Vec<MetricSummary>,
}

impl Summarized {
    /// Summarise every metric of a benchmark that has at least one run (one shared bootstrap).
    pub fn new(result: &BenchmarkResult) -> Summarized {
        let measured = crate::metrics::measured(&result.runs);
        let columns: Vec<Vec<f64>> = measured.iter().map(|m| result.runs.iter().map(m.extract).collect()).collect();
        let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let stats = describe::describe_all(&slices);
        let metrics = measured
            .into_iter()
            .zip(columns)
            .zip(stats)
            .map(|((metric, values), stats)| MetricSummary { metric, values, stats })
            .collect();
        Summarized { result: result.clone(), metrics }
    }

    pub fn metric(&self, name: &str) -> &MetricSummary {
        self.metrics.iter().find(|m| m.metric.name == name).expect("every metric is summarised")
    }

    /// This benchmark's `metric` against the reference's.
    pub fn compare_to(&self, reference: &Summarized, metric: &str, alpha: f64) -> Comparison {
        compare(&reference.metric(metric).values, &self.metric(metric).values, alpha)
    }
}
