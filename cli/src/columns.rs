//! Matching the header of a real spreadsheet to the columns a measure needs.
//!
//! A header cell matches a column name when both agree after [`normalize`] (case, spaces, dots,
//! hyphens and underscores ignored), either directly or through the aliases people use:
//! RevMan's export layout (`Experimental Mean`, `Exp. SD`, `Control Total`, or the same
//! `Mean`, `SD`, `Total`, `Events` written twice, experimental arm first), `Mean1`/`SD 1`/`N1`,
//! `mean_t`/`sd_t`/`n_t`/`mean_c`, `events_t`/`total_t`, R meta's `TE`/`seTE`, metafor's
//! `yi`/`vi`/`sei`/`ai`/`n1i`, and `HR`/`lower`/`upper`. An explicit `--columns name=HEADER`
//! map wins over all of them.

use std::collections::HashMap;

/// A header name reduced for matching: lower case, without spaces, dots, hyphens and
/// underscores (`"SD_T"`, `"sd t"` and `"S.D.-t"` all become `"sdt"`).
pub fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '_' | '\t' | '\u{a0}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Suffixes and prefixes naming arm 1 (experimental) and arm 2 (control).
const ARM1_SUFFIX: &[&str] = &[
    "1",
    "1i",
    "t",
    "e",
    "exp",
    "experimental",
    "intervention",
    "treatment",
    "trt",
];
const ARM1_PREFIX: &[&str] = &["exp", "experimental", "intervention", "treatment", "trt"];
const ARM2_SUFFIX: &[&str] = &["2", "2i", "c", "ctrl", "control", "comparator", "placebo"];
const ARM2_PREFIX: &[&str] = &["ctrl", "control", "comparator", "placebo"];

/// One way a column may be written: its normalized name, and for the arm columns of
/// RevMan's repeated layout (`Mean, SD, Total, Mean, SD, Total`) which occurrence it is.
struct Alias {
    name: String,
    occurrence: Option<usize>,
}

fn plain(names: &[&str]) -> Vec<Alias> {
    names
        .iter()
        .map(|n| Alias {
            name: normalize(n),
            occurrence: None,
        })
        .collect()
}

/// The names of an arm column: `bases` with the arm's suffixes and prefixes, then `pair` (the
/// bare RevMan name) as the arm's occurrence of a name written twice.
fn arm(canonical: &str, arm: usize, bases: &[&str], pair: &[&str], extra: &[&str]) -> Vec<Alias> {
    let (suffix, prefix) = if arm == 0 {
        (ARM1_SUFFIX, ARM1_PREFIX)
    } else {
        (ARM2_SUFFIX, ARM2_PREFIX)
    };
    let mut out = plain(&[canonical]);
    out.extend(plain(extra));
    for b in bases {
        for s in suffix {
            out.push(Alias {
                name: format!("{b}{s}"),
                occurrence: None,
            });
        }
        for p in prefix {
            out.push(Alias {
                name: format!("{p}{b}"),
                occurrence: None,
            });
        }
    }
    for b in pair {
        out.push(Alias {
            name: (*b).to_string(),
            occurrence: Some(arm),
        });
    }
    out
}

