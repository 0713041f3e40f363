//! Benchmark parameters: `-P` ranges and `-L` lists, their cartesian product, and `{VAR}` substitution.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::{BenchUsage, UserError};

/// The largest parameter range accepted.
const MAX_VALUES: usize = 100_000;

/// One parameter and its values, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub values: Vec<String>,
}

fn scan_error(why: &'static str) -> UserError {
    BenchUsage::ParameterScan(why).into()
}

const TOO_LARGE: &str = "Parameter range is too large";

/// `-L VAR a,b,c`: split on commas; `\,` is a literal comma and `\\` a backslash; empty items are kept.
pub fn list(name: &str, values: &str) -> Parameter {
    let mut out = vec![String::new()];
    let mut chars = values.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&n)) if n == ',' || n == '\\' => {
                out.last_mut().unwrap().push(n);
                chars.next();
            }
            (',', _) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    Parameter { name: name.to_string(), values: out }
}

/// `-P VAR MIN MAX [-D STEP]`: integers when all parse as integers, exact decimals otherwise; MAX is inclusive.
pub fn scan(name: &str, min: &str, max: &str, step: Option<&str>) -> Result<Parameter, UserError> {
    let ints = (min.parse::<i64>(), max.parse::<i64>(), step.unwrap_or("1").parse::<i64>());
    if let (Ok(lo), Ok(hi), Ok(d)) = ints {
        check_range(lo > hi, d == 0, d < 0)?;
        // i128: the span of two i64 bounds cannot overflow it.
        let count = ((hi as i128 - lo as i128) / d as i128 + 1) as u128;
        if count > MAX_VALUES as u128 {
            return Err(scan_error(TOO_LARGE));
        }
        return Ok(Parameter {
            name: name.into(),
            values: (0..count as i64).map(|i| (lo + i * d).to_string()).collect(),
        });
    }
    let parse = |v: &str| Decimal::from_str(v).map_err(|e| UserError::from(BenchUsage::ScanBound(e.to_string())));
    let (lo, hi) = (parse(min)?, parse(max)?);
    let step = step.ok_or_else(|| scan_error("A step size is required when the range bounds are floating point numbers. The step size can be specified with the '-D/--parameter-step-size <DELTA>' parameter"))?;
    let d = parse(step)?;
    check_range(lo > hi, d.is_zero(), d.is_sign_negative())?;
    let mut values = Vec::new();
    let mut v = lo;
    while v <= hi {
        if values.len() == MAX_VALUES {
            return Err(scan_error(TOO_LARGE));
        }
        values.push(v.to_string());
        v += d;
    }
    Ok(Parameter { name: name.into(), values })
}

/// hyperfine's checks, in its order.
fn check_range(inverted: bool, zero: bool, negative: bool) -> Result<(), UserError> {
    if inverted {
        return Err(scan_error("Empty parameter range"));
    }
    if zero {
        return Err(scan_error("Zero is not a valid parameter step"));
    }
    if negative {
        return Err(scan_error("Parameter step size must be positive"));
    }
    Ok(())
}

/// Refuse a parameter name given twice.
pub fn check_unique(params: &[Parameter]) -> Result<(), UserError> {
    let mut names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    let mut dups: Vec<&str> = names.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    dups.dedup();
    match dups.is_empty() {
        true => Ok(()),
        false => Err(BenchUsage::DuplicateParameters(dups.join(", ")).into()),
    }
}

/// Every combination of values, the first parameter varying fastest (hyperfine's order).
pub fn product(params: &[Parameter]) -> Vec<Vec<(String, String)>> {
    let total: usize = params.iter().map(|p| p.values.len()).product();
    (0..total)
        .map(|mut i| {
            params
                .iter()
                .map(|p| {
                    let v = &p.values[i % p.values.len()];
                    i /= p.values.len();
                    (p.name.clone(), v.clone())
                })
                .collect()
        })
        .collect()
}

/// Replace each `{NAME}` by its value in one left-to-right pass (values are not expanded again).
pub fn substitute(template: &str, values: &[(String, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    'outer: while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        for (name, value) in values {
            if after.starts_with(name.as_str()) && after[name.len()..].starts_with('}') {
                out.push_str(value);
                rest = &after[name.len() + 1..];
                continue 'outer;
            }
        }
        out.push('{');
        rest = after;
    }
    out.push_str(rest);
    out
}

/// True when `template` mentions `{name}`.
pub fn uses(template: &str, name: &str) -> bool {
    template.contains(&format!("{{{name}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_unescaped_commas() {
        assert_eq!(list("x", "a,b\\,c,,d\\\\").values, ["a", "b,c", "", "d\\"]);
        assert_eq!(list("x", "").values, [""]);
    }

    #[test]
    fn integer_and_decimal_scans_include_the_end() {
        assert_eq!(scan("n", "0", "10", Some("3")).unwrap().values, ["0", "3", "6", "9"]);
        assert_eq!(scan("n", "1", "3", None).unwrap().values, ["1", "2", "3"]);
        assert_eq!(scan("n", "0.3", "0.7", Some("0.2")).unwrap().values, ["0.3", "0.5", "0.7"]);
        assert_eq!(scan("n", "0", "1", Some("0.33")).unwrap().values, ["0", "0.33", "0.66", "0.99"]);
    }

    #[test]
    fn bad_scans_are_refused_in_hyperfines_words() {
        let why = |min: &str, max: &str, step: Option<&str>| scan("n", min, max, step).unwrap_err().to_string();
        assert_eq!(why("5", "1", None), "Empty parameter range");
        assert_eq!(why("1", "5", Some("0")), "Zero is not a valid parameter step");
        assert_eq!(why("1", "5", Some("-1")), "Parameter step size must be positive");
        assert_eq!(why("0", "1", Some("-1.0")), "Parameter step size must be positive");
        assert!(why("0.5", "1", None).starts_with("A step size is required"));
        assert_eq!(why("0", "1000000", None), "Parameter range is too large");
        assert!(why("1", "x", None).starts_with("Error while parsing parameter scan arguments ("));
        assert!(scan("n", "-9223372036854775808", "9223372036854775807", None).is_err(), "no overflow");
        let dup = check_unique(&[list("a", "1"), list("a", "2"), list("a", "3"), list("b", "1"), list("b", "2")]);
        assert_eq!(dup.unwrap_err().to_string(), "Duplicate parameter names: a, b");
    }

    #[test]
    fn product_varies_the_first_parameter_fastest() {
        let p = product(&[list("n", "1,2,3"), list("l", "a,b")]);
        let flat: Vec<String> = p.iter().map(|c| format!("{}{}", c[0].1, c[1].1)).collect();
        assert_eq!(flat, ["1a", "2a", "3a", "1b", "2b", "3b"]);
        assert_eq!(product(&[]), vec![Vec::<(String, String)>::new()]);
    }

    #[test]
    fn substitution_is_single_pass() {
        let v = vec![("foo".to_string(), "a{bar}".to_string()), ("bar".to_string(), "baz".to_string())];
        assert_eq!(substitute("x {foo} {bar} {nope}", &v), "x a{bar} baz {nope}");
        assert_eq!(substitute("{{foo}}", &v), "{a{bar}}");
    }
}
