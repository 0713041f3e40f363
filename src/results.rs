//! The results file, one serde model: hyperfine 2.0's fields (schema_version 2) and denet's, written by `--export-json`, read by `compare`, `report` and baselines.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::bench::scheduler::Warning;
use crate::error::UserError;
use crate::metrics::{Dimension, Metric, MetricKey, Source};
use crate::monitor::ebpf::PartStatus;
use crate::profile::EnvRecord;
use crate::profile::{RunProfile, Simulation, TimelinePoint};
use crate::stats::{Comparison, Design, Stats, Summarized};

/// A results file. Written, it borrows what was just measured; read, it owns what the file holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct Document<'a> {
    pub schema_version: u64,
    #[serde(default)]
    pub metadata: FileMetadata<'a>,
    /// Absent: the wall time, hyperfine's default (see `primary_metric()`).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub primary_metric: Option<MetricKey>,
    pub results: Vec<Benchmark<'a>>,
    /// The schema the file was read from (not a key of the file).
    #[serde(skip)]
    pub read_from: Schema,
}

/// The schemas denet reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Schema {
    /// hyperfine 2.0's schema_version 2, which denet writes.
    #[default]
    V2,
    /// hyperfine 1.x: per-run wall times and exit codes, everything else as means.
    HyperfineV1,
}

/// The file's metadata: hyperfine's version, or denet's fields.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FileMetadata<'a> {
    /// Set by denet; a file without it was written by hyperfine.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub denet_version: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub start_time: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub alpha: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub selected_metrics: Option<Vec<MetricKey>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub environment: Option<Cow<'a, EnvRecord>>,
    /// The timing runs were taken in rounds (`--interleave`): run k of every command is round k,
    /// so comparisons between these benchmarks are paired.
    #[serde(default, skip_serializing_if = "std::ops::Not::not", deserialize_with = "lenient")]
    pub interleaved: bool,
    /// With `--ebpf`: each part of the eBPF set-up and why a part does not work here.
    #[serde(default, skip_serializing_if = "<[PartStatus]>::is_empty", deserialize_with = "lenient")]
    pub ebpf: Cow<'a, [PartStatus]>,
    /// Whether each run had cgroups of its own, and if not why (docs/cgroups.md).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub cgroup: Option<Cow<'a, CgroupStatus>>,
}

/// Whether a benchmark's runs had cgroups of their own (their cgroup metrics are absent without).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CgroupStatus {
    pub enabled: bool,
    /// Why not: turned off, or what this machine lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where the benchmarks ran, spelt as hyperfine spells it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
}

/// One benchmarked command: hyperfine's keys in hyperfine's order (command, name, measurements,
/// parameters, environment, summary), then denet's.
#[derive(Debug, Serialize, Deserialize)]
pub struct Benchmark<'a> {
    pub command: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub name: Option<Cow<'a, str>>,
    pub measurements: Measurements<'a>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "lenient")]
    pub parameters: BTreeMap<Cow<'a, str>, ParameterValue<'a>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "lenient")]
    pub environment: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
    /// Readers recompute statistics from the runs, so denet's summaries and comparisons are written only.
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none", serialize_with = "hyperfine_first")]
    pub summary: Option<BTreeMap<MetricKey, MetricStats<'a>>>,
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<BTreeMap<MetricKey, Comparison>>,
    /// The metrics whose figures came from the /proc sampler (lower bounds, peaks a sample can
    /// miss); the others are exact. Absent in files of other tools and older denets.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub sampled: Option<Vec<MetricKey>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub warnings: Option<Cow<'a, [Warning]>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub complete: Option<bool>,
    /// `--precision`: the target half-width, the one reached, and whether `--max-runs` came first.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub precision: Option<crate::bench::precision::Precision>,
    /// The resource timeline of the run with the median wall time (null without runs).
    #[serde(default, deserialize_with = "lenient")]
    pub timeline: Option<Timeline<'a>>,
    /// The run under cachegrind (`--simulate`): the simulated metrics' one value each.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub simulation: Option<Cow<'a, Simulation>>,
}

/// A parameter's value, as `{"value": "..."}`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ParameterValue<'a> {
    #[serde(default, deserialize_with = "lenient")]
    pub value: Cow<'a, str>,
}

