//! Loads the BPF programs through their libbpf-cargo skeletons, attaches them one by one, and reads their maps.

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::os::fd::AsFd;

use anyhow::Context;
use bytemuck::{AnyBitPattern, Pod, Zeroable};
use libbpf_rs::skel::{OpenSkel, SkelBuilder};
use libbpf_rs::{Link, MapCore, MapFlags, MapHandle, MapType, OpenMap, OpenMapMut, OpenObject, TracepointCategory};

use super::probe;
use super::{LifecycleCounts, OffCpuNs, Part, PartStatus, ProcessKernel, Role, Snapshot, Switches, TcpBytes};

mod skel {
    //! The skeletons build.rs generates from bpf/*.bpf.c: objects, named maps and programs, bpf/denet.h's structs.

    pub mod lifecycle {
        //! bpf/lifecycle.bpf.c.
        include!(concat!(env!("OUT_DIR"), "/lifecycle.skel.rs"));
    }
    pub mod syscalls {
        //! bpf/syscalls.bpf.c.
        include!(concat!(env!("OUT_DIR"), "/syscalls.skel.rs"));
    }
    pub mod offcpu {
        //! bpf/offcpu.bpf.c.
        include!(concat!(env!("OUT_DIR"), "/offcpu.skel.rs"));
    }
    pub mod net {
        //! bpf/net.bpf.c.
        include!(concat!(env!("OUT_DIR"), "/net.skel.rs"));
    }
    pub mod processes {
        //! bpf/processes.bpf.c.
        include!(concat!(env!("OUT_DIR"), "/processes.skel.rs"));
    }
}

use skel::lifecycle::types::{denet_flags, denet_lifecycle_counts, denet_target};
use skel::lifecycle::{LifecycleSkel, LifecycleSkelBuilder, OpenLifecycleSkel};
use skel::net::types::denet_net_counts;
use skel::net::{NetSkel, NetSkelBuilder};
use skel::offcpu::types::{denet_offcpu_counts, denet_switched_out};
use skel::offcpu::{OffcpuSkel, OffcpuSkelBuilder};
use skel::processes::types::denet_tree_count;
use skel::processes::{ProcessesSkel, ProcessesSkelBuilder};
use skel::syscalls::types::denet_syscall_counts;
use skel::syscalls::{SyscallsSkel, SyscallsSkelBuilder};

// SAFETY: bpf/denet.h builds these structs of __u32 and __u64 fields only, so every bit pattern is a
// value; `denet_target`, the one that denet writes, spells out its padding (`pad`), so it has none.
unsafe impl Zeroable for denet_target {}
unsafe impl Pod for denet_target {}
unsafe impl Zeroable for denet_syscall_counts {}
unsafe impl AnyBitPattern for denet_syscall_counts {}
unsafe impl Zeroable for denet_offcpu_counts {}
unsafe impl AnyBitPattern for denet_offcpu_counts {}
unsafe impl Zeroable for denet_lifecycle_counts {}
unsafe impl AnyBitPattern for denet_lifecycle_counts {}
unsafe impl Zeroable for denet_net_counts {}
unsafe impl AnyBitPattern for denet_net_counts {}
unsafe impl Zeroable for denet_switched_out {}
unsafe impl AnyBitPattern for denet_switched_out {}
unsafe impl Zeroable for denet_tree_count {}
unsafe impl AnyBitPattern for denet_tree_count {}

/// One attached program set: its links go first, so that they are detached before the skeleton
/// closes its object.
struct Attached<S> {
    _links: Vec<Link>,
    skel: S,
}

/// Every program that could be loaded and attached, and the map that says which processes count.
pub struct Programs {
    targets: MapHandle,
    /// Bumped at every change of the target set (bpf/denet.h `generation`).
    generation: MapHandle,
    lifecycle: Attached<LifecycleSkel<'static>>,
    syscalls: Option<Attached<SyscallsSkel<'static>>>,
    offcpu: Option<Attached<OffcpuSkel<'static>>>,
    net: Option<Attached<NetSkel<'static>>>,
    processes: Option<Attached<ProcessesSkel<'static>>>,
}

