use std::collections::BTreeMap;

use quick_xml::events::Event;
use quick_xml::Reader;
use rand::{Rng, SeedableRng};

use super::style::series;
use super::*;
use crate::metrics::{Metric, MetricKey};
use crate::render::report_data::{BenchData, RecordingPoint};

const WALL: &MetricKey = &MetricKey::Known(Metric::TimeWallClock);

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut impl Rng) -> f64 {
    let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// A benchmark of `runs` runs around `mean` seconds, with a warm-up, noise and an outlier or two.
fn bench(name: &str, mean: f64, runs: usize, seed: u64) -> BenchData {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let wall: Vec<f64> = (0..runs)
        .map(|i| {
            let warm = if i < 3 { 1.0 + 0.3 / (i + 1) as f64 } else { 1.0 };
            let spike = if runs > 10 && i % 97 == 13 { 1.8 } else { 1.0 };
            mean * warm * spike * (1.0 + 0.04 * normal(&mut rng)).max(0.5)
        })
        .collect();
    let user: Vec<f64> = wall.iter().map(|w| w * (0.7 + 0.05 * normal(&mut rng))).collect();
    let system: Vec<f64> = wall.iter().map(|w| w * (0.1 + 0.01 * normal(&mut rng)).abs()).collect();
    let rss: Vec<f64> = (0..runs).map(|_| (40.0 + mean * 100.0 + normal(&mut rng)).round() * 1048576.0).collect();
    let mut started = Vec::with_capacity(runs);
    let mut t = 0.0;
    for w in &wall {
        started.push(t);
        t += w + 0.002;
    }
    let med = crate::stats::describe::quantile(&wall, 0.5);
    let timeline = (0..=120)
        .map(|k| {
            let f = k as f64 / 120.0;
            [
                f * med,
                (95.0 + 10.0 * normal(&mut rng)).clamp(0.0, 400.0) * (1.0 - (-f * 20.0).exp()),
                (5.0 + 35.0 * f) * 1048576.0,
                f64::NAN,
            ]
        })
        .collect();
    BenchData {
        name: name.into(),
        command: name.into(),
        parameters: BTreeMap::new(),
        metrics: BTreeMap::from([
            (Metric::TimeWallClock.into(), wall),
            (Metric::TimeUser.into(), user),
            (Metric::TimeSystem.into(), system),
            (Metric::MemoryPeakResident.into(), rss),
        ]),
        exit_codes: vec![Some(0); runs],
        started,
        timeline,
        warnings: Vec::new(),
        sampled: None,
    }
}

fn report(names: &[&str], runs: usize) -> ReportData {
    ReportData {
        title: "test".into(),
        tool: "denet".into(),
        primary_metric: Metric::TimeWallClock.into(),
        metrics: [Metric::TimeWallClock, Metric::TimeUser, Metric::TimeSystem, Metric::MemoryPeakResident]
            .map(MetricKey::from)
            .to_vec(),
        benchmarks: names
            .iter()
            .enumerate()
            .map(|(i, n)| bench(n, 0.012 * (1.0 + 0.35 * i as f64), runs, i as u64 + 1))
            .collect(),
        alpha: 0.05,
        ..ReportData::default()
    }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("./app --mode m{i} --input data/set{i}.bin")).collect()
}

fn scan_report(runs: usize) -> ReportData {
    let mut benchmarks = Vec::new();
    for size in [1000, 10_000, 100_000, 1_000_000] {
        for (k, tool) in ["sort -n", "gsort --parallel=4 -n"].iter().enumerate() {
            let name = format!("{tool} numbers-{size}.txt");
            let mean = 0.002 + size as f64 * 1e-7 * (1.0 + k as f64);
            let mut b = bench(&name, mean, runs, size as u64 + k as u64);
            b.parameters.insert("size".into(), size.to_string());
            b.parameters.insert("tool".into(), tool.to_string());
            benchmarks.push(b);
        }
    }
    ReportData { benchmarks, ..report(&[], runs) }
}

