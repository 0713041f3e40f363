//! Running one command once: spawn it in its own process group, sample its tree, reap it with `wait4`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use thiserror::Error;

use super::protocol::Batch;
use crate::monitor::ebpf::{Kernel, Snapshot};
use crate::monitor::sampler::Sampler;
use crate::monitor::tree::CountFrom;
use crate::monitor::{Backend, Schedule};
use crate::profile::{CgroupCounters, Counter, CounterValues, RunLimits, RunProfile, TimelinePoint, TreeProfile};
use crate::vocab::{Input, Output};

/// One execution of a command.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Invocation {
    /// The program and its arguments (a shell and `-c` already prepended when one is used).
    pub argv: Vec<String>,
    /// The program's path when it was looked up in `PATH` beforehand (`argv[0]` stays as given).
    #[serde(default)]
    pub program: Option<PathBuf>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    pub input: Input,
    pub output: Output,
    /// A run of the benchmarked command (not a hook): in its own cgroup, under `--timeout`.
    #[serde(default)]
    pub contained: bool,
}

/// Why a run produced no measurement.
#[derive(Debug, Error)]
pub enum RunError {
    #[error("interrupted")]
    Interrupted,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Runs invocations and measures them. The real one spawns processes; the mock one computes timings.
pub trait Runner {
    /// Run `inv` once and measure it; `sample` follows its process tree in /proc (timing runs).
    fn measure(&mut self, inv: &Invocation, sample: bool) -> Result<RunProfile, RunError>;

    /// Run a batch, handing each run to `each` in order, which says whether to go on. The batch
    /// also ends after the first run its `accept` refuses (that run is handed over first).
    fn measure_batch(
        &mut self,
        batch: &Batch,
        sample: bool,
        each: &mut dyn FnMut(RunProfile) -> bool,
    ) -> Result<(), RunError> {
        one_by_one(self, batch, sample, each)
    }
}

/// A batch as single runs, each with its own `measure`.
pub fn one_by_one<R: Runner + ?Sized>(
    runner: &mut R,
    batch: &Batch,
    sample: bool,
    each: &mut dyn FnMut(RunProfile) -> bool,
) -> Result<(), RunError> {
    for i in 0..u64::from(batch.count) {
        let run = runner.measure(&batch.invocation(batch.first + i), sample)?;
        let accepted = batch.accept.accepts(run.exit.unwrap_or_default().code);
        if !each(run) || !accepted {
            break;
        }
    }
    Ok(())
}

/// Follows one run's process tree and folds the samples into a [`TreeProfile`].
pub struct Follower {
    sampler: Sampler,
    profile: TreeProfile,
    stride: usize,
    /// The eBPF counters when the run started, for its syscall timeline.
    kernel_base: Option<Snapshot>,
}

/// Timelines are thinned to at most this many points.
const MAX_TIMELINE: usize = 256;

impl Follower {
    /// `kernel_base`: the eBPF counters at the run's start (with `--ebpf`), for its syscall timeline.
    pub fn new(pid: u32, backend: Backend, start: Instant, kernel_base: Option<Snapshot>) -> Follower {
        Follower {
            sampler: Sampler::new(backend, pid, CountFrom::Zero, start),
            profile: TreeProfile::default(),
            stride: 1,
            kernel_base,
        }
    }

    /// Take one sample now.
    pub fn tick(&mut self, kernel: Option<&Kernel>) {
        let (_, s) = self.sampler.sample();
        let p = &mut self.profile;
        let a = &s.aggregate;
        p.observe(a);
        if (p.samples as usize).is_multiple_of(self.stride) {
            let syscalls = kernel
                .zip(self.kernel_base.as_ref())
                .and_then(|(k, base)| k.snapshot().since(base).syscalls)
                .map(|sc| sc.syscalls_total);
            p.timeline.push(TimelinePoint { t: s.t, cpu_percent: a.cpu_percent, rss_bytes: a.rss_bytes, syscalls });
            if p.timeline.len() >= MAX_TIMELINE {
                // Keep every other point and sample the timeline half as often from now on.
                p.timeline = p.timeline.iter().step_by(2).copied().collect();
                self.stride *= 2;
            }
        }
    }

