//! The run's cgroup and its limits: `--no-cgroup`, `--timeout`, `--memory-limit`, `--keep-strays`, validated.

use std::time::Duration;

use super::{parse_duration, Unit};
use crate::cli::LimitArgs;
use crate::error::UserError;

/// What each run gets: its own cgroup (unless `--no-cgroup`) and the limits on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    pub cgroup: bool,
    /// `--timeout`: kill the run's whole tree after this long.
    pub timeout: Option<Duration>,
    /// `--memory-limit`, bytes.
    pub memory_limit: Option<u64>,
    pub keep_strays: bool,
}

impl Limits {
    /// Runs get cgroups unless `--no-cgroup` (`--cgroup` is the default); a memory limit needs them.
    pub fn from_args(a: &LimitArgs) -> Result<Limits, UserError> {
        let memory_limit = a.memory_limit.as_deref().map(parse_size).transpose()?;
        if a.no_cgroup && memory_limit.is_some() {
            return Err(UserError::InvalidValue {
                flag: "--memory-limit",
                value: a.memory_limit.clone().unwrap_or_default(),
                why: "a memory limit needs the run's cgroup: leave out --no-cgroup".into(),
            });
        }
        Ok(Limits {
            cgroup: !a.no_cgroup,
            timeout: a.timeout.as_deref().map(|t| parse_duration("--timeout", t, Unit::Seconds)).transpose()?,
            memory_limit,
            keep_strays: a.keep_strays,
        })
    }
}

/// A size in bytes: a bare number, or with K, M, G (powers of 1024; KiB, MiB, GiB and a trailing B are accepted).
pub fn parse_size(value: &str) -> Result<u64, UserError> {
    let bad = |why: &str| UserError::InvalidValue { flag: "--memory-limit", value: value.to_string(), why: why.into() };
    let v = value.trim();
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (num, suffix) = v.split_at(split);
    let n: f64 = num.trim().parse().map_err(|_| bad("not a number; write e.g. 50M, 2G or 1048576"))?;
    let scale = match suffix.trim().trim_end_matches(['B', 'b']).trim_end_matches('i') {
        "" => 1u64,
        "K" | "k" => 1 << 10,
        "M" | "m" => 1 << 20,
        "G" | "g" => 1 << 30,
        "T" | "t" => 1 << 40,
        _ => return Err(bad("unknown unit; use K, M, G or T (powers of 1024)")),
    };
    let bytes = n * scale as f64;
    // Below a page the kernel cannot even start the program.
    if !bytes.is_finite() || bytes < 4096.0 {
        return Err(bad("must be at least 4096 bytes"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("50M").unwrap(), 50 << 20);
        assert_eq!(parse_size("50MiB").unwrap(), 50 << 20);
        assert_eq!(parse_size("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_size("8192").unwrap(), 8192);
        assert!(parse_size("12").is_err(), "below a page");
        assert!(parse_size("5X").is_err());
        assert!(parse_size("-5M").is_err());
    }

    #[test]
    fn a_memory_limit_needs_the_cgroup() {
        let a = LimitArgs { no_cgroup: true, memory_limit: Some("50M".into()), ..LimitArgs::default() };
        assert!(Limits::from_args(&a).is_err());
        let ok = Limits::from_args(&LimitArgs { timeout: Some("0.5".into()), ..LimitArgs::default() }).unwrap();
        assert_eq!((ok.cgroup, ok.timeout), (true, Some(Duration::from_millis(500))));
    }
}
