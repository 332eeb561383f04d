"""Drawing and saving a 200 nt attribution logo: seqlens' renderer vs logomaker.

Run: ``python benchmarks/bench_logo.py [--length 200] [--repeats 5]``. Both draw the same
matrix on a figure of the same size and save it to the same format at the same dpi, in the
same process; the best of ``--repeats`` runs is reported (after one warm-up run each, so
font loading is not counted) with the ratio to seqlens (>1 means seqlens is faster).
Two maps: times-input (one non-zero letter per position, the usual attribution logo) and
dense (all four letters non-zero, e.g. a raw gradient map).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import logomaker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from _timing import best_of

from seqlens.plotting import logo

WIDTH, HEIGHT, DPI = 21.0, 2.0, 150  # seqlens' own figure size for 200 positions


def seqlens_logo(matrix: np.ndarray, path: Path) -> None:
    ax = Figure(figsize=(WIDTH, HEIGHT), layout="constrained").add_subplot()
    logo(matrix, ax=ax, path=path)


def logomaker_logo(matrix: np.ndarray, path: Path) -> None:
    figure = Figure(figsize=(WIDTH, HEIGHT), layout="constrained")
    ax = figure.add_subplot()
    logomaker.Logo(pd.DataFrame(matrix.T, columns=list("ACGT")), ax=ax)
    figure.savefig(path, dpi=DPI)


def timed_logo(fn, matrix: np.ndarray, path: Path, repeats: int) -> float:
    fn(matrix, path)  # warm-up: fonts, glyph cache
    return best_of(lambda: fn(matrix, path), repeats)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    dense = rng.normal(size=(4, args.length))
    one_hot = np.eye(4)[:, rng.integers(0, 4, args.length)]
    maps = {"times-input (1 letter/position)": dense * one_hot, "dense (4 letters/position)": dense}

    print(f"\nAttribution logo, {args.length} nt, draw + save, best of {args.repeats}\n")
    print("| map | format | seqlens (s) | logomaker (s) | seqlens speed-up |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, matrix in maps.items():
            for suffix in (".png", ".svg"):
                ours = timed_logo(seqlens_logo, matrix, Path(tmp) / f"seqlens{suffix}", args.repeats)
                theirs = timed_logo(logomaker_logo, matrix, Path(tmp) / f"logomaker{suffix}", args.repeats)
                print(f"| {name} | {suffix[1:]} | {ours:.3f} | {theirs:.3f} | {theirs / ours:.1f}x |")


if __name__ == "__main__":
    main()
