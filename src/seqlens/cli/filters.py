"""``seqlens filters``: what the first-layer filters of a trained run learned (papers 002, 004).

Filter PPMs by activation alignment over a split, written to MEME; Tomtom against a motif
database (a JASPAR release or a MEME file); match statistics against the dataset's
ground-truth TFs; a logo grid labelled with each filter's best hit; and, when the split has
ground truth, the motif localisation AUROC of the filter scans next to that of the true
PWMs.

Outputs (in ``-o``): ``filters.meme``, ``filters.csv`` (alignment table with best hits and
match category), ``tomtom.csv`` (every filter x database motif), ``tf_coverage.csv``,
``filters.png`` and ``filters.json`` (the ``--json`` document).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from ..errors import SeqlensError
from ..io_utils import atomic_path
from ._common import console, emit_json, load_run_and_split, table_records, write_csv


#: Task names that are not TF names (the default of a one-task dataset).
GENERIC_TASK_NAMES = ("label",)


def ground_truth_tfs(dataset, split, tfs: str | None) -> tuple[list[str], str]:
    """The TF names the filters should match, and where they came from.

    In order: ``--tfs``; the generator's metadata (``core_motifs`` of the regulatory-code
    task: the background motifs of its negatives are not ground truth; ``tfs`` of the
    multitask task); the motifs embedded in sequences with a positive label (motif sites);
    the task names unless generic (``label``, ``task_0`` ...). Empty when none applies.
    """
    if tfs is not None:
        names = [name.strip() for name in tfs.split(",") if name.strip()]
        if not names:
            raise SeqlensError(f"--tfs lists no TF names: {tfs!r}")
        return names, "--tfs"
    for key in ("core_motifs", "tfs"):
        records = dataset.metadata.get(key)
        if records:
            return [str(r["name"]) for r in records], f"dataset metadata ({key})"
    if split.motif_sites is not None:
        positive = np.flatnonzero((split.y == 1).any(axis=1))
        sites = split.motif_sites[split.motif_sites["sequence"].isin(positive)]
        if len(sites):
            return list(dict.fromkeys(sites["motif"])), "motif sites of positive sequences"
    names = [t for t in dataset.task_names if t not in GENERIC_TASK_NAMES and not t.startswith("task_")]
    return names, "task names" if names else "none"


def _hit_label(row) -> str:
    """A filter's best significant hit for logo titles and the summary, ``*`` marking a ground-truth TF."""
    if row.category == "none":
        return "no match"
    name = f"{row.best_target_name} ({row.best_target_id})"
    return f"{name}, p={row.best_p_value:.1e}" + (" *" if row.category == "ground_truth" else "")


def _localization(model, split, motifs, batch_size: int, device) -> dict:
    """Localisation AUROC (pooled, and mean +- SD per sequence) of the filter scan and of the true PWMs' scan."""
    from ..evaluation import filter_scan, localization_auroc, pwm_scan, summarize

    results = {}
    scans = {"filters": filter_scan(model, split.X, batch_size=batch_size, device=device)}
    if motifs:
        scans["true_pwms"] = pwm_scan(split.X, motifs)
    for name, scan in scans.items():
        local = localization_auroc(scan, split.ground_truth)
        stats = summarize(local.per_sequence, ["auroc"]).loc["auroc"]
        results[name] = {
            "pooled_auroc": local.pooled_auroc,
            "mean_auroc": None if np.isnan(stats["mean"]) else stats["mean"],
            "sd_auroc": None if np.isnan(stats["sd"]) else stats["sd"],
            "n_sequences": int(stats["n"]),
        }
    return results


def _print_summary(per_filter: pd.DataFrame, stats: dict | None, localization: dict | None, title: str) -> None:
    view = Table(title=title)
    for column in ("filter", "sites", "best hit", "category"):
        view.add_column(column)
    for row in per_filter.itertuples():
        view.add_row(row.name, str(row.n_sites), _hit_label(row), row.category)
    console.print(view)
    if stats is not None:
        console.print(
            f"match fraction {stats['match_fraction']:.3f}, other-only {stats['other_fraction']:.3f}, "
            f"TF coverage {stats['tf_coverage']:.3f} (found: {', '.join(stats['tfs_found']) or 'none'})",
            highlight=False,
        )
    for name, values in (localization or {}).items():
        per_sequence = "n/a" if values["mean_auroc"] is None else f"{values['mean_auroc']:.3f} ± {values['sd_auroc']:.3f}"
        console.print(f"localisation AUROC ({name}): pooled {values['pooled_auroc']:.3f}, per sequence {per_sequence}", highlight=False)


