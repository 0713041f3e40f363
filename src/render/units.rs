//! Human-readable numbers: bytes in binary units, durations and percentages.

/// Bytes as B, KiB, MiB, GiB or TiB with one decimal.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// Seconds as µs, ms, s, or m:ss for long spans; nothing at all as "0 s" (not "0.0 µs").
pub fn seconds(s: f64) -> String {
    match s {
        0.0 => "0 s".into(),
        s if s < 1e-3 => format!("{:.1} µs", s * 1e6),
        s if s < 1.0 => format!("{:.1} ms", s * 1e3),
        s if s < 60.0 => format!("{s:.2} s"),
        s => {
            // Round first, so 119.96 s reads 2m00.0s, not 1m60.0s.
            let tenths = (s * 10.0).round() as u64;
            format!("{}m{:02}.{}s", tenths / 600, (tenths % 600) / 10, tenths % 10)
        }
    }
}

/// A count with thousands separators.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_human_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(200 * 1024 * 1024), "200.0 MiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(seconds(0.0123), "12.3 ms");
        assert_eq!(seconds(0.0), "0 s");
        assert_eq!(seconds(2.5), "2.50 s");
        assert_eq!(seconds(125.0), "2m05.0s");
        assert_eq!(seconds(119.96), "2m00.0s");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(12), "12");
    }
}
