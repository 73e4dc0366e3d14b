"""pool_batch: bit for bit the numbers of rma on each analysis, every layout (groups, offsets,
k), numpy arrays read in place, and its errors."""

import threading
import time

import numpy as np
import pytest

import metapool as mp

RNG = np.random.default_rng(20261207)


def data(n_analyses=200, k=6):
    lengths = RNG.integers(1, k + 1, n_analyses)
    n = int(lengths.sum())
    vi = RNG.uniform(0.01, 0.5, n)
    yi = RNG.normal(0.3, 0.4, n) + RNG.normal(0, np.sqrt(vi))
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.uintp)
    return yi, vi, offsets


@pytest.mark.parametrize("method", ["DL", "REML", "PM", "HE", "SJ"])
def test_bit_for_bit_equal_to_rma(method):
    yi, vi, offsets = data()
    out = mp.pool_batch(yi, vi, offsets=offsets, method=method, output="dict", on_failure="record")
    failed = {a for a, _ in out["failures"]}
    assert len(failed) < 5
    for a in range(len(offsets) - 1):
        if a in failed:
            assert out["k"][a] == 0 and np.isnan(out["beta"][a])
            continue
        s = slice(int(offsets[a]), int(offsets[a + 1]))
        re, fe = mp.rma(yi[s], vi[s], method=method), mp.rma(yi[s], vi[s], method="FE")
        assert out["k"][a] == re.k
        for col, fit in (("", re), ("_fe", fe)):
            assert out["beta" + col][a] == fit.beta
            assert out["se" + col][a] == fit.se
            assert out["ci_lb" + col][a] == fit.ci_lb
            assert out["ci_ub" + col][a] == fit.ci_ub
            assert out["zval" + col][a] == fit.zval
            assert out["pval" + col][a] == fit.pval
        assert out["tau2"][a] == re.tau2
        assert out["QE"][a] == re.QE
        assert out["I2"][a] == re.I2 and out["H2"][a] == re.H2
        if re.k == 1:
            assert np.isnan(out["QEp"][a])
        else:
            assert out["QEp"][a] == re.QEp


def test_groups_offsets_and_k_agree():
    yi, vi, offsets = data(50)
    lengths = np.diff(offsets.astype(np.int64))
    labels = np.repeat(np.arange(50) * 7, lengths)
    by_offsets = mp.pool_batch(yi, vi, offsets=offsets, method="DL", output="dict")
    by_groups = mp.pool_batch(yi, vi, groups=labels, method="DL", output="dict")
    assert np.array_equal(by_groups["group"], np.arange(50) * 7)
    for col in ("beta", "se", "tau2", "QE", "beta_fe"):
        assert np.array_equal(by_offsets[col], by_groups[col])
    # groups whose studies are not contiguous are gathered (stable: study order kept)
    perm = RNG.permutation(len(yi))
    shuffled = mp.pool_batch(yi[perm], vi[perm], groups=labels[perm], method="DL", output="dict")
    order = np.argsort(labels[perm], kind="stable")
    again = mp.pool_batch(yi[perm][order], vi[perm][order], groups=labels[perm][order], method="DL", output="dict")
    assert np.array_equal(shuffled["beta"], again["beta"])
    # a common k
    y, v = yi[:60], vi[:60]
    by_k = mp.pool_batch(y, v, k=6, method="REML", output="dict")
    by_off = mp.pool_batch(y, v, offsets=np.arange(0, 61, 6), method="REML", output="dict")
    assert np.array_equal(by_k["beta"], by_off["beta"])


def test_dataframe_output():
    pd = pytest.importorskip("pandas")
    yi, vi, offsets = data(10)
    out = mp.pool_batch(yi, vi, offsets=offsets, method="DL")
    assert isinstance(out, pd.DataFrame) and len(out) == 10
    assert list(out.columns[:2]) == ["k", "beta"] and out.attrs["failures"] == []


def test_inputs_are_not_copied_or_changed():
    yi, vi, offsets = data(20)
    before = (yi.copy(), vi.copy())
    yi.setflags(write=False)
    vi.setflags(write=False)  # read-only arrays are accepted: the batch only reads them
    mp.pool_batch(yi, vi, offsets=offsets, method="DL", output="dict")
    assert np.array_equal(yi, before[0]) and np.array_equal(vi, before[1])
    # lists and float32 are converted (one copy), with the same numbers as float64
    out32 = mp.pool_batch(yi.astype(np.float32), vi.astype(np.float32), offsets=offsets, method="DL", output="dict")
    out64 = mp.pool_batch(yi.astype(np.float32).astype(np.float64), vi.astype(np.float32).astype(np.float64),
                          offsets=offsets, method="DL", output="dict")
    assert np.array_equal(out32["beta"], out64["beta"])


def test_gil_released_other_threads_run():
    """Another Python thread runs while the batch computes: it records times all through the
    middle of the call (a call holding the GIL would let it run only at the call's edges)."""
    yi = RNG.normal(size=400_000)
    vi = RNG.uniform(0.01, 0.5, 400_000)
    stamps = []
    done = threading.Event()

    def count():
        while not done.is_set():
            stamps.append(time.perf_counter())

    t = threading.Thread(target=count)
    t.start()
    try:
        t0 = time.perf_counter()
        mp.pool_batch(yi, vi, k=10, method="REML", output="dict", on_failure="record")
        t1 = time.perf_counter()
    finally:
        done.set()
        t.join()
    lo, hi = t0 + 0.3 * (t1 - t0), t0 + 0.7 * (t1 - t0)
    assert any(lo <= s <= hi for s in stamps), f"no Python thread ran during the middle of a {t1 - t0:.3f} s call"


def test_errors():
    yi, vi, offsets = data(5)
    with pytest.raises(mp.InvalidParameterError, match="offsets do not start at 0"):
        mp.pool_batch(yi, vi, offsets=offsets + 1, method="DL")
    with pytest.raises(mp.InvalidParameterError, match="multiple of k"):
        mp.pool_batch(yi[:7], vi[:7], k=3)
    with pytest.raises(mp.UndefinedError, match="t-based test"):
        mp.pool_batch(yi, vi, offsets=offsets, test="knha")
    with pytest.raises(mp.InvalidParameterError, match="tau² estimator"):
        mp.pool_batch(yi, vi, offsets=offsets, method="XYZ")
    bad = vi.copy()
    bad[offsets[3] + 0] = -1.0
    with pytest.raises(mp.InvalidStudyError, match="analysis 3") as e:
        mp.pool_batch(yi, bad, offsets=offsets, method="DL")
    assert e.value.analysis == 3 and e.value.study == 0
    out = mp.pool_batch(yi, bad, offsets=offsets, method="DL", on_failure="record", output="dict")
    assert [a for a, _ in out["failures"]] == [3] and out["k"][3] == 0