/// Every accepted spelling of a column, the canonical name first.
fn aliases(canonical: &str) -> Vec<Alias> {
    match canonical {
        "m1" => arm("m1", 0, &["m", "mean"], &["mean"], &[]),
        "m2" => arm("m2", 1, &["m", "mean"], &["mean"], &[]),
        "sd1" => arm("sd1", 0, &["sd"], &["sd"], &[]),
        "sd2" => arm("sd2", 1, &["sd"], &["sd"], &[]),
        "n1" => arm("n1", 0, &["n", "total"], &["total", "n"], &[]),
        "n2" => arm("n2", 1, &["n", "total"], &["total", "n"], &[]),
        "events1" => arm("events1", 0, &["events", "event"], &["events"], &["ai"]),
        "events2" => arm("events2", 1, &["events", "event"], &["events"], &["ci"]),
        "total1" => arm("total1", 0, &["total", "n"], &["total", "n"], &[]),
        "total2" => arm("total2", 1, &["total", "n"], &["total", "n"], &[]),
        "time1" => arm("time1", 0, &["time", "t", "pt"], &["time"], &["t1i"]),
        "time2" => arm("time2", 1, &["time", "t", "pt"], &["time"], &["t2i"]),
        "time" => plain(&["time", "ti", "t", "persontime", "person_time", "pt"]),
        "estimate" => plain(&[
            "estimate",
            "yi",
            "te",
            "est",
            "effect",
            "effectsize",
            "es",
            "hr",
            "or",
            "rr",
            "irr",
            "logor",
            "loghr",
            "logrr",
            "md",
            "smd",
            "beta",
            "b",
        ]),
        "se" => plain(&["se", "sei", "sete", "stderr", "standarderror", "seyi"]),
        "vi" => plain(&["vi", "var", "variance"]),
        "ci_lower" => plain(&[
            "ci_lower",
            "lower",
            "lci",
            "lcl",
            "lower95",
            "lowerci",
            "cilow",
            "ll",
            "lowerlimit",
            "lo",
            "cil",
            "lower95ci",
            "lowerbound",
        ]),
        "ci_upper" => plain(&[
            "ci_upper",
            "upper",
            "uci",
            "ucl",
            "upper95",
            "upperci",
            "cihigh",
            "ul",
            "upperlimit",
            "hi",
            "ciu",
            "upper95ci",
            "upperbound",
        ]),
        "events" => plain(&["events", "event", "xi", "x", "cases", "ev"]),
        "total" => plain(&["total", "n", "ni", "size", "samplesize"]),
        "m_post" => plain(&["m_post", "meanpost", "postmean"]),
        "sd_post" => plain(&["sd_post", "postsd"]),
        "m_pre" => plain(&["m_pre", "meanpre", "premean"]),
        "sd_pre" => plain(&["sd_pre", "presd"]),
        "n" => plain(&["n", "ni", "total"]),
        "r" => plain(&["r", "ri", "cor", "correlation", "rho"]),
        // issue 18 (metafor's escalc argument names as aliases)
        "mean" => plain(&["mean", "mi", "m"]),
        "sd" => plain(&["sd", "sdi"]),
        "t" => plain(&["t", "ti", "tval", "tvalue", "tstat"]),
        "predictors" => plain(&["predictors", "mi", "preds", "p"]),
        "r2" => plain(&["r2", "r2i", "rsquared", "rsq"]),
        "alpha" => plain(&["alpha", "ai", "cronbachalpha"]),
        "items" => plain(&["items", "mi", "nitems"]),
        other => plain(&[other]),
    }
}

/// The header of the file, with the explicit `--columns` map.
pub struct Header {
    names: Vec<String>,
    norm: Vec<String>,
    explicit: HashMap<String, usize>,
}

impl Header {
    /// `names`: the header cells (already trimmed, byte-order mark removed). `columns`: the
    /// `--columns` map, `name=HEADER,...`; every HEADER must be one column of the file.
    pub fn new(names: Vec<String>, columns: Option<&str>) -> Result<Header, String> {
        let norm: Vec<String> = names.iter().map(|n| normalize(n)).collect();
        let mut h = Header {
            names,
            norm,
            explicit: HashMap::new(),
        };
        for pair in columns.unwrap_or_default().split(',') {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let (name, header) = pair
                .split_once('=')
                .ok_or_else(|| format!("--columns: expected NAME=HEADER, got `{pair}`"))?;
            let (name, header) = (name.trim(), header.trim());
            let exact: Vec<usize> = (0..h.names.len())
                .filter(|&i| h.names[i] == header)
                .collect();
            let cols = if exact.is_empty() {
                h.matching(&normalize(header))
            } else {
                exact
            };
            match cols.as_slice() {
                [c] => {
                    h.explicit.insert(normalize(name), *c);
                }
                [] => {
                    return Err(format!(
                        "--columns {name}={header}: no column `{header}` in the header ({})",
                        h.listing()
                    ))
                }
                _ => {
                    return Err(format!(
                        "--columns {name}={header}: `{header}` matches {} columns of the header",
                        cols.len()
                    ))
                }
            }
        }
        Ok(h)
    }

    /// The header cells.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Columns whose normalized name is `norm`.
    fn matching(&self, norm: &str) -> Vec<usize> {
        (0..self.norm.len())
            .filter(|&i| self.norm[i] == norm)
            .collect()
    }

    /// The column of a canonical name: the `--columns` entry, else the first alias that one
    /// column has (or, for RevMan's repeated layout, the arm's occurrence of a name written
    /// exactly twice).
    pub fn find(&self, canonical: &str) -> Option<usize> {
        if let Some(&c) = self.explicit.get(&normalize(canonical)) {
            return Some(c);
        }
        for a in aliases(canonical) {
            let cols = self.matching(&a.name);
            match (a.occurrence, cols.len()) {
                (None, n) if n >= 1 => return Some(cols[0]),
                (Some(k), 2) => return Some(cols[k]),
                _ => {}
            }
        }
        None
    }

