//! Column roles of a cohort file, found from the header by common names or by labels given
//! (METAL's `MARKER`, `ALLELE`, `EFFECT`, ... commands).

/// What a column of a cohort file holds.
///
/// ```
/// use metapool::gwas::{ColumnLabels, ColumnMap, Role};
/// // METAL's column names, found by the common names
/// let map = ColumnMap::find(&["MarkerName", "Allele1", "Allele2", "Effect", "StdErr", "P-value"], &ColumnLabels::common());
/// assert_eq!(map.index(Role::Marker), Some(0));
/// assert_eq!(map.index(Role::PValue), Some(5));
/// assert_eq!(map.index(Role::Weight), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Role {
    /// Marker (variant) name.
    Marker,
    /// The allele the effect refers to.
    EffectAllele,
    /// The other allele.
    OtherAllele,
    /// Effect: a regression coefficient or log odds ratio (or an odds ratio, see
    /// [`ColumnMap::log_effect`]).
    Effect,
    /// Standard error of the effect.
    StdErr,
    /// Two-sided p-value.
    PValue,
    /// Sample size (the weight of the sample-size scheme).
    Weight,
    /// Frequency of the effect allele.
    Frequency,
    /// Chromosome.
    Chromosome,
    /// Base-pair position.
    Position,
}

impl Role {
    /// Every role, in the order of the header-name table.
    ///
    /// ```
    /// use metapool::gwas::Role;
    /// assert_eq!(Role::ALL.len(), 10);
    /// assert_eq!(Role::ALL[0], Role::Marker);
    /// ```
    pub const ALL: [Role; 10] = [
        Role::Marker,
        Role::EffectAllele,
        Role::OtherAllele,
        Role::Effect,
        Role::StdErr,
        Role::PValue,
        Role::Weight,
        Role::Frequency,
        Role::Chromosome,
        Role::Position,
    ];

    /// How the role is named in messages.
    ///
    /// ```
    /// use metapool::gwas::Role;
    /// assert_eq!(Role::StdErr.name(), "standard error");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Role::Marker => "marker",
            Role::EffectAllele => "effect allele",
            Role::OtherAllele => "other allele",
            Role::Effect => "effect",
            Role::StdErr => "standard error",
            Role::PValue => "p-value",
            Role::Weight => "sample size",
            Role::Frequency => "effect-allele frequency",
            Role::Chromosome => "chromosome",
            Role::Position => "position",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }

    /// The common header names of this role, matched case-insensitively, first match wins.
    ///
    /// ```
    /// use metapool::gwas::Role;
    /// assert!(Role::Weight.common_names().contains(&"NMISS")); // plink's sample size
    /// assert!(Role::Frequency.common_names().contains(&"FREQ1")); // METAL's
    /// ```
    pub fn common_names(self) -> &'static [&'static str] {
        match self {
            Role::Marker => &[
                "SNP",
                "MARKERNAME",
                "MARKER",
                "RSID",
                "ID",
                "SNPID",
                "VARIANT_ID",
            ],
            Role::EffectAllele => &["A1", "EA", "ALLELE1", "EFFECT_ALLELE", "AL1"],
            Role::OtherAllele => &[
                "A2",
                "NEA",
                "ALLELE2",
                "NON_EFFECT_ALLELE",
                "OTHER_ALLELE",
                "AL2",
            ],
            Role::Effect => &["BETA", "EFFECT", "B", "LOG_OR", "OR"],
            Role::StdErr => &["SE", "STDERR", "SE_BETA", "STANDARD_ERROR"],
            Role::PValue => &["P", "PVAL", "P_VAL", "PVALUE", "P_VALUE", "P-VALUE"],
            Role::Weight => &["N", "WEIGHT", "NMISS", "N_TOTAL"],
            Role::Frequency => &[
                "EAF",
                "FREQ1",
                "FREQ_EFFECT",
                "EFFECT_ALLELE_FREQ",
                "FREQ",
                "AF",
            ],
            Role::Chromosome => &["CHR", "CHROM", "CHROMOSOME", "#CHROM"],
            Role::Position => &["POS", "BP", "POSITION", "BASE_PAIR_LOCATION"],
        }
    }
}

