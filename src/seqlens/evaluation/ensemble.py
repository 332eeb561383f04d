"""Ensemble reference for data without ground truth (paper 003, in vivo analysis).

Average the saliency maps of many models of the same data; treat the average as a proxy of
the truth and ask whether gradient correction brings each single model's map closer to it.
At every position the distance is the L2 norm of the difference of the two 4-vectors
(paper 003: "an L2-norm of the difference between the saliency vector and the
ensemble-average saliency vector separately for each position"); "reduction" is the
percentage decrease of that distance from the raw to the corrected single-model map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import torch

from ..attribution import correct_gradients, gradient_angles
from ..errors import DataFormatError, SeqlensError
from ..validation import as_array
from .angles import ANGLE_BINS, angle_bin_edges, angle_bin_index


@dataclass(frozen=True)
class EnsembleComparison:
    """Result of :func:`ensemble_distances`.

    per_model : one row per model: ``model``, ``mean_distance_raw``,
        ``mean_distance_corrected`` (mean over all positions of all sequences) and
        ``reduction_percent`` = ``100 * (1 - corrected / raw)`` of those means.
    by_angle : one row per (model, ``|angle|`` bin of the model's raw gradient): ``n``,
        ``mean_distance_raw``, ``mean_distance_corrected`` and ``mean_reduction_percent``
        (mean over the bin's positions of ``100 * (d_raw - d_corrected) / d_raw``;
        positions with ``d_raw = 0`` left out), as paper 003, Fig. 3e.
    """

    per_model: pd.DataFrame
    by_angle: pd.DataFrame


def _as_stack(grads) -> np.ndarray:
    """Maps of M models: a sequence of ``(N, 4, L)`` arrays or one ``(M, N, 4, L)`` array."""
    if isinstance(grads, (list, tuple)):
        if not grads:
            raise DataFormatError("grads holds no models")
        maps = [as_array(g, f"grads[{i}]", ndim=3) for i, g in enumerate(grads)]
        shapes = {m.shape for m in maps}
        if len(shapes) > 1:
            raise DataFormatError(f"every model's maps must have the same shape, got {sorted(shapes)}")
        stack = np.stack(maps)
    else:
        stack = as_array(grads, "grads", ndim=4)
    if stack.shape[2] != 4 or 0 in stack.shape:
        raise DataFormatError(f"grads must be (M, N, 4, L) maps of M models, got shape {stack.shape}")
    if stack.shape[0] < 2:
        raise DataFormatError(f"an ensemble needs at least 2 models, got {stack.shape[0]}")
    return stack


def ensemble_distances(
    grads,
    reference: Literal["raw", "corrected"] = "raw",
    leave_one_out: bool = True,
    bins: Sequence[float] = ANGLE_BINS,
) -> EnsembleComparison:
    """Per-position L2 distance of each model's raw and corrected map to the ensemble average.

    Parameters
    ----------
    grads : raw (uncorrected) input gradients of M >= 2 models on the same N sequences:
        ``(M, N, 4, L)`` or a list of M ``(N, 4, L)`` arrays.
    reference : ``"raw"`` compares both single-model maps with the average of the raw maps
        (the paper's ensemble saliency map); ``"corrected"`` with the average of corrected
        maps (then correction can never increase a distance, as it is an orthogonal
        projection applied to both sides).
    leave_one_out : average the other M - 1 models for model m's reference (an independent
        reference); False averages all M models, model m included.
    bins : edges of ``|angle|`` bins in degrees for ``by_angle``.

    Returns an :class:`EnsembleComparison`.
    """
    if reference not in ("raw", "corrected"):
        raise SeqlensError(f"reference must be 'raw' or 'corrected', got {reference!r}")
    edges = angle_bin_edges(bins)
    raw = _as_stack(grads)
    n_models = raw.shape[0]
    corrected = correct_gradients(torch.from_numpy(raw.reshape(-1, *raw.shape[2:]))).numpy().reshape(raw.shape)
    base = corrected if reference == "corrected" else raw
    total = base.sum(axis=0)
    per_model, by_angle = [], []
    for m in range(n_models):
        ref = (total - base[m]) / (n_models - 1) if leave_one_out else total / n_models
        d_raw = np.linalg.norm(raw[m] - ref, axis=1).ravel()
        d_corrected = np.linalg.norm(corrected[m] - ref, axis=1).ravel()
        mean_raw, mean_corrected = d_raw.mean(), d_corrected.mean()
        reduction = 100.0 * (1.0 - mean_corrected / mean_raw) if mean_raw > 0 else np.nan
        per_model.append((m, mean_raw, mean_corrected, reduction))
        index = angle_bin_index(np.abs(gradient_angles(torch.from_numpy(raw[m])).numpy()).ravel(), edges)
        moved = d_raw > 0
        percent = 100.0 * (d_raw[moved] - d_corrected[moved]) / d_raw[moved]
        for b in np.unique(index[index >= 0]):
            sel = index == b
            sel_percent = percent[sel[moved]]
            by_angle.append((
                m, edges[b], edges[b + 1], int(sel.sum()), d_raw[sel].mean(), d_corrected[sel].mean(),
                sel_percent.mean() if sel_percent.size else np.nan,
            ))
    distances = ["mean_distance_raw", "mean_distance_corrected"]
    return EnsembleComparison(
        per_model=pd.DataFrame(per_model, columns=["model", *distances, "reduction_percent"]),
        by_angle=pd.DataFrame(
            by_angle, columns=["model", "angle_low", "angle_high", "n", *distances, "mean_reduction_percent"]
        ),
    )
