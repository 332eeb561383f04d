"""Gradient-angle statistics and the effect of off-simplex correction by angle (paper 003).

The angle of a position's gradient 4-vector to the simplex plane comes from
:func:`seqlens.attribution.gradient_angles` (``sin(theta) = sum_a g_a / (2 ||g||)``, degrees
in [-90, 90]); the correction is :func:`seqlens.attribution.correct_gradients`
(``g - mean_a g``). Every function here accepts raw input gradients ``(N, 4, L)``; those
that only need angles also accept precomputed angles ``(N, L)``.

Motif and background positions come from the ground truth as in
:mod:`seqlens.evaluation.interpretability` (motif: information relative to the
``background`` frequencies ``I > threshold``, background: ``I <= 1e-6``; motif columns in
between are neither). ``background`` is the data's (``split.background``); None = uniform.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from ..attribution import correct_gradients, gradient_angles
from ..errors import SeqlensError
from ..validation import as_array, as_maps, as_one_hot_array, check_same_shape
from .interpretability import Convention, _cosines, motif_signal, position_labels, resolve_threshold

ANGLE_THRESHOLDS = (30.0, 45.0, 60.0)
ANGLE_BINS = tuple(range(0, 91, 10))


def position_angles(grads) -> np.ndarray:
    """Angles in degrees ``(N, L)`` float64 from gradients ``(N, 4, L)``; angles ``(N, L)`` pass through."""
    arr = as_array(grads, "grads", ndim=(2, 3))
    if arr.ndim == 2:
        if (np.abs(arr) > 90).any():
            raise SeqlensError("angles must be in degrees within [-90, 90]")
        return arr
    return gradient_angles(torch.from_numpy(as_maps(arr, "grads"))).numpy()


def _check_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(t) for t in thresholds)
    if not values or any(not 0 <= t < 90 for t in values):
        raise SeqlensError(f"angle thresholds must be degrees in [0, 90), got {list(thresholds)}")
    return values


def angle_bin_edges(bins: Sequence[float]) -> np.ndarray:
    """Validated ``|angle|`` bin edges: increasing degrees within [0, 90]."""
    edges = np.asarray(bins, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or (np.diff(edges) <= 0).any() or edges[0] < 0 or edges[-1] > 90:
        raise SeqlensError(f"angle bins must be increasing |angle| edges within [0, 90], got {list(bins)}")
    return edges


def angle_bin_index(magnitude: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each ``|angle|``: bins are ``[low, high)``, the last one closed; -1 outside."""
    index = np.searchsorted(edges, magnitude, side="right") - 1
    index[magnitude == edges[-1]] = edges.size - 2
    index[(magnitude < edges[0]) | (magnitude > edges[-1])] = -1
    return index


def _classes(ground_truth, shape: tuple[int, ...], convention: Convention, threshold: float | None, background) -> np.ndarray:
    labels = position_labels(ground_truth, resolve_threshold(convention, threshold), background=background)
    check_same_shape(labels, np.empty(shape), "ground-truth positions", "angles")
    return labels


def angle_fractions(
    grads,
    ground_truth=None,
    thresholds: Sequence[float] = ANGLE_THRESHOLDS,
    convention: Convention = "003",
    threshold: float | None = None,
    background=None,
) -> pd.DataFrame:
    """Per-sequence fraction of positions whose gradient angle exceeds each threshold.

    ``|theta| > t`` for ``t`` in ``thresholds`` (paper 003 reports 30, 45 and 60 degrees;
    CNN-deep ReLU: 29.5%, 12.3%, 3.7% of positions).

    Returns a DataFrame indexed by ``sequence`` with ``above_30`` ... over all positions
    and, when ``ground_truth`` ``(N, 4, L)`` is given, ``motif_above_30`` ... and
    ``background_above_30`` ... over motif and background positions (NaN for a sequence
    without such positions).
    """
    thresholds = _check_thresholds(thresholds)
    magnitude = np.abs(position_angles(grads))
    columns = {}
    groups = {"": np.ones(magnitude.shape, dtype=bool)}
    if ground_truth is not None:
        labels = _classes(ground_truth, magnitude.shape, convention, threshold, background)
        groups.update(motif_=labels == 1, background_=labels == 0)
    for prefix, mask in groups.items():
        counts = mask.sum(axis=1)
        for t in thresholds:
            above = ((magnitude > t) & mask).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                columns[f"{prefix}above_{t:g}"] = np.where(counts > 0, above / np.maximum(counts, 1), np.nan)
    table = pd.DataFrame(columns)
    table.index.name = "sequence"
    return table