/// Which header label to look for, per role: either the common names ([`Role::common_names`])
/// or one label given, as METAL's commands give it (`EFFECT log(OR)` takes the log of an odds
/// ratio column `OR`).
///
/// ```
/// use metapool::gwas::{ColumnLabels, ColumnMap, Role};
/// // METAL's `MARKER ID` and `PVALUE PVAL_GC`
/// let labels = ColumnLabels::common().with(Role::Marker, "ID").with(Role::PValue, "PVAL_GC");
/// let map = ColumnMap::find(&["ID", "P", "PVAL_GC"], &labels);
/// assert_eq!((map.index(Role::Marker), map.index(Role::PValue)), (Some(0), Some(2)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnLabels {
    given: [Option<String>; 10],
}

impl ColumnLabels {
    /// Common names for every role.
    ///
    /// ```
    /// use metapool::gwas::{ColumnLabels, Role};
    /// assert_eq!(ColumnLabels::common().given(Role::Effect), None);
    /// ```
    pub fn common() -> Self {
        ColumnLabels::default()
    }

    /// The same labels with `label` for `role`.
    ///
    /// ```
    /// use metapool::gwas::{ColumnLabels, ColumnMap, Role};
    /// let labels = ColumnLabels::common().with(Role::Effect, "log(ODDS)");
    /// let map = ColumnMap::find(&["SNP", "ODDS", "SE"], &labels);
    /// assert_eq!(map.index(Role::Effect), Some(1));
    /// assert!(map.log_effect());
    /// assert_eq!(map.index(Role::StdErr), Some(2));
    /// ```
    pub fn with(mut self, role: Role, label: impl Into<String>) -> Self {
        self.given[role.slot()] = Some(label.into());
        self
    }

    /// Set the label of `role`.
    ///
    /// ```
    /// use metapool::gwas::{ColumnLabels, Role};
    /// let mut labels = ColumnLabels::common();
    /// labels.set(Role::Weight, "N_EFF");
    /// assert_eq!(labels.given(Role::Weight), Some("N_EFF"));
    /// ```
    pub fn set(&mut self, role: Role, label: impl Into<String>) {
        self.given[role.slot()] = Some(label.into());
    }

    /// The label given for `role`, if any.
    ///
    /// ```
    /// use metapool::gwas::{ColumnLabels, Role};
    /// let labels = ColumnLabels::common().with(Role::StdErr, "SEBETA");
    /// assert_eq!((labels.given(Role::StdErr), labels.given(Role::Effect)), (Some("SEBETA"), None));
    /// ```
    pub fn given(&self, role: Role) -> Option<&str> {
        self.given[role.slot()].as_deref()
    }
}

/// Where each role's column is in one file's header.
///
/// ```
/// use metapool::gwas::{ColumnLabels, ColumnMap, Role};
/// let map = ColumnMap::find(&["rsid", "chrom", "pos", "allele1", "allele2", "beta", "se"], &ColumnLabels::common());
/// assert_eq!((map.index(Role::Position), map.index(Role::StdErr), map.width()), (Some(2), Some(6), 7));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ColumnMap {
    index: [Option<usize>; 10],
    log_effect: bool,
    width: usize,
}

