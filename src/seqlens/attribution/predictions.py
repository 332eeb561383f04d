"""The model's target outputs for a set of sequences: the quantity every perturbation measures.

ISM, global importance analysis and occlusion all compare ``f(x edited)`` with ``f(x)``, where
``f`` is the model's output for one target (after an optional ``func``). This is that ``f``,
batched, on the model's device, with the model's device and mode restored.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..validation import check_int
from ._core import check_target, check_X, model_dtype, model_state, progress, row_chunks, select_target


def target_outputs(
    model: nn.Module,
    X,
    target: int | torch.Tensor | None = 0,
    func: Callable | None = None,
    batch_size: int = 256,
    device=None,
    verbose: bool = False,
) -> torch.Tensor:
    """Outputs of ``model`` for ``X`` ``(N, 4, L)`` (numpy or tensor, integer one-hot cast).

    ``func`` is applied to the model's output first (e.g. ``torch.sigmoid``, or picking one
    head of a model returning a tuple). With ``target`` an int or a LongTensor ``(N,)``
    returns ``(N,)``: each sequence's target output; with ``target=None`` returns every
    output ``(N, T)``. CPU tensors in the model's dtype; the model runs in eval mode under
    ``torch.inference_mode``.
    """
    X = check_X(X)
    batch_size = check_int(batch_size, "batch_size")
    targets = None if target is None else check_target(target, X.shape[0])
    dtype = model_dtype(model)
    out = []
    with model_state(model, device) as dev, torch.inference_mode():
        chunks = list(row_chunks(X.shape[0], batch_size))
        for rows in progress(chunks, len(chunks), verbose, "predict"):
            y = model(X[rows].to(dev, dtype))
            if targets is None:
                y = func(y) if func is not None else y
                out.append(y.reshape(y.shape[0], -1).cpu())
            else:
                out.append(select_target(y, targets[rows], func).cpu())
    return torch.cat(out)
