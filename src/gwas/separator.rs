//! Field separators of cohort files (METAL's `SEPARATOR`).

/// How the fields of a line are separated (METAL's `SEPARATOR`).
///
/// ```
/// use metapool::gwas::*;
/// // METAL's SEPARATOR COMMA keeps empty fields: a missing SE is an invalid row
/// let spec = ReadSpec { separator: Some(Separator::Comma), ..ReadSpec::new(Scheme::InverseVariance) };
/// let mut r = CohortReader::new("SNP,BETA,SE\nrs1,0.1,\n".as_bytes(), "c", &spec)?;
/// assert!(r.next_record(&mut Record::default()).unwrap().is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Separator {
    /// Runs of spaces and tabs (METAL's default `WHITESPACE`).
    #[default]
    Whitespace,
    /// One tab per field boundary; empty fields are kept.
    Tab,
    /// One comma per field boundary; empty fields are kept.
    Comma,
    /// Runs of spaces, tabs and commas (METAL's `BOTH`).
    Any,
}

impl Separator {
    /// The separator a header line suggests: tab if it has a tab, comma if it has a comma,
    /// whitespace otherwise.
    ///
    /// ```
    /// use metapool::gwas::Separator;
    /// assert_eq!(Separator::detect("MarkerName\tEffect\tStdErr"), Separator::Tab);
    /// assert_eq!(Separator::detect("rsid,beta,se"), Separator::Comma);
    /// assert_eq!(Separator::detect("SNP  BETA SE"), Separator::Whitespace);
    /// ```
    pub fn detect(header: &str) -> Self {
        if header.contains('\t') {
            Separator::Tab
        } else if header.contains(',') {
            Separator::Comma
        } else {
            Separator::Whitespace
        }
    }

    /// Byte spans of the fields of `line` (no trailing newline).
    pub(super) fn split(self, line: &str, spans: &mut Vec<(usize, usize)>) {
        spans.clear();
        let bytes = line.as_bytes();
        match self {
            Separator::Tab | Separator::Comma => {
                let sep = if self == Separator::Tab { b'\t' } else { b',' };
                let mut start = 0;
                for (i, &b) in bytes.iter().enumerate() {
                    if b == sep {
                        spans.push((start, i));
                        start = i + 1;
                    }
                }
                spans.push((start, bytes.len()));
            }
            Separator::Whitespace | Separator::Any => {
                let is_sep =
                    |b: u8| b == b' ' || b == b'\t' || (self == Separator::Any && b == b',');
                let mut i = 0;
                while i < bytes.len() {
                    while i < bytes.len() && is_sep(bytes[i]) {
                        i += 1;
                    }
                    let start = i;
                    while i < bytes.len() && !is_sep(bytes[i]) {
                        i += 1;
                    }
                    if i > start {
                        spans.push((start, i));
                    }
                }
            }
        }
    }
}
