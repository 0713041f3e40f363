//! Display units of the metrics: the symbols `--metrics` accepts, and the unit chosen to show a value.

use super::Dimension;

/// A unit to show a metric in (the units of a bare number on the command line are `options::Unit`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DisplayUnit {
    pub symbol: &'static str,
    /// Base units (seconds, bytes, counts) per display unit.
    pub scale: f64,
    pub dimension: Dimension,
}

const UNITS: &[DisplayUnit] = &[
    DisplayUnit { symbol: "ns", scale: 1e-9, dimension: Dimension::Time },
    DisplayUnit { symbol: "us", scale: 1e-6, dimension: Dimension::Time },
    DisplayUnit { symbol: "µs", scale: 1e-6, dimension: Dimension::Time },
    DisplayUnit { symbol: "ms", scale: 1e-3, dimension: Dimension::Time },
    DisplayUnit { symbol: "s", scale: 1.0, dimension: Dimension::Time },
    DisplayUnit { symbol: "min", scale: 60.0, dimension: Dimension::Time },
    DisplayUnit { symbol: "h", scale: 3600.0, dimension: Dimension::Time },
    DisplayUnit { symbol: "B", scale: 1.0, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "kB", scale: 1e3, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "MB", scale: 1e6, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "GB", scale: 1e9, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "TB", scale: 1e12, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "KiB", scale: 1024.0, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "MiB", scale: 1048576.0, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "GiB", scale: 1073741824.0, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "TiB", scale: 1099511627776.0, dimension: Dimension::Bytes },
    DisplayUnit { symbol: "count", scale: 1.0, dimension: Dimension::Count },
    DisplayUnit { symbol: "k", scale: 1e3, dimension: Dimension::Count },
    DisplayUnit { symbol: "M", scale: 1e6, dimension: Dimension::Count },
    DisplayUnit { symbol: "B", scale: 1e9, dimension: Dimension::Count },
];

/// Find a unit for a dimension by symbol ("B" is bytes for byte metrics and billions for counts).
pub fn unit(symbol: &str, dimension: Dimension) -> Option<DisplayUnit> {
    UNITS.iter().copied().find(|u| u.symbol == symbol && u.dimension == dimension)
}

/// The unit symbols accepted for a dimension, for error messages.
pub fn unit_symbols(dimension: Dimension) -> Vec<&'static str> {
    UNITS.iter().filter(|u| u.dimension == dimension && u.symbol != "µs").map(|u| u.symbol).collect()
}

/// The best unit to show `value` (in base units) in: the largest whose value is at least 1.
pub fn auto_unit(dimension: Dimension, value: f64) -> DisplayUnit {
    match dimension {
        Dimension::Time => largest_fitting(&["us", "ms", "s"], dimension, value).with_symbol_for_display(),
        Dimension::Bytes => largest_fitting(&["B", "KiB", "MiB", "GiB"], dimension, value),
        Dimension::Count => unit("count", dimension).unwrap(),
    }
}

/// hyperfine 2.0's unit for a table or export column scaled by `mean`: a zero mean in the base
/// unit (s, B, count), else the largest unit that keeps the mean at least 1, from ns to h, bytes in
/// binary steps, counts in k, M and B. The charts keep `auto_unit`'s fewer steps on their axes.
pub fn table_unit(dimension: Dimension, mean: f64) -> DisplayUnit {
    let symbols: &[&str] = match dimension {
        Dimension::Time => &["ns", "µs", "ms", "s", "min", "h"],
        Dimension::Bytes => &["B", "KiB", "MiB", "GiB", "TiB"],
        Dimension::Count => &["count", "k", "M", "B"],
    };
    if mean == 0.0 {
        return symbols.iter().filter_map(|s| unit(s, dimension)).find(|u| u.scale == 1.0).expect("a base unit");
    }
    largest_fitting(symbols, dimension, mean)
}

/// Of `symbols` (smallest first), the largest unit in which `value` is at least 1; the smallest otherwise.
fn largest_fitting(symbols: &[&str], dimension: Dimension, value: f64) -> DisplayUnit {
    let units: Vec<DisplayUnit> = symbols.iter().filter_map(|s| unit(s, dimension)).collect();
    units.iter().rev().find(|u| value.abs() >= u.scale).copied().unwrap_or(units[0])
}

impl DisplayUnit {
    /// Show microseconds as µs.
    fn with_symbol_for_display(self) -> DisplayUnit {
        if self.symbol == "us" {
            DisplayUnit { symbol: "µs", ..self }
        } else {
            self
        }
    }

    /// `value` in base units, expressed in this unit.
    pub fn convert(&self, value: f64) -> f64 {
        value / self.scale
    }
}
