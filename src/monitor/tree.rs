//! Turns successive raw reads of a process tree into samples with tree totals that never lose an exited child.
//!
//! Tree totals follow the kernel's own accounting: when a parent reaps a child,
//! the child's CPU time, faults and I/O are folded into the parent's counters
//! (cutime, cminflt, the thread group's I/O). Summing each live process's
//! *inclusive* counters therefore stays continuous across exits, and even
//! counts children that lived less than one sampling interval. A process that
//! vanishes without a tracked parent to reap it (an orphan reaped outside the
//! tree) keeps its last-seen counters. Context switches have no reaped-child
//! counterpart in /proc, so those of every vanished process are kept as last seen.

use std::collections::{BTreeMap, HashSet};

use super::source::RawProcess;
use crate::profile::{Aggregate, Counters, ProcessSample, Sample};

/// Where the totals start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountFrom {
    /// Count from zero: the tree was started by us (`run`, `bench`).
    Zero,
    /// Count from the first read: the tree existed before (`attach`).
    FirstRead,
}

#[derive(Debug, Clone)]
struct Seen {
    ppid: u32,
    self_cpu_s: f64,
    inclusive: Counters,
    threads: u64,
}

/// Differencing state across ticks.
#[derive(Debug)]
pub struct TreeAccumulator {
    count_from: CountFrom,
    prev: BTreeMap<u32, Seen>,
    /// Last-seen counters of processes that left the tree unreaped by it.
    departed: Counters,
    /// The raw total of the previous tick, for monotonic increments.
    prev_raw: Option<Counters>,
    /// The reported cumulative totals.
    totals: Counters,
    seen: HashSet<u32>,
    prev_threads: u64,
}

impl TreeAccumulator {
    pub fn new(count_from: CountFrom) -> TreeAccumulator {
        TreeAccumulator {
            count_from,
            prev: BTreeMap::new(),
            departed: Counters::default(),
            prev_raw: None,
            totals: Counters::default(),
            seen: HashSet::new(),
            prev_threads: 0,
        }
    }

    /// Number of distinct processes seen so far.
    pub fn processes_seen(&self) -> u64 {
        self.seen.len() as u64
    }

    /// Build the sample for `procs`, read `dt` seconds after the previous read.
    pub fn sample(&mut self, procs: &[RawProcess], t: f64, dt: f64) -> Sample {
        let live: HashSet<u32> = procs.iter().map(|p| p.pid).collect();
        let first_tick = self.prev_raw.is_none();
        self.account_departures(&live);
        let raw = procs.iter().fold(self.departed, |acc, p| acc.add(&p.inclusive));
        let cpu_before = self.totals.cpu_time_s;
        self.advance_totals(raw);
        let cpu_delta = self.totals.cpu_time_s - cpu_before;
        let count_all = !(first_tick && self.count_from == CountFrom::FirstRead);
        let processes: Vec<ProcessSample> = procs.iter().map(|p| self.process_sample(p, dt, count_all)).collect();
        let threads: u64 = procs.iter().map(|p| p.threads).sum();
        let aggregate = Aggregate {
            cpu_percent: capped_percent(cpu_delta, dt, threads.max(self.prev_threads)),
            rss_bytes: procs.iter().map(|p| p.rss_bytes).sum(),
            vms_bytes: procs.iter().map(|p| p.vms_bytes).sum(),
            threads,
            // A zombie has exited (its parent has yet to reap it): not alive, as eBPF's exact count has it.
            processes: procs.iter().filter(|p| !p.zombie).count() as u64,
            counters: self.totals,
            kernel: Default::default(),
        };
        self.prev = procs
            .iter()
            .map(|p| {
                (p.pid, Seen { ppid: p.ppid, self_cpu_s: p.self_cpu_s, inclusive: p.inclusive, threads: p.threads })
            })
            .collect();
        self.prev_threads = threads;
        self.seen.extend(live);
        Sample { t, ts: chrono::Utc::now().to_rfc3339(), dt, aggregate, processes }
    }

    /// Processes gone since the last tick: keep what the kernel will not fold into a tracked parent.
    fn account_departures(&mut self, live: &HashSet<u32>) {
        for (pid, seen) in self.prev.iter().filter(|(pid, _)| !live.contains(pid)) {
            let reaped_by_tree = self.folded_into_live_ancestor(*pid, live);
            let kept = if reaped_by_tree {
                Counters {
                    voluntary_ctx_switches: seen.inclusive.voluntary_ctx_switches,
                    involuntary_ctx_switches: seen.inclusive.involuntary_ctx_switches,
                    ..Counters::default()
                }
            } else {
                seen.inclusive
            };
            self.departed = self.departed.add(&kept);
        }
    }

    /// Whether a vanished process's counters now sit in a live tracked ancestor's: its parent is
    /// live, or its parent vanished too but was itself folded further up (A→B→C with B and C
    /// gone in one interval: A's cutime holds both).
    fn folded_into_live_ancestor(&self, pid: u32, live: &HashSet<u32>) -> bool {
        let mut current = pid;
        // A chain can be no longer than the processes we saw.
        for _ in 0..=self.prev.len() {
            let Some(seen) = self.prev.get(&current) else { return false };
            if seen.ppid == current {
                return false;
            }
            if live.contains(&seen.ppid) {
                return true;
            }
            current = seen.ppid;
        }
        false
    }

