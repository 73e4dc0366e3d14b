//! `--robust CR1|CR2 --cluster COL` of `pool` and `regress`: cluster-robust inference on the
//! fit of each analysis (the library's `robust` module; metafor `robust()`, clubSandwich CR2).
//!
//! The cluster column is read with each row like a categorical moderator (so a missing cell is
//! an error naming its line and column, and `--missing skip` leaves such a row out); the
//! labels of the included studies go to `metapool::robust::Clusters`.

use crate::analysis::{AnalysisError, Group};
use crate::json::{self, Obj};
use crate::layout::{ModeratorColumn, ModeratorKind, ModeratorValue};
use clap::Args;
use metapool::inference::ConfidenceLevel;
use metapool::regression::RegressionFit;
use metapool::robust::{ClusterRobust, Clusters, RobustFit, RobustVariance, WorkingModel};

/// The options `--robust` and `--cluster`.
#[derive(Debug, Clone, Args)]
pub struct RobustArgs {
    /// Cluster-robust inference: CR1 (metafor's robust(), the default adjustment) or CR2
    /// (clubSandwich: bias-reduced linearization, Satterthwaite df, HTZ test); needs --cluster.
    #[arg(long, value_name = "CR1|CR2", requires = "cluster")]
    pub robust: Option<String>,

    /// The column whose values name the cluster of each study (for --robust).
    #[arg(long, value_name = "COL", requires = "robust")]
    pub cluster: Option<String>,
}

/// Validated `--robust --cluster`.
#[derive(Debug, Clone)]
pub struct RobustSpec {
    pub variance: RobustVariance,
    /// The cluster column, read as a categorical moderator.
    pub column: ModeratorColumn,
}

impl RobustSpec {
    /// `None` without `--robust`; a usage error for an unknown estimator.
    pub fn from_args(a: &RobustArgs) -> Result<Option<RobustSpec>, String> {
        let (Some(v), Some(c)) = (&a.robust, &a.cluster) else {
            return Ok(None);
        };
        let variance = v
            .parse::<RobustVariance>()
            .map_err(|_| format!("--robust `{v}`: expected CR1 or CR2"))?;
        Ok(Some(RobustSpec {
            variance,
            column: ModeratorColumn {
                name: c.clone(),
                kind: ModeratorKind::Categorical,
            },
        }))
    }

    /// Robust inference on the meta-regression `fit`, whose studies are `included` (study
    /// positions of `g`); the cluster label of study `i` is its moderator value
    /// `stride * i + at`.
    pub fn apply(
        &self,
        fit: &RegressionFit,
        g: &Group,
        included: &[usize],
        stride: usize,
        at: usize,
        line_of: &dyn Fn(usize) -> u64,
    ) -> Result<RobustFit, AnalysisError> {
        let how = ClusterRobust::new(self.variance)
            .with_level(fit.level())
            .with_btt(fit.moderator_test().btt.clone());
        self.apply_to(&how, fit, g, included, (stride, at), line_of)
    }

    /// Robust inference on any working model (`mv`'s multilevel fits), with the omnibus test
    /// of every coefficient but the intercept.
    pub fn apply_model<M: WorkingModel>(
        &self,
        model: &M,
        level: ConfidenceLevel,
        g: &Group,
        included: &[usize],
        (stride, at): (usize, usize),
        line_of: &dyn Fn(usize) -> u64,
    ) -> Result<RobustFit, AnalysisError> {
        let how = ClusterRobust::new(self.variance).with_level(level);
        self.apply_to(&how, model, g, included, (stride, at), line_of)
    }

    fn apply_to<M: WorkingModel + ?Sized>(
        &self,
        how: &ClusterRobust,
        model: &M,
        g: &Group,
        included: &[usize],
        (stride, at): (usize, usize),
        line_of: &dyn Fn(usize) -> u64,
    ) -> Result<RobustFit, AnalysisError> {
        let labels: Vec<&str> = included
            .iter()
            .map(|&i| match &g.moderators[i * stride + at] {
                ModeratorValue::Level(l) => l.as_str(),
                ModeratorValue::Number(_) => "",
            })
            .collect();
        let clusters = Clusters::new(&labels).map_err(|e| self.error(e, included, line_of))?;
        how.fit(model, &clusters)
            .map_err(|e| self.error(e, included, line_of))
    }

    fn error(
        &self,
        e: metapool::Error,
        included: &[usize],
        line_of: &dyn Fn(usize) -> u64,
    ) -> AnalysisError {
        let line = match &e {
            metapool::Error::InvalidRobustCluster { row: Some(r), .. } => {
                Some(line_of(included[*r]))
            }
            _ => None,
        };
        AnalysisError {
            line,
            message: format!("--robust with --cluster {}: {e}", self.column.name),
        }
    }
}

/// The `robust` object of `--format json`.
pub fn json_robust(o: &mut Obj, r: &RobustFit) {
    let b = o.key("robust");
    let mut o = Obj::open(b);
    o.str("type", r.variance().name());
    o.u64("clusters", r.clusters() as u64);
    json::array(o.key("coefficients"), r.coefficients(), |c, b| {
        let mut o = Obj::open(b);
        o.str("name", &c.name);
        o.f64("estimate", c.estimate);
        o.f64("se", c.se);
        o.f64("statistic", c.statistic);
        o.f64("df", c.df);
        o.f64("p", c.p);
        o.f64("ci_lower", c.ci_lower);
        o.f64("ci_upper", c.ci_upper);
        o.close();
    });
    let t = r.omnibus();
    o.f64("qm", t.statistic);
    o.u64("qm_df1", t.df1 as u64);
    o.f64("qm_df2", t.df2);
    o.opt_f64("qm_p", t.p);
    o.close();
}