def angle_summary(
    grads,
    ground_truth=None,
    thresholds: Sequence[float] = ANGLE_THRESHOLDS,
    convention: Convention = "003",
    threshold: float | None = None,
    background=None,
) -> pd.DataFrame:
    """Pooled angle statistics over all positions, and over motif / background positions.

    Returns a DataFrame indexed by ``positions`` (``all``, and with ``ground_truth``
    ``motif`` and ``background``) with ``n``, ``mean``, ``sd`` (population SD of the signed
    angles; paper 003: about 28 degrees at motif and 37 at background positions for
    CNN-deep-exp) and ``above_30`` ... (fraction of positions with ``|theta| > t``).
    """
    thresholds = _check_thresholds(thresholds)
    angles = position_angles(grads)
    groups = {"all": np.ones(angles.shape, dtype=bool)}
    if ground_truth is not None:
        labels = _classes(ground_truth, angles.shape, convention, threshold, background)
        groups.update(motif=labels == 1, background=labels == 0)
    rows = {}
    for name, mask in groups.items():
        values = angles[mask]
        row = {"n": int(values.size)}
        row["mean"] = float(values.mean()) if values.size else float("nan")
        row["sd"] = float(values.std()) if values.size else float("nan")
        for t in thresholds:
            row[f"above_{t:g}"] = float((np.abs(values) > t).mean()) if values.size else float("nan")
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "positions"
    return table


