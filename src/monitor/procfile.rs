//! One tracked process's /proc files, held open and re-read in place each tick, with minimal parsers.
//!
//! Why not the procfs crate here: it opens, reads, fully parses and closes
//! every file on every call; for `status` alone that is 41 µs per process on
//! our VM, against 9 µs to `pread` the same held file and pick three fields
//! (measured with `examples/tick_cost.rs --breakdown`). The monitor reads
//! these files for every process at every tick, so this is its hot path.
//! Held files also guard against PID reuse: once the process is gone, reads
//! through them fail (ESRCH) instead of reading a newcomer with the same PID.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// The fields of `/proc/PID/stat` the monitor uses (times in clock ticks, memory in pages/bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stat {
    /// The command name (it changes at exec, so it is read every time).
    pub comm: String,
    pub state: u8,
    pub ppid: u32,
    pub minflt: u64,
    pub cminflt: u64,
    pub majflt: u64,
    pub cmajflt: u64,
    pub utime: u64,
    pub stime: u64,
    pub cutime: u64,
    pub cstime: u64,
    pub num_threads: u64,
    pub vsize: u64,
    pub rss_pages: u64,
}

/// The fields of `/proc/PID/status` the monitor uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Status {
    pub vm_hwm_kib: Option<u64>,
    pub voluntary_ctxt_switches: u64,
    pub nonvoluntary_ctxt_switches: u64,
}

/// `/proc/PID/schedstat`: the main thread's scheduling history, which moves whenever it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Schedstat {
    /// Time spent on a CPU (se.sum_exec_runtime); 0 when the kernel does not keep schedstats.
    pub run_ns: u64,
    /// Time spent waiting on a run queue.
    pub wait_ns: u64,
    /// Times switched onto a CPU.
    pub timeslices: u64,
}

/// The fields of `/proc/PID/io`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Io {
    pub rchar: u64,
    pub wchar: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
}

/// A process's open /proc files.
pub struct ProcFiles {
    stat: File,
    status: File,
    /// `None` when not readable (another user's process).
    io: Option<File>,
    /// The main thread's `task/PID/children` (`None` without CONFIG_PROC_CHILDREN).
    children: Option<File>,
    /// `None` without CONFIG_SCHED_INFO.
    schedstat: Option<File>,
    buf: Vec<u8>,
}

impl ProcFiles {
    /// Open the files of `pid`; `io` stays `None` when permission is denied.
    pub fn open(pid: u32) -> io::Result<ProcFiles> {
        let dir = format!("/proc/{pid}");
        let stat = File::open(format!("{dir}/stat"))?;
        let status = File::open(format!("{dir}/status"))?;
        let io = File::open(format!("{dir}/io")).ok();
        let children = File::open(format!("{dir}/task/{pid}/children")).ok();
        let schedstat = File::open(format!("{dir}/schedstat")).ok();
        Ok(ProcFiles { stat, status, io, children, schedstat, buf: Vec::with_capacity(2048) })
    }

    pub fn io_readable(&self) -> bool {
        self.io.is_some()
    }

    /// Open `io` again if it was refused; true when it is readable now.
    //
    // The kernel checks access when the file is opened, and a process of our own can refuse
    // it for an instant (while it execs, /proc shows its files as root's), so one refusal
    // says nothing about the next.
    pub fn retry_io(&mut self, pid: u32) -> bool {
        if self.io.is_none() {
            self.io = File::open(format!("/proc/{pid}/io")).ok();
        }
        self.io.is_some()
    }

    /// Re-read a held file from its start into the buffer.
    fn reread(file: &File, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.clear();
        buf.resize(buf.capacity().max(2048), 0);
        loop {
            let n = file.read_at(buf, 0)?;
            if n < buf.len() {
                buf.truncate(n);
                return Ok(());
            }
            // The file did not fit: grow and read again from the start.
            let len = buf.len();
            buf.resize(len * 2, 0);
        }
    }

    pub fn stat(&mut self) -> io::Result<Stat> {
        Self::reread(&self.stat, &mut self.buf)?;
        parse_stat(&self.buf).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unparsable /proc/PID/stat"))
    }

