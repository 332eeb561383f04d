"""``seqlens attribute``: attribution maps of a trained run for sequences of a dataset split.

Writes one attribution file (:mod:`seqlens.attribution.io`) with the selected sequences,
their ground truth and motif sites, and one map per method; gradient methods get both the
raw and the corrected map (paper 003 compares them), the corrected one computed from the raw
one with ``correct_gradients``. Every stochastic method gets the same ``--seed``, so each map
equals the library call ``method(model, X, target=..., seed=...)`` with the stored params.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ..errors import SeqlensError
from ._common import console, emit_json, load_run_and_split

DEFAULT_METHODS = "saliency,smoothgrad,ig,expected_gradients,deepshap,ism"


def resolve_target(target: str, task_names: list[str], n_outputs: int) -> int:
    """Output index from ``--target``: an index or a task name."""
    if target.strip().isdigit():
        index = int(target)
    elif target in task_names:
        index = task_names.index(target)
    else:
        raise SeqlensError(f"--target must be an output index or one of the task names {task_names}, got {target!r}")
    if index >= n_outputs:
        raise SeqlensError(f"--target {index} is out of range for a model with {n_outputs} output(s)")
    return index


def attribute(
    run: Path = typer.Argument(..., help="Run directory written by `seqlens train` (or save_model)."),
    data: Path = typer.Option(..., "--data", help="HDF5 dataset (seqlens or papers' layout)."),
    out: Path = typer.Option(..., "-o", "--out", help="Attribution file to write (HDF5)."),
    methods: str = typer.Option(DEFAULT_METHODS, "--methods", help="Comma-separated: saliency, smoothgrad, integrated_gradients (ig), expected_gradients (eg), deepshap (shap), ism."),
    split: str = typer.Option("test", "--split", help="train | valid | test."),
    positives: bool = typer.Option(False, "--positives", help="Only sequences labelled 1 for the target (the papers' evaluation set)."),
    limit: int = typer.Option(500, "--limit", min=0, help="Attribute the first LIMIT selected sequences (0 = all; the papers: 500 positives)."),
    target: str = typer.Option("0", "--target", help="Model output to explain: index or task name."),
    correct: bool = typer.Option(True, "--correct/--no-correct", help="Also store the corrected map of each gradient method."),
    seed: int = typer.Option(0, "--seed", help="Seed of every stochastic method (noise, shuffled references)."),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1,
                                          help="Rows (noisy copies, path points, mutants) per model call [default: each method's own]."),
    smoothgrad_samples: int = typer.Option(50, "--smoothgrad-samples", min=1, help="SmoothGrad: noisy copies per sequence."),
    smoothgrad_sigma: float = typer.Option(0.1, "--smoothgrad-sigma", min=0.0, help="SmoothGrad: noise SD."),
    ig_steps: int = typer.Option(20, "--ig-steps", min=1, help="Integrated gradients: path intervals (trapezoid rule)."),
    eg_references: int = typer.Option(20, "--eg-references", min=1, help="Expected gradients: shuffled references per sequence."),
    eg_steps: int = typer.Option(20, "--eg-steps", min=1, help="Expected gradients: path intervals per reference."),
    shap_references: int = typer.Option(10, "--shap-references", min=1, help="DeepSHAP: dinucleotide-shuffled references per sequence."),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default cpu)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or per-method lines."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Compute attribution maps of a trained model and write them, with provenance, to an HDF5 file."""
    from ..attribution import attribute_split, canonical_methods, save_attributions, select_rows

    names = canonical_methods(methods)
    model, dataset, chosen = load_run_and_split(run, data, split)
    target_index = resolve_target(target, dataset.task_names, model.config.n_outputs)
    rows = select_rows(chosen.y, target_index, positives, limit)
    if not quiet:
        console.print(f"attributing {len(rows)} sequence(s) of {data} ({split}) for output {target_index} with {', '.join(names)}", highlight=False)

    def report(result) -> None:
        for message in result.warnings:
            console.print(f"[yellow]warning:[/yellow] {result.method}: {escape(message)}", highlight=False, soft_wrap=True)
        if not quiet:
            console.print(f"  {result.method}: {' + '.join(result.maps)} in {result.seconds:.2f} s", highlight=False)

    overrides = {
        "smoothgrad": {"n": smoothgrad_samples, "sigma": smoothgrad_sigma},
        "integrated_gradients": {"steps": ig_steps},
        "expected_gradients": {"n_references": eg_references, "steps": eg_steps},
        "deepshap": {"n_references": shap_references},
    }
    attributions = attribute_split(
        model, chosen, names, target=target_index, rows=rows, correct=correct, seed=seed, params=overrides,
        batch_size=batch_size, device=device, verbose=not quiet and console.is_terminal, on_method=report,
        task_name=dataset.task_names[target_index], split_name=split, model_dir=str(run), data_path=str(data),
    )
    results = attributions.methods
    sequences = attributions.sequences
    save_attributions(attributions, out)
    document = {
        "out": str(out),
        "run": str(run),
        "data": str(data),
        "split": split,
        "target": target_index,
        "task_name": attributions.task_name,
        "n": int(len(rows)),
        "seed": seed,
        "ground_truth": sequences.ground_truth is not None,
        "methods": [
            {
                "method": m.method,
                "kind": m.kind,
                "variants": list(m.maps),
                "shape": list(m.maps["raw"].shape),
                "seconds": m.seconds,
                "params": m.params,
                "warnings": m.warnings,
            }
            for m in results.values()
        ],
    }
    if json_output:
        emit_json(document)
    elif not quiet:
        console.print(f"wrote {out}", highlight=False)
