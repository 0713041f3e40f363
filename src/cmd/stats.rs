//! `denet stats`: the summary of a JSONL recording, as a table or JSON.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::error::UserError;
use crate::profile::{Summary, SummaryBuilder};
use crate::recording::Record;
use crate::render::table;

pub fn stats(json: bool, path: &Path) -> anyhow::Result<ExitCode> {
    let (summary, note) = read_summary(path)?;
    if let Some(note) = note {
        note!("denet: {note}");
    }
    if json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer(&mut stdout, &Record::Summary(summary))?;
        writeln!(stdout)?;
    } else {
        writeln!(std::io::stdout().lock(), "{}", table::render(&summary))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The recording's summary: its `summary` record when present, else one rebuilt from its samples
/// (a recording cut off before the end), with a note saying so.
pub fn read_summary(path: &Path) -> anyhow::Result<(Summary, Option<String>)> {
    read_recording(path, false).map(|(_, s, n)| (s, n))
}

/// The recording's records (when `keep`), its summary, and the cut-off note.
pub fn read_recording(path: &Path, keep: bool) -> anyhow::Result<(Vec<Record>, Summary, Option<String>)> {
    let file = File::open(path).with_context(|| format!("cannot open the recording {}", path.display()))?;
    let bad = |why: String| UserError::BadRecording { file: path.display().to_string(), why };
    let mut builder = SummaryBuilder::default();
    let mut recorded = None;
    let mut records = 0;
    let mut kept = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record =
            serde_json::from_str(&line).map_err(|e| bad(format!("line {}: not a denet record ({e})", i + 1)))?;
        records += 1;
        match &record {
            Record::Sample(s) => builder.observe(s),
            Record::Summary(s) => recorded = Some(s.clone()),
            Record::Metadata(_) | Record::Env(_) => {}
        }
        if keep {
            kept.push(record);
        }
    }
    if records == 0 {
        return Err(bad("the file is empty: record with 'denet run --out FILE -- CMD'".into()).into());
    }
    match recorded {
        Some(s) => Ok((kept, s, None)),
        None if builder.summary().samples > 0 => {
            let note = format!(
                "{}: no summary record (the recording was cut off); summarised from its samples",
                path.display()
            );
            Ok((kept, builder.finish(), Some(note)))
        }
        None => Err(bad("no samples and no summary in the recording".into()).into()),
    }
}
