//! The spawner: a small process started with the benchmark, which forks, times and reaps every run.
//!
//! Why a separate process: at exec the kernel folds the old address space's
//! high-water RSS into the new program's `ru_maxrss`. A child forked straight
//! from denet starts from denet's anonymous pages, which grow as results pile
//! up, so the same command would report more memory in later benchmarks (and
//! a vfork child would start from all of denet's RSS). The spawner is denet's
//! own binary exec'd fresh, doing nothing but this loop: its anonymous memory
//! is small and the same in every invocation, so every run starts from the
//! same small floor (about what `/usr/bin/time` shows) and baselines taken on
//! different days compare fairly.
//!
//! Protocol: one JSON line per message over a socket pair. denet sends
//! `Spawn`; the spawner answers `Spawned` (or `Failed`), and when its pidfd
//! fires, reads the exited child's I/O counters, reaps it, and answers `Done`
//! with the wall time, the `wait4` figures and those counters. Meanwhile denet
//! samples the run's tree. `Kill` kills the run's process group (Ctrl-C).

use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::runner::{command, Invocation};
use super::wait::{drain, pidfd_open, pollfd, ppoll};
use crate::monitor::child;
use crate::profile::{ExitStatus, Rusage};

#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    Spawn(Invocation),
    Kill,
}

/// The I/O counters of the exited child (its reaped descendants included), read before reaping it.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct FinalIo {
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub rchar: u64,
    pub wchar: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    Spawned {
        pid: u32,
    },
    /// The spawn failed: `not_found`, `permission_denied` or `other`, with the OS message.
    Failed {
        kind: String,
        message: String,
    },
    /// The run is over and reaped.
    Done {
        wall_s: f64,
        status: ExitStatus,
        rusage: Rusage,
        io: Option<FinalIo>,
    },
}

/// denet's end of the socket.
pub struct Spawner {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
    pid: u32,
}

impl Spawner {
    /// Start the spawner: denet's own binary, exec'd fresh as `denet __spawner` with the socket as its
    /// stdin, so that its footprint is the same whatever this denet did before (arguments, results).
    pub fn start() -> anyhow::Result<Spawner> {
        let (ours, theirs) = UnixStream::pair()?;
        let exe = std::env::current_exe().map_err(|e| anyhow::anyhow!("cannot find denet's own executable: {e}"))?;
        let child = std::process::Command::new(exe)
            .arg(SPAWNER_ARG)
            .stdin(std::process::Stdio::from(std::os::fd::OwnedFd::from(theirs)))
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start the spawner process: {e}"))?;
        Ok(Spawner { reader: BufReader::new(ours.try_clone()?), writer: ours, pid: child.id() })
    }

    pub fn send(&mut self, req: &Request) -> io::Result<()> {
        let mut line = serde_json::to_vec(req).map_err(io::Error::other)?;
        line.push(b'\n');
        self.writer.write_all(&line)
    }

    /// Block until the next reply.
    pub fn recv(&mut self) -> io::Result<Reply> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the spawner process ended"));
        }
        serde_json::from_str(&line).map_err(io::Error::other)
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

impl Drop for Spawner {
    fn drop(&mut self) {
        // Closing the socket tells the spawner to stop; then collect it.
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(self.pid as libc::pid_t, &mut status, 0) };
    }
}

/// The hidden first argument that makes the denet binary act as the spawner.
pub const SPAWNER_ARG: &str = "__spawner";

/// The spawner's entry point (`denet __spawner`): serve the socket on stdin; the exit code is 0 when denet closed it.
pub fn main() -> std::process::ExitCode {
    use std::os::fd::FromRawFd;
    // SAFETY: denet passes the socket as our stdin, and nothing else in this process uses fd 0.
    let sock = unsafe { UnixStream::from_raw_fd(0) };
    match serve(sock) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    }
}

