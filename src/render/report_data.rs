//! What charts and the HTML report are drawn from: benchmark results or a monitor recording, whatever file they came from.

use std::collections::BTreeMap;

use serde::Serialize;

/// One benchmarked command.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BenchData {
    /// Display name (custom name or command, with parameters).
    pub name: String,
    pub command: String,
    pub parameters: BTreeMap<String, String>,
    /// Metric → one value per run, base units.
    pub metrics: BTreeMap<String, Vec<f64>>,
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
    pub primary_metric: String,
    /// Metrics to chart and tabulate, primary first.
    pub metrics: Vec<String>,
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

/// Build report data from a parsed results document (denet or hyperfine 2.0 JSON).
pub fn from_results(doc: &serde_json::Value, title: &str) -> Result<ReportData, String> {
    use serde_json::Value;
    let file = crate::results::parse(doc)?;
    let raw = doc["results"].as_array().cloned().unwrap_or_default();
    let benchmarks = file
        .benchmarks
        .iter()
        .zip(&raw)
        .map(|(b, r)| {
            let runs = r["measurements"].as_array().cloned().unwrap_or_default();
            BenchData {
                name: display_name(b),
                command: b.command.clone(),
                parameters: b.parameters.clone(),
                metrics: b.values.clone(),
                exit_codes: runs.iter().map(|m| m["exit_code"].as_i64()).collect(),
                started: runs.iter().filter_map(|m| m["started_s"].as_f64()).collect(),
                timeline: r["timeline"]["points"]
                    .as_array()
                    .map(|pts| {
                        pts.iter()
                            .filter_map(|p| {
                                let syscalls = p.get(3).and_then(Value::as_f64).unwrap_or(f64::NAN);
                                Some([p[0].as_f64()?, p[1].as_f64()?, p[2].as_f64()?, syscalls])
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                warnings: r["warnings"]
                    .as_array()
                    .map(|w| w.iter().filter_map(Value::as_str).map(String::from).collect())
                    .unwrap_or_default(),
            }
        })
        .collect::<Vec<_>>();
    let primary = doc["primary_metric"].as_str().unwrap_or("time_wall_clock").to_string();
    let selected: Vec<String> = doc["metadata"]["selected_metrics"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_default();
    let available = |m: &String| benchmarks.iter().all(|b| b.metrics.contains_key(m));
    let mut metrics: Vec<String> = std::iter::once(primary.clone()).chain(selected).filter(available).collect();
    if metrics.len() < 2 {
        // hyperfine files: chart what they hold, in denet's order.
        let known = crate::metrics::Metric::ALL.iter().filter(|m| !m.is_ebpf());
        metrics.extend(known.map(|m| m.name().to_string()).filter(available));
    }
    metrics.dedup();
    let mut seen = std::collections::HashSet::new();
    metrics.retain(|m| seen.insert(m.clone()));
    Ok(ReportData {
        title: title.to_string(),
        tool: file.tool,
        primary_metric: primary,
        metrics,
        benchmarks,
        alpha: doc["metadata"]["alpha"].as_f64().unwrap_or(0.05),
        environment: flatten(&doc["metadata"]["environment"]),
        start_time: doc["metadata"]["start_time"].as_str().map(String::from),
    })
}

/// The name, with the parameters whose values it does not already show.
fn display_name(b: &crate::results::StoredBenchmark) -> String {
    let name = b.name.as_deref().unwrap_or(&b.command);
    let hidden: Vec<String> =
        b.parameters.iter().filter(|(_, v)| !name.contains(v.as_str())).map(|(k, v)| format!("{k} = {v}")).collect();
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
    records: &[crate::profile::Record],
    summary: &crate::profile::Summary,
    title: &str,
) -> RecordingData {
    use crate::profile::Record;
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
    RecordingData { title: title.to_string(), points, summary: crate::render::table::rows(summary), environment }
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
