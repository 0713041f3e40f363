//! `denet report`: an HTML report (and SVG charts) from benchmark results or a monitor recording.

use std::path::Path;
use std::process::ExitCode;

use crate::error::UserError;
use crate::render::export::write_atomically;
use crate::render::report_data::{self, Chart};
use crate::render::{charts, html};

/// What a file holds.
enum Sniffed {
    Results(Box<crate::results::Document<'static>>),
    Recording,
}

/// A JSONL recording starts with a `{"kind": ...}` line; a results file is one JSON document. The
/// first value is scanned to tell (at most a recording line's limit), then the file is streamed.
fn sniff(path: &Path) -> Result<Sniffed, UserError> {
    let bad = |why: String| UserError::BadResults { file: path.display().to_string(), why };
    if first_line_is_a_record(path).map_err(|e| bad(format!("cannot read it: {e}")))? {
        return Ok(Sniffed::Recording);
    }
    let doc = crate::results::read(path)?;
    if doc.results.is_empty() {
        return Err(bad("the file holds no benchmark results".into()));
    }
    if let Some(lacks) = doc.lacks() {
        note!("denet: {} is a {} export: {lacks}", path.display(), doc.tool());
    }
    Ok(Sniffed::Results(Box::new(doc)))
}

/// Whether the file starts with a JSON object that has a `kind` (a recording's first record). The
/// object is streamed and its values skipped, so a results document is not held in memory.
fn first_line_is_a_record(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    #[derive(serde::Deserialize)]
    struct Kind {
        kind: Option<serde::de::IgnoredAny>,
    }
    let file = std::fs::File::open(path)?.take(super::stats::MAX_LINE as u64);
    let first = serde_json::Deserializer::from_reader(std::io::BufReader::new(file)).into_iter::<Kind>().next();
    Ok(matches!(first, Some(Ok(Kind { kind: Some(_) }))))
}

pub fn report(input: &Path, out: &Path, svg_dir: Option<&Path>, title: Option<&str>) -> anyhow::Result<ExitCode> {
    let default_title =
        input.file_name().map_or("denet report".into(), |n| format!("denet report: {}", n.to_string_lossy()));
    let (page, charts) = match sniff(input)? {
        Sniffed::Results(doc) => {
            let data = report_data::from_results(&doc, title.unwrap_or(&default_title));
            // The runs are in `data` now: the file's model goes before the charts are drawn.
            drop(doc);
            results_page(&data)?
        }
        Sniffed::Recording => {
            // For `report`, unreadable input is a usage error (exit 2), as for results files.
            let mut builder = report_data::RecordingBuilder::default();
            let (summary, note) = super::stats::read_recording(input, &mut |r| builder.record(r)).map_err(|e| {
                match e.downcast::<UserError>() {
                    Ok(UserError::BadRecording { file, why }) => UserError::BadResults { file, why }.into(),
                    Ok(other) => other.into(),
                    Err(e) => e,
                }
            })?;
            if let Some(note) = note {
                note!("denet: {note}");
            }
            // A recording is titled by what it recorded, unless told otherwise.
            let title = title.map(String::from).or_else(|| builder.title());
            let rec = builder.finish(&summary, title.as_deref().unwrap_or(&default_title));
            let charts = charts::recording_charts(&rec)?;
            (html::recording_report(&rec, &charts)?, charts)
        }
    };
    // `-` is stdout, as for bench's exports.
    if out == Path::new("-") {
        super::write_stdout(page.as_bytes())?;
    } else {
        write_atomically(out, page.as_bytes())?;
    }
    if let Some(dir) = svg_dir {
        charts::write_svgs(&charts, dir)?;
        note!("denet: wrote {} charts (SVG) into {}", charts.len(), dir.display());
    }
    if out != Path::new("-") {
        note!("denet: wrote {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The HTML page and the charts of benchmark results.
pub fn results_page(data: &report_data::ReportData) -> anyhow::Result<(String, Vec<Chart>)> {
    let charts = charts::benchmark_charts(data)?;
    Ok((html::benchmark_report(data, &charts)?, charts))
}
