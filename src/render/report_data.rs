//! What charts and the HTML report are drawn from: benchmark results or a monitor recording, whatever file they came from.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::bench::scheduler::Warning;
use crate::metrics::{Metric, MetricKey};
use crate::render::escape::xml_chars;
use crate::results::{Benchmark, Document};

/// One benchmarked command.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BenchData {
    /// Display name (custom name or command, with parameters).
    pub name: String,
    pub command: String,
    pub parameters: BTreeMap<String, String>,
    /// Metric → one value per run, base units.
    pub metrics: BTreeMap<MetricKey, Vec<f64>>,
    /// Exit code per run (None: killed by a signal or not recorded).
    pub exit_codes: Vec<Option<i64>>,
    /// Seconds from the benchmark's start to each run's start (empty for hyperfine files).
    pub started: Vec<f64>,
    /// CPU % and tree RSS over the median run: (t seconds, cpu %, rss bytes).
    /// (t, CPU %, tree RSS, syscalls so far or NaN) of the median run.
    pub timeline: Vec<[f64; 4]>,
    pub warnings: Vec<String>,
    /// The metrics whose figures are sampled, as the file says (None: it does not say).
    pub sampled: Option<Vec<MetricKey>>,
}

impl BenchData {
    /// Whether `metric`'s figures are sampled: as the file says, else by the metric's usual source.
    pub fn is_sampled(&self, metric: &MetricKey) -> bool {
        match &self.sampled {
            Some(list) => list.contains(metric),
            None => metric.known().is_some_and(|m| m.source() == crate::metrics::Source::Sampled),
        }
    }
}

/// A benchmark report's data: the first command is the reference.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportData {
    pub title: String,
    /// `denet` or `hyperfine`.
    pub tool: String,
    pub primary_metric: MetricKey,
    /// Metrics to chart and tabulate, primary first.
    pub metrics: Vec<MetricKey>,
    pub benchmarks: Vec<BenchData>,
    pub alpha: f64,
    /// Paired (interleaved rounds) or independent: how changes against the reference are computed.
    pub design: crate::stats::Design,
    /// The environment record as key/value pairs (empty when the file has none).
    pub environment: Vec<(String, String)>,
    pub start_time: Option<String>,
}

/// One sample of a monitor recording (tree aggregate), for timelines.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct RecordingPoint {
    pub t: f64,
    pub cpu_percent: f64,
    pub rss_bytes: f64,
    pub read_bytes: f64,
    pub write_bytes: f64,
    pub processes: f64,
    pub threads: f64,
    /// eBPF, cumulative: syscalls per category (in `Category::ALL` order), NaN without eBPF.
    pub syscalls: [f64; 8],
    /// eBPF, cumulative seconds off CPU: all of it, and the runnable part; NaN without eBPF.
    pub off_cpu: f64,
    pub off_cpu_runnable: f64,
}

/// A monitor recording (`denet run --out`): its samples and summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecordingData {
    pub title: String,
    pub points: Vec<RecordingPoint>,
    /// Summary rows (label, value) as the `stats` table shows them.
    pub summary: Vec<(String, String)>,
    pub environment: Vec<(String, String)>,
}

/// A rendered chart.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// File stem for `--export-svg DIR` (e.g. `distribution-time_wall_clock`).
    pub id: String,
    pub title: String,
    /// A complete `<svg>` document; all user text inside is XML-escaped.
    pub svg: String,
}

/// Build report data from a results file (denet's or hyperfine 2.0's), read or just measured.
pub fn from_results(doc: &Document, title: &str) -> ReportData {
    let benchmarks: Vec<BenchData> = doc.results.iter().map(bench_data).collect();
    let primary = doc.primary_metric();
    let selected = doc.metadata.selected_metrics.clone().unwrap_or_default();
    let available = |m: &MetricKey| benchmarks.iter().all(|b| b.metrics.contains_key(m));
    let mut metrics: Vec<MetricKey> = std::iter::once(primary.clone()).chain(selected).filter(available).collect();
    if metrics.len() < 2 {
        // hyperfine files: chart what they hold, in denet's order.
        let known = Metric::ALL.iter().filter(|m| !m.is_ebpf()).map(|&m| MetricKey::from(m));
        metrics.extend(known.filter(available));
    }
    let mut seen = std::collections::HashSet::new();
    metrics.retain(|m| seen.insert(m.clone()));
    let meta = &doc.metadata;
    ReportData {
        title: xml_chars(title),
        tool: doc.tool().to_string(),
        primary_metric: primary,
        metrics,
        benchmarks,
        alpha: meta.alpha.unwrap_or(0.05),
        design: doc.design(),
        environment: meta
            .environment
            .as_ref()
            .map(|e| flatten(&serde_json::to_value(e).unwrap_or_default()))
            .unwrap_or_default(),
        start_time: meta.start_time.as_deref().map(String::from),
    }
}

