//! The spawner protocol: denet's batch requests and the spawner's streamed replies, as bytes.
//!
//! Both spawners speak it: the tiny C one (spawner/denet-spawner.c) and the
//! fork fallback in denet's own binary (spawner.rs). The frames (kinds, field
//! order, widths, byte order, the variable part of a batch) are defined once,
//! in spawner/protocol.h; wire.rs mirrors their fixed parts.

mod wire;

use std::io::{self, Read, Write};

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::runner::Invocation;
use crate::monitor::cgroup::{Plan, Reading};
use crate::monitor::perf::{self, Event};
use crate::profile::{Counter, ExitStatus, Rusage};
use crate::vocab::{IgnoreFailure, Input, Output};
use wire::{BatchHead, CounterSpec, DoneFrame, EndFrame, FailedFrame, SpawnedFrame};

/// Which iteration counter the runs of a batch see in their environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IterationVar {
    /// Setup and cleanup: no counter.
    None,
    /// `DENET_ITERATION=N`.
    Run,
    /// `DENET_ITERATION=warmup-N`.
    Warmup,
}

/// Run `inv` `count` times in a row, the iteration counter going from `first`.
#[derive(Debug, Clone)]
pub struct Batch {
    pub inv: Invocation,
    pub count: u32,
    pub first: u64,
    pub iteration: IterationVar,
    /// Which exits let the batch go on (`-i`); any other stops it after that run.
    pub accept: IgnoreFailure,
    /// The perf_event counters to count over each run (at most `wire::MAX_COUNTERS`).
    pub counters: Vec<Counter>,
    /// Each run in its command's cgroups (empty: none; monitor/cgroup/session.rs).
    pub cgroup: Plan,
    /// The command's leaf in the plan's v2 directory (`c0`, `c1`, ...).
    pub cgroup_leaf: String,
    /// `--timeout`: each run's whole tree is killed after this long.
    pub timeout: Option<std::time::Duration>,
    /// `--keep-strays`.
    pub keep_strays: bool,
}

impl Batch {
    /// A batch of one run of `inv` as it is (hooks, calibration: their environment is complete).
    pub fn single(inv: &Invocation) -> Batch {
        Batch {
            inv: inv.clone(),
            count: 1,
            first: 0,
            iteration: IterationVar::None,
            accept: IgnoreFailure::AllNonZero,
            counters: Vec::new(),
            cgroup: Plan::default(),
            cgroup_leaf: String::new(),
            timeout: None,
            keep_strays: false,
        }
    }

    /// This batch, `count` runs from iteration `first`.
    pub fn with(self, count: u32, first: u64, iteration: IterationVar) -> Batch {
        Batch { count, first, iteration, ..self }
    }

    /// Iteration `i`'s invocation: the batch's environment plus the iteration counter.
    pub fn invocation(&self, i: u64) -> Invocation {
        let mut inv = self.inv.clone();
        inv.env = with_iteration(inv.env, self.iteration, i);
        inv
    }
}

/// `env` plus `DENET_ITERATION` and `HYPERFINE_ITERATION` for iteration `i` (none for setup and
/// cleanup). The tiny spawner writes the same values (spawner/denet-spawner.c `set_iteration`).
pub fn with_iteration(mut env: Vec<(String, String)>, var: IterationVar, i: u64) -> Vec<(String, String)> {
    let value = match var {
        IterationVar::None => return env,
        IterationVar::Run => i.to_string(),
        IterationVar::Warmup => format!("warmup-{i}"),
    };
    env.push(("DENET_ITERATION".into(), value.clone()));
    env.push(("HYPERFINE_ITERATION".into(), value));
    env
}

/// The I/O counters of the exited child (its reaped descendants included), read before reaping it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FinalIo {
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// Of `write_bytes`, what never reached storage: truncated or deleted before writeback.
    pub cancelled_write_bytes: u64,
    pub rchar: u64,
    pub wchar: u64,
}

/// A finished run, as the spawner measured it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDone {
    pub wall_s: f64,
    pub status: ExitStatus,
    pub rusage: Rusage,
    pub io: Option<FinalIo>,
    /// Killed on request (Ctrl-C).
    pub killed: bool,
    /// The batch's counters' counts, in its order; `None` where one could not be counted.
    pub counts: Vec<Option<u64>>,
    /// Killed by the batch's timeout.
    pub timed_out: bool,
}

