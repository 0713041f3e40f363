//! `denet doctor --bench`: what on this machine makes benchmarks noisy, each finding with its fix.

use std::process::ExitCode;

use crate::profile::NoiseFinding;

/// Print every check, the noisy ones marked with their fix; exit 0 (advice, not a failure).
pub fn doctor_bench(json: bool) -> anyhow::Result<ExitCode> {
    let all = crate::monitor::noise::findings(true);
    let text = if json { serde_json::to_string_pretty(&all)? + "\n" } else { render(&all) };
    super::write_stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn render(all: &[NoiseFinding]) -> String {
    let width = all.iter().map(|f| f.check.len()).max().unwrap_or(0);
    let mut out = String::from("Benchmark noise on this machine:\n");
    for f in all {
        let mark = if f.noisy { "noisy" } else { "ok   " };
        out += &format!("  {mark}  {:width$}  {}\n", f.check, f.found);
        if f.noisy {
            out += &format!("         {:width$}  fix: {}\n", "", f.fix);
        }
    }
    let noisy = all.iter().filter(|f| f.noisy).count();
    out += &match noisy {
        0 => "Nothing here should add noise to benchmarks.\n".to_string(),
        n => format!(
            "{n} setting{} add noise; `denet bench` records them in every result file's environment.\n",
            if n == 1 { "" } else { "s" }
        ),
    };
    out
}
