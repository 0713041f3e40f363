//! JSON export: the results model (hyperfine's schema_version 2 keys, with denet's metrics, statistics and environment beside them) filled from what was measured.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{Exporter, Report};
use crate::metrics::{MetricKey, Source};
use crate::results::{
    Benchmark, Document, FileMetadata, Measurements, MetricStats, ParameterValue, Platform, Schema, Timeline,
};
use crate::stats::Summarized;

pub struct Json;

impl Exporter for Json {
    fn render(&self, r: &Report) -> anyhow::Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(&document(r))?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// The results file of a report, borrowing the runs (the file, the baseline check and the HTML
/// report all read this; none parses the file back).
pub fn document<'a>(r: &'a Report) -> Document<'a> {
    let metadata = FileMetadata {
        denet_version: Some(env!("CARGO_PKG_VERSION").into()),
        start_time: Some(r.start_time.into()),
        platform: Some(Platform { os: platform_os().into(), architecture: std::env::consts::ARCH.into() }),
        alpha: Some(r.alpha),
        selected_metrics: Some(r.selected.iter().map(|s| s.metric.into()).collect()),
        environment: Some(Cow::Borrowed(r.env)),
        interleaved: r.results.iter().all(|s| s.result.interleaved) && !r.results.is_empty(),
        ebpf: Cow::Borrowed(r.ebpf),
        cgroup: r.cgroup.map(Cow::Borrowed),
    };
    Document {
        schema_version: 2,
        metadata,
        primary_metric: Some(r.selected[0].metric.into()),
        results: r.results.iter().map(|s| benchmark(s, r)).collect(),
        read_from: Schema::V2,
    }
}

/// `uname -s` spelling, as hyperfine writes it.
fn platform_os() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        "windows" => "Windows",
        "freebsd" => "FreeBSD",
        other => other,
    }
}

fn benchmark<'a>(s: &'a Summarized, r: &'a Report) -> Benchmark<'a> {
    let spec = &s.result.spec;
    let reference = &r.results[0];
    let comparison = (!std::ptr::eq(s, reference)).then(|| {
        s.metrics.iter().filter_map(|m| Some((m.metric.into(), s.compare_to(reference, m.metric, r.alpha)?))).collect()
    });
    Benchmark {
        command: Cow::Borrowed(&spec.command_line),
        name: spec.custom_name.as_deref().filter(|n| *n != spec.command_line).map(Cow::Borrowed),
        parameters: spec
            .parameters
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), ParameterValue { value: Cow::Borrowed(v.as_str()) }))
            .collect(),
        environment: spec.env.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str()))).collect(),
        measurements: Measurements::Measured(s),
        summary: Some(summary(s)),
        comparison,
        sampled: Some(s.sampled().into_iter().map(MetricKey::from).collect()),
        warnings: Some(Cow::Borrowed(&s.warnings)),
        complete: Some(s.result.complete),
        precision: s.result.precision,
        timeline: median_timeline(s),
        simulation: s.simulation.as_ref().map(Cow::Borrowed),
    }
}

fn summary(s: &Summarized) -> BTreeMap<MetricKey, MetricStats<'_>> {
    s.metrics
        .iter()
        .map(|m| {
            let summary = MetricStats {
                unit: m.metric.json_unit(),
                stats: &m.stats,
                sampled: m.source == Source::Sampled,
                source: m.source,
            };
            (m.metric.into(), summary)
        })
        .collect()
}

/// The resource timeline (t, CPU %, tree RSS) of the run with the median wall time.
fn median_timeline(s: &Summarized) -> Option<Timeline<'_>> {
    let mut order: Vec<usize> = (0..s.result.runs.len()).collect();
    order.sort_by(|&a, &b| s.result.runs[a].wall_s.total_cmp(&s.result.runs[b].wall_s));
    let &run = order.get(order.len() / 2)?;
    Some(Timeline { run, points: Cow::Borrowed(&s.result.runs[run].tree.timeline) })
}
