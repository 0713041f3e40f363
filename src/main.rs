//! The denet binary: parse, dispatch, and turn errors into a one-line message and an exit code.

use std::process::ExitCode;

use clap::Parser;
use denet::error::{exit_code_of, is_broken_pipe};

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::new().filter_or("DENET_LOG", "warn").write_style("DENET_LOG_STYLE"))
        .format(|buf, record| {
            use std::io::Write;
            writeln!(buf, "denet: {}: {}", record.level().as_str().to_lowercase(), record.args())
        })
        .init();
    let cli = denet::cli::Cli::parse();
    match denet::cmd::dispatch(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("denet: {err:#}");
            ExitCode::from(exit_code_of(&err))
        }
    }
}
