//! Prose for a person (errors, warnings, notes) wrapped at word boundaries to the terminal's width, never cut mid-word by the terminal.

use std::io::IsTerminal;

/// `text` as it should reach stderr: wrapped to the terminal's width when stderr is one (each line
/// on its own, continuation lines indented two more than the line's own indent), as it is otherwise,
/// so that logs and scripts get one line per message.
pub fn for_stderr(text: &str) -> String {
    for_stream(text, std::io::stderr().is_terminal(), console::Term::stderr())
}

/// `for_stderr` for stdout (`denet doctor`'s findings).
pub fn for_stdout(text: &str) -> String {
    for_stream(text, std::io::stdout().is_terminal(), console::Term::stdout())
}

fn for_stream(text: &str, terminal: bool, term: console::Term) -> String {
    match term.size_checked().filter(|_| terminal) {
        Some((_, cols)) => to_width(text, cols as usize),
        None => text.to_string(),
    }
}

/// Each line of `text` wrapped to `width` columns; colour codes take no width.
pub fn to_width(text: &str, width: usize) -> String {
    // One column short: a line that fills the last column wraps early on some terminals.
    let width = width.saturating_sub(1).max(20);
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            if textwrap::core::display_width(line) <= width {
                return line.to_string();
            }
            let indent = &line[..line.len() - line.trim_start_matches(' ').len()];
            let hanging = format!("{indent}  ");
            let options = textwrap::Options::new(width)
                .subsequent_indent(&hanging)
                .break_words(true)
                // "re-run" stays whole: a break after its hyphen reads as a hyphenated word.
                .word_splitter(textwrap::WordSplitter::NoHyphenation);
            textwrap::wrap(line, options).join("\n")
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_words_with_a_hanging_indent() {
        let text = "  Warning: noisy machine: load average 2.16 over 1 minute on 2 CPUs (`denet doctor --bench` names the busiest processes).";
        let wrapped = to_width(text, 80);
        assert!(wrapped.lines().all(|l| l.chars().count() < 80), "{wrapped}");
        assert!(wrapped.lines().skip(1).all(|l| l.starts_with("    ") && !l.starts_with("     ")), "{wrapped}");
        assert_eq!(wrapped.split_whitespace().collect::<Vec<_>>(), text.split_whitespace().collect::<Vec<_>>());
    }

    #[test]
    fn colour_codes_take_no_width_and_short_lines_stay() {
        let text = "  \x1b[33mWarning\x1b[39m: a b c";
        assert_eq!(to_width(text, 20), text);
        assert_eq!(to_width("one\ntwo", 80), "one\ntwo");
        assert_eq!(to_width(" ", 80), " ", "hyperfine's blank line before warnings stays");
    }
}
