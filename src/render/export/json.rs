//! JSON export: hyperfine's schema_version 2 keys, with denet's metrics, statistics and environment beside them.

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use super::{Exporter, Report};
use crate::metrics::Source;
use crate::stats::{MetricSummary, Summarized};

pub struct Json;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    metadata: Value,
    primary_metric: &'a str,
    results: Vec<ResultDoc<'a>>,
}

/// One benchmark: its keys in order, with the runs streamed rather than built as a JSON tree
/// (they are most of the document: 1.7 MB for 1,000 runs).
struct ResultDoc<'a> {
    head: Map<String, Value>,
    runs: Runs<'a>,
    tail: Map<String, Value>,
}

impl Serialize for ResultDoc<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut map = ser.serialize_map(Some(self.head.len() + 1 + self.tail.len()))?;
        for (k, v) in &self.head {
            map.serialize_entry(k, v)?;
        }
        map.serialize_entry("measurements", &self.runs)?;
        for (k, v) in &self.tail {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// One object per timing run: every metric as {value, unit}, then the exit code.
struct Runs<'a>(&'a Summarized);

impl Serialize for Runs<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let runs = &self.0.result.runs;
        let mut seq = ser.serialize_seq(Some(runs.len()))?;
        for run in runs {
            seq.serialize_element(&Run { summarized: self.0, run })?;
        }
        seq.end()
    }
}

struct Run<'a> {
    summarized: &'a Summarized,
    run: &'a crate::profile::RunProfile,
}

/// `{"value": v, "unit": u}`, or `{"value": v}` for a count.
#[derive(Serialize)]
struct Measured {
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'static str>,
}

impl Serialize for Run<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let exit = self.run.exit.unwrap_or_default();
        let mut map = ser.serialize_map(None)?;
        for metric in self.summarized.metrics.iter().map(|m| m.metric) {
            map.serialize_entry(
                metric.name(),
                &Measured { value: metric.extract(self.run), unit: metric.json_unit() },
            )?;
        }
        map.serialize_entry("exit_code", &exit.code)?;
        if let Some(sig) = exit.signal {
            map.serialize_entry("exit_signal", &sig)?;
        }
        map.serialize_entry("started_s", &self.run.started_s)?;
        map.end()
    }
}

impl Exporter for Json {
    fn render(&self, r: &Report) -> anyhow::Result<Vec<u8>> {
        let mut metadata = json!({
            "denet_version": env!("CARGO_PKG_VERSION"),
            "start_time": r.start_time,
            "platform": { "os": platform_os(), "architecture": std::env::consts::ARCH },
            "alpha": r.alpha,
            "selected_metrics": r.selected.iter().map(|s| s.metric.name()).collect::<Vec<_>>(),
            "environment": r.env,
        });
        if !r.ebpf.is_empty() {
            metadata["ebpf"] = json!(r.ebpf);
        }
        let doc = Document {
            schema_version: 2,
            metadata,
            primary_metric: r.selected[0].metric.name(),
            results: r.results.iter().map(|s| result(s, r)).collect(),
        };
        let mut bytes = serde_json::to_vec_pretty(&doc)?;
        bytes.push(b'\n');
        Ok(bytes)
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

fn result<'a>(s: &'a Summarized, r: &Report) -> ResultDoc<'a> {
    let spec = &s.result.spec;
    let mut obj = Map::new();
    obj.insert("command".into(), json!(spec.command_line));
    if let Some(name) = spec.custom_name.as_ref().filter(|n| **n != spec.command_line) {
        obj.insert("name".into(), json!(name));
    }
    if !spec.parameters.is_empty() {
        let params: BTreeMap<&str, Value> =
            spec.parameters.iter().map(|(k, v)| (k.as_str(), json!({ "value": v }))).collect();
        obj.insert("parameters".into(), json!(params));
    }
    if !spec.env.is_empty() {
        let env: BTreeMap<&str, &str> = spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        obj.insert("environment".into(), json!(env));
    }
    let head = std::mem::take(&mut obj);
    let summary: BTreeMap<&str, Value> = s.metrics.iter().map(|m| (m.metric.name(), summary(m))).collect();
    obj.insert("summary".into(), json!(summary));
    if !std::ptr::eq(s, &r.results[0]) {
        let cmp: BTreeMap<&str, Value> = s
            .metrics
            .iter()
            .filter_map(|m| Some((m.metric.name(), json!(s.compare_to(&r.results[0], m.metric, r.alpha)?))))
            .collect();
        obj.insert("comparison".into(), json!(cmp));
    }
    obj.insert("warnings".into(), json!(s.warnings));
    obj.insert("complete".into(), json!(s.result.complete));
    obj.insert("timeline".into(), median_timeline(s));
    ResultDoc { head, runs: Runs(s), tail: obj }
}

fn summary(m: &MetricSummary) -> Value {
    let st = &m.stats;
    let mut obj = Map::new();
    if let Some(unit) = m.metric.json_unit() {
        obj.insert("unit".into(), json!(unit));
    }
    obj.insert("count".into(), json!(st.count));
    obj.insert("mean".into(), json!(st.mean));
    obj.insert("stddev".into(), json!(st.stddev));
    obj.insert("median".into(), json!(st.median));
    obj.insert("min".into(), json!(st.min));
    obj.insert("max".into(), json!(st.max));
    obj.insert("ci95_mean".into(), json!(st.ci95_mean));
    obj.insert("sampled".into(), json!(m.metric.source() == Source::Sampled));
    obj.insert("source".into(), json!(m.metric.source()));
    Value::Object(obj)
}

/// The resource timeline (t, CPU %, tree RSS) of the run with the median wall time.
fn median_timeline(s: &Summarized) -> Value {
    let mut order: Vec<usize> = (0..s.result.runs.len()).collect();
    order.sort_by(|&a, &b| s.result.runs[a].wall_s.total_cmp(&s.result.runs[b].wall_s));
    let Some(&i) = order.get(order.len() / 2) else { return Value::Null };
    let timeline = &s.result.runs[i].tree.timeline;
    if timeline.iter().any(|p| p.syscalls.is_some()) {
        let points: Vec<Value> =
            timeline.iter().map(|p| json!([p.t, p.cpu_percent, p.rss_bytes, p.syscalls])).collect();
        return json!({ "run": i, "columns": ["t_s", "cpu_percent", "rss_bytes", "syscalls"], "points": points });
    }
    let points: Vec<Value> = timeline.iter().map(|p| json!([p.t, p.cpu_percent, p.rss_bytes])).collect();
    json!({ "run": i, "columns": ["t_s", "cpu_percent", "rss_bytes"], "points": points })
}
