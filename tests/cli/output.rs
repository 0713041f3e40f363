//! The JSONL recording, where the monitored program's output goes, recordings in files and `stats`.

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;

use crate::util::{assert_same_json, cpu_shared, denet, f64_of, kind, last_summary, records, u64_of, workload};

#[test]
fn jsonl_is_metadata_env_samples_summary() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    let out = denet()
        .args(["run", "-q", "--json", "--env-record", "--", "sh", "-c", "echo hello"])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let recs = records(&out.stdout);
    assert!(recs.len() >= 4, "expected metadata, env, samples and summary: {recs:?}");
    assert_eq!(kind(&recs[0]), "metadata", "{}", recs[0]);
    assert_eq!(kind(&recs[1]), "env", "{}", recs[1]);
    assert_eq!(kind(recs.last().unwrap()), "summary");
    let middle = &recs[2..recs.len() - 1];
    assert!(!middle.is_empty(), "no samples");
    for r in middle {
        assert_eq!(kind(r), "sample", "only samples between the header and the summary: {r}");
    }
    let env = &recs[1];
    assert!(u64_of(env, "logical_cpus") >= 1, "{env}");
    let kernel = env["kernel"].as_str().unwrap_or_else(|| panic!("env has no kernel: {env}"));
    assert!(!kernel.is_empty(), "{env}");
    assert_eq!(recs[0]["mode"], "run");
    assert_eq!(recs[0]["command"], serde_json::json!(["sh", "-c", "echo hello"]));
}

#[test]
fn json_moves_the_programs_stdout_to_stderr() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    let out = denet().args(["run", "-q", "--json", "--", "sh", "-c", "echo hello"]).output().expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    // Every stdout line is a record (records() panics otherwise), so "hello" cannot be on it.
    records(&out.stdout);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.lines().any(|l| l == "hello"), "the program's output is on stdout: {stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.lines().any(|l| l == "hello"), "the program's output is not on stderr: {stderr:?}");
}

#[test]
fn without_json_the_program_keeps_its_stdout() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    denet().args(["run", "-q", "--", "sh", "-c", "echo hello"]).assert().success().stdout("hello\n");
}

#[test]
fn silent_discards_the_programs_output() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    denet()
        .args(["run", "-q", "--silent", "--", "sh", "-c", "echo hello; echo oops >&2"])
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("hello").not().and(predicate::str::contains("oops").not()));
}

/// Record `workload sleep 0.3` to stdout and to `file` at once; returns the stdout records.
fn record_to(file: &Path) -> Vec<Value> {
    let out = denet()
        .args(["run", "-q", "--json", "-o"])
        .arg(file)
        .args(["--"])
        .arg(workload())
        .args(["sleep", "0.3"])
        .output()
        .expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    records(&out.stdout)
}

#[test]
fn out_file_gets_the_same_records() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rec.jsonl");
    let on_stdout = record_to(&file);
    let in_file = records(&std::fs::read(&file).expect("the recording file"));
    assert_eq!(on_stdout, in_file, "stdout and the file differ");
    assert_eq!(kind(&in_file[0]), "metadata");
    assert_eq!(kind(in_file.last().unwrap()), "summary");
}

#[test]
fn out_file_without_json_leaves_stdout_to_the_program() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rec.jsonl");
    denet()
        .args(["run", "-q", "-o"])
        .arg(&file)
        .args(["--", "sh", "-c", "echo hello"])
        .assert()
        .success()
        .stdout("hello\n");
    let recs = records(&std::fs::read(&file).expect("the recording file"));
    assert_eq!(kind(&recs[0]), "metadata");
    assert_eq!(kind(recs.last().unwrap()), "summary");
}

#[test]
fn stats_prints_a_table() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rec.jsonl");
    record_to(&file);
    denet().arg("stats").arg(&file).assert().success().stdout(predicate::str::contains("Peak RSS"));
}

#[test]
fn json_stats_prints_the_recorded_summary() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rec.jsonl");
    let recorded = record_to(&file).pop().unwrap();
    let out = denet().args(["stats", "--json"]).arg(&file).output().expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 1, "one summary record: {recs:?}");
    let s = &recs[0];
    assert_eq!(kind(s), "summary");
    assert_eq!(f64_of(s, "duration_s"), f64_of(&recorded, "duration_s"));
    assert_eq!(u64_of(s, "samples"), u64_of(&recorded, "samples"));
    assert_same_json(s, &recorded, "summary");
}

/// A recording with its summary line cut off; returns the file, the original summary and the number of samples.
fn cut_recording(dir: &Path) -> (std::path::PathBuf, Value, u64) {
    let file = dir.join("cut.jsonl");
    let mut recs = record_to(&file);
    let summary = recs.pop().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let kept: Vec<&str> = text.lines().collect();
    std::fs::write(&file, kept[..kept.len() - 1].join("\n") + "\n").unwrap();
    let samples = recs.iter().filter(|r| kind(r) == "sample").count() as u64;
    (file, summary, samples)
}

#[test]
fn stats_of_a_cut_recording_rebuilds_the_summary_with_a_note() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (file, _, _) = cut_recording(dir.path());
    denet()
        .arg("stats")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("Peak RSS"))
        .stderr(predicate::str::contains("cut.jsonl").and(predicate::str::contains("cut off")));
}

#[test]
fn json_stats_of_a_cut_recording_rebuilds_the_summary_with_a_note() {
    let _cpu = cpu_shared();
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir().unwrap();
    let (file, original, samples) = cut_recording(dir.path());
    let out = denet().args(["stats", "--json"]).arg(&file).output().expect("denet runs");
    assert!(out.status.success(), "{out:?}");
    let s = last_summary(&out.stdout);
    assert_eq!(u64_of(&s, "samples"), samples, "{s}");
    assert_eq!(u64_of(&s, "samples"), u64_of(&original, "samples"), "{s}");
    assert_eq!(f64_of(&s, "duration_s"), f64_of(&original, "duration_s"), "{s}");
    assert_eq!(u64_of(&s, "processes_peak"), u64_of(&original, "processes_peak"), "{s}");
    assert!(s.get("rusage").is_none() && s.get("exit").is_none(), "samples know no rusage or exit: {s}");
    // docs/cli.md and docs/data-format.md: "a note on stderr says the recording was cut off", --json included.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cut.jsonl") && stderr.contains("cut off"), "no note on stderr: {stderr:?}");
}

#[test]
fn completions_for_bash() {
    let _cpu = cpu_shared();
    denet().args(["completions", "bash"]).assert().success().stdout(predicate::str::contains("denet"));
}

#[test]
fn man_page_is_roff() {
    let _cpu = cpu_shared();
    denet().arg("man").assert().success().stdout(predicate::str::contains(".TH"));
}
