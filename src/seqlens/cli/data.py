"""``seqlens data``: inspect dataset files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..data import h5_layout, load_h5
from ._common import console, emit_json

app = typer.Typer(help="Inspect datasets (HDF5 in the seqlens or the papers' layout).", no_args_is_help=True)


def _format_balance(balance: dict | None) -> str:
    if balance is None:
        return "-"
    if len(balance) <= 3:
        return ", ".join(f"{task} {frac:.3f}" for task, frac in balance.items())
    fractions = list(balance.values())
    return f"mean {sum(fractions) / len(fractions):.3f} ({min(fractions):.3f}-{max(fractions):.3f})"


def _format_motif_counts(counts: dict | None) -> str:
    if counts is None:
        return "-"
    return f"{counts['mean']:.2f} ({counts['min']}-{counts['max']})"


@app.command("info")
def info(
    file: Path = typer.Argument(..., help="HDF5 dataset file."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Summarise a dataset: split sizes, label balance, motifs per sequence, ground truth."""
    dataset = load_h5(file)
    document = {"file": str(file), "layout": h5_layout(file), **dataset.summary()}
    if json_output:
        emit_json(document)
        return
    table = Table(title=f"{file} ({document['layout']} layout)")
    for column in ("split", "N", "length", "fraction positive", "motifs/seq (range)", "GT coverage"):
        table.add_column(column)
    for name, split in document["splits"].items():
        coverage = split["ground_truth_coverage"]
        table.add_row(
            name,
            str(split["n"]),
            str(split["length"]),
            _format_balance(split["label_balance"]),
            _format_motif_counts(split["motifs_per_sequence"]),
            "-" if coverage is None else f"{coverage:.3f}",
        )
    console.print(table)
    console.print(f"tasks ({document['n_tasks']}): {', '.join(document['task_names'])}", highlight=False)
    if document["metadata"]:
        console.print(f"metadata keys: {', '.join(document['metadata'])}", highlight=False)
