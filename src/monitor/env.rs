//! The environment record: the machine a measurement was taken on, so results can be compared honestly.

use crate::profile::EnvRecord;

impl EnvRecord {
    /// Read the record of this machine now.
    pub fn capture() -> EnvRecord {
        #[cfg(target_os = "linux")]
        let mut rec = linux::base();
        #[cfg(not(target_os = "linux"))]
        let rec = portable();
        #[cfg(target_os = "linux")]
        linux::fill(&mut rec);
        rec
    }
}

/// What sysinfo knows, where /proc and sysfs are not there to ask.
#[cfg(not(target_os = "linux"))]
fn portable() -> EnvRecord {
    let mut sys = sysinfo::System::new();
    sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing().with_frequency());
    sys.refresh_memory();
    EnvRecord {
        hostname: sysinfo::System::host_name(),
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        kernel: sysinfo::System::kernel_version(),
        cpu_model: sys.cpus().first().map(|c| c.brand().trim().to_string()).filter(|s| !s.is_empty()),
        logical_cpus: std::thread::available_parallelism().map_or(sys.cpus().len(), |n| n.get()).max(sys.cpus().len()),
        physical_cores: sysinfo::System::physical_core_count(),
        memory_total_bytes: Some(sys.total_memory()).filter(|&m| m > 0),
        cpu_mhz_current: sys.cpus().first().map(|c| c.frequency() as f64).filter(|&f| f > 0.0),
        ..EnvRecord::default()
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::BTreeSet;
    use std::fs;
    use std::path::Path;

    use super::EnvRecord;

    const CPU: &str = "/sys/devices/system/cpu";

    fn read(path: impl AsRef<Path>) -> Option<String> {
        fs::read_to_string(path).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    }

    fn khz_to_mhz(s: Option<String>) -> Option<f64> {
        s.and_then(|v| v.parse::<f64>().ok()).map(|k| k / 1000.0)
    }

    /// The basics from one read of each /proc file: `denet bench` captures this at every start, and
    /// sysinfo read /proc/cpuinfo four times for it (a millisecond of CPU).
    pub fn base() -> EnvRecord {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo.lines().find_map(|l| {
                let (key, value) = l.split_once(':')?;
                (key.trim() == name).then(|| value.trim().to_string()).filter(|v| !v.is_empty())
            })
        };
        let processors = cpuinfo.lines().filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"));
        let memory_kib = read("/proc/meminfo").and_then(|m| {
            m.lines().find_map(|l| l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        });
        EnvRecord {
            hostname: read("/proc/sys/kernel/hostname"),
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            kernel: read("/proc/sys/kernel/osrelease"),
            cpu_model: field("model name").or_else(|| field("Model")),
            logical_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()).max(processors.count()),
            memory_total_bytes: memory_kib.map(|k| k * 1024).filter(|&m| m > 0),
            cpu_mhz_current: field("cpu MHz").and_then(|v| v.parse::<f64>().ok()).filter(|&f| f > 0.0),
            ..EnvRecord::default()
        }
    }

    /// Fill in what sysfs and /proc know beyond the basics.
    pub fn fill(rec: &mut EnvRecord) {
        let online = cpu_ids(&read(format!("{CPU}/online")).unwrap_or_default());
        let topo = |cpu: usize, f: &str| read(format!("{CPU}/cpu{cpu}/topology/{f}"));
        let packages: BTreeSet<String> = online.iter().filter_map(|&c| topo(c, "physical_package_id")).collect();
        let cores: BTreeSet<(String, String)> =
            online.iter().filter_map(|&c| Some((topo(c, "physical_package_id")?, topo(c, "core_id")?))).collect();
        if !packages.is_empty() {
            rec.sockets = Some(packages.len());
        }
        if !cores.is_empty() {
            rec.physical_cores = Some(cores.len());
            rec.threads_per_core = Some(online.len().div_ceil(cores.len()));
        }
        rec.smt = read(format!("{CPU}/smt/control"));
        rec.numa_nodes = fs::read_dir("/sys/devices/system/node")
            .ok()
            .map(|d| d.flatten().filter(|e| is_numbered(&e.file_name().to_string_lossy(), "node")).count())
            .filter(|&n| n > 0);
        let governors: BTreeSet<String> =
            online.iter().filter_map(|c| read(format!("{CPU}/cpu{c}/cpufreq/scaling_governor"))).collect();
        rec.governors = governors.into_iter().collect();
        rec.cpu_mhz_min = khz_to_mhz(read(format!("{CPU}/cpu0/cpufreq/cpuinfo_min_freq")));
        rec.cpu_mhz_max = khz_to_mhz(read(format!("{CPU}/cpu0/cpufreq/cpuinfo_max_freq")));
        if let Some(cur) = khz_to_mhz(read(format!("{CPU}/cpu0/cpufreq/scaling_cur_freq"))) {
            rec.cpu_mhz_current = Some(cur);
        }
        rec.transparent_hugepages = read("/sys/kernel/mm/transparent_hugepage/enabled").and_then(|s| bracketed(&s));
        rec.affinity = affinity();
    }

    fn is_numbered(name: &str, prefix: &str) -> bool {
        name.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    }

    /// The selected choice in a sysfs list like "always [madvise] never".
    fn bracketed(s: &str) -> Option<String> {
        let start = s.find('[')? + 1;
        let end = s[start..].find(']')? + start;
        Some(s[start..end].to_string())
    }

    /// CPU ids from a list like "0-3,6".
    pub fn cpu_ids(list: &str) -> Vec<usize> {
        list.split(',')
            .filter_map(|part| {
                let mut it = part.trim().splitn(2, '-');
                let a: usize = it.next()?.parse().ok()?;
                let b: usize = it.next().map_or(Some(a), |b| b.parse().ok())?;
                Some(a..=b)
            })
            .flatten()
            .collect()
    }

    /// Our inherited CPU affinity, as the kernel lists it.
    fn affinity() -> Option<String> {
        let status = fs::read_to_string("/proc/self/status").ok()?;
        status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).map(|s| s.trim().to_string())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn parses_cpu_lists_and_bracketed_choices() {
            assert_eq!(cpu_ids("0-3,6"), vec![0, 1, 2, 3, 6]);
            assert_eq!(cpu_ids("0"), vec![0]);
            assert_eq!(cpu_ids(""), Vec::<usize>::new());
            assert_eq!(bracketed("always [madvise] never").as_deref(), Some("madvise"));
        }
    }
}
