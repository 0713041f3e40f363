//! The monitor: samples a process tree on a deadline schedule in its own thread and hands each sample to a sink.

pub mod affinity;
pub mod cgroup;
pub mod child;
pub mod ebpf;
pub mod env;
#[cfg(target_os = "linux")]
pub mod linux;
#[cfg(target_os = "linux")]
pub mod noise;
/// Where sysfs and /proc are not there to ask, nothing is known to be noisy.
#[cfg(not(target_os = "linux"))]
pub mod noise {
    use crate::profile::NoiseFinding;
    pub fn findings(_name_busy: bool) -> Vec<NoiseFinding> {
        Vec::new()
    }
    pub fn warnings() -> Vec<NoiseFinding> {
        Vec::new()
    }
}
pub mod perf;
pub mod portable;
#[cfg(target_os = "linux")]
pub mod procfile;
pub mod sampler;
pub mod schedule;
pub mod source;
pub mod tree;

use std::collections::HashSet;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use schedule::Schedule;
pub use source::Backend;
pub use tree::CountFrom;

use crate::monitor::sampler::Sampler;
use crate::monitor::source::RawProcess;
use crate::profile::{Capability, Sample, Summary, SummaryBuilder};

/// What a sink wants after a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop monitoring (e.g. the reader of the JSONL went away).
    Stop,
}

/// Receives each sample as it is taken.
pub trait SampleSink: Send {
    fn sample(&mut self, sample: &Sample) -> Flow;
}

/// How to monitor.
#[derive(Clone)]
pub struct MonitorConfig {
    pub schedule: Schedule,
    pub backend: Backend,
    pub count_from: CountFrom,
    /// Stop by itself after this long.
    pub duration: Option<Duration>,
    /// When the tree started counting: the spawn for `run` (counting from zero, the first
    /// sample's CPU time accrued since then), the monitor's start for `attach`.
    pub origin: Instant,
    /// The eBPF programs, when `--ebpf` loaded them: their counters join every sample.
    pub kernel: Option<Arc<ebpf::Kernel>>,
}

/// What a finished monitor hands back.
pub struct Finished<S> {
    pub sink: S,
    pub summary: Summary,
    pub capabilities: Vec<Capability>,
}

/// Asks a running monitor to stop.
#[derive(Clone)]
pub struct Stopper(mpsc::Sender<()>);

impl Stopper {
    pub fn stop(&self) {
        let _ = self.0.send(());
    }
}

/// A monitor running in its own thread.
pub struct Monitor<S: SampleSink + 'static> {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<Finished<S>>,
}

impl<S: SampleSink + 'static> Monitor<S> {
    /// Start sampling the tree rooted at `root`; the first sample is taken at once.
    pub fn start(root: u32, config: MonitorConfig, sink: S) -> std::io::Result<Monitor<S>> {
        let (stop, stop_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("denet-monitor".into())
            .spawn(move || run_loop(root, config, sink, stop_rx))?;
        Ok(Monitor { stop, thread })
    }

    /// Take one last sample now, stop, and return the results.
    pub fn finish(self) -> Finished<S> {
        let _ = self.stop.send(());
        self.thread.join().expect("the monitor thread panicked")
    }

    /// Wait until the monitor stops by itself (root exit, duration, sink).
    pub fn join(self) -> Finished<S> {
        let Monitor { stop, thread } = self;
        let result = thread.join().expect("the monitor thread panicked");
        drop(stop);
        result
    }

    /// A handle that asks the monitor to take a final sample and stop, from any thread.
    pub fn stopper(&self) -> Stopper {
        Stopper(self.stop.clone())
    }
}

