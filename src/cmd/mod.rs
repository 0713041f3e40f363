//! The subcommands: each turns validated options into work and an exit code.

mod attach;
mod bench;
pub(crate) mod compare;
mod contain;
mod doctor;
mod noise;
mod report;
mod run;
mod session;
pub(crate) mod stats;

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::options::MonitorOptions;

/// Dispatch a parsed command line.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Bench(args) => bench::bench(&crate::options::bench::BenchOptions::from_args(args)?),
        Command::Compare(args) => compare::compare(&crate::options::compare::CompareOptions::from_args(args)?),
        Command::Report(args) => report::report(&args.input, &args.out, args.svg.as_deref(), args.title.as_deref()),
        Command::Run(args) => {
            let mut opts =
                MonitorOptions::from_args(&args.sampling, &args.record, args.duration.as_deref(), args.ebpf)?;
            opts.limits = crate::options::limits::Limits::from_args(&args.limits)?;
            run::run(&opts, &args.command, args.silent)
        }
        Command::Attach(args) => {
            let opts = MonitorOptions::from_args(&args.sampling, &args.record, args.duration.as_deref(), args.ebpf)?;
            attach::attach(&opts, args.pid)
        }
        Command::Stats(args) => stats::stats(args.json, &args.file),
        Command::Doctor(args) if args.bench => noise::doctor_bench(args.json),
        Command::Doctor(args) => doctor::doctor(args.json),
        Command::Completions(args) => {
            // Into memory first: clap_complete panics on a failed write.
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "denet", &mut out);
            write_stdout(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            write_stdout(&out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Write a command's whole output to stdout; a failure (a full disk, `> /dev/full`) is an error with
/// its reason, never a panic, and a reader that went away is not a failure (main treats BrokenPipe as success).
pub(crate) fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).context("cannot write to stdout")
}
