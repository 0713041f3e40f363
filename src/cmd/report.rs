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

/// A JSONL recording starts with a `{"kind": ...}` line; a results file is one JSON document.
fn sniff(path: &Path) -> Result<Sniffed, UserError> {
    let bad = |why: String| UserError::BadResults { file: path.display().to_string(), why };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let first = text.lines().find(|l| !l.trim().is_empty()).ok_or_else(|| bad("the file is empty".into()))?;
    if serde_json::from_str::<serde_json::Value>(first).is_ok_and(|v| v.get("kind").is_some()) {
        return Ok(Sniffed::Recording);
    }
    let doc = serde_json::from_str(&text)
        .map_err(|e| bad(format!("neither a denet recording (JSONL) nor benchmark results (JSON): {e}")))?;
    let doc = crate::results::parse(doc).map_err(bad)?;
    if doc.results.is_empty() {
        return Err(bad("the file holds no benchmark results".into()));
    }
    if let Some(lacks) = doc.lacks() {
        note!("denet: {} is a {} export: {lacks}", path.display(), doc.tool());
    }
    Ok(Sniffed::Results(Box::new(doc)))
}

pub fn report(input: &Path, out: &Path, svg_dir: Option<&Path>, title: Option<&str>) -> anyhow::Result<ExitCode> {
    let default_title =
        input.file_name().map_or("denet report".into(), |n| format!("denet report: {}", n.to_string_lossy()));
    let title = title.unwrap_or(&default_title);
    let (page, charts) = match sniff(input)? {
        Sniffed::Results(doc) => results_page(&report_data::from_results(&doc, title))?,
        Sniffed::Recording => {
            // For `report`, unreadable input is a usage error (exit 2), as for results files.
            let (records, summary, note) =
                super::stats::read_recording(input, true).map_err(|e| match e.downcast::<UserError>() {
                    Ok(UserError::BadRecording { file, why }) => UserError::BadResults { file, why }.into(),
                    Ok(other) => other.into(),
                    Err(e) => e,
                })?;
            if let Some(note) = note {
                note!("denet: {note}");
            }
            let rec = report_data::from_recording(&records, &summary, title);
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
