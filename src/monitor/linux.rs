//! The Linux source: the process tree read from /proc, its files held open between ticks.

use std::collections::BTreeMap;

use super::procfile::{self, Io, ProcFiles, Schedstat, Stat, Status};
use super::source::{capability, ProcessSource, RawProcess};
use crate::profile::{Capability, Counters};

/// A process we follow, with its /proc files kept open between ticks.
struct Tracked {
    files: ProcFiles,
    /// Thread count at the last read (unknown at first: look at every thread).
    threads: u64,
    /// The last `status` and `io`, kept while the process stays idle.
    idle: Option<Idle>,
    /// Reads in a row that found `io` refused: one can be an instant of an exec, two are a denial.
    io_refusals: u32,
    clock: ThreadClock,
}

/// A process's CPU time in nanoseconds, from its threads' schedstat (`se.sum_exec_runtime`).
//
// /proc/PID/stat has the same total only in clock ticks: the kernel scales utime + stime to the
// nanosecond runtime and then truncates to 10 ms, so a 14 ms process reads 10 ms or 0, and CPU %
// over a 100 ms interval moves in steps of 10 points. A single-threaded process's own schedstat
// is its total (read anyway for the idle check below). Once a process has had several threads,
// its process CPU clock is read (every thread, exited ones exact); where the kernel refuses it,
// every live thread's schedstat is, and every thread ever seen keeps its last reading: one missing from a listing (exited, or a read that failed
// for a moment) still counts once, never twice when it shows again (its time since then, at most one
// interval, is only in `stat`'s ticks, which stay a floor under the total).
#[derive(Default)]
struct ThreadClock {
    threaded: bool,
    /// The last reading of every thread seen, live or gone.
    seen: std::collections::HashMap<u32, u64>,
    /// Readings of earlier threads whose id a new thread now has.
    reused_ns: u64,
}

impl ThreadClock {
    /// The process's CPU time in ns; None where the kernel keeps no schedstats.
    fn read(&mut self, pid: u32, main: Option<Schedstat>, threads: u64) -> Option<u64> {
        if threads <= 1 && !self.threaded {
            return main.map(|s| s.run_ns).filter(|&ns| ns > 0);
        }
        self.threaded = true;
        if let Some(ns) = process_clock_ns(pid) {
            return Some(ns);
        }
        for tid in procfile::thread_ids(pid) {
            let (Ok(id), Some(ns)) = (tid.parse::<u32>(), procfile::thread_run_ns(pid, &tid)) else { continue };
            let last = self.seen.entry(id).or_insert(0);
            // A thread's runtime only grows: a smaller one is a new thread with a freed id.
            if ns < *last {
                self.reused_ns += *last;
            }
            *last = ns;
        }
        let total = self.reused_ns + self.seen.values().sum::<u64>();
        (total > 0).then_some(total)
    }
}

/// The CPU time of every thread the process has had, live or exited, in nanoseconds: its process
/// CPU clock (`clock_getcpuclockid`), one call where the schedstat sum reads a file per thread.
//
// Like schedstat it is charged at scheduler events, at least every tick (4 ms at HZ=250), so a
// busy thread's reading lags by up to a tick: over a 100 ms interval CPU % is within ±4 points
// (thread clocks, which are brought up to date, are refused for other processes: EINVAL). Unlike
// the schedstat sum it keeps exited threads' time exactly. None where the kernel refuses the
// clock (sandboxes): the schedstat sum (ThreadClock) is the fallback.
fn process_clock_ns(pid: u32) -> Option<u64> {
    // The kernel's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED), as glibc's clock_getcpuclockid makes
    // it, without the clock_getres call it adds to check the pid: clock_gettime fails alike.
    let clock = ((!(pid as libc::clockid_t)) << 3) | 2;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes only into the local passed by pointer.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return None;
    }
    Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64).filter(|&ns| ns > 0)
}

/// `status` and `io` as last read, and the signs that the process has not run since.
#[derive(Clone, Copy)]
struct Idle {
    schedstat: Schedstat,
    rss_pages: u64,
    status: Status,
    io: Io,
}

