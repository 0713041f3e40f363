//! What one monitor tick costs: a scan of a process tree plus the differencing into a sample.
//!
//! Starts a tree of N processes (this program as the parent, N-1 `sleep` children, in a
//! process group of its own), scans it until all N processes are visible, then times K
//! ticks exactly as the monitor thread does them (`ProcessSource::scan` followed by
//! `TreeAccumulator::sample`), prints min/median/p95/mean per tick in microseconds, and
//! kills the tree.
//!
//! Usage: `cargo run --release --example tick_cost -- [OPTIONS]`
//!   --procs N        processes in the tree, the parent included (default 100)
//!   --ticks K        ticks to time (default 200)
//!   --gap-ms MS      pause between ticks, as between real samples (default 10; 0 = back to back)
//!   --backend NAME   procfs (default on Linux) or sysinfo
//!   --breakdown      also time each /proc read of one tick separately, per process: as a
//!                    tick does it (held files, pread, minimal parsers), through the procfs
//!                    crate (open, read, parse, close), and pread alone (the kernel's share)

use std::hint::black_box;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use denet::sampler::{open, Backend, ProcessSource};
use denet::sampler::{CountFrom, TreeAccumulator};

/// How long the tree's processes live if nothing kills them.
const TREE_SECONDS: &str = "60";
/// Give up waiting for the tree to appear after this long.
const VISIBLE_TIMEOUT: Duration = Duration::from_secs(30);

struct Options {
    procs: usize,
    ticks: usize,
    gap: Duration,
    backend: Backend,
    breakdown: bool,
}

fn usage(why: &str) -> ! {
    eprintln!("tick_cost: {why}");
    eprintln!("usage: tick_cost [--procs N] [--ticks K] [--gap-ms MS] [--backend procfs|sysinfo] [--breakdown]");
    std::process::exit(2)
}

