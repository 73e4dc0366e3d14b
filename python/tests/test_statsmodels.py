"""rma against statsmodels' combine_effects, an independent implementation, where it computes
the same thing: the inverse-variance fixed effect, DerSimonian-Laird (``method_re="chi2"``) and
Paule-Mandel (``method_re="iterated"``) random effects, on the estimator fixtures' datasets.

Tolerances: fixed effect and DL 1e-10 relative, the Rust tests' tolerance for closed forms
(statsmodels loses up to about 6e-12 to cancellation on kacker2004, whose estimates are about
62 with small spread). statsmodels does not truncate the DL tau² at 0,
so where it is negative ours must be exactly 0 (metafor's and everyone's max(0, .)). Its
Paule-Mandel iteration stops early (its tau² is off the solution of the PM equation by up to
about 1e-4 relative), so PM is compared at 2e-4 relative or 3e-5 absolute in tau². Ours
reproduces metafor's root search (uniroot), which stops at its own tolerance too (its default
tol of .Machine$double.eps^0.25, about 1.2e-4, on tau²), and agrees with metafor to 1e-8 relative
(tests/metafor_estimators.rs); the defining equation sum w* (y - mu*)² = k - 1 holds to that
search's precision, checked here at 1e-3."""

import numpy as np
import pytest

import metapool as mp

from conftest import load

meta = pytest.importorskip("statsmodels.stats.meta_analysis")

DATASETS = load("estimators")["datasets"]


@pytest.mark.parametrize("ds", DATASETS, ids=[d["name"] for d in DATASETS])
def test_fixed_and_dersimonian_laird(ds):
    y, v = np.asarray(ds["yi"]), np.asarray(ds["vi"])
    with np.errstate(invalid="ignore"):
        sm = meta.combine_effects(y, v, method_re="chi2", use_t=False)
    fe, dl = mp.rma(y, v, method="FE"), mp.rma(y, v, method="DL")
    assert fe.beta == pytest.approx(sm.mean_effect_fe, rel=1e-10, abs=1e-15)
    assert fe.se == pytest.approx(sm.sd_eff_w_fe, rel=1e-10)
    assert fe.QE == pytest.approx(sm.q, rel=1e-10)
    if sm.tau2 < 0:
        assert dl.tau2 == 0.0
        assert dl.beta == fe.beta
    else:
        assert dl.tau2 == pytest.approx(sm.tau2, rel=1e-10, abs=1e-15)
        assert dl.beta == pytest.approx(sm.mean_effect_re, rel=1e-10, abs=1e-15)
        assert dl.se == pytest.approx(sm.sd_eff_w_re, rel=1e-10)


@pytest.mark.parametrize("ds", DATASETS, ids=[d["name"] for d in DATASETS])
def test_paule_mandel(ds):
    y, v = np.asarray(ds["yi"]), np.asarray(ds["vi"])
    with np.errstate(invalid="ignore"):
        sm = meta.combine_effects(y, v, method_re="iterated", use_t=False)
    pm = mp.rma(y, v, method="PM")
    assert pm.tau2 == pytest.approx(max(sm.tau2, 0.0), rel=2e-4, abs=3e-5)
    w = 1 / (v + pm.tau2)
    q_gen = np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2)
    if pm.tau2 > 0:
        assert q_gen == pytest.approx(len(y) - 1, rel=1e-3)
    else:
        assert q_gen <= len(y) - 1
