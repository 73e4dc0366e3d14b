"""Per-group pooling of a PySpark DataFrame with metapool's batch path.

``pool(df, by, yi, vi, ...)`` returns a Spark DataFrame with one row per group: the key
columns, then the columns of ``metapool.pool_batch`` (``k``, ``beta``, ``se``, ``ci_lb``,
``ci_ub``, ``zval``, ``pval``, their fixed-effect ``_fe`` twins, ``QE``, ``QEp``, ``tau2``,
``I2``, ``H2``) and ``error`` (null, or the library's message for a group that could not be
pooled, whose numbers are then NaN).

How it runs: the rows are hash-partitioned by the key (``repartition``), sorted within each
partition by the key (and ``order``), and each partition is streamed through ``mapInArrow``:
every Arrow record batch is cut at the group boundaries and its complete groups go to
``pool_batch`` in one call (numpy views of the Arrow buffers, GIL released), the group cut by
the batch's end being carried into the next batch. So there is one Python call per record
batch (10,000 rows by default, ``spark.sql.execution.arrow.maxRecordsPerBatch``), not per
group, and memory holds one batch per task.

Where the cost goes: the shuffle of the (key, yi, vi) rows and the sort within partitions,
the Arrow transfer between the JVM and the Python workers, and the pooling itself, which is
the single-machine batch's cost per analysis. It scales with the number of executor cores:
each task pools its partitions independently. On a cluster, ship the wheel with the job
(``spark-submit --py-files metapool-*.whl`` or an environment with the wheel installed on
every executor, e.g. ``pip install metapool-*.whl`` in the executors' image).

Results equal ``metapool.pool_batch`` on the same analyses bit for bit, provided each group's
studies reach the batch in the same order: give ``order`` (e.g. a study index column), since
Spark's shuffle does not keep the input order within a group.
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Sequence, Union

import numpy as np

from . import _metapool as _rs

_RESULT_COLUMNS = (
    ["k"]
    + [f"{c}{s}" for s in ("", "_fe") for c in ("beta", "se", "ci_lb", "ci_ub", "zval", "pval")]
    + ["QE", "QEp", "tau2", "I2", "H2"]
)
# Integer columns after the numbers: iterations of the tau² estimator (0 for closed forms).
_COUNT_COLUMNS = ["tau2_iterations"]


def _group_starts(keys: List[np.ndarray]) -> np.ndarray:
    """Row positions where a new group starts (0 first) in rows sorted by the keys."""
    n = len(keys[0])
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
    for key in keys:
        if n > 1:
            change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def _pool_rows(table, keys: Sequence[str], yi: str, vi: str, method: str, test: str, level: float,
               tau2_control: str = "exact"):
    """Pool the complete groups of an Arrow table sorted by the keys: an Arrow record batch
    of one row per group."""
    import pyarrow as pa

    key_arrays = [table.column(k).to_numpy() for k in keys]
    starts = _group_starts(key_arrays)
    offsets = np.append(starts, table.num_rows).astype(np.uintp)
    y = np.ascontiguousarray(table.column(yi).to_numpy(), dtype=np.float64)
    v = np.ascontiguousarray(table.column(vi).to_numpy(), dtype=np.float64)
    cols, failures = _rs.pool_batch(y, v, offsets, None, method, test, float(level), "record", tau2_control)
    error: List[Optional[str]] = [None] * len(starts)
    for a, message in failures:
        error[a] = message
    arrays = [table.column(k).take(pa.array(starts)) for k in keys]
    arrays.append(pa.array(np.asarray(cols["k"]).astype(np.int64)))
    arrays += [pa.array(np.asarray(cols[c], dtype=np.float64)) for c in _RESULT_COLUMNS[1:]]
    arrays += [pa.array(np.asarray(cols[c]).astype(np.int64)) for c in _COUNT_COLUMNS]
    arrays.append(pa.array(error, type=pa.string()))
    names = list(keys) + _RESULT_COLUMNS + _COUNT_COLUMNS + ["error"]
    return pa.RecordBatch.from_arrays([a.combine_chunks() if hasattr(a, "combine_chunks") else a for a in arrays], names=names)


def _partition_pooler(keys: Sequence[str], yi: str, vi: str, method: str, test: str, level: float):
    def run(batches: Iterator) -> Iterator:
        import pyarrow as pa

        carry = None
        for batch in batches:
            table = pa.Table.from_batches([batch])
            if carry is not None:
                table = pa.concat_tables([carry, table])
            if table.num_rows == 0:
                continue
            starts = _group_starts([table.column(k).to_numpy() for k in keys])
            last = int(starts[-1])
            # the last group may go on in the next batch: carry it
            if last > 0:
                yield _pool_rows(table.slice(0, last), keys, yi, vi, method, test, level)
            carry = table.slice(last)
        if carry is not None and carry.num_rows:
            yield _pool_rows(carry, keys, yi, vi, method, test, level)

    return run


def pool(
    df,
    by: Union[str, Sequence[str]],
    yi: str,
    vi: str,
    *,
    order: Optional[str] = None,
    method: str = "REML",
    test: str = "z",
    level: float = 95,
    partitions: Optional[int] = None,
):
    """Pool every group of ``df`` (the groups of the columns ``by``) with the inverse-variance
    fixed-effect model and the random-effects model ``method`` (z test), as
    ``metapool.pool_batch`` does on one machine. ``order`` names a column that orders the
    studies within a group (for results bit for bit equal to the single-machine batch).
    ``partitions`` sets the number of partitions of the shuffle (Spark's default otherwise).
    See the module's docstring for how it scales."""
    from pyspark.sql import types as T

    keys = [by] if isinstance(by, str) else list(by)
    in_schema = {f.name: f.dataType for f in df.schema.fields}
    for c in keys + [yi, vi] + ([order] if order else []):
        if c not in in_schema:
            raise KeyError(f"the DataFrame has no column {c!r}")
    fields = [T.StructField(k, in_schema[k]) for k in keys]
    fields.append(T.StructField("k", T.LongType()))
    fields += [T.StructField(c, T.DoubleType()) for c in _RESULT_COLUMNS[1:]]
    fields += [T.StructField(c, T.LongType()) for c in _COUNT_COLUMNS]
    fields.append(T.StructField("error", T.StringType()))
    schema = T.StructType(fields)
    cols = keys + [yi, vi] + ([order] if order else [])
    rows = df.select(*cols)
    rows = rows.repartition(partitions, *keys) if partitions else rows.repartition(*keys)
    rows = rows.sortWithinPartitions(*(keys + ([order] if order else [])))
    return rows.mapInArrow(_partition_pooler(keys, yi, vi, method, test, level), schema)