/// The monitor thread: sample at each deadline until the root exits, the duration ends, the sink
/// stops, or `stop` asks for a last sample.
fn run_loop<S: SampleSink>(root: u32, config: MonitorConfig, mut sink: S, stop: mpsc::Receiver<()>) -> Finished<S> {
    let start = config.origin;
    let mut sampler = Sampler::new(config.backend, root, config.count_from, start);
    let mut kernel = config.kernel.as_deref().map(KernelFollower::new);
    let mut summary = SummaryBuilder::default();
    let mut deadline = Instant::now();
    loop {
        let now = Instant::now();
        let (procs, sample) = take_sample(&mut sampler, kernel.as_mut(), &mut summary);
        // A zombie root has exited: its parent just has not reaped it yet.
        let root_exited = !procs.iter().any(|p| p.pid == root && !p.zombie);
        if sink.sample(&sample) == Flow::Stop || root_exited {
            break;
        }
        deadline = config.schedule.next_deadline(start, deadline, Instant::now());
        if let Some(limit) = config.duration {
            deadline = deadline.min(start + limit);
            if now >= start + limit {
                break;
            }
        }
        if stop.recv_timeout(deadline.saturating_duration_since(Instant::now())) != Err(RecvTimeoutError::Timeout) {
            // Asked to stop: one final sample so that short runs and the last interval are covered.
            sink.sample(&take_sample(&mut sampler, kernel.as_mut(), &mut summary).1);
            break;
        }
    }
    Finished { summary: finish_summary(summary, &sampler, kernel.as_ref()), capabilities: sampler.capabilities(), sink }
}

/// One sample with the eBPF counters added, observed by the summary.
fn take_sample(
    sampler: &mut Sampler,
    kernel: Option<&mut KernelFollower>,
    summary: &mut SummaryBuilder,
) -> (Vec<RawProcess>, Sample) {
    let (procs, mut sample) = sampler.sample();
    if let Some(k) = kernel {
        k.add_to(&procs, &mut sample);
    }
    summary.observe(&sample);
    (procs, sample)
}

/// The run's summary: what the samples saw, the processes seen between them, the top syscalls.
fn finish_summary(summary: SummaryBuilder, sampler: &Sampler, kernel: Option<&KernelFollower>) -> Summary {
    let mut summary = summary.finish();
    summary.processes_seen = summary.processes_seen.max(sampler.processes_seen());
    if let Some(k) = kernel {
        let snapshot = k.kernel.snapshot();
        summary.top_syscalls = snapshot.top_syscalls(&ebpf::Snapshot::default(), TOP_SYSCALLS);
        if snapshot.lost_targets() > 0 {
            log::warn!(
                "eBPF: {} processes could not be followed (the target map was full); their events are not counted",
                snapshot.lost_targets()
            );
        }
    }
    summary
}

/// How many syscalls a summary lists by name.
pub const TOP_SYSCALLS: usize = 10;

/// Adds the eBPF counters to each sample, and makes every process the /proc scan finds an eBPF target
/// (for `attach`, whose tree existed before the programs; forks after that are followed in the kernel).
struct KernelFollower<'a> {
    kernel: &'a ebpf::Kernel,
    watched: HashSet<u32>,
}

impl<'a> KernelFollower<'a> {
    fn new(kernel: &'a ebpf::Kernel) -> Self {
        KernelFollower { kernel, watched: HashSet::new() }
    }

    fn add_to(&mut self, procs: &[RawProcess], sample: &mut Sample) {
        for p in procs.iter().filter(|p| !p.zombie) {
            if self.watched.insert(p.pid) {
                if let Err(e) = self.kernel.watch(p.pid, ebpf::Role::Tree) {
                    log::debug!("{e:#}");
                }
            }
        }
        let (snapshot, own) = self.kernel.snapshot_and_processes();
        sample.aggregate.kernel = snapshot.since(&ebpf::Snapshot::default());
        for p in &mut sample.processes {
            if let Some(k) = own.get(&p.pid) {
                p.syscalls = self.kernel.has_syscalls().then_some(k.syscalls);
                p.time_off_cpu = self.kernel.has_offcpu().then_some(k.off_cpu_ns as f64 * 1e-9);
            }
        }
    }
}
