//! The published-figure reader and consistency check fed arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use metapool::effect::Scale;
use metapool::report::{Printed, PublishedResult};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Printed::parse(text) {
        assert!(
            !p.lower.is_nan() && !p.upper.is_nan() && p.lower <= p.upper,
            "{p:?}"
        );
    }
    let parts: Vec<&str> = text.splitn(5, '|').collect();
    if parts.len() >= 4 {
        let scale = if parts.len() == 5 {
            Scale::Log
        } else {
            Scale::Identity
        };
        if let Ok(r) = PublishedResult::parse(parts[0], parts[1], parts[2], parts[3], scale) {
            let c = r.check();
            for f in &c.figures {
                if let Some((lo, hi)) = f.feasible {
                    assert!(!lo.is_nan() && !hi.is_nan(), "{c:?}");
                }
            }
            let _ = c.conflicting();
        }
    }
});
