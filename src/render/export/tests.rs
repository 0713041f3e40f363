//! Snapshot tests of every export format, the terminal report, the regression tables and the HTML report's
//! skeleton, on fixed synthetic results.

use super::{exporter, Report};
use crate::bench::scheduler::BenchmarkResult;
use crate::checks::{Note, Regression, Row};
use crate::metrics::{self, MetricKey};
use crate::options::bench::BenchmarkSpec;
use crate::profile::EnvRecord;
use crate::profile::{ExitStatus, RunProfile, Rusage, TreeProfile};
use crate::render::bench_report::{self, Look, Paint};
use crate::render::bench_table::Layout;
use crate::render::{charts, html, regression, report_data};
use crate::stats::regress::{check, Check};
use crate::stats::Summarized;
use crate::vocab::{Format, Output, Threshold};

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

/// A complete benchmark of `line` whose runs take `walls` seconds and peak at `rss_mib`.
fn result(line: &str, params: &[(&str, &str)], walls: &[f64], rss_mib: u64) -> BenchmarkResult {
    BenchmarkResult {
        spec: spec(line, params),
        runs: walls.iter().enumerate().map(|(i, &w)| run(w, rss_mib, i)).collect(),
        warnings: Vec::new(),
        complete: true,
        interleaved: false,
        precision: None,
    }
}

fn fixture() -> Vec<Summarized> {
    let a = result("sleep 0.1", &[("n", "1")], &[0.101, 0.102, 0.100, 0.103, 0.101], 2);
    let b = result("sleep 0.2", &[("n", "2")], &[0.201, 0.203, 0.200, 0.202, 0.204], 3);
    vec![Summarized::new(a), Summarized::new(b)]
}

fn render(format: Format) -> String {
    export(&fixture(), format)
}

/// `f` of the report of `results` with wall, user and system time and peak memory, at a fixed time.
fn with_report<T>(results: &[Summarized], f: impl FnOnce(&Report) -> T) -> T {
    // Named, not the default preset, so that a change of the default leaves the exports' snapshots alone.
    let selected = metrics::parse("time_wall_clock,time_user,time_system,memory_peak_resident", false).unwrap();
    let env = EnvRecord::default();
    f(&Report {
        results,
        selected: &selected,
        alpha: 0.05,
        start_time: "2026-01-01T00:00:00Z",
        env: &env,
        ebpf: &[],
        cgroup: None,
    })
}

