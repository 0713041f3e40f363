//! The shape docs/architecture.md promises: no import cycle between src/'s top-level modules, and
//! no function over 60 lines outside tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The code of a file without its line comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Top-level module names a file refers to: `crate::x` and `crate::{x, y::z}`.
fn imports(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| s.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut out = BTreeSet::new();
    for part in code.split("crate::").skip(1) {
        if let Some(group) = part.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            let mut depth = 0;
            for piece in inner.split(|c| {
                depth += (c == '{') as i32 - (c == '}') as i32;
                c == ',' && depth == 0
            }) {
                out.insert(ident(piece));
            }
        } else {
            out.insert(ident(part));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src()) {
        let rel = file.strip_prefix(src()).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let deps = graph.entry(top.clone()).or_default();
        deps.extend(imports(&code(&file)).into_iter().filter(|m| *m != top));
    }
    graph
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str, seen: &mut BTreeSet<String>) -> bool {
    from == to
        || graph
            .get(from)
            .is_some_and(|deps| deps.iter().any(|d| seen.insert(d.clone()) && reaches(graph, d, to, seen)))
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let graph = module_graph();
    assert!(graph.contains_key("bench") && graph["cmd"].contains("bench"), "the scan finds imports: {graph:?}");
    let cycles: Vec<String> = graph
        .iter()
        .flat_map(|(m, deps)| deps.iter().map(move |d| (m, d)))
        .filter(|(m, d)| reaches(&graph, d, m, &mut BTreeSet::new()))
        .map(|(m, d)| format!("{m} -> {d}"))
        .collect();
    assert!(cycles.is_empty(), "edges on a cycle: {cycles:?}");
}

/// Lengths of the functions in `code` that come before its `#[cfg(test)]` module.
fn function_lengths(code: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = code.lines().take_while(|l| !l.trim_start().starts_with("#[cfg(test)]")).collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim_start().split("fn ").nth(1).filter(|_| is_fn_start(line)) else { continue };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let (mut depth, mut opened) = (0i32, false);
        for (j, l) in lines[i..].iter().enumerate() {
            for c in without_literals(l).chars() {
                depth += (c == '{') as i32 - (c == '}') as i32;
                opened |= c == '{';
            }
            if (opened && depth == 0) || (!opened && l.trim_end().ends_with(';')) {
                if opened {
                    out.push((name.clone(), j + 1));
                }
                break;
            }
        }
    }
    out
}

/// A line with the insides of its string and brace char literals blanked (format strings hold braces).
fn without_literals(line: &str) -> String {
    let line = line.replace("'{'", "' '").replace("'}'", "' '");
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in line.chars() {
        match (in_string, escaped, c) {
            (true, false, '\\') => escaped = true,
            (true, false, '"') | (false, _, '"') => in_string = !in_string,
            (true, _, _) => escaped = false,
            _ => out.push(c),
        }
    }
    out
}

fn is_fn_start(line: &str) -> bool {
    let t = line.trim_start();
    let t = match t.strip_prefix("pub") {
        Some(rest) if rest.starts_with('(') => rest.split_once(") ").map_or(rest, |(_, r)| r),
        Some(rest) => rest.trim_start(),
        None => t,
    };
    let t = t.strip_prefix("const ").unwrap_or(t);
    let t = t.strip_prefix("unsafe ").unwrap_or(t);
    t.starts_with("fn ")
}

#[test]
fn no_function_is_over_60_lines_outside_tests() {
    let mut long = Vec::new();
    for file in rust_files(&src()).into_iter().filter(|f| !f.ends_with("tests.rs")) {
        for (name, n) in function_lengths(&code(&file)) {
            if n > 60 {
                long.push(format!("{}: {name} ({n} lines)", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "functions over 60 lines: {long:#?}");
}

#[test]
fn the_length_check_measures_functions() {
    let code =
        "fn a() {\n    x('{', \"{\\\"}\");\n}\n\npub fn b(\n    y: u8,\n) -> u8 {\n    y\n}\n#[cfg(test)]\nfn c() {}\n";
    assert_eq!(function_lengths(code), [("a".to_string(), 3), ("b".to_string(), 5)]);
}
