//! Waiting for a run to end while sampling it on schedule, draining its output and watching for Ctrl-C, in one thread.
//!
//! On Linux a pidfd, the run's output pipe and a signal self-pipe are polled
//! together: the exit is seen the moment it happens (the run's wall time does
//! not include any sampling), samples are taken between polls, and no thread
//! is started per run. The child is left a zombie so a last sample can read
//! its final counters before `wait4` reaps it.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::monitor::Schedule;

/// How the wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// The child exited at this instant (still unreaped).
    Exited(Instant),
    /// A termination signal arrived first.
    Interrupted,
}

/// What to do while waiting.
pub struct WaitPlan<'a> {
    pub pid: u32,
    pub start: Instant,
    /// Sampling schedule; `None` samples nothing.
    pub schedule: Option<Schedule>,
    /// The read end of the child's output pipe, to drain and discard.
    pub drain: Option<RawFd>,
    /// The read end of the signal self-pipe.
    pub signals: RawFd,
    pub on_tick: &'a mut dyn FnMut(),
}

/// Wait for the child to exit, sampling on schedule.
pub fn until_exit(plan: WaitPlan<'_>) -> io::Result<Waited> {
    match pidfd_open(plan.pid) {
        Ok(pidfd) => poll_loop(plan, pidfd),
        // Kernels before 5.3 have no pidfd: poll the child's state instead.
        Err(_) => poll_waitid(plan),
    }
}

#[cfg(target_os = "linux")]
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just gave us this descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

#[cfg(not(target_os = "linux"))]
fn pidfd_open(_pid: u32) -> io::Result<OwnedFd> {
    Err(io::ErrorKind::Unsupported.into())
}

fn poll_loop(mut plan: WaitPlan<'_>, pidfd: OwnedFd) -> io::Result<Waited> {
    let mut deadline = plan.schedule.map(|s| plan.start + s.base);
    loop {
        let mut fds = vec![pollfd(pidfd.as_raw_fd()), pollfd(plan.signals)];
        if let Some(d) = plan.drain {
            fds.push(pollfd(d));
        }
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let Some(n) = ppoll(&mut fds, timeout)? else { continue };
        if n == 0 {
            // A sampling deadline passed.
            (plan.on_tick)();
            let s = plan.schedule.expect("a deadline implies a schedule");
            deadline = Some(s.next_deadline(plan.start, deadline.unwrap(), Instant::now()));
            continue;
        }
        if fds[0].revents != 0 {
            return Ok(Waited::Exited(Instant::now()));
        }
        if fds[1].revents != 0 {
            return Ok(Waited::Interrupted);
        }
        if fds.len() > 2 && fds[2].revents != 0 && !drain(fds[2].fd) {
            plan.drain = None;
        }
    }
}

/// Fallback without pidfd: check the child every millisecond.
fn poll_waitid(mut plan: WaitPlan<'_>) -> io::Result<Waited> {
    const STEP: Duration = Duration::from_millis(1);
    let mut deadline = plan.schedule.map(|s| plan.start + s.base);
    loop {
        if has_exited(plan.pid)? {
            return Ok(Waited::Exited(Instant::now()));
        }
        if let (Some(d), Some(s)) = (deadline, plan.schedule) {
            if Instant::now() >= d {
                (plan.on_tick)();
                deadline = Some(s.next_deadline(plan.start, d, Instant::now()));
            }
        }
        let mut fds = vec![pollfd(plan.signals)];
        if let Some(d) = plan.drain {
            fds.push(pollfd(d));
        }
        if ppoll(&mut fds, Some(STEP))?.unwrap_or(0) > 0 {
            if fds[0].revents != 0 {
                return Ok(Waited::Interrupted);
            }
            if fds.len() > 1 && fds[1].revents != 0 && !drain(fds[1].fd) {
                plan.drain = None;
            }
        }
    }
}

fn has_exited(pid: u32) -> io::Result<bool> {
    // SAFETY: siginfo_t is plain data.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a local siginfo_t.
    let rc = unsafe {
        libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT)
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: si_pid is set when a child was found, 0 otherwise.
    Ok(unsafe { info.si_pid() } != 0)
}

fn pollfd(fd: RawFd) -> libc::pollfd {
    libc::pollfd { fd, events: libc::POLLIN, revents: 0 }
}

/// Poll; `None` when a signal interrupted the call (the caller polls again).
fn ppoll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<Option<usize>> {
    let rc = sys_poll(fds, timeout);
    if rc < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted { Ok(None) } else { Err(err) };
    }
    Ok(Some(rc as usize))
}

/// ppoll on Linux for sub-millisecond deadlines.
#[cfg(target_os = "linux")]
fn sys_poll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> libc::c_int {
    let ts = timeout.map(|t| libc::timespec { tv_sec: t.as_secs() as libc::time_t, tv_nsec: t.subsec_nanos() as _ });
    let tsp = ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: fds is a valid slice of pollfd; tsp is null or points to a live timespec.
    unsafe { libc::ppoll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, tsp, std::ptr::null()) }
}

/// poll elsewhere, rounding the timeout up to whole milliseconds.
#[cfg(not(target_os = "linux"))]
fn sys_poll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> libc::c_int {
    let ms = timeout.map_or(-1, |t| t.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int);
    // SAFETY: fds is a valid slice of pollfd.
    unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) }
}

/// Read and discard what is in the pipe; false at end of file.
fn drain(fd: RawFd) -> bool {
    let mut buf = [0u8; 65536];
    // SAFETY: reading into a local buffer of the given length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    n > 0 || (n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted)
}
