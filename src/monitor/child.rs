//! Starting a child and collecting its exact end figures with `wait4`, signal forwarding included.

use std::io;
use std::process::{Child, Command, Stdio};

use crate::error::UserError;
use crate::profile::{ExitStatus, Rusage};

/// Where the child's standard streams go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildStdio {
    /// Share denet's stdin, stdout and stderr.
    Inherit,
    /// Share stdin and stderr; send stdout to denet's stderr (stdout carries JSONL).
    StdoutToStderr,
    /// Read from /dev/null, write to /dev/null.
    Null,
}

/// Start `argv` directly (no shell), mapping a missing or non-executable program to the shell's exit codes.
/// `join`: the `cgroup.procs` of the run's own groups, which the child joins before it execs.
pub fn spawn(argv: &[String], stdio: ChildStdio, join: &[i32]) -> Result<Child, anyhow::Error> {
    let (program, args) = argv.split_first().ok_or(UserError::MissingCommand)?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    match stdio {
        ChildStdio::Inherit => {}
        ChildStdio::StdoutToStderr => {
            cmd.stdout(stderr_handle()?);
        }
        ChildStdio::Null => {
            cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    force_fork(&mut cmd);
    join_cgroups(&mut cmd, join.to_vec());
    cmd.spawn().map_err(|e| spawn_error(program, e))
}

/// The child writes itself into the groups of `fds` (`cgroup.procs`) before exec, so that its
/// first instruction is counted there, and so is everything it starts.
#[cfg(target_os = "linux")]
pub fn join_cgroups(cmd: &mut Command, fds: Vec<i32>) {
    use std::os::unix::process::CommandExt;
    if fds.is_empty() {
        return;
    }
    // SAFETY: the hook only calls write(2), which is async-signal-safe, on descriptors we keep open.
    unsafe {
        cmd.pre_exec(move || crate::monitor::cgroup::join(&fds));
    }
}

#[cfg(not(target_os = "linux"))]
pub fn join_cgroups(_cmd: &mut Command, _fds: Vec<i32>) {}

/// Make std fork instead of vfork/posix_spawn.
///
/// At exec the kernel folds the old address space's high-water RSS into the
/// child's `ru_maxrss`. A vfork child's old address space is denet's own, so
/// its whole RSS would leak into every measured peak; a forked child's holds
/// only denet's anonymous pages, which stay small.
#[cfg(unix)]
pub fn force_fork(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the hook only calls signal(2) and prctl(2), which are async-signal-safe. Its presence
    // selects fork+exec; it restores the termination signals a parent may ignore (the bench spawner
    // does), since ignored signals stay ignored across exec; and it makes the command die with
    // denet, even by SIGKILL, which no handler can forward. (The usual getppid() check for a parent
    // that died before the prctl is left out: with --ebpf the child's syscalls are counted from the
    // fork, and that window is a few microseconds of denet's own start.)
    unsafe {
        cmd.pre_exec(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::signal(sig, libc::SIG_DFL);
            }
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

#[cfg(not(unix))]
pub fn force_fork(_cmd: &mut Command) {}

/// Turn a spawn failure into the user-facing error with the shell's exit code.
pub fn spawn_error(program: &str, e: io::Error) -> anyhow::Error {
    match e.kind() {
        io::ErrorKind::NotFound => UserError::CommandNotFound(program.to_string()).into(),
        io::ErrorKind::PermissionDenied => UserError::NotExecutable(program.to_string()).into(),
        _ => anyhow::Error::new(e).context(format!("cannot start '{program}'")),
    }
}

#[cfg(unix)]
fn stderr_handle() -> anyhow::Result<Stdio> {
    use std::os::fd::AsFd;
    Ok(Stdio::from(io::stderr().as_fd().try_clone_to_owned()?))
}

#[cfg(not(unix))]
fn stderr_handle() -> anyhow::Result<Stdio> {
    Ok(Stdio::inherit())
}

#[cfg(unix)]
pub use unix::*;

#[cfg(unix)]
mod unix {
    use super::*;

    /// Make orphaned descendants re-parent to us, so they stay in the tree and we reap them (Linux only).
    pub fn become_subreaper() {
        #[cfg(target_os = "linux")]
        // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes one integer argument and touches no memory.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
    }

    /// Block until some child of ours has exited, without reaping it; returns its pid.
    ///
    /// Leaving it a zombie keeps /proc/PID readable for a final sample.
    pub fn wait_any_exit() -> io::Result<u32> {
        loop {
            // SAFETY: siginfo_t is plain data; waitid fills it in.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: valid pointer to a siginfo_t owned by this frame.
            let rc = unsafe { libc::waitid(libc::P_ALL, 0, &mut info, libc::WEXITED | libc::WNOWAIT) };
            if rc == 0 {
                // SAFETY: for WEXITED the kernel filled si_pid.
                return Ok(unsafe { info.si_pid() } as u32);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }

    /// Reap `pid` and return how it ended with its exact resource usage (its reaped descendants included).
    pub fn reap(pid: u32) -> io::Result<(ExitStatus, Rusage)> {
        wait4(pid as libc::pid_t, 0).map(|r| r.map(|(_, s, u)| (s, u)).expect("blocking wait4 returns a child"))
    }

    /// Reap every already-exited child (orphans re-parented to us) and sum their usage.
    pub fn reap_exited() -> Rusage {
        let mut total = Rusage::default();
        while let Ok(Some((_, _, usage))) = wait4(-1, libc::WNOHANG) {
            total = total.merge(&usage);
        }
        total
    }

    fn wait4(pid: libc::pid_t, flags: libc::c_int) -> io::Result<Option<(u32, ExitStatus, Rusage)>> {
        loop {
            let mut status = 0;
            // SAFETY: rusage is plain data; wait4 fills it in.
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: valid pointers to locals.
            let rc = unsafe { libc::wait4(pid, &mut status, flags, &mut ru) };
            if rc > 0 {
                return Ok(Some((rc as u32, decode_status(status), decode_rusage(&ru))));
            }
            if rc == 0 {
                return Ok(None);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }

    fn decode_status(status: libc::c_int) -> ExitStatus {
        if libc::WIFSIGNALED(status) {
            ExitStatus { code: None, signal: Some(libc::WTERMSIG(status)) }
        } else {
            ExitStatus { code: Some(libc::WEXITSTATUS(status)), signal: None }
        }
    }

    fn decode_rusage(ru: &libc::rusage) -> Rusage {
        let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        // ru_maxrss is in KiB on Linux and the BSDs, in bytes on macOS.
        let maxrss_unit = if cfg!(target_os = "macos") { 1 } else { 1024 };
        Rusage {
            user_s: secs(ru.ru_utime),
            system_s: secs(ru.ru_stime),
            max_rss_bytes: ru.ru_maxrss.max(0) as u64 * maxrss_unit,
            minor_faults: ru.ru_minflt.max(0) as u64,
            major_faults: ru.ru_majflt.max(0) as u64,
            voluntary_ctx_switches: ru.ru_nvcsw.max(0) as u64,
            involuntary_ctx_switches: ru.ru_nivcsw.max(0) as u64,
            block_input_ops: ru.ru_inblock.max(0) as u64,
            block_output_ops: ru.ru_oublock.max(0) as u64,
        }
    }

    /// Our children as the kernel lists them (Linux; empty where /proc has no `children` file).
    pub fn own_children() -> Vec<u32> {
        children_of(std::process::id())
    }

    /// The children of `pid`, forked by any of its threads (`/proc/PID/task/TID/children`).
    fn children_of(pid: u32) -> Vec<u32> {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
        tasks
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("children")).ok())
            .flat_map(|list| list.split_whitespace().filter_map(|p| p.parse().ok()).collect::<Vec<u32>>())
            .collect()
    }

    /// Every descendant of denet that has not exited: the command's tree and the orphans denet
    /// adopted as its subreaper.
    pub fn live_descendants() -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack = vec![std::process::id()];
        while let Some(pid) = stack.pop() {
            for child in children_of(pid) {
                stack.push(child);
                if !is_zombie(child) {
                    out.push(child);
                }
            }
        }
        out
    }

    fn is_zombie(pid: u32) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state follows the command name, which is in parentheses and may hold any character.
        stat.rsplit_once(") ").is_none_or(|(_, rest)| rest.starts_with('Z'))
    }

    /// Send `signal` to `pid`; a process already gone is not an error.
    pub fn send_signal(pid: u32, signal: i32) {
        // SAFETY: kill has no memory effects.
        unsafe {
            libc::kill(pid as libc::pid_t, signal);
        }
    }

    /// The signals denet forwards to the child it runs.
    pub const FORWARDED: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

    /// Forwards termination signals sent to denet to the child until dropped.
    ///
    /// A signal the terminal sent (Ctrl-C) already reached the child, which
    /// shares our process group, so only signals sent by a process (`kill`)
    /// are forwarded: the child never sees one Ctrl-C twice. Start it before
    /// spawning: a signal that arrives before the child's PID is known is held
    /// and delivered by [`SignalForwarder::set_target`], instead of killing denet.
    pub struct SignalForwarder {
        handle: signal_hook::iterator::Handle,
        thread: Option<std::thread::JoinHandle<()>>,
        /// The child's PID (0 until known) and the signals held for it until then.
        target: std::sync::Arc<std::sync::Mutex<(u32, Vec<i32>)>>,
    }

    impl SignalForwarder {
        pub fn start() -> io::Result<SignalForwarder> {
            use signal_hook::iterator::exfiltrator::WithOrigin;
            use signal_hook::iterator::SignalsInfo;
            let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED)?;
            let handle = signals.handle();
            let target = std::sync::Arc::new(std::sync::Mutex::new((0u32, Vec::new())));
            let shared = target.clone();
            let thread = std::thread::Builder::new().name("denet-signals".into()).spawn(move || {
                for origin in signals.forever() {
                    if origin.process.is_none() {
                        continue;
                    }
                    let mut t = shared.lock().unwrap_or_else(|e| e.into_inner());
                    match t.0 {
                        0 => t.1.push(origin.signal),
                        pid => send_signal(pid, origin.signal),
                    }
                }
            })?;
            Ok(SignalForwarder { handle, thread: Some(thread), target })
        }

        /// The child is known: forward to it from now on, and deliver what was held.
        pub fn set_target(&self, pid: u32) {
            let mut t = self.target.lock().unwrap_or_else(|e| e.into_inner());
            t.0 = pid;
            for sig in t.1.drain(..) {
                send_signal(pid, sig);
            }
        }
    }

    impl Drop for SignalForwarder {
        /// Closing the handle ends the thread's `forever()`: join it, so no thread outlives the forwarder.
        fn drop(&mut self) {
            self.handle.close();
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}
