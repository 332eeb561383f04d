"""First-layer filters as motifs: activation-based alignment (papers 002, 004; SPEC section 6).

For each filter of the first convolutional layer, the positions where its post-activation
output exceeds ``threshold`` times the filter's maximum over the whole dataset are taken as
binding sites; the input window around each site is cut out and the windows are averaged
into a position probability matrix.

Alignment of activations and input
----------------------------------
With stride 1, output position ``p`` of a convolution with kernel width ``k`` and left
padding ``pad`` sees input positions ``p - pad .. p - pad + k - 1`` (its receptive field).
``'same'`` padding pads ``(k - 1) // 2`` on the left (Keras and PyTorch agree; the extra
pad of an even kernel goes right), ``'valid'`` pads nothing. A window of width ``w`` is
centred on the receptive field: it starts at ``p - pad + (k - w) // 2``. So with the
default ``window = k`` the window is exactly the receptive field, and the originals'
``window=20`` with ``k=19`` and 'same' padding is ``p - 10 .. p + 9`` (the receptive field
plus one column on the left), as their ``X[p - 10 : p + 10]``. Windows that run off either
end of the sequence are dropped (the originals also dropped windows starting at 0 or
ending at ``L``, an off-by-one not copied here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..errors import DataFormatError, MotifError, SeqlensError
from ..models.state import model_state
from ..motifs import Motif
from ..validation import as_array, as_one_hot_array, check_int

#: Windows gathered per block when averaging the sites of one filter (bounds memory).
_SITES_PER_BLOCK = 65536


def _conv_geometry(conv) -> tuple[int, int]:
    """``(kernel_size, left_padding)`` of a stride-1, dilation-1 ``nn.Conv1d``."""
    if not isinstance(conv, torch.nn.Conv1d):
        raise SeqlensError(f"model.first_conv must be an nn.Conv1d, got {type(conv).__name__}")
    if conv.stride[0] != 1 or conv.dilation[0] != 1:
        raise SeqlensError(
            "filter alignment needs stride 1 and dilation 1; the first conv has "
            f"stride {conv.stride[0]} and dilation {conv.dilation[0]}"
        )
    kernel = conv.kernel_size[0]
    if conv.padding == "same":
        return kernel, (kernel - 1) // 2
    if conv.padding == "valid":
        return kernel, 0
    return kernel, int(conv.padding[0])


def first_layer_activations(model, X, batch_size: int = 256, device=None) -> tuple[np.ndarray, int, int]:
    """First-layer post-activation outputs of a zoo model and its conv geometry.

    Returns ``(activations (N, F, L_conv) float32, kernel_size, left_padding)``. The model
    runs in eval mode on ``device`` (default: its own); device and mode are restored.
    """
    if not (hasattr(model, "first_conv") and hasattr(model, "first_layer_activations")):
        raise SeqlensError("model must expose first_conv and first_layer_activations(X) (a seqlens zoo model)")
    kernel, pad = _conv_geometry(model.first_conv)
    X = torch.as_tensor(X, dtype=torch.float32)
    with model_state(model, device):
        acts = model.first_layer_activations(X, batch_size=check_int(batch_size, "batch_size"))
    return acts.detach().cpu().numpy().astype(np.float32, copy=False), kernel, pad


def _window_counts(X_lengthwise: np.ndarray, seqs: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """Sum of the one-hot windows ``X[seq, :, start:start+window]``: returns ``(4, window)`` float64.

    ``X_lengthwise`` is ``(N, L, 4)`` so each gather reads contiguous letters.
    """
    counts = np.zeros((window, 4))
    offsets = np.arange(window)
    for block in range(0, seqs.size, _SITES_PER_BLOCK):
        s = seqs[block : block + _SITES_PER_BLOCK, None]
        p = starts[block : block + _SITES_PER_BLOCK, None] + offsets
        counts += X_lengthwise[s, p].sum(axis=0, dtype=np.float64)
    return counts.T


def _site_motif(counts: np.ndarray, n_sites: int, name: str) -> Motif:
    """The PPM of ``n_sites`` aligned windows; uniform when there is at most one site."""
    width = counts.shape[1]
    if n_sites <= 1:
        return Motif(name=name, ppm=np.full((4, width), 0.25))
    totals = counts.sum(axis=0)
    if (totals > 0).all():
        return Motif.from_counts(counts, name=name)
    # A column that is N (all zeros) in every window: no evidence, so uniform, and no counts
    # (the motif's counts would have to invent sites for that column).
    ppm = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), 0.25)
    return Motif(name=name, ppm=ppm)


@dataclass(frozen=True)
class FilterAlignment:
    """Result of :func:`filter_alignment`.

    motifs : F motifs named after their filters. A filter with at least two sites has the
        PPM of its summed windows and keeps those sums as ``counts``; a filter with at most
        one site gets a uniform PPM (as the originals) and ``counts`` None.
    table : one row per filter: ``filter`` (index), ``name``, ``max_activation`` (over the
        dataset), ``n_hits`` (positions above the threshold), ``n_sites`` (hits whose window
        lies inside the sequence: the windows averaged), ``width`` (after trimming) and
        ``information`` (the motif's total information content in bits,
        :func:`seqlens.motifs.information_content` summed over its columns; 0 for a uniform PPM)
        and ``core_information`` (bits in its most informative 6 consecutive columns,
        :meth:`seqlens.motifs.Motif.core_information`).
    """

    motifs: list[Motif]
    table: pd.DataFrame


def filter_alignment(
    source,
    X,
    threshold: float = 0.5,
    window: int | None = None,
    trim: bool = False,
    ic_threshold: float = 0.5,
    trim_pad: int = 3,
    kernel_size: int | None = None,
    left_padding: int | None = None,
    names: Sequence[str] | None = None,
    batch_size: int = 256,
    device=None,
) -> FilterAlignment:
    """One motif per first-layer filter from activation-based alignment, with its site table.

    Parameters
    ----------
    source : a zoo model (anything with ``first_conv`` and ``first_layer_activations``), or
        first-layer activations ``(N, F, L_conv)`` already computed for ``X``.
    X : one-hot inputs ``(N, 4, L)`` (the test set in the papers).
    threshold : a position is a site when its activation exceeds ``threshold`` times the
        filter's maximum over all of ``X`` (0.5 in the papers).
    window : width of the aligned windows; default the filter width (the originals: 20
        for width-19 filters).
    trim : cut each motif to the span of columns with information content above
        ``ic_threshold`` bits, widened by ``trim_pad`` columns per side
        (:meth:`Motif.trim`); a motif without such a column is kept whole.
    kernel_size, left_padding : the conv geometry when ``source`` is an activation array.
        ``kernel_size`` is required there; ``left_padding`` defaults to ``(k - 1) // 2`` when
        ``L_conv == L`` ('same') and to 0 when ``L_conv == L - k + 1`` ('valid').
    names : one name per filter (default ``filter0``, ``filter1``, ...).
    batch_size, device : for running the model.

    Returns
    -------
    :class:`FilterAlignment`: F motifs and a table with one row per filter.
    """
    X_arr = as_one_hot_array(X)
    if not 0 < threshold <= 1:
        raise SeqlensError(f"threshold must be in (0, 1], got {threshold}")
    if isinstance(source, torch.nn.Module):
        acts, kernel, pad = first_layer_activations(source, X_arr, batch_size=batch_size, device=device)
    else:
        acts = as_array(source, "activations", ndim=3)
        if acts.shape[0] != X_arr.shape[0]:
            raise DataFormatError(f"activations are for {acts.shape[0]} sequences but X has {X_arr.shape[0]}")
        if kernel_size is None:
            raise SeqlensError("kernel_size is needed to align an activation array with X")
        kernel = check_int(kernel_size, "kernel_size")
        if left_padding is None:
            pad = _default_left_padding(kernel, acts.shape[2], X_arr.shape[2])
        else:
            pad = int(left_padding)
    width = kernel if window is None else check_int(window, "window")
    n_filters = acts.shape[1]
    length = X_arr.shape[2]
    if width > length:
        raise SeqlensError(f"window {width} is longer than the sequences ({length})")
    if names is None:
        names = [f"filter{f}" for f in range(n_filters)]
    elif len(names) != n_filters:
        raise SeqlensError(f"got {len(names)} names for {n_filters} filters")
    X_lengthwise = np.ascontiguousarray(X_arr.transpose(0, 2, 1))
    shift = (kernel - width) // 2 - pad
    motifs, rows = [], []
    for f in range(n_filters):
        filter_acts = acts[:, f, :]
        max_activation = float(filter_acts.max())
        seqs, positions = np.nonzero(filter_acts > threshold * max_activation)
        starts = positions + shift
        inside = (starts >= 0) & (starts + width <= length)
        seqs, starts = seqs[inside], starts[inside]
        motif = _site_motif(_window_counts(X_lengthwise, seqs, starts, width), seqs.size, str(names[f]))
        if trim:
            try:
                motif = motif.trim(ic_threshold, trim_pad)
            except MotifError:
                pass  # no informative column: nothing to trim to, keep the whole window
        motifs.append(motif)
        rows.append((f, motif.name, max_activation, int(positions.size), int(seqs.size), motif.width,
                     motif.total_information, motif.core_information()))
    table = pd.DataFrame(rows, columns=["filter", "name", "max_activation", "n_hits", "n_sites", "width", "information",
                                        "core_information"])
    return FilterAlignment(motifs=motifs, table=table)


def filter_ppms(source, X, threshold: float = 0.5, window: int | None = None, **options) -> list[Motif]:
    """The motifs of :func:`filter_alignment` (same arguments), one per filter.

    Write them with :func:`seqlens.motifs.write_meme`; a motif's ``counts`` (when it has
    any) are the summed one-hot windows, so MEME's ``nsites`` is its number of sites.
    """
    return filter_alignment(source, X, threshold=threshold, window=window, **options).motifs


def _default_left_padding(kernel: int, conv_length: int, length: int) -> int:
    if conv_length == length:
        return (kernel - 1) // 2
    if conv_length == length - kernel + 1:
        return 0
    raise SeqlensError(
        f"cannot tell the padding of activations of length {conv_length} for inputs of length {length} "
        f"and kernel {kernel}; pass left_padding"
    )