/// denet's summary of one metric of one benchmark.
#[derive(Debug, Serialize)]
pub struct MetricStats<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'static str>,
    #[serde(flatten)]
    pub stats: &'a Stats,
    /// Read at sampling ticks, so it can miss what happens between two (the command's `sampled` list).
    pub sampled: bool,
    pub source: Source,
}

/// Fields a reader can do without: a value of another type (another tool's file may hold anything) reads as absent.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(d: D) -> Result<T, D::Error> {
    Ok(serde_json::from_value(Value::deserialize(d)?).unwrap_or_default())
}

/// A benchmark's timing runs.
#[derive(Debug)]
pub enum Measurements<'a> {
    /// Runs just measured: written run by run, never built as a tree (they are most of the file:
    /// 1.7 MB for 1,000 runs).
    Measured(&'a Summarized),
    /// Runs read from a file.
    Read(Vec<Measurement>),
}

/// One run: each metric's value in base units, the exit status, and when it started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurement {
    pub values: Vec<(MetricKey, f64)>,
    pub exit_code: Option<i64>,
    pub exit_signal: Option<i64>,
    /// Seconds from the benchmark's start (denet's; hyperfine has none).
    pub started_s: Option<f64>,
    /// `--timeout` killed the run's whole group (written only when true).
    pub timed_out: bool,
    /// The OOM killer killed a process of the run (written only when true).
    pub oom_killed: bool,
}

impl Measurement {
    /// A run's figures for the metrics of its benchmark.
    fn of(run: &RunProfile, s: &Summarized) -> Measurement {
        let exit = run.exit.unwrap_or_default();
        Measurement {
            values: s
                .metrics
                .iter()
                .filter(|m| !m.metric.is_simulated())
                .map(|m| (m.metric.into(), m.metric.extract(run)))
                .collect(),
            exit_code: exit.code.map(i64::from),
            exit_signal: exit.signal.map(i64::from),
            started_s: Some(run.started_s),
            timed_out: run.limits.timed_out,
            oom_killed: run.limits.oom_killed,
        }
    }

    pub fn value(&self, key: &MetricKey) -> Option<f64> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

/// hyperfine 2.0's metrics in the order its files list them in a run; denet's own follow.
const HYPERFINE_METRICS: [&str; 10] = [
    "time_wall_clock",
    "time_cpu",
    "time_user",
    "time_system",
    "memory_peak_resident",
    "cpu_cycles",
    "instructions",
    "cache_references",
    "cache_misses",
    "branch_misses",
];

/// Where a metric goes among hyperfine's (None: denet's own, after them).
fn hyperfine_rank(key: &MetricKey) -> Option<usize> {
    HYPERFINE_METRICS.iter().position(|&name| name == key.name())
}

/// A summary map with hyperfine's metrics first (by name, as its file has them), then denet's.
fn hyperfine_first<S: Serializer, V: Serialize>(
    map: &Option<BTreeMap<MetricKey, V>>,
    ser: S,
) -> Result<S::Ok, S::Error> {
    let Some(map) = map else { return ser.serialize_none() };
    let (hyperfine, own): (Vec<_>, Vec<_>) = map.iter().partition(|(k, _)| hyperfine_rank(k).is_some());
    ser.collect_map(hyperfine.into_iter().chain(own))
}

/// A run's value: counts as integers, as hyperfine writes its hardware counters.
#[derive(Serialize)]
#[serde(untagged)]
enum Number {
    Count(u64),
    Real(f64),
}

impl Number {
    fn of(key: &MetricKey, value: f64) -> Number {
        let whole = value.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&value);
        if key.dimension() == Dimension::Count && whole {
            Number::Count(value as u64)
        } else {
            Number::Real(value)
        }
    }
}

impl Serialize for Measurement {
    /// hyperfine's metrics in its order, `exit_code`, then denet's metrics, exit signal and start.
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        /// `{"value": v, "unit": u}`, or `{"value": v}` for a count.
        #[derive(Serialize)]
        struct Measured<'u> {
            value: Number,
            #[serde(skip_serializing_if = "Option::is_none")]
            unit: Option<&'u str>,
        }
        let mut hyperfine: Vec<_> = self.values.iter().filter(|(k, _)| hyperfine_rank(k).is_some()).collect();
        hyperfine.sort_by_key(|(k, _)| hyperfine_rank(k));
        let own = self.values.iter().filter(|(k, _)| hyperfine_rank(k).is_none());
        let mut map = ser.serialize_map(None)?;
        let metric = |map: &mut S::SerializeMap, (key, value): &(MetricKey, f64)| {
            let unit = key.known().and_then(|m| m.json_unit());
            map.serialize_entry(key.name(), &Measured { value: Number::of(key, *value), unit })
        };
        for entry in hyperfine {
            metric(&mut map, entry)?;
        }
        map.serialize_entry("exit_code", &self.exit_code)?;
        for entry in own {
            metric(&mut map, entry)?;
        }
        if let Some(sig) = self.exit_signal {
            map.serialize_entry("exit_signal", &sig)?;
        }
        if let Some(t) = self.started_s {
            map.serialize_entry("started_s", &t)?;
        }
        for (flag, name) in [(self.timed_out, "timed_out"), (self.oom_killed, "oom_killed")] {
            if flag {
                map.serialize_entry(name, &true)?;
            }
        }
        map.end()
    }
}

