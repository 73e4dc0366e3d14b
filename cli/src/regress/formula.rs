//! The moderators of `regress --mods`: the right-hand side of metafor's `mods = ~ ...`.
//!
//! ```text
//! formula  = term { ("+" | "-") term }
//! term     = "1" | "0" | variable { ":" variable }      "- 1" or "+ 0": no intercept
//! variable = NAME | "factor(" NAME ")"                   factor(): categorical
//! ```
//! Variables are numbered in order of first appearance; a term of one variable is its main
//! effect, a term of several their interaction. A variable that only appears in interactions
//! has no main effect (R's `~ g + g:x`).

use crate::layout::{ModeratorColumn, ModeratorKind};
use metapool::regression::Intercept;

/// A parsed `--mods`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formula {
    pub intercept: Intercept,
    /// The columns read, in order of first appearance.
    pub variables: Vec<ModeratorColumn>,
    /// The terms, each a list of indices into `variables`.
    pub terms: Vec<Vec<usize>>,
}

impl Formula {
    /// Parse `--mods`; errors are usage errors.
    pub fn parse(text: &str) -> Result<Formula, String> {
        let mut f = Formula {
            intercept: Intercept::Included,
            variables: Vec::new(),
            terms: Vec::new(),
        };
        for (sign, term) in split_terms(text)? {
            match (sign, term) {
                ('+', "1") => f.intercept = Intercept::Included,
                ('-', "1") | ('+', "0") => f.intercept = Intercept::Excluded,
                ('-', t) => {
                    return Err(format!(
                        "--mods: only `- 1` (no intercept) may be subtracted, not `- {t}`"
                    ))
                }
                (_, t) => {
                    let mut vars = Vec::new();
                    for item in t.split(':') {
                        let v = f.variable(item.trim())?;
                        if vars.contains(&v) {
                            return Err(format!("--mods: `{t}` names a moderator twice"));
                        }
                        vars.push(v);
                    }
                    if !f.terms.contains(&vars) {
                        f.terms.push(vars);
                    }
                }
            }
        }
        if f.terms.is_empty() {
            return Err(format!(
                "--mods `{text}` names no moderator (e.g. --mods \"x1 + factor(g)\")"
            ));
        }
        Ok(f)
    }

    /// The index of a variable (`NAME` or `factor(NAME)`), added on first appearance.
    fn variable(&mut self, item: &str) -> Result<usize, String> {
        let (name, kind) = match item
            .strip_prefix("factor(")
            .and_then(|r| r.strip_suffix(')'))
        {
            Some(n) => (n.trim(), ModeratorKind::Categorical),
            None => (item, ModeratorKind::Continuous),
        };
        if name.is_empty() || name.contains(['(', ')', ' ']) {
            return Err(format!(
                "--mods: `{item}` is not a column name or factor(column name)"
            ));
        }
        match self.variables.iter().position(|v| v.name == name) {
            Some(i) if self.variables[i].kind == kind => Ok(i),
            Some(_) => Err(format!(
                "--mods: `{name}` is used both as a number and as factor({name}); write \
                 factor({name}) everywhere or nowhere"
            )),
            None => {
                self.variables.push(ModeratorColumn {
                    name: name.to_string(),
                    kind,
                });
                Ok(self.variables.len() - 1)
            }
        }
    }

    /// Whether variable `v` has a main-effect term.
    pub fn has_main_effect(&self, v: usize) -> bool {
        self.terms.iter().any(|t| t == &[v])
    }
}

/// The terms with their signs; parentheses protect their contents.
fn split_terms(text: &str) -> Result<Vec<(char, &str)>, String> {
    let text = text.trim();
    let text = text.strip_prefix('~').unwrap_or(text);
    let mut out = Vec::new();
    let (mut depth, mut start, mut sign) = (0i32, 0, '+');
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            '+' | '-' if depth == 0 => {
                push_term(&mut out, sign, &text[start..i], text)?;
                sign = c;
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return Err(format!("--mods `{text}`: unbalanced parentheses"));
        }
    }
    if depth != 0 {
        return Err(format!("--mods `{text}`: unbalanced parentheses"));
    }
    push_term(&mut out, sign, &text[start..], text)?;
    Ok(out)
}

fn push_term<'t>(
    out: &mut Vec<(char, &'t str)>,
    sign: char,
    term: &'t str,
    text: &str,
) -> Result<(), String> {
    let term = term.trim();
    if term.is_empty() {
        // A leading `- 1` leaves an empty first term.
        if out.is_empty() && sign == '+' {
            return Ok(());
        }
        return Err(format!("--mods `{text}`: an empty term"));
    }
    out.push((sign, term));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, kind: ModeratorKind) -> ModeratorColumn {
        ModeratorColumn {
            name: name.into(),
            kind,
        }
    }

    #[test]
    fn parses_main_effects_factors_and_interactions() {
        let f = Formula::parse("x1 + x2 + factor(g) + x1:x2").unwrap();
        assert_eq!(f.intercept, Intercept::Included);
        assert_eq!(
            f.variables,
            [
                col("x1", ModeratorKind::Continuous),
                col("x2", ModeratorKind::Continuous),
                col("g", ModeratorKind::Categorical)
            ]
        );
        assert_eq!(f.terms, [vec![0], vec![1], vec![2], vec![0, 1]]);
        assert!(f.has_main_effect(2));
    }

    #[test]
    fn no_intercept_and_interaction_only_variables() {
        let f = Formula::parse("~ factor(g) + factor(g):x - 1").unwrap();
        assert_eq!(f.intercept, Intercept::Excluded);
        assert_eq!(f.terms, [vec![0], vec![0, 1]]);
        assert!(!f.has_main_effect(1));
        assert_eq!(
            Formula::parse("0 + x").unwrap().intercept,
            Intercept::Excluded
        );
    }

    #[test]
    fn rejects_malformed_formulas() {
        for bad in [
            "",
            "x +",
            "x - y",
            "factor(g",
            "x:x",
            "g + factor(g)",
            "log(x)",
        ] {
            assert!(Formula::parse(bad).is_err(), "{bad}");
        }
    }
}
