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
    /// Summarise every metric of a benchmark that has at least one run.
    ///
    /// The bootstraps are most of the time between a benchmark's last run and its results
    /// (about 1 ms per metric at 500 runs), so the metrics are shared out over the CPUs.
    pub fn new(result: &BenchmarkResult) -> Summarized {
        let measured = crate::metrics::measured(&result.runs);
        let summarize = |m: &&'static Metric| {
            let values: Vec<f64> = result.runs.iter().map(m.extract).collect();
            let stats = describe(&values);
            MetricSummary { metric: m, values, stats }
        };
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let metrics = if cpus < 2 || result.runs.len() < 100 {
            measured.iter().map(summarize).collect()
        } else {
            let chunk = measured.len().div_ceil(cpus).max(1);
            std::thread::scope(|s| {
                let parts: Vec<_> = measured
                    .chunks(chunk)
                    .map(|ms| s.spawn(move || ms.iter().map(summarize).collect::<Vec<_>>()))
                    .collect();
                parts.into_iter().flat_map(|p| p.join().expect("a summary thread panicked")).collect()
            })
        };
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
