"""Motif localisation AUROC (paper 002): do scans peak where the motifs were embedded?

Each sequence is cut into regions from its ground truth: positions whose column differs from
the background (``seqlens.data.background_positions``: information relative to the
background ``I > 1e-6``, every embedded-motif column) are widened by ``pad`` positions on each side
(10 in the paper, "because motif positions within filters are not necessarily centred");
each maximal run of widened motif positions is a motif region (two motifs closer than
``2 * pad`` form one region) and each run in between is a background region. A region's
score is the maximum of a position scan over the region; the AUROC separates motif from
background regions.

Scans are ``(N, L)``, one value per input position:

- :func:`filter_scan`: maximum over first-layer filters of the post-activation output,
  placed at the centre of each activation's receptive field;
- :func:`pwm_scan`: the reference, maximum over the true motifs and both strands of the
  log-odds score ``sum log2(p / b)`` (``b`` the background, 0.25 by default) of the window centred at each position (windows
  overhanging the ends see N columns that score 0, as 'same' padding).

The paper pooled the regions of all test sequences into one AUROC but reported mean +- SD
over sequences (exp CNN-deep 0.889 +- 0.201, relu 0.391 +- 0.331, true PWMs
0.884 +- 0.252); :func:`localization_auroc` gives both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..errors import DataFormatError, SeqlensError
from ..motifs import Motif
from ..validation import as_array, as_one_hot_array, check_int
from .filters import first_layer_activations
from ..data import background_positions, check_background
from .ranking import binary_auroc

#: Probability floor inside the log-odds of a PWM scan, so letters absent from a PPM score
#: a large finite penalty instead of minus infinity.
PWM_PSEUDO_PROBABILITY = 1e-4


def _runs(mask: np.ndarray) -> list[tuple[int, int, bool]]:
    """Maximal runs of equal values in a 1-D bool array: ``(start, end, value)``, end exclusive."""
    change = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    bounds = np.r_[0, change, mask.size]
    return [(int(a), int(b), bool(mask[a])) for a, b in zip(bounds[:-1], bounds[1:])]


def motif_regions(ground_truth, pad: int = 10, background=None) -> pd.DataFrame:
    """Segment each sequence into motif and background regions.

    ``ground_truth`` ``(N, 4, L)`` with its ``background`` frequencies (None = uniform). Returns one row per region: ``sequence``, ``start``,
    ``end`` (exclusive) and ``motif`` (True for a padded embedded-motif region).
    """
    pad = check_int(pad, "pad", minimum=0)
    motif = ~background_positions(ground_truth, background)
    length = motif.shape[1]
    rows = []
    for n, seq_motif in enumerate(motif):
        widened = seq_motif.copy()
        for start, end, is_motif in _runs(seq_motif):
            if is_motif:
                widened[max(start - pad, 0) : min(end + pad, length)] = True
        rows.extend((n, start, end, is_motif) for start, end, is_motif in _runs(widened))
    return pd.DataFrame(rows, columns=["sequence", "start", "end", "motif"])


@dataclass(frozen=True)
class Localization:
    """Result of :func:`localization_auroc`.

    regions : :func:`motif_regions` with a ``score`` column (max of the scan over the region).
    per_sequence : indexed by ``sequence``: ``n_motif``, ``n_background`` (regions) and
        ``auroc`` (NaN without both kinds of region); summarise with ``summarize``.
    pooled_auroc : AUROC over the regions of all sequences together (the paper's method).
    """

    regions: pd.DataFrame
    per_sequence: pd.DataFrame
    pooled_auroc: float


def localization_auroc(scan, ground_truth, pad: int = 10, background=None) -> Localization:
    """Motif localisation AUROC of a position scan ``(N, L)`` against the ground truth ``(N, 4, L)``.

    ``background``: the ground truth's background frequencies (None = uniform).
    """
    scan = as_array(scan, "scan", ndim=2)
    regions = motif_regions(ground_truth, pad, background)
    n_seqs = int(regions["sequence"].max()) + 1
    length = int(regions["end"].max())
    if scan.shape != (n_seqs, length):
        raise DataFormatError(
            f"scan has shape {scan.shape} but the ground truth is for {n_seqs} sequences of length {length}"
        )
    seqs, starts, ends = (regions[c].to_numpy() for c in ("sequence", "start", "end"))
    # Region maxima with one reduceat per sequence row; regions of a row tile it exactly.
    scores = np.maximum.reduceat(scan.ravel(), seqs * length + starts)
    regions = regions.assign(score=scores)
    per_sequence = []
    for _, group in regions.groupby("sequence", sort=True):
        labels = group["motif"].to_numpy()
        per_sequence.append((int(labels.sum()), int((~labels).sum()), binary_auroc(labels, group["score"].to_numpy())))
    table = pd.DataFrame(per_sequence, columns=["n_motif", "n_background", "auroc"])
    table.index.name = "sequence"
    pooled = binary_auroc(regions["motif"].to_numpy(), scores)
    return Localization(regions=regions, per_sequence=table, pooled_auroc=pooled)


def filter_scan(model, X, batch_size: int = 256, device=None) -> np.ndarray:
    """Maximum first-layer activation over filters at each input position: ``(N, L)`` float64.

    The activation at conv output ``p`` is placed at its receptive field's centre
    ``p - left_padding + (k - 1) // 2`` (``p`` itself for 'same' padding and odd ``k``);
    input positions no activation is centred on (near the ends with 'valid' padding) get
    the scan's minimum, so they never raise a region's score.
    """
    X_arr = as_one_hot_array(X)
    acts, kernel, pad = first_layer_activations(model, X_arr, batch_size=batch_size, device=device)
    best = acts.max(axis=1).astype(np.float64)
    length = X_arr.shape[2]
    scan = np.full((X_arr.shape[0], length), best.min())
    centres = np.arange(best.shape[1]) - pad + (kernel - 1) // 2
    inside = (centres >= 0) & (centres < length)
    scan[:, centres[inside]] = best[:, inside]
    return scan


def pwm_scan(X, motifs: Sequence[Motif], background=None) -> np.ndarray:
    """Best log-odds score over ``motifs`` and both strands at each position: ``(N, L)`` float64.

    Weights are ``log2(max(p, 1e-4) / b)`` with ``b`` the ``background`` frequencies
    (None = uniform, 0.25 each, as the papers' synthetic data);
    the window of width ``w`` scored at position ``i`` starts at ``i - (w - 1) // 2``.
    """
    X_arr = as_one_hot_array(X)
    if not motifs or not all(isinstance(m, Motif) for m in motifs):
        raise SeqlensError("motifs must be a non-empty list of Motif objects")
    b = check_background(background)
    b = np.full((4, 1), 0.25) if b is None else b[:, None]
    inputs = torch.from_numpy(X_arr)
    scan = np.full((X_arr.shape[0], X_arr.shape[2]), -np.inf)
    for motif in motifs:
        left = (motif.width - 1) // 2
        padded = torch.nn.functional.pad(inputs, (left, motif.width - 1 - left))
        for ppm in (motif.ppm, motif.reverse_complement().ppm):
            weights = torch.from_numpy(np.log2(np.maximum(ppm, PWM_PSEUDO_PROBABILITY) / b))
            scores = torch.nn.functional.conv1d(padded, weights[None])[:, 0]
            np.maximum(scan, scores.numpy(), out=scan)
    return scan
