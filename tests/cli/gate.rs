//! Sharper wall-time gates: `--precision` stops when the interval is narrow enough, `--cpus` pins the runs, `--interleave` pairs the comparison.

use serde_json::Value;

use crate::util::{cpu_shared, denet};

/// `denet bench --style none ARGS... --export-json -`: the results file.
fn results(args: &[&str]) -> Value {
    let out = denet().args(["bench", "--style", "none"]).args(args).args(["--export-json", "-"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn precision_stops_early_on_a_stable_command_and_reports_what_it_reached() {
    let _cpu = cpu_shared();
    // A sleep varies by well under ±20% of its mean on any machine this runs on: a few runs settle it.
    let doc = results(&["-N", "--precision", "20%", "-m", "3", "-M", "200", "sleep 0.02"]);
    let r = &doc["results"][0];
    let runs = r["measurements"].as_array().unwrap().len();
    let p = &r["precision"];
    assert!((3..200).contains(&runs), "{runs} runs: {p}");
    assert_eq!((p["target"].as_f64(), p["max_runs_reached"].as_bool()), (Some(0.2), Some(false)), "{p}");
    assert!(p["achieved"].as_f64().unwrap() <= 0.2, "{p}");
    let text = denet().args(["bench", "-N", "--precision", "20%", "-m", "3", "-M", "200", "sleep 0.02"]).output();
    let text = String::from_utf8(text.unwrap().stdout).unwrap();
    assert!(text.contains("Precision: ±") && text.contains("of the mean (95% interval; target ±20%)"), "{text}");
}

#[test]
fn precision_says_when_the_maximum_came_first() {
    let _cpu = cpu_shared();
    // No real command's runs agree to a millionth of their mean.
    let out = denet().args(["bench", "-N", "--precision", "0.0001%", "-m", "2", "-M", "4", "sleep 0.002"]).output();
    let out = out.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the maximum of 4 runs was reached before the target precision ±0.0001%"), "{stderr}");
    let doc = results(&["-N", "--precision", "0.0001%", "-m", "2", "-M", "4", "sleep 0.002"]);
    let r = &doc["results"][0];
    assert_eq!(r["measurements"].as_array().unwrap().len(), 4);
    assert_eq!(r["precision"]["max_runs_reached"], true);
}

#[test]
fn precision_of_interleaved_commands_is_of_the_paired_change() {
    let doc = results(&["--debug-mode", "--interleave", "--precision", "1%", "-m", "4", "sleep 0.1", "sleep 0.2"]);
    assert_eq!(doc["metadata"]["interleaved"], true);
    let second = &doc["results"][1];
    assert_eq!(second["precision"]["of"], "paired_change", "{second}");
    assert_eq!(second["measurements"].as_array().unwrap().len(), 4);
    assert_eq!(second["comparison"]["time_wall_clock"]["design"], "paired");
}

/// The CPUs this test process may use.
fn allowed() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap().trim().to_string()
}

#[test]
fn cpus_pin_every_run_and_the_environment_says_so() {
    let _cpu = cpu_shared();
    let list = allowed();
    let first = list.split([',', '-']).next().unwrap().to_string();
    let out = denet()
        .args(["bench", "-N", "--cpus", &first, "-r", "2", "--show-output", "grep Cpus_allowed_list /proc/self/status"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.matches(&format!("Cpus_allowed_list:\t{first}\n")).count(), 2, "{stdout}");
    let doc = results(&["-N", "--cpus", &first, "-r", "1", "true"]);
    assert_eq!(doc["metadata"]["environment"]["affinity"], first.as_str());
}

#[test]
fn cpus_outside_the_allowed_set_are_refused_with_the_allowed_list() {
    let out = denet().args(["bench", "-N", "--cpus", "4095", "-r", "1", "true"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("the allowed CPUs are {}", allowed())), "{stderr}");
}

#[test]
fn interleaved_runs_are_checked_paired() {
    let out = denet()
        .args(["bench", "--debug-mode", "--interleave", "-r", "5", "sleep 0.1", "sleep 0.2"])
        .args(["--threshold", "time_wall_clock=5%", "--export-json", "-", "--style", "none"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &doc["results"][1]["comparison"]["time_wall_clock"];
    assert_eq!((c["design"].as_str(), c["test"].as_str()), (Some("paired"), Some("paired")), "{c}");
    assert_eq!(out.status.code(), Some(1), "a doubling is a regression");
}

#[test]
fn doctor_bench_names_each_noise_source_with_its_fix_and_bench_records_them() {
    let aslr_on = std::fs::read_to_string("/proc/sys/kernel/randomize_va_space").unwrap().trim() != "0";
    let out = denet().args(["doctor", "--bench", "--json"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let aslr = all.iter().find(|f| f["check"] == "aslr").expect("the ASLR check");
    assert_eq!(aslr["noisy"], aslr_on, "{aslr}");
    assert_eq!(aslr["fix"].as_str().is_some_and(|f| f.contains("randomize_va_space=0")), aslr_on, "{aslr}");
    let text = String::from_utf8(denet().args(["doctor", "--bench"]).output().unwrap().stdout).unwrap();
    assert!(text.contains("aslr") && text.contains("load average"), "{text}");
    // The same warnings land in every result file's environment.
    let doc = results(&["--debug-mode", "-r", "2", "sleep 0.1"]);
    let noise = doc["metadata"]["environment"]["noise"].as_array().cloned().unwrap_or_default();
    assert_eq!(noise.iter().any(|f| f["check"] == "aslr"), aslr_on, "{noise:?}");
}
