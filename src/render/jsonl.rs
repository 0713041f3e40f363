//! The JSONL recording: one record per line, to stdout and/or a file, flushed per line so a cut-off recording is still readable.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context;

use crate::monitor::{Flow, SampleSink};
use crate::profile::Sample;
use crate::recording::Record;

/// One destination of records.
struct Stream {
    name: String,
    out: Box<dyn Write + Send>,
    /// The reader went away (a closed pipe); stop writing here.
    closed: bool,
    is_stdout: bool,
}

/// Writes records to every destination given.
pub struct RecordWriter {
    targets: Vec<Stream>,
    /// Ask the monitor to stop when stdout closes (attach), or keep going (run waits for its child).
    stop_when_stdout_closes: bool,
    error: Option<anyhow::Error>,
}

impl RecordWriter {
    /// Open the destinations; the file is created (or truncated) now, so a bad path fails before anything runs.
    pub fn open(stdout: bool, file: Option<&Path>, stop_when_stdout_closes: bool) -> anyhow::Result<RecordWriter> {
        let mut targets = Vec::new();
        if stdout {
            targets.push(Stream { name: "stdout".into(), out: Box::new(io::stdout()), closed: false, is_stdout: true });
        }
        if let Some(path) = file {
            let f =
                File::create(path).with_context(|| format!("cannot create the recording file {}", path.display()))?;
            targets.push(Stream {
                name: path.display().to_string(),
                out: Box::new(BufWriter::new(f)),
                closed: false,
                is_stdout: false,
            });
        }
        Ok(RecordWriter { targets, stop_when_stdout_closes, error: None })
    }

    /// Write one record as one line to every open destination.
    pub fn write(&mut self, record: &Record) -> Flow {
        let mut line = serde_json::to_vec(record).expect("records serialise");
        line.push(b'\n');
        let mut flow = Flow::Continue;
        for t in self.targets.iter_mut().filter(|t| !t.closed) {
            if let Err(e) = t.out.write_all(&line).and_then(|_| t.out.flush()) {
                t.closed = true;
                if e.kind() == io::ErrorKind::BrokenPipe {
                    if t.is_stdout && self.stop_when_stdout_closes {
                        flow = Flow::Stop;
                    }
                } else if self.error.is_none() {
                    self.error =
                        Some(anyhow::Error::new(e).context(format!("cannot write the recording to {}", t.name)));
                    flow = Flow::Stop;
                }
            }
        }
        flow
    }

    /// The first write error other than a closed pipe (a full disk, ...), if any.
    pub fn take_error(&mut self) -> Option<anyhow::Error> {
        self.error.take()
    }
}

impl SampleSink for RecordWriter {
    fn sample(&mut self, sample: &Sample) -> Flow {
        self.write(&Record::Sample(sample.clone()))
    }
}
