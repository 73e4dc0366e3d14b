"""Result containers: tables of sensitivity analyses and SVG figures."""

from __future__ import annotations

from typing import Any, Dict, Iterator

import numpy as np

from . import _data


class Table:
    """Columns of a sensitivity analysis (metafor's names) with the library's printed table.

    ``table["estimate"]`` is a numpy array; ``str(table)`` is the library's text;
    ``table.to_frame()`` a pandas (or polars, ``output="polars"``) DataFrame.
    """

    def __init__(self, columns: Dict[str, Any], text: str) -> None:
        self.columns: Dict[str, np.ndarray] = {k: np.asarray(v) for k, v in columns.items()}
        self.text = text

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        first = next(iter(self.columns.values()), np.empty(0))
        return len(first)

    def keys(self):
        return self.columns.keys()

    def to_frame(self, output: str = "auto") -> Any:
        """The columns as a DataFrame (see ``metapool.pool_batch`` for ``output``)."""
        return _data.frame(self.columns, output)

    def summary(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


class SVG:
    """An SVG document: ``str(svg)`` is its text, Jupyter shows it (``_repr_svg_``),
    ``svg.save(path)`` writes it."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_svg_(self) -> str:
        return self.data

    def __str__(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return f"<SVG {len(self.data)} characters>"

    def save(self, path: str) -> None:
        """Write the SVG text to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.data)
