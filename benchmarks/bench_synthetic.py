"""Benchmark: generating the 20,000-sequence regulatory-code dataset.

Compares ``seqlens.synthetic`` (vectorised over sequences) with a naive implementation of
the same procedure that loops over sequences in Python, the way the original research code
did (written below as the reference). Both produce 10,000 positives from the 10 core PPMs
and 10,000 negatives from the 110-PPM pool; the table also reports their mean motif count
and motif coverage so the two can be seen to generate the same distribution.

Run: ``python benchmarks/bench_synthetic.py [--n 20000] [--repeats 3]``
"""

from __future__ import annotations

import argparse

import numpy as np

from _timing import best_of

from seqlens import synthetic
from seqlens.motifs import load_jaspar, resolve_motifs


def naive_simulate(ppms: list[np.ndarray], n: int, length: int, motifs_per_seq: dict, rng: np.random.Generator):
    """Steps 1-7 of SPEC 2, one sequence at a time.

    ``ppms`` are the pool entries (forward and reverse-complement PPMs, ``(4, W)`` each).
    Returns one-hot ``(n, 4, length)``, ground truth ``(n, 4, length)`` and motif counts ``(n,)``.
    """
    ks, probs = list(motifs_per_seq), list(motifs_per_seq.values())
    X = np.zeros((n, 4, length), dtype=np.float32)
    models = np.zeros((n, 4, length), dtype=np.float32)
    counts = np.zeros(n, dtype=np.int64)
    for i in range(n):
        k = ks[rng.choice(len(ks), p=probs)]
        while True:
            chosen = [ppms[j] for j in rng.integers(len(ppms), size=k)]
            used = sum(p.shape[1] for p in chosen)
            if used < length:
                break
        remainder = length - used
        while True:
            weights = 1.0 - rng.random(k + 1)
            gaps = np.rint(weights / weights.sum() * remainder).astype(int)
            if gaps.sum() == remainder:
                break
        columns = [np.full((4, gaps[0]), 0.25)]
        for ppm, gap in zip(chosen, gaps[1:]):
            columns += [ppm, np.full((4, gap), 0.25)]
        model = np.concatenate(columns, axis=1)
        cdf = np.cumsum(model, axis=0)
        u = rng.random(length) * cdf[3]
        letters = (u[None, :] >= cdf[:3]).sum(axis=0)
        X[i, letters, np.arange(length)] = 1
        models[i] = model
        counts[i] = k
    return X, models, counts


def _pool(motifs):
    """Forward and reverse-complement PPMs of every motif, columns normalised to sum to 1."""
    ppms = [p for m in motifs for p in (m.ppm, m.reverse_complement().ppm)]
    return [p / p.sum(axis=0) for p in ppms]


def _coverage(models: np.ndarray) -> float:
    return float((~(np.abs(models - 0.25) <= 1e-6).all(axis=1)).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="total sequences (half positive)")
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()

    core = resolve_motifs(synthetic.REGULATORY_CODE_CORE)
    core_ids = {m.id for m in core}
    candidates = [m for m in load_jaspar(2016) if m.id not in core_ids]
    background = [candidates[i] for i in np.random.default_rng(0).permutation(len(candidates))[:50]]
    dist = synthetic.REGULATORY_CODE_MOTIFS_PER_SEQ
    n_pos = args.n // 2
    n_neg = args.n - n_pos

    def vectorised():
        rng = np.random.default_rng(0)
        pos = synthetic.simulate_sequences(core, n_pos, args.length, dist, seed=rng)
        neg = synthetic.simulate_sequences(core + background, n_neg, args.length, dist, seed=rng)
        return np.concatenate([pos.ground_truth, neg.ground_truth]), np.concatenate([pos.n_motifs, neg.n_motifs])

    def naive():
        rng = np.random.default_rng(0)
        _, pos_models, pos_counts = naive_simulate(_pool(core), n_pos, args.length, dist, rng)
        _, neg_models, neg_counts = naive_simulate(_pool(core + background), n_neg, args.length, dist, rng)
        return np.concatenate([pos_models, neg_models]), np.concatenate([pos_counts, neg_counts])

    def dataset():
        ds = synthetic.regulatory_code_dataset(n=args.n, length=args.length, seed=0)
        gt = np.concatenate([ds.split(s).ground_truth for s in ("train", "valid", "test")])
        counts = np.concatenate([np.bincount(ds.split(s).motif_sites["sequence"], minlength=len(ds.split(s))) for s in ("train", "valid", "test")])
        return gt, counts

    vectorised()  # warm-up: JASPAR look-ups are cached in-process
    rows = [
        ("naive per-sequence loop (reference)", *best_of(naive, 1)),
        ("seqlens simulate_sequences (vectorised)", *best_of(vectorised, args.repeats)),
        ("seqlens regulatory_code_dataset (+ shuffle, split, checks)", *best_of(dataset, args.repeats)),
    ]
    naive_seconds = rows[0][1]
    print(f"Regulatory-code generation, {args.n} sequences of {args.length} nt (best of {args.repeats}; naive: 1 run)\n")
    print("| implementation | seconds | sequences/s | speed-up vs naive | mean motifs/seq | motif coverage |")
    print("|---|---|---|---|---|---|")
    for name, seconds, (models, counts) in rows:
        print(
            f"| {name} | {seconds:.3f} | {args.n / seconds:,.0f} | {naive_seconds / seconds:.1f}x "
            f"| {counts.mean():.3f} | {_coverage(models):.4f} |"
        )


if __name__ == "__main__":
    main()
