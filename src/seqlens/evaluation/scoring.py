"""Score every map of an attribution set against ground truth, in one tidy table.

This is what ``seqlens score`` and the demo report: for each method and variant (raw,
corrected) and each sequence, interpretability AUROC and both AUPRs, cosine similarity,
signal-to-noise and, for raw gradient maps, the fractions of off-simplex angles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..attribution.io import GRADIENT_METHODS, AttributionSet
from ..errors import DataFormatError
from .angles import angle_fractions
from .interpretability import cosine_similarity, interpretability_scores, signal_to_noise
from .summary import summarize

_ID_COLUMNS = ("method", "variant", "sequence", "row")


def score_attributions(
    attributions: AttributionSet,
    ground_truth: np.ndarray | None = None,
    convention: str = "002",
    threshold: float | None = None,
    top_k: int = 20,
) -> pd.DataFrame:
    """One row per (method, variant, sequence) with every metric.

    Parameters
    ----------
    attributions : maps ``(N, 4, L)`` with their sequences ``X``.
    ground_truth : ``(N, 4, L)`` sequence models; default: the set's own.
    convention, threshold : which positions count as motif / background
        (:func:`seqlens.evaluation.interpretability_scores`).
    top_k : background positions in the signal-to-noise denominator.

    Returns
    -------
    DataFrame with ``method``, ``variant``, ``sequence`` (row in the set), ``row`` (row in
    the source split) and one column per metric. ISM maps are reduced with the L2 norm at
    the observed letter, other maps with the signed sum of map x input (SPEC section 6).
    A corrected gradient lies in the simplex plane (angle 0), so angles are reported for
    raw gradient maps only.
    """
    truth = attributions.ground_truth if ground_truth is None else ground_truth
    if truth is None:
        raise DataFormatError("the attribution set holds no ground truth and none was given")
    X = attributions.X
    tables = []
    for method, variant, values in attributions.iter_maps():
        reduction = method.reduction
        parts = [
            interpretability_scores(values, X, truth, convention=convention, threshold=threshold, reduction=reduction),
            cosine_similarity(values, truth),
            signal_to_noise(values, X, truth, top_k=top_k, convention=convention, threshold=threshold, reduction=reduction),
        ]
        if method.method in GRADIENT_METHODS and variant == "raw":
            parts.append(angle_fractions(values, truth, convention=convention, threshold=threshold))
        table = pd.concat(parts, axis=1).reset_index()
        table.insert(0, "variant", variant)
        table.insert(0, "method", method.method)
        table.insert(3, "row", attributions.rows)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def summarize_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean +- SD of every metric per method and variant: one row per (method, variant, metric)."""
    metrics = [c for c in scores.columns if c not in _ID_COLUMNS and pd.api.types.is_float_dtype(scores[c])]
    parts = []
    for (method, variant), group in scores.groupby(["method", "variant"], sort=False):
        present = [c for c in metrics if group[c].notna().any()]
        table = summarize(group, present).rename_axis("metric").reset_index()
        table.insert(0, "variant", variant)
        table.insert(0, "method", method)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)