/// What loading produced: the programs (when the core could be attached) and a status per part.
pub struct Loaded {
    pub programs: Option<Programs>,
    pub checks: Vec<PartStatus>,
}

/// Load and attach everything that works here; each part that does not is a failed status with its reason.
pub fn load() -> Loaded {
    route_libbpf_log();
    let mut checks = Vec::new();
    let fail = |mut checks: Vec<PartStatus>, part, reason| {
        checks.push(PartStatus::failed(part, reason));
        Loaded { programs: None, checks }
    };
    if let Err(reason) = probe::tracefs() {
        return fail(checks, Part::Tracefs, reason);
    }
    let lifecycle = match open(LifecycleSkelBuilder::default(), LIFECYCLE) {
        Ok(open) => open,
        Err(e) => return fail(checks, Part::Lifecycle, probe::explain(&e)),
    };
    let shared = match SharedMaps::create(&lifecycle) {
        Ok(shared) => shared,
        Err(e) => return fail(checks, Part::Maps, probe::explain(&e)),
    };
    let lifecycle = match attach_lifecycle(lifecycle, &shared) {
        Ok(a) => a,
        Err(e) => return fail(checks, Part::Lifecycle, probe::explain(&e)),
    };
    checks.push(PartStatus::ok(Part::Lifecycle));
    let syscalls = part(&mut checks, Part::Syscalls, attach_syscalls(&shared));
    let offcpu = part(&mut checks, Part::OffCpu, attach_offcpu(&shared));
    let net = attach_net(&shared, &mut checks);
    let processes = part(&mut checks, Part::ProcessesPeak, attach_processes(&shared));
    let SharedMaps { targets, generation, .. } = shared;
    let programs = Programs { targets, generation, lifecycle, syscalls, offcpu, net, processes };
    Loaded { programs: Some(programs), checks }
}

fn part<S>(checks: &mut Vec<PartStatus>, part: Part, r: anyhow::Result<Attached<S>>) -> Option<Attached<S>> {
    match r {
        Ok(a) => {
            checks.push(PartStatus::ok(part));
            Some(a)
        }
        Err(e) => {
            checks.push(PartStatus::failed(part, probe::explain(&e)));
            None
        }
    }
}

/// libbpf writes to stderr by default; denet's logger takes it, at debug level (`DENET_LOG=debug`).
fn route_libbpf_log() {
    fn to_log(_level: libbpf_rs::PrintLevel, msg: String) {
        log::debug!("libbpf: {}", msg.trim_end());
    }
    libbpf_rs::set_print(Some((libbpf_rs::PrintLevel::Debug, to_log)));
}

/// The programs' names in error messages.
const LIFECYCLE: &str = "denet_lifecycle";
const SYSCALLS: &str = "denet_syscalls";
const OFFCPU: &str = "denet_offcpu";
const NET: &str = "denet_net";
const PROCESSES: &str = "denet_processes";

/// The maps every object shares: created once, as the lifecycle object declares them, and passed to
/// each object by fd.
struct SharedMaps {
    targets: MapHandle,
    generation: MapHandle,
    exiting: MapHandle,
}

impl SharedMaps {
    fn create(lifecycle: &OpenLifecycleSkel) -> anyhow::Result<SharedMaps> {
        let targets = create_like(&lifecycle.maps.targets).context("cannot create the target map")?;
        let generation = create_like(&lifecycle.maps.generation).context("cannot create the generation map")?;
        let exiting = create_like(&lifecycle.maps.exiting).context("cannot create the map of exiting threads")?;
        Ok(SharedMaps { targets, generation, exiting })
    }

    /// Make an object use the shared maps (its `targets`, `generation`, `exiting`) instead of creating its own.
    fn lend(&self, [targets, generation, exiting]: [&mut OpenMapMut; 3]) -> anyhow::Result<()> {
        targets.reuse_fd(self.targets.as_fd())?;
        generation.reuse_fd(self.generation.as_fd())?;
        exiting.reuse_fd(self.exiting.as_fd())?;
        Ok(())
    }
}

