//! Each run in a cgroup of its own: finding the hierarchies, creating the groups, reading them, killing what is left.
//!
//! denet makes one directory per hierarchy for the whole session (`denet-PID` under its own
//! group). `denet run` makes a fresh leaf inside it for its command, which joins the leaf
//! before it execs. `bench` cannot afford a migration per run (session.rs says why) and uses
//! them otherwise. Works on cgroup v2, v1, and hybrids (memory and pids in v1, `cpu.stat`, PSI
//! and `cgroup.kill` in the v2 mount).

pub mod parse;
pub mod session;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::profile::CgroupCounters;

/// What each run gets, decided once: the session's directories, what to write into each new
/// leaf, and what to read from it after the run. Both spawners and `denet run` follow it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The session's directory in each hierarchy used (created by [`Plan::prepare`]).
    pub dirs: Vec<PathBuf>,
    /// (directory index, file, value) written into each leaf after it is made (the memory limit).
    pub sets: Vec<(usize, String, String)>,
    /// The files read from the groups after each run.
    pub reads: Vec<Reading>,
    /// `bench`: the v2 directory in which each command has a leaf its runs are born in; the other
    /// directories are v1 groups the spawner itself is in (session.rs). `run`: None.
    pub born: Option<usize>,
}

/// A file of a run's group, read after each run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The index of its directory in the plan.
    pub dir: usize,
    pub file: String,
    /// `bench`: written into the file before each run, to reset a high-water mark.
    pub reset: Option<String>,
}

impl Reading {
    fn new(dir: usize, file: &str, reset: Option<&str>) -> Reading {
        Reading { dir, file: file.to_string(), reset: reset.map(String::from) }
    }
}

/// A cgroup hierarchy mounted here: where, v2 or v1 (with its controllers), and our group in it.
#[derive(Debug, Clone)]
struct Hierarchy {
    mount: PathBuf,
    v2: bool,
    controllers: Vec<String>,
    own: PathBuf,
}

impl Hierarchy {
    fn has(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }
}

/// How to get write access, for the one warning.
pub const HOW: &str = "run as root, or under a delegated systemd scope: \
    systemd-run --user --scope -p Delegate=yes denet ...; or turn this off with --no-cgroup";

impl Plan {
    /// Find the hierarchies, make the session's directories and decide the reads; `Err` names
    /// what is missing (the metrics of the run's cgroup are then absent).
    pub fn prepare(memory_limit: Option<u64>) -> Result<Plan, String> {
        let hs = hierarchies()?;
        let v2 = hs.iter().find(|h| h.v2).cloned();
        if let Some(h) = &v2 {
            delegate(h);
        }
        let v2_has = |c: &str| v2.as_ref().is_some_and(|h| h.has(c));
        let v1 = |c: &str| hs.iter().find(|h| !h.v2 && h.has(c)).cloned();
        let mut plan = Plan::default();
        let mut add = |h: &Hierarchy| plan.dir(h);
        let memory = if v2_has("memory") { v2.clone() } else { v1("memory") };
        let pids = if v2_has("pids") { v2.clone() } else { v1("pids") };
        let cpu = v2.clone().or_else(|| v1("cpuacct"));
        let mut reads = Vec::new();
        let mut sets = Vec::new();
        if let Some(h) = &memory {
            let i = add(h)?;
            let (peak, events, max) = if h.v2 {
                ("memory.peak", "memory.events", "memory.max")
            } else {
                ("memory.max_usage_in_bytes", "memory.oom_control", "memory.limit_in_bytes")
            };
            reads.extend([(i, peak), (i, events)]);
            if let Some(limit) = memory_limit {
                sets.push((i, max.to_string(), limit.to_string()));
            }
        } else if memory_limit.is_some() {
            return Err("--memory-limit needs the memory controller, and no cgroup hierarchy here has it".into());
        }
        if let Some(h) = &pids {
            reads.push((add(h)?, "pids.peak"));
        }
        if let Some(h) = &cpu {
            let i = add(h)?;
            reads.push((i, if h.v2 { "cpu.stat" } else { "cpuacct.usage" }));
            if h.v2 {
                // PSI is in the kernel when /proc/pressure is (CONFIG_PSI, not psi=0).
                if Path::new("/proc/pressure/cpu").exists() {
                    reads.extend([(i, "cpu.pressure"), (i, "memory.pressure"), (i, "io.pressure")]);
                }
            }
        }
        plan.reads = reads.into_iter().map(|(i, f)| Reading::new(i, f, None)).collect();
        plan.sets = sets;
        if plan.dirs.is_empty() {
            return Err("no cgroup hierarchy is mounted (/proc/self/mounts lists none)".into());
        }
        Ok(plan)
    }