    /// The profile, with the exited child's own final I/O counters (which include every descendant
    /// it reaped) when the spawner could read them: exact even for a run shorter than one tick.
    #[cfg(unix)]
    pub fn finish(self, io: Option<crate::bench::protocol::FinalIo>) -> TreeProfile {
        Self::with_final_io(self.profile, io)
    }

    /// The profile of a run that ended before its first tick: only the exited child's final counters.
    #[cfg(unix)]
    pub fn unsampled(io: Option<crate::bench::protocol::FinalIo>) -> TreeProfile {
        Self::with_final_io(TreeProfile::default(), io)
    }

    /// Also: the run's own process and its main thread existed, though a run shorter than a tick
    /// was never sampled (sampled peaks are lower bounds, and this is the least they can be).
    #[cfg(unix)]
    fn with_final_io(mut p: TreeProfile, io: Option<crate::bench::protocol::FinalIo>) -> TreeProfile {
        p.processes_peak = p.processes_peak.max(1);
        p.threads_peak = p.threads_peak.max(1);
        if let Some(io) = io {
            p.read_bytes = p.read_bytes.max(io.read_bytes);
            p.write_bytes = p.write_bytes.max(io.write_bytes);
            p.cancelled_write_bytes = p.cancelled_write_bytes.max(io.cancelled_write_bytes);
            p.rchar = p.rchar.max(io.rchar);
            p.wchar = p.wchar.max(io.wchar);
        }
        p
    }
}

/// Build the `Command` for an invocation: its own process group, stdio as asked, fork rather than vfork.
pub fn command(inv: &Invocation) -> anyhow::Result<(Command, Option<std::io::PipeReader>)> {
    let mut cmd = match &inv.program {
        Some(path) => {
            let mut c = Command::new(path);
            unix::set_arg0(&mut c, &inv.argv[0]);
            c
        }
        None => Command::new(&inv.argv[0]),
    };
    cmd.args(&inv.argv[1..]).envs(inv.env.iter().map(|(k, v)| (k, v)));
    cmd.stdin(match &inv.input {
        Input::Null => Stdio::null(),
        Input::File(p) => Stdio::from(
            std::fs::File::open(p)
                .map_err(|e| anyhow::Error::new(e).context(format!("cannot open the input file {}", p.display())))?,
        ),
    });
    let mut reader = None;
    let (out, err) = match &inv.output {
        Output::Null => (Stdio::null(), Stdio::null()),
        Output::Inherit => (Stdio::inherit(), Stdio::inherit()),
        Output::Pipe => {
            let (r, w) = std::io::pipe()?;
            reader = Some(r);
            (Stdio::from(w.try_clone()?), Stdio::from(w))
        }
        Output::File(p) => {
            let f = std::fs::File::create(p)
                .map_err(|e| anyhow::Error::new(e).context(format!("cannot write the output file {}", p.display())))?;
            (Stdio::from(f.try_clone()?), Stdio::from(f))
        }
    };
    cmd.stdout(out).stderr(err);
    unix::own_process_group(&mut cmd);
    crate::monitor::child::force_fork(&mut cmd);
    Ok((cmd, reader))
}

#[cfg(unix)]
pub use unix::{Containment, ProcRunner};

#[cfg(unix)]
mod unix {
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::os::unix::process::CommandExt;

    use super::*;
    use crate::bench::protocol::{CgroupFiles, FailedPart, Reply, RunDone};
    use crate::bench::spawner::Spawner;
    use crate::bench::wait::{pollfd, ppoll};
    use crate::monitor::ebpf::Role;

    /// Put the command in its own process group, so that Ctrl-C reaches denet alone and denet can kill the whole group.
    pub fn own_process_group(cmd: &mut Command) {
        cmd.process_group(0);
    }

