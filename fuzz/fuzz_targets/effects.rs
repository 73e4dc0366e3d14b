//! Every effect-size constructor and `effect()` fed arbitrary f64s and counts, through the
//! validating constructors and through struct literals that bypass them.
#![no_main]
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use metapool::{effect::*, inference::ConfidenceLevel};
use metapool_fuzz::{check_effect, check_effect_value, count, num, unitish};

fn run(u: &mut Unstructured) -> Result<()> {
    let (y, v, se) = (num(u)?, num(u)?, num(u)?);
    if let Ok(e) = Effect::new(y, v) {
        check_effect_value(&e);
    }
    if let Ok(e) = Effect::from_se(y, se) {
        check_effect_value(&e);
    }
    let arm = |u: &mut Unstructured| -> Result<Arm> {
        Ok(Arm {
            mean: num(u)?,
            sd: num(u)?,
            n: count(u)?,
        })
    };
    let (a, b) = (arm(u)?, arm(u)?);
    let _ = Arm::new(a.mean, a.sd, a.n);
    // MD and SMD: constructor and bypass must agree on validity; effect() never NaN
    let md = MeanDifference { arm1: a, arm2: b };
    let _ = MeanDifference::new(a, b);
    if let Ok(e) = md.effect() {
        check_effect(&e);
    }
    for conv in [SmdConvention::RevMan5, SmdConvention::Metafor] {
        let s = StandardizedMeanDifference {
            arm1: a,
            arm2: b,
            convention: conv,
        };
        let _ = StandardizedMeanDifference::new(a, b);
        if let Ok(e) = s.effect() {
            check_effect(&e);
            let j = s.correction();
            // J < 1 in exact arithmetic; it rounds to 1 once 3/(4N) < eps/2 (N > ~1e16)
            assert!(j > 0.0 && j <= 1.0, "J = {j} for {s:?}");
        }
    }
    // pre/post
    let pp = PrePost {
        mean_pre: a.mean,
        sd_pre: a.sd,
        mean_post: b.mean,
        sd_post: b.sd,
        n: a.n,
    };
    let r = num(u)?;
    let _ = PrePostMeanDifference::new(pp, r);
    if let Ok(e) = (PrePostMeanDifference { data: pp, r }).effect() {
        check_effect(&e);
    }
    // 2x2 tables with every correction
    let t = TwoByTwo {
        events1: count(u)?,
        total1: count(u)?,
        events2: count(u)?,
        total2: count(u)?,
    };
    let _ = TwoByTwo::new(t.events1, t.total1, t.events2, t.total2);
    let value = num(u)?;
    let rule = match u.int_in_range(0u8..=2)? {
        0 => CorrectionRule::OnlyZeroCells,
        1 => CorrectionRule::AllTables,
        _ => CorrectionRule::Never,
    };
    let _ = ContinuityCorrection::new(value, rule);
    let correction = ContinuityCorrection { value, rule };
    let lor = LogOddsRatio {
        table: t,
        correction,
    };
    if let Ok(e) = lor.effect() {
        check_effect(&e);
    }
    for e in [
        LogRiskRatio::new(t).with_correction(correction).effect(),
        RiskDifference::new(t).with_correction(correction).effect(),
        PetoOddsRatio::new(t).effect(),
    ]
    .into_iter()
    .flatten()
    {
        check_effect(&e);
    }
    // proportions at every transform, including 0 and all events
    let (x, n) = (count(u)?, count(u)?);
    let _ = Proportion::new(x, n);
    for transform in [
        ProportionTransform::Raw,
        ProportionTransform::Logit,
        ProportionTransform::Arcsine,
        ProportionTransform::FreemanTukey,
    ] {
        let pe = ProportionEffect::new(
            Proportion {
                events: x,
                total: n,
            },
            transform,
        );
        for pe in [pe, pe.with_correction(correction)] {
            if let Ok(e) = pe.effect() {
                check_effect(&e);
            }
        }
    }
    // correlations
    let (r, n) = (num(u)?, count(u)?);
    let _ = Correlation::new(r, n);
    if let Ok(e) = FisherZ::new(Correlation { r, n }).effect() {
        check_effect(&e);
    }
    // generic inverse variance
    let scale = if u.arbitrary()? {
        Scale::Log
    } else {
        Scale::Identity
    };
    if let Ok(g) = Generic::from_se(y, se, scale) {
        check_effect(&g.effect().expect("a constructed Generic yields an effect"));
    }
    if let Ok(level) = ConfidenceLevel::new(unitish(u)?) {
        assert!(level.z().is_finite() && level.z() >= 0.0, "z {level:?}");
        if let Ok(g) = Generic::from_ci(y, num(u)?, num(u)?, level, scale) {
            check_effect(&g.effect().expect("a constructed Generic yields an effect"));
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
