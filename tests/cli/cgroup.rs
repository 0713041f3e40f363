//! Each run in its own cgroup: exact whole-group figures, `--timeout`, `--memory-limit`, strays (needs cgroup write access; skips elsewhere).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{cpu_exclusive, cpu_shared, denet, last_summary, workload, MIB};

/// Why the run's cgroup cannot be made here (the tests then skip, printing it), or None.
fn no_cgroup() -> Option<String> {
    let out = denet().args(["run", "-q", "--json", "--", "true"]).output().expect("denet runs");
    let summary = last_summary(&out.stdout);
    if summary.get("time_cpu_cgroup").is_some() {
        return None;
    }
    Some(format!("no cgroup write access here ({})", String::from_utf8_lossy(&out.stderr).trim()))
}

macro_rules! needs_cgroup {
    () => {
        if let Some(why) = no_cgroup() {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// `denet bench --style none --export-json - ARGS`: its one result's measurements (exit status not checked).
fn bench_runs(args: &[&str]) -> (Vec<Value>, std::process::Output) {
    let out = denet().args(["bench", "--style", "none", "--export-json", "-"]).args(args).output().expect("denet runs");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let runs = doc["results"][0]["measurements"].as_array().cloned().unwrap_or_default();
    (runs, out)
}

fn value(run: &Value, metric: &str) -> f64 {
    run[metric]["value"].as_f64().unwrap_or_else(|| panic!("no {metric} in {run}"))
}

/// Processes named `sleep` with `marker` in their command line, still alive.
fn alive_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let zombie = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default().contains(") Z ");
        if text.contains(marker) && !zombie && !text.contains("denet") {
            found.push(format!("{} {text}", entry.file_name().to_string_lossy()));
        }
    }
    found
}

/// Two 200 MiB allocations at once, held 20 ms: too short for a sampler, exact for the group's peak.
#[test]
fn two_concurrent_allocations_peak_together_in_the_group() {
    let _cpu = cpu_shared();
    needs_cgroup!();
    let w = workload().display().to_string();
    let cmd = format!("{w} twin 200 0.02");
    let (runs, out) = bench_runs(&["-S", "--runs", "2", &cmd]);
    assert!(out.status.success(), "{out:?}");
    for run in &runs {
        let peak = value(run, "memory_peak_cgroup");
        // Charged in batches of 64 pages per CPU: a run can use up to 256 KiB per CPU charged before it.
        assert!(peak >= 399.0 * MIB as f64, "memory_peak_cgroup {peak} < 399 MiB");
        assert!(peak < 480.0 * MIB as f64, "memory_peak_cgroup {peak}: far above two 200 MiB buffers");
    }
    let out = denet().args(["run", "-q", "--json", "--", "sh", "-c", &cmd]).output().unwrap();
    let peak = last_summary(&out.stdout)["memory_peak_cgroup"].as_u64().unwrap();
    assert!(peak >= 400 * MIB, "run: memory_peak_cgroup {peak} < 400 MiB");
}

#[test]
fn a_timeout_kills_the_whole_run_and_fails_it() {
    let _cpu = cpu_shared();
    needs_cgroup!();
    let marker = "10.0417";
    let t = Instant::now();
    let (runs, out) = bench_runs(&["-N", "--runs", "1", "--timeout", "0.5", &format!("sleep {marker}")]);
    assert!(t.elapsed() < Duration::from_secs(1), "took {:?}", t.elapsed());
    assert_eq!(out.status.code(), Some(1), "a timed-out run fails: {out:?}");
    assert!(alive_with(marker).is_empty(), "left running: {:?}", alive_with(marker));
    let _ = runs;
    let (runs, out) =
        bench_runs(&["-S", "-i", "--runs", "1", "--timeout", "0.5", &format!("sleep {marker} & sleep {marker}")]);
    assert!(out.status.success(), "-i: {out:?}");
    assert_eq!(runs[0]["timed_out"], Value::Bool(true), "{}", runs[0]);
    assert!(alive_with(marker).is_empty(), "left running: {:?}", alive_with(marker));
    let t = Instant::now();
    let out = denet()
        .args(["run", "-q", "--json", "--timeout", "0.5", "--", "sh", "-c"])
        .arg(format!("sleep {marker} & sleep {marker}"))
        .output()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "run took {:?}", t.elapsed());
    assert_eq!(last_summary(&out.stdout)["timed_out"], Value::Bool(true));
    assert!(alive_with(marker).is_empty(), "left running: {:?}", alive_with(marker));
}

