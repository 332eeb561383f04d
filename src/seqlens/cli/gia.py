"""``seqlens gia``: global importance analysis of a trained run (paper 001), one experiment per call.

The command parses its options and prints; :func:`seqlens.gia.analyze` does the work (nulls,
their diagnostics, the experiment). ``-o DIR`` writes ``DIR/table.csv``, ``DIR/gia.json``
(the ``--json`` document) and ``DIR/gia.png`` (the experiment's plot). The model is a run
directory, a TorchScript / ``.pt2`` file or ``--model-class`` + ``--weights``, with
``--output-head`` / ``--profile-summary`` for tuple, dict or profile outputs.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ..errors import SeqlensError
from ..io_utils import check_output_dir, write_csv, write_json
from ._common import (
    as_option,
    check_split_name,
    console,
    emit_json,
    load_run_and_split,
    model_argument,
    model_class_option,
    model_kwargs_option,
    model_source,
    n_outputs,
    output_head_option,
    output_name,
    labelled_outputs,
    require_labels,
    profile_summary_option,
    weights_option,
)
from .attribute import resolve_target


def _strands(text: str) -> tuple[str, ...]:
    choices = {"+": ("+",), "-": ("-",), "both": ("+", "-")}
    if text not in choices:
        raise SeqlensError(f"--strand must be +, - or both, got {text!r}")
    return choices[text]


def gia(
    run: Path | None = model_argument(),
    data: Path = typer.Option(..., "--data", help="HDF5 dataset whose split gives the nulls and the data to compare them with."),
    model_class: str | None = model_class_option(),
    weights: Path | None = weights_option(),
    model_kwargs: str | None = model_kwargs_option(),
    output_head: str | None = output_head_option(),
    profile_summary: str | None = profile_summary_option(),
    motif: str | None = typer.Option(None, "--motif", help="Pattern to embed: JASPAR name or ID, consensus string, or FILE.meme:NAME."),
    null: str = typer.Option("dinuc", "--null", help="dinuc | profile | shuffle | negatives."),
    n_null: int = typer.Option(1000, "--n-null", min=2, help="Number of null sequences."),
    positions: str | None = typer.Option(None, "--positions", help="Starts: FIRST:LAST[:STEP] or a comma list (default: every start; --kmer: the first)."),
    strand: str = typer.Option("+", "--strand", help="+, - or both."),
    sample: bool = typer.Option(False, "--sample", help="A fresh draw from the motif's PPM in every null (default: its consensus)."),
    spacing: str | None = typer.Option(None, "--spacing", help="Second pattern: spacing and interaction with --motif (four-arm design)."),
    distances: str | None = typer.Option(None, "--distances", help="Gaps between the motifs for --spacing, e.g. 0:60."),
    copies: int | None = typer.Option(None, "--copies", min=1, help="Effect of 1 .. COPIES copies of --motif."),
    gap: int = typer.Option(10, "--gap", min=0, help="Gap in nt between copies (--copies)."),
    kmer: int | None = typer.Option(None, "--kmer", min=1, max=8, help="Rank every K-mer at one position."),
    target: str = typer.Option("0", "--target", help="Model output: index or task name."),
    split: str = typer.Option("test", "--split", help="train | valid | test."),
    drop_upper: float | None = typer.Option(None, "--drop-upper", min=0.0, max=1.0, help="Drop nulls whose output lies above this quantile."),
    seed: int = typer.Option(0, "--seed", help="Seed of the nulls, sampled patterns and bootstrap."),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help="Sequences per model call."),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default cpu)."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Folder for table.csv, gia.json and gia.png."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary on stderr."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Embed a motif in null sequences and measure the paired change of the model's output, with statistics."""
    from ..gia import analyze, parse_int_range
    from ..training import resolve_device

    check_split_name(split)
    source = model_source(run, model_class, weights, model_kwargs, output_head, profile_summary)
    strands = _strands(strand)
    position_list = parse_int_range(positions, "--positions")
    distance_list = parse_int_range(distances, "--distances")
    if distances is not None and spacing is None:
        raise SeqlensError("--distances needs --spacing")
    if motif is None and kmer is None:
        raise SeqlensError("give --motif (or --kmer K to rank k-mers)")
    if out is not None:
        check_output_dir(out, "output folder (-o)")
    as_option("--device", lambda: resolve_device(device))
    resolved = {}

    def check_target(model, header) -> None:
        if null == "negatives":
            require_labels(model, header, "--null negatives")
        names = header.task_names if labelled_outputs(model, header) else []
        resolved["target"] = resolve_target(target, names, n_outputs(model))
        resolved["task_name"] = output_name(model, header, resolved["target"])

    model, dataset, chosen = load_run_and_split(source, data, split, check=check_target)
    analysis = analyze(
        model, chosen, motif, null=null, n_null=n_null, positions=position_list, strands=strands, sample=sample,
        spacing=spacing, distances=distance_list, copies=copies, gap=gap, kmer=kmer, target=resolved["target"],
        drop_upper=drop_upper, seed=seed, batch_size=batch_size, device=device, verbose=not quiet and console.is_terminal,
    )
    document = {"run": source.label, "data": str(data), "split": split, "output_head": output_head,
                "profile_summary": profile_summary,
                "task_name": resolved["task_name"], **analysis.document()}
    for message in analysis.diagnostics["warnings"] + analysis.notes:
        console.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False, soft_wrap=True)
    if out is not None:
        from ..plotting import gia_plot

        out.mkdir(parents=True, exist_ok=True)
        write_csv(analysis.table, out / "table.csv")
        write_json(document, out / "gia.json")
        gia_plot(analysis.table, path=out / "gia.png")
        document["out"] = str(out)
    if json_output:
        emit_json(document)
    elif not quiet:
        _summary(analysis)


def _summary(analysis) -> None:
    table = analysis.table
    console.print(f"{analysis.experiment}: {len(table)} condition(s), {analysis.nulls}", highlight=False)
    column = "interaction" if analysis.experiment == "spacing" else "mean"
    best = table.loc[table[column].abs().idxmax()] if len(table) else None
    if best is not None:
        where = {k: best[k] for k in ("position", "distance", "orientation", "copies", "kmer", "strand") if k in table}
        low, high = ("interaction_ci_low", "interaction_ci_high") if column == "interaction" else ("ci_low", "ci_high")
        console.print(f"largest {column}: {best[column]:.4g} (95% CI {best[low]:.4g} .. {best[high]:.4g}) at "
                      f"{', '.join(f'{k} {v}' for k, v in where.items())}", highlight=False)