fn recording(samples: usize) -> RecordingData {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let (mut read, mut write) = (0.0, 0.0);
    let points = (0..samples)
        .map(|i| {
            let t = i as f64 * 0.1;
            read += if i % 50 < 10 { 4e6 * rng.random::<f64>() } else { 0.0 };
            write += 1e5 * rng.random::<f64>();
            RecordingPoint {
                t,
                cpu_percent: (180.0 + 30.0 * normal(&mut rng)).max(0.0),
                rss_bytes: (200.0 + t.min(30.0) * 10.0) * 1048576.0,
                read_bytes: read,
                write_bytes: write,
                processes: 1.0 + (i % 40 / 10) as f64,
                threads: 4.0 + (i % 40 / 10) as f64 * 3.0,
                syscalls: [f64::NAN; 8],
                off_cpu: f64::NAN,
                off_cpu_runnable: f64::NAN,
            }
        })
        .collect();
    RecordingData { title: "make -j4".into(), points, ..RecordingData::default() }
}

/// Parse `svg` to the end; return its text content.
fn parse(svg: &str) -> String {
    let mut reader = Reader::from_str(svg);
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Text(t)) => {
                text.push_str(&t.xml10_content());
            }
            Ok(Event::GeneralRef(r)) => {
                let entity = r.into_inner();
                text.push_str(match entity.as_ref() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                });
            }
            Ok(Event::End(_)) => text.push('\n'),
            Ok(_) => {}
            Err(e) => panic!("SVG does not parse at {}: {e}", reader.buffer_position()),
        }
    }
    text
}

fn check(data: &ReportData) -> Vec<Chart> {
    let charts = benchmark_charts(data).unwrap();
    for c in &charts {
        let text = parse(&c.svg);
        assert!(c.svg.starts_with("<svg"), "{}", c.id);
        assert!(text.contains(&c.title), "{}: title", c.id);
        let per_command = ["distribution", "histogram", "progression", "timeline", "relative"];
        if per_command.iter().any(|p| c.id.starts_with(p)) {
            for b in &data.benchmarks {
                assert!(text.contains(&b.name), "{}: no '{}'", c.id, b.name);
            }
        }
        // Axis titles, with their units.
        let label = |m: &str| crate::metrics::MetricKey::parse(m).label().to_string();
        let expected: Vec<String> = match c.id.split_once('-').unwrap_or((c.id.as_str(), "")) {
            ("distribution", m) => vec![format!("{} (", label(m))],
            ("histogram", m) => vec!["runs".into(), format!("{} (", label(m))],
            ("progression", _) => vec!["Run".into(), "Wall Time (".into()],
            ("timeline", _) => vec!["CPU (%)".into(), "Tree RSS (".into(), "Time since the run started (".into()],
            ("relative", m) => vec![format!("Change in {} (%)", label(m))],
            ("parameter", _) => vec![format!("{}, mean (", data.primary_metric.label())],
            (other, _) => panic!("unexpected chart {other}"),
        };
        for e in &expected {
            assert!(text.contains(e.as_str()), "{}: no axis title '{e}'", c.id);
        }
    }
    charts
}

fn ids(charts: &[Chart]) -> Vec<&str> {
    charts.iter().map(|c| c.id.as_str()).collect()
}