/// A map as `map` declares it, and of the same name: an object that reuses a map takes the kernel's
/// name for it, and its skeleton expects the declared one.
fn create_like(map: &OpenMap) -> libbpf_rs::Result<MapHandle> {
    let opts = libbpf_rs::libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_rs::libbpf_sys::bpf_map_create_opts>() as _,
        ..Default::default()
    };
    MapHandle::create(map.map_type(), Some(map.name()), map.key_size(), map.value_size(), map.max_entries(), &opts)
}

/// Open an embedded object. A skeleton borrows the storage of its object for as long as it lives;
/// denet loads its programs once per command and keeps them until the end, so the storage (one
/// pointer) is leaked rather than borrowed from every holder of the programs.
fn open<B: SkelBuilder<'static>>(builder: B, name: &str) -> anyhow::Result<B::Output> {
    let storage: &'static mut MaybeUninit<OpenObject> = Box::leak(Box::new(MaybeUninit::uninit()));
    builder.open(storage).with_context(|| format!("cannot open the {name} program"))
}

fn load_skel<O: OpenSkel<'static>>(open: O, name: &str) -> anyhow::Result<O::Output> {
    open.load().with_context(|| format!("the kernel refused to load the {name} program"))
}

fn tracepoint(prog: &libbpf_rs::ProgramMut, category: &str, event: &str) -> anyhow::Result<Link> {
    prog.attach_tracepoint(TracepointCategory::Custom(category.to_string()), event)
        .with_context(|| format!("cannot attach to the tracepoint {category}:{event}"))
}

fn attach_lifecycle(
    mut open: OpenLifecycleSkel<'static>,
    shared: &SharedMaps,
) -> anyhow::Result<Attached<LifecycleSkel<'static>>> {
    shared.lend([&mut open.maps.targets, &mut open.maps.generation, &mut open.maps.exiting])?;
    // 0 (the kernel has no `group_dead`) makes the program fall back to the main thread's exit.
    let group_dead = probe::tracepoint_field_offset("sched", "sched_process_exit", "group_dead").unwrap_or(0);
    let rodata = open.maps.rodata_data.as_deref_mut().context("the lifecycle program has no read-only data")?;
    rodata.exit_group_dead_offset = group_dead;
    let skel = load_skel(open, LIFECYCLE)?;
    let progs = &skel.progs;
    let links = vec![
        tracepoint(&progs.denet_task_newtask, "task", "task_newtask")?,
        tracepoint(&progs.denet_exec, "sched", "sched_process_exec")?,
        tracepoint(&progs.denet_exit, "sched", "sched_process_exit")?,
    ];
    Ok(Attached { _links: links, skel })
}

fn attach_syscalls(shared: &SharedMaps) -> anyhow::Result<Attached<SyscallsSkel<'static>>> {
    let mut open = open(SyscallsSkelBuilder::default(), SYSCALLS)?;
    shared.lend([&mut open.maps.targets, &mut open.maps.generation, &mut open.maps.exiting])?;
    let skel = load_skel(open, SYSCALLS)?;
    let link = skel
        .progs
        .denet_sys_enter
        .attach_raw_tracepoint("sys_enter")
        .context("cannot attach to the raw tracepoint sys_enter")?;
    Ok(Attached { _links: vec![link], skel })
}

fn attach_offcpu(shared: &SharedMaps) -> anyhow::Result<Attached<OffcpuSkel<'static>>> {
    let mut open = open(OffcpuSkelBuilder::default(), OFFCPU)?;
    shared.lend([&mut open.maps.targets, &mut open.maps.generation, &mut open.maps.exiting])?;
    let skel = load_skel(open, OFFCPU)?;
    let links = vec![tracepoint(&skel.progs.denet_sched_switch, "sched", "sched_switch")?];
    Ok(Attached { _links: links, skel })
}

