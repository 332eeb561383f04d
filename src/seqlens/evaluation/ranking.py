"""Binary ranking metrics for one small problem at a time: AUROC and two areas under the PR curve.

The interpretability scores evaluate one AUROC/AUPR per sequence (thousands of problems of
about 200 positions each). scikit-learn's metric functions spend most of their time on input
validation at that size, so these are lean re-implementations of the same curves; the tests
check them against ``sklearn.metrics`` on random and tied inputs.

Two areas under the precision-recall curve are reported, always under their own names:

- ``aupr_trapezoid``: ``sklearn.metrics.auc(recall, precision)`` on the curve of
  ``precision_recall_curve`` (linear interpolation between the points, the point
  recall 0 / precision 1 included). This is what the original papers' code reported.
- ``average_precision``: ``sum_n (R_n - R_{n-1}) P_n`` (a step function, no interpolation),
  as ``sklearn.metrics.average_precision_score``. It does not reward the optimistic linear
  interpolation and is the better-behaved of the two.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def _cumulative_counts(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives at each distinct score threshold, highest threshold first.

    ``labels`` and ``scores`` are 1-D; returns ``(tps, fps)`` of equal length (one entry
    per distinct score), as sklearn's ``_binary_clf_curve``.
    """
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores = scores[order]
    sorted_labels = labels[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_labels.size - 1]
    tps = np.cumsum(sorted_labels)[last_of_tie]
    fps = last_of_tie + 1 - tps
    return tps.astype(np.float64), fps.astype(np.float64)


def binary_auroc(labels, scores) -> float:
    """Area under the ROC curve of ``scores`` (1-D) for binary ``labels`` (1-D, 0/1).

    The Mann-Whitney form: the fraction of (positive, negative) pairs ranked correctly,
    ties counting one half; equal to the trapezoid area under the ROC curve of
    ``roc_auc_score``, without its rounding (a perfect ranking gives exactly 1).
    NaN when a class is absent.
    """
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)  # average ranks for ties
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def pr_areas(labels, scores) -> tuple[float, float]:
    """``(aupr_trapezoid, average_precision)`` of ``scores`` for binary ``labels`` (both 1-D).

    See the module docstring for the two definitions. NaN, NaN when there is no positive
    (precision-recall is undefined); with no negative both are 1.
    """
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if not labels.any():
        return float("nan"), float("nan")
    tps, fps = _cumulative_counts(labels, scores)
    precision = np.r_[1.0, tps / (tps + fps)]
    recall = np.r_[0.0, tps / tps[-1]]
    trapezoid = float(np.trapezoid(precision, recall))
    average_precision = float(np.sum(np.diff(recall) * precision[1:]))
    return trapezoid, average_precision