    pub fn status(&mut self) -> io::Result<Status> {
        Self::reread(&self.status, &mut self.buf)?;
        Ok(parse_status(&self.buf))
    }

    pub fn io(&mut self) -> Option<io::Result<Io>> {
        let file = self.io.as_ref()?;
        Some(Self::reread(file, &mut self.buf).map(|_| parse_io(&self.buf)))
    }

    /// The main thread's schedstat; `None` when the file is not available or unparsable.
    pub fn schedstat(&mut self) -> Option<Schedstat> {
        let file = self.schedstat.as_ref()?;
        Self::reread(file, &mut self.buf).ok()?;
        parse_schedstat(&self.buf)
    }

    /// Children of the main thread; `None` when the file is not available.
    pub fn main_children(&mut self) -> Option<Vec<u32>> {
        let file = self.children.as_ref()?;
        Self::reread(file, &mut self.buf).ok()?;
        Some(std::str::from_utf8(&self.buf).ok()?.split_ascii_whitespace().filter_map(|p| p.parse().ok()).collect())
    }
}

/// Parse `/proc/PID/stat`: the command name sits in parentheses and may hold spaces and parentheses, so
/// fields are counted from the last `)`.
pub fn parse_stat(buf: &[u8]) -> Option<Stat> {
    let close = buf.iter().rposition(|&b| b == b')')?;
    let open = buf.iter().position(|&b| b == b'(')?;
    let comm = String::from_utf8_lossy(buf.get(open + 1..close)?).into_owned();
    let rest = std::str::from_utf8(&buf[close + 1..]).ok()?;
    // Field 3 (state) is the first after the name; index i here is field i + 3.
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    let n = |field: usize| f.get(field - 3).and_then(|v| v.parse::<u64>().ok());
    Some(Stat {
        comm,
        state: *f.first()?.as_bytes().first()?,
        ppid: n(4)? as u32,
        minflt: n(10)?,
        cminflt: n(11)?,
        majflt: n(12)?,
        cmajflt: n(13)?,
        utime: n(14)?,
        stime: n(15)?,
        cutime: n(16).unwrap_or(0),
        cstime: n(17).unwrap_or(0),
        num_threads: n(20)?,
        vsize: n(23)?,
        rss_pages: n(24)?,
    })
}

/// The values of `keys` in a `key: value [unit]` file, in one pass over the bytes that stops once
/// every key is found (no UTF-8 conversion: `status` is about 55 lines, and we want three).
fn fields<const N: usize>(buf: &[u8], keys: [&[u8]; N]) -> [Option<u64>; N] {
    let mut values = [None; N];
    let mut missing = N;
    for line in buf.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let Some(i) = keys.iter().position(|k| *k == &line[..colon]) else { continue };
        if values[i].is_none() {
            values[i] = leading_number(&line[colon + 1..]);
            missing -= usize::from(values[i].is_some());
            if missing == 0 {
                break;
            }
        }
    }
    values
}

/// The decimal number after any blanks at the start of `text` (`"\t    2028 kB"` gives 2028).
fn leading_number(text: &[u8]) -> Option<u64> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let len = text[start..].iter().take_while(|b| b.is_ascii_digit()).count();
    let digits = text.get(start..start + len).filter(|d| !d.is_empty())?;
    digits.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

pub fn parse_status(buf: &[u8]) -> Status {
    let [hwm, vol, invol] = fields(buf, [b"VmHWM", b"voluntary_ctxt_switches", b"nonvoluntary_ctxt_switches"]);
    Status {
        vm_hwm_kib: hwm,
        voluntary_ctxt_switches: vol.unwrap_or(0),
        nonvoluntary_ctxt_switches: invol.unwrap_or(0),
    }
}

const IO_KEYS: [&[u8]; 5] = [b"rchar", b"wchar", b"read_bytes", b"write_bytes", b"cancelled_write_bytes"];

