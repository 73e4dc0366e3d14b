//! A small JSON writer for `--format json`, writing straight into a reused byte buffer.
//!
//! It writes exactly what `serde_json::to_writer` wrote for the former derived structs: keys in
//! declaration order, no spaces, finite numbers as serde_json formats them (its `CompactFormatter`,
//! the shortest text that parses back to the same f64), non-finite numbers and `None` as `null`,
//! and strings escaped as serde_json escapes them. Keys are static ASCII names and are written
//! without escaping.

use serde_json::ser::{CompactFormatter, Formatter};

/// One JSON object being written: tracks whether a comma is needed before the next key.
pub struct Obj<'b> {
    buf: &'b mut Vec<u8>,
    first: bool,
}

impl<'b> Obj<'b> {
    /// Open an object (`{`).
    #[inline(always)]
    pub fn open(buf: &'b mut Vec<u8>) -> Obj<'b> {
        buf.push(b'{');
        Obj { buf, first: true }
    }

    /// Write `"name":` (with the separating comma) and return the buffer for the value.
    #[inline(always)]
    pub fn key(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"\":");
        self.buf
    }

    #[inline(always)]
    pub fn f64(&mut self, name: &str, x: f64) {
        let b = self.key(name);
        f64_value(b, x);
    }

    #[inline(always)]
    pub fn opt_f64(&mut self, name: &str, x: Option<f64>) {
        let b = self.key(name);
        match x {
            Some(x) => f64_value(b, x),
            None => null(b),
        }
    }

    /// A field that is left out when the outer option is `None` (serde's
    /// `skip_serializing_if = "Option::is_none"`).
    #[inline(always)]
    pub fn skip_f64(&mut self, name: &str, x: Option<Option<f64>>) {
        if let Some(x) = x {
            self.opt_f64(name, x);
        }
    }

    #[inline(always)]
    pub fn u64(&mut self, name: &str, x: u64) {
        let b = self.key(name);
        u64_value(b, x);
    }

    #[inline(always)]
    pub fn opt_usize(&mut self, name: &str, x: Option<usize>) {
        let b = self.key(name);
        match x {
            Some(x) => u64_value(b, x as u64),
            None => null(b),
        }
    }

    #[inline(always)]
    pub fn str(&mut self, name: &str, s: &str) {
        let b = self.key(name);
        str_value(b, s);
    }

    #[inline(always)]
    pub fn opt_str(&mut self, name: &str, s: Option<&str>) {
        let b = self.key(name);
        match s {
            Some(s) => str_value(b, s),
            None => null(b),
        }
    }

    /// The length of the text written so far (for `copy`).
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Append a copy of text already written (`range` from `len`).
    #[inline(always)]
    pub fn copy(&mut self, range: std::ops::Range<usize>) {
        self.buf.extend_from_within(range);
    }

    /// Close the object (`}`).
    #[inline(always)]
    pub fn close(self) {
        self.buf.push(b'}');
    }
}

/// A JSON array of the items written by `write`.
pub fn array<T>(b: &mut Vec<u8>, items: &[T], write: impl Fn(&T, &mut Vec<u8>)) {
    b.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        write(x, b);
    }
    b.push(b']');
}

/// `{"analyses": [...]}` written one analysis at a time (one per line), for the diagnostics
/// subcommands. Nothing is written before the first analysis or `finish`.
pub struct Analyses<W: std::io::Write> {
    out: W,
    count: u64,
    buf: Vec<u8>,
}

impl<W: std::io::Write> Analyses<W> {
    pub fn new(out: W) -> Self {
        Analyses {
            out,
            count: 0,
            buf: Vec::new(),
        }
    }

    /// Write one analysis object, produced by `write` into the buffer given.
    pub fn item(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> std::io::Result<()> {
        self.buf.clear();
        self.buf.extend_from_slice(if self.count == 0 {
            b"{\"analyses\": [\n"
        } else {
            b",\n"
        });
        self.count += 1;
        write(&mut self.buf);
        self.out.write_all(&self.buf)
    }

    /// Close the document and flush.
    pub fn finish(mut self) -> std::io::Result<()> {
        if self.count == 0 {
            self.out.write_all(b"{\"analyses\": [")?;
        }
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()
    }
}

#[inline(always)]
pub fn null(b: &mut Vec<u8>) {
    b.extend_from_slice(b"null");
}

/// A number as serde_json writes an `f64`: `null` unless finite.
#[inline(always)]
pub fn f64_value(b: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        // Writing to a Vec cannot fail.
        let _ = CompactFormatter.write_f64(b, x);
    } else {
        null(b);
    }
}

#[inline(always)]
pub fn u64_value(b: &mut Vec<u8>, x: u64) {
    let _ = CompactFormatter.write_u64(b, x);
}

/// A string as serde_json writes it. Printable ASCII without `"` or `\` is copied as is (serde_json
/// leaves it unchanged); anything else goes through serde_json itself.
pub fn str_value(b: &mut Vec<u8>, s: &str) {
    if s.bytes()
        .all(|c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
    {
        b.push(b'"');
        b.extend_from_slice(s.as_bytes());
        b.push(b'"');
    } else {
        // Serialising a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *b, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_text<T: serde::Serialize + ?Sized>(x: &T) -> Vec<u8> {
        serde_json::to_vec(x).unwrap()
    }

    #[test]
    fn numbers_match_serde_json() {
        let xs = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1e-300,
            5e-324,
            1.7976931348623157e308,
            123456789012345680.0,
            1e21,
            1e-7,
            0.0001268102604747529,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in xs {
            let mut b = Vec::new();
            f64_value(&mut b, x);
            assert_eq!(b, serde_text(&x), "{x}");
        }
        for n in [0u64, 9, 10, 12345, u64::MAX] {
            let mut b = Vec::new();
            u64_value(&mut b, n);
            assert_eq!(b, serde_text(&n));
        }
    }

    #[test]
    fn strings_match_serde_json() {
        for s in [
            "",
            "Trial A (2010)",
            "quote \" and \\ backslash",
            "tab\tnewline\n\u{1}\u{7f}",
            "Müller 2019 – ß",
            "/slash/",
        ] {
            let mut b = Vec::new();
            str_value(&mut b, s);
            assert_eq!(b, serde_text(s), "{s:?}");
        }
    }

    #[test]
    fn objects_are_compact() {
        let mut b = Vec::new();
        let mut o = Obj::open(&mut b);
        o.opt_f64("a", None);
        o.skip_f64("skipped", None);
        o.skip_f64("b", Some(Some(2.0)));
        o.u64("c", 3);
        o.close();
        assert_eq!(b, br#"{"a":null,"b":2.0,"c":3}"#);
    }
}
