//! The spawner: a small process started with the benchmark, which spawns, times and reaps every run and streams the results.
//!
//! Why a separate process: at exec the kernel folds the old address space's
//! high-water RSS into the new program's `ru_maxrss`. A child forked straight
//! from denet starts from denet's anonymous pages, which grow as results pile
//! up, and a vfork child from all of denet's RSS. So runs are started by a
//! process that stays small and the same in every invocation.
//!
//! Two spawners speak one protocol (spawner/protocol.h, protocol.rs):
//! - the tiny one, spawner/denet-spawner.c, built static by build.rs and
//!   embedded: its peak RSS (about 0.3 MiB) is below any dynamically linked
//!   program's, so it can use posix_spawn (vfork), which costs a run about
//!   what it costs hyperfine; exec'd from a memfd;
//! - the fallback, denet's own binary exec'd as `denet __spawner`, which must
//!   fork (its RSS is a few MiB) and is slower by the fork. Used where the tiny
//!   one could not be built or exec'd, or with `DENET_SPAWNER=fork`.
//!
//! A batch runs a command N times in a row without a message from denet in
//! between, so denet's wake-ups are off each run's path.

use std::io::{self, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Instant;

use super::protocol::{self, Batch, CgroupFiles, FailedPart, FinalIo, Reply, Request, RunDone};
use super::runner::{command, Invocation};
use super::wait::{drain, pidfd_open, pollfd, ppoll};
use crate::monitor::cgroup::session::CommandGroups;
use crate::monitor::{child, perf};
use crate::profile::Counter;

/// denet's end of the socket.
pub struct Spawner {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
    pid: u32,
    /// Moving the spawner into the session's v1 groups, under way (monitor/cgroup/session.rs):
    /// done before its first batch.
    joining: Option<std::thread::JoinHandle<io::Result<()>>>,
    stopped: bool,
}

impl Spawner {
    /// Start the tiny spawner, or denet's own binary as the fallback (`DENET_SPAWNER=fork` forces
    /// it), and begin moving it into `groups`.
    pub fn start(groups: Vec<std::path::PathBuf>) -> anyhow::Result<Spawner> {
        let (ours, theirs) = UnixStream::pair()?;
        let forced_fork = std::env::var_os("DENET_SPAWNER").is_some_and(|v| v == "fork");
        let tiny = if forced_fork { None } else { tiny::start(&theirs) };
        let (child, kind) = match tiny {
            Some(Ok(child)) => (child, "posix_spawn (tiny spawner)"),
            other => {
                if let Some(Err(e)) = other {
                    log::debug!("tiny spawner unavailable ({e}): forking from denet's own binary");
                }
                let exe =
                    std::env::current_exe().map_err(|e| anyhow::anyhow!("cannot find denet's own executable: {e}"))?;
                let child = std::process::Command::new(exe)
                    .arg(SPAWNER_ARG)
                    .stdin(std::process::Stdio::from(std::os::fd::OwnedFd::from(theirs)))
                    .spawn()
                    .map_err(|e| anyhow::anyhow!("cannot start the spawner process: {e}"))?;
                (child, "fork (denet __spawner)")
            }
        };
        log::debug!("spawner: {kind}, pid {}", child.id());
        let pid = child.id();
        // The move waits for an RCU grace period (up to 17 ms here): on a thread of its own, it
        // overlaps the rest of denet's start-up.
        let joining = (!groups.is_empty())
            .then(|| std::thread::spawn(move || crate::monitor::cgroup::session::join(pid, &groups)));
        Ok(Spawner { reader: BufReader::new(ours.try_clone()?), writer: ours, pid, joining, stopped: false })
    }

    pub fn send_batch(&mut self, b: &Batch) -> io::Result<()> {
        if let Some(joining) = self.joining.take() {
            joining
                .join()
                .map_err(|_| io::Error::other("the thread moving the spawner into its cgroups panicked"))??;
        }
        self.writer.write_all(&protocol::encode_batch(b))
    }

    /// Kill the running run and stop the batch.
    pub fn kill(&mut self) -> io::Result<()> {
        self.writer.write_all(&protocol::encode_kill())
    }

    /// Block until the next reply.
    pub fn recv(&mut self) -> io::Result<Reply> {
        protocol::read_reply(&mut self.reader)
    }

    /// True when a reply is already buffered (poll would not see it).
    pub fn has_buffered(&self) -> bool {
        !self.reader.buffer().is_empty()
    }

    /// The spawner's process id (runs are its children).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn fd(&self) -> i32 {
        self.reader.get_ref().as_raw_fd()
    }
}

