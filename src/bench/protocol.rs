//! The spawner protocol: denet's batch requests and the spawner's streamed replies, as bytes.
//!
//! Both spawners speak it: the tiny C one (spawner/denet-spawner.c) and the
//! fork fallback in denet's own binary (spawner.rs). Little-endian with native
//! sizes (the two ends are always the same build). Every message is a frame:
//! `u32` length of what follows, then a kind byte and its payload.
//!
//! Requests:
//! - `B` batch: `u32` count, `u64` first iteration, `u8` iteration mode
//!   (0 none, 1 run, 2 warmup), `u8` output (0 null, 1 pipe, 2 inherit, 3 file),
//!   `u8` has input file, `u8` search `PATH`, `u8` accept (0 zero only, 1 any,
//!   2 zero or a listed code), `u32` n and n `i32` codes, then the strings
//!   program, input, output, and the lists argv and extra environment (`K=V`);
//!   a string is `u32` length and bytes, a list is `u32` count and strings.
//! - `K` kill: kill the running run's process group, stop the batch.
//!
//! Replies, for each run: `S` spawned (`u32` pid, `u64` CLOCK_MONOTONIC
//! nanoseconds of the spawn), then `D` done (see [`Done`]);
//! or `F` failed (`u8` what: 0 exec, 1 input file, 2 output file, 3 other;
//! `i32` errno). After the last run, or the first run that failed or was not
//! accepted: `E` end (`u32` runs done).

use std::io::{self, Read, Write};

use super::runner::Invocation;
use crate::profile::{ExitStatus, Rusage};
use crate::vocab::{IgnoreFailure, Input, Output};

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
}

impl Batch {
    /// A batch of one run of `inv` as it is (hooks, calibration: their environment is complete).
    pub fn single(inv: &Invocation) -> Batch {
        Batch { inv: inv.clone(), count: 1, first: 0, iteration: IterationVar::None, accept: IgnoreFailure::AllNonZero }
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
    pub rchar: u64,
    pub wchar: u64,
}

/// A finished run, as the spawner measured it.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub wall_s: f64,
    pub status: ExitStatus,
    pub rusage: Rusage,
    pub io: Option<FinalIo>,
    /// Killed on request (Ctrl-C).
    pub killed: bool,
}

/// What could not be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedPart {
    Exec,
    Input,
    Output,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The run's pid, and when it was spawned (CLOCK_MONOTONIC, nanoseconds).
    Spawned(u32, u64),
    Failed(FailedPart, i32),
    Done(Done),
    End(u32),
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_ne_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_ne_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_ne_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_ne_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
    fn list<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a [u8]>) {
        self.u32(items.len() as u32);
        items.for_each(|b| self.bytes(b));
    }
    /// The frame: length, then what was written.
    fn frame(self) -> Vec<u8> {
        let mut out = (self.0.len() as u32).to_ne_bytes().to_vec();
        out.extend(self.0);
        out
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        if self.0.len() < N {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "truncated spawner message"));
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        Ok(head.try_into().expect("N bytes"))
    }
    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take::<1>()?[0])
    }
    fn u32(&mut self) -> io::Result<u32> {
        self.take().map(u32::from_ne_bytes)
    }
    fn i32(&mut self) -> io::Result<i32> {
        self.take().map(i32::from_ne_bytes)
    }
    fn u64(&mut self) -> io::Result<u64> {
        self.take().map(u64::from_ne_bytes)
    }
    fn f64(&mut self) -> io::Result<f64> {
        self.take().map(f64::from_ne_bytes)
    }
    fn bytes(&mut self) -> io::Result<Vec<u8>> {
        let n = self.u32()? as usize;
        if self.0.len() < n {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "truncated spawner message"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head.to_vec())
    }
    fn string(&mut self) -> io::Result<String> {
        String::from_utf8(self.bytes()?).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
    fn list(&mut self) -> io::Result<Vec<String>> {
        (0..self.u32()?).map(|_| self.string()).collect()
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
    let mut w = Writer(Vec::with_capacity(256));
    w.u8(b'B');
    w.u32(b.count);
    w.u64(b.first);
    w.u8(match b.iteration {
        IterationVar::None => 0,
        IterationVar::Run => 1,
        IterationVar::Warmup => 2,
    });
    let (out_mode, out_path) = match &b.inv.output {
        Output::Null => (0, None),
        Output::Pipe => (1, None),
        Output::Inherit => (2, None),
        Output::File(p) => (3, Some(p)),
    };
    w.u8(out_mode);
    let input = match &b.inv.input {
        Input::Null => None,
        Input::File(p) => Some(p),
    };
    w.u8(input.is_some() as u8);
    w.u8(b.inv.program.is_none() as u8);
    let codes: &[i32] = match &b.accept {
        IgnoreFailure::Never => {
            w.u8(0);
            &[]
        }
        IgnoreFailure::AllNonZero => {
            w.u8(1);
            &[]
        }
        IgnoreFailure::Codes(c) => {
            w.u8(2);
            c
        }
    };
    w.u32(codes.len() as u32);
    codes.iter().for_each(|&c| w.i32(c));
    w.bytes(&b.inv.program.as_deref().map(path_bytes).unwrap_or_default());
    w.bytes(&input.map(|p| path_bytes(p)).unwrap_or_default());
    w.bytes(&out_path.map(|p| path_bytes(p)).unwrap_or_default());
    w.list(b.inv.argv.iter().map(|a| a.as_bytes()));
    // One entry per name, the last given winning (as `Command::env` does): a duplicate in an
    // environment is read as the first by some programs and the last by others.
    let env: Vec<Vec<u8>> = b
        .inv
        .env
        .iter()
        .enumerate()
        .filter(|(i, (k, _))| !b.inv.env[i + 1..].iter().any(|(later, _)| later == k))
        .map(|(_, (k, v))| format!("{k}={v}").into_bytes())
        .collect();
    w.list(env.iter().map(Vec::as_slice));
    w.frame()
}

/// The frame of a kill request.
pub fn encode_kill() -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.u8(b'K');
    w.frame()
}

