"""DNA alphabet utilities: one-hot encoding, decoding, reverse complement, shuffles.

Arrays are channel-first everywhere: one sequence is ``(4, L)``, a batch ``(N, 4, L)``,
channels in alphabet order (A, C, G, T by default). Functions accept numpy arrays or torch
tensors and return the same kind they were given, unless stated otherwise.

torch is imported only when a tensor is asked for or given (a tensor given means torch is
already imported), so ``seqlens --help`` and numpy-only users do not pay its import.

Encoding goes through a 256-entry byte look-up table, so a chromosome-sized string is
encoded with a handful of vectorised numpy passes (see ``benchmarks/bench_one_hot.py``).
"""

from __future__ import annotations

import functools
import itertools
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from .errors import SequenceError
from .validation import check_one_hot as validate_one_hot  # noqa: F401  (moved; data still imports it here)

if TYPE_CHECKING:
    import torch

DNA = "ACGT"
RNA = "ACGU"

NPolicy = Literal["zeros", "uniform", "error"]
N_POLICIES = ("zeros", "uniform", "error")

_N_CODE = 4
_BAD_CODE = 5


def _is_tensor(X) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(X, torch.Tensor)


def _from_numpy(array: np.ndarray, like=None):
    """``array`` as a torch tensor (of ``like``'s dtype when given)."""
    import torch

    tensor = torch.from_numpy(array)
    return tensor if like is None else tensor.to(like.dtype)


def as_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a numpy Generator for ``seed`` (an int, an existing Generator, or None)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _check_alphabet(alphabet: str) -> str:
    if len(alphabet) != 4 or len(set(alphabet.upper())) != 4:
        raise SequenceError(f"alphabet must be 4 distinct letters, got {alphabet!r}")
    return alphabet.upper()


def _lookup_table(alphabet: str) -> np.ndarray:
    """Byte -> code table: 0..3 for the alphabet's letters, 4 for N, 5 for anything else."""
    table = np.full(256, _BAD_CODE, dtype=np.uint8)
    for code, letter in enumerate(alphabet):
        for ch in (letter, letter.lower()):
            table[ord(ch)] = code
    # T and U are the same nucleotide: a DNA encoder takes RNA and vice versa.
    for a, b in (("T", "U"), ("U", "T")):
        if a in alphabet and b not in alphabet:
            table[ord(b)] = table[ord(b.lower())] = alphabet.index(a)
    table[ord("N")] = table[ord("n")] = _N_CODE
    return table


