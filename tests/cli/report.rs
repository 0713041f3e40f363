//! `denet report` and `bench --export-html/--export-svg`: self-contained HTML, escaped text, every chart, checked in a browser.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{cpu_shared, denet, workload};

const EVIL: &str = "<script>alert(1)</script>";

/// Headless Chromium, if installed (CI installs Debian's `chromium`).
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file()))
}

/// Load a page headless; the serialised DOM and Chromium's log (console messages included).
fn load(browser: &Path, page: &Path) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A benchmark (mocked: nothing runs) with a hostile command name and a parameter scan, exported as HTML, SVG and JSON.
fn benchmark_report(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (html, svg, json) = (dir.join("report.html"), dir.join("svg"), dir.join("results.json"));
    let out = denet()
        .args(["bench", "--mock", "--style", "none", "--runs", "12", "-L", "t", "0.01,0.02,0.03"])
        .args(["-n", EVIL, "-n", "b {t}", "-n", "c {t}", "sleep {t}"])
        .args(["--export-html"])
        .arg(&html)
        .arg("--export-svg")
        .arg(&svg)
        .arg("--export-json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    (html, svg, json)
}

#[test]
fn bench_exports_a_self_contained_escaped_report_and_svgs() {
    let dir = tempfile::tempdir().unwrap();
    let (html, svg, _) = benchmark_report(dir.path());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains(EVIL), "the command name must be escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "and shown as text");
    assert!(!page.contains("<script"), "the report has no script at all");
    for external in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(external), "the report loads something from the network: {external}");
    }
    assert!(page.contains("id=\"comparison\"") && page.contains("id=\"details\""));
    let svgs: Vec<_> =
        std::fs::read_dir(&svg).unwrap().flatten().map(|e| e.file_name().into_string().unwrap()).collect();
    for expected in ["distribution-time_wall_clock.svg", "progression.svg", "parameter-scan.svg"] {
        assert!(svgs.iter().any(|s| s == expected), "{expected} missing from {svgs:?}");
    }
    for name in &svgs {
        let text = std::fs::read_to_string(svg.join(name)).unwrap();
        assert!(!text.contains("<script"), "{name} holds an unescaped script");
        assert!(page.contains(&format!("id=\"chart-{}\"", name.trim_end_matches(".svg"))), "{name} not inlined");
    }
    assert!(page.len() < 2_000_000, "report is {} bytes", page.len());
}

#[test]
fn reports_open_in_a_browser_without_errors() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium on PATH (CI installs Debian's chromium package)");
        return;
    };
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (html, svg, _) = benchmark_report(dir.path());
    let (dom, log) = load(&browser, &html);
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the hostile name is text in the DOM");
    assert!(!dom.contains("<script>alert"), "no script element was created");
    assert!(dom.contains("<table class=\"comparison figures\">"), "the comparison table is in the DOM");
    let charts = std::fs::read_dir(&svg).unwrap().count();
    assert_eq!(dom.matches("<svg").count(), charts, "every chart is in the DOM");
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
}

