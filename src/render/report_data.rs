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
    pub timeline: Vec<[f64; 3]>,
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