    /// Add the non-negative part of each counter's change to the totals.
    fn advance_totals(&mut self, raw: Counters) {
        let prev = match (self.prev_raw, self.count_from) {
            (Some(p), _) => p,
            (None, CountFrom::Zero) => Counters::default(),
            (None, CountFrom::FirstRead) => raw,
        };
        let delta = raw.zip_with(&prev, u64::saturating_sub, |a, b| (a - b).max(0.0));
        self.totals = self.totals.add(&delta);
        self.prev_raw = Some(raw);
    }

    /// `count_new`: a process seen for the first time used all its CPU time within
    /// this interval (it was born after the previous read), except on the first
    /// read of a tree that existed before we attached.
    fn process_sample(&self, p: &RawProcess, dt: f64, count_new: bool) -> ProcessSample {
        let (cpu, prev_threads) = match self.prev.get(&p.pid) {
            Some(prev) => ((p.self_cpu_s - prev.self_cpu_s).max(0.0), prev.threads),
            None if count_new => (p.self_cpu_s, 0),
            None => (0.0, 0),
        };
        ProcessSample {
            pid: p.pid,
            ppid: p.ppid,
            name: p.name.clone(),
            cpu_percent: capped_percent(cpu, dt, p.threads.max(prev_threads)),
            rss_bytes: p.rss_bytes,
            rss_peak_bytes: p.rss_peak_bytes,
            vms_bytes: p.vms_bytes,
            threads: p.threads,
            counters: p.inclusive,
            syscalls: None,
            time_off_cpu: None,
        }
    }
}

/// CPU seconds over wall seconds as a percentage of one core, capped at what is physically possible.
///
/// The kernel's CPU times move in clock ticks (10 ms), so over a short interval
/// (the last, partial one) the quotient can overshoot: 70 ms counted in a 31 ms
/// interval would read 224% for two threads. No tree can use more than one core
/// per thread, nor more cores than the machine has.
fn capped_percent(cpu_s: f64, dt: f64, threads: u64) -> f64 {
    // available_parallelism() reads the cgroup files on every call: once is enough.
    static CORES: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    if dt <= 0.0 {
        return 0.0;
    }
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()) as u64);
    let cap = 100.0 * threads.clamp(1, cores.max(1)) as f64;
    (100.0 * cpu_s / dt).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(pid: u32, ppid: u32, cpu: f64) -> RawProcess {
        RawProcess {
            pid,
            ppid,
            name: "p".into(),
            self_cpu_s: cpu,
            inclusive: Counters { cpu_time_s: cpu, minor_faults: (cpu * 100.0) as u64, ..Counters::default() },
            threads: 1,
            ..RawProcess::default()
        }
    }

    #[test]
    fn a_child_reaped_by_its_live_parent_is_counted_once() {
        let mut acc = TreeAccumulator::new(CountFrom::Zero);
        acc.sample(&[proc(1, 0, 1.0), proc(2, 1, 2.0)], 0.1, 0.1);
        // 2 exited with 2.5 s and 1 reaped it: 1's inclusive time now holds 1.0 + 2.5.
        let s = acc.sample(&[proc(1, 0, 3.5)], 0.2, 0.1);
        assert!((s.aggregate.counters.cpu_time_s - 3.5).abs() < 1e-9, "{}", s.aggregate.counters.cpu_time_s);
    }

    #[test]
    fn three_generations_exiting_in_one_interval_are_not_counted_twice() {
        let mut acc = TreeAccumulator::new(CountFrom::Zero);
        acc.sample(&[proc(1, 0, 1.0), proc(2, 1, 1.0), proc(3, 2, 1.0)], 0.1, 0.1);
        // 3 and 2 both exited; 2 had reaped 3, 1 reaped 2: 1 holds all 3 s.
        let s = acc.sample(&[proc(1, 0, 3.0)], 0.2, 0.1);
        assert!((s.aggregate.counters.cpu_time_s - 3.0).abs() < 1e-9, "{}", s.aggregate.counters.cpu_time_s);
    }

    #[test]
    fn an_orphan_reaped_outside_the_tree_keeps_its_last_counters() {
        let mut acc = TreeAccumulator::new(CountFrom::Zero);
        acc.sample(&[proc(1, 0, 1.0), proc(2, 1, 2.0)], 0.1, 0.1);
        // 2 was re-parented to init (ppid 999, not tracked) and then vanished.
        acc.sample(&[proc(1, 0, 1.0), proc(2, 999, 2.0)], 0.2, 0.1);
        let s = acc.sample(&[proc(1, 0, 1.0)], 0.3, 0.1);
        assert!((s.aggregate.counters.cpu_time_s - 3.0).abs() < 1e-9, "{}", s.aggregate.counters.cpu_time_s);
    }

    #[test]
    fn totals_never_decrease() {
        let mut acc = TreeAccumulator::new(CountFrom::Zero);
        acc.sample(&[proc(1, 0, 2.0)], 0.1, 0.1);
        let s = acc.sample(&[proc(1, 0, 1.0)], 0.2, 0.1);
        assert!((s.aggregate.counters.cpu_time_s - 2.0).abs() < 1e-9);
    }
}
