"""``seqlens demo``: the end-to-end demo (see :mod:`seqlens.experiments.demo`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..errors import SeqlensError
from ._common import console, emit_json


def demo(
    out: Path = typer.Option(Path("out/demo"), "-o", "--out", help="Output directory (re-running continues where it stopped)."),
    n: int = typer.Option(20_000, "--n", min=100, help="Sequences to generate (Koo & Ploenzke 2021: 20,000)."),
    epochs: int = typer.Option(30, "--epochs", min=1, help="Maximum training epochs per model (the paper: 100); a run that reaches it is flagged."),
    n_attributed: int = typer.Option(500, "--n-attributed", min=1, help="Positive test sequences to attribute and score."),
    methods: str = typer.Option("saliency,ism", "--methods", help="Attribution methods (saliency must be one of them)."),
    seed: int = typer.Option(0, "--seed", help="Seed of data generation, training and attribution."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Print the summary as one JSON document on stdout."),
) -> None:
    """Generate data, train ReLU and exponential CNNs, attribute, score, match filters, report."""
    from ..attribution import canonical_methods
    from ..experiments import DemoSettings, run_demo

    chosen = canonical_methods(methods)
    if "saliency" not in chosen:
        raise SeqlensError("--methods must include saliency (the report shows its maps)")
    log = (lambda message: None) if quiet else (lambda message: console.print(f"[bold]demo:[/bold] {message}", highlight=False))
    settings = DemoSettings(n=n, seed=seed, epochs=epochs, n_attributed=n_attributed, methods=chosen, log=log)
    summary = run_demo(out, settings, verbose=not quiet and console.is_terminal)
    if json_output:
        emit_json(summary)
        return
    view = Table(title=f"seqlens demo ({out})")
    criterion = settings.criterion
    columns = ("first layer", "epochs (cap)", "test AUROC", "map", "interpretability AUROC\nmean ± SD over n sequences",
               f"filters -> core TF ({criterion} hit)", "core TFs found")
    for column in columns:
        view.add_column(column)
    for activation, m in summary["models"].items():
        for row in m["interpretability"]:
            if row["metric"] != "auroc":
                continue
            training = m.get("training", {})
            epochs = f"{m['epochs']} ({training.get('epoch_cap', settings.epochs)})" + (" !" if training.get("flags") else "")
            view.add_row(activation, epochs, f"{m['test_auroc']:.3f}", f"{row['method']} ({row['variant']})",
                         f"{row['mean']:.3f} ± {row['sd']:.3f} (n = {row['n']})", f"{m['filters']['match_fraction']:.2f}",
                         ", ".join(m["filters"]["tfs_found"]) or "-")
    console.print(view)
    console.print("± is the SD over the scored sequences of one model; the paper's ± is over 10 training seeds.",
                  highlight=False)
    for activation, m in summary["models"].items():
        for flag in m.get("training", {}).get("flags", []):
            console.print(f"[yellow]warning:[/yellow] {activation} model {flag}", highlight=False, soft_wrap=True)
    console.print(f"report: {summary['report']}", highlight=False)
