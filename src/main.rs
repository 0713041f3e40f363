//! The denet binary: parse, dispatch, and turn errors into a one-line message and an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use denet::{bench_exit_code, exit_code_of, is_broken_pipe};

fn main() -> ExitCode {
    // `denet bench` runs its commands through a copy of this binary in spawner mode; it must
    // start with as little memory as possible, so it goes first (see src/bench/spawner.rs).
    #[cfg(unix)]
    if std::env::args_os().nth(1).is_some_and(|a| a == denet::spawner::SPAWNER_ARG) {
        return denet::spawner::main();
    }
    env_logger::Builder::from_env(env_logger::Env::new().filter_or("DENET_LOG", "warn").write_style("DENET_LOG_STYLE"))
        .format(|buf, record| {
            use std::io::Write;
            let text = format!("denet: {}: {}", record.level().as_str().to_lowercase(), record.args());
            writeln!(buf, "{}", denet::wrap::for_stderr(&text))
        })
        .target(env_logger::Target::Pipe(Box::new(LogTarget)))
        .init();
    let cli = denet::Cli::parse();
    // `denet bench` keeps hyperfine 2.0's contract: "Error: ..." and exit code 1.
    let bench = cli.is_bench();
    match denet::dispatch(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if bench => {
            let _ = writeln!(std::io::stderr(), "{}", denet::wrap::for_stderr(&format!("Error: {err:#}")));
            ExitCode::from(bench_exit_code(&err))
        }
        Err(err) => {
            // Never a panic here: a full or closed stderr must not turn the exit code into 101.
            let _ = writeln!(std::io::stderr(), "{}", denet::wrap::for_stderr(&format!("denet: {err:#}")));
            ExitCode::from(exit_code_of(&err))
        }
    }
}

/// stderr for log lines, with `bench`'s progress line erased before each (its next tick draws it
/// again under the line), so that the two do not splice into each other.
struct LogTarget;

impl Write for LogTarget {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        denet::with_progress_erased(|| std::io::stderr().write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