fn bench_data(b: &Benchmark) -> BenchData {
    let timeline = b.timeline.as_ref().map_or(&[][..], |t| &t.points[..]);
    BenchData {
        // Names reach SVG and HTML: characters XML forbids would make them unparseable.
        name: xml_chars(&display_name(b)),
        command: xml_chars(&b.command),
        parameters: b.parameters.iter().map(|(k, v)| (k.to_string(), v.value.to_string())).collect(),
        metrics: b.metrics().into_iter().filter_map(|k| Some((k.clone(), b.values(&k)?.into_owned()))).collect(),
        exit_codes: b.exit_codes(),
        started: b.started(),
        timeline: timeline
            .iter()
            .map(|p| [p.t, p.cpu_percent, p.rss_bytes as f64, p.syscalls.map_or(f64::NAN, |s| s as f64)])
            .collect(),
        warnings: b.warnings.iter().flat_map(|w| w.iter()).map(warning_name).collect(),
        sampled: b.sampled.clone(),
    }
}

/// A warning as the file spells it (`slow_first_run`).
fn warning_name(w: &Warning) -> String {
    serde_json::to_value(w).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// The name, with the parameters whose values it does not already show.
fn display_name(b: &Benchmark) -> String {
    let name = b.name.as_deref().unwrap_or(&b.command);
    let hidden: Vec<String> = b
        .parameters
        .iter()
        .filter(|(_, v)| !name.contains(v.value.as_ref()))
        .map(|(k, v)| format!("{k} = {}", v.value))
        .collect();
    if hidden.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({})", hidden.join(", "))
    }
}

