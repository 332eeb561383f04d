"""``seqlens audit``: can I trust what my model learned? Every check on one model and one dataset.

The command parses its options and prints; :func:`seqlens.experiments.audit.audit_model`
does the work (test performance beside GC-only and 4-mer controls, saliency and DeepSHAP
maps with gradient angles, ground-truth scores, JASPAR filter matches, GIA of the matched
motifs, the parameter-randomisation check). ``-o DIR`` writes ``DIR/report.html``,
``DIR/report_data/*.csv`` and ``DIR/audit.json``. The model is a run directory, a
TorchScript / ``.pt2`` file or ``--model-class`` + ``--weights``, with ``--output-head`` /
``--profile-summary`` for tuple, dict or profile outputs.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ..io_utils import check_output_dir
from ._common import (
    check_split_name,
    console,
    emit_json,
    labelled_outputs,
    require_file,
    load_run_and_split,
    model_argument,
    model_class_option,
    model_kwargs_option,
    model_source,
    n_outputs,
    output_head_option,
    output_name,
    profile_summary_option,
    weights_option,
)
from .attribute import resolve_target

VERDICT_STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "not available": "dim"}


def audit(
    run: Path | None = model_argument(),
    data: Path = typer.Option(..., "--data", help="HDF5 dataset to audit the model on (its train split fits the controls)."),
    model_class: str | None = model_class_option(),
    weights: Path | None = weights_option(),
    model_kwargs: str | None = model_kwargs_option(),
    output_head: str | None = output_head_option(),
    profile_summary: str | None = profile_summary_option(),
    out: Path | None = typer.Option(None, "-o", "--out", help="Folder for report.html, report_data/ and audit.json."),
    split: str = typer.Option("test", "--split", help="train | valid | test."),
    target: str = typer.Option("0", "--target", help="Model output: index or task name."),
    limit: int = typer.Option(200, "--limit", min=0, help="Sequences to attribute (0 = all)."),
    jaspar: str = typer.Option("2016", "--jaspar", help="JASPAR release (e.g. 2016, 2024) or a MEME file for the filter matches."),
    n_null: int = typer.Option(300, "--n-null", min=2, help="GIA null sequences (dinucleotide shuffles)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the maps, nulls, randomised copy and bootstraps."),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help="Sequences per model call."),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default cpu)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary on stderr."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document (the verdict rows) on stdout."),
) -> None:
    """Audit a model: performance vs controls, maps, angles, ground truth, filters, GIA, randomisation check."""
    from ..experiments.audit import audit_model
    from ..training import resolve_device
    from ._common import as_option

    check_split_name(split)
    source = model_source(run, model_class, weights, model_kwargs, output_head, profile_summary)
    if out is not None:
        check_output_dir(out, "output folder (-o)")
    as_option("--device", lambda: resolve_device(device))
    database = int(jaspar) if jaspar.strip().isdigit() else jaspar
    if isinstance(database, str) and not database.strip().upper().startswith("JASPAR"):
        require_file(database, "--jaspar motif file")  # else a JASPAR release (2016, JASPAR2024)
    resolved = {}

    def check_target(model, header) -> None:
        labelled = labelled_outputs(model, header)
        resolved["labelled"] = labelled
        resolved["target"] = resolve_target(target, header.task_names if labelled else [], n_outputs(model))
        resolved["task_name"] = output_name(model, header, resolved["target"])

    model, dataset, _ = load_run_and_split(source, data, split, check=check_target)
    result = audit_model(
        model, dataset, out_dir=out, split=split, target=resolved["target"], limit=limit, jaspar=database,
        n_null=n_null, seed=seed, labelled=resolved["labelled"], batch_size=batch_size, device=device,
        model_label=source.label, data_label=str(data), verbose=not quiet and not json_output and console.is_terminal)
    document = {"run": source.label, "data": str(data), "output_head": output_head, "profile_summary": profile_summary,
                "task_name": resolved["task_name"], **result.document()}
    if out is not None:
        document["out"] = str(out)
        document["report"] = str(out / "report.html")
    if json_output:
        emit_json(document)
    elif not quiet:
        _summary(result, out)


def _summary(result, out: Path | None) -> None:
    from rich.table import Table

    table = Table(title=f"audit of {escape(result.model)} ({result.seconds:.1f} s)", show_lines=False)
    for column in ("check", "value", "verdict"):
        table.add_column(column, overflow="fold")
    for row in result.verdicts.to_dict("records"):
        value = row["value"] if row["verdict"] != "not available" else row["reason"]
        style = VERDICT_STYLE.get(row["verdict"], "")
        table.add_row(escape(row["check"]), escape(str(value)), f"[{style}]{row['verdict']}[/{style}]")
    console.print(table)
    counts = ", ".join(f"{n} {v}" for v, n in result.counts.items())
    console.print(f"verdicts: {counts}" + (f"; report: {escape(str(out / 'report.html'))}" if out else ""),
                  highlight=False, soft_wrap=True)
