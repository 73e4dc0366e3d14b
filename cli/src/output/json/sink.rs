//! The `--format json` writer: streams `{"analyses": [...]}`, one analysis per line, in chunks.

use super::analysis_json;
use crate::analysis::{AnalysisError, Group, Outcome, Settings};
use crate::pipeline::Sink;
use std::io::{self, Write};
use std::ops::Range;

/// `--format json`: `{"analyses": [...]}`, one analysis per line.
pub struct JsonSink<'a, W: Write> {
    out: W,
    settings: &'a Settings,
    with_id: bool,
    count: u64,
    /// The text of the analyses not yet handed to `out`, written in chunks of at least
    /// `JSON_CHUNK` bytes (a write that large bypasses a `BufWriter`'s copy).
    buf: Vec<u8>,
    /// Scratch for `AnalysisJson::write`.
    weight_text: Vec<Range<usize>>,
}

const JSON_CHUNK: usize = 1 << 16;

impl<W: Write> Drop for JsonSink<'_, W> {
    /// Hand the analyses still held to the writer, also when a run stops on an error (the
    /// analyses streamed before the error stay in the output). Errors are reported by `finish`.
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.out.write_all(&self.buf);
            self.buf.clear();
        }
    }
}

impl<'a, W: Write> JsonSink<'a, W> {
    /// Nothing is written until the first analysis (or `finish`), so that a run that fails
    /// before any analysis leaves the output empty.
    pub fn new(out: W, settings: &'a Settings, with_id: bool) -> io::Result<Self> {
        Ok(JsonSink {
            out,
            settings,
            with_id,
            count: 0,
            buf: Vec::with_capacity(2 * JSON_CHUNK),
            weight_text: Vec::new(),
        })
    }

    pub fn finish(mut self) -> io::Result<()> {
        if self.count == 0 {
            self.buf.extend_from_slice(b"{\"analyses\": [");
        }
        self.buf.extend_from_slice(b"\n]}\n");
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

impl<W: Write> Sink for JsonSink<'_, W> {
    fn analysis(&mut self, g: &Group, o: &Result<Outcome, AnalysisError>) -> io::Result<()> {
        self.buf.extend_from_slice(if self.count == 0 {
            b"{\"analyses\": [\n"
        } else {
            b",\n"
        });
        self.count += 1;
        let a = analysis_json(self.settings, self.with_id, g, o);
        a.write(&mut self.buf, &mut self.weight_text);
        if self.buf.len() >= JSON_CHUNK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}
