//! Arbitrary JSON into every deserializable input type; whatever deserializes is then used
//! (effects computed, sets pooled): no panic, no NaN in a result.
#![no_main]
use libfuzzer_sys::fuzz_target;
use metapool::{effect::*, inference::ConfidenceLevel, pool::*};
use metapool_fuzz::{check_effect, check_pooled};

fn use_effect<E: EffectSize>(e: &E) {
    if let Ok(x) = e.effect() {
        check_effect(&x);
    }
    if let Ok(set) = EffectSet::from_studies(std::slice::from_ref(e)) {
        if let Ok(p) = FixedModel::default().pool(&set) {
            check_pooled(&p, None);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(x) = serde_json::from_str::<Effect>(text) {
        use_effect(&x)
    }
    if let Ok(x) = serde_json::from_str::<Arm>(text) {
        let _ = Arm::new(x.mean, x.sd, x.n);
    }
    if let Ok(x) = serde_json::from_str::<MeanDifference>(text) {
        use_effect(&x)
    }
    if let Ok(x) = serde_json::from_str::<StandardizedMeanDifference>(text) {
        use_effect(&x)
    }
    if let Ok(x) = serde_json::from_str::<PrePostMeanDifference>(text) {
        use_effect(&x)
    }
    if let Ok(x) = serde_json::from_str::<LogOddsRatio>(text) {
        use_effect(&x)
    }
    if let Ok(x) = serde_json::from_str::<Generic>(text) {
        use_effect(&x)
    }
    if let Ok(x) = serde_json::from_str::<LogRiskRatio>(text) {
        use_effect(&x)
    }
    if let Ok(x) = serde_json::from_str::<RiskDifference>(text) {
        use_effect(&x)
    }
    if let Ok(x) = serde_json::from_str::<PetoOddsRatio>(text) {
        use_effect(&x)
    }
    if let Ok(x) = serde_json::from_str::<ProportionEffect>(text) {
        use_effect(&x)
    }
    if let Ok(x) = serde_json::from_str::<FisherZ>(text) {
        use_effect(&x)
    }
    if let Ok(m) = serde_json::from_str::<RandomModel>(text) {
        let set = EffectSet::from_estimates(&[0.1, 0.5, 0.3], &[0.01, 0.02, 0.03]).unwrap();
        if let Ok(p) = m.pool(&set) {
            check_pooled(&p, None)
        }
    }
    if let Ok(x) = serde_json::from_str::<Vec<LogOddsRatio>>(text) {
        if let Ok(p) = MantelHaenszel::default().pool(&x) {
            check_pooled(&p, None)
        }
    }
    if let Ok(level) = serde_json::from_str::<ConfidenceLevel>(text) {
        assert!(level.level() > 0.0 && level.level() < 1.0 && level.z().is_finite());
    }
    if let Ok(rule) = serde_json::from_str::<ModelRule>(text) {
        assert!(rule.alpha() > 0.0 && rule.alpha() < 1.0, "{rule:?}");
        let set = EffectSet::from_estimates(&[0.1, 0.5, 0.3], &[0.01, 0.02, 0.03]).unwrap();
        if let Ok(sel) = rule.select(&set) {
            check_pooled(&sel.fixed, None);
            check_pooled(&sel.random, None);
        }
    }
    if let Ok(set) = serde_json::from_str::<EffectSet>(text) {
        for p in [
            FixedModel::default().pool(&set),
            RandomModel::default().pool(&set),
        ]
        .into_iter()
        .flatten()
        {
            check_pooled(&p, None);
        }
        let _ = ModelRule::default().select(&set);
    }
});
