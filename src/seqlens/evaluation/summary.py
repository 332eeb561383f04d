"""Mean +- SD summaries of per-sequence (or per-model) score tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataFormatError


def summarize(table: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean and SD of each score column of ``table``, NaN rows left out and counted.

    Parameters
    ----------
    table : per-sequence table as returned by the scoring functions (one row per sequence).
    columns : the score columns to summarise; default every float column.

    Returns
    -------
    DataFrame indexed by column name with ``mean``, ``sd`` (population SD, ``ddof=0``, as
    ``numpy.std`` in the original papers' code), ``n`` (rows with a value) and ``n_nan``
    (rows left out because the score is undefined, e.g. a sequence without positives).
    """
    if columns is None:
        columns = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataFormatError(f"table has no column(s) {missing}; it has {list(table.columns)}")
    rows = {}
    for column in columns:
        values = table[column].to_numpy(dtype=np.float64)
        valid = values[~np.isnan(values)]
        rows[column] = {
            "mean": float(valid.mean()) if valid.size else float("nan"),
            "sd": float(valid.std()) if valid.size else float("nan"),
            "n": int(valid.size),
            "n_nan": int(values.size - valid.size),
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "sd", "n", "n_nan"])
