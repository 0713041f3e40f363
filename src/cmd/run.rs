//! `denet run`: start a command, monitor its tree until it exits, and exit with its exit code.

use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use super::contain::{self, Contained, Timeout};
use super::session;
use crate::monitor::child::{self, ChildStdio};
use crate::monitor::ebpf::{Kernel, Role};
use crate::monitor::{CountFrom, Finished, Monitor};
use crate::options::MonitorOptions;
use crate::profile::{CgroupCounters, ExitStatus, RunLimits, Rusage, Summary};
use crate::render::MonitorSink;

/// How long a command stopped by `--duration` gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

pub fn run(opts: &MonitorOptions, argv: &[String], silent: bool) -> anyhow::Result<ExitCode> {
    let mut sink = session::open_sink(opts, false, !silent)?;
    let (stdio, stdout_rule) = match (silent, opts.output.json_stdout) {
        (true, _) => (ChildStdio::Null, "discarded (--silent)"),
        (false, true) => (ChildStdio::StdoutToStderr, "stderr (stdout carries the JSONL)"),
        (false, false) => (ChildStdio::Inherit, "inherited"),
    };
    platform::prepare();
    // Signal handling first: a SIGTERM right after the spawn is held for the child, not fatal to denet.
    let forwarder = platform::forward_signals()?;
    let kernel = session::kernel(opts);
    let (mut group, group_caps) = contain::setup(&opts.limits)?;
    let join = group.as_ref().map(Contained::join_fds).unwrap_or_default();
    let spawned_at = std::time::Instant::now();
    let child = spawn(argv, stdio, kernel.kernel.as_deref(), &join)?;
    let pid = child.id();
    if let Some(g) = group.as_mut() {
        g.spawned();
    }
    platform::set_target(&forwarder, pid);
    let mut caps = session::probe(opts.backend, pid);
    caps.extend(kernel.capabilities);
    caps.extend(group_caps);
    let reported = session::unavailable(&caps);
    let mut meta = session::metadata(opts, "run", pid, argv.to_vec(), caps, stdout_rule);
    meta.ebpf = kernel.checks;
    session::write_header(&mut sink, opts, meta);
    let mut config = session::config(opts, CountFrom::Zero);
    let programs = kernel.kernel.clone();
    config.kernel = kernel.kernel;
    // The duration is enforced by stopping the child below, so the monitor sees its end.
    config.duration = None;
    config.origin = spawned_at;
    let monitor = match Monitor::start(pid, config, sink) {
        Ok(m) => m,
        Err(e) => {
            // Never leave the command running behind an error.
            platform::kill(pid);
            let _ = platform::wait_exit(child).map(|o| platform::reap(pid, o));
            return Err(anyhow::Error::new(e).context("cannot start the monitor thread"));
        }
    };
    let deadline = opts.duration.map(|d| Deadline::start(d, pid));
    let timeout = opts.limits.timeout.map(|t| Timeout::start(t, group.as_ref().map(Contained::leaf), kill_tree));
    let exited = platform::wait_exit(child);
    if let Some(d) = deadline {
        d.settle();
    }
    let timed_out = timeout.is_some_and(Timeout::settle);
    // The child is still a zombie here, so the final sample can read its last counters.
    let finished = monitor.finish();
    let (exit, rusage) = platform::reap(pid, exited?)?;
    let (counters, strays) = group.map(|g| g.finish(opts.limits.keep_strays)).unwrap_or_default();
    let ended = Ended { exit, rusage, counters, limits: contain::outcome(timed_out, &counters, strays) };
    drop(forwarder);
    let summary = programs
        .map_or_else(|| finished.summary.clone(), |k| session::with_kernel_tree(finished.summary.clone(), &k, pid, 0));
    finish(finished, summary, ended, opts, &reported)
}

/// `--timeout` without a cgroup: every live process of the tree.
fn kill_tree() {
    platform::signal_tree(0, platform::KILL);
}

/// How the command ended: wait4's figures, its cgroup's, and its limits.
struct Ended {
    exit: ExitStatus,
    rusage: Option<Rusage>,
    counters: CgroupCounters,
    limits: RunLimits,
}

/// Spawn the command; with eBPF, denet is a parent-only target meanwhile, so that the child becomes
/// a target in the kernel as it is forked and its first syscall counts.
fn spawn(
    argv: &[String],
    stdio: ChildStdio,
    kernel: Option<&Kernel>,
    join: &[i32],
) -> anyhow::Result<std::process::Child> {
    let me = std::process::id();
    if let Some(k) = kernel {
        k.watch(me, Role::ParentOnly)?;
    }
    let child = child::spawn(argv, stdio, join);
    if let Some(k) = kernel {
        k.unwatch(me);
    }
    child
}

