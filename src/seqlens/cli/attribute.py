"""``seqlens attribute``: attribution maps of a trained run for sequences of a dataset split.

Writes one attribution file (:mod:`seqlens.attribution.io`) with the selected sequences,
their ground truth and motif sites, and one map per method; gradient methods get both the
raw and the corrected map (paper 003 compares them), the corrected one computed from the raw
one with ``correct_gradients``. Every stochastic method gets the same ``--seed``, so each map
equals the library call ``method(model, X, target=..., seed=...)`` with the stored params.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import torch
import typer

from ..errors import DataFormatError, SeqlensError
from ..io_utils import require_file
from ._common import console, emit_json

METHOD_ALIASES = {"ig": "integrated_gradients", "eg": "expected_gradients", "shap": "deepshap"}
DEFAULT_METHODS = "saliency,smoothgrad,ig,expected_gradients,deepshap,ism"


def load_run_and_split(run: Path, data: Path, split: str):
    """The model of run directory ``run`` and split ``split`` of dataset ``data``.

    Returns ``(model, dataset, split)``. Raises FileNotFoundError for a missing run directory
    or data file and DataFormatError when the model's input length or number of outputs
    does not fit the data.
    """
    from ..data import load_h5
    from ..models import load_model

    if not Path(run).is_dir():
        raise FileNotFoundError(f"run directory not found: {run}")
    model = load_model(run)
    dataset = load_h5(require_file(data, "data file"))
    chosen = dataset.split(split)
    if model.config.input_length != dataset.input_length:
        raise DataFormatError(
            f"model in {run} takes sequences of length {model.config.input_length}, "
            f"but {data} holds length {dataset.input_length}"
        )
    if model.config.n_outputs != dataset.n_tasks:
        raise DataFormatError(f"model in {run} has {model.config.n_outputs} outputs, but {data} has {dataset.n_tasks} tasks")
    return model, dataset, chosen


def parse_methods(text: str) -> list[str]:
    """Canonical method names from a comma-separated list with aliases (ig, eg, shap)."""
    from ..attribution.io import METHOD_KINDS

    names = []
    for item in text.split(","):
        key = item.strip().lower()
        if not key:
            continue
        name = METHOD_ALIASES.get(key, key)
        if name not in METHOD_KINDS:
            valid = ", ".join([*METHOD_KINDS, *(f"{a} (= {n})" for a, n in METHOD_ALIASES.items())])
            raise SeqlensError(f"unknown attribution method {item.strip()!r}; valid methods: {valid}")
        if name not in names:
            names.append(name)
    if not names:
        raise SeqlensError(f"--methods lists no method: {text!r}")
    return names


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


def select_rows(y: np.ndarray, target: int, positives: bool, limit: int) -> np.ndarray:
    """Rows of a split to attribute: all, or those labelled 1 for ``target``; the first ``limit`` (0 = all)."""
    rows = np.flatnonzero(y[:, target] == 1) if positives else np.arange(len(y))
    if limit:
        rows = rows[:limit]
    if rows.size == 0:
        raise SeqlensError("no sequences selected" + (f": the split has no positives for target {target}" if positives else ""))
    return rows


def method_params(
    name: str, seed: int, smoothgrad_samples: int, smoothgrad_sigma: float, ig_steps: int, eg_references: int,
    eg_steps: int, shap_references: int,
) -> dict:
    """Keyword arguments (beyond model, X, target, batch_size, device) that ``name`` is called with."""
    return {
        "saliency": {},
        "smoothgrad": {"n": smoothgrad_samples, "sigma": smoothgrad_sigma, "seed": seed},
        "integrated_gradients": {"steps": ig_steps, "baselines": "shuffle", "n_baselines": 1, "rule": "trapezoid", "seed": seed},
        "expected_gradients": {"n_references": eg_references, "steps": eg_steps, "references": "shuffle", "rule": "trapezoid", "seed": seed},
        "deepshap": {"n_references": shap_references, "references": "dinuc_shuffle", "seed": seed},
        "ism": {"fast": True},
    }[name]


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
    batch_size: int = typer.Option(128, "--batch-size", min=1, help="Rows (noisy copies, path points, mutants) per model call."),
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
    from .. import attribution
    from ..attribution.io import GRADIENT_METHODS, METHOD_KINDS, AttributionSet, MethodMaps, save_attributions

    names = parse_methods(methods)
    model, dataset, chosen = load_run_and_split(run, data, split)
    target_index = resolve_target(target, dataset.task_names, model.config.n_outputs)
    rows = select_rows(chosen.y, target_index, positives, limit)
    sequences = chosen.subset(rows)
    X = torch.from_numpy(sequences.X)
    if not quiet:
        console.print(f"attributing {len(rows)} sequence(s) of {data} ({split}) for output {target_index} with {', '.join(names)}", highlight=False)
    results = {}
    for name in names:
        params = method_params(name, seed, smoothgrad_samples, smoothgrad_sigma, ig_steps, eg_references, eg_steps, shap_references)
        call = getattr(attribution, name)
        if name in GRADIENT_METHODS:
            params = {**params, "correct": False}
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            raw = call(model, X, target=target_index, batch_size=batch_size, device=device, verbose=not quiet and console.is_terminal, **params)
        maps = {"raw": raw}
        if correct and name in GRADIENT_METHODS:
            maps["corrected"] = attribution.correct_gradients(raw)
        seconds = time.perf_counter() - start
        messages = [str(w.message) for w in caught]
        for message in messages:
            console.print(f"[yellow]warning:[/yellow] {name}: {message}", highlight=False, soft_wrap=True)
        results[name] = MethodMaps(name, METHOD_KINDS[name], maps, params=params, seconds=seconds, warnings=messages)
        if not quiet:
            console.print(f"  {name}: {' + '.join(maps)} in {seconds:.2f} s", highlight=False)
    attributions = AttributionSet(
        sequences=sequences,
        rows=rows,
        target=target_index,
        methods=results,
        task_name=dataset.task_names[target_index],
        split=split,
        seed=seed,
        model_dir=str(run),
        model_config=model.config.model_dump(mode="json"),
        data_path=str(data),
    )
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
