"""Column handling: numpy arrays, lists, pandas or polars DataFrames in; DataFrames out."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import numpy as np


def _is_pandas(obj: Any) -> bool:
    return type(obj).__module__.startswith("pandas") and hasattr(obj, "columns")


def _is_polars(obj: Any) -> bool:
    return type(obj).__module__.startswith("polars") and hasattr(obj, "columns")


def is_frame(obj: Any) -> bool:
    """Whether ``obj`` is a pandas or polars DataFrame."""
    return _is_pandas(obj) or _is_polars(obj)


def column(value: Any, data: Any = None, name: str = "") -> Optional[np.ndarray]:
    """``value`` as a float64 array: a column name of ``data``, or an array-like.

    Returns None for None. Lists, tuples, numpy arrays, pandas/polars Series are accepted;
    a float64 contiguous numpy array is returned as it is (no copy).
    """
    if value is None:
        return None
    if isinstance(value, str):
        if data is None:
            raise TypeError(f"`{name}` is the column name {value!r} but no `data` was given")
        if value not in list(data.columns):
            raise KeyError(f"`{name}`: `data` has no column {value!r}")
        value = data[value]
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.ascontiguousarray(value, dtype=np.float64)


def values(value: Any, data: Any = None, name: str = "") -> Optional[list]:
    """``column(value, data, name)`` as a list of floats (None for None)."""
    col = column(value, data, name)
    return None if col is None else col.tolist()


def labels(value: Any, data: Any = None) -> Optional[list]:
    """Study labels (``slab``): a column name of ``data`` or a sequence, as strings."""
    if value is None:
        return None
    if isinstance(value, str) and data is not None and value in list(data.columns):
        value = data[value]
    if hasattr(value, "to_list"):
        value = value.to_list()
    elif hasattr(value, "tolist"):
        value = value.tolist()
    return [str(v) for v in value]


def frame(columns: Mapping[str, Any], output: str = "auto", like: Any = None) -> Any:
    """Columns as a DataFrame: ``output`` is "pandas", "polars", "dict" (numpy arrays) or
    "auto" (polars if ``like`` is a polars frame, else pandas when installed, else dict)."""
    if output == "auto":
        if _is_polars(like):
            output = "polars"
        else:
            try:
                import pandas  # noqa: F401

                output = "pandas"
            except ImportError:
                output = "dict"
    cols: Dict[str, Any] = {k: np.asarray(v) if not isinstance(v, np.ndarray) else v for k, v in columns.items()}
    if output == "pandas":
        import pandas as pd

        return pd.DataFrame(cols, copy=False)
    if output == "polars":
        import polars as pl

        return pl.DataFrame(cols)
    if output in ("dict", "numpy"):
        return cols
    raise ValueError(f"output must be 'auto', 'pandas', 'polars' or 'dict', got {output!r}")


def append(data: Any, columns: Mapping[str, np.ndarray]) -> Any:
    """``data`` (a pandas or polars DataFrame) with ``columns`` added, as metafor's escalc
    appends yi and vi to its ``data``."""
    if _is_polars(data):
        import polars as pl

        return data.with_columns([pl.Series(k, v) for k, v in columns.items()])
    out = data.copy()
    for k, v in columns.items():
        out[k] = v
    return out
