"""``seqlens score``: score every map of an attribution file against the ground truth.

Per sequence and map (method x variant): interpretability AUROC and AUPR (both the
trapezoid rule over the PR curve, as the original code, and average precision), cosine
similarity with ``ground_truth - 0.25``, signal-to-noise (top-k background scores) and,
for gradient methods, the fraction of positions whose gradient angle to the simplex exceeds
30/45/60 degrees. ISM maps are reduced with the per-position L2 norm at the observed letter
(SPEC section 6); every other map with ``sum(map * X)``.

Outputs (in ``-o``): ``scores.csv`` (tidy per-sequence table), ``summary.csv`` (mean +- SD
per method/variant/metric), ``angles.csv`` (pooled angle statistics of the raw gradient
maps), ``interpretability_auroc.png``, ``angles_<method>.png`` and
``logo_<method>_<variant>_<i>.png`` for the first sequences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich import box
from rich.table import Table

from ..errors import DataFormatError, SeqlensError
from ..io_utils import require_file
from ._common import console, emit_json, table_records, write_csv

AUPR_NOTE = "aupr_trapezoid: trapezoid rule over the PR curve (as the original code); average_precision: average precision (step-wise area, as sklearn)"
SUMMARY_COLUMNS = ("auroc", "aupr_trapezoid", "average_precision", "cosine", "snr")


def ground_truth_for(attributions, data: Path | None, source: Path) -> np.ndarray:
    """The ``(N, 4, L)`` ground truth of an attribution set: its own, else from ``data``."""
    if attributions.ground_truth is not None:
        return attributions.ground_truth
    if data is None:
        raise DataFormatError(f"{source} holds no ground truth; pass --data with the dataset it was computed from")
    from ..data import load_h5

    if attributions.split is None:
        raise DataFormatError(f"{source} does not record its split, so --data cannot supply the ground truth")
    split = load_h5(require_file(data, "data file")).split(attributions.split)
    if split.ground_truth is None:
        raise DataFormatError(f"neither {source} nor {data} (split {attributions.split!r}) holds ground truth")
    rows = attributions.rows
    if rows.size and (rows.max() >= len(split) or split.X.shape[1:] != attributions.X.shape[1:]):
        raise DataFormatError(f"{data} does not fit {source}: its {attributions.split} split has {len(split)} sequences of shape {split.X.shape[1:]}")
    if not np.array_equal(split.X[rows], attributions.X):
        raise DataFormatError(f"the sequences in {source} differ from rows of {data} ({attributions.split}); wrong data file?")
    return split.ground_truth[rows]


def _logo_matrix(method, values: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """What a logo shows: the map with X (times input), or an ISM map's L2 score at the observed letter."""
    if method.reduction == "l2":
        from ..evaluation import position_scores

        return position_scores(values[None], X[None], "l2")[0] * X, None
    return values, X


def write_plots(attributions, scores: pd.DataFrame, ground_truth: np.ndarray, out: Path, n_logos: int, convention: str, threshold: float | None) -> list[Path]:
    """Box plot of AUROC, angle histograms of raw gradient maps, logos of the first sequences."""
    from ..attribution.io import GRADIENT_METHODS
    from ..evaluation import angle_histogram
    from ..evaluation.interpretability import resolve_threshold
    from ..plotting import angle_histogram_plot, metric_boxplot, plot_attribution

    written = []
    if scores["auroc"].notna().any():
        written.append(metric_boxplot(scores, x="method", y="auroc", hue="variant", title="interpretability AUROC", path=out / "interpretability_auroc.png"))
    info_threshold = resolve_threshold(convention, threshold)
    for method in attributions.methods.values():
        if method.method in GRADIENT_METHODS:
            table = angle_histogram(method.maps["raw"], ground_truth, convention=convention, threshold=threshold)
            written.append(angle_histogram_plot(table, title=f"{method.method} (raw) gradient angles, I > {info_threshold:g}", path=out / f"angles_{method.method}.png"))
    X = attributions.X
    sites = attributions.sequences.motif_sites
    for method, variant, values in attributions.iter_maps():
        for i in range(min(n_logos, len(X))):
            matrix, times = _logo_matrix(method, values[i], X[i])
            written.append(
                plot_attribution(
                    matrix, X=times, ground_truth=ground_truth[i], sites=sites, sequence=i if sites is not None else None,
                    title=f"{method.method} ({variant}), sequence {i} (split row {attributions.rows[i]})",
                    path=out / f"logo_{method.method}_{variant}_{i}.png",
                )
            )
    return written