fn attach_processes(shared: &SharedMaps) -> anyhow::Result<Attached<ProcessesSkel<'static>>> {
    let mut open = open(ProcessesSkelBuilder::default(), PROCESSES)?;
    shared.lend([&mut open.maps.targets, &mut open.maps.generation, &mut open.maps.exiting])?;
    let group_dead = probe::tracepoint_field_offset("sched", "sched_process_exit", "group_dead").unwrap_or(0);
    let rodata = open.maps.rodata_data.as_deref_mut().context("the processes program has no read-only data")?;
    rodata.exit_group_dead_offset = group_dead;
    let skel = load_skel(open, PROCESSES)?;
    let progs = &skel.progs;
    let links = vec![
        tracepoint(&progs.denet_tree_fork, "task", "task_newtask")?,
        tracepoint(&progs.denet_tree_exit, "sched", "sched_process_exit")?,
    ];
    Ok(Attached { _links: links, skel })
}

fn load_net(shared: &SharedMaps) -> anyhow::Result<NetSkel<'static>> {
    let mut open = open(NetSkelBuilder::default(), NET)?;
    shared.lend([&mut open.maps.targets, &mut open.maps.generation, &mut open.maps.exiting])?;
    load_skel(open, NET)
}

/// TCP bytes: kretprobes on tcp_sendmsg/tcp_recvmsg first, the sock tracepoints where kprobes fail.
fn attach_net(shared: &SharedMaps, checks: &mut Vec<PartStatus>) -> Option<Attached<NetSkel<'static>>> {
    let skel = match load_net(shared) {
        Ok(skel) => skel,
        Err(e) => {
            checks.push(PartStatus::failed(Part::TcpKprobes, probe::explain(&e)));
            return None;
        }
    };
    match attach_kretprobes(&skel) {
        Ok(links) => {
            checks.push(PartStatus::ok(Part::TcpKprobes));
            return Some(Attached { _links: links, skel });
        }
        Err(e) => checks.push(PartStatus::failed(Part::TcpKprobes, probe::kprobe_failure(&e))),
    }
    let progs = &skel.progs;
    let links = tracepoint(&progs.denet_sock_send, "sock", "sock_send_length")
        .and_then(|send| Ok(vec![send, tracepoint(&progs.denet_sock_recv, "sock", "sock_recv_length")?]));
    match links {
        Ok(links) => {
            checks.push(PartStatus::ok(Part::TcpTracepoints).with_note("fallback for the kprobes"));
            Some(Attached { _links: links, skel })
        }
        Err(e) => {
            checks.push(PartStatus::failed(Part::TcpTracepoints, probe::explain(&e)));
            None
        }
    }
}

fn attach_kretprobes(skel: &NetSkel) -> anyhow::Result<Vec<Link>> {
    let kretprobe = |prog: &libbpf_rs::ProgramMut, func: &str| {
        prog.attach_kprobe(true, func).with_context(|| format!("cannot attach a kretprobe to {func}"))
    };
    Ok(vec![
        kretprobe(&skel.progs.denet_tcp_sendmsg_ret, "tcp_sendmsg")?,
        kretprobe(&skel.progs.denet_tcp_recvmsg_ret, "tcp_recvmsg")?,
    ])
}

impl Programs {
    /// Which parts are attached.
    pub fn has_syscalls(&self) -> bool {
        self.syscalls.is_some()
    }

    pub fn has_offcpu(&self) -> bool {
        self.offcpu.is_some()
    }

    pub fn has_processes(&self) -> bool {
        self.processes.is_some()
    }

    /// Put `pid`, found alive, into the tree of `root` (its forks and its exit count there from now
    /// on); false when it was in a tree already, or the processes program is not loaded.
    pub fn join_tree(&self, pid: u32, root: u32) -> bool {
        let Some(a) = &self.processes else { return false };
        a.skel.maps.members.update(&pid.to_ne_bytes(), &root.to_ne_bytes(), MapFlags::NO_EXIST).is_ok()
    }

    /// The most processes of the tree of `root` alive at once, counting from 0 when it was named (see
    /// `join_tree`), and the entry removed; None without the program or the tree.
    pub fn take_tree_peak(&self, root: u32) -> Option<i64> {
        let maps = &self.processes.as_ref()?.skel.maps;
        let key = root.to_ne_bytes();
        let count =
            maps.trees.lookup(&key, MapFlags::ANY).ok().flatten().and_then(|v| value_of::<denet_tree_count>(&v));
        let _ = maps.trees.delete(&key);
        count.map(|c| c.peak)
    }