/// Parse `/proc/PID/io`; a missing field reads as 0.
pub fn parse_io(buf: &[u8]) -> Io {
    let [rchar, wchar, read_bytes, write_bytes, cancelled_write_bytes] = fields(buf, IO_KEYS).map(|v| v.unwrap_or(0));
    Io { rchar, wchar, read_bytes, write_bytes, cancelled_write_bytes }
}

/// Read `/proc/PID/io` once (an exited child's last counters); `None` when unreadable or a field is missing.
pub fn read_io(pid: u32) -> Option<Io> {
    let buf = std::fs::read(format!("/proc/{pid}/io")).ok()?;
    let [rchar, wchar, read_bytes, write_bytes, cancelled_write_bytes] = fields(&buf, IO_KEYS);
    Some(Io {
        rchar: rchar?,
        wchar: wchar?,
        read_bytes: read_bytes?,
        write_bytes: write_bytes?,
        cancelled_write_bytes: cancelled_write_bytes.unwrap_or(0),
    })
}

/// Parse `/proc/PID/schedstat`: three numbers on one line.
pub fn parse_schedstat(buf: &[u8]) -> Option<Schedstat> {
    let mut n = buf.split(u8::is_ascii_whitespace).filter(|f| !f.is_empty()).map(leading_number);
    Some(Schedstat { run_ns: n.next()??, wait_ns: n.next()??, timeslices: n.next()?? })
}

/// One thread's time on a CPU in nanoseconds, from `/proc/PID/task/TID/schedstat`.
pub fn thread_run_ns(pid: u32, tid: &str) -> Option<u64> {
    parse_schedstat(&std::fs::read(format!("/proc/{pid}/task/{tid}/schedstat")).ok()?).map(|s| s.run_ns)
}

/// Context switches of one thread, from `/proc/PID/task/TID/status`.
pub fn thread_ctx_switches(pid: u32, tid: &str) -> Option<(u64, u64)> {
    let s = parse_status(&std::fs::read(format!("/proc/{pid}/task/{tid}/status")).ok()?);
    Some((s.voluntary_ctxt_switches, s.nonvoluntary_ctxt_switches))
}

/// Children of every thread but the main one (threads fork too).
pub fn other_threads_children(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    dir.flatten()
        .filter(|e| e.file_name() != pid.to_string().as_str())
        .filter_map(|e| std::fs::read_to_string(e.path().join("children")).ok())
        .flat_map(|s| s.split_ascii_whitespace().filter_map(|p| p.parse().ok()).collect::<Vec<u32>>())
        .collect()
}

