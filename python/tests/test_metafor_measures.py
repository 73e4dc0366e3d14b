"""escalc's RR, RD, PETO, proportions and ZCOR, rma, rma_mh (OR, RR, RD) and rma_peto against
metafor 3.8 (fixtures/metafor/measures.json), at the tolerance of tests/metafor_measures.rs:
1e-10 relative for every number (closed forms), a reference of exactly 0 at 1e-14 absolute."""

import math

import numpy as np
import pytest

import metapool as mp

from conftest import load

TOL, ZERO = 1e-10, 1e-14
M = load("measures")


def fit_by(fits, measure, method):
    return next(f for f in fits if f.get("measure") == measure and f["method"] == method)


def compare(c, what, res, want):
    for ours, key in [
        (res.beta, "estimate"), (res.se, "se"), (res.ci_lb, "ci_lower"), (res.ci_ub, "ci_upper"),
        (res.zval, "z"), (res.pval, "p"), (res.QE, "q"), (res.I2, "i2"), (res.H2, "h2"), (res.tau2, "tau2"),
    ]:
        c.close(f"{what} {key}", ours, want[key], TOL, zero_abs=ZERO)
    if want["q_df"] > 0:
        c.close(f"{what} q_p", res.QEp, want["q_p"], TOL, zero_abs=ZERO)
    else:
        assert res.QEp is None


def tables(x):
    return dict(ai=x["events1"], n1i=x["total1"], ci=x["events2"], n2i=x["total2"])


@pytest.mark.parametrize("ds", M["binary"], ids=[d["name"] for d in M["binary"]])
def test_binary(ds, checker):
    t = tables(ds["input"])
    for measure in ("RR", "RD", "PETO"):
        dat = mp.escalc(measure, **t)
        want = ds["effects"][measure]
        for i, (y, v) in enumerate(zip(want["yi"], want["vi"])):
            if y is None:
                assert math.isnan(dat["yi"][i]) and i in dat.attrs["excluded"]
            else:
                checker.close(f"{measure} yi {i}", dat["yi"][i], y, TOL, zero_abs=ZERO)
                checker.close(f"{measure} vi {i}", dat["vi"][i], v, TOL, zero_abs=ZERO)
        kept = dat.dropna(subset=["yi"])
        for method in ("FE", "DL"):
            w = fit_by(ds["fits"], measure, method)
            res = mp.rma(kept, method=method, tau2_control="metafor")
            assert res.k == w["k"]
            compare(checker, f"{measure} {method}", res, w)
            checker.all(f"{measure} {method} weights", res.weights, w["weights_percent"], TOL, zero_abs=ZERO)
    for measure in ("OR", "RR", "RD"):
        w = fit_by(ds["fits"], measure, "MH")
        res = mp.rma_mh(**t, measure=measure)
        compare(checker, f"MH {measure}", res, w)
        all_w = w["weights_percent_all"]
        for j, i in enumerate(res.included):
            checker.close(f"MH {measure} weight {i}", res.weights[j], all_w[i], TOL, zero_abs=ZERO)
        assert all(all_w[i] == 0 for i in res.excluded)
    w = fit_by(ds["fits"], "PETO", "PETO")
    compare(checker, "Peto", mp.rma_peto(**t), w)
    checker.done(min_checked=50)


@pytest.mark.parametrize("ds", M["proportions"], ids=[d["name"] for d in M["proportions"]])
def test_proportions(ds, checker):
    x = ds["input"]
    for tr in ds["transforms"]:
        m = tr["measure"]
        dat = mp.escalc(m, xi=x["events"], ni=x["total"])
        checker.all(f"{m} yi", dat["yi"], tr["yi"], TOL, zero_abs=ZERO)
        checker.all(f"{m} vi", dat["vi"], tr["vi"], TOL, zero_abs=ZERO)
        for w in tr["fits"]:
            res = mp.rma(dat, method=w["method"], tau2_control="metafor")
            compare(checker, f"{m} {w['method']}", res, w)
            pred = res.predict(transf=True)
            checker.close(f"{m} {w['method']} display", pred["pred"], w["display"]["estimate"], TOL, zero_abs=ZERO)
            checker.close(f"{m} {w['method']} display lb", pred["ci_lb"], w["display"]["lower"], TOL, zero_abs=ZERO)
            checker.close(f"{m} {w['method']} display ub", pred["ci_ub"], w["display"]["upper"], TOL, zero_abs=ZERO)
    checker.done(min_checked=30)


@pytest.mark.parametrize("ds", M["correlations"], ids=[d["name"] for d in M["correlations"]])
def test_correlations(ds, checker):
    dat = mp.escalc("ZCOR", ri=ds["input"]["r"], ni=ds["input"]["n"])
    checker.all("yi", dat["yi"], ds["yi"], TOL, zero_abs=ZERO)
    checker.all("vi", dat["vi"], ds["vi"], TOL, zero_abs=ZERO)
    for w in ds["fits"]:
        res = mp.rma(dat, method=w["method"], tau2_control="metafor")
        compare(checker, w["method"], res, w)
        pred = res.predict(transf=True)
        checker.close("r", pred["pred"], w["display"]["estimate"], TOL, zero_abs=ZERO)
    checker.done(min_checked=20)


def test_polars_frame_in_and_out():
    pl = pytest.importorskip("polars")
    ds = M["binary"][0]
    df = pl.DataFrame({k: np.asarray(v, dtype=float) for k, v in ds["input"].items()})
    dat = mp.escalc("RR", data=df, ai="events1", n1i="total1", ci="events2", n2i="total2")
    assert isinstance(dat, pl.DataFrame) and {"yi", "vi"} <= set(dat.columns)
    res = mp.rma("yi", "vi", data=dat, method="DL", measure="RR")
    assert res.beta == pytest.approx(fit_by(ds["fits"], "RR", "DL")["estimate"], rel=TOL)
