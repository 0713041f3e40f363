//! Every command shown in README.md and docs/*.md runs, so the documentation cannot rot.
//!
//! Commands are the lines of ```sh blocks and the `$ ` lines of ```console blocks. Each runs
//! through `sh` in one scratch directory per file (HOME too), with the built denet first on PATH
//! and fixture files the examples name. A command is expected to exit 0, or with the code a
//! following `$ echo $?` shows. A block preceded by `<!-- not run: REASON -->` is skipped, and
//! the reason must be given.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{cpu_shared, denet_path};

struct Block {
    file: String,
    line: usize,
    commands: Vec<(String, i32)>,
}

/// `cargo run [--release] [--features F] -- ARGS` is `denet ARGS` here; other cargo commands
/// (build, test, install) are what runs this test, so they are not run again.
fn rewrite(cmd: &str) -> Option<String> {
    let cmd = cmd.trim().trim_start_matches("sudo ").replace("target/release/denet", "denet");
    if let Some(rest) = cmd.strip_prefix("cargo run") {
        return rest.split_once(" -- ").map(|(_, args)| format!("denet {args}"));
    }
    (!cmd.starts_with("cargo ")).then_some(cmd)
}

/// The commands of one fenced block, with their expected exit codes.
fn commands(lang: &str, body: &[&str]) -> Vec<(String, i32)> {
    let mut out: Vec<(String, i32)> = Vec::new();
    let mut lines = body.iter().peekable();
    let mut pending = String::new();
    while let Some(line) = lines.next() {
        let cmd = match lang {
            "console" => match line.strip_prefix("$ ") {
                Some("echo $?") => {
                    let code = lines.next().and_then(|l| l.trim().parse().ok()).expect("a code after echo $?");
                    out.last_mut().expect("a command before echo $?").1 = code;
                    continue;
                }
                Some(c) => c.to_string(),
                None => continue,
            },
            _ => line.to_string(),
        };
        // A trailing backslash continues the command on the next line.
        if let Some(head) = cmd.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        let full = std::mem::take(&mut pending) + &cmd;
        if let Some(c) = rewrite(&full).filter(|c| !c.is_empty() && !c.starts_with('#')) {
            out.push((c, 0));
        }
    }
    out
}

fn blocks(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(lang) = lines[i].trim_start().strip_prefix("```").filter(|l| !l.is_empty()) else {
            i += 1;
            continue;
        };
        let end = i + 1 + lines[i + 1..].iter().position(|l| l.trim_start().starts_with("```")).unwrap();
        let skip = i.checked_sub(1).and_then(|p| lines[p].strip_prefix("<!-- not run:"));
        if let Some(reason) = skip {
            assert!(reason.trim_end_matches("-->").trim().len() > 3, "{}:{}: say why", file.display(), i);
        } else if ["sh", "console"].contains(&lang) {
            let commands = commands(lang, &lines[i + 1..end]);
            found.push(Block { file: file.display().to_string(), line: i + 1, commands });
        }
        i = end + 1;
    }
    found
}

fn doc_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs")).unwrap().map(|e| e.unwrap().path()).collect();
    docs.sort();
    files.extend(docs.into_iter().filter(|p| p.extension().is_some_and(|e| e == "md")));
    files
}

fn sh(dir: &Path, script: &str) -> std::process::Output {
    let bin = denet_path();
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    Command::new("sh").args(["-c", script]).current_dir(dir).env("PATH", path).env("HOME", dir).output().unwrap()
}

/// The files the examples name: results, a recording, two results to compare.
fn fixtures(dir: &Path) {
    let setup = "mkdir -p .local/share/bash-completion/completions .config/fish/completions \
        && denet bench --runs 2 --style none 'sleep 0.01' 'sleep 0.02' --export-json results.json \
        && denet run -q -o recording.jsonl -- sleep 0.1 \
        && denet bench --runs 15 --style none 'sleep 0.05' --export-json a.json \
        && denet bench --runs 15 --style none -n 'sleep 0.05' 'sleep 0.06' --export-json c.json";
    let out = sh(dir, setup);
    assert!(out.status.success(), "fixtures: {}", String::from_utf8_lossy(&out.stderr));
}

/// `denet doctor`'s verdict depends on the machine: any of its documented verdicts is fine.
fn accepted(cmd: &str, expected: i32, got: Option<i32>) -> bool {
    match cmd.starts_with("denet doctor") {
        true => matches!(got, Some(0 | 1 | 3)),
        false => got == Some(expected),
    }
}

#[test]
fn every_documented_command_runs() {
    let _cpu = cpu_shared();
    let mut failures = Vec::new();
    let mut ran = 0;
    let dir = tempfile::tempdir().unwrap();
    fixtures(dir.path());
    for file in doc_files() {
        for block in blocks(&file) {
            for (cmd, expected) in &block.commands {
                let out = sh(dir.path(), cmd);
                ran += 1;
                if !accepted(cmd, *expected, out.status.code()) {
                    let err = String::from_utf8_lossy(&out.stderr);
                    failures.push(format!(
                        "{}:{}: `{cmd}` exited {:?}, not {expected}:\n{err}",
                        block.file,
                        block.line,
                        out.status.code()
                    ));
                }
            }
        }
    }
    assert!(ran > 20, "only {ran} commands found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn extraction_finds_console_and_sh_commands() {
    let console =
        commands("console", &["$ denet bench a b", "out", "$ echo $?", "1", "$ sudo target/release/denet doctor"]);
    assert_eq!(console, vec![("denet bench a b".to_string(), 1), ("denet doctor".to_string(), 0)]);
    let sh = commands("sh", &["cargo run --release -- bench x \\", "  -S", "cargo test", "# note"]);
    assert_eq!(sh, vec![("denet bench x   -S".to_string(), 0)]);
}