def filters(
    run: Path = typer.Argument(..., help="Run directory written by `seqlens train` (or save_model)."),
    data: Path = typer.Option(..., "--data", help="HDF5 dataset (seqlens or papers' layout)."),
    split_name: str = typer.Option("test", "--split", help="train | valid | test."),
    jaspar: str = typer.Option("2016", "--jaspar", help="Motif database: a JASPAR release (2016 as the papers, 2024, ...) or a MEME file."),
    evalue: float | None = typer.Option(None, "--evalue", min=0.0, help="Tomtom E-value threshold (paper 002: 0.1; default when --qvalue is not given)."),
    qvalue: float | None = typer.Option(None, "--qvalue", min=0.0, help="Tomtom q-value threshold (paper 004: 0.1)."),
    threshold: float = typer.Option(0.5, "--threshold", help="Site = activation above THRESHOLD x the filter's maximum."),
    window: int | None = typer.Option(None, "--window", min=1, help="Aligned window width (default: the filter width; the papers: 20)."),
    trim: bool = typer.Option(False, "--trim", help="Trim PPMs to columns with IC > 0.5 bits, padded by 3."),
    tfs: str | None = typer.Option(None, "--tfs", help="Ground-truth TF names, comma-separated (default: from the dataset)."),
    exclude: str | None = typer.Option(None, "--exclude", help="Database motifs to leave out, comma-separated names or IDs (002 dropped Gmeb1)."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Output directory (default: RUN/filters)."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Draw the filter logo grid (filters.png)."),
    batch_size: int = typer.Option(256, "--batch-size", min=1),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default cpu)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """First-layer filter motifs, their Tomtom matches to a motif database and to the ground-truth TFs."""
    from ..evaluation import filter_alignment
    from ..motifs import write_meme
    from ..plotting import plot_filters
    from ..tomtom import best_hits, load_motifs, match_statistics, tomtom_table

    if evalue is not None and qvalue is not None:
        raise SeqlensError("give either --evalue or --qvalue, not both")
    if evalue is None and qvalue is None:
        evalue = 0.1
    model, dataset, split = load_run_and_split(run, data, split_name)
    out = Path(run) / "filters" if out is None else out
    if out.exists() and not out.is_dir():
        raise SeqlensError(f"output path {out} exists and is not a directory")
    database = load_motifs(jaspar)
    excluded = [e.strip() for e in exclude.split(",") if e.strip()] if exclude else []
    alignment = filter_alignment(model, split.X, threshold=threshold, window=window, trim=trim, batch_size=batch_size, device=device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = tomtom_table(alignment.motifs, targets=database, exclude=excluded)
    for warning in caught:
        console.print(f"[yellow]warning:[/yellow] {warning.message}", highlight=False, soft_wrap=True)
    tf_names, tf_source = ground_truth_tfs(dataset, split, tfs)
    if tf_names:
        matches = match_statistics(table, tf_names, evalue=evalue, qvalue=qvalue)
        per_filter, coverage, stats = matches.per_filter, matches.coverage, matches.summary
    else:
        console.print("[yellow]warning:[/yellow] no ground-truth TF names (pass --tfs); match statistics skipped", highlight=False)
        best = best_hits(table, evalue=evalue, qvalue=qvalue)
        per_filter = best[["query", "n_significant"]].assign(
            best_target_id=best["target_id"],
            best_target_name=best["target_name"],
            best_p_value=best["p_value"],
            category=np.where(best["n_significant"] > 0, "other", "none"),
        )
        coverage, stats = None, None
    per_filter = alignment.table.merge(per_filter.rename(columns={"query": "name"}), on="name", how="left")
    localization = None
    if split.ground_truth is not None:
        folded = {t.casefold() for t in tf_names}
        true_motifs = [m for m in database if m.name.casefold() in folded]
        localization = _localization(model, split, true_motifs, batch_size, device)

    out.mkdir(parents=True, exist_ok=True)
    written = [write_meme(alignment.motifs, out / "filters.meme"), write_csv(per_filter, out / "filters.csv"), write_csv(table, out / "tomtom.csv")]
    if coverage is not None:
        written.append(write_csv(coverage, out / "tf_coverage.csv"))
    if plot:
        labels = [_hit_label(row) for row in per_filter.itertuples()]
        written.append(plot_filters(alignment.motifs, labels=labels, title=f"{run}: first-layer filters ({split_name})", path=out / "filters.png"))
    document = {
        "run": str(run),
        "data": str(data),
        "split": split_name,
        "out": str(out),
        "database": jaspar,
        "n_database_motifs": int(table.attrs["n_targets"]),
        "evalue": evalue,
        "qvalue": qvalue,
        "threshold": threshold,
        "window": window,
        "trim": trim,
        "ground_truth_tfs": tf_names,
        "ground_truth_source": tf_source,
        "statistics": stats,
        "coverage": None if coverage is None else table_records(coverage),
        "localization": localization,
        "filters": table_records(per_filter),
        "files": [str(p) for p in written],
    }
    with atomic_path(out / "filters.json") as tmp:
        tmp.write_text(json.dumps(document, indent=2, default=str) + "\n")
    if json_output:
        emit_json(document)
        return
    _print_summary(per_filter, stats, localization, f"{run}: {len(per_filter)} filters vs {jaspar} ({tf_source})")
