//! Reading the cells of a real spreadsheet: line numbers whatever the line endings, numbers
//! with decimal commas or thousands separators when asked for, and missing values.

use std::collections::VecDeque;
use std::io::{self, Read};

/// The input, with the byte offset of every line break read but not yet passed, so that a
/// record's line is known from its byte offset: the CSV reader's own line count is one too
/// small after every CRLF line ending (it ends the record at `\r` and counts the `\n` with the
/// next one). A line break is `\n`, `\r\n` (counted once, at the `\r`) or a lone `\r`.
pub struct LineCounter<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Offsets of the line breaks not yet passed by [`LineCounter::line_at`].
    pending: VecDeque<u64>,
    /// Line breaks already passed.
    passed: u64,
    /// Whether the last byte read was `\r` (a `\n` after it ends the same line).
    after_cr: bool,
}

impl<R: Read> LineCounter<R> {
    pub fn new(inner: R) -> Self {
        LineCounter {
            inner,
            offset: 0,
            pending: VecDeque::new(),
            passed: 0,
            after_cr: false,
        }
    }

    /// The 1-based line of the byte at `offset` (offsets must not decrease between calls). A
    /// record never starts with a line break, so one at `offset` ends the previous line and
    /// counts as passed.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        while let Some(&nl) = self.pending.front() {
            if nl > offset {
                break;
            }
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        for i in memchr::memchr2_iter(b'\r', b'\n', chunk) {
            let after_cr = match i {
                0 => self.after_cr,
                _ => chunk[i - 1] == b'\r',
            };
            if chunk[i] == b'\r' || !after_cr {
                self.pending.push_back(self.offset + i as u64);
            }
        }
        if let Some(&last) = chunk.last() {
            self.after_cr = last == b'\r';
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// A cell without leading and trailing ASCII whitespace (done here rather than by the CSV reader,
/// whose trimming copies every record).
pub fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// Whether a (trimmed) cell holds no value: empty, `NA` (any case) or `.`.
pub fn is_missing(cell: &[u8]) -> bool {
    cell.is_empty() || cell.eq_ignore_ascii_case(b"NA") || cell == b"."
}

/// How numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberFormat {
    /// `.` or `,`.
    pub decimal: u8,
    /// Removed from numbers when given (never guessed).
    pub thousands: Option<u8>,
}

impl Default for NumberFormat {
    fn default() -> Self {
        NumberFormat {
            decimal: b'.',
            thousands: None,
        }
    }
}

impl NumberFormat {
    /// Parse a (trimmed, non-missing) cell. `Err` gives the reason, with a hint when the cell
    /// looks like another number format.
    pub fn parse(&self, cell: &[u8]) -> Result<f64, String> {
        let bad = |hint: &str| {
            let text = String::from_utf8_lossy(cell);
            format!("is not a number: \"{text}\"{hint}")
        };
        let plain = self.decimal == b'.' && self.thousands.is_none();
        let parsed = if plain {
            std::str::from_utf8(cell)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
        } else {
            let mut s = String::with_capacity(cell.len());
            for &b in cell {
                if Some(b) == self.thousands {
                    continue;
                }
                if b == self.decimal {
                    s.push('.');
                } else if b == b'.' && self.decimal == b',' {
                    // A dot in a decimal-comma file that is not the thousands separator.
                    return Err(bad(
                        " (with --decimal , a `.` is only read as --thousands .)",
                    ));
                } else {
                    s.push(b as char);
                }
            }
            s.parse::<f64>().ok()
        };
        let x = parsed.ok_or_else(|| {
            if cell.contains(&b'%') {
                bad(" (percentages are not read: give the number)")
            } else if plain && cell.contains(&b',') {
                bad(" (for decimal commas pass --decimal , and a --delimiter other than `,`)")
            } else {
                bad("")
            }
        })?;
        if !x.is_finite() {
            return Err(format!("must be a finite number, got {x}"));
        }
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_european_and_thousands_layouts() {
        let eu = NumberFormat {
            decimal: b',',
            thousands: None,
        };
        assert_eq!(eu.parse(b"1,25"), Ok(1.25));
        assert!(eu.parse(b"1.25").is_err());
        let eu_th = NumberFormat {
            decimal: b',',
            thousands: Some(b'.'),
        };
        assert_eq!(eu_th.parse(b"1.234,5"), Ok(1234.5));
        let us_th = NumberFormat {
            decimal: b'.',
            thousands: Some(b','),
        };
        assert_eq!(us_th.parse(b"1,234.5"), Ok(1234.5));
        let plain = NumberFormat::default();
        assert!(plain.parse(b"1,5").unwrap_err().contains("--decimal ,"));
        assert!(plain.parse(b"12%").unwrap_err().contains("percentages"));
        assert!(plain.parse(b"inf").is_err());
    }

    /// Reads one byte per call, so a `\r\n` is split across two reads.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(out)) => {
                    *out = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn line_breaks_lf_crlf_and_lone_cr_whatever_the_reads() {
        // Lines: 1 "a" (CRLF), 2 "b" (LF), 3 "c" (lone CR), 4 "" (CRLF), 5 "d"; records start
        // at the offsets below (never on a line break).
        let text = b"a\r\nb\nc\r\r\nd";
        let starts = [(0u64, 1u64), (3, 2), (5, 3), (9, 5)];
        let mut whole = LineCounter::new(&text[..]);
        let mut sink = Vec::new();
        whole.read_to_end(&mut sink).unwrap();
        let mut trickle = LineCounter::new(Trickle(text));
        let mut sink2 = Vec::new();
        trickle.read_to_end(&mut sink2).unwrap();
        for (offset, line) in starts {
            assert_eq!(whole.line_at(offset), line, "offset {offset}");
            assert_eq!(
                trickle.line_at(offset),
                line,
                "offset {offset} (one byte per read)"
            );
        }
    }

    #[test]
    fn missing_cells() {
        for c in [&b""[..], b"NA", b"na", b"."] {
            assert!(is_missing(c));
        }
        assert!(!is_missing(b"0"));
    }
}
