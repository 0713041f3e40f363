//! The words every stage shares (exit policy, run I/O, export formats, thresholds, syscall categories); imports nothing of denet.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which non-zero exits are tolerated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoreFailure {
    Never,
    AllNonZero,
    Codes(Vec<i32>),
}

impl IgnoreFailure {
    /// Whether a run that exited with `code` (None: killed by a signal) is acceptable.
    pub fn accepts(&self, code: Option<i32>) -> bool {
        match (self, code) {
            (_, Some(0)) => true,
            (IgnoreFailure::AllNonZero, _) => true,
            (IgnoreFailure::Codes(codes), Some(c)) => codes.contains(&c),
            _ => false,
        }
    }
}

/// Where a command's stdin comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    Null,
    File(PathBuf),
}

/// Where a command's stdout and stderr go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Output {
    /// /dev/null.
    Null,
    /// A pipe that denet reads and discards (the command sees a pipe, not a file).
    Pipe,
    /// denet's own stdout/stderr.
    Inherit,
    /// A file, truncated at the start of each run.
    File(PathBuf),
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    CsvRuns,
    Markdown,
    Asciidoc,
    Orgmode,
}

/// Where an export goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

/// How much change a regression check tolerates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// A fraction of the baseline mean (0.05 = 5%).
    Relative(f64),
    /// An amount in the metric's base unit (seconds, bytes, counts).
    Absolute(f64),
}

/// A syscall category; every syscall belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    FileIo,
    Memory,
    Process,
    Network,
    Ipc,
    Signal,
    Time,
    Other,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::FileIo,
        Category::Memory,
        Category::Process,
        Category::Network,
        Category::Ipc,
        Category::Signal,
        Category::Time,
        Category::Other,
    ];

    /// The metric suffix: `syscalls_<key>`.
    pub fn key(self) -> &'static str {
        match self {
            Category::FileIo => "file_io",
            Category::Memory => "memory",
            Category::Process => "process",
            Category::Network => "network",
            Category::Ipc => "ipc",
            Category::Signal => "signal",
            Category::Time => "time",
            Category::Other => "other",
        }
    }
}
