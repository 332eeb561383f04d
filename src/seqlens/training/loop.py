"""The training loop: Adam + BCE, L2 on weights, LR decay on plateau, early stopping,
robust-training methods, and checkpoints that make a killed run resume bit-for-bit.

Provenance: every checkpoint holds the run's fingerprint, the fit settings and a checksum of
the training and validation arrays (:func:`split_fingerprint`); resuming, or re-reporting a
finished run, with other data or settings is refused with a message naming what changed.
Checkpoints hold no wall-clock times, so identical runs write byte-identical files.

Randomness: ``seed`` seeds two streams inside :func:`fit` (the caller's global torch RNG is
left untouched): a ``torch.Generator`` for the data (batch order, noise, reverse-complement
flips) and the global torch RNG for dropout. Both states go into every checkpoint, so a
resumed run draws exactly what the uninterrupted run would have drawn.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from rich.progress import Progress
from torch import nn

from ..alphabet import as_rng
from ..data.streaming import StreamingSplit
from ..errors import DataFormatError, SeqlensError
from ..evaluation.classification import classification_scores
from ..io_utils import atomic_path, check_output_dir, check_output_file
from ..models import ModelConfig, l2_penalty, save_model
from ..models.zoo import CHECKPOINT_FILE, CONFIG_FILE, WEIGHTS_FILE, load_torch, save_torch
from ..models.state import model_device, model_state
from ..progress import console, progress_bar
from ._inputs import as_inputs, as_labels
from .methods import Adversarial, AngleRegularization, GaussianNoise, TrainingMethod, training_method
from .metrics import batched_logits
from .robust import input_gradient_angles, pgd_perturb

MONITORS = ("auroc", "aupr", "loss")
HISTORY_COLUMNS = ["epoch", "train_loss", "val_loss", "val_auroc", "val_aupr", "lr", "seconds"]
CHECKPOINT_NAME = CHECKPOINT_FILE
HISTORY_NAME = "history.csv"
_CHECKPOINT_FORMAT = 2
#: fit settings as the ``seqlens train`` options call them (where the names differ)
_CLI_FLAGS = {
    "batch_size": "--batch-size",
    "early_stopping_patience": "--patience",
    "lr_patience": "--lr-patience",
    "lr_decay": "--lr-decay",
    "rc_augment": "--rc-augment",
    "method": "--method",
    "method.sigma": "--noise-sigma",
    "method.steps": "--pgd-steps",
    "method.step_size": "--pgd-step-size",
    "method.warmup_epochs": "--warmup-epochs",
    "method.epsilon": "--epsilon",
    "method.weight": "--angle-weight",
}
_START_OVER = "start over with resume=False (CLI: --no-resume) or another out_dir (CLI: -o)"
_EVAL_BATCH = 1000


class EarlyStopping:
    """Stop after ``patience`` epochs without strict improvement of the monitored metric.

    Keras semantics: an epoch improves when its metric beats the best so far (``max`` or
    ``min`` mode); ``patience=None`` never stops but still tracks the best epoch.
    """

    def __init__(self, mode: str, patience: int | None):
        self.mode = mode
        self.patience = patience
        self.best: float | None = None
        self.best_epoch = 0
        self.bad_epochs = 0
        self.stopped = False

    def update(self, metric: float, epoch: int) -> bool:
        """Record ``metric`` of ``epoch``; return True when it is a new best."""
        better = self.best is None or (metric > self.best if self.mode == "max" else metric < self.best)
        if better:
            self.best, self.best_epoch, self.bad_epochs = metric, epoch, 0
            return True
        self.bad_epochs += 1
        if self.patience is not None and self.bad_epochs >= self.patience:
            self.stopped = True
        return False

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs, "stopped": self.stopped}

    def load_state_dict(self, state: dict) -> None:
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.bad_epochs = state["bad_epochs"]
        self.stopped = state["stopped"]


def _split_arrays(split, name: str):
    if hasattr(split, "X") and hasattr(split, "y"):
        return split.X, split.y
    if isinstance(split, (tuple, list)) and len(split) == 2:
        return split
    raise DataFormatError(f"{name} split must be a Split (with X and y) or an (X, y) pair")


def resolve_splits(data) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Training and validation tensors from a ``SeqDataset`` or a ``(train, valid)`` pair.

    Each split is a ``Split`` or an ``(X, y)`` pair; returns ``X_train (N, 4, L)``,
    ``y_train (N, T)``, ``X_valid (M, 4, L)``, ``y_valid (M, T)`` as float32 CPU tensors.
    """
    if hasattr(data, "train") and hasattr(data, "valid"):
        train, valid = data.train, data.valid
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        train, valid = data
    else:
        raise DataFormatError("fit needs a SeqDataset or a (train, valid) pair of splits")
    if valid is None:
        raise DataFormatError("fit needs a validation split (for the monitored metric)")
    X_train, y_train = _split_arrays(train, "train")
    X_valid, y_valid = _split_arrays(valid, "valid")
    X_train = as_inputs(X_train, "train X")
    X_valid = as_inputs(X_valid, "valid X")
    y_train = as_labels(y_train, X_train.shape[0], "train y")
    y_valid = as_labels(y_valid, X_valid.shape[0], "valid y")
    if X_train.shape[2] != X_valid.shape[2]:
        raise DataFormatError(f"train sequences have length {X_train.shape[2]} but valid ones {X_valid.shape[2]}")
    if y_train.shape[1] != y_valid.shape[1]:
        raise DataFormatError(f"train labels have {y_train.shape[1]} columns but valid labels {y_valid.shape[1]}")
    return X_train, y_train, X_valid, y_valid


