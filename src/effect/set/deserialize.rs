//! Deserializing an [`EffectSet`]: the serialized form is validated like a constructed set
//! (every effect checked, positions distinct, labels and tables one per input study).

use super::super::{BinaryMeasure, Effect, Exclusion, Scale, TwoByTwo};
use super::{length_mismatch, EffectSet};
use crate::error::{Error, Problem, Result};

/// The serialized form of an [`EffectSet`], validated on the way in.
#[derive(serde::Deserialize)]
pub(super) struct RawEffectSet {
    effects: Vec<Effect>,
    included: Vec<usize>,
    excluded: Vec<(usize, Exclusion)>,
    scale: Scale,
    #[serde(default)]
    input_len: Option<usize>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    tables: Option<Vec<TwoByTwo>>,
    #[serde(default)]
    measure: Option<BinaryMeasure>,
}

impl TryFrom<RawEffectSet> for EffectSet {
    type Error = Error;
    fn try_from(raw: RawEffectSet) -> Result<Self> {
        if raw.effects.is_empty() {
            return Err(Error::Empty);
        }
        if raw.effects.len() != raw.included.len() {
            return Err(length_mismatch(
                "included",
                raw.effects.len(),
                raw.included.len(),
            ));
        }
        for (e, &i) in raw.effects.iter().zip(&raw.included) {
            e.check().map_err(|err| err.in_study(i))?;
        }
        let positions = raw
            .included
            .iter()
            .copied()
            .chain(raw.excluded.iter().map(|&(i, _)| i));
        let mut seen = std::collections::BTreeSet::new();
        let mut max = 0;
        for i in positions {
            if !seen.insert(i) {
                return Err(Error::InvalidParameter {
                    name: "included",
                    problem: Problem::Duplicate(i),
                });
            }
            max = max.max(i);
        }
        let input_len = raw.input_len.unwrap_or(max + 1);
        if input_len <= max {
            return Err(length_mismatch("input_len", max + 1, input_len));
        }
        if let Some(labels) = &raw.labels {
            if labels.len() != input_len {
                return Err(length_mismatch("labels", input_len, labels.len()));
            }
        }
        if let Some(tables) = &raw.tables {
            if tables.len() != input_len {
                return Err(length_mismatch("tables", input_len, tables.len()));
            }
            for (i, t) in tables.iter().enumerate() {
                t.check().map_err(|e| e.in_study(i))?;
            }
        }
        Ok(EffectSet {
            effects: raw.effects,
            included: raw.included,
            excluded: raw.excluded,
            scale: raw.scale,
            input_len,
            labels: raw.labels.map(Into::into),
            tables: raw.tables.map(Into::into),
            measure: raw.measure,
        })
    }
}
