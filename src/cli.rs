//! The command line, as clap parses it; nothing here is validated beyond its shape.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Measure what programs cost: monitor a process tree, or benchmark commands with their resource profiles.
#[derive(Debug, Parser)]
#[command(name = "denet", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub sampling: SamplingArgs,
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The sampling schedule. Accepted before the subcommand (`denet -i 50 run ...`) and
/// after it; not global, because `bench` keeps hyperfine's `-i` and `-m`.
#[derive(Debug, Args, Default)]
pub struct SamplingArgs {
    /// Base sampling interval in milliseconds, or with a unit (50ms, 0.5s) [default: 100]
    #[arg(short = 'i', long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// Maximum sampling interval; the interval ramps from the base to this between 1 s and 10 s of runtime [default: 1000]
    #[arg(short = 'm', long, value_name = "DURATION")]
    pub max_interval: Option<String>,
}

/// Flags shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Write JSONL records to stdout (for `stats`: print the summary as JSON).
    #[arg(long, global = true)]
    pub json: bool,
    /// Write JSONL records to FILE.
    #[arg(short = 'o', long, global = true, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// No live status line and no summary table on stderr.
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// Add an `env` record (host, kernel, CPU, governor, affinity, THP, SMT) to the output.
    #[arg(long, global = true)]
    pub env_record: bool,
    /// How to read processes: procfs (Linux, every metric) or sysinfo (portable, fewer metrics).
    #[arg(long, global = true, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// procfs on Linux, sysinfo elsewhere.
    Auto,
    Procfs,
    Sysinfo,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command and monitor it and all its children until it exits.
    Run(RunArgs),
    /// Monitor a running process and all its children.
    Attach(AttachArgs),
    /// Summarise a JSONL recording.
    Stats(StatsArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Man,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// Stop after this long (seconds, or with a unit: 500ms, 2m): the command gets SIGTERM, then SIGKILL 2 s later.
    #[arg(short = 'd', long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Discard the command's stdout and stderr and give it /dev/null as stdin.
    #[arg(short = 's', long)]
    pub silent: bool,
    /// The command and its arguments, after `--`.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// Stop after this long (seconds, or with a unit: 500ms, 2m).
    #[arg(short = 'd', long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// The process to monitor.
    pub pid: u32,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// A JSONL recording written by `denet run --out` or `--json`.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
