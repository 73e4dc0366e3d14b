"""The Python API's conventions: printed summaries, DataFrames, figures, errors."""

import numpy as np
import pytest

import metapool as mp

BCG = dict(
    ai=[4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27],
    n1i=[123, 306, 231, 13598, 5069, 1541, 2545, 88391, 7499, 1716, 50634, 2498, 16913],
    ci=[11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29],
    n2i=[139, 303, 220, 12867, 5808, 1451, 629, 88391, 7277, 1665, 27338, 2341, 17854],
)


def test_summary_is_the_library_text():
    res = mp.rma(mp.escalc("RR", **BCG), method="REML")
    text = str(res)
    assert text.startswith("Random-effects model (k = 13; tau² estimator: REML)")
    assert "Test for overall effect: Z = " in text
    assert res.summary(digits=2, style="revman") != text
    assert res.method == "REML" and res.test == "z" and res.level == 95
    assert res.b == res.beta and res.tau == pytest.approx(res.tau2**0.5)
    assert sum(res.weights) == pytest.approx(100)


def test_dataframe_inputs_and_labels():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({**BCG, "author": [f"S{i}" for i in range(13)]})
    dat = mp.escalc("OR", data=df, ai="ai", n1i="n1i", ci="ci", n2i="n2i")
    assert list(dat.columns[-2:]) == ["yi", "vi"] and len(dat) == 13
    res = mp.rma("yi", "vi", data=dat, slab="author", method="DL", measure="OR")
    assert res.slab[0] == "S0" and "S12" in str(res)
    tidy = res.to_frame()
    assert list(tidy.columns) == ["study", "slab", "yi", "vi", "weight"] and tidy["weight"].sum() == pytest.approx(100)
    loo = mp.leave1out(res).to_frame()
    assert list(loo.columns[:2]) == ["omitted", "estimate"] and len(loo) == 13
    sel = mp.model_rule(dat["yi"], dat["vi"])
    assert sel.choice == "random" and sel.selected.method == "DL"
    mh = mp.model_rule(data=df, ai="ai", n1i="n1i", ci="ci", n2i="n2i", fixed="MH")
    assert mh.fixed.method == "MH" and "M-H" in mh.summary(style="revman") or mh.fixed.k == 13


def test_figures_are_svg():
    res = mp.rma(mp.escalc("RR", **BCG), method="DL")
    for fig in (mp.forest(res, title="BCG"), mp.funnel(res), mp.funnel(mp.trimfill(res))):
        assert isinstance(fig, mp.SVG)
        assert fig._repr_svg_().lstrip().startswith("<svg") or "<svg" in fig._repr_svg_()[:200]


def test_errors_are_value_errors_naming_study_and_field():
    with pytest.raises(mp.InvalidStudyError) as e:
        mp.escalc("MD", m1i=[1, 2], sd1i=[1, -1], n1i=[10, 10], m2i=[1, 1], sd2i=[1, 1], n2i=[10, 10])
    assert isinstance(e.value, ValueError) and isinstance(e.value, mp.MetapoolError)
    assert e.value.study == 1 and "study 1" in str(e.value)
    with pytest.raises(mp.InvalidStudyError, match="events"):
        mp.escalc("OR", ai=[5], n1i=[4], ci=[1], n2i=[10])
    with pytest.raises(mp.InvalidParameterError, match="tau² estimator"):
        mp.rma([0.1, 0.2], [0.1, 0.1], method="BOGUS")
    with pytest.raises(mp.InvalidParameterError):
        mp.rma([0.1, 0.2], [0.1, 0.1], test="wald")
    with pytest.raises(mp.InvalidParameterError, match="level"):
        mp.rma([0.1, 0.2], [0.1, 0.1], level=100)
    with pytest.raises(mp.InvalidParameterError, match="unknown measure"):
        mp.escalc("XYZ", yi=[1])
    with pytest.raises(mp.InvalidParameterError, match="needs the column `sd2i`"):
        mp.escalc("MD", m1i=[1], sd1i=[1], n1i=[10], m2i=[1], n2i=[10])
    with pytest.raises(mp.TooFewStudiesError):
        mp.leave1out(mp.rma([0.1], [0.1]))
    with pytest.raises(mp.TooFewStudiesError):
        mp.rma_mh(ai=[0, 0], n1i=[10, 10], ci=[0, 0], n2i=[10, 10])
    with pytest.raises(mp.InvalidStudyError, match="not finite|finite"):
        mp.rma([0.1, np.nan], [0.1, 0.1])
    with pytest.raises(mp.InvalidParameterError, match="`vi` has 1 values"):
        mp.rma([0.1, 0.2], [0.1])


def test_dict_output_without_pandas_feeds_rma():
    dat = mp.escalc("RR", output="dict", **BCG)
    assert isinstance(dat, dict) and set(dat) == {"yi", "vi"}
    res = mp.rma(dat, method="DL")
    assert res.beta == mp.rma(dat["yi"], dat["vi"], method="DL").beta