/// An object's scalar fields as (key, value) text pairs; nulls and empty lists left out.
fn flatten(v: &serde_json::Value) -> Vec<(String, String)> {
    use serde_json::Value;
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| {
                    let text = match v {
                        Value::Null => return None,
                        Value::String(s) => s.clone(),
                        Value::Array(a) if a.is_empty() => return None,
                        Value::Array(a) => a
                            .iter()
                            .map(|x| x.as_str().map_or(x.to_string(), String::from))
                            .collect::<Vec<_>>()
                            .join(", "),
                        other => other.to_string(),
                    };
                    Some((k.clone(), text))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The most points a recording report keeps: a longer recording is thinned as it is read, so that
/// the report's memory does not grow with the recording's length (the charts draw 400 at most).
pub const MAX_RECORDING_POINTS: usize = 8192;

/// Recording data built record by record, in bounded memory: past `MAX_RECORDING_POINTS`
/// samples, each point stands for several consecutive ones (a power of two), its levels (CPU,
/// memory, processes, threads) their peak and its counters (cumulative) the latest value.
#[derive(Debug)]
pub struct RecordingBuilder {
    points: Vec<RecordingPoint>,
    /// Samples per point.
    stride: usize,
    samples: usize,
    environment: Option<Vec<(String, String)>>,
    /// What was recorded (its command, or PID and command for `attach`), from its metadata record.
    title: Option<String>,
    /// The rows that say what was recorded and when, first in the summary table.
    recorded: Vec<(String, String)>,
}

impl Default for RecordingBuilder {
    fn default() -> RecordingBuilder {
        RecordingBuilder {
            points: Vec::new(),
            stride: 1,
            samples: 0,
            environment: None,
            title: None,
            recorded: Vec::new(),
        }
    }
}

impl RecordingBuilder {
    pub fn record(&mut self, record: &crate::recording::Record) {
        use crate::recording::Record;
        match record {
            Record::Sample(s) => self.sample(point(s)),
            Record::Metadata(m) if self.title.is_none() => {
                self.title = recording_title(m);
                self.recorded = crate::render::table::recorded_rows(m);
            }
            Record::Env(e) if self.environment.is_none() => {
                self.environment = Some(flatten(&serde_json::to_value(e).unwrap_or_default()));
            }
            _ => {}
        }
    }

    fn sample(&mut self, p: RecordingPoint) {
        let starts_a_point = self.samples.is_multiple_of(self.stride);
        self.samples += 1;
        match self.points.last_mut() {
            Some(last) if !starts_a_point => fold(last, &p),
            _ => self.points.push(p),
        }
        if self.points.len() == MAX_RECORDING_POINTS {
            // Pairs become one point each; the count is even, so every pair is whole.
            let halved: Vec<RecordingPoint> = self
                .points
                .chunks(2)
                .map(|pair| {
                    let mut merged = pair[0];
                    pair[1..].iter().for_each(|q| fold(&mut merged, q));
                    merged
                })
                .collect();
            self.points = halved;
            self.stride *= 2;
        }
    }

    /// The recording's own title, where its metadata names a command or a PID.
    pub fn title(&self) -> Option<String> {
        self.title.clone()
    }

    pub fn finish(self, summary: &crate::profile::Summary, title: &str) -> RecordingData {
        RecordingData {
            title: xml_chars(title),
            points: self.points,
            summary: self.recorded.into_iter().chain(crate::render::table::rows(summary)).collect(),
            environment: self.environment.unwrap_or_default(),
        }
    }
}

/// `later` folded into `into`: levels keep their peak, counters and the time the latest value.
fn fold(into: &mut RecordingPoint, later: &RecordingPoint) {
    let peak = |a: &mut f64, b: f64| *a = a.max(b);
    peak(&mut into.cpu_percent, later.cpu_percent);
    peak(&mut into.rss_bytes, later.rss_bytes);
    peak(&mut into.processes, later.processes);
    peak(&mut into.threads, later.threads);
    into.t = later.t;
    into.read_bytes = later.read_bytes;
    into.write_bytes = later.write_bytes;
    into.syscalls = later.syscalls;
    into.off_cpu = later.off_cpu;
    into.off_cpu_runnable = later.off_cpu_runnable;
}

/// One sample's tree aggregate as a point.
fn point(s: &crate::profile::Sample) -> RecordingPoint {
    RecordingPoint {
        t: s.t,
        cpu_percent: s.aggregate.cpu_percent,
        rss_bytes: s.aggregate.rss_bytes as f64,
        read_bytes: s.aggregate.counters.read_bytes as f64,
        write_bytes: s.aggregate.counters.write_bytes as f64,
        processes: s.aggregate.processes as f64,
        threads: s.aggregate.threads as f64,
        syscalls: syscalls_by_category(&s.aggregate.kernel),
        off_cpu: s.aggregate.kernel.off_cpu.map_or(f64::NAN, |o| o.time_off_cpu),
        off_cpu_runnable: s.aggregate.kernel.off_cpu.map_or(f64::NAN, |o| o.time_off_cpu_runnable),
    }
}

/// What a recording recorded, for its title: the command `denet run` ran, or the PID (and command) `attach`
/// attached to; `None` when the recording has no metadata.
pub fn recording_title(meta: &crate::recording::Metadata) -> Option<String> {
    let command = shell_words::join(&meta.command);
    match (meta.mode.as_str(), command.is_empty()) {
        ("attach", true) => Some(format!("PID {}", meta.pid)),
        ("attach", false) => Some(format!("PID {}: {command}", meta.pid)),
        (_, true) => None,
        _ => Some(command),
    }
}

/// Cumulative syscalls per category of one sample, NaN when the sample has none.
fn syscalls_by_category(k: &crate::profile::KernelCounters) -> [f64; 8] {
    use crate::vocab::Category;
    let mut out = [f64::NAN; 8];
    if let Some(sc) = &k.syscalls {
        for (slot, c) in out.iter_mut().zip(Category::ALL) {
            *slot = sc.get(c) as f64;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Sample;
    use crate::recording::Record;

    fn sample(i: usize, cpu: f64) -> Record {
        let mut s = Sample { t: i as f64 * 0.01, ..Sample::default() };
        s.aggregate.cpu_percent = cpu;
        s.aggregate.counters.read_bytes = i as u64 * 10;
        Record::Sample(s)
    }

    #[test]
    fn a_long_recording_is_thinned_as_read_with_peaks_and_totals_kept() {
        let n = 100_003;
        let mut b = RecordingBuilder::default();
        for i in 0..n {
            b.record(&sample(i, if i == 77_777 { 99.0 } else { 1.0 }));
        }
        let rec = b.finish(&crate::profile::Summary::default(), "t");
        assert!(rec.points.len() < MAX_RECORDING_POINTS && rec.points.len() > MAX_RECORDING_POINTS / 4);
        assert!(rec.points.iter().any(|p| p.cpu_percent == 99.0), "the peak survives thinning");
        assert_eq!(rec.points.iter().filter(|p| p.cpu_percent == 99.0).count(), 1);
        let last = rec.points.last().unwrap();
        assert_eq!((last.t, last.read_bytes), ((n - 1) as f64 * 0.01, (n - 1) as f64 * 10.0), "the latest counters");
        assert!(rec.points.windows(2).all(|w| w[0].t < w[1].t));
        // A short one is kept whole.
        let mut short = RecordingBuilder::default();
        (0..100).for_each(|i| short.record(&sample(i, 1.0)));
        assert_eq!(short.finish(&crate::profile::Summary::default(), "t").points.len(), 100);
    }
}
