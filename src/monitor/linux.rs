//! The Linux source: the process tree read from /proc, its files held open between ticks.

use std::collections::BTreeMap;

use super::procfile::{self, ProcFiles};
use super::source::{capability, ProcessSource, RawProcess};
use crate::profile::{Capability, Counters};

/// A process we follow, with its /proc files kept open between ticks.
struct Tracked {
    files: ProcFiles,
    /// Thread count at the last read (unknown at first: look at every thread).
    threads: u64,
}

/// Reads the tree rooted at one PID from /proc.
pub struct ProcfsSource {
    root: u32,
    tracked: BTreeMap<u32, Tracked>,
    ticks_per_s: f64,
    page_size: u64,
    /// `/proc/PID/task/TID/children` exists (CONFIG_PROC_CHILDREN); otherwise scan all of /proc.
    children_files: bool,
    io_denied: Option<String>,
}

impl ProcfsSource {
    pub fn new(root: u32) -> ProcfsSource {
        raise_open_file_limit();
        let children_files =
            std::path::Path::new("/proc/self/task").join(std::process::id().to_string()).join("children").exists();
        ProcfsSource {
            root,
            tracked: BTreeMap::new(),
            ticks_per_s: procfs::ticks_per_second() as f64,
            page_size: procfs::page_size(),
            children_files,
            io_denied: None,
        }
    }

    /// Add the root (first call) and every new descendant of a tracked process.
    fn discover(&mut self) {
        if self.tracked.is_empty() {
            self.track(self.root);
        }
        if self.children_files {
            self.discover_by_children_files();
        } else {
            self.discover_by_scan();
        }
    }

    fn track(&mut self, pid: u32) -> bool {
        if self.tracked.contains_key(&pid) {
            return false;
        }
        match ProcFiles::open(pid) {
            Ok(files) => {
                if !files.io_readable() && self.io_denied.is_none() {
                    self.io_denied = Some(format!(
                        "/proc/{pid}/io is not readable (permission denied): monitor as the process owner or root"
                    ));
                }
                self.tracked.insert(pid, Tracked { files, threads: u64::MAX });
                true
            }
            Err(e) => {
                if e.raw_os_error() == Some(libc::EMFILE) {
                    log::warn!("too many open files: process {pid} and later ones are not monitored (raise ulimit -n)");
                }
                false
            }
        }
    }

    fn discover_by_children_files(&mut self) {
        let mut queue: Vec<u32> = self.tracked.keys().copied().collect();
        while let Some(pid) = queue.pop() {
            for child in self.children_of(pid) {
                if self.track(child) {
                    queue.push(child);
                }
            }
        }
    }

    /// Children of every thread of `pid` (a child belongs to the thread that forked it).
    fn children_of(&mut self, pid: u32) -> Vec<u32> {
        let Some(t) = self.tracked.get_mut(&pid) else { return Vec::new() };
        let mut out = t.files.main_children().unwrap_or_default();
        if t.threads > 1 {
            out.extend(procfile::other_threads_children(pid));
        }
        out
    }

    fn discover_by_scan(&mut self) {
        let Ok(all) = procfs::process::all_processes() else { return };
        let parents: Vec<(u32, u32)> =
            all.flatten().filter_map(|p| p.stat().ok().map(|s| (s.pid as u32, s.ppid as u32))).collect();
        loop {
            let new: Vec<u32> = parents
                .iter()
                .filter(|(pid, ppid)| self.tracked.contains_key(ppid) && !self.tracked.contains_key(pid))
                .map(|(pid, _)| *pid)
                .collect();
            if new.is_empty() {
                break;
            }
            for pid in new {
                self.track(pid);
            }
        }
    }