/// How many runs one read may hold: a run of denet's file is some 700 bytes, but `{}` is a run
/// too, and takes some 70 bytes of memory for its 3; a benchmark counts as `BENCHMARK_COST` runs.
/// With the size limit this bounds the memory a read takes (about 150 MB at worst).
const MAX_RUNS: usize = 2_000_000;
const BENCHMARK_COST: usize = 8;

thread_local! {
    /// Runs the read under way may still take (`read` sets it; other parses are not limited).
    static RUNS_LEFT: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

/// Count `n` runs against the read's budget.
fn take_runs<E: serde::de::Error>(n: usize) -> Result<(), E> {
    RUNS_LEFT.with(|left| match left.get().checked_sub(n) {
        Some(rest) => {
            left.set(rest);
            Ok(())
        }
        None => Err(E::custom(format!("more than {MAX_RUNS} runs: not a results file denet reads"))),
    })
}

impl<'de> Deserialize<'de> for Measurement {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Measurement, D::Error> {
        take_runs(1)?;
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default, deserialize_with = "lenient")]
            exit_code: Option<i64>,
            #[serde(default, deserialize_with = "lenient")]
            exit_signal: Option<i64>,
            #[serde(default, deserialize_with = "lenient")]
            started_s: Option<f64>,
            #[serde(default)]
            timed_out: bool,
            #[serde(default)]
            oom_killed: bool,
            /// Metrics as `{"value": v, ...}`; anything else is not a metric.
            #[serde(flatten)]
            rest: BTreeMap<String, Value>,
        }
        let raw = Raw::deserialize(de)?;
        let values =
            raw.rest.iter().filter_map(|(name, v)| Some((MetricKey::parse(name), v.get("value")?.as_f64()?))).collect();
        Ok(Measurement {
            values,
            exit_code: raw.exit_code,
            exit_signal: raw.exit_signal,
            started_s: raw.started_s,
            timed_out: raw.timed_out,
            oom_killed: raw.oom_killed,
        })
    }
}

impl Serialize for Measurements<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self {
            Measurements::Measured(s) => {
                let mut seq = ser.serialize_seq(Some(s.result.runs.len()))?;
                for run in &s.result.runs {
                    seq.serialize_element(&Measurement::of(run, s))?;
                }
                seq.end()
            }
            Measurements::Read(runs) => runs.serialize(ser),
        }
    }
}

impl<'de> Deserialize<'de> for Measurements<'_> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        take_runs(BENCHMARK_COST)?;
        Vec::deserialize(de).map(Measurements::Read)
    }
}

/// The resource timeline of one run.
#[derive(Debug)]
pub struct Timeline<'a> {
    /// Which run (its index).
    pub run: usize,
    pub points: Cow<'a, [TimelinePoint]>,
}

impl Serialize for Timeline<'_> {
    /// Points as rows of numbers, with a syscalls column when eBPF counted them.
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let syscalls = self.points.iter().any(|p| p.syscalls.is_some());
        let mut columns = vec!["t_s", "cpu_percent", "rss_bytes"];
        let mut map = ser.serialize_map(Some(3))?;
        map.serialize_entry("run", &self.run)?;
        if syscalls {
            columns.push("syscalls");
            let rows: Vec<_> = self.points.iter().map(|p| (p.t, p.cpu_percent, p.rss_bytes, p.syscalls)).collect();
            map.serialize_entry("columns", &columns)?;
            map.serialize_entry("points", &rows)?;
        } else {
            let rows: Vec<_> = self.points.iter().map(|p| (p.t, p.cpu_percent, p.rss_bytes)).collect();
            map.serialize_entry("columns", &columns)?;
            map.serialize_entry("points", &rows)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Timeline<'_> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default, deserialize_with = "lenient")]
            run: usize,
            #[serde(default, deserialize_with = "lenient")]
            points: Vec<Vec<Value>>,
        }
        let raw = Raw::deserialize(de)?;
        let point = |p: &Vec<Value>| {
            let n = |i: usize| p.get(i).and_then(Value::as_f64);
            Some(TimelinePoint {
                t: n(0)?,
                cpu_percent: n(1)?,
                rss_bytes: n(2)? as u64,
                syscalls: n(3).map(|s| s as u64),
            })
        };
        Ok(Timeline { run: raw.run, points: raw.points.iter().filter_map(point).collect() })
    }
}

