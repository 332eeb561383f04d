"""Train / valid / test splits: the one implementation every dataset builder uses.

:func:`split_rows` shuffles ``N`` rows with a seed and cuts them into train, valid and test
(in that order of the permutation); :func:`split_arrays` applies it to arrays, and the
synthetic generators apply it to their sequences with ground truth and motif sites, so the
same seed and fractions always give the same rows in the same splits.
"""

from __future__ import annotations

import numpy as np

from ..alphabet import as_rng
from ..errors import DataFormatError
from .containers import SPLITS, SeqDataset, Split


def split_sizes(n: int, valid_fraction: float = 0.1, test_fraction: float = 0.2) -> dict[str, int]:
    """Rows per split: valid and test get ``round(n * fraction)``, train the rest.

    A fraction of 0 gives an empty split; a positive fraction that rounds to no rows, or
    an empty train split, raises :class:`DataFormatError`.
    """
    for what, frac in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not np.isfinite(frac) or not 0 <= frac < 1:
            raise DataFormatError(f"{what} must be in [0, 1), got {frac}")
    if valid_fraction + test_fraction >= 1:
        raise DataFormatError(f"valid_fraction + test_fraction must be < 1, got {valid_fraction} + {test_fraction}")
    n_valid, n_test = round(n * valid_fraction), round(n * test_fraction)
    sizes = {"train": n - n_valid - n_test, "valid": n_valid, "test": n_test}
    fractions = {"train": 1 - valid_fraction - test_fraction, "valid": valid_fraction, "test": test_fraction}
    empty = [name for name in SPLITS if fractions[name] > 0 and sizes[name] <= 0]
    if empty:
        raise DataFormatError(
            f"n={n} is too small for split fractions valid {valid_fraction}, test {test_fraction}: "
            f"split {empty[0]!r} would be empty"
        )
    return sizes


def split_rows(
    n: int, valid_fraction: float = 0.1, test_fraction: float = 0.2, seed: int | np.random.Generator | None = None
) -> dict[str, np.ndarray]:
    """Shuffle ``range(n)`` with ``seed`` and cut it into ``{"train", "valid", "test"}`` row arrays.

    Sizes are :func:`split_sizes`; rows are taken from the permutation in the order train,
    valid, test.
    """
    sizes = split_sizes(n, valid_fraction, test_fraction)
    order = as_rng(seed).permutation(n)
    bounds = np.cumsum([0, sizes["train"], sizes["valid"], sizes["test"]])
    return {name: order[bounds[i] : bounds[i + 1]] for i, name in enumerate(SPLITS)}


def split_arrays(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str] | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int | np.random.Generator | None = None,
    task_names: list[str] | None = None,
    metadata: dict | None = None,
) -> SeqDataset:
    """Shuffle ``X`` ``(N, 4, L)`` and ``y`` ``(N, T)`` with ``seed`` and split them (:func:`split_rows`)."""
    rows = split_rows(len(X), valid_fraction, test_fraction, seed)
    whole = Split(X=X, y=y, names=names)
    return SeqDataset(
        **{name: whole.subset(part) for name, part in rows.items()},
        task_names=task_names or [],
        metadata=metadata or {},
    )
