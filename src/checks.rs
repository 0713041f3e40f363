//! Running the regression checks of a current results file against a baseline.

use serde::Serialize;

use crate::error::UserError;
use crate::metrics::MetricKey;
use crate::options::compare::CheckOptions;
use crate::results::{pair, Benchmark, Document};
use crate::stats::regress::{check, Check, Verdict};
use crate::stats::Design;
use crate::vocab::Threshold;

/// One checked metric of one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub benchmark: String,
    pub metric: MetricKey,
    pub check: Check,
}

/// All checks, and what could not be checked.
#[derive(Debug, Clone, Serialize)]
pub struct Regression {
    pub rows: Vec<Row>,
    /// Things the user should know: unmatched benchmarks, skipped default metrics, noise.
    pub notes: Vec<Note>,
}

/// Something a check could not judge, or judged with a caveat (worded by render::regression).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// A benchmark of the baseline has no counterpart in the current results.
    OnlyInBaseline(String),
    /// A benchmark of the current results has no counterpart in the baseline.
    New(String),
    /// A default threshold's metric is in neither file.
    InNeither(MetricKey),
    /// A default threshold's metric is in one file only (`side` names the other).
    MissingFrom { metric: MetricKey, side: &'static str },
    /// A relative threshold on a zero baseline mean.
    ZeroBaseline { benchmark: String, metric: MetricKey },
    /// The runs cannot resolve the threshold at this noise; `needed` runs per side would.
    TooNoisy { benchmark: String, metric: MetricKey, threshold: Threshold, runs: usize, needed: usize },
    /// A benchmark with no runs on one side (`side`), cut short before its first run ended.
    NoRuns { benchmark: String, side: &'static str },
    /// One side is an older tool's file (`side`: "baseline" or "current results"), read for what it has.
    OlderFormat { side: &'static str, tool: &'static str, lacks: &'static str },
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
pub fn run(baseline: &Document, current: &Document, opts: &CheckOptions) -> Result<Regression, UserError> {
    let p = pair(baseline, current);
    if p.pairs.is_empty() {
        return Err(input_error(format!(
            "no benchmark of the current results matches the baseline (baseline: {}; current: {}); benchmarks match by name and parameters",
            list(&p.only_baseline),
            list(&p.only_current)
        )));
    }
    let mut notes: Vec<Note> = [("baseline", baseline), ("current results", current)]
        .into_iter()
        .filter_map(|(side, doc)| Some(Note::OlderFormat { side, tool: doc.tool(), lacks: doc.lacks()? }))
        .collect();
    notes.extend(p.only_baseline.iter().cloned().map(Note::OnlyInBaseline));
    notes.extend(p.only_current.iter().cloned().map(Note::New));
    let pairs = with_runs(p.pairs, &mut notes);
    // Two files are two sessions: their runs are never paired.
    check_pairs(&pairs, notes, opts, Design::Independent)
}

/// Check every benchmark of one results file against its first (the reference): for a base
/// and a candidate benchmarked together, interleaved, on the same machine.
pub fn against_reference(results: &Document, opts: &CheckOptions) -> Result<Regression, UserError> {
    let Some((reference, rest)) = results.results.split_first() else {
        return Err(input_error("no results to check".into()));
    };
    if rest.is_empty() {
        return Err(input_error(
            "one command only: give a second command to check against the first, or --baseline".into(),
        ));
    }
    let pairs: Vec<(&Benchmark, &Benchmark)> = rest.iter().map(|c| (reference, c)).collect();
    let mut notes = Vec::new();
    let pairs = with_runs(pairs, &mut notes);
    check_pairs(&pairs, notes, opts, results.design())
}

/// The pairs whose two sides have runs; a benchmark without (exported after Ctrl-C before its
/// first run ended) is named in a note and not checked: there is nothing to compare.
fn with_runs<'a, 'd>(
    pairs: Vec<(&'a Benchmark<'d>, &'a Benchmark<'d>)>,
    notes: &mut Vec<Note>,
) -> Vec<(&'a Benchmark<'d>, &'a Benchmark<'d>)> {
    pairs
        .into_iter()
        .filter(|(b, c)| {
            let empty = [("baseline", b), ("current results", c)].into_iter().find(|(_, x)| x.runs() == 0);
            if let Some((side, _)) = empty {
                notes.push(Note::NoRuns { benchmark: c.key(), side });
            }
            empty.is_none()
        })
        .collect()
}

fn check_pairs(
    pairs: &[(&Benchmark, &Benchmark)],
    mut notes: Vec<Note>,
    opts: &CheckOptions,
    design: Design,
) -> Result<Regression, UserError> {
    let mut rows = Vec::new();
    for t in &opts.thresholds {
        let in_b = pairs.iter().all(|(b, _)| b.values(&t.metric).is_some());
        let in_c = pairs.iter().all(|(_, c)| c.values(&t.metric).is_some());
        let side = match (in_b, in_c) {
            (true, true) => None,
            (false, false) => Some("either file"),
            (false, true) => Some("the baseline"),
            (true, false) => Some("the current results"),
        };
        match side {
            None => {}
            // A default threshold on a metric a file lacks (a hyperfine 1.x file has no memory) is skipped with a note.
            // The default threshold on simulated counts applies to files made with --simulate only.
            Some(_) if !(t.explicit || in_b || in_c) && t.metric.known().is_some_and(|m| m.is_simulated()) => continue,
            Some(side) if !t.explicit => {
                let metric = t.metric.clone();
                notes.push(if in_b || in_c { Note::MissingFrom { metric, side } } else { Note::InNeither(metric) });
                continue;
            }
            Some(side) => {
                return Err(input_error(format!(
                    "metric {} is missing from {side}: the two files hold different metrics; choose others with --threshold",
                    t.metric
                )));
            }
        }
        for (b, c) in pairs {
            let (Some(bv), Some(cv)) = (b.values(&t.metric), c.values(&t.metric)) else { continue };
            let check = match (t.metric.known().is_some_and(|m| m.is_simulated()), &bv[..], &cv[..]) {
                (true, [b], [c]) => crate::stats::simulated::check(*b, *c, t.threshold, opts.alpha),
                _ => check(&bv, &cv, t.threshold, opts.alpha, design),
            };
            if matches!(t.threshold, Threshold::Relative(_)) && check.baseline.mean == 0.0 {
                notes.push(Note::ZeroBaseline { benchmark: c.key(), metric: t.metric.clone() });
            }
            if let Some(needed) = check.runs_needed {
                let (benchmark, metric, threshold) = (c.key(), t.metric.clone(), t.threshold);
                let runs = check.baseline.count.min(check.current.count);
                notes.push(Note::TooNoisy { benchmark, metric, threshold, runs, needed });
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
