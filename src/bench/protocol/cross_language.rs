//! The spawner protocol across languages: tests/protocol/frames.c, built from spawner/protocol.h
//! alone, and denet's Rust end write and read the same frames, byte for byte, both ways.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{Batch, FailedPart, FinalIo, IterationVar, Reply, Request, RunDone};
use crate::bench::protocol;
use crate::bench::runner::Invocation;
use crate::monitor::cgroup::{Plan, Reading};
use crate::profile::{Counter, ExitStatus, Rusage};
use crate::vocab::{IgnoreFailure, Input, Output};

/// Build the C end into `dir`; `None`, with the reason printed, where there is no C compiler.
fn frames_program(dir: &Path) -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = dir.join("frames");
    let built = Command::new(&cc)
        .args(["-Wall", "-Werror", "-I"])
        .arg(root.join("spawner"))
        .arg("-o")
        .arg(&exe)
        .arg(root.join("tests/protocol/frames.c"))
        .output();
    match built {
        Ok(o) if o.status.success() => Some(exe),
        Ok(o) => panic!("{cc} cannot build tests/protocol/frames.c:\n{}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            eprintln!("skipped: no C compiler to build the protocol's C end ({cc}: {e})");
            None
        }
    }
}

fn invocation(argv: &[&str], program: Option<&str>, env: &[(&str, &str)], input: Input, output: Output) -> Invocation {
    Invocation {
        argv: argv.iter().map(|a| a.to_string()).collect(),
        program: program.map(PathBuf::from),
        env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        input,
        output,
        contained: false,
    }
}

/// The batch requests frames.c writes, in its order: every iteration, output and accept mode.
fn batches() -> Vec<Batch> {
    let first = invocation(
        &["sh", "-c", "echo hé"],
        Some("/bin/sh"),
        &[("A", "1=2"), ("B", "")],
        Input::File("/tmp/in".into()),
        Output::File("/tmp/out".into()),
    );
    let searched = |output| invocation(&["true"], None, &[], Input::Null, output);
    vec![
        Batch {
            inv: first,
            count: 7,
            first: (1 << 40) + 3,
            iteration: IterationVar::Warmup,
            accept: IgnoreFailure::Codes(vec![1, 255, -2]),
            counters: vec![Counter::Instructions, Counter::TaskClock, Counter::ContextSwitches],
            cgroup: Default::default(),
            cgroup_leaf: String::new(),
            timeout: None,
            keep_strays: false,
        },
        Batch {
            inv: searched(Output::Pipe),
            count: 1,
            first: 0,
            iteration: IterationVar::Run,
            accept: IgnoreFailure::AllNonZero,
            counters: Vec::new(),
            cgroup: Default::default(),
            cgroup_leaf: String::new(),
            timeout: None,
            keep_strays: false,
        },
        Batch {
            inv: searched(Output::Inherit),
            count: 2,
            first: 9,
            iteration: IterationVar::None,
            accept: IgnoreFailure::Never,
            counters: Vec::new(),
            cgroup: Default::default(),
            cgroup_leaf: String::new(),
            timeout: None,
            keep_strays: false,
        },
        contained(searched(Output::Null)),
    ]
}

/// A command's runs in its cgroups: born in leaf c1 of the v2 directory, a v1 memory group.
fn contained(inv: Invocation) -> Batch {
    Batch {
        inv,
        count: 3,
        first: 0,
        iteration: IterationVar::Run,
        accept: IgnoreFailure::Never,
        counters: Vec::new(),
        cgroup: Plan {
            dirs: vec!["/sys/fs/cgroup/unified/denet-7".into(), "/sys/fs/cgroup/memory/denet-7".into()],
            sets: vec![(0, "memory.max".into(), "52428800".into())],
            reads: vec![
                Reading { dir: 0, file: "cpu.stat".into(), reset: None },
                Reading { dir: 1, file: "memory.max_usage_in_bytes".into(), reset: Some("0".into()) },
            ],
            born: Some(0),
        },
        cgroup_leaf: "c1".into(),
        timeout: None,
        keep_strays: false,
    }
}

/// The replies frames.c writes after its batches and a kill, in its order; each field has its own value.
fn replies() -> Vec<Reply> {
    let signalled = RunDone {
        wall_s: 0.25,
        status: ExitStatus { code: None, signal: Some(9) },
        rusage: Rusage {
            user_s: 0.5,
            system_s: 0.125,
            max_rss_bytes: 1 << 20,
            minor_faults: 2,
            major_faults: 3,
            voluntary_ctx_switches: 4,
            involuntary_ctx_switches: 5,
            block_input_ops: 6,
            block_output_ops: 7,
        },
        io: Some(FinalIo { rchar: 8, wchar: 9, read_bytes: 10, write_bytes: 11, cancelled_write_bytes: 22 }),
        killed: true,
        // The second counter was not read: its slot is 0 on the wire, its bit unset.
        counts: vec![Some(19), None, Some(21)],
        timed_out: false,
    };
    let exited = RunDone {
        wall_s: 1.5,
        status: ExitStatus { code: Some(3), signal: None },
        rusage: Rusage {
            user_s: 0.75,
            system_s: 0.0625,
            max_rss_bytes: 12,
            minor_faults: 13,
            major_faults: 14,
            voluntary_ctx_switches: 15,
            involuntary_ctx_switches: 16,
            block_input_ops: 17,
            block_output_ops: 18,
        },
        io: None,
        killed: false,
        counts: Vec::new(),
        timed_out: false,
    };
    vec![
        Reply::Spawned(4242, 0x0102_0304_0506_0708),
        Reply::Failed(FailedPart::Output, 13),
        Reply::Done(signalled),
        Reply::Done(exited),
        Reply::End(5),
    ]
}

