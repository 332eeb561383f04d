"""Attribution maps scored against the ground truth of synthetic data (SPEC section 6).

All functions take attribution maps ``(N, 4, L)`` (or, where stated, per-position scores
``(N, L)``), one-hot inputs ``X`` ``(N, 4, L)``, the ground-truth sequence models
``(N, 4, L)`` (columns are probabilities: the background frequencies in background columns,
the motif's PPM column inside an embedded motif) and ``background``, the four background
frequencies (``split.background``; None = uniform, 0.25 each). Each returns a per-sequence
``pandas.DataFrame`` indexed by sequence; :func:`seqlens.evaluation.summarize` turns it into
mean +- SD.

Position labels
---------------
The information of ground-truth column ``i`` is measured relative to the background
(:func:`seqlens.data.position_information`): ``I_i = sum_a M_ai log2(M_ai / b_a)``, which for
the uniform background is SPEC's ``2 + sum_a M_ai log2(M_ai + 1e-10)``, computed in float64.
A background column then has ``I`` of about 6e-10 whatever the background (a GC-rich
background scores like a uniform one); in float32 the uniform case would be exactly 0,
which is why the originals' ``I > 0`` test only worked in float32 (SPEC 9). Here

- positive positions: ``I > threshold``;
- negative positions: background columns, ``I <= 1e-6``;
- motif columns with ``1e-6 < I <= threshold`` are left out of both classes
  (``low_info="exclude"``, the default), or counted as negatives (``low_info="negative"``,
  what the exponential-activation paper's code did).

Kinds of map
------------
seqlens' methods return *hypothetical* maps (a value for every letter) and, for ISM,
``f(mutant) - f(wild type)`` (``"ism_delta"``: 0 at the observed letter); the registry
(:data:`seqlens.attribution.METHOD_KINDS`) says which each method returns. Other libraries
return other maps under the same method names: tangermeme's ``saliency`` and
``deep_lift_shap`` give the map times the input, its ``saturation_mutagenesis`` the ISM
delta mean-centred over the four letters (times the input unless ``hypothetical=True``).
Scoring such a map as if it were seqlens' silently changes the scores, so the functions
here and :func:`seqlens.evaluation.score_attributions` take ``kind=`` (:data:`MAP_KINDS`),
and :func:`convert_map` turns the map into what the scores expect:

- ``"hypothetical"``: as is; position scores ``sum_a map * X``;
- ``"ism_delta"``: as is; position scores the L2 norm over the letters;
- ``"times_input"``: ``map * X`` (nonzero at the observed letter only): its position scores
  ``sum_a map * X`` equal those of the hypothetical map it came from, so AUROC, AUPR and
  signal-to-noise are the same; the other three letters are lost, so the cosine
  similarity (all four letters) cannot be computed: :func:`cosine_similarity` refuses it
  and ``score_attributions`` reports NaN, never a different number;
- ``"mean_centred"``: an ISM delta minus its mean over the four letters at each position
  (tangermeme's ``saturation_mutagenesis(..., hypothetical=True)``): the wild-type letter
  of a delta is 0, so ``delta = map - map[observed letter]`` recovers it exactly at every
  one-hot column; then scored as ``"ism_delta"``. (A times-input ISM map keeps only
  ``-mean(delta)`` per position: score it as ``"times_input"``, the signed sum.)

Conventions: ``"002"`` uses ``threshold=0.01`` (exponential-activation paper);
``"003"`` uses ``threshold=0.1`` (gradient-correction and hybrid-network papers, "5% of the
maximum information").
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import torch

from ..attribution import reduce_l2_norm, reduce_sum, times_input
from ..attribution.registry import KINDS
from ..data import BACKGROUND_TOL, check_background, position_information
from ..errors import SeqlensError
from ..validation import (
    as_array,
    as_maps,
    as_one_hot_array,
    as_probability_matrix,
    check_int,
    check_same_shape,
    did_you_mean,
)
from .ranking import binary_auroc, pr_areas

Convention = Literal["002", "003"]
Reduction = Literal["sum", "l2"]
LowInfo = Literal["exclude", "negative"]

CONVENTION_THRESHOLDS = {"002": 0.01, "003": 0.1}

#: The kinds of map the scores take (``kind=``): seqlens' own (the registry's ``KINDS``) and
#: two made elsewhere (see the module docstring, "Kinds of map").
MAP_KINDS = (*KINDS, "times_input", "mean_centred")

#: What each kind of map is scored as: (kind of the converted map, position-score reduction).
_SCORED_AS = {"hypothetical": ("hypothetical", "sum"), "ism_delta": ("ism_delta", "l2"),
              "times_input": ("times_input", "sum"), "mean_centred": ("ism_delta", "l2")}


def check_kind(kind: str) -> str:
    """``kind`` if it is one of :data:`MAP_KINDS`, else a one-line :class:`SeqlensError`."""
    if not isinstance(kind, str) or kind not in MAP_KINDS:
        raise SeqlensError(f"kind must be one of {MAP_KINDS}, got {kind!r}{did_you_mean(kind, MAP_KINDS)}")
    return kind


def convert_map(attr, X, kind: str) -> tuple[np.ndarray, Reduction, bool]:
    """A map of ``kind`` (:data:`MAP_KINDS`) as the map the scores expect.

    Returns ``(map, reduction, all_letters)``: the ``(N, 4, L)`` float64 map (a
    ``"mean_centred"`` ISM map becomes the ISM delta, the others are unchanged), the
    reduction its position scores take (:func:`position_scores`) and whether the map holds
    all four letters (False for ``"times_input"``: no cosine similarity). ``X`` (one-hot
    ``(N, 4, L)``) is needed for ``"mean_centred"`` only (may be None otherwise).
    """
    kind = check_kind(kind)
    attr = as_maps(attr, "attr")
    if kind == "mean_centred":
        if X is None:
            raise SeqlensError("X is needed to turn a mean-centred ISM map into ISM deltas (kind='mean_centred')")
        X = as_one_hot_array(X)
        check_same_shape(attr, X, "attr", "X")
        # the delta is 0 at the observed letter: subtract the map's value there (0 at an N column)
        attr = attr - (attr * X).sum(axis=1, keepdims=True) * (X.max(axis=1, keepdims=True) == 1)
    scored_as, reduction = _SCORED_AS[kind]
    return attr, reduction, scored_as != "times_input"


def check_threshold(threshold: float) -> float:
    """``threshold`` as a float in ``[1e-6, 2)`` bits: above the background tolerance, below the maximum."""
    threshold = float(threshold)
    if not BACKGROUND_TOL <= threshold < 2:
        raise SeqlensError(
            f"threshold must be in [{BACKGROUND_TOL}, 2) bits "
            f"(background columns have I <= {BACKGROUND_TOL}), got {threshold}"
        )
    return threshold


def resolve_threshold(convention: Convention, threshold: float | None) -> float:
    """The information threshold for positives: ``threshold`` if given, else the convention's."""
    if convention not in CONVENTION_THRESHOLDS:
        raise SeqlensError(f"convention must be one of {sorted(CONVENTION_THRESHOLDS)}, got {convention!r}")
    return CONVENTION_THRESHOLDS[convention] if threshold is None else check_threshold(threshold)


