//! The exact solver for [`WIDTH`] intercept-only analyses of `K` studies side by side, one per
//! SIMD lane: each round every unfinished analysis asks for its equation's sums at its own
//! tau² ([`Search`]), one kernel ([`equation_sums`]) computes the sums of all lanes at their
//! tau² values with the operations it makes for one analysis, and each analysis takes its
//! lane's sums, exactly as [`super::solve`] gives them to it alone. So every analysis makes
//! the very floating-point operations it makes alone, and gets the same bits; an analysis that
//! is done stops asking (its lane's sums are computed and dropped).

// lane loops index several arrays by lane at once, on purpose
#![allow(clippy::needless_range_loop)]

use super::{Equation, Search, SearchStep, Solved};
use crate::error::Result;
use crate::pool::sums::equation_sums;
use crate::pool::tau2::design::{EquationSums, Intercept};
use crate::pool::{Lanes, Real, WIDTH};

impl EquationSums<Lanes> {
    /// The sums of the analysis in lane `j`.
    #[inline(always)]
    fn lane(&self, j: usize) -> EquationSums {
        EquationSums {
            sum_w: self.sum_w.0[j],
            sum_w2: self.sum_w2.0[j],
            rss: self.rss.0[j],
            rss2: self.rss2.0[j],
            tr_p: self.tr_p.0[j],
            tr_pp: self.tr_pp.0[j],
        }
    }
}

/// [`super::solve`] for the analyses of the lanes where `active` is set (study `i` of lane
/// `j` at `yt[i].0[j]`, `vt[i].0[j]`), each from `start` (else its DerSimonian-Laird
/// estimate): the outcome of each active lane, `None` for the others.
#[inline(always)]
pub(crate) fn solve_lanes<const K: usize>(
    equation: Equation,
    yt: &[Lanes; K],
    vt: &[Lanes; K],
    active: [bool; WIDTH],
    start: Option<f64>,
) -> [Option<Result<Solved>>; WIDTH] {
    let mut out: [Option<Result<Solved>>; WIDTH] = Default::default();
    let mut searches = [None; WIDTH];
    for j in 0..WIDTH {
        if active[j] {
            searches[j] = Some(Search::new(equation, start));
        }
    }
    // every search first wants the sums at 0
    let mut tau2 = Lanes::splat(0.0);
    let one = Lanes::splat(1.0);
    let mut w = [one; K];
    while searches.iter().any(Option::is_some) {
        // one division per study and round: the weights the kernel reads in both passes
        for i in 0..K {
            w[i] = one / (vt[i] + tau2);
        }
        let sums = equation_sums(K, |i| yt[i], |i| w[i]);
        for j in 0..WIDTH {
            let Some(search) = searches[j].as_mut() else {
                continue;
            };
            let d = Intercept {
                k: K,
                y: |i: usize| yt[i].0[j],
                v: |i: usize| vt[i].0[j],
            };
            match search.feed(&sums.lane(j), &d) {
                Ok(SearchStep::Evaluate(t)) => tau2.0[j] = t,
                Ok(SearchStep::Done(solved)) => {
                    out[j] = Some(Ok(solved));
                    searches[j] = None;
                }
                Err(e) => {
                    out[j] = Some(Err(e));
                    searches[j] = None;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::tau2::exact::solve;

    /// Each active lane's outcome is `solve`'s on that analysis alone, bit for bit (tau², the
    /// evaluations, the last step and the bracket), the inactive lanes are left alone, and an
    /// analysis whose equation is NaN fails alone as in the group.
    #[test]
    fn every_lane_is_solved_as_alone() {
        const K: usize = 4;
        let analyses: [([f64; K], [f64; K]); WIDTH] = [
            ([0.3, 0.3, 0.3, 0.3], [0.01, 0.02, 0.05, 0.1]),
            ([0.1, 0.9, -0.4, 0.3], [0.04; K]),
            ([0.1, 2.9, -1.4, 0.3], [1e-4, 10.0, 0.02, 3.0]),
            ([1e-3, -2.0, 5.0, 0.0], [50.0, 1e-4, 2e-4, 0.3]),
            ([0.1, 0.2, 0.3, 0.4], [1e-200; K]),
            ([-1.0, 1.0, -1.0, 3.0], [0.5, 0.01, 0.2, 0.3]),
            ([f64::NAN, 0.0, 0.0, 0.0], [0.1; K]),
            ([0.2, 0.21, 0.19, 0.22], [0.1, 0.2, 0.3, 0.07]),
        ];
        let (mut yt, mut vt) = ([Lanes::splat(0.0); K], [Lanes::splat(0.0); K]);
        for (j, (y, v)) in analyses.iter().enumerate() {
            for i in 0..K {
                (yt[i].0[j], vt[i].0[j]) = (y[i], v[i]);
            }
        }
        let equations = [
            Equation::RestrictedLikelihood,
            Equation::Likelihood,
            Equation::Q { target: 3.0 },
        ];
        for equation in equations {
            for start in [None, Some(0.05)] {
                let active = [true, true, true, true, true, false, true, true];
                let out = solve_lanes(equation, &yt, &vt, active, start);
                for (j, (y, v)) in analyses.iter().enumerate() {
                    let d = Intercept {
                        k: K,
                        y: |i: usize| y[i],
                        v: |i: usize| v[i],
                    };
                    match (&out[j], solve(equation, &d, start)) {
                        (None, _) => assert!(!active[j]),
                        (Some(Ok(a)), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
                        (Some(Err(a)), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                        (a, b) => panic!("lane {j}: {a:?} vs {b:?}"),
                    }
                }
                assert!(matches!(out[6], Some(Err(_))));
            }
        }
    }
}