/// A request, as the fork spawner receives it.
pub enum Request {
    Batch(Batch),
    Kill,
}

/// Read one request frame; `None` at end of file.
pub fn read_request(r: &mut impl Read) -> io::Result<Option<Request>> {
    let Some(body) = read_frame(r)? else { return Ok(None) };
    let mut r = Reader(&body);
    match r.u8()? {
        b'B' => decode_batch(&mut r).map(|b| Some(Request::Batch(b))),
        _ => Ok(Some(Request::Kill)),
    }
}

fn decode_batch(r: &mut Reader) -> io::Result<Batch> {
    let count = r.u32()?;
    let first = r.u64()?;
    let iteration = match r.u8()? {
        0 => IterationVar::None,
        1 => IterationVar::Run,
        _ => IterationVar::Warmup,
    };
    let out_mode = r.u8()?;
    let has_input = r.u8()? != 0;
    let search_path = r.u8()? != 0;
    let accept_mode = r.u8()?;
    let codes: Vec<i32> = (0..r.u32()?).map(|_| r.i32()).collect::<io::Result<_>>()?;
    let program = r.string()?;
    let input = r.string()?;
    let output = r.string()?;
    let argv = r.list()?;
    let env = r
        .list()?
        .into_iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (kv, String::new()),
        })
        .collect();
    let inv = Invocation {
        argv,
        program: (!search_path).then(|| program.into()),
        env,
        input: if has_input { Input::File(input.into()) } else { Input::Null },
        output: match out_mode {
            0 => Output::Null,
            1 => Output::Pipe,
            2 => Output::Inherit,
            _ => Output::File(output.into()),
        },
    };
    let accept = match accept_mode {
        0 => IgnoreFailure::Never,
        1 => IgnoreFailure::AllNonZero,
        _ => IgnoreFailure::Codes(codes),
    };
    Ok(Batch { inv, count, first, iteration, accept })
}