impl Document<'_> {
    pub fn primary_metric(&self) -> MetricKey {
        self.primary_metric.clone().unwrap_or_default()
    }

    /// How the benchmarks of this file relate to each other: paired by rounds when interleaved.
    pub fn design(&self) -> Design {
        if self.metadata.interleaved {
            Design::Paired
        } else {
            Design::Independent
        }
    }

    /// `denet`, `hyperfine` or `hyperfine 1.x`.
    pub fn tool(&self) -> &'static str {
        match (self.read_from, self.metadata.denet_version.is_some()) {
            (Schema::HyperfineV1, _) => "hyperfine 1.x",
            (Schema::V2, true) => "denet",
            (Schema::V2, false) => "hyperfine",
        }
    }

    /// What a file of an older schema lacks, for a note beside what is read from it.
    pub fn lacks(&self) -> Option<&'static str> {
        match self.read_from {
            Schema::V2 => None,
            Schema::HyperfineV1 => Some(
                "only per-run wall times and exit codes are read: it has no per-run CPU time \
                 (user and system are means) and no per-run memory (its memory_usage_byte is the \
                 largest child seen so far, not each run's peak)",
            ),
        }
    }
}

impl Benchmark<'_> {
    /// What benchmarks are matched by: the display name (or command) and the parameters.
    pub fn key(&self) -> String {
        let name = self.name.as_deref().unwrap_or(&self.command);
        if self.parameters.is_empty() {
            name.to_string()
        } else {
            let p: Vec<String> = self.parameters.iter().map(|(k, v)| format!("{k}={}", v.value)).collect();
            format!("{name} [{}]", p.join(", "))
        }
    }

    /// One value per run of `key`, in base units; None when some run lacks it (a metric missing
    /// from some runs cannot be compared run for run).
    pub fn values(&self, key: &MetricKey) -> Option<Cow<'_, [f64]>> {
        if let Some(m) = key.known().filter(|m| m.is_simulated()) {
            // One exact value, from the simulated run rather than the timing runs.
            return Some(Cow::Owned(vec![m.simulated(&self.simulation.as_ref()?.events)?]));
        }
        match &self.measurements {
            Measurements::Measured(s) => Some(Cow::Borrowed(&s.metric(key.known()?)?.values)),
            Measurements::Read(runs) => {
                let values: Vec<f64> = runs.iter().filter_map(|r| r.value(key)).collect();
                (values.len() == runs.len()).then_some(Cow::Owned(values))
            }
        }
    }

    /// Every metric that every run has, by name.
    pub fn metrics(&self) -> Vec<MetricKey> {
        let mut keys: Vec<MetricKey> = match &self.measurements {
            Measurements::Measured(s) => s.metrics.iter().map(|m| m.metric.into()).collect(),
            Measurements::Read(runs) => runs.iter().flat_map(|r| r.values.iter().map(|(k, _)| k.clone())).collect(),
        };
        if self.simulation.is_some() {
            keys.extend(Metric::ALL.iter().filter(|m| m.is_simulated()).map(|&m| MetricKey::from(m)));
        }
        keys.sort();
        keys.dedup();
        keys.retain(|k| self.values(k).is_some());
        keys
    }

    /// How many timing runs it has (none: cut short before its first run ended).
    pub fn runs(&self) -> usize {
        match &self.measurements {
            Measurements::Measured(s) => s.result.runs.len(),
            Measurements::Read(runs) => runs.len(),
        }
    }

    /// Each run's exit code (None: killed by a signal or not recorded).
    pub fn exit_codes(&self) -> Vec<Option<i64>> {
        self.exits_and_starts().into_iter().map(|(code, _)| code).collect()
    }

    /// Each run's start, seconds from the benchmark's (empty for hyperfine's files).
    pub fn started(&self) -> Vec<f64> {
        self.exits_and_starts().into_iter().filter_map(|(_, t)| t).collect()
    }

    fn exits_and_starts(&self) -> Vec<(Option<i64>, Option<f64>)> {
        match &self.measurements {
            Measurements::Measured(s) => s
                .result
                .runs
                .iter()
                .map(|r| (r.exit.unwrap_or_default().code.map(i64::from), Some(r.started_s)))
                .collect(),
            Measurements::Read(runs) => runs.iter().map(|m| (m.exit_code, m.started_s)).collect(),
        }
    }
}