/// The summary with wait4's exact figures, written out; the exit code is the command's.
fn finish(
    finished: Finished<MonitorSink>,
    mut summary: Summary,
    ended: Ended,
    opts: &MonitorOptions,
    reported: &[String],
) -> anyhow::Result<ExitCode> {
    let Ended { exit, rusage, counters, limits } = ended;
    if let Some(peak) = counters.processes_peak_cgroup {
        // pids.peak counts tasks (every thread of every process): the exact peak of the threads, of which
        // the sampled figure is a lower bound. It says nothing exact of processes alone.
        summary.threads_peak = summary.threads_peak.max(peak);
        summary.sampled.retain(|f| f != "threads_peak");
    }
    summary.cgroup = counters;
    summary.limits = limits;
    if let Some(r) = &rusage {
        summary = summary.with_wait4(r);
    }
    summary.exit = Some(exit);
    session::finish(finished, summary, opts, reported)?;
    Ok(ExitCode::from(exit.shell_code().clamp(0, 255) as u8))
}

/// `--duration`: a timer that stops the command's whole tree when it fires: SIGTERM to every
/// process of it, then SIGKILL to what is left after a grace period. Until it fires it can be cancelled.
struct Deadline {
    cancel: mpsc::Sender<()>,
    fired: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Deadline {
    fn start(limit: Duration, root: u32) -> Deadline {
        let (cancel, rx) = mpsc::channel::<()>();
        let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = fired.clone();
        let thread = std::thread::spawn(move || {
            if rx.recv_timeout(limit) != Err(mpsc::RecvTimeoutError::Timeout) {
                return;
            }
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            platform::signal_tree(root, platform::TERM);
            // The grace period ends early once nothing of the tree is left.
            wait_while_alive(KILL_GRACE);
            // Again until none is left: a process can be missing from one walk of /proc (it was being
            // re-parented to denet at that moment), and SIGKILL is delivered asynchronously.
            let end = std::time::Instant::now() + Duration::from_secs(2);
            while std::time::Instant::now() < end && platform::tree_alive() {
                platform::signal_tree(root, platform::KILL);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Deadline { cancel, fired, thread }
    }

    /// After the command's main process exited: cancel the timer, or, when it fired, wait until the
    /// rest of the tree (processes that outlived the main one or ignore SIGTERM) is gone too.
    fn settle(self) {
        let _ = self.cancel.send(());
        if self.fired.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = self.thread.join();
        }
    }
}

/// Poll until nothing of the tree is alive (zombies aside), at most `limit`.
fn wait_while_alive(limit: Duration) {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end && platform::tree_alive() {
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
mod platform {
    use crate::monitor::child::{self, SignalForwarder};
    use crate::profile::{ExitStatus, Rusage};

    pub fn prepare() {
        child::become_subreaper();
    }

    pub fn forward_signals() -> anyhow::Result<SignalForwarder> {
        Ok(SignalForwarder::start()?)
    }

    pub fn set_target(f: &SignalForwarder, pid: u32) {
        f.set_target(pid);
    }

    /// Wait until the child has exited, reaping orphans that re-parent to us on the way
    /// (their usage is returned). The child itself is left a zombie for a final sample.
    pub fn wait_exit(child: std::process::Child) -> anyhow::Result<Rusage> {
        let pid = child.id();
        let mut orphans = Rusage::default();
        loop {
            let exited = child::wait_any_exit()?;
            if exited == pid {
                return Ok(orphans);
            }
            orphans = orphans.merge(&child::reap(exited)?.1);
        }
    }

    /// Reap the child; its usage includes every descendant reaped in the tree and the orphans we reaped.
    pub fn reap(pid: u32, orphans: Rusage) -> anyhow::Result<(ExitStatus, Option<Rusage>)> {
        let (status, usage) = child::reap(pid)?;
        Ok((status, Some(usage.merge(&orphans).merge(&child::reap_exited()))))
    }

    pub const TERM: i32 = libc::SIGTERM;
    pub const KILL: i32 = libc::SIGKILL;

    /// Send `signal` to every live process of the command's tree (rooted at `_root`), adopted orphans included.
    pub fn signal_tree(_root: u32, signal: i32) {
        for pid in child::live_descendants() {
            child::send_signal(pid, signal);
        }
    }

    pub fn tree_alive() -> bool {
        !child::live_descendants().is_empty()
    }

    pub fn kill(pid: u32) {
        child::send_signal(pid, libc::SIGKILL);
    }
}

#[cfg(not(unix))]
mod platform {
    use crate::profile::{ExitStatus, Rusage};

    pub fn prepare() {}

    pub fn forward_signals() -> anyhow::Result<()> {
        Ok(())
    }

    pub fn set_target(_f: &(), _pid: u32) {}

    pub fn wait_exit(mut child: std::process::Child) -> anyhow::Result<ExitStatus> {
        let status = child.wait()?;
        Ok(ExitStatus { code: status.code(), signal: None })
    }

    pub fn reap(_pid: u32, status: ExitStatus) -> anyhow::Result<(ExitStatus, Option<Rusage>)> {
        Ok((status, None))
    }

    pub const TERM: i32 = 15;
    pub const KILL: i32 = 9;

    /// Without /proc and signals, only the command itself can be stopped (no tree walk here).
    pub fn signal_tree(root: u32, _signal: i32) {
        kill(root)
    }

    pub fn tree_alive() -> bool {
        false
    }

    pub fn kill(pid: u32) {
        let _ = std::process::Command::new("taskkill").args(["/F", "/PID", &pid.to_string()]).status();
    }
}
