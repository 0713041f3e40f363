//! `denet run`'s command in a cgroup of its own: the group made before the spawn, `--timeout`, and after the exit its counters and strays.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use crate::monitor::cgroup::{self, Leaf, Plan};
use crate::options::limits::Limits;
use crate::profile::{Capability, CgroupCounters, RunLimits};

/// The metrics a run's cgroup gives, for the capability list.
pub const METRICS: [&str; 7] = [
    "memory_peak_cgroup",
    "time_cpu_cgroup",
    "processes_peak_cgroup",
    "pressure_cpu_some",
    "pressure_memory_some",
    "pressure_io_some",
    "oom_kills",
];

/// The command's groups, made; `procs` stay open until the spawn, for the child to join.
pub struct Contained {
    plan: Plan,
    leaf: Arc<Leaf>,
    procs: Vec<std::fs::File>,
}

/// Make the command's groups, or say once why not (the reason also goes into the capabilities).
pub fn setup(limits: &Limits) -> anyhow::Result<(Option<Contained>, Vec<Capability>)> {
    if !limits.cgroup {
        return Ok((None, capabilities(Some("turned off (--no-cgroup)"))));
    }
    let made = Plan::prepare(limits.memory_limit).and_then(|plan| {
        let leaf = Leaf::create(&plan, "run").map_err(|e| format!("cannot create the run's cgroup: {e}"))?;
        let procs = leaf.procs().map_err(|e| format!("cannot open the run's cgroup.procs: {e}"))?;
        Ok(Contained { plan, leaf: Arc::new(leaf), procs })
    });
    match made {
        Ok(c) => Ok((Some(c), capabilities(None))),
        // A limit the user asked for cannot be silently dropped.
        Err(why) if limits.memory_limit.is_some() => anyhow::bail!("--memory-limit: {why}"),
        Err(why) => {
            note!("denet: warning: the command runs without a cgroup of its own, so its cgroup metrics are absent and processes it leaves behind are not killed: {why}");
            Ok((None, capabilities(Some(&why))))
        }
    }
}

fn capabilities(missing: Option<&str>) -> Vec<Capability> {
    METRICS
        .iter()
        .map(|m| Capability { metric: m.to_string(), available: missing.is_none(), reason: missing.map(String::from) })
        .collect()
}

impl Contained {
    /// The descriptors the child writes itself into before exec.
    pub fn join_fds(&self) -> Vec<RawFd> {
        self.procs.iter().map(AsRawFd::as_raw_fd).collect()
    }

    /// After the spawn: the child is in; our copies of `cgroup.procs` are closed.
    pub fn spawned(&mut self) {
        self.procs.clear();
    }

    /// The killer `--timeout` uses.
    pub fn leaf(&self) -> Arc<Leaf> {
        self.leaf.clone()
    }

    /// After the main process exited: the group's counters; the strays, named and (unless kept) killed.
    pub fn finish(self, keep_strays: bool) -> (CgroupCounters, Vec<String>) {
        let counters = self.leaf.read(&self.plan);
        let members = self.leaf.members();
        let strays = cgroup::names(&members);
        if !strays.is_empty() {
            let what = if keep_strays { "left running (--keep-strays)" } else { "killed" };
            note!(
                "denet: warning: processes still running after the command exited were {what}: {}",
                strays.join(", ")
            );
            if !keep_strays {
                self.leaf.kill();
                // Orphans are ours (denet is their subreaper): reap them, or they stay zombies.
                for pid in members {
                    // SAFETY: waiting for a pid that is our child or not (ECHILD); no memory effects.
                    unsafe { libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), 0) };
                }
            }
        }
        if !keep_strays || strays.is_empty() {
            self.leaf.remove();
            self.plan.remove();
        }
        (counters, strays)
    }
}

/// The run's limits as they ended: `timed_out`, `oom_killed`, strays.
pub fn outcome(timed_out: bool, counters: &CgroupCounters, strays: Vec<String>) -> RunLimits {
    RunLimits { timed_out, oom_killed: counters.oom_kills.is_some_and(|n| n > 0), strays }
}

/// `--timeout`: when it fires, the whole group dies at once (or without a group, `kill_tree`).
pub struct Timeout {
    cancel: mpsc::Sender<()>,
    fired: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Timeout {
    pub fn start(limit: Duration, leaf: Option<Arc<Leaf>>, kill_tree: fn()) -> Timeout {
        let (cancel, rx) = mpsc::channel::<()>();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = fired.clone();
        let thread = std::thread::spawn(move || {
            if rx.recv_timeout(limit) != Err(mpsc::RecvTimeoutError::Timeout) {
                return;
            }
            flag.store(true, Ordering::SeqCst);
            match leaf {
                Some(l) => l.kill(),
                None => kill_tree(),
            }
        });
        Timeout { cancel, fired, thread }
    }

    /// After the main process exited: true when the timeout fired (its kill is then complete).
    pub fn settle(self) -> bool {
        let _ = self.cancel.send(());
        let _ = self.thread.join();
        self.fired.load(Ordering::SeqCst)
    }
}
