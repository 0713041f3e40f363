//! A plain aligned table for the terminal that fits a width: optional columns drop in a fixed order, then the widest text shortens.

use console::Style;

/// A terminal: its width (`None` when the output is not a terminal: no limit) and whether colours are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub width: Option<usize>,
    pub colors: bool,
}

impl Screen {
    /// No width limit, no colours: what a pipe or a file gets.
    pub const PLAIN: Screen = Screen { width: None, colors: false };

    /// The screen of stdout (`stderr: false`) or stderr: its width if it is a terminal, and
    /// colours if it is one and neither `NO_COLOR` nor `TERM=dumb` says otherwise.
    pub fn detect(stderr: bool) -> Screen {
        let term = if stderr { console::Term::stderr() } else { console::Term::stdout() };
        match term.size_checked() {
            Some((_, cols)) => Screen { width: Some(cols as usize), colors: colours_allowed() },
            None => Screen::PLAIN,
        }
    }
}

/// Whether the environment allows colours: `NO_COLOR` (set and not empty) and a dumb terminal forbid them.
pub fn colours_allowed() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && !matches!(std::env::var("TERM").as_deref(), Ok("dumb") | Ok("unknown"))
}

/// One column: its heading, alignment, when it drops, and whether its text may be shortened.
pub struct Column {
    pub heading: String,
    pub right: bool,
    /// Columns drop in increasing rank when the table is too wide; `None` never drops.
    pub drop_rank: Option<u8>,
    /// May be cut with "…" once nothing more can drop.
    pub shrinks: bool,
}

/// A cell's text and colour.
pub type Cell = (String, Option<Style>);

pub struct Grid {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

const GAP: &str = "  ";
/// The narrowest a shortened column gets.
const SHRUNK_MIN: usize = 8;

impl Grid {
    /// The table's lines, each fitting `screen.width` where it can.
    pub fn render(&self, screen: Screen) -> String {
        let mut shown: Vec<usize> = (0..self.columns.len()).collect();
        let mut widths = self.natural_widths();
        let total = |shown: &[usize], widths: &[usize]| {
            shown.iter().map(|&c| widths[c]).sum::<usize>() + GAP.len() * shown.len().saturating_sub(1)
        };
        let Some(limit) = screen.width.map(|w| w.saturating_sub(1)) else {
            return self.lines(&shown, &widths, screen.colors);
        };
        let mut ranks: Vec<u8> = self.columns.iter().filter_map(|c| c.drop_rank).collect();
        ranks.sort_unstable();
        ranks.dedup();
        for rank in ranks {
            if total(&shown, &widths) <= limit {
                break;
            }
            shown.retain(|&c| self.columns[c].drop_rank != Some(rank));
        }
        // Then the shrinkable columns give up what is still too much, the widest first.
        while total(&shown, &widths) > limit {
            let widest = shown.iter().copied().filter(|&c| self.columns[c].shrinks && widths[c] > SHRUNK_MIN);
            let Some(c) = widest.max_by_key(|&c| widths[c]) else { break };
            widths[c] -= 1;
        }
        self.lines(&shown, &widths, screen.colors)
    }

    fn natural_widths(&self) -> Vec<usize> {
        let width = |t: &str| console::measure_text_width(t);
        (0..self.columns.len())
            .map(|c| {
                self.rows.iter().map(|r| width(&r[c].0)).chain([width(&self.columns[c].heading)]).max().unwrap_or(0)
            })
            .collect()
    }

    fn lines(&self, shown: &[usize], widths: &[usize], colors: bool) -> String {
        let header: Vec<Cell> = self.columns.iter().map(|c| (c.heading.clone(), None)).collect();
        std::iter::once(&header)
            .chain(&self.rows)
            .map(|row| {
                let cells: Vec<String> = shown.iter().map(|&c| self.cell(&row[c], c, widths[c], colors)).collect();
                format!("{}\n", cells.join(GAP).trim_end())
            })
            .collect()
    }

    /// A cell cut to `width` and padded to it; the colour is applied after, so it takes no width.
    fn cell(&self, (text, style): &Cell, c: usize, width: usize, colors: bool) -> String {
        let text = console::truncate_str(text, width, "…");
        let pad = " ".repeat(width.saturating_sub(console::measure_text_width(&text)));
        let painted = match style {
            Some(s) if colors && !text.is_empty() => s.clone().force_styling(true).apply_to(&text).to_string(),
            _ => text.into_owned(),
        };
        if self.columns[c].right {
            format!("{pad}{painted}")
        } else {
            format!("{painted}{pad}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        let col = |h: &str, right, drop_rank, shrinks| Column { heading: h.into(), right, drop_rank, shrinks };
        Grid {
            columns: vec![
                col("Name", false, None, true),
                col("Value", true, None, false),
                col("Extra", false, Some(1), false),
            ],
            rows: vec![vec![
                ("a rather long benchmark name".into(), None),
                ("12.3 ms".into(), Some(Style::new().red())),
                ("something extra".into(), None),
            ]],
        }
    }

    #[test]
    fn columns_drop_then_text_shortens_to_fit() {
        let wide = grid().render(Screen { width: Some(80), colors: false });
        assert!(wide.contains("something extra") && wide.contains("a rather long benchmark name"), "{wide}");
        let narrow = grid().render(Screen { width: Some(40), colors: false });
        assert!(!narrow.contains("Extra") && narrow.contains("a rather long"), "{narrow}");
        let narrower = grid().render(Screen { width: Some(25), colors: false });
        assert!(narrower.contains('…') && narrower.contains("12.3 ms"), "{narrower}");
        for text in [wide, narrow, narrower] {
            assert!(text.lines().all(|l| console::measure_text_width(l) < 80), "{text}");
        }
    }

    #[test]
    fn colours_only_when_on_and_without_width() {
        assert!(!grid().render(Screen::PLAIN).contains('\x1b'));
        let coloured = grid().render(Screen { width: None, colors: true });
        assert!(coloured.contains("\x1b[31m"), "{coloured}");
        assert_eq!(console::strip_ansi_codes(&coloured), grid().render(Screen::PLAIN));
    }
}
