//! Output: the JSONL recording, the live status line, the summary table and human units.

pub mod jsonl;
pub mod progress;
pub mod status;
pub mod table;
pub mod units;

use crate::monitor::{Flow, SampleSink};
use crate::profile::Sample;

/// What `run` and `attach` hand the monitor: the recording, and the status line for people.
pub struct MonitorSink {
    pub writer: jsonl::RecordWriter,
    pub status: Option<status::StatusLine>,
}

impl SampleSink for MonitorSink {
    fn sample(&mut self, sample: &Sample) -> Flow {
        if let Some(s) = &mut self.status {
            s.sample(sample);
        }
        self.writer.sample(sample)
    }
}
pub mod bench_report;
pub mod bench_table;
pub mod charts;
pub mod columns;
pub mod escape;
pub mod export;
pub mod headline;
pub mod html;
pub mod regression;
pub mod report_data;
