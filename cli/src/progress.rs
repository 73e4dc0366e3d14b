//! A progress bar on stderr for long `--by` runs: only when stderr is a terminal and not in CI,
//! and only once the run has taken a second (short runs print nothing). It counts the bytes of
//! the input read, against the file's size (a spinner for standard input).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Read};
use std::time::{Duration, Instant};

/// How long a run goes before the bar appears.
const DELAY: Duration = Duration::from_secs(1);

/// The input, counting the bytes read into a progress bar.
pub struct Progress<R> {
    inner: R,
    bar: ProgressBar,
    start: Instant,
    shown: bool,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        if !self.shown && self.start.elapsed() >= DELAY {
            self.shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        if n == 0 {
            self.bar.finish_and_clear();
        }
        Ok(n)
    }
}

impl<R> Drop for Progress<R> {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Whether a bar may be drawn: stderr is a terminal and the `CI` variable is not set.
pub fn wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// Wrap `input` (of `len` bytes, if known) in a progress bar that stays hidden for the first
/// second.
pub fn wrap<R: Read>(input: R, len: Option<u64>) -> Progress<R> {
    let bar = match len {
        Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::hidden()),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
    };
    let style = match len {
        Some(_) => ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {binary_bytes}/{binary_total_bytes} ({eta} left)",
        ),
        None => ProgressStyle::with_template("{elapsed_precise} {spinner} {binary_bytes} read"),
    };
    if let Ok(style) = style {
        bar.set_style(style);
    }
    Progress {
        inner: input,
        bar,
        start: Instant::now(),
        shown: false,
    }
}
