"""Shared plumbing for attribution methods: input checks, model state, targets, batching.

The public functions in this package validate their inputs here, run the model inside
:func:`model_state` (eval mode on the chosen device; original device and per-module
train/eval flags restored on exit, also on error) and select the target output with
:func:`select_target`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from ..errors import SeqlensError
from ..models.state import model_state as _model_state
from ..progress import track
from ..validation import as_sequence_tensor, check_device


@contextmanager
def model_state(model: torch.nn.Module, device=None, training: bool = False) -> Iterator[torch.device]:
    """:func:`seqlens.models.state.model_state` (eval mode on ``device``, device and modes
    restored on exit) for the attribution methods, which take all plumbing from here.

    ``device`` is checked first (:func:`seqlens.validation.check_device`: a one-line
    :class:`SeqlensError` for ``"gpu"``, ``"cuda"`` without CUDA, ``"meta"``, ...), before
    the model moves. The body runs outside ``torch.inference_mode`` even when the caller is
    inside it, so gradient methods work there (ISM and the prediction functions enter
    inference mode themselves); a model whose weights are inference tensors (made under
    ``torch.inference_mode``) cannot give gradients: that is a one-line SeqlensError too.
    """
    device = check_device(device)
    caller_inference = torch.is_inference_mode_enabled()
    with _model_state(model, device, training) as dev, torch.inference_mode(False):
        try:
            yield dev
        except RuntimeError as exc:
            if "nference tensor" not in str(exc):
                raise
            if any(t.is_inference() for t in (*model.parameters(), *model.buffers())):
                raise SeqlensError(
                    "the model's weights are inference tensors (made or loaded under torch.inference_mode), "
                    "so no gradient flows through them; create or load the model outside inference_mode"
                ) from exc
            if caller_inference:
                raise SeqlensError(
                    "this attribution method needs gradients and cannot run inside torch.inference_mode; "
                    "call it outside (torch.no_grad is fine)"
                ) from exc
            raise


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
    index = target.to(y.device)[:, None]
    if index.is_inference() and not torch.is_inference_mode_enabled():
        index = index.clone()  # made under the caller's inference_mode: gather saves it for backward
    return y.gather(1, index)[:, 0]


def input_gradients(model, X: torch.Tensor, target: torch.Tensor, func=None) -> torch.Tensor:
    """Gradient of the selected outputs w.r.t. the batch ``X`` ``(B, 4, L)``; ``(B, 4, L)``.

    ``X`` must already be on the model's device and in its dtype. The model's weights get
    no ``.grad`` (only the input gradient is requested). Works under ``torch.no_grad`` and
    ``torch.inference_mode`` (an inference tensor ``X`` is copied first).
    """
    with torch.inference_mode(False):
        X = (X.clone() if X.is_inference() else X.detach()).requires_grad_(True)
    with torch.inference_mode(False), torch.enable_grad():
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
