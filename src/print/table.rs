//! Plain-text tables: a header and rows of cells, the first column left-aligned (labels), the
//! others right-aligned (numbers), two spaces between columns.

use std::fmt::{self, Write};

/// The longest label printed, in characters; longer labels are cut with an ellipsis.
pub(crate) const LABEL_CHARS: usize = 40;

/// `label` cut to `max` characters, the last one an ellipsis when it was longer.
///
/// ```text
/// truncate("Frimodt-Moller et al 1973", 10) = "Frimodt-M…"
/// ```
pub(crate) fn truncate(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// A table of text cells.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with the given header row.
    pub(crate) fn new<S: AsRef<str>>(header: &[S]) -> Table {
        Table {
            rows: vec![header.iter().map(|s| s.as_ref().to_string()).collect()],
        }
    }

    /// Append a row (the label is truncated to [`LABEL_CHARS`]).
    pub(crate) fn row(&mut self, mut cells: Vec<String>) {
        if let Some(first) = cells.first_mut() {
            *first = truncate(first, LABEL_CHARS);
        }
        self.rows.push(cells);
    }

    /// Write the table, each line ending in a newline.
    pub(crate) fn write(&self, out: &mut dyn Write) -> fmt::Result {
        let n = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let width: Vec<usize> = (0..n)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for r in &self.rows {
            let mut line = String::new();
            for (c, cell) in r.iter().enumerate() {
                let pad = width[c].saturating_sub(cell.chars().count());
                if c == 0 {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str("  ");
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_truncates() {
        let mut t = Table::new(&["Study", "Weight"]);
        t.row(vec!["A".into(), "5.0%".into()]);
        t.row(vec!["x".repeat(50), "95.0%".into()]);
        let mut s = String::new();
        t.write(&mut s).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[1],
            format!("A{}    5.0%", " ".repeat(LABEL_CHARS - 1))
        );
        assert!(lines[2].starts_with(&format!("{}…", "x".repeat(LABEL_CHARS - 1))));
        assert_eq!(truncate("Frimodt-Moller et al 1973", 10), "Frimodt-M…");
    }
}
