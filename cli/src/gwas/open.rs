//! Opening cohort files: plain or gzip, told apart by the magic bytes (1f 8b), not the name.

use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

/// Open `path` for reading lines, decompressing gzip (also multi-member / bgzip files).
pub fn open(path: &str) -> io::Result<Box<dyn BufRead>> {
    let mut file = BufReader::with_capacity(1 << 17, File::open(path)?);
    let magic = file.fill_buf()?;
    if magic.len() >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
        Ok(Box::new(BufReader::with_capacity(
            1 << 17,
            MultiGzDecoder::new(file),
        )))
    } else {
        Ok(Box::new(file))
    }
}

/// Read a whole text file (plain or gzip).
pub fn read_to_string(path: &str) -> io::Result<String> {
    let mut s = String::new();
    open(path)?.read_to_string(&mut s)?;
    Ok(s)
}
