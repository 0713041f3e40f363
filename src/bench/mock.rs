//! A runner that runs nothing: deterministic timings for tests of ordering, counting and output.

use super::runner::{Invocation, RunError, Runner};
use crate::profile::{ExitStatus, RunProfile, TreeProfile};

/// hyperfine's mock executor (`--debug-mode`), extended: `sleep X` takes exactly X seconds, `exit N`
/// exits with N, anything else takes 1 ms. Through a shell that is itself `sleep X` (hyperfine's tests
/// use `--shell="sleep X"` to stand for a slow shell), each run takes X more, and the shell alone
/// (the calibration's `-c ""`) takes X. No resources are used: peak RSS and CPU times are zero.
#[derive(Debug, Default)]
pub struct MockRunner;

/// The seconds a mock `sleep X` takes (0 for anything else).
fn sleep_time(words: &[&str]) -> f64 {
    match words {
        ["sleep", x, ..] => x.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

impl Runner for MockRunner {
    fn measure(&mut self, inv: &Invocation, _sample: bool) -> Result<RunProfile, RunError> {
        let (shell, line) = match inv.argv.iter().position(|a| a == "-c") {
            Some(i) => (&inv.argv[..i], inv.argv.get(i + 1).cloned().unwrap_or_default()),
            None => (&inv.argv[..0], inv.argv.join(" ")),
        };
        let shell_s = sleep_time(&shell.iter().map(String::as_str).collect::<Vec<_>>());
        let words: Vec<&str> = line.split_whitespace().collect();
        let (wall_s, code) = match words.as_slice() {
            [] => (0.0, 0),
            ["sleep", ..] => (sleep_time(&words), 0),
            ["exit", n, ..] => (0.001, n.parse().unwrap_or(1)),
            _ => (0.001, 0),
        };
        Ok(RunProfile {
            wall_s: wall_s + shell_s,
            tree: TreeProfile { processes_peak: 1, threads_peak: 1, ..TreeProfile::default() },
            exit: Some(ExitStatus { code: Some(code), signal: None }),
            ..RunProfile::default()
        })
    }
}
