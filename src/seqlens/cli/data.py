"""``seqlens data``: inspect dataset files (and say what other seqlens files are)."""

from __future__ import annotations

from pathlib import Path

import h5py
import typer
from rich.table import Table

from ..data import h5_layout, load_h5
from ..errors import DataFormatError
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


def _not_a_dataset(file: Path, error: DataFormatError) -> DataFormatError | None:
    """The error to report for a file :func:`load_h5` refused, or None for an attribution file."""
    from ..attribution.io import is_attribution_file

    if not file.is_file():
        return error
    if not h5py.is_hdf5(file):
        empty = " (it is empty)" if file.stat().st_size == 0 else ""
        return DataFormatError(
            f"{file} is not an HDF5 file{empty}; `seqlens data info` reads HDF5 datasets "
            "(seqlens or the papers' layout, e.g. from `seqlens simulate`) and attribution files (`seqlens attribute`)"
        )
    return None if is_attribution_file(file) else error


def _attribution_info(file: Path, json_output: bool) -> None:
    from ..attribution.io import attribution_file_info

    info = attribution_file_info(file)
    document = {"file": str(file), **info, "read_by": "seqlens score"}
    if json_output:
        emit_json(document)
        return
    methods = ", ".join(f"{name} ({'+'.join(variants)})" for name, variants in info["methods"].items()) or "none"
    task = f" ({info['task_name']})" if info["task_name"] else ""
    split = f" of split {info['split']}" if info["split"] else ""
    console.print(f"{file} is an attribution file (written by `seqlens attribute`), not a dataset; score it with `seqlens score {file}`", highlight=False, soft_wrap=True)
    console.print(
        f"{info['n']} sequence(s) of {info['input_length']} nt{split}, output {info['target']}{task}; "
        f"ground truth {'stored' if info['has_ground_truth'] else 'not stored (score with --data)'}",
        highlight=False,
    )
    console.print(f"methods: {methods}", highlight=False)
    for key in ("model_dir", "data_path", "seed", "seqlens_version"):
        if info[key] is not None:
            console.print(f"{key}: {info[key]}", highlight=False)


@app.command("info")
def info(
    file: Path = typer.Argument(..., help="HDF5 dataset file (or an attribution file, which it recognises)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Summarise a dataset: split sizes, label balance, motifs per sequence, ground truth."""
    try:
        dataset = load_h5(file)
    except DataFormatError as exc:
        error = _not_a_dataset(file, exc)
        if error is not None:
            raise error from None
        _attribution_info(file, json_output)
        return
    document = {"file": str(file), "layout": h5_layout(file), **dataset.summary()}
    if json_output:
        emit_json(document)
        return
    # The file on a line of its own: as the table's title it would wrap at the table's width.
    console.print(f"{file} ({document['layout']} layout)", highlight=False, soft_wrap=True)
    table = Table()
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
