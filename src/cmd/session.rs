//! What `run` and `attach` share: opening the outputs, the header records, and the end (summary record and table).

use std::sync::Arc;

use crate::monitor::ebpf::{self, Kernel, PartStatus};
use crate::monitor::{source, Backend, Finished, MonitorConfig};
use crate::options::MonitorOptions;
use crate::profile::EnvRecord;
use crate::profile::{Capability, Summary};
use crate::recording::{Metadata, Record};
use crate::render::jsonl::RecordWriter;
use crate::render::status::{Mode, StatusLine};
use crate::render::{table, MonitorSink};

/// Open the recording destinations and the status line (none when the command writes to denet's stderr).
pub fn open_sink(
    opts: &MonitorOptions,
    stop_when_stdout_closes: bool,
    child_shares_stderr: bool,
) -> anyhow::Result<MonitorSink> {
    let out = &opts.output;
    let writer = RecordWriter::open(out.json_stdout, out.file.as_deref(), stop_when_stdout_closes)?;
    let status = out.human.then(|| StatusLine::new(Mode::for_stderr(child_shares_stderr)));
    Ok(MonitorSink { writer, status })
}

/// The monitor configuration for these options.
pub fn config(opts: &MonitorOptions, count_from: crate::monitor::CountFrom) -> MonitorConfig {
    MonitorConfig {
        schedule: opts.schedule,
        backend: opts.backend,
        count_from,
        duration: opts.duration,
        origin: std::time::Instant::now(),
        kernel: None,
    }
}

/// The eBPF programs when `--ebpf` asked for them and they could be loaded, and what they can measure here.
pub struct KernelSetup {
    pub kernel: Option<Arc<Kernel>>,
    pub checks: Vec<PartStatus>,
    pub capabilities: Vec<Capability>,
}

/// Load the eBPF programs for `--ebpf` (warning once about anything that cannot work).
pub fn kernel(opts: &MonitorOptions) -> KernelSetup {
    if !opts.ebpf {
        return KernelSetup { kernel: None, checks: Vec::new(), capabilities: Vec::new() };
    }
    let opened = ebpf::open();
    KernelSetup { kernel: opened.kernel.map(Arc::new), checks: opened.checks, capabilities: opened.capabilities }
}

/// Make every process of the tree rooted at `pid` an eBPF target; the kernel follows their forks from
/// then on. Returns how many were put into the tree's live-process count (see [`with_kernel_tree`]).
pub fn watch_tree(kernel: &Kernel, backend: Backend, pid: u32) -> u64 {
    let mut joined = 0;
    for p in source::open(backend, pid).scan() {
        // Into the count first, so that a fork from now on is counted in the kernel, not found again here.
        joined += u64::from(kernel.join_tree(p.pid, pid));
        if let Err(e) = kernel.watch(p.pid, ebpf::Role::Tree) {
            log::debug!("{e:#}");
        }
    }
    joined
}

/// The summary with what eBPF counted exactly of the tree rooted at `root`: its context switches
/// (off-CPU program), the processes it had (lifecycle) and its peak of live processes (processes
/// program). `joined`: the processes denet found alive and put into the count (`attach`); a tree
/// that `run` started has its command, which the kernel saw forked.
pub fn with_kernel_tree(mut summary: Summary, kernel: &Kernel, root: u32, joined: u64) -> Summary {
    let snapshot = kernel.snapshot();
    if let Some(s) = snapshot.switches {
        summary = summary.with_ebpf_switches(s.voluntary, s.involuntary);
    }
    summary = summary.with_ebpf_processes(joined.max(1));
    if kernel.has_processes() {
        let forked = kernel.take_tree_peak(root).unwrap_or(0);
        summary = summary.with_ebpf_processes_peak((joined as i64 + forked).max(0) as u64);
    }
    summary
}

/// Read the tree once to learn what can be measured, and warn once about what cannot.
pub fn probe(backend: Backend, pid: u32) -> Vec<Capability> {
    let mut src = source::open(backend, pid);
    src.scan();
    let caps = src.capabilities();
    for c in caps.iter().filter(|c| !c.available) {
        log::warn!("{} not measured: {}", c.metric, c.reason.as_deref().unwrap_or("unavailable"));
    }
    caps
}

/// The metadata record, and the env record when asked for.
pub fn write_header(sink: &mut MonitorSink, opts: &MonitorOptions, meta: Metadata) {
    sink.writer.write(&Record::Metadata(meta));
    if opts.output.env_record {
        sink.writer.write(&Record::Env(Box::new(EnvRecord::capture())));
    }
}

/// Metadata common to both commands.
pub fn metadata(
    opts: &MonitorOptions,
    mode: &str,
    pid: u32,
    command: Vec<String>,
    capabilities: Vec<Capability>,
    child_stdout: &str,
) -> Metadata {
    Metadata {
        denet_version: env!("CARGO_PKG_VERSION").to_string(),
        mode: mode.to_string(),
        pid,
        command,
        start_time: chrono::Utc::now().to_rfc3339(),
        interval_ms: opts.schedule.base.as_millis() as u64,
        max_interval_ms: opts.schedule.max.as_millis() as u64,
        backend: match opts.backend {
            Backend::Procfs => "procfs",
            Backend::Sysinfo => "sysinfo",
        }
        .to_string(),
        capabilities,
        child_stdout: child_stdout.to_string(),
        ebpf: Vec::new(),
    }
}

/// The metrics a list of capabilities says cannot be measured.
pub fn unavailable(caps: &[Capability]) -> Vec<String> {
    caps.iter().filter(|c| !c.available).map(|c| c.metric.clone()).collect()
}

/// Write the summary record and the table; report a recording that could not be written.
/// A metric that became unmeasurable during the run (a process of the tree made its /proc
/// files private) and was not in `reported` at the start gets its one warning now, and goes
/// into the summary's `unavailable` list.
pub fn finish(
    mut finished: Finished<MonitorSink>,
    mut summary: Summary,
    opts: &MonitorOptions,
    reported: &[String],
) -> anyhow::Result<()> {
    summary.unavailable =
        finished.capabilities.iter().filter(|c| !c.available && !reported.contains(&c.metric)).cloned().collect();
    for c in &summary.unavailable {
        log::warn!("{} not measured: {}", c.metric, c.reason.as_deref().unwrap_or("unavailable"));
    }
    let summary = &summary;
    let sink = &mut finished.sink;
    if let Some(status) = &mut sink.status {
        status.clear();
    }
    sink.writer.write(&Record::Summary(summary.clone()));
    if opts.output.human {
        // Not through `note!`: the table is already fitted to the width.
        let width = crate::render::columns::Screen::detect(true).width;
        let _ = std::io::Write::write_fmt(&mut std::io::stderr(), format_args!("{}\n", table::render(summary, width)));
    }
    match sink.writer.take_error() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