    /// Exec a resolved path while the program sees the name it was given.
    pub fn set_arg0(cmd: &mut Command, arg0: &str) {
        cmd.arg0(arg0);
    }

    /// The real runner: runs go through the spawner; denet samples them meanwhile.
    pub struct ProcRunner {
        spawner: Spawner,
        /// None: no sampling during runs (only the last read of the exited child).
        schedule: Option<Schedule>,
        backend: Backend,
        /// Becomes readable once SIGINT, SIGTERM or SIGHUP arrived (signal-hook writes to it).
        signal_pipe: UnixStream,
        interrupted: bool,
        /// The eBPF programs (`--ebpf`); each run's counts are the difference around it.
        kernel: Option<Kernel>,
        /// The perf_event counters the spawner counts over each timing run.
        counters: Vec<Counter>,
        /// Each run of a command in its own cgroup, and its limits (empty plan: no cgroup).
        containment: Containment,
        /// The cgroup reply of the run whose `Done` comes next.
        pending_cgroup: Option<CgroupFiles>,
        strays_warned: bool,
        /// Each command's leaf (`c0`, `c1`, ...), by its argv and program.
        leaves: Vec<(Vec<String>, Option<PathBuf>)>,
        /// The leaf of the batch under way (its index in `leaves`).
        leaf: usize,
        /// Each cgroup file as read after the previous run in the same group, by (the leaf's index,
        /// or `usize::MAX` for a session group; the file's index in the plan): a run's cumulative
        /// figures are the difference.
        previous: std::collections::HashMap<(usize, usize), String>,
    }

    /// What each run of a benchmarked command gets: its cgroup plan, `--timeout`, `--keep-strays`.
    #[derive(Debug, Clone, Default)]
    pub struct Containment {
        pub plan: crate::monitor::cgroup::Plan,
        pub timeout: Option<std::time::Duration>,
        pub keep_strays: bool,
    }

    impl Drop for ProcRunner {
        fn drop(&mut self) {
            // The spawner first: it is in the session's v1 groups until it exits.
            self.spawner.stop();
            self.containment.plan.remove();
        }
    }

    /// The run in progress: its pid, when denet heard of it, and its follower once the first tick came.
    struct Current {
        pid: u32,
        start: Instant,
        follower: Option<Follower>,
        deadline: Option<Instant>,
        /// The eBPF counters when the spawn was reported, the base of the run's syscall timeline.
        kernel_base: Option<Snapshot>,
    }

    impl ProcRunner {
        /// Run through `spawner` (start it early, while denet is single-threaded and small) and catch Ctrl-C.
        pub fn new(
            spawner: Spawner,
            schedule: Option<Schedule>,
            backend: Backend,
            kernel: Option<Kernel>,
            counters: Vec<Counter>,
            containment: Containment,
        ) -> anyhow::Result<ProcRunner> {
            if let Some(k) = &kernel {
                // Every process the spawner forks (the runs) becomes a target before its first syscall.
                k.watch(spawner.pid(), Role::ParentOnly)?;
            }
            let (read, write) = UnixStream::pair()?;
            read.set_nonblocking(true)?;
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                signal_hook::low_level::pipe::register(sig, write.try_clone()?)?;
            }
            Ok(ProcRunner {
                spawner,
                schedule,
                backend,
                signal_pipe: read,
                interrupted: false,
                kernel,
                counters,
                containment,
                pending_cgroup: None,
                strays_warned: false,
                leaves: Vec::new(),
                leaf: 0,
                previous: Default::default(),
            })
        }

        fn check_signals(&mut self) -> bool {
            let mut buf = [0u8; 16];
            if matches!(std::io::Read::read(&mut &self.signal_pipe, &mut buf), Ok(n) if n > 0) {
                self.interrupted = true;
            }
            self.interrupted
        }

        fn io(e: std::io::Error) -> RunError {
            RunError::Failed(anyhow::Error::new(e).context("lost the spawner process"))
        }

