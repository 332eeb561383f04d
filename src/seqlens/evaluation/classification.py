"""Classification performance per output: AUROC and two areas under the PR curve (sklearn)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score

from ..errors import DataFormatError
from ..data import default_task_names
from ..validation import as_array


def classification_scores(y_true, y_score, output_names: Sequence[str] | None = None) -> pd.DataFrame:
    """AUROC and AUPR of each output (task) on a labelled set.

    Parameters
    ----------
    y_true : binary labels ``(N,)`` or ``(N, T)``.
    y_score : predictions ``(N,)`` or ``(N, T)`` (probabilities or logits: only the ranking
        matters).
    output_names : T names for the table's index; default ``seqlens.data.default_task_names``.

    Returns
    -------
    DataFrame indexed by ``output`` with ``n_positive``, ``n_negative``, ``auroc``,
    ``aupr_trapezoid`` (``auc(recall, precision)``, the trapezoid rule used by the
    original papers) and ``average_precision`` (sklearn's step-wise AUPR). Outputs with a
    single class in ``y_true`` get NaN scores.
    """
    y_true = as_array(y_true, "y_true", ndim=(1, 2))
    y_score = as_array(y_score, "y_score", ndim=(1, 2))
    y_true = y_true[:, None] if y_true.ndim == 1 else y_true
    y_score = y_score[:, None] if y_score.ndim == 1 else y_score
    if y_true.shape != y_score.shape or y_true.shape[0] == 0:
        raise DataFormatError(f"y_true {y_true.shape} and y_score {y_score.shape} must have the same non-empty shape")
    if not np.isin(y_true, (0.0, 1.0)).all():
        raise DataFormatError("y_true must hold binary labels 0/1")
    names = default_task_names(y_true.shape[1]) if output_names is None else [str(n) for n in output_names]
    if len(names) != y_true.shape[1]:
        raise DataFormatError(f"got {len(names)} output names for {y_true.shape[1]} outputs")
    rows = []
    for labels, scores in zip(y_true.T, y_score.T):
        n_pos = int(labels.sum())
        n_neg = int(labels.size - n_pos)
        if n_pos and n_neg:
            precision, recall, _ = precision_recall_curve(labels, scores)
            row = (roc_auc_score(labels, scores), auc(recall, precision), average_precision_score(labels, scores))
        else:
            row = (float("nan"),) * 3
        rows.append((n_pos, n_neg, *row))
    table = pd.DataFrame(
        rows, index=pd.Index(names, name="output"),
        columns=["n_positive", "n_negative", "auroc", "aupr_trapezoid", "average_precision"],
    )
    return table