fn bad(path: &Path, why: impl Into<String>) -> UserError {
    UserError::BadResults { file: path.display().to_string(), why: why.into() }
}

/// The largest results file read (about 150,000 runs of denet's): a file that is not one
/// (`/dev/zero`, an endless stream) is refused, never read into memory whole.
pub const MAX_RESULTS_BYTES: u64 = 256 << 20;

/// Files up to this size that do not read as denet's model are read again as a JSON tree, to name
/// the field at fault or read hyperfine 1.x's shape (some 100,000 runs of it); larger ones get
/// serde's message (a tree takes up to 30 times the file's size in memory: `[{},{},...]`).
const REREAD_BYTES: u64 = 4 << 20;

/// A reader that stops at a limit, and says whether it reached it and what it saw.
struct Bounded<R> {
    inner: R,
    left: u64,
    /// Whether anything but whitespace was read.
    content: bool,
}

impl<R: std::io::Read> std::io::Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let max = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        self.content |= buf[..n].iter().any(|b| !b.is_ascii_whitespace());
        Ok(n)
    }
}

/// The file, buffered above the bound (the bound then counts in large reads, not byte by byte).
fn open_bounded(path: &Path) -> Result<std::io::BufReader<Bounded<std::fs::File>>, UserError> {
    let file = std::fs::File::open(path).map_err(|e| bad(path, format!("cannot read it: {e}")))?;
    Ok(std::io::BufReader::with_capacity(1 << 16, Bounded { inner: file, left: MAX_RESULTS_BYTES, content: false }))
}

/// Read and check a results file, streamed into the model (no JSON tree of the whole file), and
/// at most `MAX_RESULTS_BYTES` of it.
pub fn read(path: &Path) -> Result<Document<'static>, UserError> {
    let mut reader = open_bounded(path)?;
    RUNS_LEFT.with(|left| left.set(MAX_RUNS));
    let streamed = serde_json::from_reader::<_, Document<'static>>(&mut reader);
    RUNS_LEFT.with(|left| left.set(usize::MAX));
    let reader = reader.get_ref();
    if let Some(e) = streamed.as_ref().err().filter(|e| e.is_io()) {
        return Err(bad(path, format!("cannot read it: {e}")));
    }
    if reader.left == 0 {
        let limit = MAX_RESULTS_BYTES >> 20;
        return Err(bad(path, format!("larger than {limit} MiB: not a results file denet reads")));
    }
    if !reader.content {
        return Err(bad(
            path,
            "the file is empty; expected a JSON export of 'denet bench --export-json' or hyperfine 2.0",
        ));
    }
    let e = match streamed {
        Ok(doc) if doc.schema_version == 2 => return check(doc).map_err(|why| bad(path, why)),
        Ok(_) => None,
        Err(e) if e.is_syntax() || e.is_eof() => {
            return Err(bad(path, format!("not valid JSON ({e})")));
        }
        Err(e) => Some(e),
    };
    let read = MAX_RESULTS_BYTES - reader.left;
    match e {
        Some(e) if read > REREAD_BYTES => Err(bad(path, format!("cannot read the results: {e}"))),
        _ => {
            let doc: Value =
                serde_json::from_reader(open_bounded(path)?).map_err(|e| bad(path, format!("not valid JSON ({e})")))?;
            parse(doc).map_err(|why| bad(path, why))
        }
    }
}

