"""escalc, rma (FE, DL) and rma_mh against metafor 3.8 (fixtures/metafor/core.json), through the
Python API, at the tolerances of tests/metafor_core.rs: 1e-10 relative, with the same floors
(the SE for locations, 1e-8 for z, I², H², 1e-10 for Q, 1e-12 se² for tau²)."""

import pytest

import metapool as mp

from conftest import load

REL = 1e-10
CORE = load("core")
DATASETS = CORE["datasets"]


def studies(ds):
    """escalc() of a dataset, and the keyword arguments of its 2x2 tables (OR only)."""
    x, m = ds["input"], ds["measure"]
    if m in ("MD", "SMD_LS", "SMD_REVMAN"):
        measure = {"MD": "MD", "SMD_LS": "SMD", "SMD_REVMAN": "SMD-REVMAN"}[m]
        return mp.escalc(measure, m1i=x["m1"], sd1i=x["sd1"], n1i=x["n1"], m2i=x["m2"], sd2i=x["sd2"], n2i=x["n2"]), None
    if m == "OR":
        tables = dict(ai=x["events1"], n1i=x["total1"], ci=x["events2"], n2i=x["total2"])
        return mp.escalc("OR", **tables), tables
    if m == "PREPOST_MD":
        return mp.escalc("MC", m1i=x["m_post"], sd1i=x["sd_post"], m2i=x["m_pre"], sd2i=x["sd_pre"], ni=x["n"], ri=x["r"]), None
    if m == "GENERIC":
        return mp.escalc("GEN", yi=x["estimate"], sei=x["se"]), None
    raise AssertionError(m)


def compare_fit(c, ctx, ours, fit):
    assert ours.k == fit["k"], ctx
    loc = fit["se"]
    c.close(f"{ctx} estimate", ours.beta, fit["estimate"], REL, floor=loc)
    c.close(f"{ctx} se", ours.se, fit["se"], REL)
    c.close(f"{ctx} ci_lb", ours.ci_lb, fit["ci_lower"], REL, floor=loc)
    c.close(f"{ctx} ci_ub", ours.ci_ub, fit["ci_upper"], REL, floor=loc)
    c.close(f"{ctx} z", ours.zval, fit["z"], REL, floor=1e-8)
    c.close(f"{ctx} p", ours.pval, fit["p"], REL)
    c.close(f"{ctx} Q", ours.QE, fit["q"], REL, floor=1e-10)
    if ours.k == 1:
        assert ours.QEp is None, ctx  # metafor prints 1 for Q = 0 on 0 df; no test here
    else:
        c.close(f"{ctx} QEp", ours.QEp, fit["q_p"], REL)
    c.close(f"{ctx} I2", ours.I2, fit["i2"], REL, floor=1e-8)
    c.close(f"{ctx} H2", ours.H2, fit["h2"], REL, floor=1e-8)
    c.close(f"{ctx} tau2", ours.tau2, fit["tau2"], REL, floor=1e-12 * ours.se**2)
    w = fit.get("weights_percent")
    if w is not None:
        c.all(f"{ctx} weights", ours.weights, w, REL, floor=1e-10)


@pytest.mark.parametrize("ds", DATASETS, ids=[d["name"] for d in DATASETS])
def test_core_dataset(ds, checker):
    dat, tables = studies(ds)
    included = ds["included"]
    yi, vi = dat["yi"].to_numpy(), dat["vi"].to_numpy()
    ey, ev = ds["effects"]["yi"], ds["effects"]["vi"]
    for j, pos in enumerate(included):
        checker.close(f"yi[{pos}]", yi[pos], ey[j], REL, floor=vi[pos] ** 0.5)
        checker.close(f"vi[{pos}]", vi[pos], ev[j], REL)
    excluded = sorted(set(range(len(yi))) - set(included))
    assert dat.attrs["excluded"] == excluded
    kept = dat.iloc[included]
    for fit in ds["fits"]:
        method = fit["method"]
        if method == "MH":
            res = mp.rma_mh(**tables)
            assert res.included == included
        else:
            res = mp.rma(kept["yi"], kept["vi"], method=method, tau2_control="metafor")
        compare_fit(checker, f"{ds['name']} {method}", res, fit)
    checker.done(min_checked=5)


def test_core_has_the_datasets():
    assert len(DATASETS) >= 40
