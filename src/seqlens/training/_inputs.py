"""Input checks at the public boundary of :mod:`seqlens.training` (on :mod:`seqlens.validation`)."""

from __future__ import annotations

import numpy as np
import torch

from ..errors import DataFormatError
from ..validation import as_sequence_tensor


def as_inputs(X, name: str = "X", one_hot: bool = True) -> torch.Tensor:
    """Return ``X`` as a float32 CPU tensor ``(N, 4, L)``; raise on a wrong shape or content.

    ``one_hot=False`` accepts any finite values (e.g. already perturbed inputs).
    """
    X = X.detach().cpu() if isinstance(X, torch.Tensor) else X
    return as_sequence_tensor(X, name, one_hot=one_hot, dtype=torch.float32)


def as_labels(y, n: int, name: str = "y") -> torch.Tensor:
    """Return binary labels as a float32 CPU tensor ``(n, T)`` (a 1-D ``(n,)`` becomes ``(n, 1)``)."""
    y = y.detach().cpu() if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != n:
        raise DataFormatError(f"{name} must have shape ({n}, T) to match its sequences, got {tuple(y.shape)}")
    y = y.to(torch.float32)
    if not torch.isfinite(y).all() or ((y < 0) | (y > 1)).any():
        raise DataFormatError(f"{name} must hold labels in [0, 1] (binary targets for BCE)")
    return y
