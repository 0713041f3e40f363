//! CSV exports: a row per command (hyperfine 2.0's columns first, then denet's other metrics), and a row per run.

use super::{base_unit, shown, Exporter, Report};
use crate::metrics::{DisplayUnit, Metric};
use crate::stats::Stats;
use crate::stats::Summarized;

pub struct PerCommand;
pub struct PerRun;

/// Parameter names of all results, sorted, for `parameter_<name>` columns.
fn parameter_names(results: &[Summarized]) -> Vec<String> {
    let mut names: Vec<String> =
        results.iter().flat_map(|s| s.result.spec.parameters.iter().map(|(k, _)| k.clone())).collect();
    names.sort();
    names.dedup();
    names
}

fn parameter_values(s: &Summarized, names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|n| s.result.spec.parameters.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default())
        .collect()
}

fn num(v: f64) -> String {
    v.to_string()
}

/// The unit column and mean, stddev, median, min and max in `unit`; empty figures for a metric
/// the benchmark lacks.
fn six(unit: DisplayUnit, stats: Option<&Stats>) -> [String; 6] {
    let v = |x: f64| num(unit.convert(x));
    match stats {
        Some(st) => [
            unit.symbol.to_string(),
            v(st.mean),
            st.stddev.map(v).unwrap_or_default(),
            v(st.median),
            v(st.min),
            v(st.max),
        ],
        None => [unit.symbol.to_string(), String::new(), String::new(), String::new(), String::new(), String::new()],
    }
}

/// A metric's columns, in the unit `--metrics` gave it (never scaled automatically), else its base unit.
struct Column {
    metric: Metric,
    unit: DisplayUnit,
}

/// hyperfine's columns (the selected metrics any benchmark has), then denet's other metrics in base units.
fn columns(r: &Report) -> (Vec<Column>, Vec<Column>) {
    let has = |m: Metric| r.results.iter().any(|s| s.metric(m).is_some());
    let selected = r
        .selected
        .iter()
        .filter(|s| has(s.metric))
        .map(|s| Column { metric: s.metric, unit: shown(s.unit.unwrap_or_else(|| base_unit(s.metric.dimension()))) })
        .collect();
    let others = metric_list(r)
        .into_iter()
        .filter(|m| !r.selected.iter().any(|s| s.metric == *m))
        .map(|metric| Column { metric, unit: base_unit(metric.dimension()) })
        .collect();
    (selected, others)
}

impl Exporter for PerCommand {
    /// hyperfine 2.0's CSV: `command` (the name), six columns per selected metric, `parameter_<name>`;
    /// denet's other metrics follow.
    fn render(&self, r: &Report) -> anyhow::Result<Vec<u8>> {
        let params = parameter_names(r.results);
        let (selected, others) = columns(r);
        let titles = |cols: &[Column]| -> Vec<String> {
            let stats = ["unit", "mean", "stddev", "median", "min", "max"];
            cols.iter().flat_map(|c| stats.map(|stat| format!("{}_{stat}", c.metric.name()))).collect()
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["command".to_string()];
        header.extend(titles(&selected));
        header.extend(params.iter().map(|p| format!("parameter_{p}")));
        header.extend(titles(&others));
        w.write_record(&header)?;
        for s in r.results {
            let cells = |cols: &[Column]| -> Vec<String> {
                cols.iter().flat_map(|c| six(c.unit, s.metric(c.metric).map(|m| &m.stats))).collect()
            };
            let spec = &s.result.spec;
            let mut row = vec![spec.custom_name.clone().unwrap_or_else(|| spec.command_line.clone())];
            row.extend(cells(&selected));
            row.extend(parameter_values(s, &params));
            row.extend(cells(&others));
            w.write_record(&row)?;
        }
        Ok(w.into_inner()?)
    }
}

impl Exporter for PerRun {
    fn render(&self, r: &Report) -> anyhow::Result<Vec<u8>> {
        let params = parameter_names(r.results);
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> =
            ["command", "name", "run", "exit_code", "exit_signal", "started_s"].map(String::from).to_vec();
        let metrics = metric_list(r);
        header.extend(metrics.iter().map(|m| m.name().to_string()));
        header.extend(params.iter().map(|p| format!("parameter_{p}")));
        w.write_record(&header)?;
        for s in r.results {
            for (i, run) in s.result.runs.iter().enumerate() {
                let exit = run.exit.unwrap_or_default();
                let mut row = vec![
                    s.result.spec.command_line.clone(),
                    s.result.spec.name.clone(),
                    i.to_string(),
                    exit.code.map(|c| c.to_string()).unwrap_or_default(),
                    exit.signal.map(|c| c.to_string()).unwrap_or_default(),
                    num(run.started_s),
                ];
                row.extend(metrics.iter().map(|m| num(m.extract(run))));
                row.extend(parameter_values(s, &params));
                w.write_record(&row)?;
            }
        }
        Ok(w.into_inner()?)
    }
}

/// The columns: the metrics measured in every benchmark (the same runner measured them all).
fn metric_list(r: &Report) -> Vec<Metric> {
    crate::metrics::measured(r.results.iter().flat_map(|s| &s.result.runs))
}
