//! `--simulate`: one more run of a command under valgrind's cachegrind, with what would make the counts vary held fixed, and the tree's output files summed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::error::UserError;
use crate::options::bench::BenchmarkSpec;
use crate::profile::{Caches, Events, Simulation};
use crate::vocab::{IgnoreFailure, Input};

/// The simulated caches, fixed rather than read from the host (cachegrind's default), so that a
/// baseline taken on one runner compares with a run on another: 32 KiB 8-way L1s and an 8 MiB
/// 16-way last level with 64-byte lines, a common x86-64 desktop.
const I1: &str = "32768,8,64";
const D1: &str = "32768,8,64";
const LL: &str = "8388608,16,64";

/// Variables a command keeps in its simulated run; everything else (CI's commit hashes, branch
/// names, `PWD`, `SHLVL`, `VALGRIND_OPTS`) is dropped, since its size changes the counts.
const KEPT: [&str; 8] = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR"];

/// The environment strings are padded to a multiple of this size, so that the stack the program
/// starts with sits at the same offset within a page whatever the kept values' lengths.
const ENV_PAGE: usize = 4096;

/// valgrind, found and identified once per benchmark.
#[derive(Debug, Clone)]
pub struct Simulator {
    valgrind: PathBuf,
    version: String,
}

impl Simulator {
    /// Find valgrind in `PATH` and ask its version; the error names the package to install.
    pub fn find() -> Result<Simulator, UserError> {
        let missing = |why: String| UserError::MissingValgrind(why);
        let valgrind = find_in_path("valgrind").ok_or_else(|| missing("valgrind is not in PATH".into()))?;
        let out = Command::new(&valgrind)
            .arg("--version")
            .output()
            .map_err(|e| missing(format!("{} cannot be run: {e}", valgrind.display())))?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || !version.starts_with("valgrind") {
            return Err(missing(format!("{} --version did not answer as valgrind does", valgrind.display())));
        }
        Ok(Simulator { valgrind, version })
    }

    /// Run `spec` once under cachegrind and sum its processes' events.
    pub fn run(&self, spec: &BenchmarkSpec, input: &Input, accept: &IgnoreFailure) -> anyhow::Result<Simulation> {
        let dir =
            tempfile::Builder::new().prefix("denet-sim").tempdir().context("cannot make a folder for cachegrind")?;
        let status = self
            .command(spec, input, dir.path())?
            .status()
            .with_context(|| format!("cannot start {} for '{}'", self.valgrind.display(), spec.command_line))?;
        if is_interruption(status) {
            return Err(Interrupted.into());
        }
        if !accept.accepts(status.code()) {
            let how =
                status.code().map_or_else(|| "was killed by a signal".into(), |c| format!("exited with code {c}"));
            anyhow::bail!(
                "the simulated run of '{}' {how}; valgrind said:\n{}",
                spec.command_line,
                log_tail(dir.path())
            );
        }
        let (events, processes) = sum_outputs(dir.path())?;
        Ok(Simulation {
            tool: "cachegrind".into(),
            valgrind_version: self.version.clone(),
            caches: Caches { i1: I1.into(), d1: D1.into(), ll: LL.into() },
            processes,
            exit_code: status.code().map(i64::from),
            events,
        })
    }

    fn command(&self, spec: &BenchmarkSpec, input: &Input, dir: &Path) -> anyhow::Result<Command> {
        let mut cmd = Command::new(&self.valgrind);
        cmd.args(["--tool=cachegrind", "--cache-sim=yes", "--trace-children=yes"])
            .arg(format!("--I1={I1}"))
            .arg(format!("--D1={D1}"))
            .arg(format!("--LL={LL}"))
            // %n: a process that forks keeps its own file.
            .arg(format!("--cachegrind-out-file={}/cg.%p.%n", dir.display()))
            .arg(format!("--log-file={}/log.%p", dir.display()))
            .arg("--")
            .args(&spec.argv)
            .env_clear()
            .envs(environment(std::env::vars(), &spec.env))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match input {
            Input::Null => cmd.stdin(Stdio::null()),
            Input::File(p) => {
                cmd.stdin(std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?)
            }
        };
        no_aslr(&mut cmd);
        Ok(cmd)
    }
}

/// Ctrl-C (or SIGTERM, SIGHUP) during the simulated run: the benchmark ends as interrupted.
#[derive(Debug, thiserror::Error)]
#[error("interrupted during the simulated run")]
pub struct Interrupted;

/// valgrind ended by the signals that interrupt denet: they reached it too (same process group).
fn is_interruption(status: std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal().is_some_and(|s| [libc::SIGINT, libc::SIGTERM, libc::SIGHUP].contains(&s))
}

