//! The portable source: the process tree read through sysinfo, for platforms without /proc.

use std::collections::BTreeSet;

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

use super::source::{capability, ProcessSource, RawProcess};
use crate::profile::{Capability, Counters};

/// Reads the tree rooted at one PID with sysinfo (CPU time, memory and disk bytes only).
pub struct SysinfoSource {
    root: u32,
    system: System,
    tracked: BTreeSet<u32>,
}

impl SysinfoSource {
    pub fn new(root: u32) -> SysinfoSource {
        SysinfoSource { root, system: System::new(), tracked: BTreeSet::new() }
    }

    fn refresh(&mut self) {
        let kind = ProcessRefreshKind::nothing().with_cpu().with_memory().with_disk_usage().with_exe(UpdateKind::Never);
        self.system.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
    }

    /// Track the root and any process whose parent is tracked; forget the dead.
    fn discover(&mut self) {
        let procs = self.system.processes();
        self.tracked.retain(|pid| procs.contains_key(&Pid::from_u32(*pid)));
        if procs.contains_key(&Pid::from_u32(self.root)) {
            self.tracked.insert(self.root);
        }
        loop {
            let new: Vec<u32> = procs
                .iter()
                .filter(|(pid, p)| {
                    !self.tracked.contains(&pid.as_u32())
                        && p.parent().is_some_and(|pp| self.tracked.contains(&pp.as_u32()))
                })
                .map(|(pid, _)| pid.as_u32())
                .collect();
            if new.is_empty() {
                break;
            }
            self.tracked.extend(new);
        }
    }
}

impl ProcessSource for SysinfoSource {
    fn scan(&mut self) -> Vec<RawProcess> {
        self.refresh();
        self.discover();
        let procs = self.system.processes();
        self.tracked
            .iter()
            .filter_map(|pid| procs.get(&Pid::from_u32(*pid)))
            .map(|p| {
                let cpu_s = p.accumulated_cpu_time() as f64 / 1000.0;
                let disk = p.disk_usage();
                RawProcess {
                    pid: p.pid().as_u32(),
                    ppid: p.parent().map_or(0, |pp| pp.as_u32()),
                    name: p.name().to_string_lossy().into_owned(),
                    self_cpu_s: cpu_s,
                    inclusive: Counters {
                        cpu_time_s: cpu_s,
                        read_bytes: disk.total_read_bytes,
                        write_bytes: disk.total_written_bytes,
                        ..Counters::default()
                    },
                    rss_bytes: p.memory(),
                    rss_peak_bytes: p.memory(),
                    vms_bytes: p.virtual_memory(),
                    threads: p.tasks().map_or(1, |t| t.len().max(1) as u64),
                    zombie: p.status() == sysinfo::ProcessStatus::Zombie,
                }
            })
            .collect()
    }

    fn capabilities(&self) -> Vec<Capability> {
        let why = || Some("not available through sysinfo on this platform; Linux /proc provides it".to_string());
        vec![
            capability("cpu", None),
            capability("memory", None),
            capability("io", None),
            capability("syscall_io", why()),
            capability("page_faults", why()),
            capability("context_switches", why()),
            capability("threads", if cfg!(target_os = "linux") { None } else { why() }),
        ]
    }
}
