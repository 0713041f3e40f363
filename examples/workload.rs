//! Known workloads for denet's accuracy tests and benchmarks: each does one measurable thing, exactly.
//!
//! Usage: `workload MODE ARGS...`
//!   busy THREADS SECONDS      THREADS threads spinning on CPU
//!   hold MIB SECONDS          touch MIB mebibytes of heap, hold them
//!   twin MIB SECONDS          two processes each touch MIB mebibytes, then both hold them SECONDS at the same time
//!   write MIB PATH            write MIB mebibytes to PATH, fsync, remove it
//!   nap-write SECONDS MIB PATH  sleep SECONDS, write as above, sleep SECONDS again
//!   tree CHILDREN SECONDS     CHILDREN child processes sleeping SECONDS
//!   threads TOTAL SECONDS     one process with TOTAL threads (main included) sleeping
//!   sleep SECONDS             sleep
//!   exit CODE                 exit with CODE
//!   signal N                  kill itself with signal N
//!   getppid N [SECONDS]       make exactly N getppid system calls, then sleep SECONDS (default 0)
//!   forkn N [CALLS]           fork N children that each make CALLS getppid calls (default 0) and exit, wait for all
//!   private SECONDS           make itself non-dumpable (its /proc/PID/io becomes root's), then sleep
//!   tcp BYTES                 send BYTES over a loopback TCP connection to a thread of its own, which reads them all
//!   naps N                    wait for a line on stdin, then sleep 1 ms N times (N voluntary context switches);
//!                             prints the kernel's voluntary and involuntary switch counts at the line and at the end

use std::hint::black_box;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> T {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        eprintln!("workload: missing or bad {what}");
        std::process::exit(2)
    })
}

fn secs(args: &[String], i: usize) -> Duration {
    Duration::from_secs_f64(arg(args, i, "SECONDS"))
}

fn spin_until(end: Instant) {
    let mut x = 0u64;
    while Instant::now() < end {
        for _ in 0..10_000 {
            x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}

fn busy(threads: usize, d: Duration) {
    let end = Instant::now() + d;
    let handles: Vec<_> = (0..threads).map(|_| std::thread::spawn(move || spin_until(end))).collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
}

fn hold(mib: usize, d: Duration) {
    let mut v = vec![0u8; mib << 20];
    // Touch every page so it is resident.
    for i in (0..v.len()).step_by(4096) {
        v[i] = 1;
    }
    black_box(&v);
    std::thread::sleep(d);
    black_box(&v);
}

/// Two processes, each with `mib` MiB touched, holding them for `d` together: each tells the other
/// over a pipe once its pages are resident, and starts its hold when it hears back.
fn twin(mib: usize, d: Duration) {
    use std::io::Read;
    let (mut r1, mut w1) = std::io::pipe().expect("a pipe");
    let (mut r2, mut w2) = std::io::pipe().expect("a pipe");
    // SAFETY: this process has one thread; the child only allocates, uses the pipes and exits.
    let pid = unsafe { libc::fork() };
    let touch = || {
        let mut v = vec![0u8; mib << 20];
        for i in (0..v.len()).step_by(4096) {
            v[i] = 1;
        }
        v
    };
    let (tx, rx) = if pid == 0 { (&mut w1, &mut r2) } else { (&mut w2, &mut r1) };
    let v = touch();
    tx.write_all(b"1").expect("the other side");
    rx.read_exact(&mut [0u8]).expect("the other side");
    std::thread::sleep(d);
    black_box(&v);
    if pid == 0 {
        std::process::exit(0);
    }
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
}

fn write(mib: usize, path: &str) {
    let mut f = std::fs::File::create(path).expect("create");
    let block = vec![0xa5u8; 1 << 20];
    for _ in 0..mib {
        f.write_all(&block).expect("write");
    }
    f.sync_all().expect("fsync");
    drop(f);
    let _ = std::fs::remove_file(path);
}

/// Idle, then busy, then idle again: what a monitor that skips idle processes must not miss.
fn nap_write(d: Duration, mib: usize, path: &str) {
    std::thread::sleep(d);
    write(mib, path);
    std::thread::sleep(d);
}

fn tree(children: usize, d: Duration) {
    let me = std::env::current_exe().expect("own path");
    let kids: Vec<_> = (0..children)
        .map(|_| Command::new(&me).args(["sleep", &d.as_secs_f64().to_string()]).spawn().expect("spawn"))
        .collect();
    for mut k in kids {
        k.wait().unwrap();
    }
}

fn threads(total: usize, d: Duration) {
    let handles: Vec<_> = (1..total).map(|_| std::thread::spawn(move || std::thread::sleep(d))).collect();
    std::thread::sleep(d);
    handles.into_iter().for_each(|h| h.join().unwrap());
}

#[cfg(unix)]
fn getppid(n: u64) {
    for _ in 0..n {
        // SAFETY: getppid has no preconditions.
        black_box(unsafe { libc::getppid() });
    }
}

#[cfg(unix)]
fn forkn(n: usize, calls: usize) {
    for _ in 0..n {
        // SAFETY: the child only makes raw getppid calls and _exit (async-signal-safe).
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            for _ in 0..calls {
                unsafe { libc::syscall(libc::SYS_getppid) };
            }
            unsafe { libc::_exit(0) };
        }
    }
    for _ in 0..n {
        let mut st = 0;
        // SAFETY: valid pointer to a local.
        unsafe { libc::wait(&mut st) };
    }
}

/// Send `bytes` through a loopback TCP connection; the reading end is a thread of this process.
fn tcp(bytes: usize) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0;
        loop {
            match conn.read(&mut buf).expect("read") {
                0 => break total,
                n => total += n,
            }
        }
    });
    let mut conn = std::net::TcpStream::connect(addr).expect("connect");
    conn.write_all(&vec![7u8; bytes]).expect("write");
    drop(conn);
    let got = reader.join().unwrap();
    assert_eq!(got, bytes, "the reader got {got} of {bytes} bytes");
}

