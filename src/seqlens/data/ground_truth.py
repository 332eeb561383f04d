"""Which ground-truth positions are motif and which are background: the one helper for it.

A ground-truth sequence model ``(N, 4, L)`` holds, in every column, the distribution its
letter was drawn from: the background frequencies outside embedded motifs, a PPM column
inside one. Scoring, localisation, plots and dataset summaries all need to tell the two
apart, and all do it here:

- :func:`position_information`: the information of each column relative to the
  background, ``KL(M_i || b) = sum_a M_ai log2(M_ai / b_a)`` bits, which is
  ``2 + sum_a M_ai log2 M_ai`` for the uniform background (SPEC section 6). Measured this
  way a GC-rich background scores like a uniform one: its columns carry 0 bits.
- :func:`background_positions`: ``(N, L)`` True where a column is the background
  (information <= :data:`BACKGROUND_TOL`).

The background is a split's ``background`` (``seqlens.data.Split.background``, stored by the
generator in both HDF5 layouts); ``None`` means uniform, the papers' files. A ground truth
that has no column equal to the assumed background raises instead of scoring every
position as "motif" (which gave NaN AUROCs and a coverage of 1.0 before).
"""

from __future__ import annotations

import numpy as np

from ..errors import DataFormatError
from ..motifs import information_content
from ..validation import as_probability_matrix

#: Information (bits, relative to the background) up to which a column is background. A
#: background column carries ~6e-10 bits through the log's epsilon, and a float64
#: background compared with its float32 copy in the data ~1e-8; motif columns carry far more.
BACKGROUND_TOL = 1e-6
#: How far four background frequencies may sum from 1.
_BACKGROUND_SUM_TOL = 1e-6


def check_background(background) -> np.ndarray | None:
    """``background`` as four float64 frequencies (A, C, G, T) summing to 1, or None (uniform)."""
    if background is None:
        return None
    try:
        b = np.asarray(background, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataFormatError(f"background must be four nucleotide frequencies, got {background!r}") from None
    if b.shape != (4,) or not np.isfinite(b).all() or (b <= 0).any() or abs(b.sum() - 1) > _BACKGROUND_SUM_TOL:
        raise DataFormatError(
            f"background must be four positive nucleotide frequencies (A, C, G, T) summing to 1, got {b.tolist()}"
        )
    return b


def position_information(ground_truth, background=None) -> np.ndarray:
    """Information (bits) of each ground-truth column relative to the background.

    ``ground_truth`` ``(N, 4, L)`` probabilities (numpy or torch, validated);
    ``background`` four frequencies or None
    (uniform). Returns ``(N, L)`` float64: ``~0`` in background columns, up to
    ``-log2(min b)`` for a single letter (2 bits on a uniform background). Raises
    :class:`DataFormatError` when no column of a non-empty ground truth equals the
    background: the background given (or the uniform one assumed) is not the data's.
    """
    b = check_background(background)
    info = information_content(as_probability_matrix(ground_truth), background=b)
    if info.size and not (info <= BACKGROUND_TOL).any():
        assumed = "uniform (0.25 each; none was given)" if b is None else str(b.tolist())
        raise DataFormatError(
            f"no ground-truth column equals the background {assumed}, so motif and background "
            "positions cannot be told apart; pass the data's background frequencies "
            "(background=split.background; for simulated data the generator records them)"
        )
    return info


def background_positions(ground_truth, background=None) -> np.ndarray:
    """``(N, L)`` bool: True where a ground-truth column is the background (see :func:`position_information`)."""
    return position_information(ground_truth, background) <= BACKGROUND_TOL