def _resolve_streaming(data):
    """Like :func:`resolve_splits` when a split is a :class:`StreamingSplit`: a streamed split
    stays as it is (its ``y`` is None for train, all labels for valid, small); an in-memory
    split becomes tensors."""
    train, valid = (data.train, data.valid) if hasattr(data, "train") and hasattr(data, "valid") else data
    if valid is None:
        raise DataFormatError("fit needs a validation split (for the monitored metric)")
    out = []
    for name, split in (("train", train), ("valid", valid)):
        if isinstance(split, StreamingSplit):
            if len(split) == 0:
                raise DataFormatError(f"streamed {name} split of {split.path} has no rows")
            out += [split, None if name == "train" else torch.from_numpy(split.labels())]
        else:
            X, y = _split_arrays(split, name)
            X = as_inputs(X, f"{name} X")
            out += [X, as_labels(y, X.shape[0], f"{name} y")]
    X_train, y_train, X_valid, y_valid = out
    if X_train.shape[2] != X_valid.shape[2]:
        raise DataFormatError(f"train sequences have length {X_train.shape[2]} but valid ones {X_valid.shape[2]}")
    n_train = X_train.n_tasks if y_train is None else y_train.shape[1]
    if n_train != y_valid.shape[1]:
        raise DataFormatError(f"train labels have {n_train} columns but valid labels {y_valid.shape[1]}")
    return X_train, y_train, X_valid, y_valid


def _is_streaming(data) -> bool:
    if hasattr(data, "train") and hasattr(data, "valid"):
        parts = (data.train, data.valid)
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        parts = tuple(data)
    else:
        return False
    return any(isinstance(part, StreamingSplit) for part in parts)


def _fingerprint(X, y) -> dict:
    return X.fingerprint() if isinstance(X, StreamingSplit) else split_fingerprint(X, y)


def _head(X, n: int = 2) -> torch.Tensor:
    return torch.from_numpy(X.read(0, n)[0]) if isinstance(X, StreamingSplit) else X[:n]


def _check_model_fits(model: nn.Module, X: torch.Tensor, n_tasks: int, device) -> None:
    """Fail early with one line when the model cannot take this data."""
    X = _head(X)
    with model_state(model, device, training=False) as dev:
        try:
            out = batched_logits(model, X[:2], 2, dev)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataFormatError(f"model does not accept inputs of shape (N, 4, {X.shape[2]}): {first}") from None
    if out.shape[1] != n_tasks:
        raise DataFormatError(f"model has {out.shape[1]} outputs but the labels have {n_tasks} columns")


