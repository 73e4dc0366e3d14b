"""leave1out, cumul (input order and by a key), influence, regtest (rma and lm, sei and vi),
ranktest and trimfill (L0, R0) through the Python API against metafor 3.8
(fixtures/metafor/sensitivity.json), at the tolerance of tests/metafor_sensitivity.rs: 1e-8
relative, a reference of exactly 0 at 1e-14 absolute."""

import math

import numpy as np
import pytest

import metapool as mp

from conftest import load

REL, ZERO = 1e-8, 1e-14
S = load("sensitivity")
CASES = [(ds, a) for ds in S["datasets"] for a in ds["analyses"]]


def fit_numbers(c, what, res, want):
    for ours, key in [
        (res.beta, "estimate"), (res.se, "se"), (res.ci_lb, "ci_lower"), (res.ci_ub, "ci_upper"),
        (res.zval, "z"), (res.pval, "p"), (res.QE, "q"), (res.tau2, "tau2"), (res.I2, "i2"), (res.H2, "h2"),
    ]:
        c.close(f"{what} {key}", ours, want[key], REL, zero_abs=ZERO)


def table(c, what, got, want):
    for ours, key in [("estimate", "estimate"), ("se", "se"), ("zval", "z"), ("pval", "p"), ("ci_lb", "ci_lower"),
                      ("ci_ub", "ci_upper"), ("Q", "q"), ("tau2", "tau2"), ("I2", "i2"), ("H2", "h2")]:
        c.all(f"{what} {key}", got[ours], want[key], REL, zero_abs=ZERO)
    qp = [x for x in want["q_p"]]
    for i, (a, b) in enumerate(zip(got["Qp"], qp)):
        if math.isnan(a):
            assert b == 1, f"{what} Qp[{i}]: no test here, metafor {b}"  # one study: metafor's QEp = 1
        else:
            c.close(f"{what} Qp[{i}]", a, b, REL, zero_abs=ZERO)


@pytest.mark.parametrize("ds,a", CASES, ids=[f"{d['name']}-{a['method']}-{a['test']}" for d, a in CASES])
def test_sensitivity(ds, a, checker):
    res = mp.rma(ds["yi"], ds["vi"], method=a["method"], test=a["test"], tau2_control="metafor")
    w = f"{a['method']}/{a['test']}"
    fit_numbers(checker, w, res, a["fit"])
    table(checker, f"{w} leave1out", mp.leave1out(res), a["leave1out"])
    table(checker, f"{w} cumul", mp.cumul(res), a["cumul"])
    if ds.get("order_key") is not None:
        by_key = mp.cumul(res, order=ds["order_key"])
        assert list(by_key["added"]) == a["cumul_by_key"]["order"]
        table(checker, f"{w} cumul by key", by_key, a["cumul_by_key"])
    inf = mp.influence(res)
    want = a["influence"]
    for ours, key in [("rstudent", "rstudent"), ("dffits", "dffits"), ("cook_d", "cook_d"), ("cov_r", "cov_r"),
                      ("tau2_del", "tau2_del"), ("QE_del", "q_del"), ("hat", "hat"), ("weight", "weight"), ("dfbs", "dfbetas")]:
        checker.all(f"{w} influence {key}", inf[ours], want[key], REL, zero_abs=ZERO)
    assert list(inf["inf"]) == [bool(x) for x in want["is_infl"]]
    for key, predictor in (("regtest", "sei"), ("regtest_vi", "vi")):
        r, want = mp.regtest(res, predictor=predictor), a[key]
        for ours, k in [(r.zval, "z"), (r.pval, "p"), (r.est, "limit"), (r.ci_lb, "limit_ci_lower"),
                        (r.ci_ub, "limit_ci_upper"), (r.slope[0], "slope"), (r.slope[1], "slope_se"), (r.tau2, "tau2")]:
            checker.close(f"{w} {key} {k}", ours, want[k], REL, zero_abs=ZERO)
    for est in ("L0", "R0"):
        want = a.get(f"trimfill_{est}")
        if want is None or "error" in want:
            continue
        tf = mp.trimfill(res, estimator=est)
        assert tf.k0 == want["k0"] and tf.side == want["side"][0], f"{w} trimfill {est}"
        checker.close(f"{w} {est} se_k0", tf.se_k0, want["se_k0"], REL, zero_abs=ZERO)
        if want["p_k0"] is not None:
            checker.close(f"{w} {est} p_k0", tf.p_k0, want["p_k0"], REL, zero_abs=ZERO)
        filled = np.array(tf.filled).reshape(-1, 2)
        checker.all(f"{w} {est} filled yi", filled[:, 0], want["filled_yi"], REL, zero_abs=ZERO)
        checker.all(f"{w} {est} filled vi", filled[:, 1], want["filled_vi"], REL, zero_abs=ZERO)
        fit_numbers(checker, f"{w} {est} fit", tf.fit, want["fit"])
    checker.done(min_checked=100)


@pytest.mark.parametrize("ds", S["datasets"], ids=[d["name"] for d in S["datasets"]])
def test_regtest_lm_and_ranktest(ds, checker):
    res = mp.rma(ds["yi"], ds["vi"], method="FE")
    for key, predictor in (("regtest_lm", "sei"), ("regtest_lm_vi", "vi")):
        r, want = mp.regtest(res, model="lm", predictor=predictor), ds[key]
        assert r.dfs == want["df"]
        for ours, k in [(r.zval, "t"), (r.pval, "p"), (r.est, "limit"), (r.ci_lb, "limit_ci_lower"),
                        (r.ci_ub, "limit_ci_upper"), (r.slope[0], "slope"), (r.slope[1], "slope_se")]:
            checker.close(f"{key} {k}", ours, want[k], REL, zero_abs=ZERO)
    rt = mp.ranktest(res)
    checker.close("ranktest tau", rt.tau, ds["ranktest"]["tau"], REL, zero_abs=ZERO)
    checker.close("ranktest p", rt.pval, ds["ranktest"]["p"], REL, zero_abs=ZERO)
    checker.done(min_checked=16)
