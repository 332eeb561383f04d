"""Dinucleotide shuffles: seqlens (vectorised numpy) vs tangermeme (numba) vs a per-sequence loop.

Run: ``python benchmarks/bench_shuffle.py [--n 1000] [--length 200] [--shuffles 10]``. The
workload is DeepSHAP's references: ``--shuffles`` shuffles of each of ``--n`` random one-hot
sequences (a torch float32 tensor), all contenders in the same process. seqlens shuffles
the sequences repeated ``--shuffles`` times (as ``dinuc_shuffled_references`` does, the
repeat is timed); tangermeme takes ``n=--shuffles`` (numba compiled outside the timing); the
naive reference is the former seqlens per-sequence loop, timed on ``--naive-n`` sequences.
Reports the best of ``--repeats`` runs as shuffles/s and the seqlens speed-up, after
checking that every contender keeps each shuffle's dinucleotide counts and end letters.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from _timing import best_of

from seqlens.alphabet import as_rng, dinucleotide_shuffle, random_sequences


def naive_dinucleotide_shuffle(X: np.ndarray, seed=None) -> np.ndarray:
    """The former seqlens implementation: Altschul-Erickson, one sequence at a time."""
    rng = as_rng(seed)
    is_letter = (X.max(axis=1) == 1) & (X.sum(axis=1) == 1)
    codes = np.where(is_letter, X.argmax(axis=1), 4)
    out = np.empty_like(X)
    for i in range(X.shape[0]):
        out[i] = X[i][:, _naive_order(codes[i], rng)]
    return out


def _naive_order(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    L = codes.shape[0]
    if L < 3:
        return np.arange(L)
    last = codes[-1]
    targets_pos = np.arange(1, L)
    exits = {int(v): targets_pos[codes[:-1] == v] for v in np.unique(codes[:-1])}
    while True:
        last_exit = {v: e[rng.integers(len(e))] for v, e in exits.items() if v != last}
        if _naive_is_tree(last_exit, codes, int(last)):
            break
    queues = {}
    for v, e in exits.items():
        if v in last_exit:
            queues[v] = list(rng.permutation(e[e != last_exit[v]])) + [last_exit[v]]
        else:
            queues[v] = list(rng.permutation(e))
    cursor = dict.fromkeys(queues, 0)
    order = np.empty(L, dtype=np.int64)
    order[0] = 0
    v = int(codes[0])
    for k in range(1, L):
        pos = queues[v][cursor[v]]
        cursor[v] += 1
        order[k] = pos
        v = int(codes[pos])
    return order


def _naive_is_tree(last_exit: dict, codes: np.ndarray, last: int) -> bool:
    reaches = {last}
    for start in last_exit:
        path, v = [], start
        while v not in reaches:
            if v in path:
                return False
            path.append(v)
            v = int(codes[last_exit[v]])
        reaches.update(path)
    return True


def dinucleotide_counts(X) -> np.ndarray:
    """``(..., 4, L)`` one-hot -> ``(M, 4, 4)`` dinucleotide counts (rows flattened)."""
    arr = np.asarray(X, dtype=np.float64).reshape(-1, 4, np.shape(X)[-1])
    return np.einsum("mal,mbl->mab", arr[:, :, :-1], arr[:, :, 1:])


def check_counts(name: str, X: torch.Tensor, shuffled, shuffles: int) -> None:
    """Raise unless every shuffle keeps its sequence's dinucleotide counts and end letters."""
    want = np.repeat(X.numpy(), shuffles, axis=0)
    got = np.asarray(shuffled).reshape(want.shape)
    if not np.array_equal(dinucleotide_counts(got), dinucleotide_counts(want)):
        raise AssertionError(f"{name} changed dinucleotide counts")
    if not (np.array_equal(got[..., 0], want[..., 0]) and np.array_equal(got[..., -1], want[..., -1])):
        raise AssertionError(f"{name} changed a first or last letter")
    if (got == want).all(axis=(1, 2)).mean() > 0.01:
        raise AssertionError(f"{name} returned many sequences unshuffled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="sequences")
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--shuffles", type=int, default=10, help="shuffles per sequence")
    parser.add_argument("--naive-n", type=int, default=100, help="sequences for the slow naive loop")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(2)

    X = torch.from_numpy(random_sequences(args.n, args.length, seed=0))
    X_naive = X[: args.naive_n]
    k = args.shuffles

    def seqlens_run():
        return dinucleotide_shuffle(X.repeat_interleave(k, dim=0), seed=0)

    def naive_run():
        return naive_dinucleotide_shuffle(np.repeat(X_naive.numpy(), k, axis=0), seed=0)

    contenders = {"seqlens (numpy, all sequences at once)": (seqlens_run, X),
                  "naive per-sequence loop (former seqlens)": (naive_run, X_naive)}
    try:
        from tangermeme.ersatz import dinucleotide_shuffle as tangermeme_shuffle

        tangermeme_shuffle(X[:2], n=2, random_state=0)  # numba compile/cache load outside the timing
        contenders["tangermeme (numba, 1 thread)"] = (lambda: tangermeme_shuffle(X, n=k, random_state=0), X)
    except ImportError:
        print("tangermeme not installed: skipped")

    rates = {}
    for name, (run, inputs) in contenders.items():
        check_counts(name, inputs, run(), k)
        rates[name] = inputs.shape[0] * k / best_of(run, args.repeats)[0]
    reference = rates["seqlens (numpy, all sequences at once)"]
    print(f"\nDinucleotide shuffles: {args.n} x {args.length} nt x {k} shuffles "
          f"(naive: {args.naive_n} sequences), best of {args.repeats}; counts checked for all\n")
    print("| implementation | shuffles/s | seconds for 1,000 x 10 | seqlens speed-up |")
    print("|---|---:|---:|---:|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} | {10_000 / rate:.3f} | {reference / rate:.2f}x |")


if __name__ == "__main__":
    main()