/// What could not be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedPart {
    Exec,
    Input,
    Output,
    Other,
}

/// A run's cgroup files as read after it, in the batch's order, and the processes left in its groups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CgroupFiles {
    pub files: Vec<String>,
    /// Each file as read just after its reset before the run ("" without one).
    pub baselines: Vec<String>,
    /// "PID NAME" of each.
    pub strays: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The run's pid, and when it was spawned (CLOCK_MONOTONIC, nanoseconds).
    Spawned(u32, u64),
    Failed(FailedPart, i32),
    /// The run's cgroup files (before its `Done`; only with cgroups).
    Cgroup(CgroupFiles),
    Done(RunDone),
    End(u32),
}

impl IterationVar {
    fn to_wire(self) -> u8 {
        match self {
            IterationVar::None => wire::ITER_NONE,
            IterationVar::Run => wire::ITER_RUN,
            IterationVar::Warmup => wire::ITER_WARMUP,
        }
    }

    fn from_wire(v: u8) -> IterationVar {
        match v {
            wire::ITER_NONE => IterationVar::None,
            wire::ITER_RUN => IterationVar::Run,
            _ => IterationVar::Warmup,
        }
    }
}

impl FailedPart {
    fn to_wire(self) -> u8 {
        match self {
            FailedPart::Exec => wire::FAILED_EXEC,
            FailedPart::Input => wire::FAILED_INPUT,
            FailedPart::Output => wire::FAILED_OUTPUT,
            FailedPart::Other => wire::FAILED_OTHER,
        }
    }

    fn from_wire(v: u8) -> FailedPart {
        match v {
            wire::FAILED_EXEC => FailedPart::Exec,
            wire::FAILED_INPUT => FailedPart::Input,
            wire::FAILED_OUTPUT => FailedPart::Output,
            _ => FailedPart::Other,
        }
    }
}

impl From<&RunDone> for DoneFrame {
    fn from(d: &RunDone) -> DoneFrame {
        let (u, io) = (&d.rusage, d.io.unwrap_or_default());
        let mut counts = [0u64; wire::MAX_COUNTERS];
        let mut counted = 0u8;
        for (i, c) in d.counts.iter().enumerate().take(wire::MAX_COUNTERS) {
            counts[i] = c.unwrap_or(0);
            counted |= u8::from(c.is_some()) << i;
        }
        DoneFrame {
            wall_s: d.wall_s,
            code: d.status.code.unwrap_or(-1),
            signal: d.status.signal.unwrap_or(0),
            user_s: u.user_s,
            system_s: u.system_s,
            maxrss_bytes: u.max_rss_bytes,
            minflt: u.minor_faults,
            majflt: u.major_faults,
            nvcsw: u.voluntary_ctx_switches,
            nivcsw: u.involuntary_ctx_switches,
            inblock: u.block_input_ops,
            oublock: u.block_output_ops,
            rchar: io.rchar,
            wchar: io.wchar,
            read_bytes: io.read_bytes,
            write_bytes: io.write_bytes,
            cancelled_write_bytes: io.cancelled_write_bytes,
            io_ok: d.io.is_some().into(),
            killed: d.killed.into(),
            counts,
            n_counters: d.counts.len().min(wire::MAX_COUNTERS) as u8,
            counted,
            timed_out: d.timed_out.into(),
        }
    }
}

impl From<DoneFrame> for RunDone {
    fn from(f: DoneFrame) -> RunDone {
        // Copied out of the packed frame first: its fields cannot be borrowed.
        let DoneFrame {
            wall_s,
            code,
            signal,
            user_s,
            system_s,
            io_ok,
            killed,
            counts,
            n_counters,
            counted,
            timed_out,
            ..
        } = f;
        let rusage = Rusage {
            user_s,
            system_s,
            max_rss_bytes: f.maxrss_bytes,
            minor_faults: f.minflt,
            major_faults: f.majflt,
            voluntary_ctx_switches: f.nvcsw,
            involuntary_ctx_switches: f.nivcsw,
            block_input_ops: f.inblock,
            block_output_ops: f.oublock,
        };
        let io = FinalIo {
            rchar: f.rchar,
            wchar: f.wchar,
            read_bytes: f.read_bytes,
            write_bytes: f.write_bytes,
            cancelled_write_bytes: f.cancelled_write_bytes,
        };
        RunDone {
            wall_s,
            status: ExitStatus { code: (signal == 0).then_some(code), signal: (signal != 0).then_some(signal) },
            rusage,
            io: (io_ok != 0).then_some(io),
            killed: killed != 0,
            counts: (0..usize::from(n_counters).min(wire::MAX_COUNTERS))
                .map(|i| (counted >> i & 1 != 0).then_some(counts[i]))
                .collect(),
            timed_out: timed_out != 0,
        }
    }
}

