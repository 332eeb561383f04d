"""One-hot encoding of a chromosome-sized string: seqlens vs a naive numpy encoder vs tangermeme.

Run: ``python benchmarks/bench_one_hot.py [--mb 50] [--repeats 3]``. Each contender encodes
the same random ACGT string (with 1% N) in the same process; the best of ``--repeats`` runs
is reported as Mb/s and as a ratio to seqlens (>1 means seqlens is faster).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from _timing import best_of

from seqlens.alphabet import one_hot_encode


def naive_numpy(seq: str) -> np.ndarray:
    """The encoder people write first: a Python dict per character, then identity rows."""
    index = {"A": 0, "C": 1, "G": 2, "T": 3}
    idx = np.array([index.get(ch, 4) for ch in seq.upper()])
    return np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])[idx].T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0, help="string length in Mb (chr21 is ~47)")
    parser.add_argument("--naive-mb", type=float, default=2.0, help="length for the slow naive encoder")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(2)

    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
    n = int(args.mb * 1e6)
    seq = rng.choice(letters, size=n, p=[0.2475] * 4 + [0.01]).tobytes().decode()
    short = seq[: int(args.naive_mb * 1e6)]

    rows = [("seqlens float32", lambda: one_hot_encode(seq), n),
            ("seqlens uint8", lambda: one_hot_encode(seq, dtype=np.uint8), n),
            ("naive numpy float32", lambda: naive_numpy(short), len(short))]
    try:
        from tangermeme.utils import one_hot_encode as tangermeme_encode

        tangermeme_encode(short[:1000])  # numba compile outside the timing
        rows += [("tangermeme int8 (transposed view)", lambda: tangermeme_encode(seq), n),
                 ("tangermeme float32", lambda: tangermeme_encode(seq, dtype=torch.float32), n)]
    except ImportError:
        print("tangermeme not installed: skipped")

    results = {name: length / 1e6 / best_of(fn, args.repeats)[0] for name, fn, length in rows}
    reference = results["seqlens float32"]
    print(f"\nOne-hot encoding, {args.mb:g} Mb string (naive: {args.naive_mb:g} Mb), best of {args.repeats}\n")
    print("| encoder | Mb/s | seconds for 50 Mb | seqlens float32 speed-up |")
    print("|---|---:|---:|---:|")
    for name, rate in results.items():
        print(f"| {name} | {rate:.1f} | {50 / rate:.2f} | {reference / rate:.2f}x |")


if __name__ == "__main__":
    main()
