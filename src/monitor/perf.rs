//! perf_event counters around one run: which kernel event each counter is, the per-run group, and why one is unavailable.
//!
//! How a run is counted (hyperfine 2.0's way, and the same in both spawners):
//! just before the spawn, the spawner opens the run's counters on its own
//! thread, disabled, with `enable_on_exec` and `inherit`. The new process
//! inherits them at fork or vfork; they start counting when it execs the
//! command, so the spawner's own work (before and after the spawn, and the
//! child's set-up between fork and exec) is never counted, and every process
//! and thread the command starts inherits them in turn. The spawner's own
//! copies stay disabled; reading them after the run is reaped gives the sum
//! over the run's tree (an exited child's counts are folded into them). A group
//! is opened per run, not reset between runs, so a descendant that outlives
//! its run cannot add to the next run's counts.

use std::fmt;

use crate::profile::Counter;

/// The kernel event behind a counter, as `perf_event_attr` names it; it crosses to the tiny spawner as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// `PERF_TYPE_HARDWARE` or `PERF_TYPE_SOFTWARE`.
    pub kind: u32,
    /// `PERF_COUNT_HW_*` or `PERF_COUNT_SW_*`.
    pub config: u64,
    /// Count in user space only (`exclude_kernel`, `exclude_hv`).
    pub user_only: bool,
}

// perf_event_attr's values (include/uapi/linux/perf_event.h): stable kernel ABI, on every architecture.
const TYPE_HARDWARE: u32 = 0;
const TYPE_SOFTWARE: u32 = 1;

/// The event of each counter. The hardware ones count user space only, as hyperfine's do. The
/// task clock is the same with or without the kernel (it is on-CPU time), so it is asked for user
/// space only too, which an unprivileged user may always count. Context switches and migrations
/// happen in the kernel: excluding it would count none, so they need `perf_event_paranoid` <= 1
/// or CAP_PERFMON.
pub fn event(c: Counter) -> Event {
    let (kind, config, user_only) = match c {
        Counter::CpuCycles => (TYPE_HARDWARE, 0, true),
        Counter::Instructions => (TYPE_HARDWARE, 1, true),
        Counter::CacheReferences => (TYPE_HARDWARE, 2, true),
        Counter::CacheMisses => (TYPE_HARDWARE, 3, true),
        Counter::BranchMisses => (TYPE_HARDWARE, 5, true),
        Counter::TaskClock => (TYPE_SOFTWARE, 1, true),
        Counter::ContextSwitches => (TYPE_SOFTWARE, 3, false),
        Counter::CpuMigrations => (TYPE_SOFTWARE, 4, false),
    };
    Event { kind, config, user_only }
}

/// The counter of an event (what the fork spawner receives).
pub fn counter_of(e: Event) -> Option<Counter> {
    Counter::ALL.into_iter().find(|&c| event(c) == e)
}

/// The kernel's name of a counter's event, for messages.
fn event_name(c: Counter) -> &'static str {
    match c {
        Counter::CpuCycles => "PERF_COUNT_HW_CPU_CYCLES",
        Counter::Instructions => "PERF_COUNT_HW_INSTRUCTIONS",
        Counter::CacheReferences => "PERF_COUNT_HW_CACHE_REFERENCES",
        Counter::CacheMisses => "PERF_COUNT_HW_CACHE_MISSES",
        Counter::BranchMisses => "PERF_COUNT_HW_BRANCH_MISSES",
        Counter::TaskClock => "PERF_COUNT_SW_TASK_CLOCK",
        Counter::ContextSwitches => "PERF_COUNT_SW_CONTEXT_SWITCHES",
        Counter::CpuMigrations => "PERF_COUNT_SW_CPU_MIGRATIONS",
    }
}

/// Why a counter cannot be counted here, and what would fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    pub counter: Counter,
    pub reason: String,
    pub fix: String,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "perf_event_open({}) {}. Fix: {}", event_name(self.counter), self.reason, self.fix)
    }
}

/// Open the counter once, as a run's would be, and close it: can this process count it?
pub fn probe(c: Counter) -> Result<(), Unavailable> {
    imp::open(event(c), -1, true).map(drop).map_err(|e| explain(c, &e))
}

/// The reason and the fix for an error of `perf_event_open` (perf_event_open(2), ERRORS).
fn explain(c: Counter, e: &std::io::Error) -> Unavailable {
    let user_only = event(c).user_only;
    let (reason, fix) = match e.raw_os_error() {
        Some(libc::ENOENT | libc::EOPNOTSUPP | libc::ENODEV) => (
            format!("failed ({e}): this machine exposes no performance monitoring unit (PMU) for it, as in a virtual machine without a virtual PMU"),
            "run on a machine with hardware counters, or give the virtual machine a PMU (KVM/QEMU: -cpu host; VMware: \"virtualize CPU performance counters\"; cloud: an instance type that exposes a PMU)".to_string(),
        ),
        Some(libc::EACCES | libc::EPERM) => denied(user_only, e),
        Some(libc::ENOSYS) => (
            format!("failed ({e}): this kernel has no perf events (CONFIG_PERF_EVENTS)"),
            "use a kernel built with CONFIG_PERF_EVENTS=y".to_string(),
        ),
        Some(libc::EMFILE) => (format!("failed ({e})"), "raise the open-file limit (ulimit -n)".to_string()),
        _ => (format!("failed ({e})"), "see perf_event_open(2), ERRORS".to_string()),
    };
    Unavailable { counter: c, reason, fix }
}