impl Spawner {
    /// Stop the spawner and collect it (it then has left its cgroups, which can be removed).
    pub fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        if let Some(joining) = self.joining.take() {
            let _ = joining.join();
        }
        // Closing the socket tells the spawner to stop; then collect it.
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(self.pid as libc::pid_t, &mut status, 0) };
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The tiny spawner, embedded at build time where it could be built.
mod tiny {
    use std::os::unix::net::UnixStream;
    use std::process::Child;

    #[cfg(denet_tiny_spawner)]
    const BINARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/denet-spawner"));

    /// Exec it from a memfd with the socket as its stdin; `None` when this build has none.
    #[cfg(denet_tiny_spawner)]
    pub fn start(sock: &UnixStream) -> Option<std::io::Result<Child>> {
        Some(exec_from_memfd(sock))
    }

    #[cfg(not(denet_tiny_spawner))]
    pub fn start(_sock: &UnixStream) -> Option<std::io::Result<Child>> {
        None
    }

    #[cfg(denet_tiny_spawner)]
    fn exec_from_memfd(sock: &UnixStream) -> std::io::Result<Child> {
        use std::io::Write;
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        // SAFETY: memfd_create takes a NUL-terminated name and flags.
        let fd = unsafe { libc::memfd_create(c"denet-spawner".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: the kernel just gave us this descriptor; we own it.
        let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        file.write_all(BINARY)?;
        // The child resolves /proc/self/fd/N before exec closes it (CLOEXEC).
        let path = format!("/proc/self/fd/{}", file.as_raw_fd());
        std::process::Command::new(path).stdin(std::process::Stdio::from(OwnedFd::from(sock.try_clone()?))).spawn()
    }
}

/// The hidden first argument that makes the denet binary act as the fallback spawner.
pub const SPAWNER_ARG: &str = "__spawner";

/// The fallback spawner's entry point (`denet __spawner`): serve the socket on stdin; exit 0 when denet closed it.
pub fn main() -> std::process::ExitCode {
    use std::os::fd::FromRawFd;
    // SAFETY: denet passes the socket as our stdin, and nothing else in this process uses fd 0.
    let sock = unsafe { UnixStream::from_raw_fd(0) };
    match serve(sock) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    }
}

/// The fallback's loop: one batch at a time until denet closes the socket.
fn serve(sock: UnixStream) -> io::Result<()> {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
        // SAFETY: ignoring signals; Ctrl-C is denet's to handle, and it tells us what to kill.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
    // SAFETY: restoring a default disposition. An ignored SIGCHLD (inherited across exec) would
    // make the kernel reap runs before wait4 sees them.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    child::become_subreaper();
    let mut reader = BufReader::new(sock.try_clone()?);
    let mut writer = sock;
    let mut killed = false;
    loop {
        match protocol::read_request(&mut reader)? {
            None => {
                finish(killed);
                return Ok(());
            }
            Some(Request::Batch(b)) => killed |= serve_batch(&b, &mut reader, &mut writer)?,
            // A Kill between batches has nothing to kill.
            Some(Request::Kill) => {}
        }
    }
}

/// Run a batch; true when a run was killed on request.
fn serve_batch(b: &Batch, reader: &mut BufReader<UnixStream>, writer: &mut UnixStream) -> io::Result<bool> {
    let mut done = 0;
    let mut killed = false;
    let _idle = perf::Group::idle(&b.counters);
    let mut groups = match (!b.cgroup.dirs.is_empty()).then(|| CommandGroups::open(&b.cgroup, &b.cgroup_leaf)) {
        Some(Err(e)) => {
            // The command's groups cannot be made: its first run fails.
            protocol::write_reply(writer, &Reply::Failed(FailedPart::Other, e.raw_os_error().unwrap_or(libc::EIO)))?;
            protocol::write_reply(writer, &Reply::End(0))?;
            return Ok(false);
        }
        made => made.and_then(Result::ok),
    };
    for i in 0..b.count {
        if i > 0 && stop_requested(reader)? {
            break;
        }
        let inv = b.invocation(b.first + u64::from(i));
        let Some(d) = run_one(&inv, b, groups.as_mut(), reader, writer)? else { break };
        done += 1;
        killed |= d.killed;
        if d.killed || !b.accept.accepts(d.status.code) {
            break;
        }
    }
    protocol::write_reply(writer, &Reply::End(done))?;
    Ok(killed)
}

/// Between runs: a Kill waiting on the socket stops the batch.
fn stop_requested(reader: &mut BufReader<UnixStream>) -> io::Result<bool> {
    if !reader.buffer().is_empty() {
        return Ok(true);
    }
    let mut fds = [pollfd(reader.get_ref().as_raw_fd())];
    if ppoll(&mut fds, Some(std::time::Duration::ZERO))? == Some(1) {
        return match protocol::read_request(reader)? {
            None => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "denet went away")),
            Some(_) => Ok(true),
        };
    }
    Ok(false)
}

