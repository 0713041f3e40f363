//! Options of regression checks (`denet compare`, `denet bench --baseline`): thresholds, α, what fails, where reports go.

use std::path::{Path, PathBuf};

use crate::cli::{CompareArgs, FailOn, Style};
use crate::error::UserError;
use crate::metrics;
use crate::vocab::Threshold;

/// The thresholds checked when none are given. Simulated counts are exact, so half a percent is a
/// real change (checked only when both files have them: `--simulate`).
pub const DEFAULT_THRESHOLDS: &str = "time_wall_clock=5%,memory_peak_resident=10%,sim_instructions=0.5%";

/// A metric to check and how much change it tolerates.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricThreshold {
    pub metric: metrics::MetricKey,
    pub threshold: Threshold,
    /// Given by the user (a missing metric is then an error, not a note).
    pub explicit: bool,
}

/// Everything a regression check needs.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub thresholds: Vec<MetricThreshold>,
    pub alpha: f64,
    pub fail_on_inconclusive: bool,
    pub markdown: Option<PathBuf>,
    pub junit: Option<PathBuf>,
}

/// `denet compare`, validated.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub baseline: PathBuf,
    pub current: PathBuf,
    pub check: CheckOptions,
    /// Print the table (not with `--style none`).
    pub print: bool,
}

impl CompareOptions {
    pub fn from_args(a: &CompareArgs) -> Result<CompareOptions, UserError> {
        let check = CheckOptions::new(
            a.threshold.as_deref(),
            a.alpha,
            a.fail_on == FailOn::Inconclusive,
            a.export_markdown.as_deref(),
            a.export_junit.as_deref(),
        )?;
        Ok(CompareOptions {
            baseline: baseline_path(&a.baseline),
            current: baseline_path(&a.current),
            check,
            print: a.style != Style::None,
        })
    }
}

impl CheckOptions {
    pub fn new(
        threshold: Option<&str>,
        alpha: f64,
        fail_on_inconclusive: bool,
        markdown: Option<&str>,
        junit: Option<&str>,
    ) -> Result<CheckOptions, UserError> {
        Ok(CheckOptions {
            thresholds: thresholds(threshold)?,
            alpha: super::alpha(alpha)?,
            fail_on_inconclusive,
            markdown: markdown.map(PathBuf::from),
            junit: junit.map(PathBuf::from),
        })
    }
}

/// Where named baselines live, relative to the working directory.
pub const BASELINE_DIR: &str = ".denet/baselines";

/// A baseline argument: a path when it looks like one (has a `/` or ends in `.json`) or exists; else a name.
pub fn baseline_path(arg: &str) -> PathBuf {
    let p = Path::new(arg);
    if arg.contains('/') || arg.ends_with(".json") || p.exists() {
        p.to_path_buf()
    } else {
        Path::new(BASELINE_DIR).join(format!("{arg}.json"))
    }
}

/// The file of baseline NAME, refusing names that would escape the folder or be awkward on disk.
pub fn named_baseline(name: &str) -> Result<PathBuf, UserError> {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.starts_with('.');
    if !ok {
        return Err(UserError::InvalidValue {
            flag: "--save-baseline",
            value: name.into(),
            why: "use letters, digits, '-', '_' and '.' (not first)".into(),
        });
    }
    Ok(Path::new(BASELINE_DIR).join(format!("{name}.json")))
}

fn bad(value: &str, why: impl Into<String>) -> UserError {
    UserError::InvalidValue { flag: "--threshold", value: value.to_string(), why: why.into() }
}

/// Parse `metric=5%,metric=2MiB,...`; `None` means the defaults.
pub fn thresholds(spec: Option<&str>) -> Result<Vec<MetricThreshold>, UserError> {
    let explicit = spec.is_some();
    let spec = spec.unwrap_or(DEFAULT_THRESHOLDS);
    let mut out: Vec<MetricThreshold> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (metric, value) =
            item.split_once('=').ok_or_else(|| bad(item, "expected METRIC=VALUE, e.g. time_wall_clock=5%"))?;
        let (metric, value) = (metric.trim(), value.trim());
        let metric = metrics::MetricKey::parse(metric);
        let threshold = threshold(&metric, value).map_err(|why| bad(item, why))?;
        out.retain(|t| t.metric != metric);
        out.push(MetricThreshold { metric, threshold, explicit });
    }
    if out.is_empty() {
        return Err(bad(spec, "no threshold given"));
    }
    Ok(out)
}

/// `5%` → relative 0.05; `2MiB`, `3ms`, `1.5k` → absolute in base units; a bare number is in base units.
fn threshold(metric: &metrics::MetricKey, value: &str) -> Result<Threshold, String> {
    if let Some(pct) = value.strip_suffix('%') {
        let p: f64 = pct.trim().parse().map_err(|_| format!("'{pct}' is not a number"))?;
        return if p >= 0.0 && p.is_finite() {
            Ok(Threshold::Relative(p / 100.0))
        } else {
            Err("must not be negative".into())
        };
    }
    let split = value.find(|c: char| c.is_ascii_alphabetic() || c == 'µ').unwrap_or(value.len());
    let (num, unit) = value.split_at(split);
    let n: f64 = num.trim().parse().map_err(|_| format!("'{value}' is not a number with an optional unit or %"))?;
    if !(n >= 0.0 && n.is_finite()) {
        return Err("must not be negative".into());
    }
    if unit.is_empty() {
        return Ok(Threshold::Absolute(n));
    }
    // Metrics denet does not know (hyperfine's hardware counters) are counts.
    let dimension = metric.dimension();
    let u = metrics::unit(unit.trim(), dimension).ok_or_else(|| {
        format!("unit '{unit}' does not fit {metric}; use % or one of {}", metrics::unit_symbols(dimension).join(", "))
    })?;
    Ok(Threshold::Absolute(n * u.scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_relative_and_absolute_thresholds() {
        let t = thresholds(Some("time_wall_clock=5%, memory_peak_resident=2MiB,time_user=3ms")).unwrap();
        assert_eq!(t[0].threshold, Threshold::Relative(0.05));
        assert_eq!(t[1].threshold, Threshold::Absolute(2.0 * 1048576.0));
        assert_eq!(t[2].threshold, Threshold::Absolute(0.003));
        assert!(t.iter().all(|t| t.explicit));
        let d = thresholds(None).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d[2].threshold, Threshold::Relative(0.005), "sim_instructions");
        assert!(!d[0].explicit);
    }

    #[test]
    fn refuses_malformed_thresholds() {
        for bad in ["time_wall_clock", "time_wall_clock=abc", "time_wall_clock=-5%", "time_wall_clock=5MiB", ""] {
            assert!(thresholds(Some(bad)).is_err(), "{bad:?} accepted");
        }
    }
}
