//! User text made safe for the formats it lands in: XML 1.0 (JUnit, SVG) and GitHub-flavoured Markdown (PR comments, job summaries).

/// Whether XML 1.0 allows `c` at all (its `Char` production): control characters other than tab,
/// newline and carriage return make a document unparseable, escaped or not.
fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` with every character XML 1.0 forbids replaced by U+FFFD (so the text stays visibly altered).
pub fn xml_chars(s: &str) -> String {
    s.chars().map(|c| if xml_allowed(c) { c } else { '\u{FFFD}' }).collect()
}

/// `s` as XML text or attribute content: forbidden characters replaced, markup characters escaped.
pub fn xml(s: &str) -> String {
    quick_xml::escape::escape(xml_chars(s).as_str()).into_owned()
}

/// `s` as plain text in GitHub-flavoured Markdown, inside a table cell or a quote: the characters that
/// start syntax are backslash-escaped (links and images need `[`, HTML and autolinks `<`, entities
/// `&`, emphasis `*` `_` `~`, code `` ` ``, headings `#`, cells `|`), so none can be injected; the
/// rest of the punctuation stays readable in the raw text.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in xml_chars(s).chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '<' | '>' | '&' | '!' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `s` as a Markdown code span in a GFM table cell: fenced by more backticks than any run inside
/// it, so no backtick can close it early; `|` escaped, because GFM splits cells before code spans.
pub fn markdown_code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let body = xml_chars(&s.replace(['\n', '\r'], " ")).replace('|', "\\|");
    // A space on each side keeps a leading or trailing backtick from joining the fence.
    let pad = if body.starts_with('`') || body.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{body}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_loses_only_what_xml_forbids() {
        assert_eq!(xml("a\u{1}b\u{1b}[31m<&>\"\tc"), "a\u{FFFD}b\u{FFFD}[31m&lt;&amp;&gt;&quot;\tc");
        assert!(quick_xml::Reader::from_str(&format!("<x a=\"{}\">{}</x>", xml("\u{2}"), xml("\u{7f}é")))
            .read_event()
            .is_ok());
    }

    #[test]
    fn markdown_text_cannot_inject_links_images_or_html() {
        let evil = "<img src=x onerror=alert(6)> [click](javascript:alert(7)) *b* |";
        let safe = markdown(evil);
        assert_eq!(safe, r"\<img src=x onerror=alert(6)\> \[click\](javascript:alert(7)) \*b\* \|");
    }

    #[test]
    fn code_spans_outlast_any_backticks_inside() {
        assert_eq!(markdown_code("a``b"), "```a``b```");
        assert_eq!(markdown_code("`x`|y"), "`` `x`\\|y ``");
        assert_eq!(markdown_code("plain"), "`plain`");
    }
}
