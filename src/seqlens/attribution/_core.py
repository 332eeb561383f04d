"""Shared plumbing for attribution methods: input checks, model state, targets, batching.

The public functions in this package validate their inputs here, run the model inside
:func:`model_state` (eval mode on the chosen device; original device and per-module
train/eval flags restored on exit, also on error) and select the target output with
:func:`select_target`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from ..errors import SeqlensError
from ..models.state import model_state as model_state  # the methods take all plumbing from here
from ..progress import track
from ..validation import as_sequence_tensor


def check_X(X) -> torch.Tensor:
    """``X`` (tensor or numpy) as a floating ``(N, 4, L)`` tensor with ``N, L >= 1``.

    Integer inputs (uint8 one-hot) become float32; see ``seqlens.validation.as_sequence_tensor``.
    """
    return as_sequence_tensor(X, "X")


def check_target(target, n: int) -> torch.Tensor:
    """Turn ``target`` (int, or integer tensor ``(N,)``) into a CPU LongTensor ``(n,)``."""
    if isinstance(target, torch.Tensor):
        if target.dtype.is_floating_point or target.dtype == torch.bool or target.dtype.is_complex:
            raise SeqlensError(f"target tensor must hold integers, got dtype {target.dtype}")
        if target.ndim == 0:
            target = target.reshape(1).expand(n)
        if target.shape != (n,):
            raise SeqlensError(f"target tensor must have shape ({n},), got {tuple(target.shape)}")
        target = target.detach().cpu().long()
    elif isinstance(target, int) and not isinstance(target, bool):
        target = torch.full((n,), target, dtype=torch.long)
    else:
        raise SeqlensError(f"target must be an int or an integer tensor of shape ({n},), got {target!r}")
    if (target < 0).any():
        raise SeqlensError(f"target must be >= 0, got {int(target.min())}")
    return target


def model_dtype(model: torch.nn.Module) -> torch.dtype:
    """The dtype of the model's first floating parameter (float32 for a parameter-free model)."""
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.float32


def select_target(y: torch.Tensor, target: torch.Tensor, func: Callable | None = None) -> torch.Tensor:
    """Pick ``y[i, target[i]]`` from model outputs ``(B, T)`` (``func`` applied first).

    ``(B,)`` outputs count as one target; trailing axes of length 1 are dropped. Returns
    ``(B,)``. ``target`` is a LongTensor ``(B,)`` on any device.
    """
    if func is not None:
        y = func(y)
    if not isinstance(y, torch.Tensor):
        raise SeqlensError(f"model (after func) must return a tensor, got {type(y).__name__}; pass func= to reduce it")
    if y.ndim == 1:
        y = y[:, None]
    elif y.ndim > 2:
        if y.shape[2:].numel() != 1:
            raise SeqlensError(f"model (after func) must return (N, T) outputs, got shape {tuple(y.shape)}; pass func= to reduce it")
        y = y.reshape(y.shape[0], y.shape[1])
    if int(target.max()) >= y.shape[1]:
        raise SeqlensError(f"target {int(target.max())} out of range for a model with {y.shape[1]} outputs")
    return y.gather(1, target.to(y.device)[:, None])[:, 0]


def input_gradients(model, X: torch.Tensor, target: torch.Tensor, func=None) -> torch.Tensor:
    """Gradient of the selected outputs w.r.t. the batch ``X`` ``(B, 4, L)``; ``(B, 4, L)``.

    ``X`` must already be on the model's device and in its dtype. The model's weights get
    no ``.grad`` (only the input gradient is requested).
    """
    X = X.detach().requires_grad_(True)
    with torch.enable_grad():
        y = select_target(model(X), target, func)
        (grad,) = torch.autograd.grad(y.sum(), X)
    return grad


def row_chunks(n_rows: int, batch_size: int) -> Iterator[slice]:
    """Slices ``[start, start + batch_size)`` covering ``range(n_rows)``."""
    for start in range(0, n_rows, batch_size):
        yield slice(start, min(start + batch_size, n_rows))


def progress(iterable, total: int, verbose: bool, description: str):
    """Wrap ``iterable`` in the shared stderr progress bar (``seqlens.progress.track``) when ``verbose``."""
    return track(iterable, total, description, enabled=verbose)