/// A frame being written: the length (filled in at the end), the kind byte, the payload.
struct Writer(Vec<u8>);

impl Writer {
    fn new(kind: u8, capacity: usize) -> Writer {
        let mut buf = Vec::with_capacity(capacity);
        buf.extend_from_slice(&[0; 4]);
        buf.push(kind);
        Writer(buf)
    }

    /// A frame whose payload is one fixed part.
    fn fixed(kind: u8, payload: &(impl IntoBytes + Immutable)) -> Vec<u8> {
        let mut w = Writer::new(kind, 5 + size_of_val(payload));
        w.put(payload);
        w.frame()
    }

    fn put(&mut self, v: &(impl IntoBytes + Immutable + ?Sized)) {
        self.0.extend_from_slice(v.as_bytes());
    }

    /// A string: `u32` byte count, the bytes.
    fn bytes(&mut self, b: &[u8]) {
        self.put(&(b.len() as u32));
        self.0.extend_from_slice(b);
    }

    /// A list: `u32` count, the strings.
    fn list<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a [u8]>) {
        self.put(&(items.len() as u32));
        items.for_each(|b| self.bytes(b));
    }

    fn frame(mut self) -> Vec<u8> {
        let len = (self.0.len() - 4) as u32;
        self.0[..4].copy_from_slice(&len.to_ne_bytes());
        self.0
    }
}

struct Reader<'a>(&'a [u8]);

fn truncated() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "truncated spawner message")
}

