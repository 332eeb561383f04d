"""``seqlens score``: score every map of an attribution file against the ground truth.

Per sequence and map (method x variant): interpretability AUROC and AUPR (both the
trapezoid rule over the PR curve, as the original code, and average precision), cosine
similarity with ``ground_truth - background`` (0.25 for a uniform one), signal-to-noise (top-k background scores) and,
for gradient methods, the fraction of positions whose gradient angle to the simplex exceeds
30/45/60 degrees. ISM maps are reduced with the per-position L2 norm at the observed letter
(Koo & Ploenzke 2021; see docs/papers.md); every other map with ``sum(map * X)`` (each method's entry in
:mod:`seqlens.attribution.registry` says which).

The work is :func:`seqlens.evaluation.score_attribution_file` (ground truth from the file or
``--data``, scores, summary, pooled angles) and :func:`seqlens.plotting.attribution_score_plots`;
this module parses the options, writes the tables and prints.

Outputs (in ``-o``): ``scores.csv`` (tidy per-sequence table), ``summary.csv`` (mean +- SD
per method/variant/metric), ``angles.csv`` (pooled angle statistics of the raw gradient
maps), ``interpretability_auroc.png``, ``angles_<method>.png`` and
``logo_<method>_<variant>_<i>.png`` for the first sequences.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from ..errors import DataFormatError, SeqlensError
from ..io_utils import check_output_dir, require_file, table_records, write_csv
from ._common import as_option, console, emit_json


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
    convention: str = typer.Option("002", "--convention", help="Positive positions: 002 (I > 0.01 bits, Koo & Ploenzke 2021) or 003 (I > 0.1, Majdandzic et al. 2023; docs/papers.md)."),
    threshold: float | None = typer.Option(None, "--threshold", help="Information threshold for positives (overrides the convention)."),
    top_k: int = typer.Option(20, "--top-k", min=1, help="SNR: background scores averaged as noise (Ghotra et al. 2021: 20)."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Output directory (default: ATTR_H5 without suffix + '_scores')."),
    logos: int = typer.Option(3, "--logos", min=0, help="Attribution logos per map for the first sequences (0 = none)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document (the summary) on stdout."),
) -> None:
    """Interpretability AUROC/AUPR, cosine, SNR and gradient angles of every map, with plots."""
    from ..attribution.io import attribution_file_info
    from ..data.hdf5 import read_h5_header
    from ..evaluation import AUPR_NOTE, score_attribution_file
    from ..evaluation.interpretability import check_threshold
    from ..plotting import attribution_score_plots

    if convention not in ("002", "003"):
        raise SeqlensError(f"--convention must be 002 or 003, got {convention!r}")
    if threshold is not None:
        as_option("--threshold", lambda: check_threshold(threshold), "threshold")
    out = attributions_file.with_name(attributions_file.stem + "_scores") if out is None else out
    check_output_dir(out, "output folder (-o)")
    info = attribution_file_info(require_file(attributions_file, "attribution file"))
    if not info["has_ground_truth"]:
        if data is None:
            raise DataFormatError(f"{attributions_file} holds no ground truth; give the dataset it was computed from (--data)")
        header = read_h5_header(require_file(data, "data file"))
        if info["split"] in header.has_ground_truth and not header.has_ground_truth[info["split"]]:
            raise DataFormatError(f"neither {attributions_file} nor {data} (split {info['split']!r}) holds ground truth")
    result = score_attribution_file(attributions_file, data=data, convention=convention, threshold=threshold, top_k=top_k)
    written = [write_csv(result.scores, out / "scores.csv"), write_csv(result.summary, out / "summary.csv")]
    if not result.angles.empty:
        written.append(write_csv(result.angles, out / "angles.csv"))
    written += attribution_score_plots(result, out, logos=logos)
    n = len(result.attributions.X)
    document = {
        "attributions": str(attributions_file),
        "out": str(out),
        "n": int(n),
        "target": result.attributions.target,
        "convention": convention,
        "threshold": result.threshold,
        "top_k": top_k,
        "aupr": AUPR_NOTE,
        "summary": table_records(result.summary),
        "angles": table_records(result.angles),
        "files": [str(p) for p in written],
        "failed": result.failed,
    }
    for method, why in result.failed.items():
        console.print(f"[yellow]warning:[/yellow] {method} not scored: {escape(why)}", highlight=False, soft_wrap=True)
    if json_output:
        emit_json(document)
        return
    _print_summary(result.summary, f"{attributions_file} (n={n}, I > {result.threshold:g} bits)")
    console.print(f"mean±SD over sequences; AUPR (trap.) = {AUPR_NOTE.split('; ')[0].split(': ')[1]}, AP = average precision. Tables and plots in {out}", highlight=False)
