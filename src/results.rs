//! Reading saved benchmark results: denet's JSON or hyperfine 2.0's (schema_version 2), for `compare` and baselines.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::UserError;

/// One benchmark read from a results file: per-run values of every metric it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBenchmark {
    pub command: String,
    pub name: Option<String>,
    pub parameters: BTreeMap<String, String>,
    /// Metric name → one value per run, in base units (seconds, bytes, counts).
    pub values: BTreeMap<String, Vec<f64>>,
}

impl StoredBenchmark {
    /// What benchmarks are matched by: the display name (or command) and the parameters.
    pub fn key(&self) -> String {
        let name = self.name.as_deref().unwrap_or(&self.command);
        if self.parameters.is_empty() {
            name.to_string()
        } else {
            let p: Vec<String> = self.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{name} [{}]", p.join(", "))
        }
    }
}

/// A results file.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultsFile {
    /// `denet` or `hyperfine`.
    pub tool: String,
    pub benchmarks: Vec<StoredBenchmark>,
}

fn bad(path: &Path, why: impl Into<String>) -> UserError {
    UserError::BadResults { file: path.display().to_string(), why: why.into() }
}

/// Read and check a results file.
pub fn read(path: &Path) -> Result<ResultsFile, UserError> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(path, format!("cannot read it: {e}")))?;
    if text.trim().is_empty() {
        return Err(bad(
            path,
            "the file is empty; expected a JSON export of 'denet bench --export-json' or hyperfine 2.0",
        ));
    }
    let doc: Value = serde_json::from_str(&text).map_err(|e| bad(path, format!("not valid JSON ({e})")))?;
    parse(&doc).map_err(|why| bad(path, why))
}

/// Interpret a parsed document.
pub fn parse(doc: &Value) -> Result<ResultsFile, String> {
    let expected = "expected the JSON export of 'denet bench' or hyperfine 2.0 (\"schema_version\": 2)";
    let results = doc.get("results").and_then(Value::as_array);
    match (doc.get("schema_version").and_then(Value::as_u64), results) {
        (Some(2), Some(results)) => {
            let tool = if doc.pointer("/metadata/denet_version").is_some() { "denet" } else { "hyperfine" };
            let benchmarks = results.iter().enumerate().map(|(i, r)| benchmark(r, i)).collect::<Result<_, _>>()?;
            Ok(ResultsFile { tool: tool.into(), benchmarks })
        }
        (Some(v), _) => Err(format!("found schema_version {v}; {expected}")),
        (None, Some(r)) if r.first().is_some_and(|b| b.get("times").is_some()) => {
            Err(format!("this is a hyperfine 1.x export (no schema_version, per-run \"times\"); {expected}: re-run it with hyperfine 2.0 or denet bench"))
        }
        (None, _) => Err(format!("no schema_version and no results; {expected}")),
    }
}

fn benchmark(r: &Value, i: usize) -> Result<StoredBenchmark, String> {
    let command = r.get("command").and_then(Value::as_str).ok_or(format!("result {} has no \"command\"", i + 1))?;
    let parameters = r
        .get("parameters")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.get("value").and_then(Value::as_str).unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let runs = r
        .get("measurements")
        .and_then(Value::as_array)
        .ok_or(format!("result {} ('{command}') has no \"measurements\"", i + 1))?;
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for run in runs {
        for (metric, v) in run.as_object().into_iter().flatten() {
            if let Some(x) = v.get("value").and_then(Value::as_f64) {
                values.entry(metric.clone()).or_default().push(x);
            }
        }
    }
    // A metric missing from some runs cannot be compared run for run.
    values.retain(|_, v| v.len() == runs.len());
    Ok(StoredBenchmark {
        command: command.into(),
        name: r.get("name").and_then(Value::as_str).map(String::from),
        parameters,
        values,
    })
}

/// Benchmarks of `current` paired with those of `baseline` by key; plus the keys found on one side only.
pub struct Pairing<'a> {
    pub pairs: Vec<(&'a StoredBenchmark, &'a StoredBenchmark)>,
    pub only_baseline: Vec<String>,
    pub only_current: Vec<String>,
}

pub fn pair<'a>(baseline: &'a ResultsFile, current: &'a ResultsFile) -> Pairing<'a> {
    let find = |f: &'a ResultsFile, key: &str| f.benchmarks.iter().find(|b| b.key() == key);
    let pairs = baseline.benchmarks.iter().filter_map(|b| find(current, &b.key()).map(|c| (b, c))).collect();
    let only = |a: &ResultsFile, b: &'a ResultsFile| {
        a.benchmarks.iter().map(StoredBenchmark::key).filter(|k| find(b, k).is_none()).collect()
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
        let f = parse(&doc).unwrap();
        assert_eq!(f.tool, "hyperfine");
        let b = &f.benchmarks[0];
        assert_eq!(b.values["time_wall_clock"], vec![1.0, 1.1]);
        assert!(!b.values.contains_key("instructions"), "present in one run of two");
        assert_eq!(b.key(), "sleep 1 [n=1]");
    }

    #[test]
    fn refuses_hyperfine_1_and_other_schemas_with_the_reason() {
        let v1 = json!({"results": [{"command": "x", "mean": 1.0, "times": [1.0]}]});
        assert!(parse(&v1).unwrap_err().contains("hyperfine 1.x"));
        let v3 = json!({"schema_version": 3, "results": []});
        assert!(parse(&v3).unwrap_err().contains("found schema_version 3"));
        assert!(parse(&json!({"foo": 1})).unwrap_err().contains("no schema_version"));
    }
}
