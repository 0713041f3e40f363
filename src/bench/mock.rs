//! A runner that runs nothing: deterministic timings for tests of ordering, counting and output.

use super::runner::{Invocation, RunError, Runner};
use crate::profile::{ExitStatus, RunProfile, Rusage, TreeProfile};

/// `sleep X` (directly or through `sh -c`) takes exactly X seconds; `exit N` exits with N; anything else takes 1 ms.
/// Peak RSS is 1 MiB, other resources zero.
#[derive(Debug, Default)]
pub struct MockRunner;

impl MockRunner {
    fn line(inv: &Invocation) -> String {
        match inv.argv.iter().position(|a| a == "-c") {
            Some(i) => inv.argv.get(i + 1).cloned().unwrap_or_default(),
            None => inv.argv.join(" "),
        }
    }
}

impl Runner for MockRunner {
    fn measure(&mut self, inv: &Invocation, _sample: bool) -> Result<RunProfile, RunError> {
        let line = Self::line(inv);
        let words: Vec<&str> = line.split_whitespace().collect();
        let (wall_s, code) = match words.as_slice() {
            ["sleep", x, ..] => (x.parse().unwrap_or(0.0), 0),
            ["exit", n, ..] => (0.001, n.parse().unwrap_or(1)),
            _ => (0.001, 0),
        };
        Ok(RunProfile {
            wall_s,
            rusage: Rusage { max_rss_bytes: 1 << 20, ..Rusage::default() },
            tree: TreeProfile { rss_peak_bytes: 1 << 20, processes_peak: 1, threads_peak: 1, ..TreeProfile::default() },
            exit: Some(ExitStatus { code: Some(code), signal: None }),
            started_s: 0.0,
            ..RunProfile::default()
        })
    }
}