#[cfg(unix)]
fn signal(n: i32) {
    // SAFETY: raising a signal at ourselves.
    unsafe {
        libc::signal(n, libc::SIG_DFL);
        libc::raise(n);
    }
}

#[cfg(target_os = "linux")]
fn private(d: Duration) {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0) };
    std::thread::sleep(d);
}

/// `naps N`: after a line on stdin (whoever watches can start first), N sleeps of 1 ms, each one
/// voluntary switch; the kernel's own counts (/proc/self/status) before and after go to stdout.
fn naps(n: u32) {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    let before = switches();
    for _ in 0..n {
        std::thread::sleep(Duration::from_millis(1));
    }
    let after = switches();
    println!("{} {} {} {}", before.0, before.1, after.0, after.1);
}

/// (voluntary, involuntary) context switches of this thread so far, as /proc/self/status counts them.
fn switches() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field =
        |name: &str| status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    (field("voluntary_ctxt_switches:"), field("nonvoluntary_ctxt_switches:"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("busy") => busy(arg(&args, 1, "THREADS"), secs(&args, 2)),
        Some("hold") => hold(arg(&args, 1, "MIB"), secs(&args, 2)),
        Some("twin") => twin(arg(&args, 1, "MIB"), secs(&args, 2)),
        Some("write") => write(arg(&args, 1, "MIB"), &arg::<String>(&args, 2, "PATH")),
        Some("nap-write") => nap_write(secs(&args, 1), arg(&args, 2, "MIB"), &arg::<String>(&args, 3, "PATH")),
        Some("tree") => tree(arg(&args, 1, "CHILDREN"), secs(&args, 2)),
        Some("threads") => threads(arg(&args, 1, "TOTAL"), secs(&args, 2)),
        Some("sleep") => std::thread::sleep(secs(&args, 1)),
        Some("exit") => std::process::exit(arg(&args, 1, "CODE")),
        #[cfg(unix)]
        Some("signal") => signal(arg(&args, 1, "N")),
        #[cfg(unix)]
        Some("getppid") => {
            getppid(arg(&args, 1, "N"));
            // Optionally stay alive afterwards, so that a sample sees the process with its count.
            if args.len() > 2 {
                std::thread::sleep(secs(&args, 2));
            }
        }
        #[cfg(unix)]
        Some("forkn") => forkn(arg(&args, 1, "N"), args.get(2).and_then(|c| c.parse().ok()).unwrap_or(0)),
        Some("tcp") => tcp(arg(&args, 1, "BYTES")),
        Some("naps") => naps(arg(&args, 1, "N")),
        #[cfg(target_os = "linux")]
        Some("private") => private(secs(&args, 1)),
        _ => {
            eprintln!(
                "usage: workload busy|hold|twin|write|nap-write|tree|threads|sleep|exit|signal|getppid|forkn|tcp|private|naps ARGS"
            );
            std::process::exit(2)
        }
    }
}
