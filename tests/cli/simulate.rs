//! `denet bench --simulate`: counts from cachegrind that do not vary A/A, the whole tree summed, a 1% change caught by `compare`, and the refusals.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{cpu_shared, denet};

/// Iterations of the C loop: about 7 million instructions, half a second under cachegrind.
const N: u64 = 1_000_000;

/// A C loop of argv[1] iterations, compiled now; `None`, with the reason printed, without valgrind or cc.
fn c_loop(dir: &Path) -> Option<PathBuf> {
    let have =
        |tool: &str| std::process::Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !have("valgrind") {
        eprintln!("skipped: valgrind is not installed (apt-get install valgrind)");
        return None;
    }
    let src = dir.join("loop.c");
    std::fs::write(
        &src,
        "#include <stdlib.h>\nint main(int c, char **v) { long n = atol(v[1]); volatile long s = 0;\n\
         for (long i = 0; i < n; i++) s += i; return 0; }\n",
    )
    .unwrap();
    let exe = dir.join("loop");
    match std::process::Command::new("cc").args(["-O2", "-o"]).arg(&exe).arg(&src).status() {
        Ok(s) if s.success() => Some(exe),
        other => {
            eprintln!("skipped: cannot compile the C loop with cc ({other:?})");
            None
        }
    }
}

/// `denet bench --simulate --runs 1` of `command` named `loop`, exported to `out`; the results file.
fn simulate(command: &str, out: &Path, env: &[(&str, &str)]) -> Value {
    let mut cmd = denet();
    cmd.args(["bench", "--simulate", "-N", "--runs", "1", "--style", "none", "-n", "loop", "--export-json"])
        .arg(out)
        .arg(command)
        .envs(env.iter().copied());
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "denet bench --simulate {command} failed: {o:?}");
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

fn sim(doc: &Value) -> &Value {
    &doc["results"][0]["simulation"]
}

#[test]
fn a_a_simulated_counts_are_identical_whatever_the_environment() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let Some(exe) = c_loop(dir.path()) else { return };
    let command = format!("{} {N}", exe.display());
    let a = simulate(&command, &dir.path().join("a.json"), &[]);
    // CI's variables differ between the baseline's job and the pull request's: they are not passed on.
    let ci = [("GITHUB_REF", "refs/pull/1234/merge"), ("GITHUB_HEAD_REF", "a-much-longer-branch-name-than-main")];
    let b = simulate(&command, &dir.path().join("b.json"), &ci);
    assert_eq!(sim(&a)["events"], sim(&b)["events"], "A/A counts differ");
    let ir = sim(&a)["sim_instructions"].as_u64().unwrap();
    assert!(ir > 2 * N && ir < 20 * N, "{ir} instructions for {N} iterations");
    assert_eq!(sim(&a)["processes"], 1);
    // The timing runs' measurements carry no simulated metric; the summary has it once.
    let run = &a["results"][0]["measurements"][0];
    assert!(run.get("sim_instructions").is_none(), "{run}");
    assert_eq!(a["results"][0]["summary"]["sim_instructions"]["mean"].as_f64(), Some(ir as f64));
}

#[test]
fn the_whole_tree_is_counted() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let Some(exe) = c_loop(dir.path()) else { return };
    let one = simulate(&format!("{} {N}", exe.display()), &dir.path().join("one.json"), &[]);
    let out = dir.path().join("two.json");
    let o = denet()
        .args(["bench", "--simulate", "-S", "--runs", "1", "--style", "none", "--export-json"])
        .arg(&out)
        .arg(format!("{0} {N} && {0} {N}", exe.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let two: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(sim(&two)["processes"], 3, "the shell and both loops");
    let (a, b) = (sim(&one)["sim_instructions"].as_u64().unwrap(), sim(&two)["sim_instructions"].as_u64().unwrap());
    assert!(b > 2 * a, "the shell and two loops ({b}) against one loop ({a})");
}

#[test]
fn one_percent_more_iterations_is_flagged_by_compare_and_a_a_passes() {
    let _cpu = cpu_shared();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let Some(exe) = c_loop(dir.path()) else { return };
    let (base, same, more) = (dir.path().join("base.json"), dir.path().join("same.json"), dir.path().join("more.json"));
    simulate(&format!("{} {N}", exe.display()), &base, &[]);
    simulate(&format!("{} {N}", exe.display()), &same, &[]);
    simulate(&format!("{} {}", exe.display(), N + N / 100), &more, &[]);
    let compare = |current: &Path| denet().arg("compare").arg(&base).arg(current).output().unwrap();
    let aa = compare(&same);
    let text = String::from_utf8_lossy(&aa.stdout);
    assert_eq!(aa.status.code(), Some(0), "A/A: {text}");
    assert!(text.contains("Instructions (sim)") && text.contains("+0.00% (exact)"), "{text}");
    let ab = compare(&more);
    let text = String::from_utf8_lossy(&ab.stdout);
    assert_eq!(ab.status.code(), Some(1), "+1% iterations passed: {text}");
    let row = text.lines().find(|l| l.contains("Instructions (sim)")).expect("a simulated row");
    assert!(row.contains("REGRESSED") && row.contains("none needed (exact)") && row.contains("0.5%"), "{row}");
}

#[test]
fn without_valgrind_one_error_names_the_package() {
    let _cpu = cpu_shared();
    let empty = tempfile::tempdir().unwrap();
    let o = denet()
        .env("PATH", empty.path())
        .args(["bench", "--simulate", "-N", "--runs", "1", "/bin/true"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.matches("apt-get install valgrind").count(), 1, "{stderr}");
    assert!(o.stdout.is_empty(), "nothing ran: {}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn simulated_metrics_are_not_chosen_with_metrics() {
    let _cpu = cpu_shared();
    let o = denet().args(["bench", "--metrics", "sim_instructions", "-N", "--runs", "1", "true"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("add --simulate"), "{stderr}");
}