/// Every frame of [`batches`], a kill and [`replies`], as denet writes them.
fn rust_frames() -> Vec<u8> {
    let mut bytes: Vec<u8> = batches().iter().flat_map(protocol::encode_batch).collect();
    bytes.extend(protocol::encode_kill());
    for reply in replies() {
        protocol::write_reply(&mut bytes, &reply).unwrap();
    }
    bytes
}

fn assert_same_batch(got: &Batch, want: &Batch) {
    let (g, w) = (&got.inv, &want.inv);
    assert_eq!((&g.argv, &g.program, &g.env, &g.input, &g.output), (&w.argv, &w.program, &w.env, &w.input, &w.output));
    assert_eq!(
        (got.count, got.first, got.iteration, &got.accept, &got.counters),
        (want.count, want.first, want.iteration, &want.accept, &want.counters)
    );
    assert_eq!((&got.cgroup, &got.cgroup_leaf), (&want.cgroup, &want.cgroup_leaf));
}

#[test]
fn frames_written_in_c_are_denets_bytes_and_decode_in_rust() {
    let dir = tempfile::tempdir().unwrap();
    let Some(frames) = frames_program(dir.path()) else { return };
    let out = Command::new(frames).arg("emit").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, rust_frames(), "C and Rust write different bytes");
    let mut input = out.stdout.as_slice();
    for want in batches() {
        let Some(Request::Batch(got)) = protocol::read_request(&mut input).unwrap() else { panic!("not a batch") };
        assert_same_batch(&got, &want);
    }
    assert!(matches!(protocol::read_request(&mut input).unwrap(), Some(Request::Kill)));
    for want in replies() {
        assert_eq!(protocol::read_reply(&mut input).unwrap(), want);
    }
    assert!(input.is_empty(), "{} bytes left over", input.len());
}

/// What frames.c prints for [`rust_frames`], a frame a line.
const DECODED_IN_C: &str = "\
B count=7 first=1099511627779 iter=2 out=3 input=1 search=0 accept=2 codes=1,255,-2 counters=0:1:1,1:1:1,1:3:0 program=/bin/sh input=/tmp/in output=/tmp/out argv=sh|-c|echo hé env=A=1=2|B= cg_born=0 cg_dirs= cg_sets= cg_reads= cg_leaf=
B count=1 first=0 iter=1 out=1 input=0 search=1 accept=1 codes= counters= program= input= output= argv=true env= cg_born=0 cg_dirs= cg_sets= cg_reads= cg_leaf=
B count=2 first=9 iter=0 out=2 input=0 search=1 accept=0 codes= counters= program= input= output= argv=true env= cg_born=0 cg_dirs= cg_sets= cg_reads= cg_leaf=
B count=3 first=0 iter=1 out=0 input=0 search=1 accept=0 codes= counters= program= input= output= argv=true env= cg_born=1 cg_dirs=/sys/fs/cgroup/unified/denet-7|/sys/fs/cgroup/memory/denet-7 cg_sets=0:memory.max=52428800 cg_reads=0:cpu.stat|1:memory.max_usage_in_bytes=0 cg_leaf=c1
K
S pid=4242 at_ns=72623859790382856
F part=2 err=13
D wall=0.25 code=-1 signal=9 user=0.5 system=0.125 maxrss=1048576 minflt=2 majflt=3 nvcsw=4 nivcsw=5 inblock=6 oublock=7 rchar=8 wchar=9 read=10 write=11 cancelled=22 io_ok=1 killed=1 counts=19,-,21
D wall=1.5 code=3 signal=0 user=0.75 system=0.0625 maxrss=12 minflt=13 majflt=14 nvcsw=15 nivcsw=16 inblock=17 oublock=18 rchar=0 wchar=0 read=0 write=0 cancelled=0 io_ok=0 killed=0 counts=
E runs=5
";

#[test]
fn frames_written_by_denet_decode_in_c() {
    let dir = tempfile::tempdir().unwrap();
    let Some(frames) = frames_program(dir.path()) else { return };
    let mut child = Command::new(frames).arg("decode").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(&rust_frames()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), DECODED_IN_C);
}