    /// The index of `h`'s session directory, made now if this is its first use.
    fn dir(&mut self, h: &Hierarchy) -> Result<usize, String> {
        let dir = h.own.join(format!("denet-{}", std::process::id()));
        if let Some(i) = self.dirs.iter().position(|d| *d == dir) {
            return Ok(i);
        }
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create the cgroup {} ({e}): {HOW}", dir.display())),
        }
        if h.v2 {
            // The leaves get the controllers their parent enables for its children.
            let wanted: Vec<_> = ["memory", "pids"].iter().filter(|c| h.has(c)).map(|c| format!("+{c}")).collect();
            if !wanted.is_empty() {
                let _ = fs::write(dir.join("cgroup.subtree_control"), wanted.join(" "));
            }
        }
        self.dirs.push(dir);
        Ok(self.dirs.len() - 1)
    }

    /// Remove the session's directories and the groups left in them (bench's command leaves; not
    /// those a kept stray still holds).
    pub fn remove(&self) {
        for d in &self.dirs {
            let subdirs = fs::read_dir(d).into_iter().flatten().flatten().filter(|e| e.path().is_dir());
            for sub in subdirs {
                remove_group(&sub.path());
            }
            remove_group(d);
        }
    }
}

/// v2: make the memory and pids controllers available to our children where we may (root of a
/// hybrid, or a delegated subtree); a refusal leaves them in v1 or absent.
fn delegate(h: &Hierarchy) {
    let own = fs::read_to_string(h.own.join("cgroup.subtree_control")).unwrap_or_default();
    for c in ["memory", "pids"] {
        if h.has(c) && !own.split_whitespace().any(|e| e == c) {
            let _ = fs::write(h.own.join("cgroup.subtree_control"), format!("+{c}"));
        }
    }
}

/// The cgroup hierarchies mounted here, each with our own group's directory in it.
fn hierarchies() -> Result<Vec<Hierarchy>, String> {
    let mounts = fs::read_to_string("/proc/self/mounts").map_err(|e| format!("cannot read /proc/self/mounts: {e}"))?;
    let membership =
        fs::read_to_string("/proc/self/cgroup").map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
    Ok(parse_hierarchies(&mounts, &membership))
}

fn parse_hierarchies(mounts: &str, membership: &str) -> Vec<Hierarchy> {
    let mut out = Vec::new();
    for line in mounts.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(&mount), Some(&fstype), Some(&opts)) = (f.get(1), f.get(2), f.get(3)) else { continue };
        let v2 = fstype == "cgroup2";
        if !v2 && fstype != "cgroup" {
            continue;
        }
        let controllers: Vec<String> = if v2 {
            fs::read_to_string(Path::new(mount).join("cgroup.controllers"))
                .unwrap_or_default()
                .split_whitespace()
                .map(String::from)
                .collect()
        } else {
            opts.split(',').filter(|o| ["memory", "pids", "cpuacct"].contains(o)).map(String::from).collect()
        };
        let own = membership.lines().find_map(|l| {
            let mut p = l.splitn(3, ':');
            let (_, ctl, path) = (p.next()?, p.next()?, p.next()?);
            let matches = if v2 { ctl.is_empty() } else { ctl.split(',').any(|c| controllers.iter().any(|x| x == c)) };
            matches.then(|| path.trim_start_matches('/').to_string())
        });
        if let Some(own) = own.filter(|_| v2 || !controllers.is_empty()) {
            out.push(Hierarchy { mount: mount.into(), v2, own: Path::new(mount).join(own), controllers });
        }
    }
    out.retain(|h| h.mount.is_dir());
    out
}

/// One run's own groups, one per hierarchy of the plan.
#[derive(Debug)]
pub struct Leaf {
    dirs: Vec<PathBuf>,
}

