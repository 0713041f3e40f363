//! `denet stats`: the summary of a JSONL recording, as a table or JSON.

use std::fs::File;
use std::io::{BufRead, BufReader, Read as _, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::error::UserError;
use crate::profile::{Summary, SummaryBuilder};
use crate::recording::Record;
use crate::render::table;

pub fn stats(json: bool, path: &Path) -> anyhow::Result<ExitCode> {
    // Only the metadata is kept: the samples are summarised as they stream by.
    let mut recorded = Vec::new();
    let (summary, note) = read_recording(path, &mut |r| {
        if let (Record::Metadata(m), true) = (r, recorded.is_empty()) {
            recorded = table::recorded_rows(m);
        }
    })?;
    if let Some(note) = note {
        note!("denet: {note}");
    }
    if json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer(&mut stdout, &Record::Summary(summary))?;
        writeln!(stdout)?;
    } else {
        // What was recorded, then what it cost.
        let mut rows = recorded;
        rows.extend(table::rows(&summary));
        writeln!(
            std::io::stdout().lock(),
            "{}",
            table::render_rows(rows, crate::render::columns::Screen::detect(false).width)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The longest line a recording may have: a sample of thousands of processes is well under it, and
/// a file that is not a recording (`/dev/zero`) is refused without reading it all.
pub(crate) const MAX_LINE: usize = 64 << 20;

/// What reading a recording found, before it is summarised.
#[derive(Default)]
struct Reading {
    builder: SummaryBuilder,
    recorded: Option<Summary>,
    records: usize,
    /// Notes for the user: a cut-off last line.
    notes: Vec<String>,
}

/// The recording's summary and the notes on how it ended; each record is handed to `visit` as it
/// is read (a recording is never held whole: it may be longer than memory).
pub fn read_recording(path: &Path, visit: &mut dyn FnMut(&Record)) -> anyhow::Result<(Summary, Option<String>)> {
    let file = File::open(path).with_context(|| format!("cannot open the recording {}", path.display()))?;
    let bad = |why: String| UserError::BadRecording { file: path.display().to_string(), why };
    let mut read = Reading::default();
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        if line.len() > MAX_LINE {
            return Err(
                bad(format!("line {number} is longer than {} MiB: not a denet recording", MAX_LINE >> 20)).into()
            );
        }
        let complete = line.ends_with(b"\n");
        read.line(&line, number, complete, visit).map_err(&bad)?;
        if !complete {
            break;
        }
    }
    read.finish(path).map_err(|why| bad(why).into())
}

impl Reading {
    /// Take one line; a last line without its newline that does not parse was cut off (a full disk, a
    /// killed writer): a note, not an error.
    fn line(
        &mut self,
        line: &[u8],
        number: usize,
        complete: bool,
        visit: &mut dyn FnMut(&Record),
    ) -> Result<(), String> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let record: Record = match serde_json::from_slice(line) {
            Ok(r) => r,
            Err(_) if !complete => {
                self.notes.push(format!("line {number} was cut off (no newline at the end): ignored"));
                return Ok(());
            }
            Err(_) if number == 1 && line.trim_ascii() == b"{" => {
                return Err("a JSON document, not a JSONL recording: benchmark results are read by \
                            'denet report FILE -o report.html' and 'denet compare'"
                    .into())
            }
            Err(e) => return Err(format!("line {number}: not a denet record ({e})")),
        };
        self.records += 1;
        match &record {
            Record::Sample(s) => self.builder.observe(s),
            Record::Summary(s) => self.recorded = Some(s.clone()),
            Record::Metadata(_) | Record::Env(_) => {}
        }
        visit(&record);
        Ok(())
    }

    fn finish(mut self, path: &Path) -> Result<(Summary, Option<String>), String> {
        if self.records == 0 {
            return Err("the file is empty: record with 'denet run --out FILE -- CMD'".into());
        }
        let summary = match self.recorded {
            Some(s) => s,
            None if self.builder.summary().samples > 0 => {
                self.notes.push("no summary record (the recording was cut off); summarised from its samples".into());
                self.builder.finish()
            }
            None => return Err("no samples and no summary in the recording".into()),
        };
        let note = (!self.notes.is_empty()).then(|| format!("{}: {}", path.display(), self.notes.join("; ")));
        Ok((summary, note))
    }
}