def angle_histogram(
    grads,
    ground_truth,
    bins: int | Sequence[float] = 36,
    convention: Convention = "003",
    threshold: float | None = None,
    background=None,
) -> pd.DataFrame:
    """Probability density of signed angles at motif and at background positions.

    ``bins``: number of equal bins over [-90, 90] or explicit edges. Returns one row per
    bin: ``left``, ``right``, ``motif``, ``background`` (densities integrating to 1 over
    the bins; NaN when the class has no position).
    """
    angles = position_angles(grads)
    labels = _classes(ground_truth, angles.shape, convention, threshold, background)
    edges = np.linspace(-90, 90, bins + 1) if isinstance(bins, (int, np.integer)) else np.asarray(bins, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or (np.diff(edges) <= 0).any():
        raise SeqlensError("bins must be a positive number of bins or increasing bin edges")
    table = pd.DataFrame({"left": edges[:-1], "right": edges[1:]})
    for label, name in ((1, "motif"), (0, "background")):
        values = angles[labels == label]
        table[name] = np.histogram(values, bins=edges, density=True)[0] if values.size else np.nan
    return table


def correction_effect(
    grads,
    X,
    ground_truth,
    convention: Convention = "003",
    threshold: float | None = None,
    background=None,
) -> pd.DataFrame:
    """Per-position effect of gradient correction, with the position's gradient angle.

    For every position (``N * L`` rows) of raw gradients ``grads`` ``(N, 4, L)`` with
    one-hot inputs ``X`` and ground truth ``(N, 4, L)``:

    - ``angle``: the raw gradient's angle to the simplex (degrees);
    - ``cosine_raw`` / ``cosine_corrected``: cosine of the raw / corrected gradient 4-vector
      with ``M - background`` at that position (motif positions; NaN at background);
      ``cosine_gain`` = corrected - raw. Since ``M - background`` lies in the simplex plane, the
      gain is ``cosine_corrected * (1 - cos(angle))``, bounded by ``1 - cos(angle)``
      (paper 003, Fig. 3c);
    - ``score_raw`` / ``score_corrected``: grad-times-input at the position before and after
      correction (paper 003, Fig. 3d: background scores shrink at large angles).

    Columns ``sequence``, ``position``, ``positions`` (``motif``, ``background`` or
    ``low_info``), then the values above. Summarise with :func:`correction_effect_by_angle`.
    """
    raw = as_maps(grads, "grads")
    X = as_one_hot_array(X)
    check_same_shape(raw, X, "grads", "X")
    labels = _classes(ground_truth, raw[:, 0].shape, convention, threshold, background)
    corrected = correct_gradients(torch.from_numpy(raw)).numpy()
    target = motif_signal(ground_truth, background)
    cos_raw = _cosines(raw, target, axis=1)
    cos_corrected = _cosines(corrected, target, axis=1)
    n, length = labels.shape
    table = pd.DataFrame(
        {
            "sequence": np.repeat(np.arange(n), length),
            "position": np.tile(np.arange(length), n),
            "positions": pd.Categorical.from_codes(
                (1 - labels).ravel().astype(np.int8),  # 1, 0, -1 -> codes 0, 1, 2
                categories=["motif", "background", "low_info"]
            ),
            "angle": position_angles(raw).ravel(),
            "cosine_raw": cos_raw.ravel(),
            "cosine_corrected": cos_corrected.ravel(),
            "cosine_gain": (cos_corrected - cos_raw).ravel(),
            "score_raw": np.sum(raw * X, axis=1).ravel(),
            "score_corrected": np.sum(corrected * X, axis=1).ravel(),
        }
    )
    return table


def correction_effect_by_angle(effect: pd.DataFrame, bins: Sequence[float] = ANGLE_BINS) -> pd.DataFrame:
    """Bin a :func:`correction_effect` table by ``|angle|``, separately for each position class.

    Bins are ``[low, high)`` (the last one closed). Returns one row per (``positions``,
    bin) with ``angle_low``, ``angle_high``, ``n``, ``mean_cosine_gain``,
    ``cosine_gain_bound`` (``1 - cos(angle_high)``, the largest gain the correction can
    give in the bin), ``mean_abs_score_raw`` and ``mean_abs_score_corrected``. Empty bins
    are left out.
    """
    edges = angle_bin_edges(bins)
    required = {"positions", "angle", "cosine_gain", "score_raw", "score_corrected"}
    if not required <= set(effect.columns):
        raise SeqlensError(f"effect must be a correction_effect table with columns {sorted(required)}")
    index = angle_bin_index(effect["angle"].abs().to_numpy(), edges)
    inside = index >= 0
    frame = pd.DataFrame(
        {
            "positions": effect["positions"].to_numpy()[inside],
            "angle_low": edges[index[inside]],
            "angle_high": edges[index[inside] + 1],
            "cosine_gain": effect["cosine_gain"].to_numpy()[inside],
            "abs_score_raw": effect["score_raw"].abs().to_numpy()[inside],
            "abs_score_corrected": effect["score_corrected"].abs().to_numpy()[inside],
        }
    )
    table = (
        frame.groupby(["positions", "angle_low", "angle_high"], observed=True)
        .agg(
            n=("cosine_gain", "size"),
            mean_cosine_gain=("cosine_gain", "mean"),
            mean_abs_score_raw=("abs_score_raw", "mean"),
            mean_abs_score_corrected=("abs_score_corrected", "mean"),
        )
        .reset_index()
    )
    table.insert(5, "cosine_gain_bound", 1 - np.cos(np.deg2rad(table["angle_high"].to_numpy())))
    return table
