//! Reading a run's cgroup files (v1 and v2) into its exact counters.

use crate::profile::CgroupCounters;

/// The counters in `files` (name, contents), each read from the run's own groups after the run.
pub fn counters(files: &[(String, String)]) -> CgroupCounters {
    let mut c = CgroupCounters::default();
    for (name, text) in files {
        add(&mut c, name, text);
    }
    c
}

/// The figures of one file into `c`.
fn add(c: &mut CgroupCounters, name: &str, text: &str) {
    match name {
        // High-water marks since the group's creation (run) or since its reset (bench).
        "memory.peak" | "memory.max_usage_in_bytes" => c.memory_peak_cgroup = number(text),
        "memory.events" | "memory.oom_control" => c.oom_kills = key(text, "oom_kill"),
        "pids.peak" => c.processes_peak_cgroup = number(text),
        "cpu.stat" => c.time_cpu_cgroup = key(text, "usage_usec").map(|us| us as f64 / 1e6),
        "cpuacct.usage" => c.time_cpu_cgroup = number(text).map(|ns| ns as f64 / 1e9),
        "cpu.pressure" => c.pressure_cpu_some = stall(text),
        "memory.pressure" => c.pressure_memory_some = stall(text),
        "io.pressure" => c.pressure_io_some = stall(text),
        _ => {}
    }
}

/// A file of a bench run's group as read around the run (session.rs says why so).
pub struct Around<'a> {
    pub name: &'a str,
    /// After the group's previous run ("" for a new group: its counters start at zero).
    pub before: &'a str,
    pub after: &'a str,
    /// Just after its reset before the run ("" when it has no reset value or could not be reset).
    pub baseline: &'a str,
}

/// One bench run's counters: high-water marks above what the group held when the run began,
/// cumulative counters as the difference from the previous reading.
pub fn run_counters(files: &[Around]) -> CgroupCounters {
    let mut c = CgroupCounters::default();
    for f in files {
        let one = |text: &str| {
            let mut c = CgroupCounters::default();
            add(&mut c, f.name, text);
            c
        };
        let (after, before, base) = (one(f.after), one(f.before), one(f.baseline));
        match f.name {
            "memory.peak" | "memory.max_usage_in_bytes" => {
                let (peak, base) = (after.memory_peak_cgroup, base.memory_peak_cgroup);
                c.memory_peak_cgroup = peak.zip(base).map(|(p, b)| p.saturating_sub(b));
            }
            "memory.events" | "memory.oom_control" => {
                c.oom_kills = after.oom_kills.map(|n| n.saturating_sub(before.oom_kills.unwrap_or(0)))
            }
            "cpu.stat" | "cpuacct.usage" => c.time_cpu_cgroup = since(after.time_cpu_cgroup, before.time_cpu_cgroup),
            "cpu.pressure" => c.pressure_cpu_some = since(after.pressure_cpu_some, before.pressure_cpu_some),
            "memory.pressure" => {
                c.pressure_memory_some = since(after.pressure_memory_some, before.pressure_memory_some)
            }
            "io.pressure" => c.pressure_io_some = since(after.pressure_io_some, before.pressure_io_some),
            _ => {}
        }
    }
    c
}

/// A cumulative figure's growth since `before` (absent: zero, a new group's start).
fn since(after: Option<f64>, before: Option<f64>) -> Option<f64> {
    after.map(|a| (a - before.unwrap_or(0.0)).max(0.0))
}

fn number(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// The value of `name` in a flat-keyed file ("name value" lines).
fn key(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// PSI's "some" total (microseconds) as seconds: the time at least one task of the group stalled.
fn stall(text: &str) -> Option<f64> {
    let some = text.lines().find(|l| l.starts_with("some "))?;
    let total = some.split_whitespace().find_map(|f| f.strip_prefix("total="))?;
    total.parse::<u64>().ok().map(|us| us as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
    }

    /// The v2 memory controller is not on the development machine (its memory is in v1): these are
    /// contents recorded on a cgroup v2 machine (Linux 6.12), the only test of this path here.
    #[test]
    fn reads_v2_files_as_recorded_on_a_v2_machine() {
        let c = counters(&files(&[
            ("memory.peak", "421527552\n"),
            ("memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n"),
            ("pids.peak", "3\n"),
            ("cpu.stat", "usage_usec 1520331\nuser_usec 1400000\nsystem_usec 120331\nnr_periods 0\n"),
            ("cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=2501\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1200\n"),
            ("memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
            ("io.pressure", "some avg10=1.20 avg60=0.30 avg300=0.05 total=150000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=100000\n"),
        ]));
        assert_eq!(c.memory_peak_cgroup, Some(421_527_552));
        assert_eq!(c.oom_kills, Some(1), "oom_kill, not oom or oom_group_kill");
        assert_eq!(c.processes_peak_cgroup, Some(3));
        assert_eq!(c.time_cpu_cgroup, Some(1.520331));
        assert_eq!(c.pressure_cpu_some, Some(0.002501), "the some line's total, not full's");
        assert_eq!(c.pressure_memory_some, Some(0.0));
        assert_eq!(c.pressure_io_some, Some(0.15));
    }

    /// As read on this machine's v1 memory and cpuacct hierarchies.
    #[test]
    fn reads_v1_files() {
        let c = counters(&files(&[
            ("memory.max_usage_in_bytes", "112480256\n"),
            ("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"),
            ("cpuacct.usage", "1500000\n"),
        ]));
        assert_eq!(c.memory_peak_cgroup, Some(112_480_256));
        assert_eq!(c.oom_kills, Some(2));
        assert_eq!(c.time_cpu_cgroup, Some(0.0015));
        assert_eq!(c.pressure_io_some, None, "no PSI in v1");
    }

    #[test]
    fn a_bench_run_is_the_difference_and_the_peak_above_its_start() {
        let around = |name, before, after, baseline| Around { name, before, after, baseline };
        let c = run_counters(&[
            around("memory.max_usage_in_bytes", "900\n", "5000\n", "1000\n"),
            around("memory.oom_control", "oom_kill 2\n", "oom_kill 3\n", ""),
            around("cpu.stat", "usage_usec 1000\n", "usage_usec 1500\n", ""),
            around("cpu.pressure", "", "some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n", ""),
        ]);
        assert_eq!(c.memory_peak_cgroup, Some(4000), "above what the group held at the reset");
        assert_eq!(c.oom_kills, Some(1));
        assert_eq!(c.time_cpu_cgroup, Some(0.0005));
        assert_eq!(c.pressure_cpu_some, Some(0.000007), "a new group starts at zero");
        let unreset = run_counters(&[around("memory.peak", "", "5000\n", "")]);
        assert_eq!(unreset.memory_peak_cgroup, None, "a peak that could not be reset is absent");
    }

    #[test]
    fn unreadable_contents_are_absent_not_zero() {
        let c =
            counters(&files(&[("memory.peak", ""), ("cpu.stat", "user_usec 5\n"), ("cpu.pressure", "full total=3")]));
        assert!(c.is_empty());
    }
}
