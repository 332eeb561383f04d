"""Reference (baseline) sequences for path and reference-based attribution methods.

Every generator maps one-hot ``X`` ``(N, 4, L)`` to references ``(N, R, 4, L)`` with the
same dtype (on the CPU). Random generators take ``seed`` (int, Generator or None) and draw
reference ``r`` of sequence ``n`` in the order ``(n, r)``, so the same seed gives the same
references.
"""

from __future__ import annotations

import numpy as np
import torch

from ..alphabet import as_rng, dinucleotide_shuffle, shuffle
from ..errors import SequenceError
from ..validation import check_int

REFERENCE_KINDS = ("shuffle", "dinuc_shuffle", "uniform", "zeros")


def _repeat(X: torch.Tensor, n: int) -> torch.Tensor:
    """``(N, 4, L)`` -> ``(N * n, 4, L)``, each sequence repeated ``n`` times in a row."""
    return X.detach().cpu().repeat_interleave(n, dim=0)


def _check_n(n: int) -> int:
    return check_int(n, "number of references")


def shuffled_references(X: torch.Tensor, n: int = 1, seed=None) -> torch.Tensor:
    """``n`` mononucleotide shuffles of each sequence: ``(N, n, 4, L)``."""
    n = _check_n(n)
    out = shuffle(_repeat(X, n), seed=as_rng(seed))
    return out.reshape(X.shape[0], n, *X.shape[1:])


def dinuc_shuffled_references(X: torch.Tensor, n: int = 1, seed=None) -> torch.Tensor:
    """``n`` dinucleotide shuffles of each sequence (counts kept exactly): ``(N, n, 4, L)``."""
    n = _check_n(n)
    out = dinucleotide_shuffle(_repeat(X, n), seed=as_rng(seed))
    return out.reshape(X.shape[0], n, *X.shape[1:])


def uniform_references(X: torch.Tensor, n: int = 1, seed=None) -> torch.Tensor:
    """0.25 in every channel: ``(N, n, 4, L)`` (``seed`` is accepted and unused)."""
    n = _check_n(n)
    return torch.full((X.shape[0], n, *X.shape[1:]), 0.25, dtype=X.dtype)


def zero_references(X: torch.Tensor, n: int = 1, seed=None) -> torch.Tensor:
    """All zeros: ``(N, n, 4, L)`` (``seed`` is accepted and unused)."""
    n = _check_n(n)
    return torch.zeros((X.shape[0], n, *X.shape[1:]), dtype=X.dtype)


_GENERATORS = {
    "shuffle": shuffled_references,
    "dinuc_shuffle": dinuc_shuffled_references,
    "uniform": uniform_references,
    "zeros": zero_references,
}


def make_references(X: torch.Tensor, references="shuffle", n: int = 1, seed=None) -> torch.Tensor:
    """Resolve a ``references`` argument into a ``(N, R, 4, L)`` CPU tensor.

    ``references`` is one of ``REFERENCE_KINDS`` (then ``n`` are drawn per sequence) or a
    tensor of shape ``(N, R, 4, L)`` (returned on the CPU in ``X``'s dtype; ``n`` ignored).
    """
    if isinstance(references, torch.Tensor):
        if references.ndim != 4 or references.shape[0] != X.shape[0] or references.shape[2:] != X.shape[1:]:
            raise SequenceError(
                f"references must have shape (N, R, 4, L) = ({X.shape[0]}, R, {X.shape[1]}, {X.shape[2]}), "
                f"got {tuple(references.shape)}"
            )
        if references.shape[1] == 0:
            raise SequenceError("references has R = 0 references per sequence")
        return references.detach().cpu().to(X.dtype)
    if not isinstance(references, str) or references not in _GENERATORS:
        raise SequenceError(f"references must be one of {REFERENCE_KINDS} or an (N, R, 4, L) tensor, got {references!r}")
    return _GENERATORS[references](X, n=n, seed=seed)
