//! Help: each subcommand lists only its own options, grouped under cargo-style headings.

use crate::util::denet;

fn help(args: &[&str]) -> String {
    let out = denet().args(args).output().expect("denet runs");
    assert!(out.status.success(), "{args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The options listed under `heading` (up to the next heading or the end).
fn section<'a>(help: &'a str, heading: &str) -> &'a str {
    let start = help.find(&format!("\n{heading}:\n")).unwrap_or_else(|| panic!("no {heading}:\n{help}"));
    let rest = &help[start + heading.len() + 3..];
    let end = rest.find("\n\n").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn bench_help_groups_its_flags_under_headings() {
    let h = help(&["bench", "-h"]);
    let expect = [
        ("Run count", ["--warmup", "--runs"]),
        ("Hooks", ["--prepare", "--cleanup"]),
        ("Parameters", ["--parameter-scan", "--parameter-list"]),
        ("Exports", ["--export-json", "--export-html"]),
        ("Regression checks", ["--baseline", "--threshold"]),
        ("eBPF", ["--ebpf", "--ebpf"]),
    ];
    for (heading, flags) in expect {
        let s = section(&h, heading);
        for flag in flags {
            assert!(s.contains(flag), "{flag} not under {heading}:\n{h}");
        }
    }
    // Nothing but help and version is left without a heading.
    assert!(!section(&h, "Options").contains("--warmup"), "{h}");
}

#[test]
fn run_and_attach_help_list_only_their_options() {
    let run = help(&["run", "-h"]);
    assert!(section(&run, "Output").contains("--silent"), "{run}");
    assert!(section(&run, "Monitor").contains("--duration"), "{run}");
    let attach = help(&["attach", "-h"]);
    for flag in ["--silent", "--warmup", "--export-json"] {
        assert!(!attach.contains(flag), "attach -h lists {flag}:\n{attach}");
    }
    for flag in ["--warmup", "--export-json", "--baseline"] {
        assert!(!run.contains(flag), "run -h lists {flag}:\n{run}");
    }
}
