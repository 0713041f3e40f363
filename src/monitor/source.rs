//! The platform split: one trait for reading a process tree, with procfs on Linux and sysinfo elsewhere.

use crate::profile::{Capability, Counters};

/// One process as read at one instant, before any differencing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawProcess {
    pub pid: u32,
    pub ppid: u32,
    pub name: String,
    /// The process's own CPU time (user + system), seconds; excludes reaped children.
    pub self_cpu_s: f64,
    /// Cumulative counters including what the kernel folded in from reaped children
    /// (cutime/cstime, cminflt/cmajflt, and the thread group's I/O accounting).
    pub inclusive: Counters,
    pub rss_bytes: u64,
    /// Peak RSS of this process so far (VmHWM).
    pub rss_peak_bytes: u64,
    pub vms_bytes: u64,
    pub threads: u64,
    /// Exited but not yet reaped by its parent.
    pub zombie: bool,
}

/// A reader of one process tree: the root and every descendant, including orphans that were once seen in the tree.
pub trait ProcessSource: Send {
    /// Read every live process of the tree. A process that exits mid-read is skipped.
    fn scan(&mut self) -> Vec<RawProcess>;
    /// What this source can and cannot measure, with the reason.
    fn capabilities(&self) -> Vec<Capability>;
}

/// Which backend to read the process tree with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// /proc through the procfs crate (Linux only): every metric.
    Procfs,
    /// The sysinfo crate (any platform): CPU, memory and disk bytes only.
    Sysinfo,
}

impl Backend {
    /// The best backend for this platform.
    pub fn native() -> Backend {
        if cfg!(target_os = "linux") {
            Backend::Procfs
        } else {
            Backend::Sysinfo
        }
    }
}

/// Open a source for the tree rooted at `root` with the given backend.
pub fn open(backend: Backend, root: u32) -> Box<dyn ProcessSource> {
    match backend {
        #[cfg(target_os = "linux")]
        Backend::Procfs => Box::new(super::linux::ProcfsSource::new(root)),
        #[cfg(not(target_os = "linux"))]
        Backend::Procfs => Box::new(super::portable::SysinfoSource::new(root)),
        Backend::Sysinfo => Box::new(super::portable::SysinfoSource::new(root)),
    }
}

/// A capability entry.
pub fn capability(metric: &str, reason: Option<String>) -> Capability {
    Capability { metric: metric.to_string(), available: reason.is_none(), reason }
}