/// Permission denied: by `kernel.perf_event_paranoid`, or (when that allows it) by a seccomp filter.
fn denied(user_only: bool, e: &std::io::Error) -> (String, String) {
    let paranoid =
        std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid").ok().and_then(|s| s.trim().parse::<i32>().ok());
    // The least restrictive setting that lets an unprivileged user open this event.
    let needed = if user_only { 2 } else { 1 };
    let capability = "or give denet CAP_PERFMON (sudo setcap cap_perfmon+ep \"$(command -v denet)\"; Linux 5.8 or later; CAP_SYS_ADMIN before)";
    match paranoid {
        Some(p) if p > needed => {
            let scope = if user_only { "any event" } else { "events in the kernel (this one counts only there)" };
            (
                format!("was denied ({e}): kernel.perf_event_paranoid is {p}, which forbids {scope} to unprivileged users"),
                format!("sudo sysctl kernel.perf_event_paranoid={needed}, {capability}"),
            )
        }
        _ => (
            format!("was denied ({e}) although kernel.perf_event_paranoid allows it: a seccomp filter (a container's default profile) refuses perf_event_open"),
            format!("allow perf_event_open in the container (docker run --cap-add PERFMON, or a seccomp profile that permits it), {capability}"),
        ),
    }
}

/// One run's counters, open on the spawner's thread (see the module's comment).
pub struct Group {
    fds: Vec<Option<std::os::fd::OwnedFd>>,
}

impl Group {
    /// Open `counters` disabled, to be enabled by the next exec of a child that inherits them. One
    /// that cannot be opened is left out (its count absent). The hardware ones form one group, so
    /// that the PMU counts them together or not at all, as hyperfine's.
    pub fn open(counters: &[Counter]) -> Group {
        use std::os::fd::AsRawFd;
        let mut leaders: Vec<(u32, i32)> = Vec::new();
        let fds = counters
            .iter()
            .map(|&c| {
                let e = event(c);
                let leader = leaders.iter().find(|(kind, _)| *kind == e.kind).map_or(-1, |&(_, fd)| fd);
                let fd = imp::open(e, leader, true).ok()?;
                if leader < 0 {
                    leaders.push((e.kind, fd.as_raw_fd()));
                }
                Some(fd)
            })
            .collect();
        Group { fds }
    }

    /// Copies of `counters` that never count and are not inherited, held over a batch: opening a
    /// kernel software event (context switches, migrations) when none is open sets up the kernel's
    /// state for it on every CPU, and closing the last one tears it down, tens of microseconds each
    /// way; with these open, a run's own counters find it set up.
    pub fn idle(counters: &[Counter]) -> Group {
        Group { fds: counters.iter().map(|&c| imp::open(event(c), -1, false).ok()).collect() }
    }

    /// The counts, in the order the counters were given (call after the run was reaped).
    /// Not scaled for multiplexing, as hyperfine's and poop's are not.
    pub fn read(self) -> Vec<Option<u64>> {
        self.fds.iter().map(|fd| fd.as_ref().and_then(imp::read)).collect()
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    use perf_event_open_sys::bindings;

    use super::Event;

    /// perf_event_open on the calling thread, any CPU, disabled; `armed`: enabled when a child that
    /// inherits it execs, else never enabled nor inherited.
    pub fn open(e: Event, group: i32, armed: bool) -> std::io::Result<OwnedFd> {
        let mut attr = bindings::perf_event_attr {
            type_: e.kind,
            size: size_of::<bindings::perf_event_attr>() as u32,
            config: e.config,
            ..Default::default()
        };
        attr.set_disabled(1);
        attr.set_enable_on_exec(armed.into());
        attr.set_inherit(armed.into());
        attr.set_exclude_kernel(e.user_only.into());
        attr.set_exclude_hv(e.user_only.into());
        // SAFETY: attr is initialised and its size field is the struct's size.
        let fd = unsafe {
            perf_event_open_sys::perf_event_open(&mut attr, 0, -1, group, bindings::PERF_FLAG_FD_CLOEXEC.into())
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: the kernel just returned this descriptor, and nothing else owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// The count: one u64 (no read_format flags).
    pub fn read(fd: &OwnedFd) -> Option<u64> {
        let mut value = 0u64;
        // SAFETY: reading 8 bytes into a u64 we own.
        let n = unsafe { libc::read(fd.as_raw_fd(), (&raw mut value).cast(), 8) };
        (n == 8).then_some(value)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::os::fd::OwnedFd;

    use super::Event;

    pub fn open(_e: Event, _group: i32, _armed: bool) -> std::io::Result<OwnedFd> {
        Err(std::io::Error::from_raw_os_error(libc::ENOSYS))
    }

    pub fn read(_fd: &OwnedFd) -> Option<u64> {
        None
    }
}
