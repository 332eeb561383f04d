"""In silico saturation mutagenesis (ISM): every single-nucleotide substitution.

``ism`` returns ``(N, 4, L)`` with ``f(mutant) - f(wild type)`` for the mutant that puts
letter ``a`` at position ``i``, and exactly 0 at the wild-type letter. A column that is
not one-hot (an N) has no wild-type letter, so all 4 letters are substituted there.
Reduce with :func:`seqlens.attribution.reduce_l2_norm` (SPEC: one score per position).

Two paths give the same numbers:

- naive (``fast=False``): every mutant sequence goes through the whole model.
- fast (``fast=True``, default): the model's leading length-local layers (stride-1
  ``Conv1d``, batch norm, pointwise activations, dropout, zero padding, max/average
  pools) run only on the window of columns a substitution can change, and the rest of
  the model at full size on every mutant; the engine is
  :class:`seqlens.attribution._ism_engine.FastISM`. Models that cannot be traced with
  ``torch.fx``, or that do not start with a convolution, fall back to the naive path with
  a warning.

``benchmarks/bench_attribution.py`` measures both paths and tangermeme's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ._core import (
    check_target,
    check_X,
    model_dtype,
    model_state,
    progress,
    row_chunks,
    select_target,
)
from ..validation import check_int
from ._ism_engine import FastISM, Unsupported

# Mutants per call of the naive path by default: the fastest setting measured for naive
# ISM on cnn_dist and cnn_local (benchmarks/README.md, attribution table; the timings of
# the other batch sizes tried were not recorded).
_NAIVE_BATCH_SIZE = 256


def _wild_letters(X: torch.Tensor) -> torch.Tensor:
    """``(N, L)`` index of each position's letter, -1 where the column is not one-hot."""
    X = X.detach().cpu()
    is_letter = (X.max(dim=1).values == 1) & (X.sum(dim=1) == 1)
    return torch.where(is_letter, X.argmax(dim=1), -1)


def substitutions(X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """All single-nucleotide substitutions of ``X`` ``(N, 4, L)``.

    Returns LongTensors ``(sequence, position, letter)``, each ``(V,)``, ordered by
    sequence, position, letter; ``V = 3 N L`` for one-hot input (4 per non-one-hot column).
    """
    wild = _wild_letters(X)
    keep = torch.arange(4)[None, None, :] != wild[:, :, None]
    return keep.nonzero(as_tuple=True)


def _wild_type_predictions(model, X_dev, target, func, batch_size) -> torch.Tensor:
    out = []
    for rows in row_chunks(X_dev.shape[0], batch_size):
        out.append(select_target(model(X_dev[rows]), target[rows], func))
    return torch.cat(out)


def _mutants(X_dev: torch.Tensor, seq, pos, letter) -> torch.Tensor:
    """Mutant sequences ``(V, 4, L)`` for the given substitutions (tensors on X's device)."""
    mutants = X_dev[seq].clone()
    rows = torch.arange(len(seq), device=X_dev.device)
    mutants[rows, :, pos] = F.one_hot(letter, 4).to(X_dev.dtype)
    return mutants


def _whole_model_substitutions(model, X_dev, seq, pos, letter, batch_size, verbose, record) -> None:
    """Run the mutants of the substitutions ``(seq, pos, letter)`` (CPU LongTensors ``(V,)``)
    through the whole model, ``batch_size`` per call, and pass the outputs to ``record``."""
    dev = X_dev.device
    chunks = list(row_chunks(len(seq), batch_size))
    for rows in progress(chunks, len(chunks), verbose, "ism"):
        s, p, a = seq[rows], pos[rows], letter[rows]
        record(model(_mutants(X_dev, s.to(dev), p.to(dev), a.to(dev))), s, p, a)


def _fast_engine(model, example: torch.Tensor) -> FastISM | None:
    """The fast path's engine for ``model``, or None (with a warning) if it cannot have one."""
    try:
        return FastISM(model, example)
    except Unsupported as err:
        warnings.warn(f"fast ISM is not available for this model ({err}); using naive ISM", RuntimeWarning, stacklevel=3)
    return None


def ism(
    model: nn.Module,
    X: torch.Tensor,
    target: int | torch.Tensor = 0,
    batch_size: int | None = None,
    device=None,
    fast: bool = True,
    func: Callable | None = None,
    verbose: bool = False,
) -> torch.Tensor:
    """Effect of every single-nucleotide substitution on the target output.

    Parameters
    ----------
    model : maps ``(B, 4, L)`` to ``(B, T)``.
    X : ``(N, 4, L)`` one-hot (non-one-hot columns get all 4 letters substituted).
    target : output index, or a LongTensor ``(N,)`` with one index per sequence.
    batch_size : mutants per model call. Default: 256 for the naive path (fastest here),
        and for the fast path as many as keep about ``2**23`` numbers of windows per call
        (about 830 for cnn_dist, 1,760 for cnn_local, 170 for basset: short windows take more).
    fast : window the model's leading convolutional layers (same numbers, several times
        faster on CNNs); falls back to the naive path, with a warning, when unsupported.
    func : applied to the model's output before the target is selected.

    Returns
    -------
    ``(N, 4, L)`` CPU tensor: ``f(mutant) - f(X)``, exactly 0 at each wild-type letter.
    """
    X = check_X(X)
    target = check_target(target, X.shape[0])
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size")
    dtype = model_dtype(model)
    out = torch.zeros(X.shape, dtype=dtype)
    with model_state(model, device) as dev, torch.inference_mode():
        X_dev = X.to(dev, dtype)
        model(X_dev[:1])  # a model that fails does so here, not inside the fast path's tracer
        engine = _fast_engine(model, X_dev[:1]) if fast else None
        y_wt = torch.empty(X.shape[0], dtype=dtype)  # the wild type's target outputs

        def record(y, seq, pos, letter):
            y = select_target(y, target[seq], func).cpu()
            out[seq, letter, pos] = y - y_wt[seq]

        if engine is None:
            batch_size = batch_size or _NAIVE_BATCH_SIZE
            y_wt[:] = _wild_type_predictions(model, X_dev, target, func, batch_size).cpu()
            _whole_model_substitutions(model, X_dev, *substitutions(X), batch_size, verbose, record)
        else:
            batch_size = batch_size or engine.default_batch_size
            wild = _wild_letters(X_dev)
            engine.substitute(X_dev, wild, batch_size, verbose, record, y_wt, target, func)
            # a column that is not one-hot also has letter A substituted, which the engine's
            # three other letters of A leave out: those mutants go through the whole model
            seq, pos = (wild < 0).nonzero(as_tuple=True)
            _whole_model_substitutions(model, X_dev, seq, pos, torch.zeros_like(seq), batch_size, False, record)
    return out