fn read_frame(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_ne_bytes(len) as usize;
    if len == 0 || len > 64 << 20 {
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
    match r.u8()? {
        b'S' => Ok(Reply::Spawned(r.u32()?, r.u64()?)),
        b'F' => {
            let part = match r.u8()? {
                0 => FailedPart::Exec,
                1 => FailedPart::Input,
                2 => FailedPart::Output,
                _ => FailedPart::Other,
            };
            Ok(Reply::Failed(part, r.i32()?))
        }
        b'D' => decode_done(&mut r).map(Reply::Done),
        b'E' => Ok(Reply::End(r.u32()?)),
        k => Err(io::Error::new(io::ErrorKind::InvalidData, format!("unknown spawner reply {k}"))),
    }
}

/// `D`: f64 wall; i32 code (-1 when signalled); i32 signal (0 when exited); f64 user, system;
/// u64 maxrss bytes, minflt, majflt, nvcsw, nivcsw, inblock, oublock, rchar, wchar, read_bytes,
/// write_bytes; u8 io read; u8 killed.
fn decode_done(r: &mut Reader) -> io::Result<Done> {
    let wall_s = r.f64()?;
    let code = r.i32()?;
    let signal = r.i32()?;
    let status = ExitStatus { code: (signal == 0).then_some(code), signal: (signal != 0).then_some(signal) };
    let rusage = Rusage {
        user_s: r.f64()?,
        system_s: r.f64()?,
        max_rss_bytes: r.u64()?,
        minor_faults: r.u64()?,
        major_faults: r.u64()?,
        voluntary_ctx_switches: r.u64()?,
        involuntary_ctx_switches: r.u64()?,
        block_input_ops: r.u64()?,
        block_output_ops: r.u64()?,
    };
    let io = FinalIo { rchar: r.u64()?, wchar: r.u64()?, read_bytes: r.u64()?, write_bytes: r.u64()? };
    let io_ok = r.u8()? != 0;
    let killed = r.u8()? != 0;
    Ok(Done { wall_s, status, rusage, io: io_ok.then_some(io), killed })
}

/// Write one reply (the fork spawner's side).
pub fn write_reply(w: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let mut m = Writer(Vec::with_capacity(160));
    match reply {
        Reply::Spawned(pid, at_ns) => {
            m.u8(b'S');
            m.u32(*pid);
            m.u64(*at_ns);
        }
        Reply::Failed(part, errno) => {
            m.u8(b'F');
            m.u8(match part {
                FailedPart::Exec => 0,
                FailedPart::Input => 1,
                FailedPart::Output => 2,
                FailedPart::Other => 3,
            });
            m.i32(*errno);
        }
        Reply::Done(d) => {
            m.u8(b'D');
            m.f64(d.wall_s);
            m.i32(d.status.code.unwrap_or(-1));
            m.i32(d.status.signal.unwrap_or(0));
            let u = &d.rusage;
            m.f64(u.user_s);
            m.f64(u.system_s);
            for v in [
                u.max_rss_bytes,
                u.minor_faults,
                u.major_faults,
                u.voluntary_ctx_switches,
                u.involuntary_ctx_switches,
                u.block_input_ops,
                u.block_output_ops,
            ] {
                m.u64(v);
            }
            let io = d.io.unwrap_or_default();
            for v in [io.rchar, io.wchar, io.read_bytes, io.write_bytes] {
                m.u64(v);
            }
            m.u8(d.io.is_some() as u8);
            m.u8(d.killed as u8);
        }
        Reply::End(n) => {
            m.u8(b'E');
            m.u32(*n);
        }
    }
    w.write_all(&m.frame())
}

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
            },
            count: 7,
            first: 3,
            iteration: IterationVar::Warmup,
            accept: IgnoreFailure::Codes(vec![1, 255]),
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
    }

    #[test]
    fn replies_survive_the_round_trip() {
        let done = Done {
            wall_s: 0.25,
            status: ExitStatus { code: None, signal: Some(9) },
            rusage: Rusage { user_s: 0.5, max_rss_bytes: 1 << 20, block_output_ops: 8, ..Rusage::default() },
            io: Some(FinalIo { read_bytes: 1, write_bytes: 2, rchar: 3, wchar: 4 }),
            killed: true,
        };
        for reply in [Reply::Spawned(42, 7), Reply::Failed(FailedPart::Input, 2), Reply::Done(done), Reply::End(5)] {
            let mut bytes = Vec::new();
            write_reply(&mut bytes, &reply).unwrap();
            assert_eq!(read_reply(&mut bytes.as_slice()).unwrap(), reply);
        }
    }
}
