//! Value axes: a display unit chosen from the data range, "nice" ticks, and a logarithmic scale for data spanning decades.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

use super::data::spread;
use crate::metrics::{auto_unit, Dimension};
use crate::render::units;

/// What an axis measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    /// A metric in base units (seconds, bytes, counts).
    Metric(Dimension),
    /// Bytes per second.
    ByteRate,
    Percent,
    /// A plain number (run index, parameter value, number of runs).
    Plain,
}

/// A value axis: data in base units maps to plot coordinates (display units, or their log10).
#[derive(Debug, Clone)]
pub struct Axis {
    log: bool,
    quantity: Quantity,
    /// Base units per display unit.
    scale: f64,
    unit: String,
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    decimals: usize,
    /// A category axis' names, at 0, 1, …; empty for a value axis.
    names: Vec<String>,
}

/// How an axis is fitted to its data.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fit {
    /// Start at zero (bars, counts, resource use).
    pub zero: bool,
    /// Use a log scale when the data spans this ratio or more (positive data only).
    pub log_ratio: Option<f64>,
    /// Padding on each side as a fraction of the range.
    pub pad: f64,
    /// About how many ticks.
    pub ticks: usize,
    /// Ticks at whole numbers only (run indices, counts).
    pub integer: bool,
}

impl Axis {
    /// An axis for values in `[min, max]` (base units).
    pub fn new(quantity: Quantity, min: f64, max: f64, fit: Fit) -> Axis {
        let (mut min, mut max) = if min.is_finite() && max.is_finite() && min <= max { (min, max) } else { (0.0, 1.0) };
        if fit.zero {
            min = min.min(0.0);
            max = max.max(0.0);
        }
        let log = !fit.zero && min > 0.0 && fit.log_ratio.is_some_and(|r| max / min >= r);
        let target = fit.ticks.max(2);
        if log {
            return Axis::log(quantity, min, max, fit.pad, target);
        }
        let (scale, unit) = display_unit(quantity, min.abs().max(max.abs()));
        let (mut lo, mut hi) = (min / scale, max / scale);
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            // A single value: give it some room.
            let room = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
            lo -= room;
            hi += room;
            if fit.zero && min >= 0.0 {
                lo = 0.0;
            }
        } else {
            let pad = (hi - lo) * fit.pad;
            lo = if fit.zero && min >= 0.0 { lo } else { lo - pad };
            hi += pad;
        }
        let mut step = nice_step((hi - lo) / target as f64);
        if fit.integer {
            step = step.max(1.0);
        }
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        let ticks: Vec<f64> = (first..=last).map(|k| k as f64 * step).collect();
        Axis { log, quantity, scale, unit, lo, hi, ticks, decimals: decimals_for(step), names: Vec::new() }
    }

    fn log(quantity: Quantity, min: f64, max: f64, pad: f64, target: usize) -> Axis {
        let (lmin, lmax) = (min.log10(), max.log10());
        let padding = (lmax - lmin) * pad;
        let (lo, hi) = (lmin - padding, lmax + padding);
        let decades = hi - lo;
        let multiples: &[f64] = if decades <= 1.3 {
            &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0]
        } else if decades <= 3.0 {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let mut ticks = Vec::new();
        for k in (lo.floor() as i32)..=(hi.ceil() as i32) {
            for m in multiples {
                let t = (m * 10f64.powi(k)).log10();
                if t >= lo && t <= hi {
                    ticks.push(t);
                }
            }
        }
        // Thin to about `target` ticks when decades are many.
        let every = ticks.len().div_ceil(target + 2).max(1);
        let ticks = ticks.into_iter().step_by(every).collect();
        Axis { log: true, quantity, scale: 1.0, unit: String::new(), lo, hi, ticks, decimals: 0, names: Vec::new() }
    }

    /// A category axis: `n` rows at 0..n, top to bottom, without ticks.
    pub fn rows(n: usize) -> Axis {
        Axis {
            log: false,
            quantity: Quantity::Plain,
            scale: 1.0,
            unit: String::new(),
            lo: -0.5,
            hi: n as f64 - 0.5,
            ticks: Vec::new(),
            decimals: 0,
            names: Vec::new(),
        }
    }

    /// A category axis: `names` at 0, 1, … left to right, each labelled by its name (at most `max_ticks` of
    /// them, evenly spread, when there are more): no tick between two categories, as no value lies there.
    pub fn categories(names: Vec<String>, max_ticks: usize) -> Axis {
        let n = names.len().max(1);
        Axis {
            log: false,
            quantity: Quantity::Plain,
            scale: 1.0,
            unit: String::new(),
            lo: -0.35,
            hi: n as f64 - 0.65,
            ticks: spread(names.len(), max_ticks.max(2)).into_iter().map(|i| i as f64).collect(),
            decimals: 0,
            names,
        }
    }

    /// The plot coordinate of `v` (base units).
    pub fn pos(&self, v: f64) -> f64 {
        if self.log {
            v.max(f64::MIN_POSITIVE).log10()
        } else {
            v / self.scale
        }
    }

    /// Base units per plot unit (linear axes).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    pub fn is_log(&self) -> bool {
        self.log
    }

    pub fn lo(&self) -> f64 {
        self.lo
    }

    pub fn hi(&self) -> f64 {
        self.hi
    }

    /// A tick label for plot coordinate `c`.
    pub fn label(&self, c: f64) -> String {
        if !self.names.is_empty() {
            let k = c.round();
            return if k >= 0.0 { self.names.get(k as usize).cloned().unwrap_or_default() } else { String::new() };
        }
        if self.log {
            let v = 10f64.powf(c);
            return match self.quantity {
                Quantity::Metric(Dimension::Time) => human(v, |v| auto_unit(Dimension::Time, v)),
                Quantity::Metric(Dimension::Bytes) => human(v, |v| auto_unit(Dimension::Bytes, v)),
                Quantity::ByteRate => format!("{}/s", human(v, |v| auto_unit(Dimension::Bytes, v))),
                Quantity::Percent => format!("{}%", significant(v)),
                _ if v >= 1000.0 && (v - v.round()).abs() < 1e-6 * v => units::count(v.round() as u64),
                _ => significant(v),
            };
        }
        let v = if c.abs() < 1e-12 * (self.hi - self.lo).abs() { 0.0 } else { c };
        if self.decimals == 0 && v.abs() >= 10_000.0 {
            let s = units::count(v.abs().round() as u64);
            if v < 0.0 {
                format!("-{s}")
            } else {
                s
            }
        } else {
            format!("{v:.*}", self.decimals)
        }
    }

    /// An axis title: the name and the unit, e.g. "Wall time (ms)".
    pub fn desc(&self, name: &str) -> String {
        match (self.log, self.unit.is_empty()) {
            (true, _) => format!("{name} (log scale)"),
            (false, true) => name.to_string(),
            (false, false) => format!("{name} ({})", self.unit),
        }
    }

    /// The plotters range, ticks included.
    pub fn range(&self) -> AxisRange {
        AxisRange { lo: self.lo, hi: self.hi, ticks: self.ticks.clone() }
    }

    pub fn ticks(&self) -> &[f64] {
        &self.ticks
    }
}

