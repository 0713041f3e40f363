//! Low-level waiting: pidfds, poll with sub-millisecond timeouts, draining pipes, checking a child without reaping it.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// A descriptor that becomes readable when `pid` exits (Linux 5.3+; any process, not only children).
#[cfg(target_os = "linux")]
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just gave us this descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

#[cfg(not(target_os = "linux"))]
pub fn pidfd_open(_pid: u32) -> io::Result<OwnedFd> {
    Err(io::ErrorKind::Unsupported.into())
}

/// True once the child has exited (it stays unreaped).
pub fn has_exited(pid: u32) -> io::Result<bool> {
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

pub fn pollfd(fd: RawFd) -> libc::pollfd {
    libc::pollfd { fd, events: libc::POLLIN, revents: 0 }
}

/// Poll; `None` when a signal interrupted the call (the caller polls again).
pub fn ppoll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<Option<usize>> {
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
pub fn drain(fd: RawFd) -> bool {
    let mut buf = [0u8; 65536];
    // SAFETY: reading into a local buffer of the given length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    n > 0 || (n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted)
}