def pooled_angles(attributions, ground_truth: np.ndarray, convention: str, threshold: float | None) -> pd.DataFrame:
    """Pooled angle statistics (all, motif, background positions) of each raw gradient map."""
    from ..attribution.io import GRADIENT_METHODS
    from ..evaluation import angle_summary

    parts = []
    for method in attributions.methods.values():
        if method.method in GRADIENT_METHODS:
            table = angle_summary(method.maps["raw"], ground_truth, convention=convention, threshold=threshold).reset_index()
            table.insert(0, "method", method.method)
            parts.append(table)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _print_summary(summary: pd.DataFrame, title: str) -> None:
    view = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    labels = {"auroc": "AUROC", "aupr_trapezoid": "AUPR (trap.)", "average_precision": "AP", "cosine": "cosine", "snr": "SNR"}
    for column in ("method", "variant", *labels.values()):
        view.add_column(column, overflow="fold")  # wrap inside the cell on narrow terminals, never cut numbers
    for (method, variant), group in summary.groupby(["method", "variant"], sort=False):
        stats = group.set_index("metric")
        cells = [
            f"{stats.at[m, 'mean']:.3f}±{stats.at[m, 'sd']:.3f}" if m in stats.index and stats.at[m, "n"] else "-"
            for m in labels
        ]
        view.add_row(method, variant, *cells)
    console.print(view)


def score(
    attributions_file: Path = typer.Argument(..., metavar="ATTR_H5", help="Attribution file written by `seqlens attribute`."),
    data: Path | None = typer.Option(None, "--data", help="Dataset to take the ground truth from when the file has none."),
    convention: str = typer.Option("002", "--convention", help="Positive positions: 002 (I > 0.01 bits) or 003 (I > 0.1)."),
    threshold: float | None = typer.Option(None, "--threshold", help="Information threshold for positives (overrides the convention)."),
    top_k: int = typer.Option(20, "--top-k", min=1, help="SNR: background scores averaged as noise (paper 004: 20)."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Output directory (default: ATTR_H5 without suffix + '_scores')."),
    logos: int = typer.Option(3, "--logos", min=0, help="Attribution logos per map for the first sequences (0 = none)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document (the summary) on stdout."),
) -> None:
    """Interpretability AUROC/AUPR, cosine, SNR and gradient angles of every map, with plots."""
    from ..attribution.io import load_attributions
    from ..evaluation import score_attributions, summarize_scores
    from ..evaluation.interpretability import resolve_threshold

    if convention not in ("002", "003"):
        raise SeqlensError(f"--convention must be 002 or 003, got {convention!r}")
    info_threshold = resolve_threshold(convention, threshold)
    attributions = load_attributions(require_file(attributions_file, "attribution file"))
    if not attributions.methods:
        raise DataFormatError(f"{attributions_file} holds no attribution maps")
    ground_truth = ground_truth_for(attributions, data, attributions_file)
    out = attributions_file.with_name(attributions_file.stem + "_scores") if out is None else out
    if out.exists() and not out.is_dir():
        raise SeqlensError(f"output path {out} exists and is not a directory")
    scores = score_attributions(attributions, ground_truth, convention=convention, threshold=threshold, top_k=top_k)
    summary = summarize_scores(scores)
    angles = pooled_angles(attributions, ground_truth, convention, threshold)
    written = [write_csv(scores, out / "scores.csv"), write_csv(summary, out / "summary.csv")]
    if not angles.empty:
        written.append(write_csv(angles, out / "angles.csv"))
    written += write_plots(attributions, scores, ground_truth, out, logos, convention, threshold)
    document = {
        "attributions": str(attributions_file),
        "out": str(out),
        "n": int(len(attributions.X)),
        "target": attributions.target,
        "convention": convention,
        "threshold": info_threshold,
        "top_k": top_k,
        "aupr": AUPR_NOTE,
        "summary": table_records(summary),
        "angles": table_records(angles),
        "files": [str(p) for p in written],
    }
    if json_output:
        emit_json(document)
        return
    _print_summary(summary, f"{attributions_file} (n={len(attributions.X)}, I > {info_threshold:g} bits)")
    console.print(f"mean±SD over sequences; AUPR (trap.) = {AUPR_NOTE.split('; ')[0].split(': ')[1]}, AP = average precision. Tables and plots in {out}", highlight=False)
