//! Loads the BPF objects embedded at build time, attaches them one by one, and reads their maps.

use std::collections::HashMap;
use std::os::fd::AsFd;

use anyhow::Context;
use libbpf_rs::{Link, MapCore, MapFlags, MapHandle, MapType, Object, ObjectBuilder, OpenObject, TracepointCategory};

use super::probe;
use super::{Check, ProcessKernel, Role, Snapshot, NR_SYSCALLS};

const LIFECYCLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/lifecycle.bpf.o"));
const SYSCALLS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/syscalls.bpf.o"));
const OFFCPU: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/offcpu.bpf.o"));
const NET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/net.bpf.o"));

/// Flags of a target (bpf/denet.h).
const COUNT: u32 = 1;
const FOLLOW: u32 = 2;
/// `struct denet_target`: flags, pad, syscalls, off_cpu_ns.
const TARGET_SIZE: usize = 24;
/// Entries of the target map (bpf/denet.h).
const MAX_TARGETS: u32 = 65536;
/// `struct denet_syscall_counts` after `by_nr` and `other_nr`: cached_tgid, cached_counted,
/// cached_generation, pending (bytes from the start of the value).
const CACHED_TGID_AT: usize = (NR_SYSCALLS + 1) * 8;
const CACHED_COUNTED_AT: usize = CACHED_TGID_AT + 4;
const PENDING_AT: usize = CACHED_TGID_AT + 16;

/// One attached object: its links go first, so that they are detached before the object closes.
struct Attached {
    _links: Vec<Link>,
    _object: Object,
    counts: MapHandle,
    /// The off-CPU program's threads that are switched out now (`off_since`).
    off_since: Option<MapHandle>,
}

/// Every program that could be loaded and attached, and the map that says which processes count.
pub struct Programs {
    targets: MapHandle,
    /// Bumped at every change of the target set (bpf/denet.h `generation`).
    generation: MapHandle,
    lifecycle: Attached,
    syscalls: Option<Attached>,
    offcpu: Option<Attached>,
    net: Option<Attached>,
}

/// What loading produced: the programs (when the core could be attached) and a check per part.
pub struct Loaded {
    pub programs: Option<Programs>,
    pub checks: Vec<Check>,
}

/// Load and attach everything that works here; each part that does not is a failed check with its reason.
pub fn load() -> Loaded {
    route_libbpf_log();
    let mut checks = Vec::new();
    if let Err(reason) = probe::tracefs() {
        checks.push(Check::failed("tracefs", reason));
        return Loaded { programs: None, checks };
    }
    let shared = create_targets().and_then(|t| Ok((t, create_generation()?)));
    let (targets, generation) = match shared {
        Ok(t) => t,
        Err(e) => {
            checks.push(Check::failed("bpf maps", probe::explain(&e)));
            return Loaded { programs: None, checks };
        }
    };
    let shared = Shared { targets, generation };
    let lifecycle = match attach_lifecycle(&shared) {
        Ok(a) => a,
        Err(e) => {
            checks.push(Check::failed("lifecycle (task_newtask, sched_process_exec/exit)", probe::explain(&e)));
            return Loaded { programs: None, checks };
        }
    };
    checks.push(Check::ok("lifecycle (task_newtask, sched_process_exec/exit)"));
    let syscalls = part(&mut checks, "syscalls (raw_tp/sys_enter)", attach_syscalls(&shared));
    let offcpu = part(&mut checks, "off-CPU (sched/sched_switch)", attach_offcpu(&shared));
    let net = attach_net(&shared, &mut checks);
    let Shared { targets, generation } = shared;
    Loaded { programs: Some(Programs { targets, generation, lifecycle, syscalls, offcpu, net }), checks }
}

