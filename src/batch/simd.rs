//! The instruction set the batch kernels run with, chosen at run time: AVX-512 or AVX2 (with
//! FMA) where the CPU has them, the x86-64 baseline (SSE2) otherwise, through the `pulp` crate
//! (which keeps the `unsafe` calls of target-feature functions inside itself).
//!
//! Every level runs the same Rust code, compiled once per level: only exactly rounded
//! operations (`+ - * / sqrt`, comparisons) and the same scalar tail functions, and no fused
//! multiply-add (Rust never contracts `a * b + c`), so every level gives the same bits, and the
//! same bits as the single-analysis API (tested on random data in `tests/simd_levels.rs`).
//!
//! The environment variable `METAPOOL_SIMD` (`baseline`, `avx2`, `avx512`) sets the level of
//! [`SimdLevel::Detect`], e.g. to run a test suite at the baseline level.

use crate::error::{Error, Result};
use pulp::{Arch, WithSimd};
use std::sync::OnceLock;

/// The instruction set of the batch kernels ([`BatchPooler::simd`](super::BatchPooler::simd)).
///
/// ```
/// use metapool::batch::{Analyses, BatchPooler, BatchResults, SimdLevel};
/// let (y, v) = ([0.1, 0.9, 0.4, 0.3], [0.01, 0.02, 0.015, 0.03]);
/// let analyses = Analyses::uniform(&y, &v, 2)?;
/// let (mut a, mut b) = (BatchResults::default(), BatchResults::default());
/// BatchPooler::default().pool(&analyses, &mut a)?;
/// BatchPooler::default().with_simd(SimdLevel::Baseline).pool(&analyses, &mut b)?;
/// assert_eq!(a, b); // the same bits on every level
/// assert!(SimdLevel::available().contains(&SimdLevel::Baseline));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SimdLevel {
    /// The best level this CPU has, unless the environment variable `METAPOOL_SIMD` names one
    /// (`baseline`, `avx2`, `avx512`; read once per process).
    #[default]
    Detect,
    /// The target's baseline (SSE2 on x86-64): runs everywhere.
    Baseline,
    /// AVX2 and FMA (x86-64-v3).
    Avx2,
    /// AVX-512 F, BW, CD, DQ, VL (x86-64-v4).
    Avx512,
}

impl SimdLevel {
    /// The levels this CPU runs, baseline first.
    ///
    /// ```
    /// use metapool::batch::SimdLevel;
    /// let levels = SimdLevel::available();
    /// assert_eq!(levels[0], SimdLevel::Baseline);
    /// assert!(!levels.contains(&SimdLevel::Detect));
    /// ```
    pub fn available() -> Vec<SimdLevel> {
        [SimdLevel::Baseline, SimdLevel::Avx2, SimdLevel::Avx512]
            .into_iter()
            .filter(|l| l.arch().is_some())
            .collect()
    }

    /// The level [`SimdLevel::Detect`] stands for on this machine (never `Detect`).
    ///
    /// ```
    /// use metapool::batch::SimdLevel;
    /// assert_ne!(SimdLevel::Detect.resolved(), SimdLevel::Detect);
    /// assert_eq!(SimdLevel::Baseline.resolved(), SimdLevel::Baseline);
    /// ```
    pub fn resolved(self) -> SimdLevel {
        match self {
            SimdLevel::Detect => *DETECTED.get_or_init(detect),
            level => level,
        }
    }

    /// pulp's dispatcher for this level; `None` where the CPU lacks it.
    fn arch(self) -> Option<Arch> {
        match self.resolved() {
            SimdLevel::Baseline | SimdLevel::Detect => Some(Arch::Scalar),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 => pulp::x86::V3::try_new().map(Arch::V3),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512 => pulp::x86::V4::try_new().map(Arch::V4),
            #[cfg(not(target_arch = "x86_64"))]
            _ => None,
        }
    }

    /// Run `op` compiled for this level (its `with_simd` must be `#[inline(always)]`, and so
    /// must what it calls, to be compiled for the level); [`Error::Undefined`] where the CPU
    /// lacks it.
    #[inline(always)]
    pub(crate) fn run<Op: WithSimd>(self, op: Op) -> Result<Op::Output> {
        let arch = self.arch().ok_or(Error::Undefined {
            what: "this SIMD level",
            why: "the CPU does not have its instructions (see SimdLevel::available)",
        })?;
        Ok(arch.dispatch(op))
    }
}

/// The level `Detect` resolves to: `METAPOOL_SIMD` if set to a level this CPU has, else the best.
static DETECTED: OnceLock<SimdLevel> = OnceLock::new();

fn detect() -> SimdLevel {
    let wanted = match std::env::var("METAPOOL_SIMD").as_deref() {
        Ok("baseline") => Some(SimdLevel::Baseline),
        Ok("avx2") => Some(SimdLevel::Avx2),
        Ok("avx512") => Some(SimdLevel::Avx512),
        _ => None,
    };
    let available = SimdLevel::available();
    match wanted {
        Some(l) if available.contains(&l) => l,
        _ => available.last().copied().unwrap_or(SimdLevel::Baseline),
    }
}
