"""metapool: meta-analysis in metafor's vocabulary, with a Rust core verified against metafor.

>>> import metapool as mp
>>> dat = mp.escalc("OR", ai=[4, 1, 6], n1i=[20, 30, 40], ci=[8, 5, 9], n2i=[20, 30, 40])
>>> res = mp.rma(dat, method="REML")
>>> print(res)                       # the library's summary, metafor's layout
>>> res.beta, res.se, res.tau2, res.I2, res.QEp
>>> mp.forest(res)                   # SVG, shown inline in Jupyter

Every number is computed by the metapool Rust library (the same code as the Rust API), which
is tested against R's metafor at 1e-10 relative for closed forms and 1e-8 for iterative
estimators. Errors are ``MetapoolError`` (a ``ValueError``) subclasses carrying the library's
message, which names the study (0-based) and the field.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _data
from ._metapool import (
    MEASURES,
    InvalidParameterError,
    InvalidStudyError,
    MetapoolError,
    ModelSelection,
    NotConvergedError,
    RanktestResult,
    RegtestResult,
    RmaResult,
    Studies,
    TooFewStudiesError,
    TrimfillResult,
    UndefinedError,
    __version__,
)
from . import _metapool as _rs
from ._results import SVG, Table

__all__ = [
    "escalc",
    "rma",
    "rma_uni",
    "rma_mh",
    "rma_peto",
    "model_rule",
    "leave1out",
    "cumul",
    "influence",
    "regtest",
    "ranktest",
    "trimfill",
    "forest",
    "funnel",
    "pool_batch",
    "RmaResult",
    "ModelSelection",
    "RegtestResult",
    "RanktestResult",
    "TrimfillResult",
    "Table",
    "SVG",
    "MetapoolError",
    "InvalidStudyError",
    "InvalidParameterError",
    "TooFewStudiesError",
    "NotConvergedError",
    "UndefinedError",
    "MEASURES",
    "__version__",
]

ArrayLike = Union[Sequence[float], np.ndarray, str, Any]

_DATA_ARGS = (
    "ai", "bi", "ci", "di", "n1i", "n2i",
    "m1i", "m2i", "sd1i", "sd2i",
    "xi", "ni", "ri",
    "yi", "vi", "sei",
)


def _columns(data: Any, args: dict) -> dict:
    cols = {}
    for name in _DATA_ARGS:
        value = args.get(name)
        if value is not None:
            cols[name] = _data.column(value, data, name)
    return cols


def escalc(
    measure: str,
    data: Any = None,
    *,
    ai: ArrayLike = None,
    bi: ArrayLike = None,
    ci: ArrayLike = None,
    di: ArrayLike = None,
    n1i: ArrayLike = None,
    n2i: ArrayLike = None,
    m1i: ArrayLike = None,
    m2i: ArrayLike = None,
    sd1i: ArrayLike = None,
    sd2i: ArrayLike = None,
    xi: ArrayLike = None,
    ni: ArrayLike = None,
    ri: ArrayLike = None,
    yi: ArrayLike = None,
    vi: ArrayLike = None,
    sei: ArrayLike = None,
    add: Optional[float] = None,
    to: Optional[str] = None,
    output: str = "auto",
) -> Any:
    """Effect sizes and sampling variances (metafor ``escalc``), one row per study.

    Measures and their columns (metafor's argument names; each may be an array, a list, or a
    column name of ``data``, a pandas or polars DataFrame):

    - ``"MD"`` mean difference, ``"SMD"`` Hedges' g with metafor's exact J and large-sample
      variance (``vtype="LS"``), ``"SMD-REVMAN"`` RevMan 5's g (J = 1 - 3/(4N - 9),
      v = N/(n1 n2) + g²/(2(N - 3.94))): ``m1i sd1i n1i m2i sd2i n2i``;
    - ``"MC"`` mean change m1i - m2i of paired measurements with correlation ``ri``:
      ``m1i sd1i m2i sd2i ni ri`` (v = (sd1i² + sd2i² - 2 ri sd1i sd2i)/ni);
    - ``"OR"``, ``"RR"`` (log scale), ``"RD"``, ``"PETO"`` (Peto's log odds ratio): 2x2 tables
      ``ai bi ci di`` or ``ai n1i ci n2i``; 1/2 is added to the cells of a table with a zero
      cell (``add``, ``to="only0"|"all"|"none"``); a table with no events (or all events) in
      both arms gives NaN (it is excluded from pooling, as RevMan and metafor's ``rma`` do);
    - ``"PR"``, ``"PLO"``, ``"PAS"``, ``"PFT"`` proportions (raw, logit, arcsine,
      Freeman-Tukey): ``xi ni``;
    - ``"ZCOR"`` Fisher's z of a correlation: ``ri ni``;
    - ``"GEN"`` generic estimates: ``yi`` with ``vi`` or ``sei``.

    Returns ``data`` with ``yi`` and ``vi`` appended when ``data`` is a DataFrame, else a
    DataFrame (pandas when installed; ``output="polars"`` or ``"dict"``) of ``yi`` and ``vi``.
    The frame's ``attrs["measure"]`` (pandas) lets ``rma`` show ratios back-transformed.
    Sources: metafor 3.8 ``escalc``; Borenstein et al. (2009); RevMan 5 statistical methods.
    """
    cols = _columns(data, locals())
    yi_, vi_, excluded, harmonic_n = _rs.escalc(measure, cols, add, to)
    out_cols = {"yi": np.asarray(yi_), "vi": np.asarray(vi_)}
    if _data.is_frame(data):
        out = _data.append(data, out_cols)
    else:
        out = _data.frame(out_cols, output, like=data)
    if hasattr(out, "attrs"):
        out.attrs["measure"] = measure.upper()
        out.attrs["excluded"] = list(excluded)
        if harmonic_n is not None:
            out.attrs["harmonic_n"] = harmonic_n
    return out


def _estimates(yi: Any, vi: Any, sei: Any, data: Any, slab: Any, measure: Optional[str]) -> Studies:
    harmonic_n = None
    if _data.is_frame(yi) and vi is None and sei is None:
        # an escalc() result
        frame = yi
        attrs = getattr(frame, "attrs", {}) or {}
        measure = measure or attrs.get("measure")
        harmonic_n = attrs.get("harmonic_n")
        yi, vi, data = "yi", "vi", frame
    if isinstance(yi, dict) and "yi" in yi and vi is None and sei is None:
        # an escalc() result without pandas (output="dict")
        yi, vi = yi["yi"], yi["vi"]
    y = _data.column(yi, data, "yi")
    if y is None:
        raise TypeError("give the effects `yi` (an array, a column name of `data`, or an escalc() frame)")
    return Studies.from_estimates(
        y.tolist(),
        _data.values(vi, data, "vi"),
        _data.values(sei, data, "sei"),
        _data.labels(slab, data),
        measure,
        harmonic_n,
    )


def rma(
    yi: ArrayLike = None,
    vi: ArrayLike = None,
    sei: ArrayLike = None,
    *,
    data: Any = None,
    method: str = "REML",
    test: str = "z",
    level: float = 95,
    slab: Any = None,
    measure: Optional[str] = None,
    tau2_control: str = "exact",
    mods: Any = None,
    intercept: bool = True,
    btt: Optional[Sequence[int]] = None,
) -> Any:
    """Fixed-effect (``method="FE"``/``"EE"``/``"CE"``) or random-effects meta-analysis of
    estimates ``yi`` with variances ``vi`` or standard errors ``sei`` (metafor ``rma.uni``).

    ``method``: a tau² estimator, ``"DL"``, ``"HE"``, ``"HS"``, ``"HSk"``, ``"SJ"``, ``"ML"``,
    ``"REML"`` (default, as metafor), ``"EB"``, ``"PM"``, ``"PMM"``, ``"DL2"``, ``"GENQ"``.
    ``test``: ``"z"``, ``"t"``, ``"knha"`` (Hartung-Knapp-Sidik-Jonkman), ``"adhoc"``.
    ``level``: 95 or 0.95. ``yi`` may be an ``escalc()`` frame, or a column name of ``data``.
    ``measure`` (e.g. ``"OR"``) makes the summary show ratios back-transformed.
    ``mods`` (metafor ``mods``): moderators for a meta-regression, as a DataFrame or dict of
    columns, a list of column names of ``data``, or an array (columns ``X1``, ``X2``, ...);
    string columns are categorical (treatment coding against the first level in sorted order).
    ``intercept=False`` drops the intercept; ``btt`` (1-based, as metafor) the coefficients of the
    omnibus test. The result is an ``RmaRegResult`` (``names``, ``beta``, ``se``, ``zval``,
    ``pval``, ``ci_lb``, ``ci_ub``, ``tau2``, ``I2``, ``H2``, ``R2``, ``QE``, ``QEp``, ``QM``,
    ``QMp``; ``str()`` is metafor's printout).
    ``tau2_control``: ``"exact"`` (default) solves the iterative estimators' (ML, REML, EB, PM,
    PMM) estimating equation to full precision and always converges; ``"metafor"`` follows
    metafor's iteration path and stopping rules (its default ``control``), failures included.

    Weights w_i = 1/(v_i + tau²); mu = sum w y / sum w; se = 1/sqrt(sum w) (Knapp-Hartung:
    scaled by the weighted residual variance, t on k - 1 df). Sources: DerSimonian & Laird
    (1986); Viechtbauer (2005, 2010); Hartung & Knapp (2001); metafor 3.8 ``rma.uni``.
    """
    studies = _estimates(yi, vi, sei, data, slab, measure)
    if mods is not None:
        names, numeric, levels = _moderators(mods, data)
        return _rs.rma_mods(studies, names, numeric, levels, bool(intercept), method, test, float(level),
                            tau2_control, None if btt is None else [int(b) - 1 for b in btt])
    return _rs.rma(studies, method, test, float(level), tau2_control)


def _moderators(mods: Any, data: Any):
    """The moderators of ``rma(mods=...)`` in order: ``(names, numeric, levels)``, each column
    numeric (a float list) or categorical (strings: a factor, as R's ``factor()``)."""
    if isinstance(mods, str):
        mods = [mods]
    if isinstance(mods, (list, tuple)) and mods and all(isinstance(m, str) for m in mods):
        if data is None:
            raise TypeError("`mods` names columns but no `data` was given")
        columns = [(m, data[m]) for m in mods]
    elif _data.is_frame(mods):
        columns = [(str(c), mods[c]) for c in mods.columns]
    elif isinstance(mods, dict):
        columns = [(str(c), v) for c, v in mods.items()]
    else:
        arr = np.asarray(mods)
        if arr.ndim == 1:
            arr = arr[:, None]
        columns = [(f"X{j + 1}", arr[:, j]) for j in range(arr.shape[1])]
    names, numeric, levels = [], [], []
    for name, col in columns:
        values = np.asarray(col.to_numpy() if hasattr(col, "to_numpy") else col)
        names.append(name)
        if values.dtype.kind in "iufb":
            numeric.append(values.astype(np.float64).tolist())
            levels.append(None)
        else:
            numeric.append(None)
            levels.append([str(v) for v in values.tolist()])
    return names, numeric, levels


rma_uni = rma


def _tables(measure: str, data: Any, args: dict, slab: Any, add: Optional[float], to: Optional[str]) -> Studies:
    cols = _columns(data, args)
    return Studies.from_data(measure, cols, _data.labels(slab, data), add, to)


def rma_mh(
    ai: ArrayLike = None,
    bi: ArrayLike = None,
    ci: ArrayLike = None,
    di: ArrayLike = None,
    n1i: ArrayLike = None,
    n2i: ArrayLike = None,
    *,
    data: Any = None,
    measure: str = "OR",
    test: str = "z",
    level: float = 95,
    slab: Any = None,
    add: Optional[float] = None,
    to: Optional[str] = None,
) -> RmaResult:
    """Mantel-Haenszel fixed-effect meta-analysis of 2x2 tables (metafor ``rma.mh``):
    ``measure="OR"`` (Robins-Breslow-Greenland variance), ``"RR"`` or ``"RD"``
    (Greenland-Robins variances). Tables with no events (or all events) in both arms are
    excluded (``res.excluded``); Q is centred on the MH estimate, as metafor and RevMan do.
    """
    args = dict(ai=ai, bi=bi, ci=ci, di=di, n1i=n1i, n2i=n2i)
    return _rs.rma_tables(_tables(measure, data, args, slab, add, to), "MH", test, float(level))


def rma_peto(
    ai: ArrayLike = None,
    bi: ArrayLike = None,
    ci: ArrayLike = None,
    di: ArrayLike = None,
    n1i: ArrayLike = None,
    n2i: ArrayLike = None,
    *,
    data: Any = None,
    test: str = "z",
    level: float = 95,
    slab: Any = None,
) -> RmaResult:
    """Peto's one-step odds ratio (metafor ``rma.peto``): log OR = sum(O - E)/sum(V),
    se = 1/sqrt(sum V), on the log scale. Source: Yusuf et al. (1985)."""
    args = dict(ai=ai, bi=bi, ci=ci, di=di, n1i=n1i, n2i=n2i)
    return _rs.rma_tables(_tables("PETO", data, args, slab, None, None), "PETO", test, float(level))


def model_rule(
    yi: ArrayLike = None,
    vi: ArrayLike = None,
    sei: ArrayLike = None,
    *,
    data: Any = None,
    measure: Optional[str] = None,
    ai: ArrayLike = None,
    bi: ArrayLike = None,
    ci: ArrayLike = None,
    di: ArrayLike = None,
    n1i: ArrayLike = None,
    n2i: ArrayLike = None,
    alpha: float = 0.10,
    fixed: str = "IV",
    method: str = "DL",
    test: str = "z",
    level: float = 95,
    slab: Any = None,
) -> ModelSelection:
    """The Q-test rule of many clinical meta-analyses: a fixed-effect model unless the
    heterogeneity test gives p < ``alpha`` (0.10), then random effects (``method``, ``test``).

    Give estimates (``yi`` with ``vi``/``sei``) or 2x2 tables (``ai``... with ``measure``,
    default "OR"); ``fixed="MH"`` is RevMan's "M-H, Fixed"/"M-H, Random" pair (the DL tau²
    then taken from the MH-centred Q). Returns both fits, the choice and the selected fit.
    """
    if ai is not None:
        args = dict(ai=ai, bi=bi, ci=ci, di=di, n1i=n1i, n2i=n2i)
        studies = _tables(measure or "OR", data, args, slab, None, None)
    else:
        studies = _estimates(yi, vi, sei, data, slab, measure)
    return _rs.model_rule(studies, alpha, fixed, method, test, float(level))


def _fit(res: Any) -> RmaResult:
    if isinstance(res, ModelSelection):
        return res.selected
    if isinstance(res, TrimfillResult):
        return res.fit
    if not isinstance(res, RmaResult):
        raise TypeError(f"expected a fitted model (rma, rma_mh, rma_peto), got {type(res).__name__}")
    return res


def leave1out(res: RmaResult) -> Table:
    """Leave-one-out analysis (metafor ``leave1out``): the model re-fitted without each study
    in turn. Columns ``omitted`` (0-based input position), ``estimate``, ``se``, ``zval``,
    ``pval``, ``ci_lb``, ``ci_ub``, ``Q``, ``Qp``, ``tau2``, ``I2``, ``H2``."""
    return Table(*_rs.leave1out(_fit(res)))


def cumul(res: RmaResult, order: Optional[ArrayLike] = None, decreasing: bool = False) -> Table:
    """Cumulative meta-analysis (metafor ``cumul``), in input order or by ``order`` (one key
    per input study, e.g. the year; stable sort). Columns ``added`` then as ``leave1out``."""
    keys = _data.values(order, None, "order")
    return Table(*_rs.cumul(_fit(res), keys, decreasing))


def influence(res: RmaResult) -> Table:
    """Case-deletion diagnostics (metafor ``influence``; Viechtbauer & Cheung 2010):
    ``rstudent``, ``dffits``, ``cook_d``, ``cov_r``, ``tau2_del``, ``QE_del``, ``hat``,
    ``weight``, ``dfbs``, and ``inf`` (any of metafor's cut-offs exceeded)."""
    return Table(*_rs.influence(_fit(res)))


def regtest(res: RmaResult, model: str = "rma", predictor: str = "sei") -> RegtestResult:
    """Egger's regression test for funnel-plot asymmetry (metafor ``regtest``): the fit's
    model with the standard error (``predictor="sei"``) or the variance (``"vi"``) as
    moderator (``model="rma"``), or the classical weighted regression (``model="lm"``).
    Sources: Egger et al. (1997); Sterne & Egger (2005)."""
    return _rs.regtest(_fit(res), model, predictor)


def ranktest(res: RmaResult) -> RanktestResult:
    """Begg & Mazumdar's (1994) rank correlation test (metafor ``ranktest``): Kendall's tau
    between standardized effects and variances."""
    return _rs.ranktest(_fit(res))


def trimfill(res: RmaResult, side: Optional[str] = None, estimator: str = "L0", maxiter: int = 100) -> TrimfillResult:
    """Duval & Tweedie's (2000) trim-and-fill (metafor ``trimfill``): ``k0`` missing studies
    (``estimator="L0"`` or ``"R0"``) on ``side`` (estimated unless given), and ``.fit``, the
    model re-fitted with the filled studies."""
    return _rs.trimfill(_fit(res), side, estimator, maxiter)


def forest(res: RmaResult, title: Optional[str] = None) -> SVG:
    """Forest plot in RevMan 5's layout (studies, weights, estimates with CIs, the pooled
    diamond, heterogeneity and overall-effect lines), as an ``SVG``."""
    return SVG(_rs.forest(_fit(res), title))


def funnel(res: Union[RmaResult, TrimfillResult], title: Optional[str] = None) -> SVG:
    """Funnel plot (effect against standard error, with the pseudo confidence region) of a
    fit, or of a trim-and-fill result with its filled studies, as an ``SVG``."""
    if not isinstance(res, TrimfillResult):
        res = _fit(res)
    return SVG(_rs.funnel(res, title))


def _offsets_of_groups(groups: Any, yi: np.ndarray, vi: np.ndarray):
    """Offsets of the runs of equal labels in ``groups``; studies of a group spread over
    several runs are gathered first (a stable sort: one copy of yi and vi)."""
    g = np.asarray(groups.to_numpy() if hasattr(groups, "to_numpy") else groups)
    if len(g) != len(yi):
        raise InvalidParameterError(f"`groups` has {len(g)} labels and `yi` {len(yi)} values")
    if len(g) == 0:
        return np.zeros(1, dtype=np.uintp), g[:0], yi, vi
    starts = np.flatnonzero(g[1:] != g[:-1]) + 1
    run_labels = g[np.concatenate(([0], starts))]
    if len(np.unique(run_labels)) != len(run_labels):
        order = np.argsort(g, kind="stable")
        g, yi, vi = g[order], yi[order], vi[order]
        starts = np.flatnonzero(g[1:] != g[:-1]) + 1
        run_labels = g[np.concatenate(([0], starts))]
    offsets = np.concatenate(([0], starts, [len(g)])).astype(np.uintp)
    return offsets, run_labels, yi, vi


def pool_batch(
    yi: ArrayLike,
    vi: ArrayLike,
    groups: Any = None,
    offsets: Any = None,
    k: Optional[int] = None,
    *,
    method: str = "REML",
    test: str = "z",
    level: float = 95,
    on_failure: str = "stop",
    output: str = "auto",
    tau2_control: str = "exact",
) -> Any:
    """Pool many independent analyses at once (the library's batch path), each with the
    inverse-variance fixed-effect model and the random-effects model ``method``.

    The analyses are delimited by ``groups`` (one label per study; each group's studies
    contiguous, else they are gathered by a stable sort), ``offsets`` (analysis ``a`` is
    studies ``offsets[a]:offsets[a+1]``) or a common ``k``. float64 contiguous ``yi``/``vi``
    are read in place (no copy), and the GIL is released while the batch computes, so other
    Python threads run meanwhile. The numbers are bit for bit those of ``rma`` on each
    analysis. The batch tests with z (``test="z"``).

    Returns a DataFrame (pandas when installed; ``output="polars"`` or ``"dict"`` of numpy
    arrays), one row per analysis: ``k``, the random-effects ``beta``, ``se``, ``ci_lb``,
    ``ci_ub``, ``zval``, ``pval``, the fixed-effect ones suffixed ``_fe``, and ``QE``, ``QEp``
    (NaN for one study), ``tau2``, ``I2``, ``H2``, ``tau2_iterations``; with ``groups``, a first
    column ``group``. ``tau2_control`` as for ``rma``.
    With ``on_failure="record"`` an analysis that cannot be pooled gets a row of NaN (k = 0)
    and is listed, with the reason, in ``attrs["failures"]`` (pandas) or ``["failures"]``.
    """
    y = _data.column(yi, None, "yi")
    v = _data.column(vi, None, "vi")
    if y is None or v is None:
        raise TypeError("pool_batch needs `yi` and `vi`")
    labels = None
    if groups is not None:
        offs, labels, y, v = _offsets_of_groups(groups, y, v)
    elif offsets is not None:
        offs = np.ascontiguousarray(offsets, dtype=np.uintp)
    else:
        offs = None
    cols, failures = _rs.pool_batch(y, v, offs, k, method, test, float(level), on_failure, tau2_control)
    if labels is not None:
        cols = {"group": labels, **cols}
    out = _data.frame(cols, output)
    if isinstance(out, dict):
        out["failures"] = failures
    elif hasattr(out, "attrs"):
        out.attrs["failures"] = failures
    return out
