//! The records of a JSONL recording (`run`/`attach` with `--json` or `-o`), written by render::jsonl and read back by `stats` and `report`.

use serde::{Deserialize, Serialize};

use crate::monitor::ebpf::PartStatus;
use crate::profile::{Capability, EnvRecord, Sample, Summary};

/// The first record of a recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub denet_version: String,
    pub mode: String,
    pub pid: u32,
    pub command: Vec<String>,
    pub start_time: String,
    pub interval_ms: u64,
    pub max_interval_ms: u64,
    pub backend: String,
    pub capabilities: Vec<Capability>,
    /// Where the monitored program's stdout goes (it never shares a stream with the JSONL).
    pub child_stdout: String,
    /// With `--ebpf`: each part of the eBPF set-up, and why a part does not work here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ebpf: Vec<PartStatus>,
}

/// One line of a JSONL recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
// A record is written or read one at a time, never held in bulk: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Record {
    Metadata(Metadata),
    Env(Box<EnvRecord>),
    Sample(Sample),
    Summary(Summary),
}