/// Interpret a parsed document: hyperfine 2.0's schema, or hyperfine 1.x's read into it; say
/// which schema it is when it is neither.
pub fn parse(doc: Value) -> Result<Document<'static>, String> {
    let expected = "expected the JSON export of 'denet bench', hyperfine 2.0 (\"schema_version\": 2) or hyperfine 1.x";
    let results = doc.get("results").and_then(Value::as_array);
    match (doc.get("schema_version").and_then(Value::as_u64), results) {
        (Some(2), Some(results)) => {
            for (i, r) in results.iter().enumerate() {
                check_result(r, i)?;
            }
            check(serde_json::from_value(doc).map_err(|e| format!("cannot read the results: {e}"))?)
        }
        (Some(v), _) => Err(format!("found schema_version {v}; {expected}")),
        (None, Some(results)) if results.iter().any(|b| b.get("times").is_some() || b.get("mean").is_some()) => {
            let results: Vec<Value> =
                results.iter().enumerate().map(|(i, r)| from_v1(r, i)).collect::<Result<_, _>>()?;
            let mut doc: Document =
                serde_json::from_value(serde_json::json!({"schema_version": 2, "results": results}))
                    .map_err(|e| format!("cannot read the hyperfine 1.x results: {e}"))?;
            doc.read_from = Schema::HyperfineV1;
            check(doc)
        }
        (None, _) => Err(format!("no schema_version and no results; {expected}")),
    }
}

/// A hyperfine 1.x result in schema 2's shape: `times` and `exit_codes` become the runs (its
/// `command` is already the display name; parameters are bare strings).
fn from_v1(r: &Value, i: usize) -> Result<Value, String> {
    let command = r.get("command").and_then(Value::as_str).ok_or(format!("result {} has no \"command\"", i + 1))?;
    let times = r
        .get("times")
        .and_then(Value::as_array)
        .ok_or(format!("result {} ('{command}') has no per-run \"times\" (hyperfine 1.x)", i + 1))?;
    let codes = r.get("exit_codes").and_then(Value::as_array);
    let runs: Vec<Value> = times
        .iter()
        .enumerate()
        .map(|(run, t)| {
            let code = codes.and_then(|c| c.get(run)).cloned().unwrap_or(Value::Null);
            serde_json::json!({"time_wall_clock": {"value": t, "unit": "second"}, "exit_code": code})
        })
        .collect();
    let parameters: serde_json::Map<String, Value> = r
        .get("parameters")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), serde_json::json!({"value": v.as_str().map_or_else(|| v.to_string(), String::from)})))
        .collect();
    Ok(serde_json::json!({"command": command, "measurements": runs, "parameters": parameters}))
}