impl ColumnMap {
    /// Find the roles' columns in `header` (case-insensitively). A role whose column is absent
    /// has no index; which roles are required depends on the scheme (see
    /// [`CohortReader`](super::CohortReader)). An effect column named `OR` (or given as
    /// `log(LABEL)`) holds odds ratios, taken to the log scale when read.
    ///
    /// ```
    /// use metapool::gwas::{ColumnLabels, ColumnMap, Role};
    /// let map = ColumnMap::find(&["SNP", "A1", "A2", "OR", "SE"], &ColumnLabels::common());
    /// assert_eq!(map.index(Role::Effect), Some(3));
    /// assert!(map.log_effect()); // an OR column is read as log odds ratios
    /// ```
    pub fn find(header: &[&str], labels: &ColumnLabels) -> Self {
        let mut map = ColumnMap {
            width: header.len(),
            ..ColumnMap::default()
        };
        let position = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
        for role in Role::ALL {
            let found = match labels.given(role) {
                Some(label) => {
                    let inner = (role == Role::Effect).then(|| log_label(label)).flatten();
                    match position(label) {
                        Some(i) => Some(i),
                        None => inner.and_then(|l| {
                            let i = position(l);
                            map.log_effect = i.is_some();
                            i
                        }),
                    }
                }
                None => role.common_names().iter().find_map(|n| {
                    let i = position(n)?;
                    if role == Role::Effect && n.eq_ignore_ascii_case("OR") {
                        map.log_effect = true;
                    }
                    Some(i)
                }),
            };
            map.index[role.slot()] = found;
        }
        // a column read as the effect allele cannot also be the other allele, and so on
        map
    }

    /// The column index of `role`, if present.
    ///
    /// ```
    /// use metapool::gwas::{ColumnLabels, ColumnMap, Role};
    /// let map = ColumnMap::find(&["snp", "beta", "se"], &ColumnLabels::common()); // case-insensitive
    /// assert_eq!((map.index(Role::Effect), map.index(Role::PValue)), (Some(1), None));
    /// ```
    pub fn index(&self, role: Role) -> Option<usize> {
        self.index[role.slot()]
    }

    /// Whether the effect column holds odds ratios (read as their log).
    ///
    /// ```
    /// use metapool::gwas::{ColumnLabels, ColumnMap};
    /// assert!(!ColumnMap::find(&["SNP", "BETA", "SE"], &ColumnLabels::common()).log_effect());
    /// ```
    pub fn log_effect(&self) -> bool {
        self.log_effect
    }

    /// Number of header fields.
    ///
    /// ```
    /// use metapool::gwas::{ColumnLabels, ColumnMap};
    /// assert_eq!(ColumnMap::find(&["SNP", "BETA", "SE", "EXTRA"], &ColumnLabels::common()).width(), 4);
    /// ```
    pub fn width(&self) -> usize {
        self.width
    }

    /// One more than the largest index of the roles in `roles` that are present.
    pub(crate) fn min_fields(&self, roles: &[Role]) -> usize {
        roles
            .iter()
            .filter_map(|r| self.index(*r))
            .max()
            .map_or(0, |i| i + 1)
    }
}

/// `log(X)` -> `X` (METAL's convention for odds-ratio columns).
fn log_label(label: &str) -> Option<&str> {
    let l = label.trim();
    if l.len() > 5 && l[..4].eq_ignore_ascii_case("log(") && l.ends_with(')') {
        Some(l[4..l.len() - 1].trim())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_of_three_conventions() {
        let l = ColumnLabels::common();
        let plink = ColumnMap::find(&["CHR", "SNP", "BP", "A1", "A2", "BETA", "SE", "P"], &l);
        assert_eq!(plink.index(Role::Marker), Some(1));
        assert_eq!(plink.index(Role::Position), Some(2));
        assert_eq!(plink.index(Role::OtherAllele), Some(4));
        assert_eq!(plink.index(Role::Weight), None);
        let metal = ColumnMap::find(
            &[
                "MarkerName",
                "Allele1",
                "Allele2",
                "Effect",
                "StdErr",
                "P-value",
                "Weight",
            ],
            &l,
        );
        assert_eq!(metal.index(Role::Marker), Some(0));
        assert_eq!(metal.index(Role::PValue), Some(5));
        assert_eq!(metal.index(Role::Weight), Some(6));
        let or = ColumnMap::find(&["rsid", "ea", "nea", "or", "se", "pval", "eaf"], &l);
        assert!(or.log_effect());
        assert_eq!(or.index(Role::Frequency), Some(6));
        assert_eq!(or.index(Role::EffectAllele), Some(1));
    }
}
