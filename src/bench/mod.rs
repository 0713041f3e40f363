//! The benchmark: expanding commands, scheduling runs and hooks, running and measuring each run.

pub mod mock;
pub mod precision;
pub mod protocol;
pub mod runner;
pub mod scheduler;
#[cfg(unix)]
pub mod simulate;
#[cfg(unix)]
pub mod spawner;
#[cfg(unix)]
pub mod wait;
