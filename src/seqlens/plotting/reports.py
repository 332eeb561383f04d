"""The figures every report shares: what ``seqlens score`` and the demo draw (and any caller may).

:func:`attribution_score_plots` takes the :class:`seqlens.evaluation.AttributionScores` of
:func:`seqlens.evaluation.score_attribution_file` and writes a box plot of interpretability
AUROC per map, one gradient-angle histogram per raw gradient map, and attribution logos of
the first sequences under their ground truth (:func:`attribution_logo`: motif sites shaded
and labelled with TF name and strand). :func:`filter_report_plot` draws the first-layer
filters of a :class:`seqlens.evaluation.FilterReport`, each labelled with its best Tomtom hit.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..evaluation import angle_histogram, position_scores
from .logos import plot_attribution, plot_filters
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


def attribution_logo(result, method: str, variant: str | None = None, index: int = 0, title: str | None = None,
                     path: str | os.PathLike | None = None):
    """Logo of one attribution map of a scored set under its ground truth, motif sites named.

    ``result`` is a :class:`seqlens.evaluation.AttributionScores`; ``method`` a method name
    in it, ``variant`` one of its maps (default: ``corrected`` when there is one, else
    ``raw``); ``index`` the sequence (row of the attribution file). Sites come from the
    file's motif table, so each shaded site carries its TF name and strand ("SP1 (+)");
    a file without one falls back to unnamed runs of informative ground-truth columns.
    Returns the Figure, or the saved Path.
    """
    attributions = result.attributions
    maps = attributions.methods[method]
    variant = variant or ("corrected" if "corrected" in maps.maps else "raw")
    matrix, times = attribution_logo_matrix(maps, maps.maps[variant][index], attributions.X[index])
    sites = attributions.sequences.motif_sites
    if title is None:
        title = f"{maps.method} ({variant}), sequence {index} (split row {attributions.rows[index]})"
    return plot_attribution(
        matrix, X=times, ground_truth=result.ground_truth[index], background=result.background, sites=sites,
        sequence=index if sites is not None else None, title=title, path=path,
    )


def filter_report_plot(report, ncols: int = 6, limit: int | None = None, title: str | None = None,
                       path: str | os.PathLike | None = None):
    """The first-layer filter logos of a :class:`seqlens.evaluation.FilterReport`, each with its best Tomtom hit.

    Every logo's second title line is the filter's best significant hit (name, ID, p-value;
    ``*`` when it counts as a ground-truth TF, "no match" otherwise); the figure title says
    the threshold and what ``*`` means. ``limit`` draws only the first filters.
    """
    motifs, labels = report.motifs, report.hit_labels()
    if limit is not None:
        motifs, labels = motifs[:limit], labels[:limit]
    threshold = ", ".join(f"{name} <= {value:g}" for name, value in (("E", report.evalue), ("q", report.qvalue))
                          if value is not None)
    note = f"under each filter: best Tomtom hit ({threshold}); * = counted as a ground-truth TF ({report.criterion_description})"
    return plot_filters(motifs, ncols=ncols, labels=labels, title=note if title is None else f"{title}\n{note}", path=path)


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
    for method, variant, _ in attributions.iter_maps():
        for i in range(min(logos, len(attributions.X))):
            written.append(attribution_logo(result, method.method, variant, i,
                                            path=out / f"logo_{method.method}_{variant}_{i}.png"))
    return written