    /// Read one process; `None` when it is gone.
    fn read(&mut self, pid: u32) -> Option<RawProcess> {
        let t = self.tracked.get_mut(&pid)?;
        let stat = t.files.stat().ok()?;
        let status = t.files.status().ok();
        let io = t.files.io().and_then(Result::ok).unwrap_or_default();
        t.threads = stat.num_threads;
        let (vol, invol) = match (stat.num_threads, status) {
            (0 | 1, Some(s)) => (s.voluntary_ctxt_switches, s.nonvoluntary_ctxt_switches),
            (_, status) => Self::ctx_switches_of_threads(pid, status),
        };
        let tck = self.ticks_per_s;
        let inclusive = Counters {
            cpu_time_s: (stat.utime + stat.stime + stat.cutime + stat.cstime) as f64 / tck,
            read_bytes: io.read_bytes,
            write_bytes: io.write_bytes,
            rchar: io.rchar,
            wchar: io.wchar,
            minor_faults: stat.minflt + stat.cminflt,
            major_faults: stat.majflt + stat.cmajflt,
            voluntary_ctx_switches: vol,
            involuntary_ctx_switches: invol,
        };
        let rss_bytes = stat.rss_pages * self.page_size;
        Some(RawProcess {
            pid,
            ppid: stat.ppid,
            name: stat.comm,
            self_cpu_s: (stat.utime + stat.stime) as f64 / tck,
            inclusive,
            rss_bytes,
            rss_peak_bytes: status.and_then(|s| s.vm_hwm_kib).map_or(rss_bytes, |kb| (kb * 1024).max(rss_bytes)),
            vms_bytes: stat.vsize,
            threads: stat.num_threads,
            zombie: stat.state == b'Z',
        })
    }

    /// Context switches of all live threads: /proc/PID/status counts only the main thread.
    fn ctx_switches_of_threads(pid: u32, main: Option<procfile::Status>) -> (u64, u64) {
        let sums = procfile::thread_ids(pid)
            .iter()
            .filter_map(|tid| procfile::thread_ctx_switches(pid, tid))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        match (sums, main) {
            ((0, 0), Some(m)) => (m.voluntary_ctxt_switches, m.nonvoluntary_ctxt_switches),
            (s, _) => s,
        }
    }
}

/// Each tracked process holds four open /proc files: allow as many open files as the hard
/// limit permits (the soft limit is often 1024), once per process.
fn raise_open_file_limit() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: getrlimit/setrlimit read and write a local struct.
        unsafe {
            let mut lim: libc::rlimit = std::mem::zeroed();
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
                lim.rlim_cur = lim.rlim_max;
                libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            }
        }
    });
}

impl ProcessSource for ProcfsSource {
    fn name(&self) -> &'static str {
        "procfs"
    }

    fn scan(&mut self) -> Vec<RawProcess> {
        self.discover();
        let pids: Vec<u32> = self.tracked.keys().copied().collect();
        let mut out = Vec::with_capacity(pids.len());
        for pid in pids {
            match self.read(pid) {
                Some(p) => out.push(p),
                // Gone between discovery and read (or earlier): forget it, no error.
                None => {
                    self.tracked.remove(&pid);
                }
            }
        }
        out
    }

    fn capabilities(&self) -> Vec<Capability> {
        let mut caps: Vec<Capability> = ["cpu", "memory", "threads", "page_faults", "context_switches"]
            .iter()
            .map(|m| capability(m, None))
            .collect();
        caps.push(capability("io", self.io_denied.clone()));
        caps.push(capability(
            "process_discovery",
            (!self.children_files).then(|| {
                "no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN off): scanning all of /proc each tick".to_string()
            }),
        ));
        caps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_that_exits_between_reads_is_skipped_without_error() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let mut src = ProcfsSource::new(child.id());
        assert_eq!(src.scan().len(), 1, "the live process is read");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(src.scan().is_empty(), "the reaped process is gone from the tree, silently");
        assert!(src.scan().is_empty());
    }

    #[test]
    fn descendants_are_found_and_threads_are_not_processes() {
        let mut sh = std::process::Command::new("sh").args(["-c", "sleep 30 & sleep 30 & wait"]).spawn().unwrap();
        let mut src = ProcfsSource::new(sh.id());
        // The children appear once sh has forked them; the bound only stops a broken test from hanging.
        let give_up = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut seen = src.scan().len();
        while seen != 3 && std::time::Instant::now() < give_up {
            std::thread::yield_now();
            seen = src.scan().len();
        }
        assert_eq!(seen, 3, "sh and its two sleeps");
        let _ = std::process::Command::new("pkill").args(["-P", &sh.id().to_string()]).status();
        sh.kill().unwrap();
        sh.wait().unwrap();
    }
}