        /// Wait until `until`, or Ctrl-C (true), or with `socket`, a reply.
        fn wait(&mut self, until: Instant, socket: bool) -> Result<bool, RunError> {
            let mut fds = [pollfd(self.signal_pipe.as_raw_fd()), pollfd(if socket { self.spawner.fd() } else { -1 })];
            let timeout = until.saturating_duration_since(Instant::now());
            let Some(n) = ppoll(&mut fds, Some(timeout)).map_err(Self::io)? else { return Ok(false) };
            Ok(n > 0 && fds[0].revents != 0)
        }

        /// A reply if one has arrived, without waiting for one.
        fn ready_reply(&mut self) -> Result<Option<Reply>, RunError> {
            if !self.spawner.has_buffered() {
                let mut fds = [pollfd(self.spawner.fd())];
                if ppoll(&mut fds, Some(std::time::Duration::ZERO)).map_err(Self::io)? != Some(1) {
                    return Ok(None);
                }
            }
            self.spawner.recv().map(Some).map_err(Self::io)
        }

        /// The run's first sampling tick came with the run still going: follow it from now on.
        fn tick(&mut self, c: &mut Current) {
            let Some(schedule) = self.schedule else { return };
            let (backend, kernel) = (self.backend, self.kernel.as_ref());
            let base = c.kernel_base.take();
            c.follower.get_or_insert_with(|| Follower::new(c.pid, backend, c.start, base)).tick(kernel);
            c.deadline = c.deadline.map(|d| schedule.next_deadline(c.start, d, Instant::now()));
        }

        /// Ctrl-C: the spawner kills the run's process group and stops; when it leaves, it kills every
        /// process it adopted (as subreaper): members that left the group die too, and no PID seen
        /// earlier (perhaps reused since) is signalled.
        ///
        /// Runs that finished before the kill but were not read yet are still handed to `each`.
        fn abort(&mut self, each: &mut dyn FnMut(RunProfile) -> bool) -> RunError {
            self.interrupted = true;
            let _ = self.spawner.kill();
            loop {
                match self.spawner.recv() {
                    Ok(Reply::Done(done)) if !done.killed => {
                        let _ = each(self.profile(done, None));
                    }
                    Ok(Reply::End(_)) | Err(_) => return RunError::Interrupted,
                    Ok(_) => {}
                }
            }
        }

        /// Kill what runs and read up to the end of the batch.
        fn stop_batch(&mut self) -> Result<(), RunError> {
            self.spawner.kill().map_err(Self::io)?;
            loop {
                if let Reply::End(_) = self.spawner.recv().map_err(Self::io)? {
                    return Ok(());
                }
            }
        }

        /// The run's cgroup figures and limits, from the reply that came before its `Done`.
        fn limits(&mut self, timed_out: bool) -> (CgroupCounters, RunLimits) {
            let Some(reply) = self.pending_cgroup.take() else {
                return (CgroupCounters::default(), RunLimits { timed_out, ..RunLimits::default() });
            };
            let counters = self.run_counters(&reply);
            let strays = reply.strays;
            if !strays.is_empty() && !self.strays_warned {
                self.strays_warned = true;
                let what = if self.containment.keep_strays { "left running (--keep-strays)" } else { "killed" };
                note!("denet: warning: processes still running after a run's main process exited were {what} (named once): {}", strays.join(", "));
            }
            let oom_killed = counters.oom_kills.is_some_and(|n| n > 0);
            (counters, RunLimits { timed_out, oom_killed, strays })
        }