/// `v` in the unit `pick` chooses for it, with up to three significant digits: "250 ms", "1.5 GiB".
fn human(v: f64, pick: impl Fn(f64) -> crate::metrics::DisplayUnit) -> String {
    let u = pick(v);
    format!("{} {}", significant(u.convert(v)), u.symbol)
}

/// Up to three significant digits, trailing zeros trimmed.
fn significant(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The display unit of a quantity whose largest magnitude is `max`: (base units per unit, symbol).
pub fn display_unit(quantity: Quantity, max: f64) -> (f64, String) {
    match quantity {
        Quantity::Metric(Dimension::Count) | Quantity::Plain => {
            if max >= 1e7 {
                (1e6, "millions".into())
            } else if max >= 1e4 && quantity != Quantity::Plain {
                (1e3, "thousands".into())
            } else {
                (1.0, String::new())
            }
        }
        // Long spans read better in minutes and hours.
        Quantity::Metric(Dimension::Time) if max >= 36_000.0 => (3600.0, "h".into()),
        Quantity::Metric(Dimension::Time) if max >= 600.0 => (60.0, "min".into()),
        Quantity::Metric(dim) => {
            let u = auto_unit(dim, max);
            (u.scale, u.symbol.to_string())
        }
        Quantity::ByteRate => {
            let u = auto_unit(Dimension::Bytes, max);
            (u.scale, format!("{}/s", u.symbol))
        }
        Quantity::Percent => (1.0, "%".into()),
    }
}

/// A value in base units with its unit, for labels: "12.3 ms", "1.5 GiB", "1,234".
pub fn format_value(quantity: Quantity, v: f64) -> String {
    match quantity {
        Quantity::Metric(Dimension::Time) => human(v, |v| auto_unit(Dimension::Time, v)),
        Quantity::Metric(Dimension::Bytes) => human(v, |v| auto_unit(Dimension::Bytes, v)),
        Quantity::ByteRate => format!("{}/s", human(v, |v| auto_unit(Dimension::Bytes, v))),
        Quantity::Percent => format!("{}%", significant(v)),
        Quantity::Metric(Dimension::Count) | Quantity::Plain => {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                let s = units::count(v.abs() as u64);
                if v < 0.0 {
                    format!("-{s}")
                } else {
                    s
                }
            } else {
                significant(v)
            }
        }
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm <= 1.0 + 1e-9 {
        1.0
    } else if norm <= 2.0 + 1e-9 {
        2.0
    } else if norm <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Decimals needed to print multiples of `step` exactly.
fn decimals_for(step: f64) -> usize {
    (0..=9)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(9)
}

/// A plotters coordinate over plot units whose grid lines are exactly the axis ticks.
#[derive(Debug, Clone)]
pub struct AxisRange {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for AxisRange {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        if self.hi == self.lo || span == 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let f = ((v - self.lo) / (self.hi - self.lo)).clamp(-10.0, 10.0);
        limit.0 + (span * f).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}
