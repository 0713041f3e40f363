//! `bench`'s cgroups: runs born in their command's v2 leaf, and v1 groups the spawner joins once per session.
//!
//! Joining a group is a migration, which waits for an RCU grace period (0.5 to 17 ms on this
//! project's machines): once per run it would be inside every timed run (docs/cgroups.md). So
//! no run migrates:
//! - cgroup v2: each command has a leaf (`c0`, `c1`, ... in the session directory) that its runs
//!   are born in (`clone3` with `CLONE_INTO_CGROUP`, spawner/cgroup.h). Its counters are
//!   cumulative: a run's figure is the difference from the reading after the leaf's previous run.
//! - cgroup v1 (no such clone flag): the spawner joins the session's group once, at its start,
//!   while denet gets ready; the runs inherit it. The memory high-water mark is reset before
//!   each run; `pids.peak` cannot be reset, so bench does not read it.

use std::fs;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::{hierarchies, Hierarchy, Plan, Reading, HOW};

impl Plan {
    /// `bench`'s plan: the session's directories, the v2 one (if any) for the commands' leaves,
    /// and what to read; the v1 memory limit is set now. `Err` names what is missing.
    pub fn session(memory_limit: Option<u64>) -> Result<Plan, String> {
        let mut hs = hierarchies()?;
        // Tests only: the paths of a v1-only or v2-only machine on this hybrid one.
        match std::env::var("DENET_CGROUP_ONLY").as_deref() {
            Ok("v1") => hs.retain(|h| !h.v2),
            Ok("v2") => hs.retain(|h| h.v2),
            _ => {}
        }
        let mut plan = Plan::default();
        let made = plan.make_session(&hs, memory_limit);
        if made.is_err() {
            // A directory made before the failure is not left behind.
            plan.remove();
        }
        made.map(|()| plan)
    }

    fn make_session(&mut self, hs: &[Hierarchy], memory_limit: Option<u64>) -> Result<(), String> {
        let v2 = hs.iter().find(|h| h.v2);
        if let Some(h) = v2 {
            super::delegate(h);
            self.v2_session(h, memory_limit)?;
        }
        let v2_memory = v2.is_some_and(|h| h.has("memory"));
        match hs.iter().find(|h| !h.v2 && h.has("memory")) {
            Some(h) if !v2_memory => self.v1_memory(h, memory_limit)?,
            None if !v2_memory && memory_limit.is_some() => {
                return Err("--memory-limit needs the memory controller, and no cgroup hierarchy here has it".into())
            }
            _ => {}
        }
        if self.dirs.is_empty() {
            return Err("no cgroup hierarchy is mounted (/proc/self/mounts lists none)".into());
        }
        Ok(())
    }

    /// The v2 directory: the commands' leaves, their CPU time and PSI, and their memory where v2 has it.
    fn v2_session(&mut self, h: &Hierarchy, memory_limit: Option<u64>) -> Result<(), String> {
        let i = self.dir(h)?;
        self.born = Some(i);
        self.reads.push(Reading::new(i, "cpu.stat", None));
        // PSI is in the kernel when /proc/pressure is (CONFIG_PSI, not psi=0).
        if Path::new("/proc/pressure/cpu").exists() {
            for f in ["cpu.pressure", "memory.pressure", "io.pressure"] {
                self.reads.push(Reading::new(i, f, None));
            }
        }
        if h.has("memory") {
            // Reset through the descriptor it is read from (Linux 6.12+; before, the peak is absent).
            self.reads.push(Reading::new(i, "memory.peak", Some("reset")));
            self.reads.push(Reading::new(i, "memory.events", None));
            if let Some(limit) = memory_limit {
                self.sets.push((i, "memory.max".into(), limit.to_string()));
            }
        }
        Ok(())
    }

    /// A v1 memory hierarchy: the session's group, which the spawner joins; the limit set on it now.
    fn v1_memory(&mut self, h: &Hierarchy, memory_limit: Option<u64>) -> Result<(), String> {
        let i = self.dir(h)?;
        self.reads.push(Reading::new(i, "memory.max_usage_in_bytes", Some("0")));
        self.reads.push(Reading::new(i, "memory.oom_control", None));
        if let Some(limit) = memory_limit {
            let file = self.dirs[i].join("memory.limit_in_bytes");
            fs::write(&file, limit.to_string()).map_err(|e| format!("cannot set {} ({e}): {HOW}", file.display()))?;
        }
        Ok(())
    }

    /// The groups the spawner itself must be in before its first run (v1: all but the v2 directory).
    pub fn joined(&self) -> Vec<PathBuf> {
        self.dirs.iter().enumerate().filter(|(i, _)| Some(*i) != self.born).map(|(_, d)| d.clone()).collect()
    }
}

/// Move process `pid` into each of `groups` (the spawner, once per session).
pub fn join(pid: u32, groups: &[PathBuf]) -> io::Result<()> {
    for g in groups {
        let procs = g.join("cgroup.procs");
        fs::write(&procs, pid.to_string())
            .map_err(|e| io::Error::new(e.kind(), format!("cannot move the spawner into {}: {e}", g.display())))?;
    }
    Ok(())
}