def position_labels(ground_truth, threshold: float = 0.01, low_info: LowInfo = "exclude", background=None) -> np.ndarray:
    """Class of every position: ``(N, 4, L)`` -> ``(N, L)`` int8.

    1 = motif position (``I > threshold``), 0 = background (``I <= 1e-6``), -1 = left out
    (a motif column with ``1e-6 < I <= threshold``; with ``low_info="negative"`` those are 0).
    """
    if low_info not in ("exclude", "negative"):
        raise SeqlensError(f"low_info must be 'exclude' or 'negative', got {low_info!r}")
    threshold = check_threshold(threshold)
    info = position_information(ground_truth, background)
    labels = np.full(info.shape, -1, dtype=np.int8)
    labels[info > threshold] = 1
    negative = (info <= threshold) if low_info == "negative" else (info <= BACKGROUND_TOL)
    labels[negative] = 0
    return labels


def position_scores(attr, X=None, reduction: Reduction = "sum") -> np.ndarray:
    """One score per position: ``(N, 4, L)`` maps -> ``(N, L)`` float64.

    Validates the inputs and combines :func:`seqlens.attribution.times_input`,
    :func:`~seqlens.attribution.reduce_sum` and :func:`~seqlens.attribution.reduce_l2_norm`:

    - ``"sum"``: ``C_i = sum_a attr_ai X_ai`` (signed; gradient, SmoothGrad, IG, DeepSHAP
      maps: "grad times input");
    - ``"l2"``: ``C_i = ||attr_:i||_2 * sum_a X_ai``, the L2 norm over the four letters placed
      at the observed letter (in silico mutagenesis maps, whose wild-type entry is 0); an N
      column of ``X`` (all zeros) scores 0.

    ``attr`` of shape ``(N, L)`` is taken as scores already reduced and returned as float64
    (``X`` may then be None).
    """
    attr = as_array(attr, "attr", ndim=(2, 3))
    if attr.ndim == 2:
        return attr
    attr = as_maps(attr, "attr")
    if reduction not in ("sum", "l2"):
        raise SeqlensError(f"reduction must be 'sum' or 'l2', got {reduction!r}")
    if X is None:
        raise SeqlensError("X is needed to reduce (N, 4, L) attribution maps to position scores")
    X = as_one_hot_array(X)
    check_same_shape(attr, X, "attr", "X")
    attr, X = torch.from_numpy(attr), torch.from_numpy(X)
    if reduction == "sum":
        return reduce_sum(times_input(attr, X)).numpy()
    # the L2 norm counts at the observed letter only: an all-zero N column scores 0
    return (reduce_l2_norm(attr) * X.sum(dim=1)).numpy()


