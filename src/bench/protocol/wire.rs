//! The fixed parts of the spawner protocol's frames, field for field as spawner/protocol.h defines them.
//!
//! Packed and in the host's byte order, as the header says. The sizes are
//! asserted here and there; cross_language.rs proves the layouts byte for
//! byte against a C program built from the header, in both directions.

use zerocopy::{FromBytes, Immutable, IntoBytes};

// `enum denet_kind`: a frame's kind byte.
pub const BATCH: u8 = b'B';
pub const KILL: u8 = b'K';
pub const SPAWNED: u8 = b'S';
pub const FAILED: u8 = b'F';
pub const DONE: u8 = b'D';
pub const END: u8 = b'E';
pub const CGROUP: u8 = b'C';

// `enum denet_iter`.
pub const ITER_NONE: u8 = 0;
pub const ITER_RUN: u8 = 1;
pub const ITER_WARMUP: u8 = 2;

// `enum denet_out`.
pub const OUT_NULL: u8 = 0;
pub const OUT_PIPE: u8 = 1;
pub const OUT_INHERIT: u8 = 2;
pub const OUT_FILE: u8 = 3;

// `enum denet_accept`.
pub const ACCEPT_ZERO: u8 = 0;
pub const ACCEPT_ANY: u8 = 1;
pub const ACCEPT_LIST: u8 = 2;

// `enum denet_failed_part`.
pub const FAILED_EXEC: u8 = 0;
pub const FAILED_INPUT: u8 = 1;
pub const FAILED_OUTPUT: u8 = 2;
pub const FAILED_OTHER: u8 = 3;

/// `DENET_MAX_FRAME`: the longest frame a reader accepts.
pub const MAX_FRAME: usize = 64 << 20;

/// `DENET_MAX_COUNTERS`: the most perf_event counters a batch may ask for.
pub const MAX_COUNTERS: usize = 8;

/// `struct denet_batch`: the fixed part of a batch request.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable)]
#[repr(C, packed)]
pub struct BatchHead {
    pub count: u32,
    pub first: u64,
    pub iter_mode: u8,
    pub out_mode: u8,
    pub has_input: u8,
    pub search_path: u8,
    pub accept_mode: u8,
    pub n_accept: u32,
    pub n_counters: u8,
    pub timeout_ns: u64,
    pub keep_strays: u8,
    pub cg_born: u8,
}

/// `struct denet_counter`: a perf event to count over each run.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable)]
#[repr(C, packed)]
pub struct CounterSpec {
    pub kind: u32,
    pub config: u64,
    pub user_only: u8,
}

/// `struct denet_spawned`.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable)]
#[repr(C, packed)]
pub struct SpawnedFrame {
    pub pid: u32,
    pub at_ns: u64,
}

/// `struct denet_failed`.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable)]
#[repr(C, packed)]
pub struct FailedFrame {
    pub part: u8,
    pub err: i32,
}

/// `struct denet_done`.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable)]
#[repr(C, packed)]
pub struct DoneFrame {
    pub wall_s: f64,
    pub code: i32,
    pub signal: i32,
    pub user_s: f64,
    pub system_s: f64,
    pub maxrss_bytes: u64,
    pub minflt: u64,
    pub majflt: u64,
    pub nvcsw: u64,
    pub nivcsw: u64,
    pub inblock: u64,
    pub oublock: u64,
    pub rchar: u64,
    pub wchar: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
    pub io_ok: u8,
    pub killed: u8,
    pub counts: [u64; MAX_COUNTERS],
    pub n_counters: u8,
    pub counted: u8,
    pub timed_out: u8,
}

/// `struct denet_end`.
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable)]
#[repr(C, packed)]
pub struct EndFrame {
    pub runs: u32,
}

// The header's `_Static_assert`s, on this side.
const _: () = {
    assert!(size_of::<BatchHead>() == 32);
    assert!(size_of::<CounterSpec>() == 13);
    assert!(size_of::<SpawnedFrame>() == 12);
    assert!(size_of::<FailedFrame>() == 5);
    assert!(size_of::<DoneFrame>() == 197);
    assert!(size_of::<EndFrame>() == 4);
};