fn parse_options(args: &[String]) -> Options {
    let mut o = Options {
        procs: 100,
        ticks: 200,
        gap: Duration::from_millis(10),
        backend: Backend::native(),
        breakdown: false,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let number = |v: String| v.parse::<usize>().unwrap_or_else(|_| usage(&format!("{flag}: not a number: {v}")));
        match flag.as_str() {
            "--procs" => o.procs = number(value()),
            "--ticks" => o.ticks = number(value()),
            "--gap-ms" => o.gap = Duration::from_millis(number(value()) as u64),
            "--backend" => {
                o.backend = match value().as_str() {
                    "procfs" => Backend::Procfs,
                    "sysinfo" => Backend::Sysinfo,
                    other => usage(&format!("unknown backend {other}")),
                }
            }
            "--breakdown" => o.breakdown = true,
            "-h" | "--help" => usage("time the monitor's tick"),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if o.procs == 0 || o.ticks == 0 {
        usage("--procs and --ticks must be at least 1");
    }
    o
}

/// The tree's parent: start `children` sleeping children and wait for them.
fn parent(children: usize) {
    let mut kids: Vec<Child> = (0..children)
        .map(|_| Command::new("sleep").arg(TREE_SECONDS).spawn().expect("tick_cost: cannot start sleep"))
        .collect();
    for k in &mut kids {
        let _ = k.wait();
    }
}

/// Start the tree in a process group of its own, so that one signal ends all of it.
fn start_tree(procs: usize) -> Child {
    use std::os::unix::process::CommandExt;
    Command::new(std::env::current_exe().expect("own path"))
        .args(["__parent", &(procs - 1).to_string()])
        .process_group(0)
        .spawn()
        .expect("tick_cost: cannot start the tree")
}

fn kill_tree(mut root: Child) {
    // SAFETY: kill(2) on our own process group; no memory is involved.
    unsafe {
        libc::kill(-(root.id() as i32), libc::SIGKILL);
    }
    let _ = root.wait();
}

/// Scan until every process of the tree is visible and has become `sleep` (exec'd), without a fixed sleep.
fn wait_visible(source: &mut dyn ProcessSource, root: u32, procs: usize) -> usize {
    let start = Instant::now();
    let mut scans = 0;
    loop {
        let seen = source.scan();
        scans += 1;
        let ready = seen.len() == procs && seen.iter().all(|p| p.pid == root || p.name == "sleep");
        if ready {
            return scans;
        }
        if start.elapsed() > VISIBLE_TIMEOUT {
            eprintln!("tick_cost: only {} of {procs} processes visible after {VISIBLE_TIMEOUT:?}", seen.len());
            std::process::exit(1);
        }
        std::thread::yield_now();
    }
}

/// CPU time used by the calling thread so far.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec that we own.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

struct Stats {
    min: f64,
    median: f64,
    p95: f64,
    mean: f64,
}

/// Nearest-rank statistics of `v` (microseconds).
fn stats(v: &[f64]) -> Stats {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = |q: f64| s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1];
    Stats { min: s[0], median: rank(0.5), p95: rank(0.95), mean: s.iter().sum::<f64>() / s.len() as f64 }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("__parent") {
        parent(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(0));
        return;
    }
    let o = parse_options(&args);
    let tree = start_tree(o.procs);
    let root = tree.id();
    let mut source = open(o.backend, root);
    let warmup_scans = wait_visible(source.as_mut(), root, o.procs);

    let mut acc = TreeAccumulator::new(CountFrom::Zero);
    let start = Instant::now();
    let mut last = start;
    black_box(acc.sample(&source.scan(), 0.0, 0.0));

    let (mut scan_us, mut diff_us, mut tick_us, mut cpu_us) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut short_ticks = 0;
    let mut pids = Vec::new();
    for _ in 0..o.ticks {
        if !o.gap.is_zero() {
            std::thread::sleep(o.gap);
        }
        let cpu0 = thread_cpu();
        let t0 = Instant::now();
        let procs = source.scan();
        let t1 = Instant::now();
        let sample = acc.sample(&procs, (t0 - start).as_secs_f64(), (t0 - last).as_secs_f64());
        let t2 = Instant::now();
        let cpu1 = thread_cpu();
        black_box(sample);
        last = t0;
        pids = procs.iter().map(|p| p.pid).collect();
        if procs.len() != o.procs {
            short_ticks += 1;
        }
        scan_us.push(micros(t1 - t0));
        diff_us.push(micros(t2 - t1));
        tick_us.push(micros(t2 - t0));
        cpu_us.push(micros(cpu1 - cpu0));
    }
    let breakdown = o.breakdown.then(|| breakdown(&pids));
    kill_tree(tree);

    let backend = match o.backend {
        Backend::Procfs => "procfs",
        Backend::Sysinfo => "sysinfo",
    };
    println!(
        "tick cost: {} processes, {} ticks, {} ms apart, backend {backend} (tree visible after {warmup_scans} scans)",
        o.procs,
        o.ticks,
        o.gap.as_millis()
    );
    println!("{:<22} {:>10} {:>10} {:>10} {:>10}", "microseconds per tick", "min", "median", "p95", "mean");
    for (name, v) in [
        ("tick (scan + sample)", &tick_us),
        ("  scan", &scan_us),
        ("  sample (differencing)", &diff_us),
        ("tick, thread CPU time", &cpu_us),
    ] {
        let s = stats(v);
        println!("{name:<22} {:>10.1} {:>10.1} {:>10.1} {:>10.1}", s.min, s.median, s.p95, s.mean);
    }
    let median = stats(&tick_us).median;
    println!("per process (median tick / processes): {:.1} us", median / o.procs as f64);
    if let Some(rows) = breakdown {
        print_breakdown(&rows, o.procs);
    }
    if short_ticks > 0 {
        eprintln!("tick_cost: warning: {short_ticks} ticks saw fewer than {} processes", o.procs);
    }
}

/// Rounds over every process for each read in `--breakdown`.
const BREAKDOWN_ROUNDS: usize = 50;

/// Microseconds per process of `op`, averaged over `BREAKDOWN_ROUNDS` passes over `items`.
fn per_item<T>(items: &[T], mut op: impl FnMut(&T)) -> f64 {
    let start = Instant::now();
    for _ in 0..BREAKDOWN_ROUNDS {
        items.iter().for_each(&mut op);
    }
    micros(start.elapsed()) / (BREAKDOWN_ROUNDS * items.len().max(1)) as f64
}

/// Time, per process, each read of a procfs tick, three ways: as a tick does it
/// (`denet::monitor::procfile::ProcFiles`: files held open, re-read with pread(2), minimal
/// parsers), the same files through the procfs crate (open, read, parse into its types,
/// close: how ticks read before), and held files re-read with pread(2) with no parsing (the
/// kernel's share). Rows marked (*) are not part of a single-threaded process's tick, rows
/// marked (+) only when the process ran since the last tick.
#[cfg(target_os = "linux")]
fn breakdown(pids: &[u32]) -> Vec<(&'static str, f64)> {
    use std::cell::RefCell;
    use std::fs::File;
    use std::os::unix::fs::FileExt;

    use denet::sampler::ProcFiles;
    use procfs::process::{Process, Task};

    let held: Vec<RefCell<ProcFiles>> =
        pids.iter().filter_map(|&pid| ProcFiles::open(pid).ok()).map(RefCell::new).collect();
    let mut rows = vec![
        ("tick: children", per_item(&held, |f| drop(black_box(f.borrow_mut().main_children())))),
        ("tick: stat", per_item(&held, |f| drop(black_box(f.borrow_mut().stat())))),
        (
            "tick: schedstat",
            per_item(&held, |f| {
                black_box(f.borrow_mut().schedstat());
            }),
        ),
        ("tick: status (+)", per_item(&held, |f| drop(black_box(f.borrow_mut().status())))),
        ("tick: io (+)", per_item(&held, |f| drop(black_box(f.borrow_mut().io())))),
    ];
    drop(held);
    let procs: Vec<(u32, Process)> =
        pids.iter().filter_map(|&pid| Some((pid, Process::new(pid as i32).ok()?))).collect();
    rows.extend([
        (
            "procfs crate: task/PID/children",
            per_item(&procs, |(pid, p)| {
                drop(black_box(p.task_from_tid(*pid as i32).and_then(|t: Task| t.children())));
            }),
        ),
        ("procfs crate: stat", per_item(&procs, |(_, p)| drop(black_box(p.stat())))),
        ("procfs crate: status", per_item(&procs, |(_, p)| drop(black_box(p.status())))),
        ("procfs crate: io", per_item(&procs, |(_, p)| drop(black_box(p.io())))),
        (
            "procfs crate: task/ listing (*)",
            per_item(&procs, |(_, p)| {
                if let Ok(tasks) = p.tasks() {
                    black_box(tasks.flatten().count());
                }
            }),
        ),
    ]);
    let mut buf = vec![0u8; 16 * 1024];
    for (name, file) in [
        ("pread only: task/PID/children", "task/{}/children"),
        ("pread only: stat", "stat"),
        ("pread only: status", "status"),
        ("pread only: io", "io"),
        ("pread only: schedstat", "schedstat"),
    ] {
        let files: Vec<File> = pids
            .iter()
            .filter_map(|pid| File::open(format!("/proc/{pid}/{}", file.replace("{}", &pid.to_string()))).ok())
            .collect();
        rows.push((name, per_item(&files, |f| drop(black_box(f.read_at(&mut buf, 0))))));
    }
    rows
}

#[cfg(not(target_os = "linux"))]
fn breakdown(_pids: &[u32]) -> Vec<(&'static str, f64)> {
    eprintln!("tick_cost: --breakdown reads /proc and needs Linux");
    Vec::new()
}

fn print_breakdown(rows: &[(&'static str, f64)], procs: usize) {
    println!();
    println!("breakdown: microseconds per process per read ({BREAKDOWN_ROUNDS} rounds over {procs} processes)");
    for (name, us) in rows {
        println!("  {name:<36} {us:>8.2}");
    }
    let sum = |prefix: &str, ran: bool| {
        let counted = |n: &str| n.starts_with(prefix) && !n.ends_with("(*)") && (ran || !n.ends_with("(+)"));
        rows.iter().filter(|(n, _)| counted(n)).map(|(_, us)| us).sum::<f64>()
    };
    println!("  {:<36} {:>8.2}", "sum, tick, process that slept", sum("tick", false));
    println!("  {:<36} {:>8.2}", "sum, tick, process that ran", sum("tick", true));
    println!("  {:<36} {:>8.2}", "sum, procfs crate", sum("procfs crate", true));
    println!("  {:<36} {:>8.2}", "sum, pread only", sum("pread only", true));
    println!("  (*) not in the sums: the task/ listing is made for multi-threaded processes only");
    println!("  (+) read only for a process that ran since the last tick (or has several threads)");
}