def _codes(seq: str, table: np.ndarray, name: str) -> np.ndarray:
    try:
        raw = np.frombuffer(seq.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        pos = next(i for i, ch in enumerate(seq) if ord(ch) > 127)
        raise SequenceError(
            f"invalid character {seq[pos]!r} in sequence {name!r} at position {pos}"
        ) from None
    codes = table[raw]
    bad = codes == _BAD_CODE
    if bad.any():
        pos = int(np.argmax(bad))
        raise SequenceError(
            f"invalid character {seq[pos]!r} in sequence {name!r} at position {pos}"
        )
    return codes


def _codes_to_one_hot(codes: np.ndarray, n_policy: str, dtype, name: str) -> np.ndarray:
    out = np.empty((4, codes.shape[-1]), dtype=dtype)
    for c in range(4):
        np.equal(codes, c, out=out[c], casting="unsafe")
    if n_policy != "zeros":
        is_n = codes == _N_CODE
        if is_n.any():
            if n_policy == "error":
                pos = int(np.argmax(is_n))
                raise SequenceError(
                    f"N in sequence {name!r} at position {pos} (n_policy='error')"
                )
            out[:, is_n] = 0.25
    return out


def one_hot_encode(
    sequences: str | Iterable[str] | Iterable[tuple[str, str]],
    alphabet: str = DNA,
    n_policy: NPolicy = "zeros",
    dtype=np.float32,
    as_tensor: bool = False,
) -> np.ndarray | torch.Tensor:
    """One-hot encode DNA (or RNA) strings.

    Parameters
    ----------
    sequences : str, iterable of str, or iterable of ``(name, sequence)`` FASTA records.
        Lower case is accepted; with the DNA alphabet ``U`` is read as ``T``.
    alphabet : the four letters in channel order (``"ACGT"`` by default, ``"ACGU"`` for RNA).
    n_policy : what an ``N`` becomes: ``"zeros"`` (an all-zero column), ``"uniform"``
        (0.25 in each channel) or ``"error"``. Any other character always raises
        :class:`SequenceError` naming the record and position.
    dtype : numpy dtype of the result (float32 by default; uint8 for huge inputs).
    as_tensor : return a ``torch.Tensor`` instead of a numpy array.

    Returns
    -------
    ``(4, L)`` for a single string; ``(N, 4, L)`` for several (all of one length).
    """
    if n_policy not in N_POLICIES:
        raise SequenceError(f"n_policy must be one of {N_POLICIES}, got {n_policy!r}")
    table = _lookup_table(_check_alphabet(alphabet))
    if isinstance(sequences, str):
        out = _codes_to_one_hot(_codes(sequences, table, "0"), n_policy, dtype, "0")
    else:
        records = [
            (str(i), r) if isinstance(r, str) else (str(r[0]), r[1])
            for i, r in enumerate(sequences)
        ]
        if not records:
            raise SequenceError("no sequences to encode")
        lengths = {len(s) for _, s in records}
        if len(lengths) > 1:
            raise SequenceError(
                f"sequences have different lengths {sorted(lengths)[:5]}; pad or trim them first"
            )
        out = np.empty((len(records), 4, lengths.pop()), dtype=dtype)
        for i, (name, seq) in enumerate(records):
            out[i] = _codes_to_one_hot(_codes(seq, table, name), n_policy, dtype, name)
    return _from_numpy(out) if as_tensor else out


def decode(X: np.ndarray | torch.Tensor, alphabet: str = DNA, n_char: str = "N") -> str | list[str]:
    """Turn one-hot ``(4, L)`` into a string, or ``(N, 4, L)`` into a list of strings.

    Columns that are not one-hot (all zeros, 0.25 everywhere) become ``n_char``.
    """
    alphabet = _check_alphabet(alphabet)
    arr = _to_numpy(X)
    if arr.ndim not in (2, 3) or arr.shape[-2] != 4:
        raise SequenceError(f"expected shape (4, L) or (N, 4, L), got {tuple(arr.shape)}")
    single = arr.ndim == 2
    arr = arr[None] if single else arr
    letters = np.frombuffer((alphabet + n_char).encode("ascii"), dtype=np.uint8)
    idx = arr.argmax(axis=1)
    is_one_hot = (arr.max(axis=1) == 1) & (arr.sum(axis=1) == 1)
    idx = np.where(is_one_hot, idx, 4)
    strings = [letters[row].tobytes().decode("ascii") for row in idx]
    return strings[0] if single else strings


def reverse_complement(X):
    """Reverse complement a string, a list of strings, or one-hot ``(..., 4, L)`` data.

    For one-hot data the channel axis is flipped, which swaps A<->T and C<->G for the
    ACGT channel order, and the length axis is reversed.
    """
    if isinstance(X, str):
        return X.translate(_COMPLEMENT)[::-1]
    if isinstance(X, list):
        return [reverse_complement(s) for s in X]
    if _is_tensor(X):
        return X.flip(dims=(-2, -1))
    return np.ascontiguousarray(np.asarray(X)[..., ::-1, ::-1])


_COMPLEMENT = str.maketrans("ACGTUNacgtun", "TGCAANtgcaan")


def _to_numpy(X) -> np.ndarray:
    return X.detach().cpu().numpy() if _is_tensor(X) else np.asarray(X)


def random_sequences(
    n: int,
    length: int,
    probs: Sequence[float] | None = None,
    gc: float | None = None,
    seed: int | np.random.Generator | None = None,
    dtype=np.float32,
    as_tensor: bool = False,
):
    """Sample ``n`` one-hot sequences ``(n, 4, length)`` from a background distribution.

    Give either ``probs`` (four nucleotide frequencies in channel order, summing to 1) or
    ``gc`` (GC content; A=T=(1-gc)/2, C=G=gc/2); uniform when neither is given.
    """
    probs = background_probs(probs, gc)
    if n < 0 or length < 1:
        raise SequenceError(f"need n >= 0 and length >= 1, got n={n}, length={length}")
    rng = as_rng(seed)
    codes = rng.choice(4, size=(n, length), p=probs)
    out = codes_to_one_hot(codes, dtype=dtype)
    return _from_numpy(out) if as_tensor else out


def background_probs(probs: Sequence[float] | None = None, gc: float | None = None) -> np.ndarray:
    """Validate and return background nucleotide frequencies as a float64 ``(4,)`` array."""
    if probs is not None and gc is not None:
        raise SequenceError("give either probs or gc, not both")
    if gc is not None:
        if not 0 <= gc <= 1:
            raise SequenceError(f"gc must be in [0, 1], got {gc}")
        return np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    if probs is None:
        return np.full(4, 0.25)
    p = np.asarray(probs, dtype=np.float64)
    if p.shape != (4,) or (p < 0).any() or not np.isclose(p.sum(), 1.0, atol=1e-6):
        raise SequenceError(f"background probabilities must be 4 non-negative numbers summing to 1, got {p.tolist()}")
    return p / p.sum()


def codes_to_one_hot(codes: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Integer codes ``(N, L)`` in 0..3 (4 = N, all-zero column) to one-hot ``(N, 4, L)``."""
    codes = np.asarray(codes)
    out = np.zeros((codes.shape[0], 4, codes.shape[1]), dtype=dtype)
    for c in range(4):
        out[:, c] = codes == c
    return out


def shuffle(X, seed: int | np.random.Generator | None = None):
    """Shuffle the positions of each sequence independently (mononucleotide shuffle).

    ``X`` is ``(N, 4, L)`` (numpy or torch); nucleotide counts are kept exactly.
    """
    arr = _to_numpy(X)
    if arr.ndim != 3:
        raise SequenceError(f"expected shape (N, 4, L), got {tuple(arr.shape)}")
    rng = as_rng(seed)
    order = np.argsort(rng.random((arr.shape[0], arr.shape[2])), axis=1)
    out = np.take_along_axis(arr, order[:, None, :], axis=2)
    return _from_numpy(out, like=X) if _is_tensor(X) else out


def dinucleotide_shuffle(X, seed: int | np.random.Generator | None = None):
    """Shuffle each sequence keeping its dinucleotide counts exactly (Altschul-Erickson).

    ``X`` is ``(N, 4, L)`` (numpy or torch); returns ``(N, 4, L)`` of the same kind and
    dtype. A column that is not exactly one-hot (all zeros, 0.25 everywhere) is an ``N``:
    a fifth symbol of the walk that keeps its column values. Each output is a uniformly
    drawn sequence with the same first letter, last letter and dinucleotide counts as its
    input; a sequence with only one such arrangement (e.g. ``ACGT``), and any sequence
    shorter than 3, comes back unchanged. All sequences are shuffled together with
    vectorised numpy (see :func:`_dinucleotide_shuffle_order`, ``benchmarks/bench_shuffle.py``).
    """
    arr = _to_numpy(X)
    if arr.ndim != 3 or arr.shape[1] != 4:
        raise SequenceError(f"expected shape (N, 4, L), got {tuple(arr.shape)}")
    codes = _symbol_codes(arr)
    shuffled, order = _dinucleotide_shuffle_order(codes, as_rng(seed))
    out = np.empty_like(arr)
    for c in range(4):
        np.equal(shuffled, c, out=out[:, c], casting="unsafe")
    if order is not None:  # N columns keep their values (all zeros, 0.25, ...)
        rows, cols = np.nonzero(shuffled == _N_CODE)
        out[rows, :, cols] = arr[rows, :, order[rows, cols]]
    return _from_numpy(out, like=X) if _is_tensor(X) else out


# Column key sum_c t_c * 3**(3 - c) with t_c = 2 for a 1, 1 for a 0, 0 otherwise -> symbol.
_COLUMN_SYMBOL = np.full(81, _N_CODE, dtype=np.int8)
for _c in range(4):
    _COLUMN_SYMBOL[40 + 3 ** (3 - _c)] = _c  # 40 = all four channels 0


def _symbol_codes(arr: np.ndarray) -> np.ndarray:
    """Symbols ``(N, L)`` int8 of ``(N, 4, L)`` columns: 0..3 if exactly one-hot, else 4 (N).

    Exact comparisons and a table look-up: several times faster than argmax, max and sum
    over the strided channel axis.
    """
    trits = (arr == 0).view(np.uint8)
    trits += (arr == 1).view(np.uint8) * np.uint8(2)
    key = trits[:, 0] * np.uint8(27)
    key += trits[:, 1] * np.uint8(9)
    key += trits[:, 2] * np.uint8(3)
    key += trits[:, 3]
    return _COLUMN_SYMBOL[key]


_N_SYMBOLS = 5  # four letters and N


def _dinucleotide_shuffle_order(codes: np.ndarray, rng: np.random.Generator):
    """A uniform random Eulerian walk per row of ``codes``: ``(shuffled, order)``.

    ``codes`` is ``(N, L)`` int8 symbols 0..4 (4 = N); ``shuffled`` ``(N, L)`` the symbols in
    walk order and ``order`` ``(N, L)`` their source positions, computed only when ``codes``
    holds an N (else None: the symbols say everything). Each
    row is a walk on the graph whose vertices are symbols and whose edges are its L-1
    dinucleotides; a walk from the same first symbol using every edge once has the same
    dinucleotide counts. Following Altschul & Erickson (1985): for every vertex but the
    row's last symbol draw a uniform "last exit" edge, redraw (only in failing rows) until
    these edges form a tree pointing at the last symbol (then the walk cannot get stuck),
    order each vertex's other exits uniformly, and walk. Every (tree, exit orders) pair is
    equally likely and gives one walk, so every arrangement is equally likely. All rows go
    together: the exit orders come from one row-wise sort, the walk is L-1 vectorised steps.
    """
    n_rows, length = codes.shape
    if length < 3 or n_rows == 0:
        return codes.copy(), np.broadcast_to(np.arange(length), (n_rows, length))
    n_edges = length - 1  # edge e runs from position e to position e + 1
    keys, index_bits = _random_exit_keys(codes, rng)
    out_degree = np.stack([(codes[:, :-1] == v).sum(axis=1) for v in range(_N_SYMBOLS)], axis=1)
    group_end = np.cumsum(out_degree, axis=1)
    group_start = group_end - out_degree
    row_edge = np.arange(n_rows)[:, None] * n_edges

    # Draw last exits until they form a tree; redraw only the rows where they do not.
    # Slot n_rows * n_edges + v is a sentinel exit to v: the parent of the last symbol and
    # of symbols without exits is the last symbol.
    # low bits of the keys: target symbol << index_bits | edge index
    low = np.bitwise_and(keys.view(np.intp), (1 << (index_bits + 3)) - 1)
    targets = np.concatenate([(low >> index_bits).reshape(-1), np.arange(_N_SYMBOLS)])
    last = codes[:, -1].astype(np.intp)
    needs_last_exit = (out_degree > 0) & (np.arange(_N_SYMBOLS) != last[:, None])
    first_slot = np.where(needs_last_exit, group_start + row_edge, n_rows * n_edges + last[:, None])
    n_choices = np.where(needs_last_exit, out_degree, 0).astype(np.float64)
    chosen = np.empty((n_rows, _N_SYMBOLS), dtype=np.intp)  # flat slot of each last exit
    pending = np.arange(n_rows)
    while pending.size:
        # floor(u * degree): uniform up to float64 rounding (~1e-16)
        pick = (rng.random((pending.size, _N_SYMBOLS)) * n_choices[pending]).astype(np.intp)
        slot = first_slot[pending] + pick
        ok = _exits_form_tree(targets[slot])
        chosen[pending[ok]] = slot[ok]
        pending = pending[~ok]

    # Move each last exit to the end of its group; the other exits stay uniformly ordered.
    rows, vertices = np.nonzero(needs_last_exit)
    here = chosen[rows, vertices]
    end = row_edge[rows, 0] + group_end[rows, vertices] - 1
    flat_low = low.reshape(-1)
    flat_low[here], flat_low[end] = flat_low[end], flat_low[here]

    # Walk all rows at once: cursor[row * 5 + v] is the flat slot of v's next unused exit.
    # Exit targets as int8 keep the walk's random reads in cache.
    exit_target = (flat_low >> index_bits).astype(np.int8)
    row_vertex = np.arange(n_rows) * _N_SYMBOLS
    cursor = (group_start + row_edge).reshape(-1)
    symbol = codes[:, 0]
    taken = np.empty((n_edges, n_rows), dtype=np.intp)
    walked = np.empty((n_edges, n_rows), dtype=codes.dtype)
    for step in range(n_edges):
        vertex = row_vertex + symbol
        slot = cursor[vertex]
        cursor[vertex] = slot + 1
        taken[step] = slot
        symbol = walked[step] = exit_target[slot]
    shuffled = np.concatenate([codes[:, :1], walked.T], axis=1)
    if not (codes == _N_CODE).any():
        return shuffled, None
    order = np.zeros((n_rows, length), dtype=np.intp)
    order[:, 1:] = (flat_low[taken] & ((1 << index_bits) - 1)).T + 1
    return shuffled, order


def _random_exit_keys(codes: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Sorted uint64 keys ``(N, L-1)``, one per edge: exits grouped by source, uniformly ordered.

    A key packs, high to low: the edge's source symbol (3 bits), random bits, its target
    symbol (3 bits) and its index (``index_bits``, the edge from position e to e + 1 has
    index e). Sorting the packed values is several times faster than an argsort. With at
    least 32 random bits (L < 2^26) ties, broken by target and index, are negligible.
    Returns the keys and ``index_bits``.
    """
    n_edges = codes.shape[1] - 1
    index_bits = max(int(n_edges - 1).bit_length(), 1)
    low_bits = index_bits + 3
    symbols = np.arange(8, dtype=np.uint64)
    pair_bits = (symbols[:, None] << np.uint64(61)) | (symbols << np.uint64(index_bits))  # [source, target]
    keys = rng.integers(0, 1 << (61 - low_bits), size=(codes.shape[0], n_edges), dtype=np.uint64)
    keys <<= np.uint64(low_bits)
    keys |= pair_bits.reshape(-1)[codes[:, :-1] * 8 + codes[:, 1:]]
    keys |= np.arange(n_edges, dtype=np.uint64)
    keys.sort(axis=1)
    return keys, index_bits


def _exits_form_tree(parent: np.ndarray) -> np.ndarray:
    """True per row of ``parent`` ``(P, 5)`` when its pointers form a tree.

    ``parent[v]`` is the symbol vertex ``v``'s last exit leads to; the last symbol (and
    any symbol without exits) points at the last symbol. The pointers form a tree towards
    it exactly when following them from every vertex ends at one vertex. Looked up in a
    table of all 5**5 pointer vectors.
    """
    return _tree_table()[parent @ (_N_SYMBOLS ** np.arange(_N_SYMBOLS))]


@functools.cache
def _tree_table() -> np.ndarray:
    """``(5**5,)`` bool: entry ``sum(parent[v] * 5**v)`` says whether ``parent`` is a tree."""
    parent = np.array(list(itertools.product(range(_N_SYMBOLS), repeat=_N_SYMBOLS)))[:, ::-1]
    reach = parent
    for _ in range(3):  # 8 >= 4 hops: enough for any path among five vertices
        reach = np.take_along_axis(reach, reach, axis=1)
    return (reach == reach[:, :1]).all(axis=1)