impl<'a> Reader<'a> {
    fn take<T: FromBytes>(&mut self) -> io::Result<T> {
        let (v, rest) = T::read_from_prefix(self.0).map_err(|_| truncated())?;
        self.0 = rest;
        Ok(v)
    }
    fn bytes(&mut self) -> io::Result<&'a [u8]> {
        let n = self.take::<u32>()? as usize;
        if self.0.len() < n {
            return Err(truncated());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn string(&mut self) -> io::Result<String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
    fn list(&mut self) -> io::Result<Vec<String>> {
        (0..self.take::<u32>()?).map(|_| self.string()).collect()
    }
}

#[cfg(unix)]
fn path_bytes(p: &std::path::Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(p: &std::path::Path) -> Vec<u8> {
    p.to_string_lossy().into_owned().into_bytes()
}

/// The frame of a batch request.
pub fn encode_batch(b: &Batch) -> Vec<u8> {
    let (out_mode, out_path) = match &b.inv.output {
        Output::Null => (wire::OUT_NULL, None),
        Output::Pipe => (wire::OUT_PIPE, None),
        Output::Inherit => (wire::OUT_INHERIT, None),
        Output::File(p) => (wire::OUT_FILE, Some(p)),
    };
    let input = match &b.inv.input {
        Input::Null => None,
        Input::File(p) => Some(p),
    };
    let (accept_mode, codes): (u8, &[i32]) = match &b.accept {
        IgnoreFailure::Never => (wire::ACCEPT_ZERO, &[]),
        IgnoreFailure::AllNonZero => (wire::ACCEPT_ANY, &[]),
        IgnoreFailure::Codes(c) => (wire::ACCEPT_LIST, c),
    };
    let mut w = Writer::new(wire::BATCH, 256);
    w.put(&BatchHead {
        count: b.count,
        first: b.first,
        iter_mode: b.iteration.to_wire(),
        out_mode,
        has_input: input.is_some().into(),
        search_path: b.inv.program.is_none().into(),
        accept_mode,
        n_accept: codes.len() as u32,
        n_counters: b.counters.len().min(wire::MAX_COUNTERS) as u8,
        timeout_ns: b.timeout.map_or(0, |t| t.as_nanos().min(u128::from(u64::MAX)) as u64),
        keep_strays: b.keep_strays.into(),
        cg_born: b.cgroup.born.map_or(0, |i| i as u8 + 1),
    });
    w.put(codes);
    for &c in b.counters.iter().take(wire::MAX_COUNTERS) {
        let Event { kind, config, user_only } = perf::event(c);
        w.put(&CounterSpec { kind, config, user_only: user_only.into() });
    }
    w.bytes(&b.inv.program.as_deref().map(path_bytes).unwrap_or_default());
    w.bytes(&input.map(|p| path_bytes(p)).unwrap_or_default());
    w.bytes(&out_path.map(|p| path_bytes(p)).unwrap_or_default());
    w.list(b.inv.argv.iter().map(|a| a.as_bytes()));
    let env = unique_env(&b.inv.env);
    w.list(env.iter().map(Vec::as_slice));
    let (dirs, sets, reads) = plan_lists(&b.cgroup);
    for list in [dirs, sets, reads] {
        w.list(list.iter().map(|s| s.as_bytes()));
    }
    w.bytes(b.cgroup_leaf.as_bytes());
    w.frame()
}

/// A plan as the three lists of a batch: directories, "I:FILE=VALUE", "I:FILE" or "I:FILE=RESET".
fn plan_lists(p: &Plan) -> (Vec<String>, Vec<String>, Vec<String>) {
    (
        p.dirs.iter().map(|d| d.display().to_string()).collect(),
        p.sets.iter().map(|(i, f, v)| format!("{i}:{f}={v}")).collect(),
        p.reads
            .iter()
            .map(|r| match &r.reset {
                Some(v) => format!("{}:{}={v}", r.dir, r.file),
                None => format!("{}:{}", r.dir, r.file),
            })
            .collect(),
    )
}

/// The lists back into a plan (the fork spawner's side).
fn plan_of(dirs: Vec<String>, sets: Vec<String>, reads: Vec<String>, born: u8) -> Plan {
    let entry = |e: &str| e.split_once(':').and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest.to_string())));
    Plan {
        dirs: dirs.into_iter().map(Into::into).collect(),
        sets: sets
            .iter()
            .filter_map(|e| entry(e))
            .filter_map(|(i, rest)| rest.split_once('=').map(|(f, v)| (i, f.to_string(), v.to_string())))
            .collect(),
        reads: reads
            .iter()
            .filter_map(|e| entry(e))
            .map(|(dir, rest)| match rest.split_once('=') {
                Some((file, reset)) => Reading { dir, file: file.into(), reset: Some(reset.into()) },
                None => Reading { dir, file: rest, reset: None },
            })
            .collect(),
        born: born.checked_sub(1).map(usize::from),
    }
}

/// `NAME=VALUE` entries, one per name, the last given winning (as `Command::env` does): a
/// duplicate in an environment is read as the first by some programs and the last by others.
fn unique_env(env: &[(String, String)]) -> Vec<Vec<u8>> {
    env.iter()
        .enumerate()
        .filter(|(i, (k, _))| !env[i + 1..].iter().any(|(later, _)| later == k))
        .map(|(_, (k, v))| format!("{k}={v}").into_bytes())
        .collect()
}

/// The frame of a kill request.
pub fn encode_kill() -> Vec<u8> {
    Writer::new(wire::KILL, 5).frame()
}

/// A request, as the fork spawner receives it.
pub enum Request {
    Batch(Box<Batch>),
    Kill,
}

/// Read one request frame; `None` at end of file.
pub fn read_request(r: &mut impl Read) -> io::Result<Option<Request>> {
    let Some(body) = read_frame(r)? else { return Ok(None) };
    let mut r = Reader(&body);
    match r.take::<u8>()? {
        wire::BATCH => decode_batch(&mut r).map(|b| Some(Request::Batch(Box::new(b)))),
        _ => Ok(Some(Request::Kill)),
    }
}

