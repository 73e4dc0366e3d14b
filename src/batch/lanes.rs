//! Analyses of a few studies pooled [`WIDTH`] at a time, one per SIMD lane: the studies of
//! `WIDTH` analyses of `k <= SMALL` studies are laid across lanes (study `i` of analysis `j` in
//! lane `j` of row `i`), and the single-analysis kernel `block_part` runs on the lanes, so each
//! lane performs the very operations the analysis performs alone (the same bits). The exact
//! tau² solver runs in lanes too (`pool/tau2/exact/lanes.rs`: each analysis its own steps, one
//! kernel for the sums of all lanes); the closed-form tau² estimators, the Wald intervals, the
//! tails and the heterogeneity figures run per analysis through the one kernel of each
//! statistic.

use super::{Analyses, BatchFloat, BatchPooler, ColumnsMut};
use crate::error::{Error, Result};
use crate::pool::tau2;
use crate::pool::{block_part, wald_figures, weigh, FixedCore, Lanes, Real, Wald, WIDTH};
use crate::tails::chi_square_upper_lanes;

/// Where a group's rows go: the columns, the row of its first analysis, the failures.
pub(super) struct Sink<'s, 'c> {
    pub cols: &'s mut ColumnsMut<'c>,
    pub row: usize,
    pub failures: &'s mut Vec<(usize, Error)>,
}

impl BatchPooler {
    /// Pool analyses `first..first + WIDTH`, of `k` studies each, one per lane, into `sink`
    /// (`Some(Err)` to stop the batch); `None` when `k` is not `1..=SMALL` or one of their
    /// studies is invalid (the caller then pools them one at a time, which names the study).
    #[inline(always)]
    pub(super) fn pool_group<T: BatchFloat>(
        &self,
        analyses: &Analyses<'_, T>,
        first: usize,
        k: usize,
        sink: Sink<'_, '_>,
    ) -> Option<Result<()>> {
        macro_rules! by_k {
            ($($n:literal)*) => {
                match k {
                    $($n => self.group::<T, $n>(analyses, first, sink),)*
                    _ => None,
                }
            };
        }
        by_k!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }

    /// [`BatchPooler::pool_group`] for `k = K`. Inlined (into the copy compiled for each SIMD
    /// level) in optimised builds only: unoptimised code gives every temporary of every inlined
    /// copy its own stack slot, and the 16 copies would need a frame of over 2 MB (a spawned
    /// thread's whole stack). The bits are the same either way.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn group<T: BatchFloat, const K: usize>(
        &self,
        analyses: &Analyses<'_, T>,
        first: usize,
        sink: Sink<'_, '_>,
    ) -> Option<Result<()>> {
        let zero = Lanes::splat(0.0);
        let (mut yt, mut vt) = ([zero; K], [zero; K]);
        for j in 0..WIDTH {
            let (y, v) = analyses.analysis(first + j);
            let (y, v): (&[T; K], &[T; K]) = (y.try_into().ok()?, v.try_into().ok()?);
            for i in 0..K {
                // widened exactly (f32), as the one-at-a-time path reads them
                yt[i].0[j] = y[i].to_f64().unwrap_or(f64::NAN);
                vt[i].0[j] = v[i].to_f64().unwrap_or(f64::NAN);
            }
        }
        // validated, weighted and searched for the heaviest study in one pass, as one at a time
        let one = Lanes::splat(1.0);
        let mut w = [zero; K];
        let (ok, heaviest) = weigh::<Lanes, true>(&yt, &vt, &mut w, |v| one / v);
        if !ok {
            return None;
        }
        let fixed = block_part::<Lanes, true, true>(&yt, &w, heaviest);
        // per lane: the fixed-effect core, then tau² (plain loops, not closures, so that they
        // are inlined into the copy compiled for the SIMD level)
        let mut cores = [FixedCore::NAN; WIDTH];
        let (mut tau2, mut iterations) = (zero, [0; WIDTH]);
        let mut failed: [Option<Error>; WIDTH] = Default::default();
        for j in 0..WIDTH {
            match FixedCore::from_part(K, &fixed.lane(j)) {
                Ok(core) => cores[j] = core,
                Err(e) => failed[j] = Some(e),
            }
        }
        let mut active = [false; WIDTH];
        for j in 0..WIDTH {
            active[j] = failed[j].is_none();
        }
        let tau2s = self.lane_tau2(&cores, active, &yt, &vt);
        for (j, t) in tau2s.into_iter().enumerate() {
            match t {
                Some(Ok((t, n))) => {
                    tau2.0[j] = t;
                    iterations[j] = n;
                }
                Some(Err(e)) => failed[j] = Some(e),
                None => {}
            }
        }
        // the random-effects sums where some tau² > 0 (at tau² = 0 the fixed-effect ones are
        // reused, as one at a time); an `if`, not `bool::then` with a closure, which would be
        // compiled for the baseline
        let random = if tau2.0.iter().any(|&t| t != 0.0) {
            let (_, heaviest) = weigh::<Lanes, false>(&yt, &vt, &mut w, |v| one / (v + tau2));
            Some(block_part::<Lanes, false, false>(&yt, &w, heaviest))
        } else {
            None
        };
        // both Wald intervals and z tests in lanes (where a lane's fit failed its figures are
        // computed and dropped)
        let (sum_w, estimate) = match &random {
            Some(p) => {
                // as one at a time: the fixed-effect sums exactly where tau² == 0
                let none = <Lanes as Real>::eq(tau2, zero);
                (
                    Lanes::select(none, fixed.s, p.s),
                    Lanes::select(none, fixed.mean, p.mean),
                )
            }
            None => (fixed.s, fixed.mean),
        };
        let z_crit = self.model.level.z();
        let fixed_wald = wald_figures(fixed.mean, Lanes::sqrt(one / fixed.s), z_crit);
        let random_wald = wald_figures(estimate, Lanes::sqrt(one / sum_w), z_crit);
        // the p-values of Q in lanes (Q is the fixed-effect part's m2, bit for bit `core.q`)
        let q_p = if K > 1 {
            chi_square_upper_lanes(fixed.m2, (K - 1) as f64)
        } else {
            Lanes::splat(f64::NAN) // no Q test (ignored)
        };
        for j in 0..WIDTH {
            let result = match failed[j].take() {
                Some(e) => Err(e),
                None => self.row(
                    &cores[j],
                    (tau2.0[j], iterations[j]),
                    lane_wald(&fixed_wald, j),
                    lane_wald(&random_wald, j),
                    q_p.0[j],
                ),
            };
            if let Err(e) = self.record(first + j, sink.row + j, result, sink.cols, sink.failures) {
                return Some(Err(e));
            }
        }
        Some(Ok(()))
    }

    /// tau² and the iterations it took of the analyses in the lanes where `active` is set,
    /// from their fixed-effect cores and studies (`yt`, `vt` transposed: study `i` of lane `j`
    /// at `[i].0[j]`): the exact solver in lanes where the estimator uses it (the same bits as
    /// one at a time), else lane by lane; `None` for the other lanes.
    #[inline(always)]
    fn lane_tau2<const K: usize>(
        &self,
        cores: &[FixedCore; WIDTH],
        active: [bool; WIDTH],
        yt: &[Lanes; K],
        vt: &[Lanes; K],
    ) -> tau2::LaneEstimates {
        let m = &self.model;
        if let Some(out) = tau2::estimate_lanes(m.estimator, yt, vt, active, &m.control) {
            return out;
        }
        let mut out: tau2::LaneEstimates = Default::default();
        for j in 0..WIDTH {
            if active[j] {
                out[j] = Some(self.tau2_of(&cores[j], |i| yt[i].0[j], |i| vt[i].0[j]));
            }
        }
        out
    }
}

/// The Wald figures ([`wald_figures`]) of lane `j`.
#[inline(always)]
fn lane_wald(f: &[Lanes; 6], j: usize) -> Wald {
    Wald {
        estimate: f[0].0[j],
        se: f[1].0[j],
        ci_lower: f[2].0[j],
        ci_upper: f[3].0[j],
        statistic: f[4].0[j],
        p: f[5].0[j],
    }
}