        /// One run's counters from its files, against the readings after the previous run in the same group.
        fn run_counters(&mut self, reply: &CgroupFiles) -> CgroupCounters {
            use crate::monitor::cgroup::parse::{run_counters, Around};
            let plan = &self.containment.plan;
            let keys: Vec<(usize, usize)> = (plan.reads.iter().enumerate())
                .map(|(i, r)| (if Some(r.dir) == plan.born { self.leaf } else { usize::MAX }, i))
                .collect();
            fn text(list: &[String], i: usize) -> &str {
                list.get(i).map_or("", String::as_str)
            }
            let around: Vec<Around> = (plan.reads.iter().zip(&keys).enumerate())
                .map(|(i, (r, key))| Around {
                    name: &r.file,
                    before: self.previous.get(key).map_or("", String::as_str),
                    after: text(&reply.files, i),
                    baseline: text(&reply.baselines, i),
                })
                .collect();
            let counters = run_counters(&around);
            for (key, after) in keys.into_iter().zip(&reply.files) {
                self.previous.insert(key, after.clone());
            }
            counters
        }

        /// The index of the leaf of the command `inv` runs (its runs share it; each command has its own).
        fn leaf_of(&mut self, inv: &Invocation) -> usize {
            let key = (inv.argv.clone(), inv.program.clone());
            self.leaves.iter().position(|k| *k == key).unwrap_or_else(|| {
                self.leaves.push(key);
                self.leaves.len() - 1
            })
        }

        fn profile(&mut self, done: RunDone, current: Option<Current>) -> RunProfile {
            let spawned_at = current.as_ref().map(|c| c.start);
            // Every run's tree is taken from the kernel's count, so that none is left in its map.
            let peak = current.as_ref().zip(self.kernel.as_ref()).and_then(|(c, k)| k.take_tree_peak(c.pid));
            let mut tree = match current.and_then(|c| c.follower) {
                Some(f) => f.finish(done.io),
                None => Follower::unsampled(done.io),
            };
            tree.processes_peak_ebpf = peak.map(|p| p.max(0) as u64);
            let mut counters = CounterValues::default();
            // A run was counted only when its batch asked for the counters (a timing run).
            for (&c, &count) in self.counters.iter().zip(&done.counts) {
                counters.set(c, count);
            }
            let (cgroup, limits) = self.limits(done.timed_out);
            RunProfile {
                wall_s: done.wall_s,
                rusage: done.rusage,
                tree,
                exit: Some(done.status),
                spawned_at,
                counters,
                cgroup,
                limits,
                ..RunProfile::default()
            }
        }

        /// The batch as sent: timing runs counted; a command's runs in their cgroups, under the timeout.
        fn prepared(&mut self, batch: &Batch, sample: bool) -> Batch {
            let mut batch = batch.clone();
            if sample {
                batch.counters = self.counters.clone();
            }
            if batch.inv.contained {
                let c = &self.containment;
                (batch.cgroup, batch.timeout, batch.keep_strays) = (c.plan.clone(), c.timeout, c.keep_strays);
                if !c.plan.dirs.is_empty() {
                    self.leaf = self.leaf_of(&batch.inv);
                    batch.cgroup_leaf = format!("c{}", self.leaf);
                }
            }
            batch
        }