fn decode_batch(r: &mut Reader) -> io::Result<Batch> {
    // Copied out of the packed head first: its fields cannot be borrowed.
    let BatchHead {
        count,
        first,
        iter_mode,
        out_mode,
        has_input,
        search_path,
        accept_mode,
        n_accept,
        n_counters,
        timeout_ns,
        keep_strays,
        cg_born,
    } = r.take()?;
    let codes: Vec<i32> = (0..n_accept).map(|_| r.take()).collect::<io::Result<_>>()?;
    if usize::from(n_counters) > wire::MAX_COUNTERS {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{n_counters} counters in a batch")));
    }
    let counters = (0..n_counters).map(|_| decode_counter(r)).collect::<io::Result<_>>()?;
    let program = r.string()?;
    let input = r.string()?;
    let output = r.string()?;
    let argv = r.list()?;
    let env = env_of(r.list()?);
    let inv = Invocation {
        argv,
        program: (search_path == 0).then(|| program.into()),
        env,
        input: if has_input != 0 { Input::File(input.into()) } else { Input::Null },
        output: match out_mode {
            wire::OUT_NULL => Output::Null,
            wire::OUT_PIPE => Output::Pipe,
            wire::OUT_INHERIT => Output::Inherit,
            _ => Output::File(output.into()),
        },
        contained: false,
    };
    let accept = accept_of(accept_mode, codes);
    let (cgroup, cgroup_leaf) = decode_cgroup(r, cg_born)?;
    let iteration = IterationVar::from_wire(iter_mode);
    Ok(Batch {
        inv,
        count,
        first,
        iteration,
        accept,
        counters,
        cgroup,
        cgroup_leaf,
        timeout: (timeout_ns > 0).then(|| std::time::Duration::from_nanos(timeout_ns)),
        keep_strays: keep_strays != 0,
    })
}

/// "NAME=VALUE" entries as (name, value) pairs.
fn env_of(list: Vec<String>) -> Vec<(String, String)> {
    list.into_iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (kv, String::new()),
        })
        .collect()
}

/// A batch's cgroup part: the plan's three lists, then the command's leaf (a name, not a path).
fn decode_cgroup(r: &mut Reader, born: u8) -> io::Result<(Plan, String)> {
    let plan = plan_of(r.list()?, r.list()?, r.list()?, born);
    let leaf = r.string()?;
    if leaf.contains('/') {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad cgroup leaf {leaf:?}")));
    }
    Ok((plan, leaf))
}

fn accept_of(mode: u8, codes: Vec<i32>) -> IgnoreFailure {
    match mode {
        wire::ACCEPT_ZERO => IgnoreFailure::Never,
        wire::ACCEPT_ANY => IgnoreFailure::AllNonZero,
        _ => IgnoreFailure::Codes(codes),
    }
}

/// A counter of a batch request: the event must be one of denet's counters.
fn decode_counter(r: &mut Reader) -> io::Result<Counter> {
    let CounterSpec { kind, config, user_only } = r.take()?;
    perf::counter_of(Event { kind, config, user_only: user_only != 0 })
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("unknown perf event {kind}:{config}")))
}

fn read_frame(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_ne_bytes(len) as usize;
    if len == 0 || len > wire::MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad spawner frame length {len}")));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

/// Read one reply; end of file is an error (the spawner never closes first).
pub fn read_reply(r: &mut impl Read) -> io::Result<Reply> {
    let body =
        read_frame(r)?.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "the spawner process ended"))?;
    let mut r = Reader(&body);
    match r.take::<u8>()? {
        wire::SPAWNED => {
            let SpawnedFrame { pid, at_ns } = r.take()?;
            Ok(Reply::Spawned(pid, at_ns))
        }
        wire::FAILED => {
            let FailedFrame { part, err } = r.take()?;
            Ok(Reply::Failed(FailedPart::from_wire(part), err))
        }
        wire::DONE => Ok(Reply::Done(r.take::<DoneFrame>()?.into())),
        wire::CGROUP => Ok(Reply::Cgroup(CgroupFiles { files: r.list()?, baselines: r.list()?, strays: r.list()? })),
        wire::END => Ok(Reply::End(r.take::<EndFrame>()?.runs)),
        k => Err(io::Error::new(io::ErrorKind::InvalidData, format!("unknown spawner reply {k}"))),
    }
}

