"""``seqlens train`` and ``seqlens evaluate-model``: train a zoo model on an HDF5 dataset
(either layout) and score a trained run on a split."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer
from rich.table import Table

from ..io_utils import check_output_dir, check_output_file, require_file, write_json
from ._common import console, emit_json, load_run_and_split, table_records

SUMMARY_NAME = "train.json"


def _print_scores(table, title: str) -> None:
    view = Table(title=title)
    for column in ("task", "AUROC", "AUPR (trapezoid)", "average precision", "positives", "negatives"):
        view.add_column(column)
    for row in table.itertuples():
        view.add_row(row.task, f"{row.auroc:.4f}", f"{row.aupr_trapezoid:.4f}", f"{row.average_precision:.4f}",
                     str(row.n_positive), str(row.n_negative))
    console.print(view)


def train(
    data: Path = typer.Option(..., "--data", help="HDF5 dataset (seqlens or papers' layout)."),
    out: Path = typer.Option(..., "-o", "--out", help="Run directory: checkpoint, history.csv, model, train.json."),
    model_name: str = typer.Option("cnn_local", "--model", help="Zoo architecture (see seqlens.models.available)."),
    activation: str = typer.Option("relu", "--activation", help="First-layer activation, e.g. relu, exponential."),
    method: str = typer.Option("standard", "--method", help="standard | noise | adversarial | angle-reg."),
    seed: int = typer.Option(0, "--seed", help="Seed for initialisation, batch order, dropout and noise."),
    epochs: int = typer.Option(100, "--epochs", help="Maximum number of epochs."),
    batch_size: int = typer.Option(100, "--batch-size"),
    lr: float = typer.Option(1e-3, "--lr", help="Adam learning rate."),
    l2: float | None = typer.Option(None, "--l2", help="L2 strength on weights (default: the model's, 1e-6 for CNNs)."),
    monitor: str | None = typer.Option(None, "--monitor", help="auroc | aupr | loss (default: auroc for one output, aupr for several)."),
    patience: int = typer.Option(10, "--patience", help="Early-stopping patience in epochs."),
    lr_patience: int = typer.Option(3, "--lr-patience", help="Epochs without improvement before the LR decays."),
    lr_decay: float = typer.Option(0.2, "--lr-decay", help="Factor applied to the LR on a plateau."),
    rc_augment: bool = typer.Option(False, "--rc-augment", help="Random reverse complement per sample and epoch."),
    noise_sigma: float | None = typer.Option(None, "--noise-sigma", help="noise: SD of the Gaussian noise (0.1)."),
    epsilon: float | None = typer.Option(None, "--epsilon", help="adversarial: L-inf radius (0.2)."),
    pgd_steps: int | None = typer.Option(None, "--pgd-steps", help="adversarial: PGD steps (20)."),
    pgd_step_size: float | None = typer.Option(None, "--pgd-step-size", help="adversarial: fixed step (default 0.1/(i+10))."),
    warmup_epochs: int | None = typer.Option(None, "--warmup-epochs", help="adversarial: clean epochs first (20)."),
    angle_weight: float | None = typer.Option(None, "--angle-weight", help="angle-reg: penalty per degree of mean |angle| (1e-3)."),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default cpu)."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Continue from the run directory's checkpoint."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or per-epoch lines."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Train a zoo model; writes the run directory and reports validation and test scores.

    A run directory holding a checkpoint is resumed (a finished run is re-reported) only
    when its data and settings match this call's; otherwise the command stops and says what
    changed (``--no-resume`` starts over).
    """
    from ..data import load_h5
    from ..models import ModelConfig, build, resolve_config
    from ..training import check_fit_arguments, evaluate, fit, resolve_device, split_fingerprint, training_method

    # everything that can be checked without the data, before loading it
    method_params = {
        "sigma": noise_sigma,
        "epsilon": epsilon,
        "steps": pgd_steps,
        "step_size": pgd_step_size,
        "warmup_epochs": warmup_epochs,
        "weight": angle_weight,
    }
    training = training_method(method, **{k: v for k, v in method_params.items() if v is not None})
    resolve_config(ModelConfig.from_dict({"name": model_name, "activation": activation}))
    check_fit_arguments(epochs, batch_size, lr, lr_decay, lr_patience, patience, monitor, l2)
    resolve_device(device)
    check_output_dir(out, "run folder (-o)")
    check_output_file(out / SUMMARY_NAME, "run file")
    dataset = load_h5(require_file(data, "data file"))
    model = build(
        model_name,
        activation=activation,
        input_length=dataset.input_length,
        n_outputs=dataset.n_tasks,
        seed=seed,
    )
    history = fit(
        model,
        dataset,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        l2=l2,
        monitor=monitor,
        lr_decay=lr_decay,
        lr_patience=lr_patience,
        early_stopping_patience=patience,
        method=training,
        rc_augment=rc_augment,
        seed=seed,
        device=device,
        out_dir=out,
        resume=resume,
        verbose=not quiet,
    )
    test = evaluate(model, dataset.test, task_names=dataset.task_names, device=device)
    best = history.attrs["best_epoch"]
    best_row = history[history["epoch"] == best].iloc[0].to_dict() if best else {}
    document = {
        "run": str(out),
        "data": str(data),
        "model": model.config.model_dump(mode="json"),
        "method": training.name,
        "method_params": {k: v for k, v in dataclasses.asdict(training).items() if k != "name"},
        "seed": seed,
        "epochs_run": int(len(history)),
        "best_epoch": int(best),
        "stopped_early": bool(history.attrs["stopped_early"]),
        "monitor": history.attrs["monitor"],
        "best_valid": {k: float(best_row[k]) for k in ("val_loss", "val_auroc", "val_aupr")} if best_row else None,
        "lr_decays": int((history["lr"].diff() < 0).sum()),
        "fit": {k: v for k, v in history.attrs["settings"].items() if k != "data"},
        "data_fingerprint": {**history.attrs["settings"]["data"], "test": split_fingerprint(dataset.test.X, dataset.test.y)},
        "test": table_records(test),
    }
    write_json(document, out / SUMMARY_NAME, "train.json")
    if json_output:
        emit_json(document)
        return
    console.print(
        f"{model_name} ({activation}, {training.name}): {len(history)} epochs, best epoch {best}"
        f"{' (stopped early)' if document['stopped_early'] else ''}, {document['lr_decays']} LR decay(s); run in {out}",
        highlight=False,
    )
    _print_scores(test, "test split")


