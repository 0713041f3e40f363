//! The one sampler of a process tree: a scan folded into a tree sample, timed from an origin (used by `run`, `attach` and each bench run).

use std::time::Instant;

use super::source::{self, Backend, ProcessSource, RawProcess};
use super::tree::{CountFrom, TreeAccumulator};
use crate::profile::{Capability, Sample};

/// Samples one tree: each call scans it and differences the scan against the previous one.
pub struct Sampler {
    source: Box<dyn ProcessSource>,
    acc: TreeAccumulator,
    origin: Instant,
    /// When the previous scan started.
    last: Instant,
}

impl Sampler {
    /// A sampler of the tree rooted at `root`, with times counted from `origin`.
    pub fn new(backend: Backend, root: u32, count_from: CountFrom, origin: Instant) -> Sampler {
        Sampler { source: source::open(backend, root), acc: TreeAccumulator::new(count_from), origin, last: origin }
    }

    /// Scan the tree now: the processes found (for the eBPF follower) and the sample they make.
    pub fn sample(&mut self) -> (Vec<RawProcess>, Sample) {
        let start = Instant::now();
        let procs = self.source.scan();
        // Each file is read somewhere inside its scan, so the two reads are at most from the start of
        // the previous scan to the end of this one apart: dividing by that bound never overshoots
        // (a sampler preempted mid-scan showed one busy thread at 106% with start-to-start).
        let dt = (Instant::now() - self.last).as_secs_f64();
        let sample = self.acc.sample(&procs, (start - self.origin).as_secs_f64(), dt);
        self.last = start;
        (procs, sample)
    }

    /// Every process the tree has had, including those that lived between two samples (when known).
    pub fn processes_seen(&self) -> u64 {
        self.acc.processes_seen()
    }

    pub fn capabilities(&self) -> Vec<Capability> {
        self.source.capabilities()
    }
}