impl Tracked {
    /// `status` and `io`, reused from the last read when the process cannot have changed them.
    //
    // They cost most of a process's read, and most processes of a tree sleep most of the
    // time. The main thread's schedstat (time on CPU, time waiting, times switched in)
    // moves whenever it runs: it was switched in since (the count moves), or it was on a
    // CPU then and has left it since, which charged the time (the sum moves). So a
    // single-threaded process whose schedstat stands still has not run, and neither have
    // the fields we take from `status` and `io`:
    // - context switches are counted as it leaves a CPU;
    // - rchar, wchar, read_bytes and write_bytes are charged to the task that makes the
    //   syscall, submits the read or dirties the page: itself, never the flusher that
    //   writes the page back; a truncation of its file by another process is charged to
    //   that process (cancelled_write_bytes too: it is charged to the truncating task); a reaped
    //   child's counts are added by wait4, which it would have to run to call;
    // - VmHWM is max(RSS, the peak saved before pages are freed), and other tasks can add
    //   or free its pages (a vfork child sharing its memory, process_vm_writev,
    //   khugepaged, a truncation of a file it maps): a change of RSS, read from `stat` at
    //   every tick, forces a re-read. Missed: RSS going up and back to the very same page
    //   count within one tick, through other tasks, while it sleeps.
    // The sum is brought up to date at scheduler events, at least every scheduler tick
    // (1-10 ms) on a busy CPU, so a process on a CPU now may show an old one: skip only a
    // process that is not running (`R`) now and was not when cached. Missed: one that
    // stays on its CPU from one read to the next with no scheduler tick between (an
    // interval under the scheduler's, or a nohz_full CPU) and is caught by `stat` in the
    // instant between marking itself asleep and leaving the CPU. Multi-threaded processes
    // and kernels that keep no schedstats (zeros) always take the full read.
    /// Also counts a refused `io` (see `io_refusals`).
    fn status_and_io(&mut self, pid: u32, stat: &Stat, schedstat: Option<Schedstat>) -> (Option<Status>, Io) {
        let sleeping = stat.num_threads <= 1 && stat.state != b'R';
        let sign = schedstat.filter(|s| sleeping && s.run_ns > 0);
        if let (Some(schedstat), Some(idle)) = (sign, self.idle) {
            if idle.schedstat == schedstat && idle.rss_pages == stat.rss_pages {
                return (Some(idle.status), idle.io);
            }
        }
        let status = self.files.status().ok();
        // A denial (two refusals in a row) is final: no open attempt at every tick after it.
        let readable = if self.io_refusals < 2 { self.files.retry_io(pid) } else { self.files.io_readable() };
        let io = if readable { self.files.io().unwrap_or(Ok(Io::default())) } else { Ok(Io::default()) };
        let refused =
            !readable || io.as_ref().is_err_and(|e| matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)));
        self.io_refusals = if refused { self.io_refusals + 1 } else { 0 };
        self.idle = match (sign, status, &io) {
            (Some(schedstat), Some(status), Ok(io)) => {
                Some(Idle { schedstat, rss_pages: stat.rss_pages, status, io: *io })
            }
            _ => None,
        };
        (status, io.unwrap_or_default())
    }
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
                self.tracked.insert(
                    pid,
                    Tracked { files, threads: u64::MAX, idle: None, io_refusals: 0, clock: ThreadClock::default() },
                );
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
        // After `stat`: a process that runs between the two reads moves its schedstat.
        let schedstat = t.files.schedstat();
        let (status, io) = t.status_and_io(pid, &stat, schedstat);
        let tck = self.ticks_per_s;
        let ticks_s = (stat.utime + stat.stime) as f64 / tck;
        let self_cpu_s =
            t.clock.read(pid, schedstat, stat.num_threads).map_or(ticks_s, |ns| (ns as f64 * 1e-9).max(ticks_s));
        if t.io_refusals >= 2 && self.io_denied.is_none() {
            self.io_denied = Some(format!(
                "/proc/{pid}/io is not readable (permission denied): monitor as the process owner or root"
            ));
        }
        t.threads = stat.num_threads;
        let (vol, invol) = match (stat.num_threads, status) {
            (0 | 1, Some(s)) => (s.voluntary_ctxt_switches, s.nonvoluntary_ctxt_switches),
            (_, status) => Self::ctx_switches_of_threads(pid, status),
        };
        let inclusive = Counters {
            // Reaped children's time is only in ticks (cutime, cstime): the kernel keeps no ns sum of it.
            cpu_time_s: self_cpu_s + (stat.cutime + stat.cstime) as f64 / tck,
            read_bytes: io.read_bytes,
            write_bytes: io.write_bytes,
            cancelled_write_bytes: io.cancelled_write_bytes,
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
            self_cpu_s,
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

/// Each tracked process holds five open /proc files: allow as many open files as the hard
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

    /// Scan until `done` holds for the process `pid`; the bound only stops a broken test from hanging.
    fn scan_until(src: &mut ProcfsSource, pid: u32, done: impl Fn(&ProcfsSource, &RawProcess) -> bool) -> RawProcess {
        let give_up = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let p = src.scan().into_iter().find(|p| p.pid == pid).expect("the process is alive");
            if done(src, &p) || std::time::Instant::now() > give_up {
                return p;
            }
            std::thread::yield_now();
        }
    }

    #[test]
    fn an_idle_process_is_read_again_once_it_runs() {
        use std::io::{BufRead, Write};
        use std::process::{Command, Stdio};
        // A shell that echoes each line it reads: asleep in read(2) until we write to it.
        let mut sh = Command::new("sh")
            .args(["-c", "while read l; do echo \"$l\"; done"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = sh.id();
        // Wait until the shell sleeps in read(2) itself: asleep earlier (loading, a page fault) it
        // would wake up and move its counters. Where wchan is hidden ("0"), go on.
        let give_up = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < give_up {
            let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
            if wchan.contains("pipe") || wchan == "0" || wchan.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let mut src = ProcfsSource::new(pid);
        let idle = |src: &ProcfsSource, _: &RawProcess| src.tracked[&pid].idle.is_some();
        let before = scan_until(&mut src, pid, idle);
        assert!(src.tracked[&pid].idle.is_some(), "a sleeping shell's status and io are cached");
        let still = scan_until(&mut src, pid, |_, _| true);
        assert_eq!(before.inclusive, still.inclusive, "nothing moves while it sleeps");

        let mut stdin = sh.stdin.take().unwrap();
        let mut echoed = String::new();
        writeln!(stdin, "0123456789").unwrap();
        std::io::BufReader::new(sh.stdout.take().unwrap()).read_line(&mut echoed).unwrap();
        assert_eq!(echoed, "0123456789\n");
        // Back asleep in read(2) once it has counted one more voluntary switch.
        let moved = |_: &ProcfsSource, p: &RawProcess| {
            p.inclusive.rchar >= before.inclusive.rchar + 11
                && p.inclusive.wchar >= before.inclusive.wchar + 11
                && p.inclusive.voluntary_ctx_switches > before.inclusive.voluntary_ctx_switches
        };
        let after = scan_until(&mut src, pid, moved);
        assert!(moved(&src, &after), "the counters moved after it ran: before {before:?}, after {after:?}");
        drop(stdin);
        sh.wait().unwrap();
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
