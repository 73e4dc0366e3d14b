"""tau2_control: the exact solver (default) against metafor run with tight control
(fixtures/metafor/exact.json, made by generate_exact.R) on the datasets where metafor's default
REML fails, at the Rust tests' tolerance (1e-9 relative, 1e-12 absolute below 1e-6); metafor's
own path (tau2_control="metafor") fails on some of them as metafor does."""
import numpy as np
import pytest

import metapool as mp
from conftest import load


def _close(ours, theirs):
    if abs(theirs) < 1e-6:
        return abs(ours - theirs) <= 1e-12
    return abs(ours - theirs) <= 1e-9 * abs(theirs)


def test_exact_solves_where_metafors_default_reml_fails():
    sets = [d for d in load("exact")["datasets"] if d["default_reml_fails"]]
    assert len(sets) >= 20
    failed_metafor = 0
    for d in sets:
        want = next(f for f in d["fits"] if f["method"] == "REML" and f["test"] == "z")
        res = mp.rma(np.array(d["yi"]), np.array(d["vi"]), method="REML")
        for ours, key in ((res.tau2, "tau2"), (res.beta, "estimate"), (res.se, "se")):
            assert _close(float(ours), want[key]), (d["name"], key, ours, want[key])
        try:
            mp.rma(np.array(d["yi"]), np.array(d["vi"]), method="REML", tau2_control="metafor")
        except mp.NotConvergedError:
            failed_metafor += 1
    assert failed_metafor >= 1


def test_batch_takes_the_control_and_reports_iterations():
    d = next(d for d in load("exact")["datasets"] if d["default_reml_fails"])
    y, v = np.array(d["yi"]), np.array(d["vi"])
    out = mp.pool_batch(y, v, k=len(y), method="REML", output="dict")
    assert out["tau2_iterations"][0] > 0
    assert out["tau2"][0] == mp.rma(y, v, method="REML").tau2
    rec = mp.pool_batch(y, v, k=len(y), method="REML", output="dict", on_failure="record",
                        tau2_control="metafor")
    assert np.isnan(rec["tau2"][0]) and rec["failures"]
    with pytest.raises(ValueError):
        mp.rma(y, v, tau2_control="fast")
