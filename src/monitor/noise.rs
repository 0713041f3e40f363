//! What on this machine makes benchmarks noisy (pyperf's `system show`, BenchExec's warnings): CPU frequency, turbo, SMT, ASLR, load, swap, throttling, isolated CPUs, perf_event_paranoid, each with its fix.

use std::fs;

use crate::profile::NoiseFinding;

const CPU: &str = "/sys/devices/system/cpu";

fn read(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn finding(check: &str, noisy: bool, found: String, fix: &str) -> NoiseFinding {
    NoiseFinding { check: check.into(), found, fix: if noisy { fix.into() } else { String::new() }, noisy }
}

/// Every check, noisy or not (`denet doctor --bench`); the noisy ones go into every environment record.
/// `name_busy` watches the other processes for 100 ms to name the busiest under load: doctor does,
/// bench does not, as that would put 100 ms into every loaded start-up.
pub fn findings(name_busy: bool) -> Vec<NoiseFinding> {
    let cpus = online();
    let load = load(&cpus, name_busy);
    let mut all = vec![governor(&cpus), frequency_limits(&cpus), turbo(), smt(), aslr(), load, swap()];
    all.extend([thermal(&cpus), isolated(), perf_paranoid()]);
    all.into_iter().flatten().collect()
}

/// The noisy findings only.
pub fn warnings() -> Vec<NoiseFinding> {
    findings(false).into_iter().filter(|f| f.noisy).collect()
}

fn online() -> Vec<usize> {
    read(&format!("{CPU}/online")).and_then(|l| super::affinity::parse_list(&l).ok()).unwrap_or_default()
}

fn governor(cpus: &[usize]) -> Option<NoiseFinding> {
    let mut govs: Vec<String> =
        cpus.iter().filter_map(|c| read(&format!("{CPU}/cpu{c}/cpufreq/scaling_governor"))).collect();
    govs.sort();
    govs.dedup();
    if govs.is_empty() {
        return Some(finding("governor", false, "no cpufreq here (a VM: the host sets the frequency)".into(), ""));
    }
    let noisy = govs.iter().any(|g| g != "performance");
    let fix = "sudo cpupower frequency-set -g performance";
    Some(finding("governor", noisy, format!("CPU frequency governor {}", govs.join(", ")), fix))
}

fn frequency_limits(cpus: &[usize]) -> Option<NoiseFinding> {
    let khz = |c: usize, f: &str| read(&format!("{CPU}/cpu{c}/cpufreq/{f}"))?.parse::<u64>().ok();
    let capped: Vec<usize> = cpus
        .iter()
        .copied()
        .filter(|&c| matches!((khz(c, "scaling_max_freq"), khz(c, "cpuinfo_max_freq")), (Some(s), Some(h)) if s < h))
        .collect();
    let c = *cpus.first()?;
    khz(c, "cpuinfo_max_freq")?;
    let found = if capped.is_empty() {
        "no CPU's maximum frequency is capped below the hardware's".to_string()
    } else {
        format!("maximum frequency capped below the hardware's on CPUs {}", super::affinity::format_list(&capped))
    };
    let fix = "sudo cpupower frequency-set -u <the cpuinfo_max_freq>";
    Some(finding("frequency_limits", !capped.is_empty(), found, fix))
}

fn turbo() -> Option<NoiseFinding> {
    let (on, how) = if let Some(v) = read(&format!("{CPU}/intel_pstate/no_turbo")) {
        (v == "0", "echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo")
    } else {
        let v = read(&format!("{CPU}/cpufreq/boost"))?;
        (v == "1", "echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost")
    };
    let found = if on { "turbo/boost on: the clock follows temperature and load" } else { "turbo/boost off" };
    Some(finding("turbo", on, found.into(), how))
}

fn smt() -> Option<NoiseFinding> {
    let active = read(&format!("{CPU}/smt/active"))?;
    let on = active == "1";
    let found = if on { "SMT (hyper-threading) active: a sibling thread shares the core" } else { "SMT off" };
    let fix = "pin to one thread per core with --cpus, or: echo off | sudo tee /sys/devices/system/cpu/smt/control";
    Some(finding("smt", on, found.into(), fix))
}

fn aslr() -> Option<NoiseFinding> {
    let v = read("/proc/sys/kernel/randomize_va_space")?;
    let on = v != "0";
    let found = format!(
        "ASLR {} (kernel.randomize_va_space = {v}): layouts, and so cache behaviour, vary by run",
        if on { "on" } else { "off" }
    );
    Some(finding("aslr", on, found, "sudo sysctl kernel.randomize_va_space=0 (while benchmarking)"))
}

/// The 1-minute load against the CPUs, and the busiest other processes right now.
fn load(cpus: &[usize], name_busy: bool) -> Option<NoiseFinding> {
    let load1: f64 = read("/proc/loadavg")?.split_whitespace().next()?.parse().ok()?;
    // Above a tenth of the machine busy, other work is in the numbers.
    let noisy = load1 > 0.1 * cpus.len().max(1) as f64 + 0.5;
    let mut found = format!("load average {load1:.2} over 1 minute on {} CPUs", cpus.len());
    if noisy && name_busy {
        let busy = busy_processes();
        if !busy.is_empty() {
            found += &format!("; busiest now: {}", busy.join(", "));
        }
    } else if noisy {
        found += " (`denet doctor --bench` names the busiest processes)";
    }
    Some(finding("load", noisy, found, "stop the busy processes, or benchmark on an idle machine or isolated CPUs"))
}

/// The three processes (not this one) that used the most CPU time over 100 ms, as "name (pid) 93%".
fn busy_processes() -> Vec<String> {
    let snapshot = || -> Vec<(u32, String, u64)> {
        let me = std::process::id();
        let Ok(dir) = fs::read_dir("/proc") else { return Vec::new() };
        dir.flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&pid| pid != me)
            .filter_map(|pid| {
                let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                let (name, rest) =
                    (stat.get(stat.find('(')? + 1..stat.rfind(')')?)?, stat.get(stat.rfind(')')? + 2..)?);
                let f: Vec<&str> = rest.split_whitespace().collect();
                Some((pid, name.to_string(), f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?))
            })
            .collect()
    };
    let before = snapshot();
    std::thread::sleep(std::time::Duration::from_millis(100));
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut used: Vec<(f64, String)> = snapshot()
        .into_iter()
        .filter_map(|(pid, name, t)| {
            let (_, _, t0) = before.iter().find(|(p, _, _)| *p == pid)?;
            let pct = 100.0 * t.saturating_sub(*t0) as f64 / hz / 0.1;
            (pct >= 10.0).then(|| (pct, format!("{name} ({pid}) {pct:.0}%")))
        })
        .collect();
    used.sort_by(|a, b| b.0.total_cmp(&a.0));
    used.into_iter().take(3).map(|(_, s)| s).collect()
}