/// Write one reply (the fork spawner's side).
pub fn write_reply(w: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let frame = match reply {
        Reply::Spawned(pid, at_ns) => Writer::fixed(wire::SPAWNED, &SpawnedFrame { pid: *pid, at_ns: *at_ns }),
        Reply::Failed(part, err) => Writer::fixed(wire::FAILED, &FailedFrame { part: part.to_wire(), err: *err }),
        Reply::Done(d) => Writer::fixed(wire::DONE, &DoneFrame::from(d)),
        Reply::End(runs) => Writer::fixed(wire::END, &EndFrame { runs: *runs }),
        Reply::Cgroup(c) => {
            let mut w = Writer::new(wire::CGROUP, 256);
            for list in [&c.files, &c.baselines, &c.strays] {
                w.list(list.iter().map(|s| s.as_bytes()));
            }
            w.frame()
        }
    };
    w.write_all(&frame)
}

#[cfg(test)]
mod cross_language;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_survives_the_round_trip() {
        let b = Batch {
            inv: Invocation {
                argv: vec!["sh".into(), "-c".into(), "echo hé".into()],
                program: Some("/bin/sh".into()),
                env: vec![("A".into(), "1=2".into())],
                input: Input::File("/tmp/in".into()),
                output: Output::File("/tmp/out".into()),
                contained: false,
            },
            count: 7,
            first: 3,
            iteration: IterationVar::Warmup,
            accept: IgnoreFailure::Codes(vec![1, 255]),
            counters: vec![Counter::Instructions, Counter::TaskClock, Counter::ContextSwitches],
            cgroup: Plan {
                dirs: vec!["/sys/fs/cgroup/memory/denet-1".into(), "/sys/fs/cgroup/unified/denet-1".into()],
                sets: vec![(1, "memory.max".into(), "52428800".into())],
                reads: vec![
                    Reading { dir: 0, file: "memory.max_usage_in_bytes".into(), reset: Some("0".into()) },
                    Reading { dir: 1, file: "cpu.stat".into(), reset: None },
                ],
                born: Some(1),
            },
            cgroup_leaf: "c3".into(),
            timeout: Some(std::time::Duration::from_millis(500)),
            keep_strays: true,
        };
        let frame = encode_batch(&b);
        let Some(Request::Batch(back)) = read_request(&mut frame.as_slice()).unwrap() else { panic!("not a batch") };
        assert_eq!(back.inv.argv, b.inv.argv);
        assert_eq!(back.inv.program, b.inv.program);
        assert_eq!(back.inv.env, b.inv.env);
        assert_eq!(back.inv.input, b.inv.input);
        assert_eq!(back.inv.output, b.inv.output);
        assert_eq!((back.count, back.first, back.iteration), (7, 3, IterationVar::Warmup));
        assert_eq!(back.accept, b.accept);
        assert_eq!(back.counters, b.counters);
        assert_eq!((back.cgroup, back.timeout, back.keep_strays), (b.cgroup, b.timeout, true));
        assert_eq!(back.cgroup_leaf, "c3");
    }

    #[test]
    fn replies_survive_the_round_trip() {
        let done = RunDone {
            wall_s: 0.25,
            status: ExitStatus { code: None, signal: Some(9) },
            rusage: Rusage { user_s: 0.5, max_rss_bytes: 1 << 20, block_output_ops: 8, ..Rusage::default() },
            io: Some(FinalIo { read_bytes: 1, write_bytes: 2, cancelled_write_bytes: 5, rchar: 3, wchar: 4 }),
            killed: true,
            counts: vec![Some(7), None, Some(u64::MAX)],
            timed_out: true,
        };
        let cgroup = Reply::Cgroup(CgroupFiles {
            files: vec!["usage_usec 5\n".into(), String::new()],
            baselines: vec![String::new(), "4096\n".into()],
            strays: vec!["42 sleep".into()],
        });
        for reply in
            [Reply::Spawned(42, 7), Reply::Failed(FailedPart::Input, 2), Reply::Done(done), cgroup, Reply::End(5)]
        {
            let mut bytes = Vec::new();
            write_reply(&mut bytes, &reply).unwrap();
            assert_eq!(read_reply(&mut bytes.as_slice()).unwrap(), reply);
        }
    }
}