#[test]
fn report_renders_saved_results_hyperfine_files_and_recordings() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (_, _, json) = benchmark_report(dir.path());
    // From denet's JSON.
    let out_html = dir.path().join("again.html");
    let out = denet().arg("report").arg(&json).arg("-o").arg(&out_html).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(std::fs::read_to_string(&out_html).unwrap().contains("&lt;script&gt;"));
    // From a hyperfine 2.0 file (schema_version 2, counters without units).
    let hf = dir.path().join("hf.json");
    let runs: Vec<serde_json::Value> = (0..5)
        .map(|i| serde_json::json!({"time_wall_clock": {"value": 0.1 + 0.001 * i as f64, "unit": "second"},
            "memory_peak_resident": {"value": 1048576.0, "unit": "byte"}, "instructions": {"value": 1000}, "exit_code": 0}))
        .collect();
    let doc = serde_json::json!({"schema_version": 2, "metadata": {"hyperfine_version": "2.0.0"},
        "primary_metric": "time_wall_clock", "results": [{"command": "sleep 0.1", "measurements": runs}]});
    std::fs::write(&hf, doc.to_string()).unwrap();
    let hf_html = dir.path().join("hf.html");
    let out = denet().arg("report").arg(&hf).arg("-o").arg(&hf_html).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(std::fs::read_to_string(&hf_html).unwrap().contains("sleep 0.1"));
    // From a hyperfine 1.x file: its per-run wall times, and a note on what it lacks.
    let v1 = dir.path().join("v1.json");
    let doc = serde_json::json!({"results": [{"command": "sleep 0.2", "mean": 0.2, "user": 0.001, "system": 0.0,
        "times": [0.199, 0.2, 0.201], "memory_usage_byte": [3182592, 3182592, 3182592], "exit_codes": [0, 0, 0],
        "parameters": {"n": "2"}}]});
    std::fs::write(&v1, doc.to_string()).unwrap();
    let v1_html = dir.path().join("v1.html");
    let out = denet().arg("report").arg(&v1).arg("-o").arg(&v1_html).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a hyperfine 1.x export: only per-run wall times"),
        "{out:?}"
    );
    let page = std::fs::read_to_string(&v1_html).unwrap();
    assert!(page.contains("sleep 0.2") && page.contains("hyperfine 1.x"), "the runs and their origin");
    // From a monitor recording.
    let rec = dir.path().join("rec.jsonl");
    let out = denet()
        .args(["run", "-q", "-i", "20", "--out"])
        .arg(&rec)
        .arg("--")
        .arg(workload())
        .args(["busy", "1", "0.3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let rec_html = dir.path().join("rec.html");
    let out = denet().arg("report").arg(&rec).arg("-o").arg(&rec_html).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let page = std::fs::read_to_string(&rec_html).unwrap();
    assert!(page.contains("<svg") && page.contains("Peak RSS"), "timelines and the summary");
    let title = element(&page, "<h1>", "</h1>");
    assert!(title.contains(" busy 1 0.3</h1>") && !title.contains("rec.jsonl"), "titled by its command: {title}");
}

/// The text of the first element that opens with `open` (up to its closing `close`).
fn element<'a>(page: &'a str, open: &str, close: &str) -> &'a str {
    let at = page.find(open).unwrap_or_else(|| panic!("no {open}"));
    let rest = &page[at..];
    &rest[..rest.find(close).map_or(rest.len(), |e| e + close.len())]
}

/// Six benchmarks of a scan: a headline, a table of contents, the scan chart first, figures that never wrap.
#[test]
fn a_long_report_has_a_headline_contents_and_the_scan_first() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("scan.html");
    let out = denet()
        .args([
            "bench",
            "--mock",
            "--style",
            "none",
            "--runs",
            "5",
            "-P",
            "n",
            "1",
            "6",
            "sleep 0.0{n}",
            "--export-html",
        ])
        .arg(&html)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let page = std::fs::read_to_string(&html).unwrap();
    let headline = element(&page, "<p class=\"headline", "</p>");
    assert!(
        headline.contains("is the fastest") && headline.contains("95% CI") && headline.contains("α = 0.05"),
        "{headline}"
    );
    let toc = element(&page, "<nav class=\"toc\"", "</nav>");
    for anchor in ["#comparison", "#charts", "#details", "#bench-6", "#chart-parameter-scan", "#chart-progression"] {
        assert!(toc.contains(&format!("href=\"{anchor}\"")), "{anchor} missing from the contents: {toc}");
    }
    let first_chart = element(&page, "<div class=\"chart\"", ">");
    assert!(first_chart.contains("id=\"chart-parameter-scan\""), "{first_chart}");
    // Every table of figures scrolls in its own box, and its figures never break ("424.1 ms ± / 46.9 ms").
    let style = element(&page, "<style>", "</style>");
    assert!(style.contains("table.figures td:not(.name), table.figures th:not(.name) { white-space: nowrap; }"));
    assert!(style.contains(".scroll { overflow-x: auto; }"));
    assert_eq!(page.matches("<table class=\"comparison figures\">").count(), 1);
    assert_eq!(page.matches("<div class=\"scroll\">\n<table").count(), 7, "the comparison and 6 commands");
}

/// One command: its summary, without a comparison with itself.
#[test]
fn a_one_command_report_compares_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("one.html");
    let out = denet()
        .args(["bench", "--mock", "--style", "none", "--runs", "5", "sleep 0.1", "--export-html"])
        .arg(&html)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let page = std::fs::read_to_string(&html).unwrap();
    let table = element(&page, "<table class=\"comparison", "</table>");
    assert!(!table.contains("Change") && !table.contains("reference"), "{table}");
    assert!(!page.contains("reference:") && !page.contains("class=\"headline"), "nothing to compare");
    assert!(page.contains("<h2 id=\"comparison\">Summary</h2>"));
    assert!(!page.contains("class=\"toc\""), "a short report needs no contents");
}

#[test]
fn report_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let out = denet().arg("report").arg(&empty).arg("-o").arg(dir.path().join("x.html")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    let out = denet().arg("report").arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no -o: {out:?}");
}