def _model_signature(model: nn.Module) -> dict:
    """What a checkpoint must match to be loaded into ``model``: config and tensor shapes."""
    config = getattr(model, "config", None)
    return {
        "config": config.model_dump(mode="json") if hasattr(config, "model_dump") else None,
        "shapes": {name: list(t.shape) for name, t in model.state_dict().items()},
    }


def resolve_device(device) -> torch.device | None:
    """``torch.device(device)`` (None stays None); a one-line SeqlensError for an unknown
    name (``"gpu"``), a missing device (``"cuda"`` without CUDA, ``"cuda:7"``) or ``"meta"``.

    The checks are :func:`seqlens.validation.check_device`, which the attribution methods
    use too.
    """
    from ..validation import check_device

    return check_device(device)


def split_fingerprint(X: torch.Tensor, y: torch.Tensor) -> dict:
    """What identifies a split: size, shapes and SHA-256 of its float32 ``X`` and ``y`` bytes.

    ``X`` ``(N, 4, L)`` and ``y`` ``(N, T)`` (tensors or arrays) are hashed as float32, as
    :func:`resolve_splits` returns them, so the same sequences and labels give the same
    fingerprint whatever their stored dtype.
    """

    def checksum(t) -> str:
        t = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t
        return hashlib.sha256(np.ascontiguousarray(t, dtype=np.float32).data).hexdigest()

    return {"n": int(X.shape[0]), "X_shape": list(X.shape), "y_shape": list(y.shape),
            "X_sha256": checksum(X), "y_sha256": checksum(y)}


def _model_l2(model: nn.Module, l2: float | None) -> float:
    if l2 is None:
        config = getattr(model, "config", None)
        l2 = float(getattr(config, "l2", 0.0) or 0.0)
    if not (math.isfinite(l2) and l2 >= 0):
        raise SeqlensError(f"l2 must be a non-negative number, got {l2}")
    return l2


def check_fit_arguments(
    epochs: int = 100,
    batch_size: int = 100,
    lr: float = 1e-3,
    lr_decay: float = 0.3,
    lr_patience: int = 5,
    early_stopping_patience: int | None = 10,
    monitor: str | None = None,
    l2: float | None = None,
) -> None:
    """Check :func:`fit`'s scalar settings without data (SeqlensError naming the first bad one).

    ``fit`` calls it first; the CLI calls it before loading any data.
    """
    checks = [
        (isinstance(epochs, int) and epochs >= 1, f"epochs must be an integer >= 1, got {epochs}"),
        (isinstance(batch_size, int) and batch_size >= 1, f"batch_size must be an integer >= 1, got {batch_size}"),
        (math.isfinite(lr) and lr > 0, f"learning rate must be a positive number, got {lr}"),
        (0 < lr_decay < 1, f"lr_decay must be in (0, 1), got {lr_decay}"),
        (isinstance(lr_patience, int) and lr_patience >= 0, f"lr_patience must be an integer >= 0, got {lr_patience}"),
        (
            early_stopping_patience is None or (isinstance(early_stopping_patience, int) and early_stopping_patience >= 1),
            f"early_stopping_patience must be an integer >= 1 or None, got {early_stopping_patience}",
        ),
        (monitor is None or monitor in MONITORS, f"monitor must be one of {', '.join(MONITORS)}, got {monitor!r}"),
        (l2 is None or (math.isfinite(l2) and l2 >= 0), f"l2 must be a non-negative number, got {l2}"),
    ]
    for ok, message in checks:
        if not ok:
            raise SeqlensError(message)