fn export(results: &[Summarized], format: Format) -> String {
    with_report(results, |report| String::from_utf8(exporter(format).render(report).unwrap()).unwrap())
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

/// Every block of `results` as `denet bench` prints them, each compared with the first, and the legend.
fn terminal(results: &[Summarized], metrics_spec: &str, layout: Layout) -> String {
    let selected = metrics::parse(metrics_spec, false).unwrap();
    let look = Look { selected: &selected, alpha: 0.05, layout, paint: Paint { colors: false } };
    let blocks: Vec<_> = results
        .iter()
        .enumerate()
        .map(|(i, s)| bench_report::block(i, s, (i > 0).then(|| &results[0]), look))
        .collect();
    let legend = bench_report::legend(0.05, blocks.iter().map(|b| b.legend).max().unwrap_or_default());
    blocks.iter().map(|b| b.text.as_str()).collect::<Vec<_>>().join(" \n") + &legend
}

#[test]
fn terminal_blocks_compared() {
    insta::assert_snapshot!(terminal(&fixture(), "default", Layout::FULL));
}

#[test]
fn terminal_blocks_compact_at_80_columns() {
    let text = terminal(&fixture(), "time_wall_clock,time_cpu,memory_peak_resident", Layout::for_width(80));
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    insta::assert_snapshot!(text);
}

/// The reference, a command not significantly different from it, and one far from normal (an outlier run), which
/// is compared with the Mann–Whitney U test.
fn three() -> Vec<Summarized> {
    let mut results = fixture();
    results.truncate(1);
    let close = result("sleep 0.1 # again", &[], &[0.1015, 0.1012, 0.1008, 0.1021, 0.1009], 2);
    let skewed = result("sleep 0.15", &[], &[0.150, 0.151, 0.150, 0.152, 0.300], 4);
    results.extend([Summarized::new(close), Summarized::new(skewed)]);
    results
}

#[test]
fn terminal_one_run_and_interrupted() {
    let mut results = fixture();
    results.truncate(1);
    let one = Summarized::new(result("sleep 0.3", &[], &[0.3], 4));
    let interrupted =
        Summarized::new(BenchmarkResult { complete: false, ..result("sleep 0.4", &[], &[0.401, 0.399], 4) });
    results.extend([one, interrupted]);
    insta::assert_snapshot!(terminal(&results, "default", Layout::FULL));
}

#[test]
fn terminal_with_both_tests() {
    insta::assert_snapshot!(terminal(&three(), "default", Layout::FULL));
}

/// One check of each verdict, relative and absolute thresholds, and notes.
fn regression() -> Regression {
    let base = [0.100, 0.101, 0.099, 0.100, 0.102, 0.100, 0.101, 0.099];
    let scaled = |f: f64| -> Vec<f64> { base.iter().map(|v| v * f).collect() };
    let noisy = [0.100, 0.130, 0.085, 0.120, 0.095, 0.125, 0.090, 0.110];
    // Peak RSS of about 1 MiB, as noisy as the times.
    let mib = |v: &[f64]| -> Vec<f64> { v.iter().map(|x| x * 10.0 * 1048576.0).collect() };
    let row = |benchmark: &str, metric: &str, check: Check| Row {
        benchmark: benchmark.into(),
        metric: MetricKey::parse(metric),
        check,
    };
    let wall = "time_wall_clock";
    let five = Threshold::Relative(0.05);
    Regression {
        rows: vec![
            row("slower", wall, check(&base, &scaled(1.2), five, 0.05, crate::stats::Design::Independent)),
            row("faster", wall, check(&base, &scaled(0.8), five, 0.05, crate::stats::Design::Independent)),
            row("same", wall, check(&base, &scaled(1.001), five, 0.05, crate::stats::Design::Independent)),
            row("noisy", wall, check(&base, &noisy, five, 0.05, crate::stats::Design::Independent)),
            row(
                "same",
                "memory_peak_resident",
                check(
                    &mib(&base),
                    &mib(&scaled(1.3)),
                    Threshold::Absolute(2.0 * 1048576.0),
                    0.05,
                    crate::stats::Design::Independent,
                ),
            ),
        ],
        notes: vec![
            Note::OnlyInBaseline("gone".into()),
            Note::New("fresh".into()),
            Note::TooNoisy {
                benchmark: "noisy".into(),
                metric: MetricKey::parse(wall),
                threshold: five,
                runs: 8,
                needed: 40,
            },
        ],
    }
}

#[test]
fn regression_terminal_table() {
    insta::assert_snapshot!(regression::terminal(&regression(), crate::render::columns::Screen::PLAIN));
}

#[test]
fn regression_markdown_table() {
    insta::assert_snapshot!(regression::markdown(&regression()));
}

#[test]
fn regression_junit() {
    insta::assert_snapshot!(regression::junit(&regression(), false));
}

/// The HTML report drawn from the results document, as `--export-html` draws it: its structure and tables,
/// with the charts' SVG bodies and the style sheet left out (the chart tests cover those).
#[test]
fn html_report_skeleton() {
    let data = with_report(&three(), |report| report_data::from_results(&super::document(report), "denet bench"));
    let charts = charts::benchmark_charts(&data).unwrap();
    let page = html::benchmark_report(&data, &charts).unwrap();
    let filters = vec![
        (r"(?s)<svg\b.*?</svg>", "<svg>…</svg>"),
        (r"(?s)<style>.*?</style>", "<style>…</style>"),
        (env!("CARGO_PKG_VERSION"), "[version]"),
    ];
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!(page);
    });
}