impl Leaf {
    /// Make the run's groups (named `name` in each session directory) and apply the plan's settings.
    pub fn create(plan: &Plan, name: &str) -> io::Result<Leaf> {
        let leaf = Leaf { dirs: plan.dirs.iter().map(|d| d.join(name)).collect() };
        for d in &leaf.dirs {
            match fs::create_dir(d) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
        }
        for (i, file, value) in &plan.sets {
            fs::write(leaf.dirs[*i].join(file), value).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot set {file} of {}: {e}", leaf.dirs[*i].display()))
            })?;
        }
        Ok(leaf)
    }

    /// The groups' `cgroup.procs`, opened for the child to join before it execs ([`join`]).
    pub fn procs(&self) -> io::Result<Vec<fs::File>> {
        self.dirs.iter().map(|d| fs::OpenOptions::new().write(true).open(d.join("cgroup.procs"))).collect()
    }

    /// The run's counters, read after it ended.
    pub fn read(&self, plan: &Plan) -> CgroupCounters {
        let files: Vec<(String, String)> = plan
            .reads
            .iter()
            .map(|r| (r.file.clone(), fs::read_to_string(self.dirs[r.dir].join(&r.file)).unwrap_or_default()))
            .collect();
        parse::counters(&files)
    }

    /// The processes in the groups now.
    pub fn members(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = self
            .dirs
            .iter()
            .flat_map(|d| {
                fs::read_to_string(d.join("cgroup.procs"))
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| l.parse().ok())
                    .collect::<Vec<_>>()
            })
            .collect();
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// Kill everything in the groups: `cgroup.kill` where there is one (v2), else SIGKILL to each
    /// member until none is left (a member may fork meanwhile).
    pub fn kill(&self) {
        if let Some(k) = self.dirs.iter().map(|d| d.join("cgroup.kill")).find(|k| k.exists()) {
            let _ = fs::write(k, "1");
        }
        kill_until_empty(|| self.members());
    }

    /// Remove the groups; a group still holding a process (a kept stray) stays.
    pub fn remove(&self) {
        self.dirs.iter().for_each(|d| remove_group(d));
    }
}

/// Remove a group, waiting a little for a process that is leaving it (after its SIGKILL, or its exit).
fn remove_group(dir: &Path) {
    for _ in 0..50 {
        match fs::remove_dir(dir) {
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => std::thread::sleep(std::time::Duration::from_millis(1)),
            _ => break,
        }
    }
}

/// Join the groups whose `cgroup.procs` are `files` (in the child, before exec: async-signal-safe).
pub fn join(files: &[std::os::fd::RawFd]) -> io::Result<()> {
    for &fd in files {
        // SAFETY: writing two bytes from a static buffer to a descriptor we own; "0" means "me".
        if unsafe { libc::write(fd, c"0".as_ptr().cast(), 1) } != 1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// "PID command line" of each of `pids` (for the warning about strays): the command line rather than
/// the name, as a stray caught between fork and exec still has its parent's name (`sh`).
pub fn names(pids: &[u32]) -> Vec<String> {
    pids.iter()
        .map(|p| {
            let raw = fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            let line: String = String::from_utf8_lossy(&raw).replace('\0', " ").trim().chars().take(NAME_MAX).collect();
            if !line.is_empty() {
                return format!("{p} {line}");
            }
            // No command line in the middle of an exec or once a zombie: the name, bracketed as ps does.
            let comm = fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
            format!("{p} [{}]", comm.trim())
        })
        .collect()
}

/// The longest command line a stray's name shows (the spawner's is as long).
const NAME_MAX: usize = 100;

/// SIGKILL to every member `members` lists, again until none is left (a member may fork meanwhile;
/// bounded at 100 rounds of 1 ms).
pub(crate) fn kill_until_empty(members: impl Fn() -> Vec<u32>) {
    for _ in 0..100 {
        let pids = members();
        if pids.is_empty() {
            return;
        }
        for pid in pids {
            // SAFETY: kill has no memory effects.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_this_machines_hybrid() {
        let mounts = "cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0\n\
                      cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n\
                      cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0\n\
                      proc /proc proc rw 0 0\n";
        let membership = "9:name=systemd:/\n4:memory:/a/b\n2:cpuacct:/\n0::/\n";
        let hs = parse_hierarchies(mounts, membership);
        let memory = hs.iter().find(|h| h.has("memory"));
        if Path::new("/sys/fs/cgroup/memory").is_dir() {
            assert_eq!(memory.unwrap().own, Path::new("/sys/fs/cgroup/memory/a/b"), "under our own group");
        }
        assert!(hs.iter().all(|h| !h.v2 && !h.has("name=systemd")), "named hierarchies have no controllers");
    }
}