#[test]
fn a_memory_limit_ends_in_an_oom_kill() {
    let _cpu = cpu_shared();
    needs_cgroup!();
    let w = workload().display().to_string();
    let (runs, out) = bench_runs(&["-N", "-i", "--runs", "1", "--memory-limit", "50M", &format!("{w} hold 200 0.1")]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(runs[0]["oom_killed"], Value::Bool(true), "{}", runs[0]);
    assert!(value(&runs[0], "oom_kills") >= 1.0);
    assert!(value(&runs[0], "memory_peak_cgroup") <= 50.0 * MIB as f64, "the limit holds");
    let out = denet()
        .args(["run", "-q", "--json", "--memory-limit", "50M", "--"])
        .arg(&w)
        .args(["hold", "200", "0.1"])
        .output()
        .unwrap();
    assert_eq!(last_summary(&out.stdout)["oom_killed"], Value::Bool(true));
}

#[test]
fn a_stray_is_killed_and_named() {
    let _cpu = cpu_shared();
    needs_cgroup!();
    let marker = "60.0413";
    let (_, out) = bench_runs(&["-S", "--runs", "2", &format!("sleep {marker} & exit 0")]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Named by its command line, or by its name where it was caught in the middle of its exec.
    let named = [format!("sleep {marker}"), "[sleep]".into(), "[sh]".into()].iter().any(|n| stderr.contains(n));
    assert!(stderr.contains("were killed") && named, "named: {stderr}");
    assert!(alive_with(marker).is_empty(), "bench left: {:?}", alive_with(marker));
    let out = denet().args(["run", "-q", "--", "sh", "-c"]).arg(format!("sleep {marker} & exit 0")).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("were killed"));
    assert!(alive_with(marker).is_empty(), "run left: {:?}", alive_with(marker));
    // Not through a pipe: assert_cmd reads until every holder of the pipe closed it, the kept stray too.
    let keep = format!("sleep {marker} >/dev/null 2>&1 & exit 0");
    let out = std::process::Command::new(crate::util::denet_path())
        .args(["run", "-q", "--keep-strays", "--", "sh", "-c", &keep])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    let kept = alive_with(marker);
    assert_eq!(kept.len(), 1, "--keep-strays keeps it: {out:?}");
    let pid: i32 = kept[0].split_whitespace().next().unwrap().parse().unwrap();
    // SAFETY: killing the stray this test asked to keep.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

/// An orphan that burns CPU and is reaped by the spawner, not by the run: wait4 misses it, the group
/// does not. The truth is the orphan's own CPU time as /usr/bin/time (its parent) reads it with wait4.
#[test]
fn the_groups_cpu_time_counts_an_orphan() {
    let _cpu = cpu_exclusive();
    needs_cgroup!();
    if !std::path::Path::new("/usr/bin/time").exists() {
        eprintln!("skipped: no /usr/bin/time for the orphan's own CPU time");
        return;
    }
    let w = workload().display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let truth = dir.path().join("orphan");
    let cmd = format!("(/usr/bin/time -f '%e %U %S' -o {} {w} busy 1 0.3 &); sleep 0.8", truth.display());
    let (runs, out) = bench_runs(&["-S", "--runs", "1", &cmd]);
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&truth).unwrap();
    let f: Vec<f64> = text.split_whitespace().map(|x| x.parse().unwrap()).collect();
    let orphan = f[1] + f[2];
    let (wait4, cgroup) = (value(&runs[0], "time_cpu"), value(&runs[0], "time_cpu_cgroup"));
    assert!(orphan > 0.05, "the orphan ran: {text}");
    assert!(wait4 < orphan / 2.0, "wait4 misses the orphan: {wait4} (orphan {orphan})");
    // time(1) reports in 10 ms steps; the shells' and time's own CPU are in the group too.
    let rest = cgroup - orphan;
    assert!(rest > -0.011 && rest < wait4 + 0.03, "group {cgroup} = orphan {orphan} + the rest {rest} (wait4 {wait4})");
}

#[test]
fn bench_has_them_by_default_and_no_cgroup_turns_them_off() {
    let _cpu = cpu_shared();
    needs_cgroup!();
    let (runs, out) = bench_runs(&["-N", "--runs", "2", "true"]);
    assert!(out.status.success(), "{out:?}");
    assert!(runs.iter().all(|r| r.get("time_cpu_cgroup").is_some()), "{runs:?}");
    let out = denet()
        .args(["bench", "-N", "--runs", "1", "--no-cgroup", "--style", "none", "--export-json", "-", "true"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["results"][0]["measurements"][0].get("time_cpu_cgroup").is_none(), "{doc}");
    let status = &doc["metadata"]["cgroup"];
    assert_eq!(
        (&status["enabled"], &status["reason"]),
        (&Value::Bool(false), &Value::from("turned off (--no-cgroup)"))
    );
    let out = denet().args(["run", "-q", "--json", "--no-cgroup", "--", "true"]).output().unwrap();
    let summary = last_summary(&out.stdout);
    assert!(summary.get("time_cpu_cgroup").is_none());
}

/// The paths of machines unlike this hybrid one, each alone: v1 only (the spawner's session group;
/// strays are the processes that joined it during the run) and v2 only (the command's leaf).
#[test]
fn v1_only_and_v2_only_machines_get_their_figures_and_lose_no_stray() {
    let _cpu = cpu_shared();
    needs_cgroup!();
    let marker = "60.0419";
    for (only, metric) in [("v1", "memory_peak_cgroup"), ("v2", "time_cpu_cgroup")] {
        let out = denet()
            .env("DENET_CGROUP_ONLY", only)
            .args(["bench", "-S", "--runs", "3", "--style", "none", "--export-json", "-"])
            .arg(format!("sleep {marker} & exit 0"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{only}: {out:?}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let runs = doc["results"][0]["measurements"].as_array().unwrap();
        assert!(runs.iter().all(|r| r.get(metric).is_some()), "{only}: {metric} in {runs:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("were killed"), "{only}: {out:?}");
        assert!(alive_with(marker).is_empty(), "{only} left: {:?}", alive_with(marker));
    }
}

/// Each run's figure is its own, though the command's group is reused: the CPU time of a run is
/// not the sum of the runs before it, and a second command starts from zero.
#[test]
fn figures_of_a_reused_group_are_each_runs_own() {
    let _cpu = cpu_shared();
    needs_cgroup!();
    let w = workload().display().to_string();
    let out = denet()
        .args(["bench", "-N", "--runs", "4", "--style", "none", "--export-json", "-"])
        .arg(format!("{w} busy 1 0.05"))
        .arg("true")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    // A busy run spins 0.05 s of wall time, so uses at most that much CPU; three together, 0.15 s.
    for (i, most) in [(0, 0.09), (1, 0.02)] {
        for run in doc["results"][i]["measurements"].as_array().unwrap() {
            let cpu = value(run, "time_cpu_cgroup");
            assert!(cpu < most, "command {i}: time_cpu_cgroup {cpu} s, more than one run's");
        }
    }
    assert_eq!(doc["metadata"]["cgroup"]["enabled"], Value::Bool(true), "{}", doc["metadata"]);
}

/// `bench --keep-strays`: a stray keeps running, moved out of its command's group (into `kept`), so
/// that the next run's figures are not its.
#[test]
fn bench_keeps_strays_out_of_the_next_runs_group() {
    let _cpu = cpu_shared();
    needs_cgroup!();
    let marker = "60.0421";
    let keep = format!("sleep {marker} >/dev/null 2>&1 & exit 0");
    // Not through a pipe: the kept strays would hold it open.
    let status = std::process::Command::new(crate::util::denet_path())
        .args(["bench", "-S", "--runs", "2", "--keep-strays", "--style", "none", &keep])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    let kept = alive_with(marker);
    for stray in &kept {
        let pid: i32 = stray.split_whitespace().next().unwrap().parse().unwrap();
        let groups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        // SAFETY: killing a stray this test asked to keep.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        assert!(groups.contains("/kept"), "{stray} is not in a kept group: {groups}");
    }
    assert!(status.success() && kept.len() == 2, "{status:?}, kept {kept:?}");
}