    /// Whether `col` was found through RevMan's repeated layout (so that its twin is not a
    /// duplicate).
    fn is_pair(&self, col: usize) -> bool {
        self.matching(&self.norm[col]).len() == 2
            && ["mean", "sd", "total", "n", "events"].contains(&self.norm[col].as_str())
    }

    /// A column that a name given on the command line (`--by`, `--subgroup`, `--study-column`)
    /// refers to: the exact header text, else the one column matching it after normalizing.
    pub fn named(&self, name: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .or_else(|| self.matching(&normalize(name)).first().copied())
    }

    /// The other columns that read the same as `col` (an ambiguous header), unless `col` is one
    /// of RevMan's twin columns or was given by --columns.
    pub fn duplicates(&self, col: usize) -> Vec<usize> {
        if self.explicit.values().any(|&c| c == col) || self.is_pair(col) {
            return Vec::new();
        }
        let all = self.matching(&self.norm[col]);
        if all.len() > 1 {
            all
        } else {
            Vec::new()
        }
    }

    /// "study, m1, sd1, ..." (the header as found).
    pub fn listing(&self) -> String {
        self.names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The header cells nearest to a canonical name (edit distance between normalized names,
    /// over every alias), best first, at most three.
    pub fn nearest(&self, canonical: &str) -> Vec<&str> {
        // Bare RevMan names ("sd", "n") are too short to say what is near.
        let al: Vec<Alias> = aliases(canonical)
            .into_iter()
            .filter(|a| a.occurrence.is_none() && a.name.chars().count() >= 2)
            .collect();
        let mut scored: Vec<(usize, usize)> = self
            .norm
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.is_empty())
            .map(|(i, n)| {
                let d = al
                    .iter()
                    .map(|a| distance(n, &a.name))
                    .min()
                    .unwrap_or(usize::MAX);
                (d, i)
            })
            .filter(|&(d, i)| d <= 2.max(self.norm[i].chars().count() / 3))
            .collect();
        scored.sort();
        scored
            .into_iter()
            .take(3)
            .map(|(_, i)| self.names[i].as_str())
            .collect()
    }
}

/// Levenshtein distance between two strings (by characters).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Header {
        Header::new(names.iter().map(|s| s.to_string()).collect(), None).unwrap()
    }

    #[test]
    fn normalized_names_and_aliases_match() {
        let h = header(&["Study", "Mean_T", "SD T", "N.T", "mean-c", "sd_c", "n_c"]);
        assert_eq!(
            ["m1", "sd1", "n1", "m2", "sd2", "n2"].map(|c| h.find(c)),
            [1, 2, 3, 4, 5, 6].map(Some)
        );
        let h = header(&[
            "Experimental Events",
            "Experimental Total",
            "Control Events",
            "Control Total",
        ]);
        assert_eq!(
            ["events1", "total1", "events2", "total2"].map(|c| h.find(c)),
            [0, 1, 2, 3].map(Some)
        );
        let h = header(&["TE", "seTE"]);
        assert_eq!((h.find("estimate"), h.find("se")), (Some(0), Some(1)));
        let h = header(&["HR", "Lower", "Upper"]);
        assert_eq!(
            (h.find("estimate"), h.find("ci_lower"), h.find("ci_upper")),
            (Some(0), Some(1), Some(2))
        );
    }

    #[test]
    fn revman_repeated_layout_takes_the_experimental_arm_first() {
        let h = header(&["Study", "Mean", "SD", "Total", "Mean", "SD", "Total"]);
        assert_eq!(
            ["m1", "sd1", "n1", "m2", "sd2", "n2"].map(|c| h.find(c)),
            [1, 2, 3, 4, 5, 6].map(Some)
        );
        assert!(h.duplicates(1).is_empty());
    }

    #[test]
    fn explicit_map_wins_and_is_checked() {
        let names = ["m1", "Mean_T"].map(String::from).to_vec();
        let h = Header::new(names.clone(), Some("m1=Mean_T")).unwrap();
        assert_eq!(h.find("m1"), Some(1));
        let e = Header::new(names, Some("m1=nope")).err().unwrap();
        assert!(e.contains("no column `nope`"), "{e}");
    }

    #[test]
    fn nearest_names_are_suggested() {
        let h = header(&["study", "mean1", "sdd1", "nn1"]);
        assert_eq!(h.nearest("sd1")[0], "sdd1");
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
