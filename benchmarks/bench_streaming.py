"""Datasets larger than memory (issue 13): training from a streamed compact file vs from
in-memory arrays, and the peak memory of each.

Generates (once; ``--file``, reused when present) a compact-layout file of ``--rows`` rows
(500,000 by default) of ``--length`` nt (600, Basset-sized rows) with ``--tasks`` label
columns, written block by block by ``seqlens.data.CompactWriter`` (the float one-hot of the
file, 4.8 GB at the default size, is never in memory). Then, each in a fresh subprocess whose
peak RSS is read with ``resource.getrusage``:

- ``stream``: a small CNN trained for ``--batches`` batches of ``--batch-size`` (200 x 100,
  an epoch slice) from ``open_streaming(file, "train", shuffle=True)``: chunk-aligned block
  shuffling over the whole training split, one-hot made per batch from the uint8 codes;
- ``memory``: the same CNN and steps from in-memory float32 arrays of the rows those batches
  need (``batches * batch_size`` rows, randperm batches), as ``fit`` trains;
- ``scan``: one full pass over the streamed training split (every batch made, no model):
  the RSS of reading the whole file.

    nice python benchmarks/bench_streaming.py [--rows 500000] [--file /tmp/stream.h5] [--repeats 2]

Prints a markdown table: seconds (best of ``--repeats``, interleaved), the ratio to
``memory`` and the peak RSS of each process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def _model(tasks: int):
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv1d(4, 32, 19, padding=9), nn.ReLU(), nn.MaxPool1d(25), nn.Conv1d(32, 32, 7, padding=3), nn.ReLU(),
        nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(32, tasks),
    )


def _train(batches, tasks: int) -> int:
    import torch
    import torch.nn.functional as F

    model = _model(tasks)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps = 0
    for xb, yb in batches:
        optimizer.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(model(xb), yb)
        loss.backward()
        optimizer.step()
        steps += 1
    return steps


def generate(path: Path, rows: int, length: int, tasks: int, chunk_rows: int, compression: str, block: int = 10_000) -> None:
    from seqlens.data import CompactWriter

    rng = np.random.default_rng(0)
    n_valid = n_test = max(1, rows // 50)
    sizes = {"train": rows - n_valid - n_test, "valid": n_valid, "test": n_test}
    with CompactWriter(path, length, tasks, chunk_rows=chunk_rows, compression=compression, source="bench_streaming") as writer:
        for name, size in sizes.items():
            for start in range(0, size, block):
                b = min(block, size - start)
                writer.write(name, rng.integers(0, 4, size=(b, length), dtype=np.uint8),
                             (rng.random((b, tasks)) < 0.3).astype(np.float32))


def run_mode(args) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    from seqlens.data import open_streaming

    started = time.perf_counter()
    if args.mode == "stream":
        split = open_streaming(args.file, "train", batch_size=args.batch_size, shuffle=True, seed=0)
        batches = (b for _, b in zip(range(args.batches), split.batches(0), strict=False))
        steps = _train(batches, split.n_tasks)
    elif args.mode == "memory":
        split = open_streaming(args.file, "train")
        n = args.batches * args.batch_size
        X, y = split.read(0, n)  # the rows the batches need, as float32 arrays
        X, y = torch.from_numpy(X), torch.from_numpy(y)
        started = time.perf_counter()  # time the training only, as for the stream (reading counted there)
        generator = torch.Generator().manual_seed(0)
        order = torch.randperm(n, generator=generator)
        batches = ((X[order[s : s + args.batch_size]], y[order[s : s + args.batch_size]]) for s in range(0, n, args.batch_size))
        steps = _train(batches, split.n_tasks)
    else:  # scan
        split = open_streaming(args.file, "train", batch_size=args.batch_size, shuffle=True, seed=0)
        steps = sum(1 for _ in split.batches(0))
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": args.mode, "seconds": seconds, "steps": steps, "rows": steps * args.batch_size, "peak_rss_mb": rss_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--length", type=int, default=600)
    parser.add_argument("--tasks", type=int, default=164)
    parser.add_argument("--chunk-rows", type=int, default=1024)
    parser.add_argument("--compression", default="gzip")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--file", type=Path, default=Path("/tmp/seqlens_bench_stream.h5"))
    parser.add_argument("--no-scan", action="store_true", help="skip the full pass over the file")
    parser.add_argument("--mode", choices=("stream", "memory", "scan"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args)))
        return

    if not args.file.exists():
        started = time.perf_counter()
        generate(args.file, args.rows, args.length, args.tasks, args.chunk_rows, args.compression)
        print(f"generated {args.file} ({args.file.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    common = [sys.executable, __file__, "--file", str(args.file), "--batches", str(args.batches),
              "--batch-size", str(args.batch_size), "--threads", str(args.threads)]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    best: dict[str, dict] = {}
    modes = ["stream", "memory"] * args.repeats + ([] if args.no_scan else ["scan"])
    for mode in modes:
        out = subprocess.run([*common, "--mode", mode], check=True, capture_output=True, text=True, env=env)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(result), file=sys.stderr)
        if mode not in best or result["seconds"] < best[mode]["seconds"]:
            best[mode] = {**result, "peak_rss_mb": max(result["peak_rss_mb"], best.get(mode, {}).get("peak_rss_mb", 0))}

    from seqlens.data import open_streaming

    split = open_streaming(args.file, "train")
    full_gb = len(split) * 4 * split.length * 4 / 1e9
    print(f"\nfile {args.file}: {len(split)} training rows x {split.length} nt, {split.n_tasks} tasks, "
          f"{args.file.stat().st_size / 2**20:.0f} MiB on disk (float32 one-hot in memory: {full_gb:.1f} GB)\n")
    print("| run | rows | seconds | ratio to memory | rows / s | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|")
    base = best["memory"]["seconds"]
    for mode, label in (("memory", f"in-memory arrays ({args.batches} x {args.batch_size})"),
                        ("stream", f"streamed file ({args.batches} x {args.batch_size}, shuffled)"),
                        ("scan", "streamed full pass, no model")):
        if mode in best:
            r = best[mode]
            ratio = f"{r['seconds'] / base:.2f}" if mode != "scan" else "-"
            print(f"| {label} | {r['rows']} | {r['seconds']:.2f} | {ratio} | {r['rows'] / r['seconds']:.0f} | {r['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
