"""The figures of a scored attribution set: what ``seqlens score`` draws (and any caller may).

:func:`attribution_score_plots` takes the :class:`seqlens.evaluation.AttributionScores` of
:func:`seqlens.evaluation.score_attribution_file` and writes a box plot of interpretability
AUROC per map, one gradient-angle histogram per raw gradient map, and attribution logos of
the first sequences under their ground truth.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..evaluation import angle_histogram, position_scores
from .logos import plot_attribution
from .metrics import angle_histogram_plot, metric_boxplot


def attribution_logo_matrix(method, values: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """What a logo of one map shows, as ``(matrix (4, L), X to multiply by or None)``.

    A map reduced by summing (``method.reduction == "sum"``) is shown times input (``X``
    returned); a map reduced by the L2 norm (ISM) shows that norm at the observed letter.
    ``method`` is a :class:`seqlens.attribution.MethodMaps`; ``values`` and ``X`` are ``(4, L)``.
    """
    if method.reduction == "l2":
        return position_scores(values[None], X[None], "l2")[0] * X, None
    return values, X


def attribution_score_plots(result, out: str | os.PathLike, logos: int = 3) -> list[Path]:
    """Write the figures of a scored attribution set into directory ``out``; return their paths.

    ``result`` is a :class:`seqlens.evaluation.AttributionScores`. Files:
    ``interpretability_auroc.png`` (when some AUROC is defined), ``angles_<method>.png`` for
    every gradient method (raw map; motif vs background positions by the result's
    convention/threshold) and ``logo_<method>_<variant>_<i>.png`` for the first ``logos``
    sequences of every map.
    """
    out = Path(out)
    attributions, scores, ground_truth = result.attributions, result.scores, result.ground_truth
    written = []
    if scores["auroc"].notna().any():
        written.append(metric_boxplot(scores, x="method", y="auroc", hue="variant", title="interpretability AUROC",
                                      path=out / "interpretability_auroc.png"))
    for method in attributions.methods.values():
        if method.gradient:
            table = angle_histogram(method.maps["raw"], ground_truth, convention=result.convention,
                                    threshold=result.threshold, background=result.background)
            written.append(angle_histogram_plot(table, title=f"{method.method} (raw) gradient angles, I > {result.threshold:g}",
                                                path=out / f"angles_{method.method}.png"))
    X = attributions.X
    sites = attributions.sequences.motif_sites
    for method, variant, values in attributions.iter_maps():
        for i in range(min(logos, len(X))):
            matrix, times = attribution_logo_matrix(method, values[i], X[i])
            written.append(
                plot_attribution(
                    matrix, X=times, ground_truth=ground_truth[i], background=result.background, sites=sites, sequence=i if sites is not None else None,
                    title=f"{method.method} ({variant}), sequence {i} (split row {attributions.rows[i]})",
                    path=out / f"logo_{method.method}_{variant}_{i}.png",
                )
            )
    return written