    /// Make `pid` a target; an existing entry is left as it is (it may hold counts already).
    pub fn watch(&self, pid: u32, role: Role) -> anyhow::Result<()> {
        let flags = match role {
            Role::Tree => denet_flags(denet_flags::DENET_COUNT.0 | denet_flags::DENET_FOLLOW.0),
            Role::ParentOnly => denet_flags::DENET_FOLLOW,
        };
        let value = denet_target { flags, ..Zeroable::zeroed() };
        match self.targets.update(&pid.to_ne_bytes(), bytemuck::bytes_of(&value), MapFlags::NO_EXIST) {
            Ok(()) => {
                self.bump_generation();
                Ok(())
            }
            Err(e) if e.kind() == libbpf_rs::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(anyhow::Error::new(e).context(format!("cannot add process {pid} to the eBPF targets"))),
        }
    }

    /// Stop following `pid` (denet itself or its spawner, once the command is started).
    pub fn unwatch(&self, pid: u32) {
        let _ = self.targets.delete(&pid.to_ne_bytes());
        self.bump_generation();
    }

    /// Make every CPU ask the target map again (its cached answer may be about `pid`).
    //
    // Not atomic against the programs' own bumps, which is fine: any change of the value
    // invalidates the caches, and two bumps that collapse into one still change it.
    fn bump_generation(&self) {
        let key = 0u32.to_ne_bytes();
        let now = self.generation.lookup(&key, MapFlags::ANY).ok().flatten().and_then(|v| value_of::<u64>(&v));
        let _ = self.generation.update(&key, &now.unwrap_or(0).wrapping_add(1).to_ne_bytes(), MapFlags::ANY);
    }

    /// The cumulative counters, summed over CPUs.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_from(&self.syscall_slots())
    }

    /// The snapshot and each live target's own counts, with the syscall counters (one slot per
    /// CPU, 4 KiB each) read once for both: what the monitor takes at every tick.
    pub fn snapshot_and_processes(&self) -> (Snapshot, HashMap<u32, ProcessKernel>) {
        let slots = self.syscall_slots();
        (self.snapshot_from(&slots), self.per_process(&slots))
    }

    /// The syscall program's per-CPU slots (empty without that program).
    fn syscall_slots(&self) -> Vec<denet_syscall_counts> {
        self.syscalls.as_ref().map(|a| per_cpu(&a.skel.maps.counts)).unwrap_or_default()
    }

    fn snapshot_from(&self, syscall_slots: &[denet_syscall_counts]) -> Snapshot {
        let mut s = Snapshot::default();
        if self.syscalls.is_some() {
            let mut by_nr = vec![0; denet_syscall_counts::zeroed().by_nr.len()];
            for cpu in syscall_slots {
                by_nr.iter_mut().zip(cpu.by_nr).for_each(|(total, n)| *total += n);
                s.other_nr += cpu.other_nr;
            }
            s.by_nr = Some(by_nr);
        }
        let lifecycle: Vec<denet_lifecycle_counts> = per_cpu(&self.lifecycle.skel.maps.counts);
        if let Some(by_nr) = s.by_nr.as_mut() {
            // A run's own execve entered before the run counted (bpf/lifecycle.bpf.c `denet_exec`).
            let execve = syscalls::Sysno::execve.id() as usize;
            by_nr[execve] += lifecycle.iter().map(|c| c.counted_execves).sum::<u64>();
        }
        if let Some(a) = &self.offcpu {
            (s.off_cpu, s.switches) = off_cpu(a);
        }
        s.lifecycle = LifecycleCounts {
            processes_created: lifecycle.iter().map(|c| c.processes_created).sum(),
            threads_created: lifecycle.iter().map(|c| c.threads_created).sum(),
            execs: lifecycle.iter().map(|c| c.execs).sum(),
            lost_targets: lifecycle.iter().map(|c| c.lost_targets).sum(),
        };
        s.net = self.net.as_ref().map(|a| {
            let net: Vec<denet_net_counts> = per_cpu(&a.skel.maps.counts);
            TcpBytes {
                sent: net.iter().map(|c| c.tcp_tx_bytes).sum(),
                received: net.iter().map(|c| c.tcp_rx_bytes).sum(),
            }
        });
        s
    }

    /// Each live target's own counts: its entry, plus the syscalls that CPUs hold for it in their cache.
    fn per_process(&self, syscall_slots: &[denet_syscall_counts]) -> HashMap<u32, ProcessKernel> {
        let Ok(batch) = self.targets.lookup_batch(1024, MapFlags::ANY, MapFlags::ANY) else {
            return HashMap::new();
        };
        let mut out: HashMap<u32, ProcessKernel> = batch
            .filter_map(|(k, v)| Some((value_of::<u32>(&k)?, value_of::<denet_target>(&v)?)))
            .filter(|(_, t)| t.flags.0 & denet_flags::DENET_COUNT.0 != 0)
            .map(|(pid, t)| (pid, ProcessKernel { syscalls: t.syscalls, off_cpu_ns: t.off_cpu_ns }))
            .collect();
        // (process, syscalls not yet added to its entry) for each CPU whose cache holds a counted process.
        for cpu in syscall_slots.iter().filter(|cpu| cpu.cached_counted != 0) {
            if let Some(p) = out.get_mut(&cpu.cached_tgid) {
                p.syscalls += cpu.pending;
            }
        }
        out
    }
}