/// Values no run can have (a negative time or size, NaN, infinity) are refused with where they are:
/// compared, they would make nonsense look like a change.
fn check(doc: Document<'static>) -> Result<Document<'static>, String> {
    for (i, b) in doc.results.iter().enumerate() {
        let Measurements::Read(runs) = &b.measurements else { continue };
        for (r, run) in runs.iter().enumerate() {
            let bad = run.values.iter().find(|(key, v)| !v.is_finite() || (*v < 0.0 && !may_be_negative(key)));
            if let Some((key, v)) = bad {
                return Err(format!(
                    "result {} ('{}'), run {}: {} is {v}: no run can measure that",
                    i + 1,
                    b.command,
                    r + 1,
                    key.name()
                ));
            }
        }
    }
    Ok(doc)
}

/// A metric denet does not know may be anything; every metric it knows (times, sizes, counts) is
/// zero or more.
fn may_be_negative(key: &MetricKey) -> bool {
    key.known().is_none()
}

/// The fields a result cannot do without, named in the error.
fn check_result(r: &Value, i: usize) -> Result<(), String> {
    let command = r.get("command").and_then(Value::as_str).ok_or(format!("result {} has no \"command\"", i + 1))?;
    r.get("measurements")
        .and_then(Value::as_array)
        .ok_or(format!("result {} ('{command}') has no \"measurements\"", i + 1))?;
    Ok(())
}

/// Benchmarks of `current` paired with those of `baseline` by key; plus the keys found on one side only.
pub struct Pairing<'a, 'd> {
    pub pairs: Vec<(&'a Benchmark<'d>, &'a Benchmark<'d>)>,
    pub only_baseline: Vec<String>,
    pub only_current: Vec<String>,
}

pub fn pair<'a, 'd>(baseline: &'a Document<'d>, current: &'a Document<'d>) -> Pairing<'a, 'd> {
    let find = |f: &'a Document<'d>, key: &str| f.results.iter().find(|b| b.key() == key);
    let pairs = baseline.results.iter().filter_map(|b| find(current, &b.key()).map(|c| (b, c))).collect();
    let only = |a: &Document, b: &'a Document<'d>| {
        a.results.iter().map(Benchmark::key).filter(|k| find(b, k).is_none()).collect()
    };
    Pairing { pairs, only_baseline: only(baseline, current), only_current: only(current, baseline) }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_hyperfine_2_documents() {
        let doc = json!({"schema_version": 2, "metadata": {"hyperfine_version": "2.0.0"}, "primary_metric": "time_wall_clock",
            "results": [{"command": "sleep 1", "parameters": {"n": {"value": "1"}},
                "measurements": [{"time_wall_clock": {"value": 1.0, "unit": "second"}, "instructions": {"value": 7}, "exit_code": 0},
                                 {"time_wall_clock": {"value": 1.1, "unit": "second"}, "exit_code": 0}]}]});
        let f = parse(doc).unwrap();
        assert_eq!(f.tool(), "hyperfine");
        let b = &f.results[0];
        assert_eq!(b.values(&Metric::TimeWallClock.into()).unwrap().as_ref(), [1.0, 1.1]);
        assert!(b.values(&MetricKey::parse("instructions")).is_none(), "present in one run of two");
        assert_eq!(b.metrics(), [MetricKey::from(Metric::TimeWallClock)]);
        assert_eq!(b.key(), "sleep 1 [n=1]");
    }

    #[test]
    fn reads_hyperfine_1_documents_and_says_what_they_lack() {
        let v1 = json!({"results": [{"command": "fast", "mean": 1.05, "stddev": 0.07, "user": 0.5, "system": 0.1,
            "times": [1.0, 1.1], "memory_usage_byte": [3182592, 3182592], "exit_codes": [0, 1],
            "parameters": {"n": "1"}}]});
        let f = parse(v1).unwrap();
        assert_eq!((f.tool(), f.read_from), ("hyperfine 1.x", Schema::HyperfineV1));
        assert!(f.lacks().unwrap().contains("no per-run memory"));
        let b = &f.results[0];
        assert_eq!(b.values(&Metric::TimeWallClock.into()).unwrap().as_ref(), [1.0, 1.1]);
        assert_eq!(b.metrics(), [MetricKey::from(Metric::TimeWallClock)], "the running maximum is not a run's memory");
        assert_eq!(b.exit_codes(), [Some(0), Some(1)]);
        assert_eq!(b.key(), "fast [n=1]");
        // Older 1.x files have no exit codes.
        let old = parse(json!({"results": [{"command": "x", "mean": 1.0, "times": [1.0]}]})).unwrap();
        assert_eq!(old.results[0].exit_codes(), [None]);
    }

    #[test]
    fn refuses_other_schemas_with_the_reason() {
        let no_times = json!({"results": [{"command": "x", "mean": 1.0}]});
        assert!(parse(no_times).unwrap_err().contains("result 1 ('x') has no per-run \"times\""));
        let v3 = json!({"schema_version": 3, "results": []});
        assert!(parse(v3).unwrap_err().contains("found schema_version 3"));
        assert!(parse(json!({"foo": 1})).unwrap_err().contains("no schema_version"));
        let no_runs = json!({"schema_version": 2, "results": [{"command": "x"}]});
        assert!(parse(no_runs).unwrap_err().contains("result 1 ('x') has no \"measurements\""));
        assert_eq!(parse(json!({"schema_version": 2, "results": []})).unwrap().lacks(), None);
    }

    #[test]
    fn runs_list_hyperfine_metrics_in_its_order_then_exit_code_then_denets() {
        let run = Measurement {
            values: [Metric::TimeWallClock, Metric::TimeUser, Metric::PageFaultsMinor, Metric::TimeCpu]
                .iter()
                .map(|&m| (MetricKey::from(m), 2.0))
                .chain([(MetricKey::parse("instructions"), 7.0)])
                .collect(),
            exit_code: Some(0),
            timed_out: false,
            oom_killed: false,
            exit_signal: None,
            started_s: Some(0.5),
        };
        let text = serde_json::to_string(&run).unwrap();
        let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(&text)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            ["time_wall_clock", "time_cpu", "time_user", "instructions", "exit_code", "page_faults_minor", "started_s"]
        );
        assert!(text.contains(r#""instructions":{"value":7}"#), "counts are integers: {text}");
        assert!(text.contains(r#""page_faults_minor":{"value":2}"#), "{text}");
        assert!(text.contains(r#""time_cpu":{"value":2.0,"unit":"second"}"#), "{text}");
    }
}
