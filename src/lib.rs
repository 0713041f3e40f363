//! denet: a process-tree monitor and a benchmark harness that reports each run's resource profile.

pub mod bench;
pub mod cli;
pub mod cmd;
pub mod error;
pub mod metrics;
pub mod monitor;
pub mod options;
pub mod profile;
pub mod render;
pub mod results;
pub mod stats;
pub mod vocab;
