//! Shell syntax in a command that would run without a shell, found before anything runs (hyperfine 2.0's check).

/// The operators a shell would act on; only a whole unquoted word counts (`a>b` and `'&&'` do not).
const OPERATORS: [&str; 7] = ["&&", "||", "|", ";", ">", ">>", "<"];

/// The first unquoted, unescaped operator word of `line`, if any.
///
/// Deliberately conservative, as hyperfine is: `$VAR`, globs and operators attached to a word are
/// passed on as literal text, since refusing them would refuse many commands that run fine directly.
pub fn first_operator(line: &str) -> Option<&'static str> {
    words(line).into_iter().find_map(|word| {
        // A backslash-newline joins lines and is no quoting, so `&\<newline>&` is still `&&`.
        let joined = word.replace("\\\n", "");
        OPERATORS.iter().copied().find(|op| *op == joined)
    })
}

/// True when the first word of `line` is a variable assignment (`A=1 cmd`), which only a shell understands.
pub fn starts_with_assignment(line: &str) -> bool {
    let first = words(line).into_iter().next();
    first.and_then(|w| w.split_once('=')).is_some_and(|(name, _)| is_variable_name(name))
}

/// A shell variable name: a letter or `_`, then letters, digits or `_`.
pub fn is_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Split `line` into words as shell-words does, but keep each word's quotes and escapes as written.
/// Comments (`#` at the start of a word) and line continuations between words are skipped.
fn words(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    loop {
        let start = loop {
            match chars.peek().copied() {
                None => return out,
                Some((_, ' ' | '\t' | '\n')) => {
                    chars.next();
                }
                Some((_, '#')) => {
                    chars.by_ref().find(|&(_, c)| c == '\n');
                }
                Some((i, '\\')) if line[i + 1..].starts_with('\n') => {
                    chars.nth(1);
                }
                Some((i, _)) => break i,
            }
        };
        let mut quote = None;
        let mut end = line.len();
        while let Some((i, c)) = chars.next() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some('\''), _) => {}
                // Outside single quotes a backslash escapes the next character, whatever it is.
                (_, '\\') => {
                    chars.next();
                }
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, ' ' | '\t' | '\n') => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        out.push(&line[start..end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_quotes_and_escapes() {
        assert_eq!(words("  echo\thello\nworld "), ["echo", "hello", "world"]);
        assert_eq!(words(r#"echo 'a b' "c d"e f\ g"#), ["echo", "'a b'", "\"c d\"e", r"f\ g"]);
        assert_eq!(words("echo # a comment &&\nnext | cat"), ["echo", "next", "|", "cat"]);
        assert_eq!(words("echo a#b"), ["echo", "a#b"]);
        assert_eq!(words("\\\n echo \\\n&& more"), ["echo", "&&", "more"]);
        assert_eq!(words("echo 'unclosed &&"), ["echo", "'unclosed &&"]);
        assert!(words("").is_empty() && words("\\\n").is_empty());
    }

    #[test]
    fn finds_unquoted_operators_in_order() {
        for op in OPERATORS {
            assert_eq!(first_operator(&format!("echo café\t{op}\nx")), Some(op));
        }
        assert_eq!(first_operator("rm -rf cache/ && ./my_command"), Some("&&"));
        assert_eq!(first_operator("echo a >> out && next"), Some(">>"));
        assert_eq!(first_operator("echo &\\\n& next"), Some("&&"));
        assert_eq!(first_operator(r#"echo "&&" || next"#), Some("||"));
    }

    #[test]
    fn quoted_escaped_and_attached_operators_are_literal() {
        for line in [
            "echo '&&'",
            r#"echo "&&""#,
            r"echo \&\&",
            "echo hello>out",
            "true&&false",
            "echo a;",
            "echo 2> out",
            r#"python -c "print(1 > 0)""#,
            "sh -c 'true && false'",
            "echo $VARIABLE `date` *.rs ~/path NAME=value",
            "echo # && ignored",
            "echo 'unclosed &&",
        ] {
            assert_eq!(first_operator(line), None, "{line:?}");
        }
    }

    #[test]
    fn finds_a_leading_assignment_only() {
        for line in ["A=1 cmd", "A= cmd", "_A2='x y' B=2 cmd", "A=1", " # c\n A=1 cmd", "SOME_ENV_VAR=$HOME my_command"]
        {
            assert!(starts_with_assignment(line), "{line:?}");
        }
        for line in
            ["", "cmd A=1", "env A=1 cmd", "'A=1' cmd", r"A\=1 cmd", "./A=1 cmd", "1A=1 cmd", "A-B=1", "=1", "A"]
        {
            assert!(!starts_with_assignment(line), "{line:?}");
        }
    }
}