fn swap() -> Option<NoiseFinding> {
    let meminfo = read("/proc/meminfo")?;
    let kib = |key: &str| -> Option<u64> {
        meminfo.lines().find_map(|l| l.strip_prefix(key))?.trim().trim_end_matches("kB").trim().parse().ok()
    };
    let used = kib("SwapTotal:")?.saturating_sub(kib("SwapFree:")?);
    let found = format!("{} MiB of swap in use", used / 1024);
    Some(finding("swap", used > 0, found, "free memory, or sudo swapoff -a && sudo swapon -a"))
}

fn thermal(cpus: &[usize]) -> Option<NoiseFinding> {
    let counts: Vec<u64> = cpus
        .iter()
        .filter_map(|c| read(&format!("{CPU}/cpu{c}/thermal_throttle/core_throttle_count"))?.parse().ok())
        .collect();
    if counts.is_empty() {
        return None;
    }
    let total: u64 = counts.iter().sum();
    let found = format!("{total} thermal throttling events since boot");
    Some(finding("thermal", total > 0, found, "cool the machine, or turn turbo off so it stays below the limit"))
}

fn isolated() -> Option<NoiseFinding> {
    let list = read(&format!("{CPU}/isolated"));
    let found = match &list {
        Some(l) => format!("isolated CPUs {l}: benchmark on them with --cpus {l}"),
        None => "no isolated CPUs (isolcpus= on the kernel command line keeps other work off some)".into(),
    };
    Some(finding("isolated_cpus", false, found, ""))
}

fn perf_paranoid() -> Option<NoiseFinding> {
    let v: i64 = read("/proc/sys/kernel/perf_event_paranoid")?.parse().ok()?;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let blocked = v >= 2 && !root;
    let found = format!("kernel.perf_event_paranoid = {v}{}", if root { " (root: counters open)" } else { "" });
    Some(finding(
        "perf_event_paranoid",
        blocked,
        found,
        "sudo sysctl kernel.perf_event_paranoid=1, or give denet CAP_PERFMON",
    ))
}
