//! The subcommands: each turns validated options into work and an exit code.

mod attach;
mod bench;
pub(crate) mod compare;
mod doctor;
mod report;
mod run;
mod session;
mod stats;

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::options::{MonitorOptions, OutputOptions};

/// Dispatch a parsed command line.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    refuse_monitor_flags(&cli)?;
    match &cli.command {
        Command::Bench(args) => bench::bench(&crate::options::bench::BenchOptions::from_args(args)?),
        Command::Compare(args) => compare::compare(&crate::options::compare::CompareOptions::from_args(args)?),
        Command::Report(args) => {
            report::report(&args.input, cli.global.out.as_deref(), args.svg.as_deref(), args.title.as_deref())
        }
        Command::Run(args) => {
            let opts = MonitorOptions::from_cli(&cli, &args.sampling, args.duration.as_deref(), args.ebpf)?;
            run::run(&opts, &args.command, args.silent)
        }
        Command::Attach(args) => {
            let opts = MonitorOptions::from_cli(&cli, &args.sampling, args.duration.as_deref(), args.ebpf)?;
            attach::attach(&opts, args.pid)
        }
        Command::Stats(args) => stats::stats(&OutputOptions::from_cli(&cli), &args.file),
        Command::Doctor => doctor::doctor(cli.global.json),
        Command::Completions(args) => {
            clap_complete::generate(args.shell, &mut Cli::command(), "denet", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            std::io::stdout().write_all(&out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The global flags are the monitor's: refuse them where they would be silently ignored.
fn refuse_monitor_flags(cli: &Cli) -> Result<(), crate::error::UserError> {
    let g = &cli.global;
    let (json_ok, out_ok) = match &cli.command {
        Command::Run(_) | Command::Attach(_) => return Ok(()),
        Command::Stats(_) | Command::Doctor => (true, false),
        Command::Report(_) => (false, true),
        _ => (false, false),
    };
    let refused = [
        ("--json", g.json && !json_ok),
        ("-o/--out", g.out.is_some() && !out_ok),
        ("-q/--quiet", g.quiet),
        ("--env-record", g.env_record),
        ("--backend", g.backend != crate::cli::BackendArg::Auto),
        ("-i/--interval", cli.sampling.interval.is_some()),
        ("-m/--max-interval", cli.sampling.max_interval.is_some()),
    ];
    match refused.iter().find(|(_, bad)| *bad) {
        None => Ok(()),
        Some((flag, _)) => {
            let command = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_default();
            Err(crate::error::UserError::NotForCommand { flag, command })
        }
    }
}
