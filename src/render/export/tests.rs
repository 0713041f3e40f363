//! Snapshot tests of every export format and the terminal report, on fixed synthetic results.

use super::{exporter, Report};
use crate::bench::scheduler::BenchmarkResult;
use crate::metrics;
use crate::options::bench::BenchmarkSpec;
use crate::profile::EnvRecord;
use crate::profile::{ExitStatus, RunProfile, Rusage, TreeProfile};
use crate::render::bench_report::{self, Paint};
use crate::stats::Summarized;
use crate::vocab::{Format, Output};

fn spec(line: &str, params: &[(&str, &str)]) -> BenchmarkSpec {
    BenchmarkSpec {
        command_line: line.into(),
        custom_name: None,
        name: line.into(),
        program: None,
        argv: line.split(' ').map(String::from).collect(),
        parameters: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        setup: None,
        prepare: None,
        conclude: None,
        cleanup: None,
        output: Output::Null,
        env: Vec::new(),
    }
}

fn run(wall: f64, rss_mib: u64, i: usize) -> RunProfile {
    RunProfile {
        wall_s: wall,
        rusage: Rusage {
            user_s: wall / 10.0,
            system_s: wall / 20.0,
            max_rss_bytes: rss_mib << 20,
            minor_faults: 100 + i as u64,
            voluntary_ctx_switches: 2,
            ..Rusage::default()
        },
        tree: TreeProfile {
            rss_peak_bytes: rss_mib << 20,
            processes_peak: 1,
            threads_peak: 1,
            samples: 2,
            ..Default::default()
        },
        exit: Some(ExitStatus { code: Some(0), signal: None }),
        started_s: i as f64,
        ..RunProfile::default()
    }
}

fn fixture() -> Vec<Summarized> {
    let a = BenchmarkResult {
        spec: spec("sleep 0.1", &[("n", "1")]),
        runs: [0.101, 0.102, 0.100, 0.103, 0.101].iter().enumerate().map(|(i, &w)| run(w, 2, i)).collect(),
        warnings: Vec::new(),
        complete: true,
    };
    let b = BenchmarkResult {
        spec: spec("sleep 0.2", &[("n", "2")]),
        runs: [0.201, 0.203, 0.200, 0.202, 0.204].iter().enumerate().map(|(i, &w)| run(w, 3, i)).collect(),
        warnings: Vec::new(),
        complete: true,
    };
    vec![Summarized::new(a), Summarized::new(b)]
}

fn render(format: Format) -> String {
    let results = fixture();
    let selected = metrics::parse("default", false).unwrap();
    let env = EnvRecord::default();
    let report = Report {
        results: &results,
        selected: &selected,
        alpha: 0.05,
        start_time: "2026-01-01T00:00:00Z",
        env: &env,
        ebpf: &[],
    };
    String::from_utf8(exporter(format).render(&report).unwrap()).unwrap()
}

#[test]
fn markdown() {
    insta::assert_snapshot!(render(Format::Markdown));
}

#[test]
fn asciidoc() {
    insta::assert_snapshot!(render(Format::Asciidoc));
}

#[test]
fn orgmode() {
    insta::assert_snapshot!(render(Format::Orgmode));
}

#[test]
fn csv_per_command() {
    insta::assert_snapshot!(render(Format::Csv));
}

#[test]
fn csv_per_run() {
    insta::assert_snapshot!(render(Format::CsvRuns));
}

#[test]
fn json() {
    let v: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
    insta::assert_json_snapshot!(v, { ".metadata.denet_version" => "[version]", ".metadata.platform" => "[platform]" });
}

#[test]
fn terminal_block_and_comparison() {
    let results = fixture();
    let selected = metrics::parse("default", false).unwrap();
    let paint = Paint { colors: false };
    let text = bench_report::block(1, &results[1], &results[0], &selected, paint)
        + &bench_report::comparison_table(&results, &selected, 0.05)
        + &bench_report::summary(&results, &selected[0], 0.05, paint);
    insta::assert_snapshot!(text);
}
