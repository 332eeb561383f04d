"""Predictions and classification scores (AUROC, AUPR per output).

AUPR here is scikit-learn's *average precision* (step-wise sum over the precision-recall
curve, no interpolation), not the trapezoid-rule area some original papers integrated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from rich.progress import Progress
from torch import nn

from ..errors import DataFormatError, SeqlensError
from ..models.state import model_state
from ._inputs import as_inputs, as_labels

AUPR_METHOD = "average_precision"


def batched_logits(model: nn.Module, X: torch.Tensor, batch_size: int, device, verbose: bool = False) -> torch.Tensor:
    """Logits ``(N, T)`` (float32, CPU) of ``X`` ``(N, 4, L)`` with the model as it is set up."""
    chunks = []
    with torch.inference_mode(), Progress(disable=not verbose, transient=True) as bar:
        task = bar.add_task("predict", total=X.shape[0])
        for start in range(0, X.shape[0], batch_size):
            out = model(X[start : start + batch_size].to(device))
            chunks.append(out.reshape(out.shape[0], -1).float().cpu())
            bar.advance(task, out.shape[0])
    return torch.cat(chunks)


def predict(model: nn.Module, X, batch_size: int = 256, device=None, verbose: bool = False) -> torch.Tensor:
    """Sigmoid probabilities ``(N, T)`` (float32 CPU tensor) for inputs ``X`` ``(N, 4, L)``.

    The model runs in eval mode on ``device`` (None: where it is); its device and train/eval
    mode are restored afterwards.
    """
    if batch_size < 1:
        raise SeqlensError(f"batch_size must be >= 1, got {batch_size}")
    X = as_inputs(X, one_hot=False)
    with model_state(model, device, training=False) as dev:
        return torch.sigmoid(batched_logits(model, X, batch_size, dev, verbose))


def classification_scores(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output AUROC and AUPR (average precision) for ``(N, T)`` labels and scores.

    An output whose labels hold only one class gets NaN for both.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score  # slow import, needed here only

    n_tasks = y_true.shape[1]
    auroc = np.full(n_tasks, np.nan)
    aupr = np.full(n_tasks, np.nan)
    for t in range(n_tasks):
        labels = y_true[:, t] > 0.5
        if labels.all() or not labels.any():
            continue
        auroc[t] = roc_auc_score(labels, scores[:, t])
        aupr[t] = average_precision_score(labels, scores[:, t])
    return auroc, aupr


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
    task_names : one name per output (default ``task0``, ``task1``, ...).

    Returns
    -------
    DataFrame with one row per output: ``task``, ``auroc``, ``aupr`` (average precision),
    ``n_positive``, ``n_negative``. Undefined scores (one class only) are NaN.
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
        task_names = [f"task{t}" for t in range(y.shape[1])]
    elif len(task_names) != y.shape[1]:
        raise DataFormatError(f"{len(task_names)} task names given for {y.shape[1]} outputs")
    auroc, aupr = classification_scores(y, probs)
    positives = (y > 0.5).sum(axis=0)
    table = pd.DataFrame(
        {
            "task": list(task_names),
            "auroc": auroc,
            "aupr": aupr,
            "n_positive": positives.astype(int),
            "n_negative": (y.shape[0] - positives).astype(int),
        }
    )
    table.attrs["aupr_method"] = AUPR_METHOD
    return table