fn chart(charts: &[Chart], id: &str) -> String {
    parse(&charts.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no chart {id}")).svg)
}

#[test]
fn three_commands_get_every_chart_with_titles_units_and_names() {
    let n = names(3);
    let data = report(&n.iter().map(String::as_str).collect::<Vec<_>>(), 30);
    let charts = check(&data);
    assert_eq!(
        ids(&charts),
        [
            "distribution-time_wall_clock",
            "distribution-time_user",
            "distribution-time_system",
            "distribution-memory_peak_resident",
            "histogram-time_wall_clock",
            "progression",
            "timeline",
            "relative-time_wall_clock",
            "relative-time_user",
            "relative-time_system",
            "relative-memory_peak_resident",
        ]
    );
    // Axis titles carry units chosen from the data: 12 ms to 20 ms, ~41 MiB.
    assert!(chart(&charts, "distribution-time_wall_clock").contains("Wall Time (ms)"));
    assert!(chart(&charts, "distribution-memory_peak_resident").contains("Peak RSS (largest process) (MiB)"));
    assert!(chart(&charts, "histogram-time_wall_clock").contains("runs"));
    let progression = chart(&charts, "progression");
    assert!(progression.contains("Run") && progression.contains("Wall Time (ms)"));
    let timeline = chart(&charts, "timeline");
    assert!(
        timeline.contains("CPU (%)")
            && timeline.contains("Tree RSS (MiB)")
            && timeline.contains("Time since the run started (ms)")
    );
    let relative = chart(&charts, "relative-time_wall_clock");
    assert!(relative.contains("Change in Wall Time (%)") && relative.contains("reference (0%)"));
}

#[test]
fn one_command_has_no_comparison() {
    let data = report(&["sleep 0.01"], 3);
    let charts = check(&data);
    assert!(ids(&charts).iter().all(|id| !id.starts_with("relative")));
    assert!(ids(&charts).contains(&"distribution-time_wall_clock"));
}

#[test]
fn ten_commands_and_ten_thousand_runs() {
    let n = names(10);
    let n: Vec<&str> = n.iter().map(String::as_str).collect();
    let charts = check(&report(&n, 3));
    assert_eq!(charts.len(), 11);
    let charts = check(&report(&n[..2], 10_000));
    // Thinned: points and line vertices stay bounded.
    for c in &charts {
        assert!(c.svg.len() < 400_000, "{} is {} bytes", c.id, c.svg.len());
    }
}

#[test]
fn ten_commands_of_a_thousand_runs() {
    let n = names(10);
    let charts = check(&report(&n.iter().map(String::as_str).collect::<Vec<_>>(), 1000));
    assert_eq!(charts.len(), 11);
}

#[test]
fn user_text_is_escaped() {
    let evil = "<script>alert(1)</script>";
    let mut data = report(&["true", evil], 5);
    data.benchmarks[1].parameters.insert("x".into(), "1".into());
    data.benchmarks[0].parameters.insert("x".into(), "2".into());
    let charts = check(&data);
    for c in &charts {
        assert!(!c.svg.contains("<script"), "{}", c.id);
        if c.id != "parameter-scan" {
            assert!(c.svg.contains("&lt;script&gt;"), "{}", c.id);
        }
    }
}

#[test]
fn parameter_scan_draws_one_line_per_command_and_other_values() {
    let data = scan_report(5);
    let charts = check(&data);
    assert_eq!(ids(&charts)[0], "parameter-scan", "a scan's chart comes first");
    let scan = chart(&charts, "parameter-scan");
    assert!(scan.contains("Wall Time against the parameter size"));
    assert!(scan.contains("sort -n numbers-{size}.txt") && scan.contains("gsort --parallel=4 -n numbers-{size}.txt"));
    // The sizes are categories: a tick at each, labelled as given, and no log scale in between.
    assert_eq!(tick_labels(&scan, &["1000", "10000", "100000", "1000000"]), 4, "{scan}");
    assert!(!scan.contains("size (log scale)") && tick_labels(&scan, &["size"]) == 1, "{scan}");
    let svg = &charts[0].svg;
    assert_eq!(lines(svg, series(0).color).iter().filter(|n| **n == 4).count(), 1, "one line of 4 points each");
    assert_eq!(lines(svg, series(1).color).iter().filter(|n| **n == 4).count(), 1);
    // No scan without numeric parameters.
    assert!(!ids(&check(&report(&["a", "b"], 5))).contains(&"parameter-scan"));
}

/// `names[i]` with the parameter `param` = `values[i]`, each from its own benchmark.
fn scanned(names: &[String], param: &str, values: &[&str]) -> ReportData {
    let mut data = report(&names.iter().map(String::as_str).collect::<Vec<_>>(), 5);
    for (b, v) in data.benchmarks.iter_mut().zip(values) {
        b.parameters.insert(param.into(), v.to_string());
    }
    data
}

/// How many of `wanted` appear as whole lines of the chart's text (tick labels are text elements of their own).
fn tick_labels(text: &str, wanted: &[&str]) -> usize {
    wanted.iter().filter(|w| text.lines().any(|l| l.trim() == **w)).count()
}

/// The number of points of each polyline drawn in `color` with a 2 px stroke (series lines and legend swatches).
fn lines(svg: &str, color: plotters::style::RGBColor) -> Vec<usize> {
    let stroke = format!("stroke=\"#{:02X}{:02X}{:02X}\"", color.0, color.1, color.2);
    svg.lines()
        .filter(|l| l.starts_with("<polyline") && l.contains(&stroke) && l.contains("stroke-width=\"2\""))
        .map(|l| l.split("points=\"").nth(1).map_or(0, |p| p.split_whitespace().take_while(|t| *t != "\"/>").count()))
        .collect()
}

/// The case: the level's value also appears in the file name, but the results' parameters say what the
/// level is, so every level is one line.
#[test]
fn parameter_scan_takes_values_from_the_parameters_not_the_command_text() {
    let levels = ["1", "2", "3", "4", "5", "6"];
    let names: Vec<String> = levels.iter().map(|l| format!("gzip -{l} -c in5.txt")).collect();
    let data = scanned(&names, "level", &levels);
    let charts = check(&data);
    let svg = &charts.iter().find(|c| c.id == "parameter-scan").expect("a scan").svg;
    let text = parse(svg);
    assert!(text.contains("gzip -{level} -c in5.txt"), "{text}");
    assert!(!text.contains("in{level}"), "{text}");
    assert_eq!(lines(svg, series(0).color), [6, 2], "one line through all 6 levels, and its legend swatch");
    assert!(lines(svg, series(1).color).is_empty(), "no second series");
    assert_eq!(tick_labels(&text, &levels), 6);
}

/// `-L n 1,3`: two categories, no axis values in between; `sleep 0.01` is `sleep 0.0{n}`, not two lines.
#[test]
fn parameter_list_values_are_categories() {
    let names = vec!["sleep 0.01".to_string(), "sleep 0.03".to_string()];
    let data = scanned(&names, "n", &["1", "3"]);
    let charts = check(&data);
    let svg = &charts.iter().find(|c| c.id == "parameter-scan").expect("a scan").svg;
    let text = parse(svg);
    assert_eq!(tick_labels(&text, &["1", "3"]), 2, "{text}");
    assert_eq!(tick_labels(&text, &["1.5", "2", "2.0", "2.5", "1.0", "3.0"]), 0, "{text}");
    assert!(text.contains("sleep 0.0{n}"), "{text}");
    assert_eq!(lines(svg, series(0).color), [2, 2]);
}

/// Two commands scanned over the same values are two lines, told apart by their order among the benchmarks
/// of each value (hyperfine's and denet's order), whatever their names.
#[test]
fn parameter_scan_separates_commands_with_the_same_values() {
    let mut names = Vec::new();
    let mut values = Vec::new();
    for v in ["10", "20", "30"] {
        names.extend([format!("run {v}"), format!("run {v}")]);
        values.extend([v, v]);
    }
    let data = scanned(&names, "n", &values);
    let svg = &check(&data).into_iter().find(|c| c.id == "parameter-scan").expect("a scan").svg;
    assert_eq!(lines(svg, series(0).color), [3, 2]);
    assert_eq!(lines(svg, series(1).color), [3, 2]);
}

#[test]
fn missing_data_is_skipped_not_fatal() {
    let mut data = report(&["a", "b"], 4);
    data.benchmarks[0].timeline.clear();
    data.benchmarks[1].timeline.clear();
    data.benchmarks[1].metrics.get_mut(WALL).unwrap()[0] = f64::NAN;
    data.benchmarks[0].metrics.insert(Metric::TimeUser.into(), vec![0.0; 4]);
    let charts = check(&data);
    assert!(!ids(&charts).contains(&"timeline"));
    assert!(check(&ReportData::default()).is_empty());
    // Constant values and a single run.
    let mut one = report(&["x"], 1);
    one.benchmarks[0].metrics.insert(WALL.clone(), vec![0.5]);
    check(&one);
}

#[test]
fn recording_timelines() {
    let charts = recording_charts(&recording(3000)).unwrap();
    assert_eq!(ids(&charts), ["recording-cpu", "recording-memory", "recording-io", "recording-processes"]);
    for c in &charts {
        let text = parse(&c.svg);
        assert!(text.contains(&c.title) && text.contains("Time (s)"), "{}", c.id);
        assert!(c.svg.len() < 60_000, "{} is {} bytes", c.id, c.svg.len());
    }
    assert!(chart(&charts, "recording-io").contains("Rate (MiB/s)"));
    assert!(chart(&charts, "recording-memory").contains("RSS (MiB)"));
    assert!(recording_charts(&RecordingData::default()).unwrap().is_empty());
    // Long recordings count in minutes, then hours.
    assert!(parse(&recording_charts(&recording(20_000)).unwrap()[0].svg).contains("Time (min)"));
}

/// A recording with eBPF counters: 1000 file syscalls and 10 memory syscalls per sample, none of the others;
/// one thread always asleep.
fn ebpf_recording() -> RecordingData {
    let mut rec = recording(600);
    for (i, p) in rec.points.iter_mut().enumerate() {
        p.syscalls = [1000.0 * i as f64, 10.0 * i as f64, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        p.off_cpu = p.t;
        p.off_cpu_runnable = 0.0;
    }
    rec
}

/// `data` with syscalls counted in the first command's timeline, as with eBPF.
fn with_syscalls(mut data: ReportData) -> ReportData {
    for (k, p) in data.benchmarks[0].timeline.iter_mut().enumerate() {
        p[3] = 500.0 * k as f64;
    }
    data
}

#[test]
fn ebpf_recordings_add_syscall_and_off_cpu_timelines() {
    let charts = recording_charts(&ebpf_recording()).unwrap();
    assert_eq!(ids(&charts)[4..], ["recording-syscalls", "recording-off-cpu"]);
    let syscalls = parse(&chart(&charts, "recording-syscalls"));
    assert!(syscalls.contains("file io") && syscalls.contains("memory"), "{syscalls}");
    assert!(!syscalls.contains("network"), "categories without syscalls are left out: {syscalls}");
    assert!(syscalls.contains("10,000"), "1000 syscalls per 0.1 s is 10,000/s on the axis: {syscalls}");
    let off = parse(&chart(&charts, "recording-off-cpu"));
    assert!(off.contains("Threads off CPU") && off.contains("runnable"), "{off}");
}

#[test]
fn the_bench_timeline_gains_a_syscall_panel_with_ebpf() {
    let data = report(&["a", "b"], 20);
    let plain = chart(&check(&data), "timeline");
    assert!(!parse(&plain).contains("Syscalls/s"));
    let with = parse(&chart(&check(&with_syscalls(data)), "timeline"));
    assert!(with.contains("Syscalls/s (eBPF)"), "{with}");
}

#[test]
fn writes_one_file_per_chart() {
    let dir = tempfile::tempdir().unwrap();
    let charts = benchmark_charts(&report(&["a", "b"], 5)).unwrap();
    let out = dir.path().join("svg");
    write_svgs(&charts, &out).unwrap();
    for c in &charts {
        assert_eq!(std::fs::read_to_string(out.join(format!("{}.svg", c.id))).unwrap(), c.svg);
    }
}

/// Renders the review set into $DENET_CHARTS_REVIEW and prints timings:
/// `DENET_CHARTS_REVIEW=/tmp/charts-review cargo test --release --lib charts::tests::review -- --ignored --nocapture`
#[test]
#[ignore]
fn review() {
    let dir = std::path::PathBuf::from(std::env::var("DENET_CHARTS_REVIEW").unwrap_or("/tmp/charts-review".into()));
    let n10 = names(10);
    let n10: Vec<&str> = n10.iter().map(String::as_str).collect();
    let three =
        report(&["sleep 0.012", "python3 -c 'import time; time.sleep(0.015)'", "./target/release/app --fast"], 30);
    let sets = [
        ("three", three),
        ("ten", report(&n10, 30)),
        ("one", report(&["sleep 0.01"], 3)),
        ("single", report(&["sleep 0.01", "sleep 0.02"], 1)),
        ("many", report(&n10[..3], 10_000)),
        ("scan", scan_report(10)),
        (
            "long",
            report(
                &[
                    "<script>alert(1)</script>",
                    "python3 -c 'import json, sys; data = [json.loads(line) for line in open(\"events.jsonl\")]; print(len(data))' && sync && echo done --with --many --flags",
                ],
                20,
            ),
        ),
    ];
    for (name, data) in &sets {
        let charts = benchmark_charts(data).unwrap();
        write_svgs(&charts, &dir.join(name)).unwrap();
    }
    write_svgs(&recording_charts(&recording(3000)).unwrap(), &dir.join("recording")).unwrap();
    write_svgs(&recording_charts(&ebpf_recording()).unwrap(), &dir.join("recording-ebpf")).unwrap();
    write_svgs(&benchmark_charts(&with_syscalls(report(&n10[..2], 20))).unwrap(), &dir.join("syscalls")).unwrap();
    let big = report(&n10, 1000);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let charts = benchmark_charts(&big).unwrap();
        best = best.min(t.elapsed().as_secs_f64());
        if best.is_finite() {
            write_svgs(&charts, &dir.join("ten-by-1000")).unwrap();
        }
    }
    println!("10 commands x 1000 runs: all charts in {:.1} ms (best of 5)", best * 1e3);
    for c in benchmark_charts(&big).unwrap() {
        println!("  {:40} {:>8} bytes", c.id, c.svg.len());
    }
}

/// No caption or legend says "1 runs" (or "over 1 runs"), at any number of runs or commands.
#[test]
fn captions_agree_in_number() {
    let nouns = ["runs", "outliers", "commands", "samples", "values", "bins", "processes", "threads"];
    for runs in [1, 2, 3, 5, 10, 19, 25, 100, 301] {
        for commands in [1, 2, 5] {
            let n = names(commands);
            let data = report(&n.iter().map(String::as_str).collect::<Vec<_>>(), runs);
            for c in check(&data) {
                let text = parse(&c.svg);
                let words: Vec<&str> = text.split(|ch: char| !ch.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
                for w in words.windows(2) {
                    assert!(!(w[0] == "1" && nouns.contains(&w[1])), "{}: '1 {}' in {text}", c.id, w[1]);
                }
                if runs < 20 {
                    assert!(!text.contains("running median"), "{}: a median over one run: {text}", c.id);
                }
            }
        }
    }
}

/// One run each: the change chart names no interval and no significance it cannot draw.
#[test]
fn a_single_run_comparison_claims_no_interval() {
    let text = chart(&check(&report(&["a", "b"], 1)), "relative-time_wall_clock");
    assert!(!text.contains("confidence interval") && !text.contains("not significant"), "{text}");
    assert!(text.contains("too few runs"), "{text}");
    let text = chart(&check(&report(&["a", "b"], 10)), "relative-time_wall_clock");
    assert!(text.contains("95% confidence interval") && !text.contains("too few runs"), "{text}");
}

/// Beyond three commands, each gets its own row of timeline panels instead of six lines on one.
#[test]
fn many_commands_get_small_multiple_timelines() {
    let n = names(6);
    let data = report(&n.iter().map(String::as_str).collect::<Vec<_>>(), 5);
    let text = chart(&check(&data), "timeline");
    assert_eq!(text.lines().filter(|l| l.trim() == "CPU (%)").count(), 6, "a CPU panel per command: {text}");
    assert_eq!(text.lines().filter(|l| l.trim().starts_with("Tree RSS (")).count(), 6);
    for name in &n {
        assert_eq!(text.lines().filter(|l| l.trim() == name).count(), 1, "{name} names its row once");
    }
    let three = chart(&check(&report(&["a", "b", "c"], 5)), "timeline");
    assert_eq!(three.lines().filter(|l| l.trim() == "CPU (%)").count(), 1, "three commands share the panels");
}

/// A run as short as one sampling tick has one point in its timeline: it is drawn as a marker, not lost.
#[test]
fn a_single_sample_timeline_is_marked() {
    let mut data = report(&["a"], 5);
    // One sample, taken one tick after the start.
    let tick = data.benchmarks[0].timeline[60];
    data.benchmarks[0].timeline = vec![tick];
    let charts = check(&data);
    let svg = &charts.iter().find(|c| c.id == "timeline").expect("a timeline").svg;
    // Series 0's marker is a circle; the legend swatch of a line is not.
    assert_eq!(svg.matches("<circle").count(), 2, "one marker per panel (CPU, RSS): {svg}");
}
