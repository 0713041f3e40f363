//! SVG charts of benchmark results and monitor recordings, drawn with plotters.
//!
//! Every chart is a complete SVG document; text goes through plotters' SVG backend, which
//! XML-escapes it, so command names and parameters cannot inject markup. Each command keeps
//! its colour (Okabe–Ito, colour-blind safe) across charts; beyond eight commands the colours
//! repeat with other marker shapes. Long series are thinned or aggregated so that a chart stays
//! legible and small with 10,000 runs.

mod axis;
mod bench;
mod data;
mod frame;
mod recording;
mod style;

#[cfg(test)]
mod tests;

use std::path::Path;

use anyhow::Context;

use super::report_data::{Chart, RecordingData, ReportData};

/// Every chart of a benchmark report: distributions, histogram, progression, timelines, parameter scan, comparisons.
pub fn benchmark_charts(data: &ReportData) -> anyhow::Result<Vec<Chart>> {
    bench::charts(data)
}

/// Timelines of a monitor recording: CPU, memory, storage I/O, processes and threads.
pub fn recording_charts(rec: &RecordingData) -> anyhow::Result<Vec<Chart>> {
    recording::charts(rec)
}

/// Write each chart to `<dir>/<id>.svg`, creating `dir`.
pub fn write_svgs(charts: &[Chart], dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for chart in charts {
        let path = dir.join(format!("{}.svg", chart.id));
        crate::render::export::write_atomically(&path, chart.svg.as_bytes())?;
    }
    Ok(())
}