/// Address-space randomisation off for valgrind and everything it runs (the personality flag is
/// inherited across fork and exec): where the stack and libraries land changes cache sets.
#[cfg(target_os = "linux")]
fn no_aslr(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: personality(2) is async-signal-safe and only changes the flags of the child being set up.
    unsafe {
        cmd.pre_exec(|| {
            libc::personality(libc::ADDR_NO_RANDOMIZE as libc::c_ulong);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn no_aslr(_cmd: &mut Command) {}

/// The simulated run's environment: the kept variables and the benchmark's `--env`, sorted by name,
/// `PYTHONHASHSEED=0` unless given (Python hashes strings with a random seed otherwise), then a
/// padding variable that rounds the strings' total size up to `ENV_PAGE`.
pub fn environment(current: impl Iterator<Item = (String, String)>, own: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> =
        current.filter(|(k, _)| KEPT.contains(&k.as_str()) || k.starts_with("LC_")).collect();
    for (k, v) in own {
        env.retain(|(name, _)| name != k);
        env.push((k.clone(), v.clone()));
    }
    if !env.iter().any(|(k, _)| k == "PYTHONHASHSEED") {
        env.push(("PYTHONHASHSEED".into(), "0".into()));
    }
    env.sort();
    // Each variable is `NAME=value\0` on the stack.
    let size = |(k, v): &(String, String)| k.len() + v.len() + 2;
    let pad_name = "DENET_SIM_PAD";
    let used: usize = env.iter().map(size).sum::<usize>() + pad_name.len() + 2;
    env.push((pad_name.into(), "x".repeat((ENV_PAGE - used % ENV_PAGE) % ENV_PAGE)));
    env
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Sum the `summary:` lines of every cachegrind output file in `dir`; the number of files is the
/// number of processes counted.
fn sum_outputs(dir: &Path) -> anyhow::Result<(Events, u64)> {
    let mut total = Events::default();
    let mut files = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("cg.")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        add_output(&mut total, &text).with_context(|| format!("cachegrind's output {}", path.display()))?;
        files += 1;
    }
    anyhow::ensure!(files > 0, "cachegrind wrote no output file; valgrind said:\n{}", log_tail(dir));
    Ok((total, files))
}

/// Add one output file's totals: its `events:` line names the columns of its `summary:` line.
pub fn add_output(total: &mut Events, text: &str) -> anyhow::Result<()> {
    let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(str::split_whitespace);
    let names = field("events:").context("no 'events:' line")?;
    let values = field("summary:").context("no 'summary:' line (did the process finish?)")?;
    for (name, value) in names.zip(values) {
        let value: u64 = value.parse().with_context(|| format!("'{value}' is not a count"))?;
        if let Some(slot) = total.get_mut(name) {
            *slot += value;
        }
    }
    Ok(())
}

/// The last lines of valgrind's logs, for an error message.
fn log_tail(dir: &Path) -> String {
    let mut lines: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("log."))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .flat_map(|t| t.lines().map(String::from).collect::<Vec<_>>())
        .collect();
    let keep = lines.len().saturating_sub(12);
    lines.drain(..keep);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_environment_keeps_few_variables_sorted_and_padded_to_a_page() {
        let current =
            vars(&[("PWD", "/a/b"), ("PATH", "/bin"), ("GITHUB_SHA", "abc"), ("LC_ALL", "C"), ("HOME", "/r")]);
        let env = environment(current.into_iter(), &vars(&[("N", "5"), ("HOME", "/h")]));
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["HOME", "LC_ALL", "N", "PATH", "PYTHONHASHSEED", "DENET_SIM_PAD"]);
        assert_eq!(env[0].1, "/h", "--env wins");
        let size: usize = env.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        assert_eq!(size % ENV_PAGE, 0);
        // A longer value changes only the padding.
        let longer = environment(vars(&[("PATH", "/usr/local/bin:/bin")]).into_iter(), &[]);
        let shorter = environment(vars(&[("PATH", "/bin")]).into_iter(), &[]);
        let total = |e: &[(String, String)]| e.iter().map(|(k, v)| k.len() + v.len() + 2).sum::<usize>();
        assert_eq!(total(&longer), total(&shorter));
    }

    #[test]
    fn sums_the_summary_lines_by_event_name() {
        let mut total = Events::default();
        let a = "desc: I1 cache: 32768 B\ncmd: ./x\nevents: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw\nfl=x\n1 2 3\nsummary: 100 1 1 20 2 1 10 1 0\n";
        // Another valgrind version may list the events in another order.
        let b = "events: Dr Ir\nsummary: 5 50\n";
        add_output(&mut total, a).unwrap();
        add_output(&mut total, b).unwrap();
        assert_eq!((total.ir, total.dr, total.dw, total.i1mr), (150, 25, 10, 1));
        assert!(add_output(&mut total, "events: Ir\n").is_err(), "a process that did not finish has no summary");
    }
}
