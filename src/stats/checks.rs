//! Running the regression checks of a current results file against a baseline.

use serde::Serialize;

use super::regress::{check, Check, Verdict};
use crate::error::UserError;
use crate::options::compare::CheckOptions;
use crate::results::{pair, ResultsFile, StoredBenchmark};

/// One checked metric of one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub benchmark: String,
    pub metric: String,
    pub check: Check,
}

/// All checks, and what could not be checked.
#[derive(Debug, Clone, Serialize)]
pub struct Regression {
    pub rows: Vec<Row>,
    /// Things the user should know: unmatched benchmarks, skipped default metrics, noise.
    pub notes: Vec<String>,
}

impl Regression {
    pub fn count(&self, v: Verdict) -> usize {
        self.rows.iter().filter(|r| r.check.verdict == v).count()
    }

    /// Whether the checks fail CI.
    pub fn failed(&self, fail_on_inconclusive: bool) -> bool {
        self.count(Verdict::Regressed) > 0 || (fail_on_inconclusive && self.count(Verdict::Inconclusive) > 0)
    }
}

fn input_error(why: String) -> UserError {
    UserError::BadResults { file: "comparison".into(), why }
}

/// Check every paired benchmark on every thresholded metric.
pub fn run(baseline: &ResultsFile, current: &ResultsFile, opts: &CheckOptions) -> Result<Regression, UserError> {
    let p = pair(baseline, current);
    if p.pairs.is_empty() {
        return Err(input_error(format!(
            "no benchmark of the current results matches the baseline (baseline: {}; current: {}); benchmarks match by name and parameters",
            list(&p.only_baseline),
            list(&p.only_current)
        )));
    }
    let mut notes: Vec<String> = Vec::new();
    for k in &p.only_baseline {
        notes.push(format!("'{k}' is in the baseline only: not checked"));
    }
    for k in &p.only_current {
        notes.push(format!("'{k}' is new (not in the baseline): not checked"));
    }
    check_pairs(&p.pairs, notes, opts)
}

/// Check every benchmark of one results file against its first (the reference): for a base
/// and a candidate benchmarked together, interleaved, on the same machine.
pub fn against_reference(results: &ResultsFile, opts: &CheckOptions) -> Result<Regression, UserError> {
    let Some((reference, rest)) = results.benchmarks.split_first() else {
        return Err(input_error("no results to check".into()));
    };
    if rest.is_empty() {
        return Err(input_error(
            "one command only: give a second command to check against the first, or --baseline".into(),
        ));
    }
    let pairs: Vec<(&StoredBenchmark, &StoredBenchmark)> = rest.iter().map(|c| (reference, c)).collect();
    check_pairs(&pairs, Vec::new(), opts)
}

fn check_pairs(
    pairs: &[(&StoredBenchmark, &StoredBenchmark)],
    mut notes: Vec<String>,
    opts: &CheckOptions,
) -> Result<Regression, UserError> {
    let mut rows = Vec::new();
    for t in &opts.thresholds {
        let in_b = pairs.iter().all(|(b, _)| b.values.contains_key(&t.metric));
        let in_c = pairs.iter().all(|(_, c)| c.values.contains_key(&t.metric));
        match (in_b, in_c) {
            (true, true) => {}
            (false, false) if !t.explicit => {
                notes.push(format!("{} is in neither file: not checked", t.metric));
                continue;
            }
            (b, c) => {
                let side = match (b, c) {
                    (false, false) => "either file",
                    (false, true) => "the baseline",
                    _ => "the current results",
                };
                return Err(input_error(format!(
                    "metric {} is missing from {side}: the two files hold different metrics; choose others with --threshold",
                    t.metric
                )));
            }
        }
        for (b, c) in pairs {
            let check = check(&b.values[&t.metric], &c.values[&t.metric], t.threshold, opts.alpha);
            if matches!(t.threshold, crate::stats::regress::Threshold::Relative(_)) && check.baseline.mean == 0.0 {
                notes.push(format!(
                    "{} / {}: the baseline is 0, so a change in % is undefined; give an absolute threshold (e.g. {}=10)",
                    c.key(),
                    t.metric,
                    t.metric
                ));
            }
            if let Some(n) = check.runs_needed {
                notes.push(format!(
                    "{} / {}: too noisy to resolve a {} threshold with {} runs; about {n} runs per command would",
                    c.key(),
                    t.metric,
                    crate::render::regression::threshold_text(&t.threshold, &t.metric),
                    check.baseline.count.min(check.current.count)
                ));
            }
            rows.push(Row { benchmark: c.key(), metric: t.metric.clone(), check });
        }
    }
    Ok(Regression { rows, notes })
}

fn list(keys: &[String]) -> String {
    if keys.is_empty() {
        "none".into()
    } else {
        keys.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ")
    }
}