/// One command's groups in a bench session, as the fork spawner uses them (the tiny one does the
/// same in spawner/cgroup.h): its leaf made, its files open over the batch.
pub struct CommandGroups {
    /// Each directory's group: the command's leaf in the born one, else the session's group.
    groups: Vec<PathBuf>,
    born: Option<usize>,
    /// The plan's readings, open (None: absent), with their reset values.
    files: Vec<(Option<fs::File>, Option<String>)>,
    /// Without a leaf: the groups' members before the run, none of them the run's.
    before: Vec<u32>,
}

impl CommandGroups {
    /// Make the command's leaf `leaf` (if new), apply the plan's settings to it, open the files.
    pub fn open(plan: &Plan, leaf: &str) -> io::Result<CommandGroups> {
        let groups: Vec<PathBuf> = plan
            .dirs
            .iter()
            .enumerate()
            .map(|(i, d)| if Some(i) == plan.born { d.join(leaf) } else { d.clone() })
            .collect();
        if let Some(b) = plan.born {
            match fs::create_dir(&groups[b]) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
            for (_, file, value) in plan.sets.iter().filter(|(i, _, _)| *i == b) {
                fs::write(groups[b].join(file), value)?;
            }
        }
        let files = plan
            .reads
            .iter()
            .map(|r| {
                let path = groups[r.dir].join(&r.file);
                (fs::OpenOptions::new().read(true).write(r.reset.is_some()).open(path).ok(), r.reset.clone())
            })
            .collect();
        Ok(CommandGroups { groups, born: plan.born, files, before: Vec::new() })
    }

    /// The leaf's `cgroup.procs`, for the child to join before it execs (this spawner cannot clone3).
    pub fn procs(&self) -> io::Result<Option<fs::File>> {
        self.born.map(|b| fs::OpenOptions::new().write(true).open(self.groups[b].join("cgroup.procs"))).transpose()
    }

    /// Before the spawn: reset the files with a reset value; each as read just after ("" without one).
    pub fn before_run(&mut self) -> Vec<String> {
        if self.born.is_none() {
            self.before = self.groups.iter().flat_map(|g| procs_of(g)).collect();
        }
        let mut baselines = Vec::with_capacity(self.files.len());
        for (file, reset) in &mut self.files {
            let reset_now = match (file.as_ref(), reset.as_ref()) {
                (Some(f), Some(v)) => f.write_at(v.as_bytes(), 0).is_ok(),
                _ => false,
            };
            if reset.is_some() && !reset_now {
                // Cannot be reset: the run's figure is absent, not a wrong one.
                *file = None;
            }
            baselines.push(if reset_now { read_open(file.as_ref()) } else { String::new() });
        }
        baselines
    }

    /// The files as they read now.
    pub fn read(&self) -> Vec<String> {
        self.files.iter().map(|(f, _)| read_open(f.as_ref())).collect()
    }

    /// The run's processes: its leaf's members, or without one those that joined since the run began.
    pub fn members(&self) -> Vec<u32> {
        let own = std::process::id();
        let mut pids: Vec<u32> = match self.born {
            Some(b) => procs_of(&self.groups[b]),
            None => self.groups.iter().flat_map(|g| procs_of(g)).filter(|p| !self.before.contains(p)).collect(),
        };
        pids.retain(|&p| p != own);
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// SIGKILL to each of the run's processes until none is left (one by one: after a
    /// `cgroup.kill`, Linux 6.18 refused later clone3 calls into the same leaf).
    pub fn kill(&self) {
        super::kill_until_empty(|| self.members());
    }

    /// `--keep-strays`: move them to the session's `kept` group in each hierarchy, out of the next
    /// run's counters.
    pub fn keep(&self, pids: &[u32]) {
        for (i, g) in self.groups.iter().enumerate() {
            let session = if Some(i) == self.born { g.parent().unwrap_or(g) } else { g };
            let kept = session.join("kept");
            if fs::create_dir(&kept).is_err() && !kept.is_dir() {
                continue;
            }
            for pid in pids {
                let _ = fs::write(kept.join("cgroup.procs"), pid.to_string());
            }
        }
    }
}

/// The pids in a group's `cgroup.procs`.
fn procs_of(group: &Path) -> Vec<u32> {
    fs::read_to_string(group.join("cgroup.procs")).unwrap_or_default().lines().filter_map(|l| l.parse().ok()).collect()
}

/// An open cgroup file from its start ("" when absent or unreadable).
fn read_open(file: Option<&fs::File>) -> String {
    let mut buf = vec![0u8; 4096];
    let n = file.and_then(|f| f.read_at(&mut buf, 0).ok()).unwrap_or(0);
    buf.truncate(n);
    String::from_utf8_lossy(&buf).into_owned()
}
