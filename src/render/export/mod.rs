//! Exports of benchmark results: one small trait, one module per format, files replaced atomically.

mod csv;
mod json;
mod markup;

pub use json::document;

use std::cell::Cell;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::metrics::{self, Dimension, DisplayUnit, Selected};
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
    /// Whether the runs had cgroups of their own (`None`: the mock runner, which runs nothing).
    pub cgroup: Option<&'a crate::results::CgroupStatus>,
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

/// Owns the export targets: regular files are rewritten after each benchmark (a later failure
/// loses nothing); stdout and other streams (a device, a FIFO, /dev/stdout) are written once, at the end.
pub struct Exports {
    targets: Vec<(Format, Sink)>,
    /// When the files were last written, and what writing them took (cells: the report being
    /// written borrows its owner).
    last: Cell<Option<(Instant, Duration)>>,
    /// Whether a benchmark finished since the files were last written.
    pending: Cell<bool>,
}

/// The files are rewritten when the time since the last write is at least this many times what
/// that write took: writing then costs at most 1/(1 + this) of the benchmark's time, however many
/// benchmarks there are (a rewrite after each made 1,000 short benchmarks cost 150 s instead of 2 s).
const WRITE_BUDGET: u32 = 4;

/// Where an export goes, classified once: a file replaced after each benchmark, or a stream
/// (stdout, a device, a FIFO, /dev/stdout) written once at the end.
enum Sink {
    Stdout,
    Stream(PathBuf),
    File(PathBuf),
}

impl Exports {
    /// Targets are kept in hyperfine's order of formats (AsciiDoc, JSON, CSV, Markdown, Org), so
    /// that several exports to stdout come out as hyperfine prints them, whatever the flags' order.
    pub fn new(mut targets: Vec<(Format, Destination)>) -> Exports {
        let rank = |f: &Format| match f {
            Format::Asciidoc => 0,
            Format::Json => 1,
            Format::Csv => 2,
            Format::CsvRuns => 3,
            Format::Markdown => 4,
            Format::Orgmode => 5,
        };
        targets.sort_by_key(|(f, _)| rank(f));
        let sink = |d: Destination| match d {
            Destination::Stdout => Sink::Stdout,
            // A stream must exist before the benchmark; a file created later is a regular one.
            Destination::File(p) if matches!(crate::files::kind(&p), Ok(crate::files::Kind::Stream)) => Sink::Stream(p),
            Destination::File(p) => Sink::File(p),
        };
        Exports {
            targets: targets.into_iter().map(|(f, d)| (f, sink(d))).collect(),
            last: Cell::new(None),
            pending: Cell::new(false),
        }
    }

    /// Rewrite every regular file target with the results so far.
    pub fn write_files(&self, report: &Report) -> anyhow::Result<()> {
        let started = Instant::now();
        for (format, target) in &self.targets {
            if let Sink::File(path) = target {
                write_atomically(path, &exporter(*format).render(report)?)?;
            }
        }
        self.last.set(Some((Instant::now(), started.elapsed())));
        self.pending.set(false);
        Ok(())
    }

    /// Rewrite the files when the time budget allows (always the first time), else remember that
    /// they are behind.
    pub fn write_files_if_due(&self, report: &Report) -> anyhow::Result<()> {
        let due = self.last.get().is_none_or(|(at, took)| at.elapsed() >= took * WRITE_BUDGET);
        self.pending.set(true);
        if due {
            self.write_files(report)?;
        }
        Ok(())
    }

    /// The last write, when the files are behind (or were never written).
    pub fn write_pending(&self, report: &Report) -> anyhow::Result<()> {
        if self.pending.get() || self.last.get().is_none() {
            self.write_files(report)?;
        }
        Ok(())
    }

    /// Write stdout and the other streams (at the end). On stdout each export comes after a blank
    /// line and is followed by one, as hyperfine sets them apart from its report.
    pub fn write_stdout(&self, report: &Report) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        for (format, target) in &self.targets {
            match target {
                Sink::Stdout => {
                    let bytes = exporter(*format).render(report)?;
                    let written = out.write_all(b"\n").and_then(|()| out.write_all(&bytes));
                    written.and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush()).map_err(|e| {
                        // A closed pipe stays recognisable (main ends quietly on it).
                        anyhow::Error::new(e).context("cannot write the export to stdout")
                    })?;
                }
                Sink::Stream(path) => write_atomically(path, &exporter(*format).render(report)?)?,
                Sink::File(_) => {}
            }
        }
        Ok(())
    }
}

/// The unit a metric is measured in: seconds, bytes, counts (hyperfine's `s`, `B`, `count`).
fn base_unit(dimension: Dimension) -> DisplayUnit {
    let symbol = match dimension {
        Dimension::Time => "s",
        Dimension::Bytes => "B",
        Dimension::Count => "count",
    };
    metrics::unit(symbol, dimension).expect("every dimension has a base unit")
}

/// A unit as the exports spell it: `--metrics ...:us` is written µs, as hyperfine writes it.
fn shown(unit: DisplayUnit) -> DisplayUnit {
    match unit.symbol {
        "us" => DisplayUnit { symbol: "µs", ..unit },
        _ => unit,
    }
}

pub use crate::files::write_atomically;

#[cfg(test)]
mod tests;
