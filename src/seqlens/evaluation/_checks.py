"""Input checks shared by the evaluation functions (the public boundary of the package).

Every evaluation function takes numpy arrays or torch tensors and works on float64 numpy
copies, so the scores do not depend on the dtype the caller happened to use.
"""

from __future__ import annotations

import numpy as np
import torch

from ..alphabet import validate_one_hot
from ..errors import DataFormatError, SeqlensError


def as_array(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``x`` (numpy or torch) as a finite float64 numpy array with ``ndim`` dimensions."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataFormatError(f"{name} must be a numeric array, got {type(x).__name__}") from None
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and arr.ndim not in allowed:
        raise DataFormatError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataFormatError(f"{name} contains NaN or infinite values")
    return arr


def as_maps(x, name: str) -> np.ndarray:
    """A batch of per-letter maps ``(N, 4, L)`` as float64."""
    arr = as_array(x, name, ndim=3)
    if arr.shape[1] != 4:
        raise DataFormatError(f"{name} must have shape (N, 4, L), got {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[2] == 0:
        raise DataFormatError(f"{name} is empty: shape {arr.shape}")
    return arr


def as_ground_truth(x, name: str = "ground_truth") -> np.ndarray:
    """Ground-truth sequence models ``(N, 4, L)``: columns are probabilities summing to 1."""
    arr = as_maps(x, name)
    if (arr < 0).any() or (arr > 1 + 1e-6).any():
        raise DataFormatError(f"{name} must hold probabilities in [0, 1]")
    sums = arr.sum(axis=1)
    bad = np.abs(sums - 1) > 1e-3
    if bad.any():
        n, pos = np.argwhere(bad)[0]
        raise DataFormatError(
            f"{name} is not a probability matrix: sequence {n}, position {pos} sums to {sums[n, pos]:.4g}"
        )
    return arr


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise when two arrays that describe the same sequences differ in shape."""
    if a.shape != b.shape:
        raise DataFormatError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}")


def as_one_hot(x, name: str = "X") -> np.ndarray:
    """One-hot DNA ``(N, 4, L)`` as float64 (N columns, all zero or 0.25, are allowed)."""
    arr = as_maps(x, name)
    validate_one_hot(arr, name=name)
    return arr


def check_positive_int(value, name: str) -> int:
    """``value`` as an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SeqlensError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