/// The spawner's loop: one run at a time until denet closes the socket.
fn serve(sock: UnixStream) -> io::Result<()> {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
        // SAFETY: ignoring signals; Ctrl-C is denet's to handle, and it tells us what to kill.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
    child::become_subreaper();
    let mut reader = BufReader::new(sock.try_clone()?);
    let mut writer = sock;
    let mut line = String::new();
    let mut killed = false;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            finish(killed);
            return Ok(());
        }
        match serde_json::from_str::<Request>(&line).map_err(io::Error::other)? {
            Request::Spawn(inv) => killed |= run_one(&inv, &mut reader, &mut writer)?,
            Request::Kill => killed = true,
        }
    }
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
            for pid in own_children() {
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

/// Our children, as the kernel lists them.
fn own_children() -> Vec<u32> {
    let me = std::process::id();
    std::fs::read_to_string(format!("/proc/{me}/task/{me}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn reply(w: &mut UnixStream, r: &Reply) -> io::Result<()> {
    let mut line = serde_json::to_vec(r).map_err(io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line)
}

/// Spawn, time, and (on request) reap one run; true when denet asked to kill it.
fn run_one(inv: &Invocation, reader: &mut BufReader<UnixStream>, writer: &mut UnixStream) -> io::Result<bool> {
    let (mut cmd, pipe) = match command(inv) {
        Ok(c) => c,
        Err(e) => {
            return reply(writer, &Reply::Failed { kind: "other".into(), message: format!("{e:#}") }).map(|_| false)
        }
    };
    let start = Instant::now();
    let proc = match cmd.spawn() {
        Ok(p) => p,
        Err(e) => {
            let kind = match e.kind() {
                io::ErrorKind::NotFound => "not_found",
                io::ErrorKind::PermissionDenied => "permission_denied",
                _ => "other",
            };
            return reply(writer, &Reply::Failed { kind: kind.into(), message: e.to_string() }).map(|_| false);
        }
    };
    let pid = proc.id();
    // Close our copies of the child's pipe ends.
    drop(cmd);
    reply(writer, &Reply::Spawned { pid })?;
    let (end, killed) = wait_exit(pid, pipe.as_ref().map(|p| p.as_raw_fd()), reader)?;
    let wall_s = (end - start).as_secs_f64();
    // The child is a zombie until reaped: its final I/O counters are still readable.
    let io = final_io(pid);
    let (status, rusage) = child::reap(pid)?;
    // Orphans adopted from earlier runs are reaped so they do not linger as zombies, but their usage
    // is not this run's: it is dropped (as /usr/bin/time and hyperfine, which never see it, do).
    child::reap_exited();
    reply(writer, &Reply::Done { wall_s, status, rusage, io })?;
    Ok(killed)
}

/// `/proc/PID/io` of an exited, unreaped child (Linux).
fn final_io(pid: u32) -> Option<FinalIo> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    let field =
        |name: &str| text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.trim().parse::<u64>().ok());
    Some(FinalIo {
        read_bytes: field("read_bytes")?,
        write_bytes: field("write_bytes")?,
        rchar: field("rchar")?,
        wchar: field("wchar")?,
    })
}

/// Wait for the child's exit, draining its output pipe and obeying `Kill`; true when killed.
fn wait_exit(pid: u32, mut pipe: Option<i32>, reader: &mut BufReader<UnixStream>) -> io::Result<(Instant, bool)> {
    let pidfd = pidfd_open(pid).ok();
    let sock = reader.get_ref().as_raw_fd();
    let mut killed = false;
    loop {
        if pidfd.is_none() && super::wait::has_exited(pid)? {
            return Ok((Instant::now(), killed));
        }
        let mut fds = vec![pollfd(sock)];
        if let Some(fd) = &pidfd {
            fds.push(pollfd(fd.as_raw_fd()));
        }
        if let Some(p) = pipe {
            fds.push(pollfd(p));
        }
        let timeout = pidfd.is_none().then_some(std::time::Duration::from_millis(1));
        let Some(n) = ppoll(&mut fds, timeout)? else { continue };
        if n == 0 {
            continue;
        }
        if pidfd.is_some() && fds[1].revents != 0 {
            return Ok((Instant::now(), killed));
        }
        if fds[0].revents != 0 {
            let mut line = String::new();
            let gone = reader.read_line(&mut line)? == 0;
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
