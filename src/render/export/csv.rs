//! CSV exports: a row per command (hyperfine 1.x's columns first, then every metric), and a row per run.

use super::{Exporter, Report};
use crate::metrics::Metric;
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

/// Mean, stddev, median, min and max; empty cells for a metric the benchmark lacks.
fn five(stats: Option<&Stats>) -> [String; 5] {
    match stats {
        Some(st) => [num(st.mean), st.stddev.map(num).unwrap_or_default(), num(st.median), num(st.min), num(st.max)],
        None => Default::default(),
    }
}

impl Exporter for PerCommand {
    fn render(&self, r: &Report) -> anyhow::Result<Vec<u8>> {
        let params = parameter_names(r.results);
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> =
            ["command", "mean", "stddev", "median", "user", "system", "min", "max", "name", "runs"]
                .map(String::from)
                .to_vec();
        let metrics = metric_list(r);
        for m in &metrics {
            for stat in ["mean", "stddev", "median", "min", "max"] {
                header.push(format!("{}_{stat}", m.name()));
            }
        }
        header.extend(params.iter().map(|p| format!("parameter_{p}")));
        w.write_record(&header)?;
        for s in r.results {
            let stats = |m: Metric| s.metric(m).map(|x| &x.stats);
            let mean = |m: Metric| stats(m).map(|st| num(st.mean)).unwrap_or_default();
            let wall = five(stats(Metric::TimeWallClock));
            let mut row = vec![s.result.spec.command_line.clone(), wall[0].clone(), wall[1].clone(), wall[2].clone()];
            row.extend([mean(Metric::TimeUser), mean(Metric::TimeSystem), wall[3].clone(), wall[4].clone()]);
            row.extend([s.result.spec.name.clone(), s.result.runs.len().to_string()]);
            for &m in &metrics {
                row.extend(five(stats(m)));
            }
            row.extend(parameter_values(s, &params));
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