def interpretability_scores(
    attr,
    X,
    ground_truth,
    convention: Convention = "002",
    threshold: float | None = None,
    low_info: LowInfo = "exclude",
    reduction: Reduction = "sum",
    background=None,
    kind: str | None = None,
) -> pd.DataFrame:
    """Per-sequence AUROC and AUPR of position scores for motif vs background positions.

    Parameters
    ----------
    attr : attribution maps ``(N, 4, L)`` or position scores ``(N, L)``.
    X : one-hot inputs ``(N, 4, L)`` the maps were computed for.
    ground_truth : sequence models ``(N, 4, L)``.
    convention : ``"002"`` (threshold 0.01) or ``"003"`` (threshold 0.1); see module docstring.
    threshold : overrides the convention's information threshold for positives.
    low_info : ``"exclude"`` motif columns with ``0 < I <= threshold`` from both classes, or
        count them as ``"negative"`` (the 002 code).
    reduction : how maps become position scores (:func:`position_scores`).
    background : four background frequencies of the ground truth (``split.background``);
        None = uniform.
    kind : the kind of map ``attr`` is (:data:`MAP_KINDS`; e.g. ``"times_input"`` for
        tangermeme's saliency); it sets the reduction (see :func:`convert_map`). None: as
        ``reduction`` says.

    Returns
    -------
    DataFrame indexed by ``sequence`` with ``n_positive``, ``n_negative``, ``auroc``,
    ``aupr_trapezoid`` (trapezoid rule over the PR curve, as the original code) and
    ``average_precision`` (step-wise area, as sklearn). A sequence without positives or
    without negatives has NaN scores (``summarize`` leaves it out and counts it).
    ``table.attrs`` records the settings.
    """
    threshold = resolve_threshold(convention, threshold)
    if kind is not None:
        attr, reduction, _ = convert_map(attr, X, kind)
    scores = position_scores(attr, X, reduction)
    labels = position_labels(ground_truth, threshold, low_info, background)
    check_same_shape(scores, labels, "position scores", "ground-truth positions")
    rows = []
    for seq_scores, seq_labels in zip(scores, labels):
        used = seq_labels >= 0
        y, s = seq_labels[used] == 1, seq_scores[used]
        n_pos = int(y.sum())
        n_neg = int(y.size - n_pos)
        if n_pos and n_neg:
            auroc = binary_auroc(y, s)
            trapezoid, average_precision = pr_areas(y, s)
        else:
            auroc = trapezoid = average_precision = float("nan")
        rows.append((n_pos, n_neg, auroc, trapezoid, average_precision))
    table = pd.DataFrame(
        rows, columns=["n_positive", "n_negative", "auroc", "aupr_trapezoid", "average_precision"]
    )
    table.index.name = "sequence"
    table.attrs.update(convention=convention, threshold=threshold, low_info=low_info, reduction=reduction)
    if kind is not None:
        table.attrs["kind"] = kind
    return table