class _Trainer:
    """One training run's state; ``fit`` owns it. Tensors live on ``device``."""

    def __init__(self, model, X, y, method, batch_size, l2, rc_augment, device, generator, optimizer):
        self.model = model
        self.X, self.y = X, y
        self.method = method
        self.batch_size = batch_size
        self.l2 = l2
        self.rc_augment = rc_augment
        self.device = device
        self.generator = generator
        self.optimizer = optimizer
        # a streamed training split: batches of ``batch_size`` made on the device, in the
        # split's own (seeded, block-shuffled) order of each epoch
        self.stream = X.with_options(batch_size=batch_size, drop_last=False) if isinstance(X, StreamingSplit) else None

    def batch_inputs(self, idx: torch.Tensor, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The (augmented) training batch for sample indices ``idx``; all draws come from the generator."""
        return self.augment(self.X[idx], self.y[idx], epoch)

    def augment(self, xb: torch.Tensor, yb: torch.Tensor, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch augmented (on its device; the draws on the CPU generator) and moved to the device."""
        if self.rc_augment:
            # Each sample independently, with probability 1/2, is replaced by its reverse complement.
            flip = (torch.rand(len(xb), generator=self.generator) < 0.5).to(xb.device)
            xb[flip] = xb[flip].flip(dims=(1, 2))
        if isinstance(self.method, GaussianNoise):
            xb = xb + self.method.sigma * torch.randn(xb.shape, generator=self.generator).to(xb.device)
        xb = xb.to(self.device, non_blocking=True)
        yb = yb.to(self.device, non_blocking=True)
        method = self.method
        if isinstance(method, Adversarial) and epoch > method.warmup_epochs:
            n_adv = round(method.adversarial_fraction * len(xb))
            if n_adv:
                self.model.eval()
                try:
                    adv = pgd_perturb(self.model, xb[-n_adv:], yb[-n_adv:], method.epsilon, method.steps, method.step_size)
                finally:
                    self.model.train()
                xb = torch.cat([xb[:-n_adv], adv])
        return xb, yb

    def step(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        """One optimiser step; returns the detached mean BCE of the batch."""
        self.optimizer.zero_grad(set_to_none=True)
        if isinstance(self.method, AngleRegularization):
            logits, angles = input_gradient_angles(self.model, xb, self.method.unit, create_graph=True)
            penalty = self.method.weight * angles.abs().mean()
        else:
            logits, penalty = self.model(xb), None
        data_loss = F.binary_cross_entropy_with_logits(logits.reshape(yb.shape), yb)
        loss = data_loss
        if self.l2 > 0:
            loss = loss + self.l2 * l2_penalty(self.model)
        if penalty is not None:
            loss = loss + penalty
        loss.backward()
        self.optimizer.step()
        return data_loss.detach()

    def epoch(self, epoch: int, bar: Progress, task, label: str) -> float:
        """Train one epoch on freshly shuffled batches; returns the mean training BCE."""
        n = self.X.shape[0]
        total = torch.zeros((), device=self.device)
        bar.reset(task, total=math.ceil(n / self.batch_size), description=label)
        if self.stream is not None:
            batches = (self.augment(xb, yb, epoch) for xb, yb in self.stream.batches(epoch, device=self.device))
        else:
            order = torch.randperm(n, generator=self.generator)
            batches = (self.batch_inputs(order[start : start + self.batch_size], epoch) for start in range(0, n, self.batch_size))
        for i, (xb, yb) in enumerate(batches):
            loss = self.step(xb, yb)
            total += loss * len(xb)
            if bar.live.is_started and i % 20 == 0:
                bar.update(task, advance=1, description=f"{label} loss {loss.item():.4f}")
            else:
                bar.advance(task)
        return float(total) / n


def _validation_row(model, X_valid, y_valid, device) -> dict:
    with model_state(model, device, training=False) as dev:
        if isinstance(X_valid, StreamingSplit):
            stream = X_valid.with_options(batch_size=_EVAL_BATCH, shuffle=False)
            logits = torch.cat([batched_logits(model, xb, _EVAL_BATCH, dev) for xb, _ in stream.batches(device=dev)])
        else:
            logits = batched_logits(model, X_valid, _EVAL_BATCH, dev)
    val_loss = float(F.binary_cross_entropy_with_logits(logits, y_valid))
    scores = classification_scores(y_valid.numpy(), logits.numpy())
    # outputs with one class only are NaN and left out of the mean (pandas skips NaN)
    return {"val_loss": val_loss, "val_auroc": float(scores["auroc"].mean()), "val_aupr": float(scores["average_precision"].mean())}


def _rng_state(generator: torch.Generator, device: torch.device) -> dict:
    state = {"torch": torch.get_rng_state(), "generator": generator.get_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: dict, generator: torch.Generator, device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    generator.set_state(state["generator"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def _state_on_cpu(model: nn.Module) -> dict:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _write_history(history: list[dict], path: Path) -> None:
    with atomic_path(path) as tmp:
        pd.DataFrame(history, columns=HISTORY_COLUMNS).to_csv(tmp, index=False)


def fit(
    model: nn.Module,
    dataset_or_splits,
    *,
    epochs: int = 100,
    batch_size: int = 100,
    lr: float = 1e-3,
    l2: float | None = None,
    monitor: str | None = None,
    lr_decay: float = 0.3,
    lr_patience: int = 5,
    early_stopping_patience: int | None = 10,
    restore_best: bool = True,
    method: str | TrainingMethod | None = None,
    rc_augment: bool = False,
    seed: int | np.random.Generator | None = 0,
    device=None,
    out_dir: str | Path | None = None,
    resume: bool = True,
    verbose: bool = True,
) -> pd.DataFrame:
    """Train ``model`` (logits out) on binary labels; return the per-epoch history.

    Adam on the mean binary cross-entropy over samples and outputs, plus
    ``l2 * l2_penalty(model)`` (sum of squared conv/linear weights; ``l2=None`` takes the
    model config's ``l2``, 0 for models without a config), plus the method's penalty. Each
    epoch reshuffles the training set with a seeded generator. After each epoch the
    validation split is scored; the monitored metric drives ``ReduceLROnPlateau``
    (``lr_decay`` factor, ``lr_patience``) and early stopping (``early_stopping_patience``;
    None disables it). With ``restore_best`` the model ends with the weights of its best epoch.

    Parameters
    ----------
    model : maps ``(B, 4, L)`` one-hot to logits ``(B, T)``.
    dataset_or_splits : a ``SeqDataset`` (its ``train`` and ``valid`` splits) or a
        ``(train, valid)`` pair of ``Split`` objects or ``(X, y)`` pairs; ``X`` ``(N, 4, L)``
        one-hot, ``y`` ``(N, T)`` binary. Either split may be a
        :class:`seqlens.data.StreamingSplit` (a compact-layout file read in blocks, never
        loaded whole): training batches (of ``batch_size``) then come in the split's own
        seeded order for each epoch (its ``shuffle`` / ``seed``; epoch ``e`` reads
        ``split.order(e)``), made on ``device``; the run's fingerprint holds the split's
        code and label checksums.
    monitor : "auroc", "aupr" (average precision) or "loss" on the validation split,
        averaged over outputs. Default: auroc for one output, aupr for several.
    method : "standard", "noise", "adversarial", "angle-reg" or a method object from
        :mod:`seqlens.training.methods` (``GaussianNoise(sigma)``, ``Adversarial(...)``,
        ``AngleRegularization(weight)``); None is standard training.
    rc_augment : replace each training sample, independently each epoch, by its reverse
        complement with probability 1/2 (labels unchanged; validation is never flipped).
    seed : int, numpy Generator or None; same seed and data give bit-identical weights on CPU.
    device : where to train (None: where the model is); the model returns to its original
        device and train/eval modes afterwards.
    out_dir : if given, ``history.csv`` and ``checkpoint.pt`` are written (atomically) after
        every epoch and the final zoo model is saved with ``seqlens.models.save_model``
        (for other modules the best weights are ``checkpoint.pt["best_model"]``). It is
        checked before any work (OutputError when it, or a run file in it, cannot be
        written). Identical runs write byte-identical ``checkpoint.pt`` and ``weights.pt``.
    resume : continue from ``out_dir/checkpoint.pt`` when present. The checkpoint holds the
        run's fingerprint (the settings above, the model and a checksum of the training and
        validation data); a different one is refused with a SeqlensError naming what changed
        (``epochs`` may grow). A truncated or corrupt checkpoint is refused too. A run resumed
        after a crash ends with the same weights as an uninterrupted one.
    verbose : live progress bar and one line per epoch on stderr.

    Returns
    -------
    DataFrame, one row per epoch: ``epoch`` (1-based), ``train_loss`` (mean BCE of the
    training batches, without penalties, on the augmented inputs), ``val_loss``,
    ``val_auroc``, ``val_aupr``, ``lr`` (used during the epoch), ``seconds``.
    ``attrs`` holds ``monitor``, ``best_epoch``, ``stopped_early`` and ``settings`` (the run
    record: every fit setting, ``epochs``, ``restore_best`` and ``data``, the
    :func:`split_fingerprint` of the training and validation splits).
    """
    check_fit_arguments(epochs, batch_size, lr, lr_decay, lr_patience, early_stopping_patience, monitor, l2)
    method = training_method(method)
    out_dir = _check_out_dir(out_dir) if out_dir is not None else None
    requested = resolve_device(device)
    if _is_streaming(dataset_or_splits):
        X_train, y_train, X_valid, y_valid = _resolve_streaming(dataset_or_splits)
    else:
        X_train, y_train, X_valid, y_valid = resolve_splits(dataset_or_splits)
    n_tasks = X_train.n_tasks if y_train is None else y_train.shape[1]
    if monitor is None:
        monitor = "auroc" if n_tasks == 1 else "aupr"
    if monitor != "loss":
        labels = y_valid > 0.5
        if not (labels.any(0) & ~labels.all(0)).any():
            raise DataFormatError(f"validation labels hold one class only; {monitor} is undefined (use monitor='loss')")
    l2 = _model_l2(model, l2)
    target = requested if requested is not None else model_device(model)
    _check_model_fits(model, X_valid, n_tasks, target)

    mode = "min" if monitor == "loss" else "max"
    settings = {
        "format": _CHECKPOINT_FORMAT,
        "method": dataclasses.asdict(method),
        "batch_size": batch_size,
        "lr": lr,
        "l2": l2,
        "monitor": monitor,
        "lr_decay": lr_decay,
        "lr_patience": lr_patience,
        "early_stopping_patience": early_stopping_patience,
        "rc_augment": rc_augment,
        "seed": seed if isinstance(seed, int) else None,
        "n_tasks": n_tasks,
        "data": {"train": _fingerprint(X_train, y_train), "valid": _fingerprint(X_valid, y_valid)},
        "model": _model_signature(model),
    }
    record = {
        **{k: v for k, v in settings.items() if k not in ("format", "model")},
        "epochs": epochs,
        "restore_best": restore_best,
    }
    checkpoint = _load_checkpoint(out_dir, settings) if (out_dir is not None and resume) else None

    devices = [target.index or 0] if target.type == "cuda" else []
    with torch.random.fork_rng(devices=devices), model_state(model, target, training=True):
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=lr_decay, patience=lr_patience)
        stopper = EarlyStopping(mode, early_stopping_patience)
        generator = torch.Generator()
        if checkpoint is None:
            data_seed, torch_seed = (int(s) for s in as_rng(seed).integers(0, 2**62, size=2))
            generator.manual_seed(data_seed)
            torch.default_generator.manual_seed(torch_seed)
            if target.type == "cuda":
                torch.cuda.manual_seed(torch_seed)
            history, best_state, start = [], None, 0
        else:
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            scheduler.load_state_dict(checkpoint["scheduler"])
            stopper.load_state_dict(checkpoint["early_stopping"])
            _set_rng_state(checkpoint["rng"], generator, target)
            best_state, start = checkpoint["best_model"], checkpoint["epoch"]
            history = _with_seconds(checkpoint["history"], out_dir / HISTORY_NAME)
            if verbose and start < epochs and not stopper.stopped:
                console.print(f"resuming from {out_dir / CHECKPOINT_NAME} after epoch {start}")
            elif verbose:
                console.print(f"{out_dir} holds a finished run ({start} epochs); resume=False (CLI: --no-resume) starts over")

        trainer = _Trainer(model, X_train, y_train, method, batch_size, l2, rc_augment, target, generator, optimizer)
        with progress_bar(enabled=verbose) as progress:
            bar_task = progress.add_task("train", total=1)
            for epoch in range(start + 1, epochs + 1):
                if stopper.stopped:
                    break
                started = time.perf_counter()
                lr_used = optimizer.param_groups[0]["lr"]
                train_loss = trainer.epoch(epoch, progress, bar_task, f"epoch {epoch}/{epochs}")
                row = {"epoch": epoch, "train_loss": train_loss, **_validation_row(model, X_valid, y_valid, target)}
                metric = row[f"val_{monitor}"]
                scheduler.step(metric)
                if stopper.update(metric, epoch):
                    best_state = _state_on_cpu(model)
                row.update(lr=lr_used, seconds=time.perf_counter() - started)
                history.append(row)
                if verbose:
                    console.print(
                        f"epoch {epoch}: train_loss {train_loss:.4f}  val_loss {row['val_loss']:.4f}  "
                        f"val_auroc {row['val_auroc']:.4f}  val_aupr {row['val_aupr']:.4f}  lr {lr_used:.2e}",
                        highlight=False,
                        soft_wrap=True,
                    )
                if out_dir is not None:
                    _write_history(history, out_dir / HISTORY_NAME)
                    state = {
                        "settings": settings,
                        "epoch": epoch,
                        "model": _state_on_cpu(model),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "early_stopping": stopper.state_dict(),
                        "best_model": best_state,
                        "rng": _rng_state(generator, target),
                        # wall-clock times stay in history.csv: identical runs, identical bytes
                        "history": [{k: v for k, v in r.items() if k != "seconds"} for r in history],
                    }
                    save_torch(state, out_dir / CHECKPOINT_NAME)
        if verbose and stopper.stopped:
            console.print(f"early stopping: best epoch {stopper.best_epoch} ({monitor} {stopper.best:.4f})")
        if restore_best and best_state is not None:
            model.load_state_dict(best_state)
        if out_dir is not None and isinstance(getattr(model, "config", None), ModelConfig):
            save_model(model, out_dir)

    frame = pd.DataFrame(history, columns=HISTORY_COLUMNS)
    frame.attrs.update(monitor=monitor, best_epoch=stopper.best_epoch, stopped_early=stopper.stopped, settings=record)
    return frame


def _check_out_dir(out_dir) -> Path:
    """Fail before any work when the run folder or one of its files cannot be written."""
    out_dir = check_output_dir(out_dir, "output folder (out_dir, CLI: -o)")
    for name in (HISTORY_NAME, CHECKPOINT_NAME, WEIGHTS_FILE, CONFIG_FILE):
        check_output_file(out_dir / name, "run file")
    return out_dir


def _with_seconds(rows: list[dict], history_path: Path) -> list[dict]:
    """Checkpoint rows with the epochs' ``seconds`` from ``history.csv`` (NaN where unknown)."""
    seconds: dict[int, float] = {}
    try:
        table = pd.read_csv(history_path)
        seconds = dict(zip(table["epoch"].astype(int), table["seconds"].astype(float), strict=True))
    except (OSError, ValueError, KeyError, pd.errors.ParserError):
        pass
    return [{**row, "seconds": seconds.get(int(row["epoch"]), float("nan"))} for row in rows]


def _show(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _flat(settings: dict, other: dict) -> dict:
    """Settings with the method's parameters as ``method.<name>`` keys when both runs use the
    same method (another method is one change: ``method``)."""
    flat = {}
    for key, value in settings.items():
        same = isinstance(value, dict) and isinstance(other.get(key), dict) and value.get("name") == other[key].get("name")
        if key == "method" and same:
            flat.update({f"method.{k}": v for k, v in value.items() if k != "name"})
        elif key == "method" and isinstance(value, dict):
            params = {k: v for k, v in value.items() if k != "name"}
            flat[key] = f"{value.get('name')}{_show(params) if params else ''}"
        else:
            flat[key] = value
    return flat


def _data_changes(saved: dict, current: dict) -> list[str]:
    changes = []
    for split in ("train", "valid"):
        old, new = saved.get(split) or {}, current[split]
        if old.get("n") != new["n"]:
            changes.append(f"{split} size {old.get('n')} -> {new['n']}")
        for key, label in (("X_shape", "X shape"), ("y_shape", "y shape")):
            if old.get(key) != new[key] and old.get("n") == new["n"]:
                changes.append(f"{split} {label} {old.get(key)} -> {new[key]}")
        for key, label in (("X_sha256", "X checksum"), ("y_sha256", "y checksum")):
            if old.get(key) != new[key]:
                changes.append(f"{split} {label} {str(old.get(key))[:12]} -> {new[key][:12]}")
    return changes


def _model_changes(saved: dict, current: dict) -> list[str]:
    old, new = (saved or {}).get("config") or {}, current.get("config") or {}
    changes = [f"{k} {_show(old.get(k))} -> {_show(new.get(k))}" for k in new if old.get(k) != new.get(k)]
    return changes or ["parameter names or shapes"]


def _setting_changes(saved: dict, current: dict) -> list[str]:
    old, new = _flat(saved, current), _flat(current, saved)
    changes = []
    for key in [*new, *(k for k in old if k not in new)]:
        if key in ("format", "data", "model") or old.get(key) == new.get(key):
            continue
        flag = _CLI_FLAGS.get(key)
        name = f"{key} (CLI: {flag})" if flag else key
        changes.append(f"setting {name} changed {_show(old.get(key))} -> {_show(new.get(key))}")
    return changes


def checkpoint_changes(saved: dict, settings: dict) -> list[str]:
    """What differs between a checkpoint's settings and this run's, one phrase per change.

    E.g. ``"data changed (train X checksum 1a2b3c4d5e6f -> 9f8e7d6c5b4a)"``,
    ``"setting lr changed 0.001 -> 0.01"``, ``"model changed (activation relu -> exponential)"``.
    """
    changes = []
    data = _data_changes(saved.get("data") or {}, settings["data"])
    if data:
        changes.append(f"data changed ({', '.join(data)})")
    if saved.get("model") != settings["model"]:
        changes.append(f"model changed ({', '.join(_model_changes(saved.get('model'), settings['model']))})")
    changes.extend(_setting_changes(saved, settings))
    return changes


_CHECKPOINT_KEYS = ("settings", "epoch", "model", "optimizer", "scheduler", "early_stopping", "best_model", "rng", "history")


def _load_checkpoint(out_dir: Path, settings: dict) -> dict | None:
    path = out_dir / CHECKPOINT_NAME
    if not path.is_file():
        return None
    corrupt = f"delete it, or {_START_OVER}"
    checkpoint = load_torch(path, "checkpoint", corrupt)
    if not isinstance(checkpoint, dict) or any(key not in checkpoint for key in _CHECKPOINT_KEYS):
        raise DataFormatError(f"checkpoint {path} is not a seqlens training checkpoint (keys missing); {corrupt}")
    saved = checkpoint["settings"] if isinstance(checkpoint["settings"], dict) else {}
    if saved.get("format") != settings["format"]:
        raise SeqlensError(
            f"checkpoint {path} was written by another seqlens version (format {saved.get('format')}, not "
            f"{settings['format']}) and cannot be checked against this run's data; {_START_OVER}"
        )
    changes = checkpoint_changes(saved, settings)
    if changes:
        raise SeqlensError(
            f"checkpoint {path} belongs to another run: {'; '.join(changes)}; rerun with the same data and "
            f"settings, or {_START_OVER}"
        )
    return checkpoint
