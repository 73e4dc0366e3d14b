//! [`Tau2Control`]: how the iterative tau² estimators iterate, and [`Tau2Mode`]: to the exact
//! solution (the default) or along metafor's iteration path.

use crate::error::{Error, Problem, Result};

/// How the iterative tau² estimators (ML, REML, EB, PM, PMM, and the Q-profile bounds) are
/// solved.
///
/// ```text
/// Exact    bracket the root of the estimating equation g on [0, upper], upper a provable bound
///          (g < 0 beyond it); tau2 = 0 when g(0) <= 0; otherwise safeguarded Newton / secant
///          steps inside the bracket, bisection when a step leaves it or it shrinks too slowly;
///          stop when the step or the bracket is within 1e-13 tau2 (1e-300 near 0)
///            REML  g = y'PPy - tr P        ML  g = y'PPy - sum w
///            EB, PM  g = y'Py - (k - p)    PMM  g = y'Py - qchisq(0.5, k - p)
///            Q-profile bounds  g = y'Py - the chi-square quantile
/// Metafor  metafor 3.8's own iteration: Fisher scoring with its threshold, step adjustment,
///          iteration limit and ll0check; uniroot (Brent) with its tolerance on
///          [0, max(100, 10 mad(y)^2)] for PM and PMM, [0, max(100, 10 tau2)] for Q-profile
/// ```
/// The exact mode cannot fail on finite valid input (a root exists in the bracket, and
/// bisection alone reaches it); the metafor mode reproduces metafor's numbers, including its
/// failures to converge and its stopping short of the optimum (about 1e-5 relative for REML,
/// up to 0.5% for PM with uniroot's default tolerance).
///
/// ```
/// use metapool::pool::Tau2Mode;
/// assert_eq!(Tau2Mode::default(), Tau2Mode::Exact);
/// assert_eq!("metafor".parse::<Tau2Mode>()?, Tau2Mode::Metafor);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Tau2Mode {
    /// Solve the estimating equation to full double precision (the default).
    #[default]
    Exact,
    /// metafor 3.8's iteration path and stopping rules, bit for bit.
    Metafor,
}

impl Tau2Mode {
    /// The mode's name (`"exact"`, `"metafor"`), as [`std::str::FromStr`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Tau2Mode::Exact => "exact",
            Tau2Mode::Metafor => "metafor",
        }
    }
}

impl std::str::FromStr for Tau2Mode {
    type Err = Error;
    /// `"exact"` or `"metafor"`, case-insensitively.
    fn from_str(s: &str) -> Result<Self> {
        [Tau2Mode::Exact, Tau2Mode::Metafor]
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::Unparsable {
                what: "a tau² control mode (exact, metafor)",
                text: s.to_owned(),
            })
    }
}

/// Settings of the iterative tau² estimators: the [`Tau2Mode`] (exact by default), and for the
/// metafor mode metafor's `control` list of `rma.uni`, with metafor's defaults:
/// ```text
/// mode           = Exact                      Tau2Control::metafor(): Metafor
/// threshold      = 1e-5                       Fisher scoring stops when |change| <= threshold
/// tolerance      = .Machine$double.eps^0.25   uniroot's tol (Paule-Mandel, Q-profile);
///                                             log-likelihood check
/// max_iterations = 100                        Fisher scoring iterations / root-finder evaluations
/// step_adjustment = 1                         Fisher scoring step multiplier (stepadj)
/// tau2_init      = None                       start: max(0, Hedges estimate) (metafor),
///                                             DerSimonian-Laird (exact); Sidik-Jonkman start:
///                                             sum (y - mean y)^2 / k (both modes)
/// tau2_max       = None                       upper end of the Paule-Mandel search:
///                                             max(100, 10 mad(y)^2) (metafor mode only; the
///                                             exact mode uses a provable bound)
/// ```
/// The exact mode uses only `tau2_init` (a starting value, which does not change the solution)
/// of these. Source: metafor 3.8 `?rma.uni`, "Note" and the `control` argument.
///
/// ```
/// use metapool::pool::{Tau2Control, Tau2Mode};
/// let c = Tau2Control::metafor().with_threshold(1e-10)?.with_max_iterations(1000)?;
/// assert_eq!(c.threshold(), 1e-10);
/// assert_eq!(c.mode(), Tau2Mode::Metafor);
/// assert_eq!(Tau2Control::default().mode(), Tau2Mode::Exact);
/// assert!(Tau2Control::default().with_tolerance(-1.0).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Tau2Control {
    #[cfg_attr(feature = "serde", serde(default))]
    mode: Tau2Mode,
    threshold: f64,
    tolerance: f64,
    max_iterations: usize,
    step_adjustment: f64,
    tau2_init: Option<f64>,
    tau2_max: Option<f64>,
}

