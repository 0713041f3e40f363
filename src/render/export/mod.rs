//! Exports of benchmark results: one small trait, one module per format, files replaced atomically.

mod csv;
mod json;
mod markup;

pub use json::document;

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::metrics::Selected;
use crate::profile::EnvRecord;
use crate::stats::Summarized;
use crate::vocab::{Destination, Format};

/// What every exporter is given.
pub struct Report<'a> {
    pub results: &'a [Summarized],
    pub selected: &'a [Selected],
    pub alpha: f64,
    pub start_time: &'a str,
    pub env: &'a EnvRecord,
    /// With `--ebpf`: each part of the eBPF set-up and why a part does not work here.
    pub ebpf: &'a [crate::monitor::ebpf::PartStatus],
}

/// Renders a report as bytes in one format.
pub trait Exporter {
    fn render(&self, report: &Report) -> anyhow::Result<Vec<u8>>;
}

/// The exporter for a format.
pub fn exporter(format: Format) -> Box<dyn Exporter> {
    match format {
        Format::Json => Box::new(json::Json),
        Format::Csv => Box::new(csv::PerCommand),
        Format::CsvRuns => Box::new(csv::PerRun),
        Format::Markdown => Box::new(markup::Markup(markup::Flavor::Markdown)),
        Format::Asciidoc => Box::new(markup::Markup(markup::Flavor::Asciidoc)),
        Format::Orgmode => Box::new(markup::Markup(markup::Flavor::Orgmode)),
    }
}

/// Owns the export targets: files are rewritten after each benchmark, stdout is written once at the end.
pub struct Exports {
    targets: Vec<(Format, Destination)>,
}

impl Exports {
    pub fn new(targets: Vec<(Format, Destination)>) -> Exports {
        Exports { targets }
    }

    /// Rewrite every file target with the results so far.
    pub fn write_files(&self, report: &Report) -> anyhow::Result<()> {
        for (format, target) in &self.targets {
            if let Destination::File(path) = target {
                let bytes = exporter(*format).render(report)?;
                write_atomically(path, &bytes)?;
            }
        }
        Ok(())
    }

    /// Write the stdout targets (at the end).
    pub fn write_stdout(&self, report: &Report) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        for (format, target) in &self.targets {
            if *target == Destination::Stdout {
                let bytes = exporter(*format).render(report)?;
                out.write_all(&bytes)?;
                out.flush()?;
            }
        }
        Ok(())
    }
}

/// Write to a temporary file beside `path`, then rename it over `path`: readers never see half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let context = || format!("cannot write the export file {}", path.display());
    let mut builder = tempfile::Builder::new();
    // Temporary files are private (0600); an export is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir).with_context(context)?;
    tmp.write_all(bytes).with_context(context)?;
    tmp.as_file().sync_all().with_context(context)?;
    tmp.persist(path).map_err(|e| e.error).with_context(context)?;
    Ok(())
}

#[cfg(test)]
mod tests;
