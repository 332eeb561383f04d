"""Time per epoch of ``seqlens.training.fit`` against a bare PyTorch loop.

Both run the same zoo model (same initial weights) on the same 14,000 training and 2,000
validation sequences of length 200, with the same objective (BCE + L2 on weights, Adam,
batch 100) and the same per-epoch validation (logits of the validation split + AUROC).
``fit`` adds input checks, seeded shuffling, early-stopping / LR-plateau bookkeeping, the
progress bar (``verbose``) and, with ``out_dir``, a checkpoint + history file per epoch.

    OMP_NUM_THREADS=1 python benchmarks/bench_training.py [--epochs 2] [--device cpu]

Prints a markdown table: wall and CPU seconds per epoch (for ``fit``: the whole call divided
by its epochs), training sequences per second, ratios to the bare loop. On a shared machine
the CPU-time ratio is the steadier measure of overhead (other processes inflate wall time).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

from seqlens.alphabet import random_sequences
from seqlens.models import build, l2_penalty
from seqlens.training import fit

N_TRAIN, N_VALID, LENGTH, BATCH = 14_000, 2_000, 200, 100


def make_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = torch.from_numpy(random_sequences(N_TRAIN + N_VALID, LENGTH, seed=rng))
    y = torch.from_numpy((rng.random((N_TRAIN + N_VALID, 1)) < 0.5).astype(np.float32))
    return (X[:N_TRAIN], y[:N_TRAIN]), (X[N_TRAIN:], y[N_TRAIN:])


def bare_epochs(model, train, valid, epochs: int, device) -> list[tuple[float, float]]:
    """The plain loop a user would write; returns (wall, CPU) seconds of each epoch."""
    (X, y), (X_valid, y_valid) = train, valid
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    l2 = model.config.l2
    times = []
    for _ in range(epochs):
        start, cpu_start = time.perf_counter(), time.process_time()
        model.train()
        order = torch.randperm(X.shape[0], generator=generator)
        for i in range(0, X.shape[0], BATCH):
            idx = order[i : i + BATCH]
            xb, yb = X[idx].to(device), y[idx].to(device)
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(xb), yb) + l2 * l2_penalty(model)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.inference_mode():
            logits = torch.cat([model(X_valid[i : i + 1000].to(device)).cpu() for i in range(0, X_valid.shape[0], 1000)])
        roc_auc_score(y_valid.numpy().ravel(), logits.numpy().ravel())
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start, time.process_time() - cpu_start))
    return times


def fit_epochs(model, train, valid, epochs: int, device, verbose: bool, out_dir=None) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of the whole ``fit`` call (input checks, checkpoints, final save
    included) spread evenly over its epochs."""
    start, cpu_start = time.perf_counter(), time.process_time()
    fit(
        model, (train, valid), epochs=epochs, early_stopping_patience=None, verbose=verbose,
        device=device, out_dir=out_dir, resume=False,
    )
    return [((time.perf_counter() - start) / epochs, (time.process_time() - cpu_start) / epochs)] * epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="repeat every variant, take the median epoch")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--models", nargs="+", default=["cnn_local", "cnn_dist"])
    args = parser.parse_args()
    device = torch.device(args.device)
    train, valid = make_data()
    # Warm-up: the first Adam construction imports torch._dynamo (seconds), once per process.
    small = (train[0][:200], train[1][:200]), (valid[0][:200], valid[1][:200])
    bare_epochs(build(args.models[0], input_length=LENGTH, seed=0), *small, 1, device)
    fit_epochs(build(args.models[0], input_length=LENGTH, seed=0), *small, 1, device, False)
    print(f"device {device}, torch threads {torch.get_num_threads()}, {N_TRAIN} training sequences, "
          f"{args.epochs} epochs x {args.rounds} rounds per variant (median epoch)\n")
    print("| model | loop | wall s / epoch | CPU s / epoch | sequences / s (wall) | ratio to bare (CPU) | ratio to bare (wall) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in args.models:
        with tempfile.TemporaryDirectory() as tmp:
            variants = {
                "bare PyTorch loop": lambda m: bare_epochs(m, train, valid, args.epochs, device),
                "seqlens fit, verbose=False": lambda m: fit_epochs(m, train, valid, args.epochs, device, False),
                "seqlens fit, verbose=True": lambda m: fit_epochs(m, train, valid, args.epochs, device, True),
                "seqlens fit, checkpoints (out_dir)": lambda m: fit_epochs(m, train, valid, args.epochs, device, False, tmp),
            }
            times = {label: [] for label in variants}
            for _ in range(args.rounds):  # interleaved, so load drift hits every variant alike
                for label, run in variants.items():
                    times[label] += run(build(name, input_length=LENGTH, seed=0))
            base_wall, base_cpu = (statistics.median(t[k] for t in times["bare PyTorch loop"]) for k in (0, 1))
            for label, values in times.items():
                wall, cpu = (statistics.median(t[k] for t in values) for k in (0, 1))
                print(
                    f"| {name} | {label} | {wall:.2f} | {cpu:.2f} | {N_TRAIN / wall:,.0f} | "
                    f"{cpu / base_cpu:.3f} | {wall / base_wall:.3f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
