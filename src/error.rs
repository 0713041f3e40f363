//! User-facing errors: what went wrong, how to fix it, and the documented exit code.

use thiserror::Error;

/// Exit codes (docs/cli.md lists them).
pub mod exit {
    /// A runtime failure: a PID that cannot be monitored, an unreadable file, ...
    pub const FAILURE: u8 = 1;
    /// A usage error: a wrong flag or value.
    pub const USAGE: u8 = 2;
    /// The command exists but cannot be executed (shell convention).
    pub const NOT_EXECUTABLE: u8 = 126;
    /// The command was not found (shell convention).
    pub const NOT_FOUND: u8 = 127;
    /// Interrupted by Ctrl-C (128 + SIGINT).
    pub const INTERRUPTED: u8 = 130;
}

/// Mistakes a user can fix; each message names the problem and the fix.
#[derive(Debug, Error)]
pub enum UserError {
    #[error("no command given: write it after '--', e.g. 'denet run -- sleep 1'")]
    MissingCommand,
    #[error("command not found: {0}")]
    CommandNotFound(String),
    #[error("permission denied: {0} is not executable (check its path and 'chmod +x')")]
    NotExecutable(String),
    #[error("no process with PID {0}: check the PID with 'ps' (it may have exited)")]
    NoSuchProcess(u32),
    #[error("cannot monitor PID {pid}: the kernel refused to let denet read {file}: {why}")]
    ProcessNotPermitted { pid: u32, file: String, why: &'static str },
    #[error("invalid {flag} '{value}': {why}")]
    InvalidValue { flag: &'static str, value: String, why: String },
    #[error("{file}: {why}")]
    BadRecording { file: String, why: String },
    /// A counter named in `--metrics` that this machine cannot count (exit 1, as hyperfine).
    #[error("Metric '{metric}' is unavailable: {why}")]
    CounterUnavailable { metric: &'static str, why: String },
    /// `--simulate` without valgrind.
    #[error("--simulate runs each command under valgrind's cachegrind, and {0}: install it with 'apt-get install valgrind' (Debian, Ubuntu; 'dnf install valgrind' on Fedora)")]
    MissingValgrind(String),
    /// Results that cannot be compared (a usage error for `compare`: exit 2).
    #[error("{file}: {why}")]
    BadResults { file: String, why: String },
    /// `denet bench`'s refusals in hyperfine 2.0's words (its tests and users' scripts match them).
    #[error(transparent)]
    Bench(#[from] BenchUsage),
}

/// `denet bench` command lines refused before anything runs, worded as hyperfine 2.0 words them.
#[derive(Debug, Error)]
pub enum BenchUsage {
    #[error("The '{flag}' option has to be provided just once or N times, where N={benchmarks} is the number of benchmark commands.")]
    OncePerCommand { flag: &'static str, benchmarks: usize },
    #[error("Too many --command-name options: Expected {0} at most")]
    TooManyCommandNames(usize),
    #[error("'--command-name' has been specified {given} times. It has to appear exactly once, or exactly {benchmarks} times (number of benchmarks)")]
    CommandNameCount { given: usize, benchmarks: usize },
    #[error("Duplicate parameter names: {0}")]
    DuplicateParameters(String),
    #[error("The file '{0}' specified as '--input' does not exist")]
    MissingInput(String),
    #[error("Unknown output policy '{0}'. Use './{0}' to output to a file named '{0}'.")]
    OutputPolicy(String),
    #[error("Conflicting requirements for the number of runs (empty range, min is larger than max)")]
    EmptyRunsRange,
    #[error("An empty command has been specified for the '--shell <command>' option")]
    EmptyShell,
    #[error("Failed to parse '--shell <command>' expression as command line: {0}")]
    ShellParse(String),
    #[error("Could not read numeric integer argument to '--{flag}': {why}")]
    NotAnInteger { flag: &'static str, why: String },
    #[error("Failed to parse '--env' assignments: {0}")]
    EnvSyntax(String),
    #[error("Invalid value '{0}' for '--env': expected an assignment like NAME=value or NAME=\"quoted value\".")]
    EnvNotAssignment(String),
    #[error("Invalid environment variable name '{0}' in '--env'")]
    EnvName(String),
    #[error("Failed to parse command '{line}': {why}")]
    CommandSyntax { line: String, why: String },
    #[error("Can not execute empty command")]
    EmptyCommand,
    #[error("Cannot run '{0}' directly because it starts with a variable assignment.\nUse the --env option to set environment variables, for example:\n\n  denet bench --env 'OMP_NUM_THREADS=8 CFLAGS=\"-O3 -march=native\"' 'my_command'\n\nAlternatively, use -S / --shell=default to run the command in a shell.")]
    LeadingAssignment(String),
    #[error("Command '{command}' contains unquoted shell syntax ('{operator}').\nExplicitly choose how to execute it:\n  -S / --shell=default  Interpret shell syntax.\n  -N / --shell=none     Run directly, passing '{operator}' as a literal argument.")]
    ShellSyntax { command: String, operator: &'static str },
    /// A counter with a shell: its count would include the shell's own start-up.
    #[error("Metric '{0}' is unavailable when a shell is enabled: its count would include the shell's own start-up. Run the command without -S/--shell (the default), or choose other metrics")]
    CounterWithShell(&'static str),
    /// A `--metrics` value (the message is the metrics module's).
    #[error("{0}")]
    Metrics(String),
    #[error("{0}")]
    ParameterScan(&'static str),
    #[error("Error while parsing parameter scan arguments ({0})")]
    ScanBound(String),
}

impl UserError {
    pub fn exit_code(&self) -> u8 {
        match self {
            UserError::CommandNotFound(_) => exit::NOT_FOUND,
            UserError::NotExecutable(_) => exit::NOT_EXECUTABLE,
            UserError::InvalidValue { .. } | UserError::MissingCommand | UserError::BadResults { .. } => exit::USAGE,
            _ => exit::FAILURE,
        }
    }
}

/// The exit code of `denet bench` for an error: 1, as hyperfine's, except 2 for results that cannot be
/// compared (`--baseline`: denet's own check keeps `compare`'s code, so 1 still means a regression).
pub fn bench_exit_code(err: &anyhow::Error) -> u8 {
    match err.chain().find_map(|e| e.downcast_ref::<UserError>()) {
        Some(UserError::BadResults { .. }) => exit::USAGE,
        _ => exit::FAILURE,
    }
}

/// The exit code for any error that reached `main`.
pub fn exit_code_of(err: &anyhow::Error) -> u8 {
    err.chain().find_map(|e| e.downcast_ref::<UserError>()).map_or(exit::FAILURE, UserError::exit_code)
}

/// True when the error is a closed output pipe (`denet ... | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().filter_map(|e| e.downcast_ref::<std::io::Error>()).any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