fn part(checks: &mut Vec<Check>, name: &str, r: anyhow::Result<Attached>) -> Option<Attached> {
    match r {
        Ok(a) => {
            checks.push(Check::ok(name));
            Some(a)
        }
        Err(e) => {
            checks.push(Check::failed(name, probe::explain(&e)));
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

fn create_targets() -> anyhow::Result<MapHandle> {
    let opts = libbpf_rs::libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_rs::libbpf_sys::bpf_map_create_opts>() as _,
        ..Default::default()
    };
    MapHandle::create(MapType::Hash, Some("denet_targets"), 4, TARGET_SIZE as u32, MAX_TARGETS, &opts)
        .context("cannot create the target map")
}

fn create_generation() -> anyhow::Result<MapHandle> {
    let opts = libbpf_rs::libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_rs::libbpf_sys::bpf_map_create_opts>() as _,
        ..Default::default()
    };
    MapHandle::create(MapType::Array, Some("denet_gen"), 4, 8, 1, &opts).context("cannot create the generation map")
}

/// The maps every object shares (created once, passed to each object by fd).
struct Shared {
    targets: MapHandle,
    generation: MapHandle,
}

/// Open an embedded object with the shared maps, let `configure` adjust it, and load it.
fn open_and_load(
    bytes: &[u8],
    name: &str,
    shared: &Shared,
    configure: impl FnOnce(&mut OpenObject),
) -> anyhow::Result<Object> {
    let mut open = ObjectBuilder::default()
        .name(name)?
        .open_memory(bytes)
        .with_context(|| format!("cannot open the {name} program"))?;
    for mut map in open.maps_mut() {
        match map.name().to_str() {
            Some("targets") => map.reuse_fd(shared.targets.as_fd())?,
            Some("generation") => map.reuse_fd(shared.generation.as_fd())?,
            _ => {}
        }
    }
    configure(&mut open);
    open.load().with_context(|| format!("the kernel refused to load the {name} program"))
}

fn counts_of(object: &Object) -> anyhow::Result<MapHandle> {
    let map = object.maps().find(|m| m.name() == "counts").context("the counts map is missing")?;
    Ok(MapHandle::try_from(&map)?)
}

fn attach_tracepoints(object: &Object, points: &[(&str, &str, &str)]) -> anyhow::Result<Vec<Link>> {
    let mut links = Vec::new();
    for (prog_name, category, event) in points {
        let prog = object.progs_mut().find(|p| p.name() == *prog_name).context("program missing")?;
        let link = prog
            .attach_tracepoint(TracepointCategory::Custom(category.to_string()), event)
            .with_context(|| format!("cannot attach to the tracepoint {category}:{event}"))?;
        links.push(link);
    }
    Ok(links)
}

fn attach_lifecycle(shared: &Shared) -> anyhow::Result<Attached> {
    let group_dead = probe::tracepoint_field_offset("sched", "sched_process_exit", "group_dead").unwrap_or(0);
    let object = open_and_load(LIFECYCLE, "denet_lifecycle", shared, |open| set_rodata_u32(open, group_dead))?;
    let links = attach_tracepoints(
        &object,
        &[
            ("denet_task_newtask", "task", "task_newtask"),
            ("denet_exec", "sched", "sched_process_exec"),
            ("denet_exit", "sched", "sched_process_exit"),
        ],
    )?;
    Ok(Attached { counts: counts_of(&object)?, off_since: None, _links: links, _object: object })
}

/// The lifecycle program's only read-only variable: the offset of `group_dead`.
fn set_rodata_u32(open: &mut OpenObject, value: u32) {
    for mut map in open.maps_mut() {
        if map.name().to_string_lossy().ends_with(".rodata") {
            if let Some(data) = map.initial_value_mut() {
                data[..4].copy_from_slice(&value.to_ne_bytes());
            }
        }
    }
}

fn attach_syscalls(shared: &Shared) -> anyhow::Result<Attached> {
    let object = open_and_load(SYSCALLS, "denet_syscalls", shared, |_| {})?;
    let prog = object.progs_mut().find(|p| p.name() == "denet_sys_enter").context("program missing")?;
    let link = prog.attach_raw_tracepoint("sys_enter").context("cannot attach to the raw tracepoint sys_enter")?;
    Ok(Attached { counts: counts_of(&object)?, off_since: None, _links: vec![link], _object: object })
}

fn attach_offcpu(shared: &Shared) -> anyhow::Result<Attached> {
    let object = open_and_load(OFFCPU, "denet_offcpu", shared, |_| {})?;
    let links = attach_tracepoints(&object, &[("denet_sched_switch", "sched", "sched_switch")])?;
    let off_since = object.maps().find(|m| m.name() == "off_since").context("the off_since map is missing")?;
    let off_since = Some(MapHandle::try_from(&off_since)?);
    Ok(Attached { counts: counts_of(&object)?, off_since, _links: links, _object: object })
}

/// TCP bytes: kretprobes on tcp_sendmsg/tcp_recvmsg first, the sock tracepoints where kprobes fail.
fn attach_net(shared: &Shared, checks: &mut Vec<Check>) -> Option<Attached> {
    const KPROBES: &str = "TCP bytes (kretprobe tcp_sendmsg, tcp_recvmsg)";
    const TRACEPOINTS: &str = "TCP bytes (sock/sock_send_length, sock_recv_length)";
    let object = match open_and_load(NET, "denet_net", shared, |_| {}) {
        Ok(o) => o,
        Err(e) => {
            checks.push(Check::failed(KPROBES, probe::explain(&e)));
            return None;
        }
    };
    let counts = counts_of(&object).ok()?;
    match attach_kretprobes(&object) {
        Ok(links) => {
            checks.push(Check::ok(KPROBES));
            return Some(Attached { _links: links, _object: object, counts, off_since: None });
        }
        Err(e) => {
            checks.push(Check::failed(KPROBES, probe::kprobe_failure(&e)));
        }
    }
    let points = [("denet_sock_send", "sock", "sock_send_length"), ("denet_sock_recv", "sock", "sock_recv_length")];
    match attach_tracepoints(&object, &points) {
        Ok(links) => {
            checks.push(Check::ok(TRACEPOINTS).with_note("fallback for the kprobes"));
            Some(Attached { _links: links, _object: object, counts, off_since: None })
        }
        Err(e) => {
            checks.push(Check::failed(TRACEPOINTS, probe::explain(&e)));
            None
        }
    }
}

fn attach_kretprobes(object: &Object) -> anyhow::Result<Vec<Link>> {
    let mut links = Vec::new();
    for (prog_name, func) in [("denet_tcp_sendmsg_ret", "tcp_sendmsg"), ("denet_tcp_recvmsg_ret", "tcp_recvmsg")] {
        let prog = object.progs_mut().find(|p| p.name() == prog_name).context("program missing")?;
        links.push(prog.attach_kprobe(true, func).with_context(|| format!("cannot attach a kretprobe to {func}"))?);
    }
    Ok(links)
}

impl Programs {
    /// Which parts are attached.
    pub fn has_syscalls(&self) -> bool {
        self.syscalls.is_some()
    }

    pub fn has_offcpu(&self) -> bool {
        self.offcpu.is_some()
    }

    /// Make `pid` a target; an existing entry is left as it is (it may hold counts already).
    pub fn watch(&self, pid: u32, role: Role) -> anyhow::Result<()> {
        let flags = match role {
            Role::Tree => COUNT | FOLLOW,
            Role::ParentOnly => FOLLOW,
        };
        let mut value = [0u8; TARGET_SIZE];
        value[..4].copy_from_slice(&flags.to_ne_bytes());
        match self.targets.update(&pid.to_ne_bytes(), &value, MapFlags::NO_EXIST) {
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
        let now = self.generation.lookup(&key, MapFlags::ANY).ok().flatten().map_or(0, |v| u64_at(&v, 0));
        let _ = self.generation.update(&key, &now.wrapping_add(1).to_ne_bytes(), MapFlags::ANY);
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
    fn syscall_slots(&self) -> Vec<Vec<u8>> {
        self.syscalls.as_ref().map(|a| per_cpu_slots(&a.counts)).unwrap_or_default()
    }

    fn snapshot_from(&self, syscall_slots: &[Vec<u8>]) -> Snapshot {
        let mut s = Snapshot::default();
        if self.syscalls.is_some() {
            let v = sum(syscall_slots, NR_SYSCALLS + 1);
            s.by_nr = Some(v[..NR_SYSCALLS].to_vec());
            s.other_nr = v[NR_SYSCALLS];
        }
        if let Some(a) = &self.offcpu {
            let v = sum(&per_cpu_slots(&a.counts), 2);
            let (blocked, runnable) = a.off_since.as_ref().map(in_progress).unwrap_or_default();
            s.off_cpu = Some((v[0] + blocked, v[1] + runnable));
        }
        let v = sum(&per_cpu_slots(&self.lifecycle.counts), 4);
        s.lifecycle = (v[0], v[1], v[2], v[3]);
        if let Some(a) = &self.net {
            let v = sum(&per_cpu_slots(&a.counts), 2);
            s.net = Some((v[0], v[1]));
        }
        s
    }

    /// Each live target's own counts: its entry, plus the syscalls that CPUs hold for it in their cache.
    fn per_process(&self, syscall_slots: &[Vec<u8>]) -> HashMap<u32, ProcessKernel> {
        let Ok(batch) = self.targets.lookup_batch(1024, MapFlags::ANY, MapFlags::ANY) else {
            return HashMap::new();
        };
        let mut out: HashMap<u32, ProcessKernel> = batch
            .filter(|(_, v)| v.len() >= TARGET_SIZE && u32_at(v, 0) & COUNT != 0)
            .map(|(k, v)| (u32_at(&k, 0), ProcessKernel { syscalls: u64_at(&v, 8), off_cpu_ns: u64_at(&v, 16) }))
            .collect();
        // (process, syscalls not yet added to its entry) for each CPU whose cache holds a counted process.
        for cpu in syscall_slots.iter().filter(|cpu| u32_at(cpu, CACHED_COUNTED_AT) != 0) {
            if let Some(p) = out.get_mut(&u32_at(cpu, CACHED_TGID_AT)) {
                p.syscalls += u64_at(cpu, PENDING_AT);
            }
        }
        out
    }
}

/// The single slot of a per-CPU counters map, one value per CPU (empty if it cannot be read).
fn per_cpu_slots(map: &MapHandle) -> Vec<Vec<u8>> {
    map.lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY).ok().flatten().unwrap_or_default()
}

/// Sum the first `n` u64 fields of per-CPU values over every CPU.
fn sum(per_cpu: &[Vec<u8>], n: usize) -> Vec<u64> {
    let mut total = vec![0u64; n];
    for cpu in per_cpu {
        for (i, t) in total.iter_mut().enumerate() {
            *t += u64_at(cpu, i * 8);
        }
    }
    total
}

/// The off-CPU time so far of the threads that are switched out now: (blocked, runnable) nanoseconds.
/// Added to the completed intervals, it makes the cumulative figure continuous: a thread asleep for
/// a second shows up in every sample of that second, not all at once when it wakes.
fn in_progress(off_since: &MapHandle) -> (u64, u64) {
    let Ok(entries) = off_since.lookup_batch(1024, MapFlags::ANY, MapFlags::ANY) else {
        return (0, 0);
    };
    let now = crate::monitor::schedule::monotonic_ns();
    let mut out = (0, 0);
    for (_, v) in entries {
        // struct switched_out: at_ns, tgid, runnable (bpf/offcpu.bpf.c).
        let d = now.saturating_sub(u64_at(&v, 0));
        if u32_at(&v, 12) != 0 {
            out.1 += d;
        } else {
            out.0 += d;
        }
    }
    out
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    bytes.get(at..at + 8).map(|b| u64::from_ne_bytes(b.try_into().unwrap())).unwrap_or(0)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    bytes.get(at..at + 4).map(|b| u32::from_ne_bytes(b.try_into().unwrap())).unwrap_or(0)
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
