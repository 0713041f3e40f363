//! Statistics over runs: summaries with bootstrap confidence intervals, outliers, and comparisons with significance tests.

pub mod compare;
pub mod describe;
pub mod outliers;

pub use compare::{compare, Comparison, Test};
pub use describe::{describe, Stats};
