"""In silico saturation mutagenesis (ISM): every single-nucleotide substitution; patches.

``ism`` returns ``(N, 4, L)`` with ``f(mutant) - f(wild type)`` for the mutant that puts
letter ``a`` at position ``i``, and exactly 0 at the wild-type letter. A column that is
not one-hot (an N) has no wild-type letter, so all 4 letters are substituted there.
Reduce with :func:`seqlens.attribution.reduce_l2_norm` (SPEC: one score per position).

Two paths give the same numbers:

- naive (``fast=False``): every mutant sequence goes through the whole model.
- fast (``fast=True``, default): the model's leading length-local layers (stride-1
  ``Conv1d``, dilated or not, batch norm, pointwise activations, dropout, zero padding,
  max/average pools, and residual sums of them as in bpnet-lite's BPNet) run only on the
  window of columns a substitution can change, and the rest of the model at full size on
  every mutant; the engine is :class:`seqlens.attribution._ism_engine.FastISM`. It traces
  ``model(X)`` with ``torch.fx`` (so a ``forward(X, *args)`` runs with its extra arguments
  absent; reading ``X.shape`` is fine). Models that cannot be traced, or that do not start
  with a stride-1 convolution, fall back to the naive path with a warning that names the
  cause (e.g. "X feeds 2 operations (conv ..., sum at model.py line 12)"); the numbers are
  the same.

``benchmarks/bench_attribution.py`` measures both paths and tangermeme's.

:func:`patch_predictions` (for global importance analysis) writes a ``(4, W)`` patch over
``W`` columns of every sequence, at each of a list of positions, and returns the model's
outputs; the same engine, built for edits of ``W`` columns, windows it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
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
from ..errors import SeqlensError, SequenceError
from ..validation import as_sequence_tensor, check_int
from ._ism_chain import Unsupported
from ._ism_engine import FastISM

# Mutants per call of the naive path by default: the fastest setting measured for naive
# ISM on cnn_dist and cnn_local (benchmarks/README.md, attribution table; the timings of
# the other batch sizes tried were not recorded).
_NAIVE_BATCH_SIZE = 256

# patch_predictions windows the model only while the windows of a patch cost less than this
# fraction of the chain's full-size convolutions (FastISM.product_fraction): wide patches
# make windows nearly as long as the sequence, and then the whole model in big batches is
# faster. Measured on the 2-core CPU (1 thread, 60-100 random sequences, patch widths 1 to
# 190 of 150-200 nt; speed-up of the windows over the whole model at each fraction):
# basset 1.35x at 0.72, 0.71x at 0.99; cnn_dist 1.38x at 0.81, 1.36x at 0.97, 0.99x at
# 1.07; cnn_local 1.53x at 0.87, 1.27x at 0.97, 1.07x at 1.08; hybrid_c4_mha (its tail
# dominates) 1.0-1.3x at every fraction. 0.95 separates basset's break-even from the
# others' as well as one number can; either side of it the choice costs at most 1.4x.
_WINDOWED_MAX_PRODUCT_FRACTION = 0.95


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


def _fast_engine(model, example: torch.Tensor, width: int = 1, fallback: str = "using naive ISM") -> FastISM | None:
    """The fast path's engine for ``model`` and edits of ``width`` columns, or None (with a
    warning that ends with ``fallback``, what the caller does instead) if it cannot have one."""
    try:
        return FastISM(model, example, width)
    except Unsupported as err:
        warnings.warn(f"fast ISM is not available for this model ({err}); {fallback}", RuntimeWarning, stacklevel=3)
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


def _check_patches(patches, n: int, length: int) -> torch.Tensor:
    """``patches`` (``(n, 4, W)`` or ``(4, W)``, tensor or numpy) as a floating ``(n, 4, W)``
    tensor (the ``(4, W)`` one broadcast, not copied), ``1 <= W <= length``."""
    if not isinstance(patches, torch.Tensor):
        patches = np.asarray(patches)
    shape = tuple(patches.shape)
    if len(shape) not in (2, 3) or shape[-2] != 4 or len(shape) == 3 and shape[0] != n or not 1 <= shape[-1] <= length:
        raise SequenceError(f"patches must have shape ({n}, 4, W) or (4, W) with 1 <= W <= {length} (the length of X), got {shape}")
    patches = as_sequence_tensor(patches[None] if len(shape) == 2 else patches, "patches")
    return patches.expand(n, -1, -1)


def _check_positions(positions, width: int, length: int) -> torch.Tensor:
    """``positions`` (ints, or None for all) as a CPU LongTensor ``(P,)`` of patch starts in
    ``[0, length - width]``."""
    last = length - width
    if positions is None:
        return torch.arange(last + 1)
    arr = positions.detach().cpu().numpy() if isinstance(positions, torch.Tensor) else np.asarray(positions)
    if arr.size == 0:
        return torch.zeros(0, dtype=torch.long)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise SeqlensError(f"positions must be a 1-d list of integers, got {arr.ndim}-d values of dtype {arr.dtype}")
    pos = torch.from_numpy(arr.astype(np.int64))
    bad = pos[(pos < 0) | (pos > last)]
    if len(bad):
        raise SeqlensError(f"positions must be in [0, {last}] (length {length} - patch width {width}), got {int(bad[0])}")
    return pos


def _whole_model_patches(model, X_dev: torch.Tensor, patches: torch.Tensor, starts: torch.Tensor, batch_size: int,
                         verbose: bool, record: Callable) -> None:
    """Run every sequence of ``X_dev`` ``(N, 4, L)`` with each of its patches (``patches``
    ``(N, K, 4, W)``, same device) at each start of ``starts`` (CPU LongTensor ``(P,)``)
    through the whole model, ``batch_size`` edited copies per call (made per call: never all
    ``N * K * P`` at once), in (sequence, patch, start) order, and pass the outputs to
    ``record(y, seq, pos, k)``."""
    dev, n_starts, n_patches = X_dev.device, len(starts), patches.shape[1]
    columns = torch.arange(patches.shape[3], device=dev)
    chunks = list(row_chunks(X_dev.shape[0] * n_patches * n_starts, batch_size))
    for rows in progress(chunks, len(chunks), verbose, "patches"):
        triple = torch.arange(rows.start, rows.stop)
        seq, k, pos = triple // (n_patches * n_starts), (triple // n_starts) % n_patches, starts[triple % n_starts]
        s, p = seq.to(dev), pos.to(dev)
        edited = X_dev[s]  # a copy (advanced indexing)
        # (B, 1) rows and (B, W) columns index a (B, W, 4) block of the (B, 4, L) batch
        edited[torch.arange(len(s), device=dev)[:, None], :, p[:, None] + columns] = patches[s, k.to(dev)].transpose(1, 2)
        record(model(edited), seq, pos, k)


def _patched_outputs(model, X: torch.Tensor, patches: torch.Tensor, positions: torch.Tensor, target: torch.Tensor,
                     func, batch_size: int | None, device, verbose: bool) -> torch.Tensor:
    """Checked inputs: ``X`` ``(N, 4, L)``, ``patches`` ``(N, K, 4, W)``, ``positions`` ``(P,)``
    -> target outputs ``(N, K, P)`` (see :func:`patch_predictions`)."""
    N, length = X.shape[0], X.shape[2]
    n_patches, width = patches.shape[1], patches.shape[3]
    dtype = model_dtype(model)
    starts, column = torch.unique(positions, return_inverse=True)  # a repeated start runs once
    index = torch.full((length - width + 1,), -1, dtype=torch.long)
    index[starts] = torch.arange(len(starts))
    out = torch.empty((N, n_patches, len(starts)), dtype=dtype)
    with model_state(model, device) as dev, torch.inference_mode():
        X_dev = X.to(dev, dtype)
        model(X_dev[:1])  # a model that fails does so here, not inside the fast path's tracer
        engine = None
        if len(starts):
            engine = _fast_engine(model, X_dev[:1], width, "running the whole model on every patched sequence")
        windowed = engine is not None and engine.product_fraction <= _WINDOWED_MAX_PRODUCT_FRACTION
        batch_size = batch_size or (engine.default_batch_size if windowed else _NAIVE_BATCH_SIZE)
        # the patches go in groups of at most batch_size, so that one call's windows stay
        # within the engine's budget however many patches a sequence has
        for first in range(0, n_patches, batch_size):
            group = slice(first, min(first + batch_size, n_patches))
            patches_dev = patches[:, group].to(dev, dtype)

            def record(y, seq, pos, k):
                out[seq, k + first, index[pos]] = select_target(y, target[seq], func).cpu()

            if windowed:
                engine.patch(X_dev, patches_dev, index >= 0, batch_size, verbose, record)
            else:
                _whole_model_patches(model, X_dev, patches_dev, starts, batch_size, verbose, record)
    return out[:, :, column]


def patch_predictions(
    model: nn.Module,
    X: torch.Tensor,
    patches: torch.Tensor,
    positions=None,
    target: int | torch.Tensor = 0,
    func: Callable | None = None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
) -> torch.Tensor:
    """The model's target output for every sequence with a patch written over ``W`` columns.

    Parameters
    ----------
    model : maps ``(B, 4, L)`` to ``(B, T)``.
    X : ``(N, 4, L)`` sequences (e.g. GIA's null sequences); any finite values.
    patches : ``(N, 4, W)`` (one patch per sequence) or ``(4, W)`` (the same for all), e.g.
        a one-hot motif or columns of a PPM; any finite values.
    positions : patch starts, ints in ``[0, L - W]`` ``(P,)``; None: all ``L - W + 1``.
    target : output index, or a LongTensor ``(N,)`` with one index per sequence.
    func : applied to the model's output before the target is selected.
    batch_size : edited sequences per model call. Default: as for :func:`ism` (256 when
        every edited sequence goes through the whole model).
    verbose : show a progress bar.

    Returns
    -------
    ``(N, P)`` CPU tensor in the model's dtype: ``out[i, j]`` is the target output of ``X[i]``
    with ``patches[i]`` over columns ``[positions[j], positions[j] + W)``.

    The leading length-local layers run only on the windows a patch changes (the fast ISM
    engine built for edits of ``W`` columns); a model it cannot window (with a warning), or
    a patch so wide that its windows cost about as much as the whole sequence, goes through
    the whole model on every edited sequence.
    """
    X = check_X(X)
    N, _, length = X.shape
    target = check_target(target, N)
    patches = _check_patches(patches, N, length)
    positions = _check_positions(positions, patches.shape[2], length)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size")
    return _patched_outputs(model, X, patches[:, None], positions, target, func, batch_size, device, verbose)[:, 0]


def variant_predictions(
    model: nn.Module,
    X: torch.Tensor,
    variants: torch.Tensor,
    positions=None,
    target: int | torch.Tensor = 0,
    func: Callable | None = None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
) -> torch.Tensor:
    """The model's target output for every sequence with each of ``K`` variants written over ``W`` columns.

    ``variants`` ``(K, 4, W)`` (e.g. every k-mer) are shared by all sequences of ``X``
    ``(N, 4, L)``; each sequence's chain activations are computed once for all of them.
    Other parameters as :func:`patch_predictions`. Returns ``(N, K, P)``: ``out[i, k, j]`` is
    the target output of ``X[i]`` with ``variants[k]`` at ``positions[j]``.
    """
    X = check_X(X)
    N, _, length = X.shape
    target = check_target(target, N)
    if not isinstance(variants, torch.Tensor):
        variants = np.asarray(variants)
    shape = tuple(variants.shape)
    if len(shape) != 3 or shape[1] != 4 or shape[0] < 1 or not 1 <= shape[2] <= length:
        raise SequenceError(f"variants must have shape (K, 4, W) with K >= 1 and 1 <= W <= {length} (the length of X), got {shape}")
    variants = as_sequence_tensor(variants, "variants")
    positions = _check_positions(positions, shape[2], length)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size")
    return _patched_outputs(model, X, variants[None].expand(N, -1, -1, -1), positions, target, func, batch_size, device,
                            verbose)
