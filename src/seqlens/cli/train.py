"""``seqlens train`` and ``seqlens evaluate-model``: train a zoo model on an HDF5 dataset
(either layout) and score a trained run on a split."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import SeqlensError
from ..validation import did_you_mean

from ..io_utils import check_output_dir, check_output_file, require_file, write_json
from ._common import (
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
    output_head_option,
    profile_summary_option,
    require_labels,
    table_records,
    weights_option,
)

SUMMARY_NAME = "train.json"
#: How ``--train-size`` picks its rows.
TRAIN_SUBSETS = ("first", "random")


def _model_overrides(name: str, activation: str, **given) -> dict:
    """The architecture options given on the command line, checked against architecture ``name``.

    An option the architecture lacks (``--key-size`` on a CNN or a hybrid without attention)
    is a one-line SeqlensError naming the option and the architecture.
    """
    import typing

    from ..models import ModelConfig, resolve_config
    from ..models.config import InitScheme

    schemes = typing.get_args(InitScheme)
    overrides = {key: value for key, value in given.items() if value is not None}
    flags = {key: "--" + key.replace("_", "-") for key in given}
    if "init" in overrides and overrides["init"] not in schemes:
        raise SeqlensError(f"--init must be one of {', '.join(schemes)}, got {overrides['init']!r}"
                           + did_you_mean(overrides["init"], schemes))
    for key in ("filters", "dense_units", "key_size"):
        if key in overrides and overrides[key] < 1:
            raise SeqlensError(f"{flags[key]} must be at least 1, got {overrides[key]}")
    if "init_std" in overrides and overrides["init_std"] <= 0:
        raise SeqlensError(f"--init-std must be positive, got {overrides['init_std']}")
    base = as_option("--model", lambda: resolve_config(ModelConfig.from_dict({"name": name, "activation": activation})))
    if "key_size" in overrides and base.key_size is None:
        raise SeqlensError(f"--key-size does not apply to {name}: only hybrid models with attention have it")
    init = overrides.get("init", base.init)
    if "init_std" in overrides and init != "normal":
        raise SeqlensError(f"--init-std applies only to --init normal ({name} initialises with {init})")
    if init == "normal" and "init_std" not in overrides:
        raise SeqlensError("--init normal needs --init-std (the standard deviation)")
    words = tuple((rf"\b{key}\b", flag) for key, flag in flags.items() if key in overrides)
    in_flags(lambda: resolve_config(ModelConfig.from_dict({"name": name, "activation": activation, **overrides})), words)
    return overrides


def _load_data(data: Path):
    """The dataset of ``--data``: an HDF5 file, or a named dataset (``irf1``, ...; ``seqlens.data.load``)
    when no such file exists."""
    from ..data import load_h5
    from ..data.named import load, resolve_name

    if not Path(data).exists() and resolve_name(str(data)) is not None:
        return load(str(data))
    return load_h5(require_file(data, "data file"))


def _subsample_train(dataset, n: int, subset: str, seed: int):
    """``dataset`` with its training split cut to ``n`` rows: the first ``n`` or ``n`` drawn with ``seed``."""
    import numpy as np

    from ..alphabet import as_rng

    total = len(dataset.train)
    if n > total:
        raise SeqlensError(f"--train-size {n} is larger than the training split ({total} sequences)")
    if subset == "first":
        index = np.arange(n)
    else:
        index = np.sort(as_rng(seed).choice(total, size=n, replace=False))
    return dataclasses.replace(dataset, train=dataset.train.subset(index))


def _print_scores(table, title: str) -> None:
    view = Table(title=title)
    for column in ("task", "AUROC", "AUPR (trapezoid)", "average precision", "positives", "negatives"):
        view.add_column(column)
    for row in table.itertuples():
        view.add_row(row.task, f"{row.auroc:.4f}", f"{row.aupr_trapezoid:.4f}", f"{row.average_precision:.4f}",
                     str(row.n_positive), str(row.n_negative))
    console.print(view)


def train(
    data: Path = typer.Option(..., "--data", help="HDF5 dataset (seqlens or papers' layout), or a named dataset "
                              "(irf1, zbed2, oct4-mafk, regulatory-code, multitask; files in $SEQLENS_DATA)."),
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
    lr_patience: int = typer.Option(5, "--lr-patience", help="Epochs without improvement before the LR decays (default: paper 002's; docs/reproduction.md, 'Training defaults')."),
    lr_decay: float = typer.Option(0.3, "--lr-decay", help="Factor applied to the LR on a plateau (default: paper 002's)."),
    rc_augment: bool = typer.Option(False, "--rc-augment", help="Random reverse complement per sample and epoch."),
    noise_sigma: float | None = typer.Option(None, "--noise-sigma", help="noise: SD of the Gaussian noise (0.1)."),
    epsilon: float | None = typer.Option(None, "--epsilon", help="adversarial: L-inf radius (0.2)."),
    pgd_steps: int | None = typer.Option(None, "--pgd-steps", help="adversarial: PGD steps (20)."),
    pgd_step_size: float | None = typer.Option(None, "--pgd-step-size", help="adversarial: fixed step (default 0.1/(i+10))."),
    warmup_epochs: int | None = typer.Option(None, "--warmup-epochs", help="adversarial: clean epochs first (20)."),
    angle_weight: float | None = typer.Option(None, "--angle-weight", help="angle-reg: penalty per degree of mean |angle| (1e-3)."),
    filters: int | None = typer.Option(None, "--filters", help="First-layer filters (default: the architecture's)."),
    dense_units: int | None = typer.Option(None, "--dense-units", help="Width of the hidden dense layer(s) (default: the architecture's)."),
    key_size: int | None = typer.Option(None, "--key-size", help="Hybrids with attention: attention width (default 48)."),
    init: str | None = typer.Option(None, "--init", help="Weight initialisation (Keras names): glorot_uniform, glorot_normal, he_normal, he_uniform, "
                                    "lecun_normal, lecun_uniform or normal (with --init-std); default: the architecture's."),
    init_std: float | None = typer.Option(None, "--init-std", help="SD of --init normal (required with it)."),
    regularized: bool | None = typer.Option(None, "--regularized/--no-regularized", help="--no-regularized switches off batch "
                                            "norm, dropout and L2 (the unregularised models of paper 000); default: regularised."),
    train_size: int | None = typer.Option(None, "--train-size", help="Train on N sequences of the training split only "
                                          "(see --train-subset); valid and test stay whole."),
    train_subset: str = typer.Option("first", "--train-subset", help="Which N of --train-size: first (the split's first N "
                                     "rows, the same for every seed) or random (N rows drawn without replacement with --seed)."),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default cpu)."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Continue from the run directory's checkpoint."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or per-epoch lines."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Train a zoo model; writes the run directory and reports validation and test scores.

    A run directory holding a checkpoint is resumed (a finished run is re-reported) only
    when its data and settings match this call's; otherwise the command stops and says what
    changed (``--no-resume`` starts over).

    ``--filters``, ``--dense-units``, ``--key-size``, ``--init`` / ``--init-std`` and
    ``--regularized/--no-regularized`` override the architecture (``seqlens.models.build``);
    an option the architecture does not have is an error. ``--train-size N`` trains on N
    sequences of the training split: its first N rows (``--train-subset first``, the
    default, the same subset for every seed) or N rows drawn with ``--seed``
    (``--train-subset random``); train.json records the size and the rows' choice.
    A run that ends at the epoch cap or with a collapsed learning rate (below
    1/1000 of the initial one, ``seqlens.training.history.LR_COLLAPSE``) is flagged: a warning on stderr and
    ``training_check`` in train.json and ``--json`` (``seqlens.training.training_check``).
    """
    from ..models import build
    from ..training import (check_fit_arguments, evaluate, fit, resolve_device, split_fingerprint, training_check,
                            training_method)

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
    overrides = _model_overrides(model_name, activation, filters=filters, dense_units=dense_units, key_size=key_size,
                                 init=init, init_std=init_std, regularized=regularized)
    check_fit_arguments(epochs, batch_size, lr, lr_decay, lr_patience, patience, monitor, l2)
    resolve_device(device)
    check_output_dir(out, "run folder (-o)")
    check_output_file(out / SUMMARY_NAME, "run file")
    if train_subset not in TRAIN_SUBSETS:
        raise SeqlensError(f"--train-subset must be one of {', '.join(TRAIN_SUBSETS)}, got {train_subset!r}")
    if train_size is not None and train_size < 1:
        raise SeqlensError(f"--train-size must be at least 1, got {train_size}")
    dataset = _load_data(data)
    full_train = len(dataset.train)
    if train_size is not None:
        dataset = _subsample_train(dataset, train_size, train_subset, seed)
    model = build(
        model_name,
        activation=activation,
        input_length=dataset.input_length,
        n_outputs=dataset.n_tasks,
        seed=seed,
        **overrides,
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
    check = training_check(history, epochs)
    for flag in check["flags"]:
        console.print(f"[yellow]warning:[/yellow] {escape(flag)}", highlight=False, soft_wrap=True)
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
        "train_size": None if train_size is None else {"n": int(train_size), "of": int(full_train), "subset": train_subset,
                                                       "seed": seed if train_subset == "random" else None},
        "training_check": check,
        "test": table_records(test),
    }
    write_json(document, out / SUMMARY_NAME, "train.json")
    if json_output:
        emit_json(document)
        return
    console.print(
        f"{model_name} ({activation}, {training.name}): {len(history)} epochs, best epoch {best}"
        f"{' (stopped early)' if document['stopped_early'] else ''}, {document['lr_decays']} LR decay(s)"
        f"{f', trained on {train_size} of {full_train} sequences ({train_subset})' if train_size is not None else ''}; run in {out}",
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
    run: Path | None = model_argument(),
    data: Path = typer.Option(..., "--data", help="HDF5 dataset (seqlens or papers' layout)."),
    model_class: str | None = model_class_option(),
    weights: Path | None = weights_option(),
    model_kwargs: str | None = model_kwargs_option(),
    output_head: str | None = output_head_option(),
    profile_summary: str | None = profile_summary_option(),
    split: str = typer.Option("test", "--split", help="train | valid | test."),
    batch_size: int = typer.Option(256, "--batch-size"),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default: the model's)."),
    controls: bool = typer.Option(
        False, "--controls", help="Also report what composition alone achieves: AUROC of GC content and of a "
        "4-mer logistic regression trained on the train split."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """AUROC and AUPR (trapezoid and average precision) per output of a trained model on one split.

    The model is a run directory, a TorchScript / ``torch.export`` file or ``--model-class``
    with ``--weights`` (``--output-head`` / ``--profile-summary`` for tuple, dict or profile
    outputs); its outputs must be the data's tasks (same number).

    With ``--controls``, beside each task's AUROC: the AUROC of GC content alone (its direction
    taken from the train split) and of a k-mer (k = 4) count logistic regression trained on the
    train split (``seqlens.data.control_baselines``), on the same split.
    """
    from ..training import evaluate, resolve_device

    check_split_name(split)
    source = model_source(run, model_class, weights, model_kwargs, output_head, profile_summary)
    as_option("--device", lambda: resolve_device(device))

    def check_outputs(model, header) -> None:
        require_labels(model, header, "evaluate-model")

    model, dataset, chosen = load_run_and_split(source, data, split, check=check_outputs)
    table = evaluate(model, chosen, task_names=dataset.task_names, batch_size=batch_size, device=device)
    document = {
        "run": source.label,
        "data": str(data),
        "split": split,
        "output_head": output_head,
        "profile_summary": profile_summary,
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
    title = f"{source.label} on {data} ({split}, n={len(chosen)})"
    if baselines is None:
        _print_scores(table, title)
    else:
        _print_scores_with_controls(table, baselines, title)