def _cosines(a: np.ndarray, b: np.ndarray, axis) -> np.ndarray:
    """Cosine of ``a`` and ``b`` along ``axis``; NaN where either vector is all zero."""
    dot = np.sum(a * b, axis=axis)
    norms = np.sqrt(np.sum(a * a, axis=axis) * np.sum(b * b, axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norms > 0, dot / np.where(norms > 0, norms, 1.0), np.nan)


def motif_signal(ground_truth, background=None) -> np.ndarray:
    """``ground_truth - background``: ``(N, 4, L)`` float64, zero in background columns.

    Paper 003 compares maps with ``M - 0.25``; subtracting the data's own background
    (None = uniform) keeps background columns at zero for any background.
    """
    b = check_background(background)
    return as_probability_matrix(ground_truth) - (0.25 if b is None else b[None, :, None])


def cosine_similarity(attr, ground_truth, background=None, kind: str | None = None, X=None) -> pd.DataFrame:
    """Per-sequence cosine similarity between a map and ``ground_truth - background`` (paper 003).

    Both ``(N, 4, L)`` arrays are flattened per sequence; subtracting the background
    (:func:`motif_signal`; 0.25 for the papers' uniform one) zeroes the background columns,
    so only motif positions contribute. Pass the map itself (e.g. the
    raw or corrected gradient), not the times-input map: the comparison uses all four
    letters. NaN for a sequence without motifs or an all-zero map.

    ``kind`` (:data:`MAP_KINDS`) says what ``attr`` is: a ``"mean_centred"`` ISM map (with
    ``X``, the one-hot sequences) is compared as its ISM delta; a ``"times_input"`` map
    holds one letter per position, so it raises :class:`SeqlensError`. None: as given.

    Returns a DataFrame indexed by ``sequence`` with column ``cosine``.
    """
    if kind is not None:
        attr, _, all_letters = convert_map(attr, X, kind)
        if not all_letters:
            raise SeqlensError(
                "cosine similarity compares all four letters, but a times_input map holds only the observed one; "
                "score the hypothetical map it came from"
            )
    attr = as_maps(attr, "attr")
    target = motif_signal(ground_truth, background)
    check_same_shape(attr, target, "attr", "ground_truth")
    table = pd.DataFrame({"cosine": _cosines(attr, target, axis=(1, 2))})
    table.index.name = "sequence"
    return table


def position_cosine(attr, ground_truth, background=None) -> np.ndarray:
    """Cosine between each position's 4-vector and ``M - background`` there: ``(N, 4, L)`` -> ``(N, L)``.

    NaN at background positions (``M - background`` is zero) and where the map is zero.
    """
    attr = as_maps(attr, "attr")
    target = motif_signal(ground_truth, background)
    check_same_shape(attr, target, "attr", "ground_truth")
    return _cosines(attr, target, axis=1)


def signal_to_noise(
    attr,
    X,
    ground_truth,
    top_k: int = 20,
    convention: Convention = "003",
    threshold: float | None = None,
    reduction: Reduction = "sum",
    background=None,
    kind: str | None = None,
) -> pd.DataFrame:
    """Per-sequence signal-to-noise ratio of position scores (paper 004).

    Following the hybrid-network paper's code (``signal_noise_stats``):

    - ``signal``: mean position score over motif positions (``I > threshold``; signed);
    - ``noise``: mean of the ``top_k`` largest **positive** scores at background positions
      (``I <= 1e-6``), i.e. the strongest false positives ("the 20 worst saliency scores at
      other positions"); fewer than ``top_k`` are averaged when fewer are positive;
    - ``snr = signal / noise``.

    Returns a DataFrame indexed by ``sequence`` with ``signal``, ``noise``, ``n_noise``
    (background scores averaged, at most ``top_k``) and ``snr``. ``snr`` is NaN for a
    sequence without motif positions or without a positive background score. ``kind``
    (:data:`MAP_KINDS`) as in :func:`interpretability_scores`.
    """
    top_k = check_int(top_k, "top_k")
    threshold = resolve_threshold(convention, threshold)
    if kind is not None:
        attr, reduction, _ = convert_map(attr, X, kind)
    scores = position_scores(attr, X, reduction)
    info = position_information(ground_truth, background)
    check_same_shape(scores, info, "position scores", "ground-truth positions")
    rows = []
    for seq_scores, seq_info in zip(scores, info):
        motif = seq_scores[seq_info > threshold]
        background = seq_scores[seq_info <= BACKGROUND_TOL]
        false_positives = np.sort(background[background > 0])[::-1][:top_k]
        signal = float(motif.mean()) if motif.size else float("nan")
        noise = float(false_positives.mean()) if false_positives.size else float("nan")
        rows.append((signal, noise, int(false_positives.size), signal / noise))
    table = pd.DataFrame(rows, columns=["signal", "noise", "n_noise", "snr"])
    table.index.name = "sequence"
    table.attrs.update(top_k=top_k, threshold=threshold, reduction=reduction)
    return table
