"""Predictions and per-output classification scores of a model on a data split.

Scores come from :func:`seqlens.evaluation.classification.classification_scores`: AUROC and
both areas under the precision-recall curve (trapezoid rule, as the papers; average
precision, as scikit-learn).
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from ..data import default_task_names
from ..errors import DataFormatError, SeqlensError
from ..evaluation.classification import classification_scores
from ..models.state import model_state
from ..progress import progress_bar
from ._inputs import as_inputs, as_labels

def batched_logits(model: nn.Module, X: torch.Tensor, batch_size: int, device, verbose: bool = False) -> torch.Tensor:
    """Logits ``(N, T)`` (float32, CPU) of ``X`` ``(N, 4, L)`` with the model as it is set up."""
    chunks = []
    with torch.inference_mode(), progress_bar(enabled=verbose) as bar:
        task = bar.add_task("predict", total=X.shape[0])
        for start in range(0, X.shape[0], batch_size):
            out = model(X[start : start + batch_size].to(device))
            chunks.append(out.reshape(out.shape[0], -1).float().cpu())
            bar.advance(task, out.shape[0])
    return torch.cat(chunks)


def predict(model: nn.Module, X, batch_size: int = 256, device=None, verbose: bool = False,
            logits: bool = False) -> torch.Tensor:
    """Sigmoid probabilities ``(N, T)`` (float32 CPU tensor) for inputs ``X`` ``(N, 4, L)``;
    with ``logits`` the model's raw outputs instead.

    The model runs in eval mode on ``device`` (None: where it is); its device and train/eval
    mode are restored afterwards.
    """
    if batch_size < 1:
        raise SeqlensError(f"batch_size must be >= 1, got {batch_size}")
    X = as_inputs(X, one_hot=False)
    with model_state(model, device, training=False) as dev:
        out = batched_logits(model, X, batch_size, dev, verbose)
    return out if logits else torch.sigmoid(out)


def evaluate(
    model: nn.Module,
    split,
    y=None,
    task_names: list[str] | None = None,
    batch_size: int = 256,
    device=None,
    verbose: bool = False,
) -> pd.DataFrame:
    """Per-output classification table of ``model`` on a data split.

    Parameters
    ----------
    split : a :class:`seqlens.data.Split` (anything with ``X`` ``(N, 4, L)`` and ``y``
        ``(N, T)``), or the inputs ``X`` themselves with labels given as ``y``.
    task_names : one name per output (default ``seqlens.data.default_task_names``:
        ``label`` for one output, ``task_0``, ``task_1``, ... otherwise).

    Returns
    -------
    DataFrame with one row per output: ``task``, ``n_positive``, ``n_negative``, ``auroc``,
    ``aupr_trapezoid``, ``average_precision``. Undefined scores (one class only) are NaN.
    """
    if y is None:
        if not (hasattr(split, "X") and hasattr(split, "y")):
            raise DataFormatError("evaluate needs a split with X and y, or X together with y=...")
        X, y = split.X, split.y
    else:
        X = split
    X = as_inputs(X, one_hot=False)
    y = as_labels(y, X.shape[0]).numpy()
    probs = predict(model, X, batch_size=batch_size, device=device, verbose=verbose).numpy()
    if probs.shape[1] != y.shape[1]:
        raise DataFormatError(f"model has {probs.shape[1]} outputs but the labels have {y.shape[1]} columns")
    if task_names is None:
        task_names = default_task_names(y.shape[1])
    elif len(task_names) != y.shape[1]:
        raise DataFormatError(f"{len(task_names)} task names given for {y.shape[1]} outputs")
    table = classification_scores(y, probs, output_names=task_names)
    return table.reset_index().rename(columns={"output": "task"})