/// Before leaving. After a Ctrl-C, the killed run's descendants that we adopted (as subreaper) may
/// still be dying, and any that escaped its process group still running: kill them all and reap
/// them, so that nothing is left behind when denet exits. After a normal end, only reap the dead
/// (a background process a command started on purpose is not ours to kill).
fn finish(killed: bool) {
    if killed {
        // Kill whoever is our child now (a dying child's own children are adopted by us next),
        // then wait for one to go; done when we have no child left (ECHILD).
        loop {
            for pid in child::own_children() {
                child::send_signal(pid, libc::SIGKILL);
            }
            let mut status = 0;
            // SAFETY: waiting for our own children.
            let rc = unsafe { libc::waitpid(-1, &mut status, 0) };
            if rc < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                break;
            }
        }
    } else {
        child::reap_exited();
    }
}

/// Spawn, time and reap one run, reporting each step; `None` when it could not be started.
fn run_one(
    inv: &Invocation,
    b: &Batch,
    mut groups: Option<&mut CommandGroups>,
    reader: &mut BufReader<UnixStream>,
    writer: &mut UnixStream,
) -> io::Result<Option<RunDone>> {
    let counters: &[Counter] = &b.counters;
    let prepared = command(inv).and_then(|(c, p)| join_leaf(c, groups.as_deref()).map(|(c, j)| (c, p, j)));
    let (mut cmd, pipe, join) = match prepared {
        Ok(c) => c,
        Err(e) => {
            let (part, errno) = setup_failure(&e);
            protocol::write_reply(writer, &Reply::Failed(part, errno))?;
            return Ok(None);
        }
    };
    // Before the clock starts: opening them is the spawner's cost, not the run's (perf.rs says why this way).
    let group = perf::Group::open(counters);
    let baselines = groups.as_mut().map(|g| g.before_run()).unwrap_or_default();
    let start = Instant::now();
    let start_ns = crate::monitor::schedule::monotonic_ns();
    let proc = match cmd.spawn() {
        Ok(p) => p,
        Err(e) => {
            protocol::write_reply(writer, &Reply::Failed(FailedPart::Exec, e.raw_os_error().unwrap_or(libc::EIO)))?;
            return Ok(None);
        }
    };
    let pid = proc.id();
    // Close our copies of the child's pipe ends, and of the leaf's cgroup.procs.
    drop(cmd);
    drop(join);
    if let Err(e) = protocol::write_reply(writer, &Reply::Spawned(pid, start_ns)) {
        // denet is gone: leave nothing behind.
        kill_group(pid);
        let _ = child::reap(pid);
        return Err(e);
    }
    let deadline = b.timeout.map(|t| start + t);
    let (end, killed, timed_out) =
        wait_exit(pid, pipe.as_ref().map(|p| p.as_raw_fd()), reader, deadline, groups.as_deref())?;
    let wall_s = (end - start).as_secs_f64();
    // The child is a zombie until reaped: its final I/O counters are still readable.
    let io = final_io(pid);
    let (status, rusage) = child::reap(pid)?;
    let counts = group.read();
    if let Some(g) = groups.as_deref() {
        protocol::write_reply(writer, &cgroup_reply(g, b, baselines))?;
    }
    // Orphans adopted from earlier runs are reaped so they do not linger as zombies, but their usage
    // is not this run's: it is dropped (as /usr/bin/time and hyperfine, which never see it, do).
    child::reap_exited();
    let done = RunDone { wall_s, status, rusage, io, killed, counts, timed_out };
    protocol::write_reply(writer, &Reply::Done(done.clone()))?;
    Ok(Some(done))
}

/// With a v2 leaf: the child joins it before exec (this spawner cannot clone3 into it); the
/// leaf's `cgroup.procs` stays open until the spawn.
fn join_leaf(
    mut cmd: std::process::Command,
    groups: Option<&CommandGroups>,
) -> anyhow::Result<(std::process::Command, Option<std::fs::File>)> {
    let procs = groups.map(CommandGroups::procs).transpose()?.flatten();
    if let Some(f) = &procs {
        child::join_cgroups(&mut cmd, vec![f.as_raw_fd()]);
    }
    Ok((cmd, procs))
}

