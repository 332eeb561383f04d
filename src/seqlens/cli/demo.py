"""``seqlens demo``: the quick scale of the ``exp-activations`` study (see :mod:`seqlens.experiments.demo`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ._common import console, emit_json


def demo(
    out: Path = typer.Option(Path("out/demo"), "-o", "--out", help="Output folder (re-running continues where it stopped)."),
    executor: str = typer.Option("local", "--executor", help="local (worker processes on this machine) or ray."),
    workers: int = typer.Option(None, "--workers", min=0, help="Units at once (default: one per core, one thread each)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Print the run report as one JSON document on stdout."),
) -> None:
    """ReLU vs exponential first layers (Koo & Ploenzke 2021) at quick scale: train, attribute, score, report.

    The bundled study exp-activations at its quick scale (seqlens run exp-activations), then
    the HTML report. Exit codes as seqlens run: 0 done, 1 bad input, 3 some units failed.
    """
    from ..experiments.demo import run_demo
    from ..experiments.runner import make_executor

    make_executor(executor, workers, None)
    document = run_demo(out, executor=executor, workers=workers, verbose=not quiet)
    if json_output:
        emit_json(document)
    else:
        _print_headline(document)
    if document["interrupted"]:
        raise typer.Exit(130)
    if document["failed"]:
        raise typer.Exit(3)


def _print_headline(document: dict) -> None:
    view = Table(title="interpretability AUROC, mean ± SD over seeds (n)")
    for column in ("architecture", "first layer", "map", "AUROC"):
        view.add_column(column)
    for row in document["headline"]:
        sd = "" if row["sd"] != row["sd"] else f" ± {row['sd']:.3f}"
        view.add_row(row["architecture"], row["activation"], f"{row['method']} ({row['variant']})",
                     f"{row['mean']:.3f}{sd} (n = {row['n']})")
    console.print(view)
    for claim in document["claims"]:
        console.print(f"[bold]{claim['verdict']}[/bold]: {claim['text']} (paper: {claim['paper']})",
                      highlight=False, soft_wrap=True)
    for failure in document["failed"]:
        console.print(f"[red]failed:[/red] {failure['name']}: {failure['error']}", highlight=False, soft_wrap=True)
    console.print(f"report: {document['report']}", highlight=False)
