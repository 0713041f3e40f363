//! Integration tests of the `denet` binary: accuracy against known workloads, the JSONL and
//! stdout rules, recordings and `stats`, `attach`, and what bad input does.
//!
//! The workloads come from `examples/workload.rs` (`cargo test` builds examples first).

mod accuracy;
mod architecture;
mod attach;
mod bench_cli;
mod bench_errors;
mod bench_order;
mod bench_output;
mod cgroup;
mod compare;
mod counters;
mod doc_commands;
mod ebpf;
mod errors;
mod gate;
mod help;
mod hostile;
mod output;
mod report;
mod simulate;
mod terminal;
mod util;
