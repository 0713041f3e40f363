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

/// Build recording data from a JSONL recording's records.
pub fn from_recording(
    records: &[crate::recording::Record],
    summary: &crate::profile::Summary,
    title: &str,
) -> RecordingData {
    use crate::recording::Record;
    let points = records
        .iter()
        .filter_map(|r| match r {
            Record::Sample(s) => Some(RecordingPoint {
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
            }),
            _ => None,
        })
        .collect();
    let environment = records
        .iter()
        .find_map(|r| match r {
            Record::Env(e) => Some(flatten(&serde_json::to_value(e).unwrap_or_default())),
            _ => None,
        })
        .unwrap_or_default();
    // What was recorded comes first: the command or process, and when.
    let mut rows: Vec<(String, String)> = records
        .iter()
        .find_map(|r| match r {
            Record::Metadata(m) => Some(crate::render::table::recorded_rows(m)),
            _ => None,
        })
        .unwrap_or_default();
    rows.extend(crate::render::table::rows(summary));
    RecordingData { title: xml_chars(title), points, summary: rows, environment }
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