/// A map key or value as the skeleton's type (None if the bytes are not one).
fn value_of<T: AnyBitPattern>(bytes: &[u8]) -> Option<T> {
    bytemuck::try_pod_read_unaligned(bytes).ok()
}

/// The single slot of a per-CPU counters map, one value per CPU (empty if it cannot be read).
fn per_cpu<T: AnyBitPattern>(map: &impl MapCore) -> Vec<T> {
    let slots = map.lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY).ok().flatten().unwrap_or_default();
    slots.iter().filter_map(|v| value_of(v)).collect()
}

/// The off-CPU time and the context switches of the tree so far.
fn off_cpu(a: &Attached<OffcpuSkel>) -> (Option<OffCpuNs>, Option<Switches>) {
    let done: Vec<denet_offcpu_counts> = per_cpu(&a.skel.maps.counts);
    let now = in_progress(&a.skel.maps.off_since);
    let time = OffCpuNs {
        blocked: now.blocked + done.iter().map(|c| c.blocked_ns).sum::<u64>(),
        runnable: now.runnable + done.iter().map(|c| c.runnable_ns).sum::<u64>(),
    };
    let switches = Switches {
        voluntary: done.iter().map(|c| c.switches_voluntary).sum(),
        involuntary: done.iter().map(|c| c.switches_involuntary).sum(),
    };
    (Some(time), Some(switches))
}

/// The off-CPU time so far of the threads that are switched out now. Added to the completed
/// intervals, it makes the cumulative figure continuous: a thread asleep for a second shows up in
/// every sample of that second, not all at once when it wakes.
fn in_progress(off_since: &impl MapCore) -> OffCpuNs {
    let mut out = OffCpuNs::default();
    let Ok(entries) = off_since.lookup_batch(1024, MapFlags::ANY, MapFlags::ANY) else {
        return out;
    };
    let now = crate::monitor::schedule::monotonic_ns();
    for thread in entries.filter_map(|(_, v)| value_of::<denet_switched_out>(&v)) {
        let d = now.saturating_sub(thread.at_ns);
        if thread.runnable != 0 {
            out.runnable += d;
        } else {
            out.blocked += d;
        }
    }
    out
}

/// The name of syscall `nr` on this architecture.
pub fn syscall_name(nr: usize) -> Option<&'static str> {
    syscalls::Sysno::new(nr).map(|s| s.name())
}

/// Can a ring buffer be created here (doctor only: denet reads per-CPU counters, not events)?
pub fn ring_buffer() -> Result<(), String> {
    let opts = libbpf_rs::libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_rs::libbpf_sys::bpf_map_create_opts>() as _,
        ..Default::default()
    };
    MapHandle::create(MapType::RingBuf, Some("denet_probe"), 0, 0, 4096, &opts)
        .map(drop)
        .map_err(|e| probe::explain(&anyhow::Error::new(e)))
}