        /// Send a batch and hand each run to `each` as its result streams in. `kernel_base`: the
        /// eBPF counters before a single run, the base of its syscall timeline.
        //
        // denet does not wake up for each reply: it sleeps until the running run's next sampling
        // deadline (or a short cadence when none is due) and then takes every reply that came, so
        // the spawner's loop runs with no wake-up of denet's between two runs. Only the last run
        // of a batch is waited for on the socket, so that the batch's end is seen at once.
        fn stream(
            &mut self,
            batch: &Batch,
            sample: bool,
            mut kernel_base: Option<Snapshot>,
            each: &mut dyn FnMut(RunProfile) -> bool,
        ) -> Result<(), RunError> {
            if self.check_signals() {
                return Err(RunError::Interrupted);
            }
            // Only timing runs are counted: warm-ups and hooks spend nothing on counters.
            let batch = &self.prepared(batch, sample);
            let sent = self.spawner.send_batch(batch);
            sent.map_err(Self::io)?;
            let schedule = self.schedule.filter(|_| sample);
            let cadence = schedule.map_or(DRAIN_CADENCE, |s| s.base.min(DRAIN_CADENCE));
            let mut current: Option<Current> = None;
            let mut failure = None;
            let mut finished = 0u32;
            loop {
                while let Some(reply) = self.ready_reply()? {
                    match reply {
                        Reply::Spawned(pid, at_ns) => {
                            let now_ns = crate::monitor::schedule::monotonic_ns();
                            let age = std::time::Duration::from_nanos(now_ns.saturating_sub(at_ns));
                            let start = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
                            let deadline = schedule.map(|s| start + s.base);
                            let kernel_base = kernel_base.take().filter(|_| sample);
                            current = Some(Current { pid, start, follower: None, deadline, kernel_base });
                        }
                        Reply::Done(done) => {
                            finished += 1;
                            let killed = done.killed;
                            let run = self.profile(done, current.take());
                            if killed {
                                return Err(self.abort(each));
                            }
                            if !each(run) {
                                return self.stop_batch();
                            }
                        }
                        Reply::Failed(part, errno) => failure = Some(spawn_failure(&batch.inv, part, errno)),
                        Reply::Cgroup(c) => self.pending_cgroup = Some(c),
                        Reply::End(_) => return failure.map_or(Ok(()), Err),
                    }
                }
                let now = Instant::now();
                if let Some(c) = current.as_mut().filter(|c| c.deadline.is_some_and(|d| d <= now)) {
                    self.tick(c);
                }
                let due = current.as_ref().and_then(|c| c.deadline);
                let until = due.map_or(now + cadence, |d| d.min(now + cadence));
                let last_run = finished + 1 >= batch.count;
                if self.wait(until, last_run)? {
                    return Err(self.abort(each));
                }
            }
        }
    }

    /// How often denet takes the replies of runs that end before their first sampling tick.
    const DRAIN_CADENCE: std::time::Duration = std::time::Duration::from_millis(10);

    impl Runner for ProcRunner {
        fn measure(&mut self, inv: &Invocation, sample: bool) -> Result<RunProfile, RunError> {
            let before = self.kernel.as_ref().map(Kernel::snapshot);
            let mut out = None;
            self.stream(&Batch::single(inv), sample, before.clone(), &mut |run| {
                out = Some(run);
                true
            })?;
            let mut run = out.ok_or_else(|| RunError::Failed(anyhow::anyhow!("the spawner reported no run")))?;
            if let (Some(k), Some(before)) = (&self.kernel, before) {
                let after = k.snapshot();
                run.kernel = after.since(&before);
                run.top_syscalls = after.top_syscalls(&before, crate::monitor::TOP_SYSCALLS);
            }
            Ok(run)
        }

        /// Runs stream back to back, unless eBPF needs a snapshot around each run.
        fn measure_batch(
            &mut self,
            batch: &Batch,
            sample: bool,
            each: &mut dyn FnMut(RunProfile) -> bool,
        ) -> Result<(), RunError> {
            if self.kernel.is_some() {
                return one_by_one(self, batch, sample, each);
            }
            self.stream(batch, sample, None, each)
        }
    }

    fn spawn_failure(inv: &Invocation, part: FailedPart, errno: i32) -> RunError {
        let os = std::io::Error::from_raw_os_error(errno);
        let e: anyhow::Error = match part {
            // The scheduler names the command: "Failed to run command 'x': No such file or directory".
            FailedPart::Exec | FailedPart::Other => os.into(),
            FailedPart::Input => match &inv.input {
                Input::File(p) => anyhow::anyhow!("cannot open the input file {}: {os}", p.display()),
                Input::Null => anyhow::anyhow!("cannot open /dev/null for input: {os}"),
            },
            FailedPart::Output => match &inv.output {
                Output::File(p) => anyhow::anyhow!("cannot write the output file {}: {os}", p.display()),
                _ => anyhow::anyhow!("cannot set up the command's output: {os}"),
            },
        };
        RunError::Failed(e)
    }
}

#[cfg(not(unix))]
mod unix {
    use super::*;

    pub fn own_process_group(_cmd: &mut Command) {}

    pub fn set_arg0(_cmd: &mut Command, _arg0: &str) {}
}
