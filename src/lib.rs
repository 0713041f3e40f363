//! denet: a process-tree monitor and a benchmark harness that reports each run's resource profile.
//!
//! The modules are private: the binary's entry points and what `examples/tick_cost.rs` measures are
//! re-exported below, so the compiler sees (and reports) everything else that nothing uses.

/// `eprintln!` that cannot panic: a closed or full stderr must never change denet's exit code,
/// which for `run` is the command's (docs/cli.md).
/// On a terminal, the text is wrapped at words to its width (src/wrap.rs), and `bench`'s progress
/// line is erased first.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = $crate::wrap::for_stderr(&format!($($arg)*));
        $crate::render::progress::erased(|| writeln!(std::io::stderr(), "{text}")).ok();
    }};
}

mod bench;
mod checks;
mod cli;
mod cmd;
mod error;
mod files;
mod metrics;
mod monitor;
mod options;
mod profile;
#[cfg(test)]
mod proptests;
mod recording;
mod render;
mod results;
mod stats;
mod trimmed;
mod vocab;
pub mod wrap;

pub use cli::Cli;
pub use cmd::dispatch;
pub use error::{bench_exit_code, exit_code_of, is_broken_pipe};
/// For the log lines `main` writes: erase `bench`'s progress line first.
pub use render::progress::erased as with_progress_erased;

/// The spawner mode of the binary (src/bench/spawner.rs): `denet bench` runs its commands through it.
#[cfg(unix)]
pub mod spawner {
    pub use crate::bench::spawner::{main, SPAWNER_ARG};
}

/// The /proc sampler's parts, for `examples/tick_cost.rs`.
#[doc(hidden)]
pub mod sampler {
    pub use crate::monitor::procfile::ProcFiles;
    pub use crate::monitor::source::{open, Backend, ProcessSource};
    pub use crate::monitor::tree::{CountFrom, TreeAccumulator};
}
