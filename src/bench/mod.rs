//! The benchmark: expanding commands, scheduling runs and hooks, running and measuring each run.

pub mod runner;
#[cfg(unix)]
pub mod wait;
pub mod scheduler;