/// Thread ids of `pid`.
pub fn thread_ids(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_a_hostile_name() {
        let line = b"4242 (a) b) c) S 1 4242 4242 0 -1 4194560 1186 77 3 4 11 22 33 44 20 0 3 0 123456 9658368 1622 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
        let s = parse_stat(line).unwrap();
        assert_eq!((s.comm.as_str(), s.state, s.ppid), ("a) b) c", b'S', 1));
        assert_eq!((s.minflt, s.cminflt, s.majflt, s.cmajflt), (1186, 77, 3, 4));
        assert_eq!((s.utime, s.stime, s.cutime, s.cstime), (11, 22, 33, 44));
        assert_eq!((s.num_threads, s.vsize, s.rss_pages), (3, 9658368, 1622));
    }

    /// `/proc/PID/status` of a `sleep` on kernel 6.18, as the kernel formats it (Mems_allowed shortened).
    const SLEEP_STATUS: &[u8] = b"Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t32709\nNgid:\t0\n\
Pid:\t32709\nPPid:\t32707\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t256\nGroups:\t \n\
NStgid:\t32709\nNSpid:\t32709\nNSpgid:\t32707\nNSsid:\t26664\nKthread:\t0\nVmPeak:\t    2920 kB\n\
VmSize:\t    2920 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t    1796 kB\nVmRSS:\t    1796 kB\n\
RssAnon:\t     108 kB\nRssFile:\t    1688 kB\nRssShmem:\t       0 kB\nVmData:\t     224 kB\n\
VmStk:\t     132 kB\nVmExe:\t      20 kB\nVmLib:\t    1528 kB\nVmPTE:\t      48 kB\nVmSwap:\t       0 kB\n\
HugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\nThreads:\t1\n\
SigQ:\t0/96365\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n\
SigIgn:\t0000000000000006\nSigCgt:\t0000000000000000\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\n\
CapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n\
Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tvulnerable\nSpeculationIndirectBranch:\talways enabled\n\
Cpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\n\
voluntary_ctxt_switches:\t2\nnonvoluntary_ctxt_switches:\t0\n";

    #[test]
    fn parses_a_real_status() {
        let st = parse_status(SLEEP_STATUS);
        assert_eq!(st, Status { vm_hwm_kib: Some(1796), voluntary_ctxt_switches: 2, nonvoluntary_ctxt_switches: 0 });
    }

    #[test]
    fn a_status_without_memory_lines_has_no_peak() {
        // A zombie or a kernel thread has no memory map: the Vm* lines are left out. A name
        // that looks like a key does not count either.
        let st = parse_status(
            b"Name:\tVmHWM: 99\nState:\tZ (zombie)\nThreads:\t1\nvoluntary_ctxt_switches:\t5\nnonvoluntary_ctxt_switches:\t7\n",
        );
        assert_eq!(st, Status { vm_hwm_kib: None, voluntary_ctxt_switches: 5, nonvoluntary_ctxt_switches: 7 });
        assert_eq!(parse_status(b""), Status::default());
    }

    #[test]
    fn context_switch_keys_are_told_apart() {
        // `voluntary_ctxt_switches` is a suffix of `nonvoluntary_ctxt_switches`, in either order.
        let st = parse_status(b"nonvoluntary_ctxt_switches:\t7\nvoluntary_ctxt_switches:\t5");
        assert_eq!((st.voluntary_ctxt_switches, st.nonvoluntary_ctxt_switches), (5, 7));
    }

    #[test]
    fn parses_a_real_io_and_one_with_keys_missing() {
        let io = parse_io(
            b"rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 0\nread_bytes: 8192\nwrite_bytes: 0\ncancelled_write_bytes: 0\n",
        );
        assert_eq!(io, Io { rchar: 6976, wchar: 0, read_bytes: 8192, write_bytes: 0, cancelled_write_bytes: 0 });
        // cancelled_write_bytes is not write_bytes (a key that ends another's); missing keys read as 0.
        let io = parse_io(b"rchar: 10\ncancelled_write_bytes: 4096\nwchar: 18446744073709551615\n");
        assert_eq!(io, Io { rchar: 10, wchar: u64::MAX, read_bytes: 0, write_bytes: 0, cancelled_write_bytes: 4096 });
    }

    #[test]
    fn numbers_that_do_not_parse_are_missing() {
        assert_eq!(leading_number(b"\t    2028 kB"), Some(2028));
        assert_eq!(leading_number(b" 18446744073709551616"), None, "one more than u64::MAX");
        assert_eq!(leading_number(b"\t kB"), None);
        assert_eq!(leading_number(b""), None);
        assert_eq!(parse_io(b"rchar: x\nrchar: 3\n").rchar, 3, "the first line that parses wins");
    }

    #[test]
    fn parses_schedstat() {
        let s = parse_schedstat(b"920967 2647639 2\n").unwrap();
        assert_eq!(s, Schedstat { run_ns: 920967, wait_ns: 2647639, timeslices: 2 });
        assert_eq!(parse_schedstat(b"0 0 0\n"), Some(Schedstat::default()), "no schedstats in this kernel");
        assert_eq!(parse_schedstat(b"920967 2647639\n"), None);
        assert_eq!(parse_schedstat(b""), None);
    }

    #[test]
    fn reads_this_process() {
        let mut f = ProcFiles::open(std::process::id()).unwrap();
        let s = f.stat().unwrap();
        assert!(s.num_threads >= 1 && s.rss_pages > 0);
        assert!(f.status().unwrap().vm_hwm_kib.unwrap() > 0);
        assert!(f.io().unwrap().unwrap().rchar > 0);
        assert!(f.schedstat().unwrap().timeslices > 0);
        // A second read of the same held files works (pread from offset 0).
        assert!(f.stat().unwrap().rss_pages > 0);
    }
}
