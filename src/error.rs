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
    #[error("Command '{0}' not found: check its name and PATH. (A command that runs but exits non-zero needs -i/--ignore-failure.)")]
    BenchCommandNotFound(String),
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
    /// Results that cannot be compared (a usage error for `compare`: exit 2).
    #[error("{file}: {why}")]
    BadResults { file: String, why: String },
}

impl UserError {
    pub fn exit_code(&self) -> u8 {
        match self {
            UserError::CommandNotFound(_) | UserError::BenchCommandNotFound(_) => exit::NOT_FOUND,
            UserError::NotExecutable(_) => exit::NOT_EXECUTABLE,
            UserError::InvalidValue { .. } | UserError::MissingCommand | UserError::BadResults { .. } => exit::USAGE,
            _ => exit::FAILURE,
        }
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