/// After the run was reaped: its files as read, and its strays, named and (unless kept) killed and
/// reaped, or moved out of the command's groups.
fn cgroup_reply(groups: &CommandGroups, b: &Batch, baselines: Vec<String>) -> Reply {
    let files = groups.read();
    let members = groups.members();
    let strays = crate::monitor::cgroup::names(&members);
    if !members.is_empty() && b.keep_strays {
        groups.keep(&members);
    } else if !members.is_empty() {
        groups.kill();
        for &pid in &members {
            let _ = child::reap(pid);
        }
    }
    Reply::Cgroup(CgroupFiles { files, baselines, strays })
}

/// What could not be set up for a run (its input or output file, or a pipe), and the OS error.
fn setup_failure(e: &anyhow::Error) -> (FailedPart, i32) {
    let errno = e.chain().find_map(|c| c.downcast_ref::<io::Error>()).and_then(io::Error::raw_os_error);
    let part = match e.to_string() {
        m if m.contains("input file") => FailedPart::Input,
        m if m.contains("output file") => FailedPart::Output,
        _ => FailedPart::Other,
    };
    (part, errno.unwrap_or(libc::EIO))
}

/// `/proc/PID/io` of an exited, unreaped child (Linux).
#[cfg(target_os = "linux")]
fn final_io(pid: u32) -> Option<FinalIo> {
    let io = crate::monitor::procfile::read_io(pid)?;
    Some(FinalIo {
        read_bytes: io.read_bytes,
        write_bytes: io.write_bytes,
        cancelled_write_bytes: io.cancelled_write_bytes,
        rchar: io.rchar,
        wchar: io.wchar,
    })
}

#[cfg(not(target_os = "linux"))]
fn final_io(_pid: u32) -> Option<FinalIo> {
    None
}

/// Wait for the child's exit, draining its output pipe and obeying Kill and the deadline (then the
/// run's groups, or its process group, are killed); (end, killed on request, timed out).
fn wait_exit(
    pid: u32,
    mut pipe: Option<i32>,
    reader: &mut BufReader<UnixStream>,
    deadline: Option<Instant>,
    groups: Option<&CommandGroups>,
) -> io::Result<(Instant, bool, bool)> {
    let pidfd = pidfd_open(pid).ok();
    let sock = reader.get_ref().as_raw_fd();
    let mut killed = false;
    let mut timed_out = false;
    loop {
        if !timed_out && deadline.is_some_and(|d| Instant::now() >= d) {
            timed_out = true;
            kill_group(pid);
            groups.inspect(|g| g.kill());
        }
        // A Kill that came in the same read as its batch is already buffered, where poll cannot see it.
        if !reader.buffer().is_empty() {
            kill_group(pid);
            killed = true;
            let _ = protocol::read_request(reader)?;
        }
        if pidfd.is_none() && super::wait::has_exited(pid)? {
            return Ok((Instant::now(), killed, timed_out));
        }
        let mut fds = vec![pollfd(sock)];
        if let Some(fd) = &pidfd {
            fds.push(pollfd(fd.as_raw_fd()));
        }
        if let Some(p) = pipe {
            fds.push(pollfd(p));
        }
        let until_deadline = deadline.filter(|_| !timed_out).map(|d| d.saturating_duration_since(Instant::now()));
        let timeout = if pidfd.is_none() { Some(std::time::Duration::from_millis(1)) } else { until_deadline };
        let Some(n) = ppoll(&mut fds, timeout)? else { continue };
        if n == 0 {
            continue;
        }
        if pidfd.is_some() && fds[1].revents != 0 {
            return Ok((Instant::now(), killed, timed_out));
        }
        if fds[0].revents != 0 {
            let gone = protocol::read_request(reader)?.is_none();
            kill_group(pid);
            killed = true;
            if gone {
                finish(true);
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "denet went away"));
            }
        }
        let last = fds.len() - 1;
        if pipe.is_some() && fds[last].revents != 0 && !drain(fds[last].fd) {
            pipe = None;
        }
    }
}

fn kill_group(pid: u32) {
    // SAFETY: killpg has no memory effects; the run leads its own process group.
    unsafe { libc::killpg(pid as libc::pid_t, libc::SIGKILL) };
}
