#!/usr/bin/env python3
"""metapool.pool_batch against the Rust batch path, a statsmodels combine_effects loop and
PyMARE, all in one run, on N analyses of k = 10 (DerSimonian-Laird: FE + DL + Q + CI + p).

    python3 benches/compare/python_batch.py [--analyses 1000000] [--repeats 5] [--spark 0]

Repeated measurements start with one untimed warm-up call. Times are CPU time of the
computing thread (``time.thread_time`` for pool_batch, which
computes in the calling thread with the GIL released; ``process_time`` for the Python loops;
the Rust example's own schedstat CPU time), best of ``--repeats``, so that the other work on
a shared machine is left out; wall times are printed beside them. statsmodels is a loop over
the first 2,000 analyses and extrapolated. PyMARE fits the analyses as columns of one
(k, N) array (its vectorised path), on the first 100,000 analyses, extrapolated.
``--spark N`` also times metapool.spark.pool on N analyses in local[2] mode.
"""

import argparse
import re
import subprocess
import time
from pathlib import Path

import numpy as np

import metapool as mp

ROOT = Path(__file__).resolve().parents[2]


def best(f, repeats, clock):
    if repeats > 1:
        f()  # warm-up, untimed: the first calls grow the allocator's heap (page faults)
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = clock(), time.perf_counter()
        f()
        cpu.append(clock() - c)
        wall.append(time.perf_counter() - w)
    return min(cpu), min(wall)


def rust_batch(n, k, repeats, fresh=False):
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "--example", "batch_throughput", str(n), str(k), str(repeats),
         "1" if fresh else "0"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    times = {}
    for what in ("wall time", "time on CPU"):
        m = re.search(rf"{what}: best ([0-9.]+) s", out)
        if m:
            times[what] = float(m.group(1))
    return times.get("time on CPU"), times.get("wall time")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--analyses", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--spark", type=int, default=0)
    a = ap.parse_args()
    n, k = a.analyses, 10
    rng = np.random.default_rng(1)
    v = rng.uniform(0.01, 0.5, n * k)
    y = rng.normal(0.2, 0.3, n * k) + rng.normal(0, np.sqrt(v))
    rows = []

    rc, rw = rust_batch(n, k, a.repeats)
    rows.append(("Rust BatchPooler::pool (examples/batch_throughput, buffers reused)", rc, rw, n))
    rc2, rw2 = rust_batch(n, k, a.repeats, fresh=True)
    rows.append(("Rust BatchPooler::pool into new BatchResults each call", rc2, rw2, n))
    pc, pw = best(lambda: mp.pool_batch(y, v, k=k, method="DL", output="dict"), a.repeats, time.thread_time)
    rows.append(("metapool.pool_batch (numpy in place, GIL released)", pc, pw, n))
    pc2, pw2 = best(lambda: mp.pool_batch(y, v, k=k, method="DL"), a.repeats, time.thread_time)
    rows.append(("metapool.pool_batch -> pandas DataFrame", pc2, pw2, n))

    from statsmodels.stats.meta_analysis import combine_effects

    m = min(2000, n)

    def sm_loop():
        for i in range(m):
            combine_effects(y[i * k:(i + 1) * k], v[i * k:(i + 1) * k], method_re="chi2", use_t=False)

    sc, sw = best(sm_loop, 1, time.process_time)
    rows.append((f"statsmodels combine_effects loop (first {m}, extrapolated)", sc * n / m, sw * n / m, n))

    try:
        from pymare.estimators import DerSimonianLaird

        mm = min(100_000, n)
        Y = y[: mm * k].reshape(mm, k).T.copy()
        V = v[: mm * k].reshape(mm, k).T.copy()
        X = np.ones((k, 1))
        pc3, pw3 = best(lambda: DerSimonianLaird().fit(y=Y, v=V, X=X).summary(), 1, time.process_time)
        rows.append((f"PyMARE DerSimonianLaird, vectorised (first {mm}, extrapolated)", pc3 * n / mm, pw3 * n / mm, n))
    except Exception as e:  # noqa: BLE001
        print(f"PyMARE not run: {e}")

    ref = rows[2][1]
    print(f"\n{n:,} analyses of k = {k}, DL; CPU time (best of {a.repeats} where repeated)\n")
    print("| tool | CPU s | wall s | analyses/s (CPU) | tool time / pool_batch time |")
    print("|---|---:|---:|---:|---:|")
    for name, c, w, cnt in rows:
        print(f"| {name} | {c:.3f} | {w:.3f} | {cnt / c:,.0f} | {c / ref:.2f} |")

    if a.spark:
        from pyspark.sql import SparkSession
        import metapool.spark

        s = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "8g")
            .config("spark.sql.shuffle.partitions", "8")
            .getOrCreate()
        )
        ns = a.spark
        g = np.repeat(np.arange(ns, dtype=np.int64), k)
        st = np.tile(np.arange(k, dtype=np.int64), ns)
        import tempfile

        import pyarrow as pa
        import pyarrow.parquet as pq

        t = time.perf_counter()
        path = Path(tempfile.mkdtemp()) / "studies.parquet"
        pq.write_table(pa.table({"g": g, "s": st, "yi": y[: ns * k], "vi": v[: ns * k]}), path)
        df = s.read.parquet(str(path)).cache()
        df.count()
        print(f"\nSpark: {ns * k:,} rows into a cached DataFrame (through Parquet) in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        out = metapool.spark.pool(df, "g", "yi", "vi", order="s", method="DL").toPandas()
        ws = time.perf_counter() - t
        want = mp.pool_batch(y[: ns * k], v[: ns * k], groups=g, method="DL")
        out = out.sort_values("g").reset_index(drop=True)
        same = all(np.array_equal(out[c].to_numpy(dtype=float), want[c].to_numpy(dtype=float), equal_nan=True)
                   for c in want.columns[1:])
        print(f"Spark results equal pool_batch bit for bit: {same}")
        t = time.perf_counter()
        mp.pool_batch(y[: ns * k], v[: ns * k], k=k, method="DL")
        wb = time.perf_counter() - t
        print(f"\nSpark local[2]: {ns:,} analyses in {ws:.1f} s wall ({ns / ws:,.0f} analyses/s, {len(out):,} rows), "
              f"single-process pool_batch {wb:.3f} s: Spark overhead x{ws / wb:.0f}")
        s.stop()


if __name__ == "__main__":
    main()