impl Default for Tau2Control {
    /// The exact mode (metafor's defaults for the metafor-mode settings).
    fn default() -> Self {
        Tau2Control {
            mode: Tau2Mode::Exact,
            ..Tau2Control::metafor()
        }
    }
}

fn positive_param(name: &'static str, x: f64) -> Result<f64> {
    if !x.is_finite() {
        return Err(Error::InvalidParameter {
            name,
            problem: Problem::NotFinite(x),
        });
    }
    if x > 0.0 {
        Ok(x)
    } else {
        Err(Error::InvalidParameter {
            name,
            problem: Problem::NotPositive(x),
        })
    }
}

impl Tau2Control {
    /// metafor 3.8's iteration path with its defaults (`rma.uni`'s `control`), which the
    /// builders below adjust as metafor's `control` list does.
    pub fn metafor() -> Self {
        Tau2Control {
            mode: Tau2Mode::Metafor,
            threshold: 1e-5,
            tolerance: f64::EPSILON.powf(0.25),
            max_iterations: 100,
            step_adjustment: 1.0,
            tau2_init: None,
            tau2_max: None,
        }
    }
    /// The same settings in another mode.
    pub fn with_mode(mut self, mode: Tau2Mode) -> Self {
        self.mode = mode;
        self
    }
    /// Fisher scoring convergence threshold on the change in tau² (must be > 0).
    pub fn with_threshold(mut self, threshold: f64) -> Result<Self> {
        self.threshold = positive_param("threshold", threshold)?;
        Ok(self)
    }
    /// Root-finder tolerance (must be > 0).
    pub fn with_tolerance(mut self, tolerance: f64) -> Result<Self> {
        self.tolerance = positive_param("tolerance", tolerance)?;
        Ok(self)
    }
    /// Maximum iterations (must be >= 1).
    pub fn with_max_iterations(mut self, max_iterations: usize) -> Result<Self> {
        if max_iterations == 0 {
            return Err(Error::InvalidParameter {
                name: "max_iterations",
                problem: Problem::TooSmall { min: 1.0, got: 0.0 },
            });
        }
        self.max_iterations = max_iterations;
        Ok(self)
    }
    /// Fisher scoring step multiplier (must be > 0).
    pub fn with_step_adjustment(mut self, step: f64) -> Result<Self> {
        self.step_adjustment = positive_param("step_adjustment", step)?;
        Ok(self)
    }
    /// Starting value for Fisher scoring and Sidik-Jonkman (must be >= 0).
    pub fn with_tau2_init(mut self, tau2: f64) -> Result<Self> {
        if !(tau2.is_finite() && tau2 >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "tau2_init",
                problem: if tau2.is_finite() {
                    Problem::Negative(tau2)
                } else {
                    Problem::NotFinite(tau2)
                },
            });
        }
        self.tau2_init = Some(tau2);
        Ok(self)
    }
    /// Upper end of the Paule-Mandel search interval (must be > 0).
    pub fn with_tau2_max(mut self, tau2_max: f64) -> Result<Self> {
        self.tau2_max = Some(positive_param("tau2_max", tau2_max)?);
        Ok(self)
    }
    /// Exact solution or metafor's iteration path.
    pub fn mode(&self) -> Tau2Mode {
        self.mode
    }
    /// The Fisher scoring threshold.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
    /// The root-finder tolerance.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }
    /// The maximum number of iterations.
    pub fn max_iterations(&self) -> usize {
        self.max_iterations
    }
    /// The Fisher scoring step multiplier.
    pub fn step_adjustment(&self) -> f64 {
        self.step_adjustment
    }
    /// The user's starting value, if any.
    pub fn tau2_init(&self) -> Option<f64> {
        self.tau2_init
    }
    /// The user's upper search limit, if any.
    pub fn tau2_max(&self) -> Option<f64> {
        self.tau2_max
    }

    /// Check the fields (they are validated by the builders; this guards deserialized values).
    pub(crate) fn validate(&self) -> Result<()> {
        positive_param("threshold", self.threshold)?;
        positive_param("tolerance", self.tolerance)?;
        positive_param("step_adjustment", self.step_adjustment)?;
        if self.max_iterations == 0 {
            return Err(Error::InvalidParameter {
                name: "max_iterations",
                problem: Problem::TooSmall { min: 1.0, got: 0.0 },
            });
        }
        if let Some(t) = self.tau2_init {
            Tau2Control::default().with_tau2_init(t)?;
        }
        if let Some(t) = self.tau2_max {
            positive_param("tau2_max", t)?;
        }
        Ok(())
    }
}

validated_serde!(Tau2Control, |c| c.validate());
