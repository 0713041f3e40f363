//! Shared helpers: the binaries, the CPU lock, and JSONL parsing.

use std::path::PathBuf;
use std::process::Output;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use serde_json::Value;

/// A guard against hangs, not a measurement: no test here should come near it.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// 2 cores: a CPU-heavy test holds this exclusively and every other test holds it shared,
/// so CPU measurements never compete with the rest of the suite.
static CPU: RwLock<()> = RwLock::new(());

/// For a test that burns CPU or measures CPU use: runs alone.
pub fn cpu_exclusive() -> RwLockWriteGuard<'static, ()> {
    CPU.write().unwrap_or_else(|e| e.into_inner())
}

/// For every other test: runs alongside the others, never alongside a CPU-heavy one.
pub fn cpu_shared() -> RwLockReadGuard<'static, ()> {
    CPU.read().unwrap_or_else(|e| e.into_inner())
}

pub const MIB: u64 = 1 << 20;

/// The denet binary under test.
pub fn denet() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("denet").expect("the denet binary");
    cmd.timeout(HANG_GUARD);
    cmd
}

/// The path of the denet binary, for commands run through a shell or another user.
pub fn denet_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_denet"))
}

/// `target/<profile>/examples/workload`, found from this test executable (`target/<profile>/deps/cli-...`).
pub fn workload() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/<test>");
    let path = profile_dir.join("examples").join(format!("workload{}", std::env::consts::EXE_SUFFIX));
    assert!(path.is_file(), "{} is missing: run `cargo build --examples` (cargo test builds it too)", path.display());
    path
}

/// Parse JSONL: every line must be a JSON object with a string "kind".
pub fn records(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).expect("JSONL is UTF-8");
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("line {} is not JSON ({e}): {line:?}", i + 1));
            assert!(v.get("kind").and_then(Value::as_str).is_some(), "line {} has no \"kind\": {line}", i + 1);
            v
        })
        .collect()
}

pub fn kind(v: &Value) -> &str {
    v["kind"].as_str().expect("a kind")
}

/// The last record, which must be the summary.
pub fn last_summary(stdout: &[u8]) -> Value {
    let recs = records(stdout);
    let last = recs.last().expect("at least one record").clone();
    assert_eq!(kind(&last), "summary", "the last record is not the summary: {last}");
    last
}

/// `denet run -q --json -- workload ARGS...`: the output, whatever the exit code.
pub fn run_workload(args: &[&str]) -> Output {
    denet().args(["run", "-q", "--json", "--"]).arg(workload()).args(args).output().expect("denet runs")
}

/// `denet run -q --json -- workload ARGS...`, which must exit 0: its summary.
pub fn summary_of(args: &[&str]) -> Value {
    let out = run_workload(args);
    assert!(out.status.success(), "denet run -- workload {args:?} failed: {out:?}");
    last_summary(&out.stdout)
}

pub fn u64_of(v: &Value, field: &str) -> u64 {
    v[field].as_u64().unwrap_or_else(|| panic!("{field} is not an unsigned integer in {v}"))
}

pub fn f64_of(v: &Value, field: &str) -> f64 {
    v[field].as_f64().unwrap_or_else(|| panic!("{field} is not a number in {v}"))
}

/// Structural equality, with floats equal up to rounding in the last digits (a parse and re-print may move one ULP).
pub fn assert_same_json(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut kx: Vec<_> = x.keys().collect();
            let mut ky: Vec<_> = y.keys().collect();
            kx.sort();
            ky.sort();
            assert_eq!(kx, ky, "different fields at {path}");
            for k in x.keys() {
                assert_same_json(&x[k], &y[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "different lengths at {path}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                assert_same_json(p, q, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(p), Value::Number(q)) if p.is_f64() || q.is_f64() => {
            let (p, q) = (p.as_f64().unwrap(), q.as_f64().unwrap());
            assert!((p - q).abs() <= 1e-12 * p.abs().max(q.abs()), "{path}: {p} != {q}");
        }
        _ => assert_eq!(a, b, "different values at {path}"),
    }
}

/// A spawned process tree (own process group) that is killed and reaped when dropped.
pub struct Tree(pub std::process::Child);

impl Tree {
    pub fn spawn(cmd: &mut std::process::Command) -> Tree {
        use std::os::unix::process::CommandExt;
        Tree(cmd.process_group(0).spawn().expect("spawn the workload"))
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        // SAFETY: kill has no memory effects; the group is the one this tree leads.
        unsafe {
            libc::kill(-(self.0.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}
