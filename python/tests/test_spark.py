"""metapool.spark.pool in local[2] mode equals pool_batch on the same analyses bit for bit.
The size here is small for CI (METAPOOL_SPARK_ANALYSES, default 20,000 analyses, with record
batches of 1,000 rows so that groups straddle batches); benches/compare/spark.py measures at
1,000,000."""

import os
import shutil

import numpy as np
import pytest

import metapool as mp

pyspark = pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

from pyspark.sql import SparkSession  # noqa: E402

import metapool.spark  # noqa: E402

N = int(os.environ.get("METAPOOL_SPARK_ANALYSES", "20000"))


@pytest.fixture(scope="module")
def spark():
    s = (
        SparkSession.builder.master("local[2]")
        .appName("metapool-test")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield s
    s.stop()


def test_spark_pool_equals_batch(spark):
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 11, N)
    group = np.repeat(np.arange(N, dtype=np.int64), lengths)
    study = np.concatenate([np.arange(n) for n in lengths]).astype(np.int64)
    vi = rng.uniform(0.01, 0.5, len(group))
    yi = rng.normal(0.2, 0.3, len(group)) + rng.normal(0, np.sqrt(vi))
    vi[np.searchsorted(group, 5)] = -1.0  # one invalid study: analysis 5 fails, the rest go on
    pdf = pd.DataFrame({"variant": group, "study": study, "yi": yi, "vi": vi})
    df = spark.createDataFrame(pdf.sample(frac=1.0, random_state=1))  # rows in any order
    got = mp.spark.pool(df, "variant", "yi", "vi", order="study", method="REML").toPandas()
    got = got.sort_values("variant").reset_index(drop=True)
    want = mp.pool_batch(yi, vi, groups=group, method="REML", on_failure="record")
    assert len(got) == N
    assert np.array_equal(got["variant"].to_numpy(), want["group"].to_numpy())
    for col in want.columns[1:]:
        a, b = got[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float)
        assert np.array_equal(a.view(np.int64), b.view(np.int64)) or np.array_equal(a, b, equal_nan=True), col
    failed = {a for a, _ in want.attrs["failures"]}
    assert 5 in failed
    assert set(np.flatnonzero(got["error"].notna().to_numpy())) == failed
    assert "study 0" in got.loc[5, "error"]
