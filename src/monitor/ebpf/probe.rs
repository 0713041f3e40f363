//! What the kernel and denet's privileges allow: capabilities, tracefs, kernel settings, and plain reasons for failures.

use std::path::Path;

/// The reason when denet was built without eBPF support.
#[cfg(not(feature = "ebpf"))]
pub const NOT_BUILT: &str =
    "denet was built without eBPF support; rebuild with `cargo build --release --features ebpf` \
                             (needs clang, libelf-dev, zlib1g-dev and pkg-config)";

/// Capability bits (linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;
const CAP_DAC_READ_SEARCH: u32 = 2;

/// The effective capabilities of this process (`CapEff` in /proc/self/status).
pub fn effective_capabilities() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("CapEff:")).and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(0)
}

fn has(caps: u64, cap: u32) -> bool {
    caps & (1u64 << cap) != 0
}

/// The capabilities that matter, named, for doctor.
pub fn capability_summary() -> String {
    let caps = effective_capabilities();
    let names = [
        (CAP_SYS_ADMIN, "CAP_SYS_ADMIN"),
        (CAP_BPF, "CAP_BPF"),
        (CAP_PERFMON, "CAP_PERFMON"),
        (CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH"),
    ];
    let held: Vec<&str> = names.iter().filter(|(c, _)| has(caps, *c)).map(|(_, n)| *n).collect();
    if held.is_empty() {
        "none of CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH".to_string()
    } else {
        held.join(", ")
    }
}

/// Loading and attaching tracing programs needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN (root).
pub fn privileges() -> Result<(), String> {
    let caps = effective_capabilities();
    if has(caps, CAP_SYS_ADMIN) || (has(caps, CAP_BPF) && has(caps, CAP_PERFMON)) {
        return Ok(());
    }
    Err("eBPF needs root, or CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH on the binary \
         (sudo setcap cap_bpf,cap_perfmon,cap_dac_read_search+ep $(command -v denet)); see docs/ebpf.md"
        .to_string())
}

/// The kernel reports pids of the initial PID namespace; inside another one denet could not match them.
pub fn pid_namespace() -> Result<(), String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let levels = status.lines().find_map(|l| l.strip_prefix("NSpid:")).map_or(1, |v| v.split_whitespace().count());
    if levels > 1 {
        return Err("denet runs in a child PID namespace (a container), where the kernel's pids are not ours; \
                    run it in the host's PID namespace (e.g. docker run --pid=host)"
            .to_string());
    }
    Ok(())
}

/// Where the tracepoint definitions are: tracefs, or its older place under debugfs.
pub fn tracefs_root() -> Option<&'static Path> {
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"].into_iter().map(Path::new).find(|p| p.join("events").is_dir())
}

/// Make sure tracefs is mounted (libbpf finds tracepoint ids there), mounting it when denet may.
pub fn tracefs() -> Result<(), String> {
    if tracefs_root().is_some() {
        return Ok(());
    }
    mount_tracefs()?;
    match tracefs_root() {
        Some(_) => {
            log::info!("mounted tracefs on /sys/kernel/tracing (tracepoints are found there)");
            Ok(())
        }
        None => Err("tracefs is mounted but has no events directory".to_string()),
    }
}

#[cfg(target_os = "linux")]
fn mount_tracefs() -> Result<(), String> {
    let target = c"/sys/kernel/tracing";
    // SAFETY: constant NUL-terminated strings; a failed mount changes nothing.
    let rc = unsafe { libc::mount(c"nodev".as_ptr(), target.as_ptr(), c"tracefs".as_ptr(), 0, std::ptr::null()) };
    if rc == 0 {
        return Ok(());
    }
    Err(format!(
        "tracefs is not mounted and denet cannot mount it ({}); run `mount -t tracefs nodev /sys/kernel/tracing` as root",
        std::io::Error::last_os_error()
    ))
}

#[cfg(not(target_os = "linux"))]
fn mount_tracefs() -> Result<(), String> {
    Err("tracefs exists only on Linux".to_string())
}

/// The byte offset of `field` in a tracepoint's record, from its `format` file.
#[cfg(feature = "ebpf")]
pub fn tracepoint_field_offset(group: &str, event: &str, field: &str) -> Option<u32> {
    let format = std::fs::read_to_string(tracefs_root()?.join("events").join(group).join(event).join("format")).ok()?;
    format.lines().find_map(|line| {
        let decl = line.trim().strip_prefix("field:")?;
        let (decl, rest) = decl.split_once(';')?;
        let name = decl.split_whitespace().last()?.trim_start_matches('*');
        if name != field {
            return None;
        }
        rest.trim().strip_prefix("offset:")?.split(';').next()?.trim().parse().ok()
    })
}

/// Whether a tracepoint exists in this kernel.
pub fn tracepoint_exists(group: &str, event: &str) -> Result<(), String> {
    let root = tracefs_root().ok_or("tracefs is not mounted")?;
    if root.join("events").join(group).join(event).join("id").exists() {
        Ok(())
    } else {
        Err(format!("this kernel has no {group}:{event} tracepoint"))
    }
}

/// A kernel setting from /proc/sys, as text.
pub fn sysctl(name: &str) -> Option<String> {
    let path = Path::new("/proc/sys").join(name.replace('.', "/"));
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

/// Why kprobes fail here, in words a user can act on.
#[cfg(feature = "ebpf")]
pub fn kprobe_failure(e: &anyhow::Error) -> String {
    if !Path::new("/sys/bus/event_source/devices/kprobe/type").exists() {
        return "this kernel has no kprobe support (CONFIG_KPROBES is off: \
                /sys/bus/event_source/devices/kprobe is missing)"
            .to_string();
    }
    explain(e)
}

/// A one-line reason for a load or attach failure (libbpf's own log goes to `DENET_LOG=debug`).
#[cfg(feature = "ebpf")]
pub fn explain(e: &anyhow::Error) -> String {
    let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    let text = chain.join(": ");
    let lower = text.to_lowercase();
    if lower.contains("operation not permitted") || lower.contains("permission denied") {
        return format!("{text} (needs root, or CAP_BPF and CAP_PERFMON; see `denet doctor`)");
    }
    text
}
