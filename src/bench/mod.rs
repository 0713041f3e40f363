//! The benchmark: expanding commands, scheduling runs and hooks, running and measuring each run.

pub mod runner;
pub mod scheduler;
#[cfg(unix)]
pub mod wait;
