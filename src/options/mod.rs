//! Validated options: the one place where clap's types become the program's; nothing after this sees clap.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{BackendArg, RecordArgs, SamplingArgs};
use crate::error::UserError;
use crate::monitor::{Backend, Schedule};

/// Where recordings go and what people see.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// JSONL (or JSON for `stats`) on stdout.
    pub json_stdout: bool,
    pub file: Option<PathBuf>,
    /// Live status and summary table on stderr.
    pub human: bool,
    pub env_record: bool,
}

/// Everything a monitoring command needs.
#[derive(Debug, Clone)]
pub struct MonitorOptions {
    pub schedule: Schedule,
    pub backend: Backend,
    pub duration: Option<Duration>,
    pub output: OutputOptions,
    /// Load the eBPF programs (`--ebpf`).
    pub ebpf: bool,
    /// The command's cgroup and its limits (`denet run`; `attach` cannot move a running process).
    pub limits: limits::Limits,
}

impl OutputOptions {
    pub fn from_args(a: &RecordArgs) -> OutputOptions {
        OutputOptions { json_stdout: a.json, file: a.out.clone(), human: !a.quiet, env_record: a.env_record }
    }
}

impl MonitorOptions {
    /// Resolve the sampling and output flags and the duration.
    pub fn from_args(
        sampling: &SamplingArgs,
        record: &RecordArgs,
        duration: Option<&str>,
        ebpf: bool,
    ) -> Result<MonitorOptions, UserError> {
        let interval = sampling.interval.as_deref().unwrap_or("100");
        let max = sampling.max_interval.as_deref();
        let base = parse_duration("--interval", interval, Unit::Millis)?;
        // An explicit base above the default maximum raises the maximum with it; only an explicit maximum can conflict.
        let max = match max {
            Some(m) => parse_duration("--max-interval", m, Unit::Millis)?,
            None => base.max(Duration::from_millis(1000)),
        };
        if base > max {
            return Err(UserError::InvalidValue {
                flag: "--interval",
                value: interval.to_string(),
                why: format!(
                    "the base interval is above --max-interval ({} ms); lower it or raise the maximum",
                    max.as_millis()
                ),
            });
        }
        let backend = match sampling.backend {
            BackendArg::Auto => Backend::native(),
            BackendArg::Procfs if cfg!(target_os = "linux") => Backend::Procfs,
            BackendArg::Procfs => {
                return Err(UserError::InvalidValue {
                    flag: "--backend",
                    value: "procfs".into(),
                    why: "/proc is read on Linux only; use --backend sysinfo (the default here)".into(),
                })
            }
            BackendArg::Sysinfo => Backend::Sysinfo,
        };
        Ok(MonitorOptions {
            schedule: Schedule { base, max },
            backend,
            duration: duration.map(|d| parse_duration("--duration", d, Unit::Seconds)).transpose()?,
            output: OutputOptions::from_args(record),
            ebpf,
            limits: limits::Limits::default(),
        })
    }
}

/// A significance level: strictly between 0 and 1.
pub fn alpha(a: f64) -> Result<f64, UserError> {
    if a > 0.0 && a < 1.0 {
        Ok(a)
    } else {
        Err(UserError::InvalidValue {
            flag: "--alpha",
            value: a.to_string(),
            why: "must be between 0 and 1, e.g. 0.05".into(),
        })
    }
}

/// The unit of a bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Millis,
    Seconds,
}

/// Parse a positive duration: a bare number in `unit`, or a number with ms, s, m or h.
pub fn parse_duration(flag: &'static str, value: &str, unit: Unit) -> Result<Duration, UserError> {
    let bad = |why: &str| UserError::InvalidValue { flag, value: value.to_string(), why: why.to_string() };
    let v = value.trim();
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (num, suffix) = v.split_at(split);
    let n: f64 = num.trim().parse().map_err(|_| bad("not a number; write e.g. 100, 100ms or 0.5s"))?;
    let scale = match (suffix.trim(), unit) {
        ("", Unit::Millis) | ("ms", _) => 1e-3,
        ("", Unit::Seconds) | ("s", _) => 1.0,
        ("m" | "min", _) => 60.0,
        ("h", _) => 3600.0,
        _ => return Err(bad("unknown unit; use ms, s, m or h")),
    };
    if !n.is_finite() || n <= 0.0 {
        return Err(bad("must be greater than zero"));
    }
    let secs = n * scale;
    if secs > 366.0 * 86400.0 {
        return Err(bad("must be at most a year"));
    }
    if secs < 1e-3 {
        return Err(bad("must be at least 1 ms"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_rejects_nonsense() {
        assert_eq!(parse_duration("-i", "100", Unit::Millis).unwrap(), Duration::from_millis(100));
        assert_eq!(parse_duration("-i", "0.5s", Unit::Millis).unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("-d", "2", Unit::Seconds).unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("-d", "2m", Unit::Seconds).unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("-d", "250ms", Unit::Seconds).unwrap(), Duration::from_millis(250));
        for bad in ["0", "-5", "abc", "", "10parsecs", "0.0001", "NaN", "inf", "100000000000000000000"] {
            assert!(parse_duration("-i", bad, Unit::Millis).is_err(), "{bad} accepted");
        }
    }
}
pub mod bench;
pub mod compare;
pub mod limits;
pub mod params;
pub mod shell_syntax;
