"""``seqlens filters``: what the first-layer filters of a trained run learned (papers 002, 004).

Filter PPMs by activation alignment over a split, written to MEME; Tomtom against a motif
database (a JASPAR release or a MEME file); match statistics against the dataset's
ground-truth TFs (``--criterion best``, the default: a filter counts when its best
significant hit is a ground-truth TF (the match fraction of Koo & Ploenzke 2021); ``any``: when any significant hit is,
as the originals' code; the JSON document, filters.json and the printed summary say which);
a logo grid labelled with each filter's best hit; and, when the split has ground truth, the
motif localisation AUROC of the filter scans next to that of the true PWMs.

Filters whose PPM carries under ``--min-information`` bits in its most informative 6 columns
(default 4) are ``uninformative``:
Tomtom hits of near-uniform PPMs (e.g. to CTCF in JASPAR 2024) are not counted. Ground-truth
TFs come from ``--tfs`` or the dataset; task names count only when they name a motif (a task
such as ``oct4_vs_mafk`` does not): without any, a note says there is no ground truth,
``ground_truth`` is null in the JSON document, and only hits are reported (no match fraction).

The analysis is :func:`seqlens.evaluation.filter_report`; this module parses the options,
writes the files and prints. The model is a run directory, a TorchScript / ``.pt2`` file or
``--model-class`` + ``--weights`` (:mod:`seqlens.cli._common`); its first layer is the first
``Conv1d`` taking the 4 DNA channels, or ``--layer NAME`` (:func:`seqlens.models.first_convolution`).

Outputs (in ``-o``): ``filters.meme``, ``filters.csv`` (alignment table with best hits and
match category), ``tomtom.csv`` (every filter x database motif), ``tf_coverage.csv``,
``filters.png`` and ``filters.json`` (the ``--json`` document).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import typer
from rich.table import Table

from ..errors import MotifError, SeqlensError
from ..io_utils import check_output_dir, json_ready, table_records, write_csv, write_json
from ._common import (
    LAYER_WORDS,
    as_option,
    check_split_name,
    console,
    emit_json,
    in_flags,
    load_run_and_split,
    model_argument,
    model_class_option,
    model_kwargs_option,
    model_source,
    weights_option,
)


def _database(jaspar: str, excluded: list[str]) -> list:
    """The motifs of ``--jaspar`` (checked before the model runs); every ``--exclude`` name must be one of them."""
    from ..motifs import load_motifs

    try:
        motifs = as_option("--jaspar", lambda: load_motifs(jaspar))
    except FileNotFoundError:
        raise FileNotFoundError(f"--jaspar: MEME file not found: {jaspar} (give a MEME file or a JASPAR release such as 2016 or 2024)") from None
    known = {m.name.casefold() for m in motifs} | {m.id.casefold() for m in motifs if m.id}
    unknown = [e for e in excluded if e.casefold() not in known]
    if unknown:
        raise MotifError(f"--exclude names {', '.join(map(repr, unknown))}, which {'is' if len(unknown) == 1 else 'are'} not in the database {jaspar}")
    return motifs


def _default_out(source) -> Path:
    """RUN/filters for a run directory; beside a model file (or the weights) as STEM_filters otherwise."""
    if source.is_run:
        return Path(source.path) / "filters"
    anchor = Path(source.path if source.path is not None else source.weights)
    return anchor.parent / f"{anchor.stem}_filters"


def _print_summary(report, title: str) -> None:
    view = Table(title=title)
    for column in ("filter", "sites", "best hit", "category"):
        view.add_column(column)
    for row, label in zip(report.per_filter.itertuples(), report.hit_labels()):
        view.add_row(row.name, str(row.n_sites), label, row.category)
    console.print(view)
    stats = report.statistics
    uninformative = f"{report.n_uninformative} uninformative (< {report.min_information:g} bits in their best 6 columns, hits not counted)"
    if stats is not None:
        console.print(
            f"match fraction {stats['match_fraction']:.3f} (criterion {report.criterion}: {report.criterion_description}), "
            f"other-only {stats['other_fraction']:.3f}, "
            f"TF coverage {stats['tf_coverage']:.3f} (found: {', '.join(stats['tfs_found']) or 'none'}), {uninformative}",
            highlight=False,
        )
    else:
        n_hit = int((report.per_filter["category"] == "other").sum())
        console.print(f"no ground truth: hits only, no match fraction; {n_hit} of {len(report.per_filter)} filters with a significant hit, "
                      f"{uninformative}", highlight=False)
    for name, values in (report.localization or {}).items():
        per_sequence = "n/a" if values["mean_auroc"] is None else f"{values['mean_auroc']:.3f} ± {values['sd_auroc']:.3f}"
        console.print(f"localisation AUROC ({name}): pooled {values['pooled_auroc']:.3f}, per sequence {per_sequence}", highlight=False)


def filters(
    run: Path | None = model_argument(),
    data: Path = typer.Option(..., "--data", help="HDF5 dataset (seqlens or papers' layout)."),
    model_class: str | None = model_class_option(),
    weights: Path | None = weights_option(),
    model_kwargs: str | None = model_kwargs_option(),
    layer: str | None = typer.Option(None, "--layer", help="Name of the first-layer Conv1d (default: the first Conv1d taking the 4 DNA channels)."),
    split_name: str = typer.Option("test", "--split", help="train | valid | test."),
    jaspar: str = typer.Option("2016", "--jaspar", help="Motif database: a JASPAR release (2016 as the papers, 2024, ...) or a MEME file."),
    evalue: float | None = typer.Option(None, "--evalue", min=0.0, help="Tomtom E-value threshold (Koo & Ploenzke 2021: 0.1; default when --qvalue is not given)."),
    qvalue: float | None = typer.Option(None, "--qvalue", min=0.0, help="Tomtom q-value threshold (Ghotra et al. 2021: 0.1)."),
    criterion: str = typer.Option("best", "--criterion", help="A filter matches a ground-truth TF when its best significant hit is one (best, the default) or any significant hit is (any, the originals' code)."),
    threshold: float = typer.Option(0.5, "--threshold", help="Site = activation above THRESHOLD x the filter's maximum."),
    window: int | None = typer.Option(None, "--window", min=1, help="Aligned window width (default: the filter width; the papers: 20)."),
    trim: bool = typer.Option(False, "--trim", help="Trim PPMs to columns with IC > 0.5 bits, padded by 3."),
    min_information: float = typer.Option(4.0, "--min-information", min=0.0, help="Filters whose PPM carries fewer bits in its most informative 6 columns are 'uninformative': their Tomtom hits are not counted (0: count all)."),
    tfs: str | None = typer.Option(None, "--tfs", help="Ground-truth TF names, comma-separated (default: from the dataset)."),
    exclude: str | None = typer.Option(None, "--exclude", help="Database motifs to leave out, comma-separated names or IDs (Koo & Ploenzke 2021 dropped Gmeb1)."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Output directory (default: RUN/filters)."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Draw the filter logo grid (filters.png)."),
    batch_size: int = typer.Option(256, "--batch-size", min=1),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default cpu)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """First-layer filter motifs, their Tomtom matches to a motif database and to the ground-truth TFs."""
    from ..evaluation import filter_report
    from ..models import is_foreign
    from ..motifs import write_meme
    from ..plotting import plot_filters
    from ..tomtom import MATCH_CRITERIA
    from ..training import resolve_device

    if evalue is not None and qvalue is not None:
        raise SeqlensError("give either --evalue or --qvalue, not both")
    if criterion not in MATCH_CRITERIA:
        raise SeqlensError(f"--criterion must be one of {', '.join(MATCH_CRITERIA)}, got {criterion!r}")
    if tfs is not None and not [t for t in tfs.split(",") if t.strip()]:
        raise SeqlensError(f"--tfs lists no TF names: {tfs!r}")
    check_split_name(split_name)
    as_option("--device", lambda: resolve_device(device))
    source = model_source(run, model_class, weights, model_kwargs, layer=layer)
    out = _default_out(source) if out is None else out
    check_output_dir(out, "output folder (-o)")
    excluded = [e.strip() for e in exclude.split(",") if e.strip()] if exclude else []
    database = []

    def check_database(model, header) -> None:  # after the run and the data's header, before the data
        in_flags(lambda: model.first_conv, LAYER_WORDS)  # a model without a first convolution says so now
        database.extend(_database(jaspar, excluded))

    model, dataset, split = load_run_and_split(source, data, split_name, check=check_database, outputs=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = filter_report(
            model, split, dataset=dataset, database=database, tfs=tfs, tfs_given_as="--tfs", evalue=evalue, qvalue=qvalue,
            criterion=criterion, threshold=threshold, window=window, trim=trim, exclude=excluded,
            min_information=min_information, batch_size=batch_size, device=device,
        )
    for warning in caught:
        console.print(f"[yellow]warning:[/yellow] {warning.message}", highlight=False, soft_wrap=True)
    if not report.ground_truth_tfs:
        console.print("[yellow]note:[/yellow] no ground truth (no TF names that resolve to motifs; pass --tfs): "
                      "hits only, no match statistics", highlight=False)

    out.mkdir(parents=True, exist_ok=True)
    written = [write_meme(report.motifs, out / "filters.meme"), write_csv(report.per_filter, out / "filters.csv"),
               write_csv(report.tomtom, out / "tomtom.csv")]
    if report.coverage is not None:
        written.append(write_csv(report.coverage, out / "tf_coverage.csv"))
    if plot:
        written.append(plot_filters(report.motifs, labels=report.hit_labels(), title=f"{source.label}: first-layer filters ({split_name})",
                                    path=out / "filters.png"))
    document = {
        "run": source.label,
        "layer": model.first_layer().name if is_foreign(model) else None,
        "data": str(data),
        "split": split_name,
        "out": str(out),
        "database": jaspar,
        "n_database_motifs": report.n_database_motifs,
        "evalue": report.evalue,
        "qvalue": report.qvalue,
        "criterion": report.criterion,
        "criterion_description": report.criterion_description,
        "threshold": threshold,
        "window": window,
        "trim": trim,
        "ground_truth": {"tfs": report.ground_truth_tfs, "source": report.ground_truth_source} if report.ground_truth_tfs else None,
        "ground_truth_tfs": report.ground_truth_tfs,
        "ground_truth_source": report.ground_truth_source,
        "min_information": report.min_information,
        "n_uninformative": report.n_uninformative,
        "statistics": report.statistics,
        "coverage": None if report.coverage is None else table_records(report.coverage),
        "localization": report.localization,
        "filters": table_records(report.per_filter),
        "files": [str(p) for p in written],
    }
    document = json_ready(document, "filters document")  # NaN -> null, in the file and on stdout alike
    write_json(document, out / "filters.json")
    if json_output:
        emit_json(document)
        return
    _print_summary(report, f"{source.label}: {len(report.per_filter)} filters vs {jaspar} ({report.ground_truth_source})")