def _print_scores_with_controls(table, controls, title: str) -> None:
    """The scores table of ``evaluate-model --controls``: the model's AUROC beside GC-only and k-mer AUROC."""
    view = Table(title=title)
    for column in ("task", "AUROC", "GC-only AUROC", f"{controls.attrs['settings']['k']}-mer AUROC",
                   "AUPR (trapezoid)", "average precision", "positives", "negatives"):
        view.add_column(column)
    for row, control in zip(table.itertuples(), controls.itertuples()):
        gc_note = "" if control.gc_direction == "higher" else " (low GC)"
        view.add_row(row.task, f"{row.auroc:.4f}", f"{control.gc_auroc:.4f}{gc_note}", f"{control.kmer_auroc:.4f}",
                     f"{row.aupr_trapezoid:.4f}", f"{row.average_precision:.4f}", str(row.n_positive), str(row.n_negative))
    console.print(view)


def evaluate_model(
    run: Path = typer.Argument(..., help="Run directory written by `seqlens train` (or save_model)."),
    data: Path = typer.Option(..., "--data", help="HDF5 dataset (seqlens or papers' layout)."),
    split: str = typer.Option("test", "--split", help="train | valid | test."),
    batch_size: int = typer.Option(256, "--batch-size"),
    device: str | None = typer.Option(None, "--device"),
    controls: bool = typer.Option(
        False, "--controls", help="Also report what composition alone achieves: AUROC of GC content and of a "
        "4-mer logistic regression trained on the train split."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """AUROC and AUPR (trapezoid and average precision) per output of a trained model on one split.

    With ``--controls``, beside each task's AUROC: the AUROC of GC content alone (its direction
    taken from the train split) and of a k-mer (k = 4) count logistic regression trained on the
    train split (``seqlens.data.control_baselines``), on the same split.
    """
    from ..training import evaluate

    model, dataset, chosen = load_run_and_split(run, data, split)
    table = evaluate(model, chosen, task_names=dataset.task_names, batch_size=batch_size, device=device)
    document = {
        "run": str(run),
        "data": str(data),
        "split": split,
        "n": len(chosen),
        "scores": table_records(table),
    }
    baselines = None
    if controls:
        from ..data import control_baselines

        baselines = control_baselines(dataset, split=split)
        for record, control in zip(document["scores"], baselines.itertuples()):
            record.update(gc_auroc=control.gc_auroc, gc_direction=control.gc_direction, kmer_auroc=control.kmer_auroc)
        document["controls"] = {**baselines.attrs["settings"], "scores": table_records(baselines)}
    if json_output:
        emit_json(document)
        return
    title = f"{run} on {data} ({split}, n={len(chosen)})"
    if baselines is None:
        _print_scores(table, title)
    else:
        _print_scores_with_controls(table, baselines, title)
