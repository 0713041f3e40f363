//! `denet attach`: monitor a running process tree until it exits, Ctrl-C, or `--duration`.

use std::process::ExitCode;

use super::session;
use crate::error::UserError;
use crate::monitor::{Backend, CountFrom, Monitor};
use crate::options::MonitorOptions;

pub fn attach(opts: &MonitorOptions, pid: u32) -> anyhow::Result<ExitCode> {
    check_readable(opts.backend, pid)?;
    let mut sink = session::open_sink(opts, true, false)?;
    let mut caps = session::probe(opts.backend, pid);
    let kernel = session::kernel(opts);
    // Before the metadata goes out: whoever waits for it may make the tree fork or exec at once.
    let joined = kernel.kernel.as_ref().map(|k| session::watch_tree(k, opts.backend, pid));
    let programs = kernel.kernel.clone();
    caps.extend(kernel.capabilities);
    let reported = session::unavailable(&caps);
    let command = command_of(pid);
    if opts.output.human {
        note!("denet: attached to {}", crate::render::table::attached(pid, &command));
    }
    let mut meta = session::metadata(opts, "attach", pid, command, caps, "not ours (attached)");
    meta.ebpf = kernel.checks;
    session::write_header(&mut sink, opts, meta);
    let mut config = session::config(opts, CountFrom::FirstRead);
    config.kernel = kernel.kernel;
    let monitor = Monitor::start(pid, config, sink)?;
    let finished = interrupt::wait(monitor)?;
    let mut summary = finished.summary.clone();
    if let (Some(k), Some(joined)) = (&programs, joined) {
        summary = session::with_kernel_tree(summary, k, pid, joined);
    }
    session::finish(finished, summary, opts, &reported)?;
    Ok(ExitCode::SUCCESS)
}

/// Fail early, with the reason, when the process is missing or not ours to read.
fn check_readable(backend: Backend, pid: u32) -> Result<(), UserError> {
    #[cfg(target_os = "linux")]
    if backend == Backend::Procfs {
        use procfs::ProcError;
        let denied = |e: &ProcError| matches!(e, ProcError::PermissionDenied(_));
        let refused = |file: &str| not_permitted(pid, format!("/proc/{pid}/{file}"));
        let proc = procfs::process::Process::new(pid as i32).map_err(|e| {
            if denied(&e) {
                refused("")
            } else {
                UserError::NoSuchProcess(pid)
            }
        })?;
        proc.stat().map_err(|e| if denied(&e) { refused("stat") } else { UserError::NoSuchProcess(pid) })?;
        return match proc.io() {
            Ok(_) => Ok(()),
            Err(e) if denied(&e) => Err(refused("io")),
            Err(_) => Err(UserError::NoSuchProcess(pid)),
        };
    }
    let _ = backend;
    let mut sys = sysinfo::System::new();
    let p = sysinfo::Pid::from_u32(pid);
    sys.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[p]), true);
    sys.process(p).map(|_| ()).ok_or(UserError::NoSuchProcess(pid))
}

/// The refusal, with what to do about it: as root, the missing privilege (reading another process's
/// I/O counters is a ptrace read check); otherwise, whose process it is.
#[cfg(target_os = "linux")]
fn not_permitted(pid: u32, file: String) -> UserError {
    // SAFETY: geteuid has no preconditions.
    let why = match (unsafe { libc::geteuid() } == 0, has_cap_sys_ptrace()) {
        (true, true) => {
            "denet runs as root with CAP_SYS_PTRACE, so a security policy (an LSM, or the process being \
             protected by the kernel) forbids it; attach to one of its children instead"
        }
        (true, false) => "even root needs ptrace read access for that: run denet with CAP_SYS_PTRACE",
        _ => "run denet as the process owner or as root",
    };
    UserError::ProcessNotPermitted { pid, file, why }
}

/// Whether denet holds CAP_SYS_PTRACE (bit 19 of CapEff in /proc/self/status).
#[cfg(target_os = "linux")]
fn has_cap_sys_ptrace() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let eff = status.lines().find_map(|l| l.strip_prefix("CapEff:")).map(str::trim).unwrap_or("0");
    u64::from_str_radix(eff, 16).is_ok_and(|caps| caps & (1 << 19) != 0)
}

/// The command line of `pid`, for the metadata.
fn command_of(pid: u32) -> Vec<String> {
    let mut sys = sysinfo::System::new();
    let p = sysinfo::Pid::from_u32(pid);
    sys.refresh_processes_specifics(
        sysinfo::ProcessesToUpdate::Some(&[p]),
        true,
        sysinfo::ProcessRefreshKind::nothing().with_cmd(sysinfo::UpdateKind::Always),
    );
    sys.process(p).map(|p| p.cmd().iter().map(|s| s.to_string_lossy().into_owned()).collect()).unwrap_or_default()
}

#[cfg(unix)]
mod interrupt {
    use crate::monitor::{Finished, Monitor};
    use crate::render::MonitorSink;

    /// Run until the monitor stops by itself or Ctrl-C/SIGTERM asks it to (then a final sample is taken).
    pub fn wait(monitor: Monitor<MonitorSink>) -> anyhow::Result<Finished<MonitorSink>> {
        let mut signals = signal_hook::iterator::Signals::new([libc::SIGINT, libc::SIGTERM, libc::SIGHUP])?;
        let handle = signals.handle();
        let stopper = monitor.stopper();
        let waiter = std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                stopper.stop();
            }
        });
        let finished = monitor.join();
        handle.close();
        let _ = waiter.join();
        Ok(finished)
    }
}

#[cfg(not(unix))]
mod interrupt {
    use crate::monitor::{Finished, Monitor};
    use crate::render::MonitorSink;

    pub fn wait(monitor: Monitor<MonitorSink>) -> anyhow::Result<Finished<MonitorSink>> {
        Ok(monitor.join())
    }
}
