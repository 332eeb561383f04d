"""Score every map of an attribution set against ground truth, in one tidy table.

This is what ``seqlens score`` and the demo report: for each method and variant (raw,
corrected) and each sequence, interpretability AUROC and both AUPRs, cosine similarity,
signal-to-noise and, for raw gradient maps, the fractions of off-simplex angles.

- :func:`score_attributions` / :func:`summarize_scores`: the per-sequence table and its
  mean +- SD;
- :func:`ground_truth_for`: the ground truth of an attribution set (its own, or from the
  dataset it was computed from, checked to be the same sequences);
- :func:`pooled_angles`: pooled angle statistics of every raw gradient map;
- :func:`score_attribution_set` / :func:`score_attribution_file`: all of the above at once,
  as an :class:`AttributionScores` (what ``seqlens score`` and the demo call).

Which methods are gradient methods and how each map reduces to position scores comes from
the attribution method registry (:mod:`seqlens.attribution.registry`). Maps made elsewhere
under the same method names (tangermeme's times-input saliency, its mean-centred ISM) are
scored with ``kind=`` (:data:`seqlens.evaluation.interpretability.MAP_KINDS`; the module
docstring there says how each kind is converted).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..attribution.io import AttributionSet, load_attributions
from ..errors import DataFormatError, SeqlensError
from ..io_utils import require_file
from ..validation import did_you_mean
from .angles import angle_fractions, angle_summary
from .interpretability import (
    MAP_KINDS,
    check_kind,
    convert_map,
    cosine_similarity,
    interpretability_scores,
    resolve_threshold,
    signal_to_noise,
)
from .summary import summarize

#: What the two AUPR columns are (SPEC section 6 asks to say which one a table uses).
AUPR_NOTE = (
    "aupr_trapezoid: trapezoid rule over the PR curve (as the original code); "
    "average_precision: average precision (step-wise area, as sklearn)"
)

_ID_COLUMNS = ("method", "variant", "sequence", "row")


def method_kinds(attributions: AttributionSet, kind: str | dict | None = None) -> dict[str, str | None]:
    """Method name -> the ``kind=`` it is scored as (None: the kind its maps were stored with).

    ``kind``: one of :data:`~seqlens.evaluation.interpretability.MAP_KINDS` for every
    method, a dict ``{method: kind}`` for some, or None. A one-line :class:`SeqlensError`
    for an unknown kind or a method the set does not hold.
    """
    if kind is None:
        return dict.fromkeys(attributions.methods)
    if isinstance(kind, str):
        return dict.fromkeys(attributions.methods, check_kind(kind))
    if not isinstance(kind, dict):
        raise SeqlensError(f"kind must be one of {MAP_KINDS} or a dict {{method: kind}}, got {type(kind).__name__}")
    for name in kind:
        if name not in attributions.methods:
            raise SeqlensError(f"kind names method {name!r}, which the attribution set does not hold "
                               f"(it holds {', '.join(attributions.methods)}){did_you_mean(name, attributions.methods)}")
    return {name: None if kind.get(name) is None else check_kind(kind[name]) for name in attributions.methods}


def score_attributions(
    attributions: AttributionSet,
    ground_truth: np.ndarray | None = None,
    convention: str = "002",
    threshold: float | None = None,
    top_k: int = 20,
    background=None,
    kind: str | dict | None = None,
) -> pd.DataFrame:
    """One row per (method, variant, sequence) with every metric.

    Parameters
    ----------
    attributions : maps ``(N, 4, L)`` with their sequences ``X``.
    ground_truth : ``(N, 4, L)`` sequence models; default: the set's own.
    convention, threshold : which positions count as motif / background
        (:func:`seqlens.evaluation.interpretability_scores`).
    top_k : background positions in the signal-to-noise denominator.
    background : the ground truth's background frequencies; default: the set's own
        (``attributions.sequences.background``; None there = uniform).
    kind : what the maps are, for maps made elsewhere: one of ``MAP_KINDS``
        (``"hypothetical"``, ``"ism_delta"``, ``"times_input"``, ``"mean_centred"``) for
        every method, or ``{method: kind}``; None: the kind each method's maps were stored
        with (seqlens' own maps). E.g. tangermeme's default saliency map is
        ``"times_input"``: the same AUROC, AUPR and signal-to-noise as seqlens' hypothetical
        map, NaN cosine (one letter per position cannot give it) and no angles; its
        ``saturation_mutagenesis(hypothetical=True)`` map is ``"mean_centred"``: converted
        to the ISM delta, every score as seqlens' ISM map
        (:func:`~seqlens.evaluation.interpretability.convert_map`).

    Returns
    -------
    DataFrame with ``method``, ``variant``, ``sequence`` (row in the set), ``row`` (row in
    the source split) and one column per metric. Each map is reduced to position scores as
    its method's registry entry says (ISM: the L2 norm at the observed letter; the others:
    the signed sum of map x input, SPEC section 6).
    A corrected gradient lies in the simplex plane (angle 0), so angles are reported for
    raw gradient maps only (and not for a map given a ``kind`` other than hypothetical).
    ``table.attrs["kinds"]`` records the kind each method was scored as.
    """
    truth = attributions.ground_truth if ground_truth is None else ground_truth
    if truth is None:
        raise DataFormatError("the attribution set holds no ground truth and none was given")
    background = attributions.sequences.background if background is None else background
    kinds = method_kinds(attributions, kind)
    X = attributions.X
    tables = []
    for method, variant, values in attributions.iter_maps():
        given = kinds[method.method]
        reduction, all_letters = method.reduction, True
        if given is not None:
            values, reduction, all_letters = convert_map(values, X, given)
        positions = dict(convention=convention, threshold=threshold, background=background)
        if all_letters:
            cosine = cosine_similarity(values, truth, background=background)
        else:  # a times-input map: one letter per position cannot give the cosine
            cosine = pd.DataFrame({"cosine": np.full(len(X), np.nan)}).rename_axis("sequence")
        parts = [
            interpretability_scores(values, X, truth, reduction=reduction, **positions),
            cosine,
            signal_to_noise(values, X, truth, top_k=top_k, reduction=reduction, **positions),
        ]
        if method.gradient and variant == "raw" and given in (None, "hypothetical"):
            parts.append(angle_fractions(values, truth, **positions))
        table = pd.concat(parts, axis=1).reset_index()
        table.insert(0, "variant", variant)
        table.insert(0, "method", method.method)
        table.insert(3, "row", attributions.rows)
        tables.append(table)
    scores = pd.concat(tables, ignore_index=True)
    scores.attrs = {"kinds": {name: given or attributions.methods[name].kind for name, given in kinds.items()}}
    return scores


def summarize_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean +- SD of every metric per method and variant: one row per (method, variant, metric)."""
    metrics = [c for c in scores.columns if c not in _ID_COLUMNS and pd.api.types.is_float_dtype(scores[c])]
    parts = []
    for (method, variant), group in scores.groupby(["method", "variant"], sort=False):
        present = [c for c in metrics if group[c].notna().any()]
        table = summarize(group, present).rename_axis("metric").reset_index()
        table.insert(0, "variant", variant)
        table.insert(0, "method", method)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)


def ground_truth_for(
    attributions: AttributionSet, data: str | os.PathLike | None = None, source="the attribution set"
) -> tuple[np.ndarray, np.ndarray | None]:
    """The ``(N, 4, L)`` ground truth of an attribution set and its background frequencies.

    Returns ``(ground_truth, background)`` (background ``(4,)``, None = uniform): the set's
    own, else from ``data``.

    ``data`` is the HDF5 dataset the maps were computed from: its split named in the set
    (``attributions.split``) at ``attributions.rows``. The sequences there must equal the
    set's, so maps are never scored against another dataset's truth. ``source`` names the
    set in messages (e.g. its file). Raises :class:`DataFormatError` when no ground truth can
    be found or ``data`` does not fit, ``FileNotFoundError`` for a missing ``data`` file.
    """
    if attributions.ground_truth is not None:
        return attributions.ground_truth, attributions.sequences.background
    if data is None:
        raise DataFormatError(f"{source} holds no ground truth; give the dataset it was computed from (--data)")
    from ..data import load_h5

    if attributions.split is None:
        raise DataFormatError(f"{source} does not record its split, so the dataset {data} cannot supply the ground truth")
    split = load_h5(require_file(data, "data file")).split(attributions.split)
    if split.ground_truth is None:
        raise DataFormatError(f"neither {source} nor {data} (split {attributions.split!r}) holds ground truth")
    rows = attributions.rows
    if rows.size and (rows.max() >= len(split) or split.X.shape[1:] != attributions.X.shape[1:]):
        raise DataFormatError(f"{data} does not fit {source}: its {attributions.split} split has {len(split)} sequences of shape {split.X.shape[1:]}")
    if not np.array_equal(split.X[rows], attributions.X):
        raise DataFormatError(f"the sequences in {source} differ from rows of {data} ({attributions.split}); wrong data file?")
    return split.ground_truth[rows], split.background


def pooled_angles(
    attributions: AttributionSet,
    ground_truth: np.ndarray | None = None,
    convention: str = "002",
    threshold: float | None = None,
    background=None,
    kind: str | dict | None = None,
) -> pd.DataFrame:
    """Pooled angle statistics (all, motif, background positions) of each raw gradient map.

    ``ground_truth`` ``(N, 4, L)`` (default: the set's own) with its ``background`` (default:
    the set's own) splits motif from background positions by ``convention`` / ``threshold``. Returns one row per (gradient method,
    positions) with the columns of :func:`seqlens.evaluation.angle_summary` after ``method``
    and ``positions``; empty when the set holds no gradient method. A method given a
    ``kind`` other than hypothetical (:func:`score_attributions`) has no angles.
    """
    kinds = method_kinds(attributions, kind)
    truth = attributions.ground_truth if ground_truth is None else ground_truth
    background = attributions.sequences.background if background is None else background
    parts = []
    for method in attributions.methods.values():
        if method.gradient and kinds[method.method] in (None, "hypothetical"):
            table = angle_summary(
                method.maps["raw"], truth, convention=convention, threshold=threshold, background=background
            ).reset_index()
            table.insert(0, "method", method.method)
            parts.append(table)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@dataclass(eq=False)
class AttributionScores:
    """Every score of an attribution set (what :func:`score_attribution_file` returns).

    attributions : the scored set (maps ``(N, 4, L)``), without the methods in ``failed``.
    ground_truth : the ``(N, 4, L)`` ground truth it was scored against.
    background : that ground truth's background frequencies ``(4,)`` (None = uniform).
    scores : per (method, variant, sequence) table (:func:`score_attributions`).
    summary : mean +- SD per (method, variant, metric) (:func:`summarize_scores`).
    angles : pooled angle statistics of the raw gradient maps (:func:`pooled_angles`;
        empty without gradient methods).
    convention, threshold : the positives' convention and its information threshold (bits).
    top_k : background positions in the signal-to-noise denominator.
    source : the attribution file, when scored from one.
    failed : method -> one line saying which check its maps failed; those maps are not in
        ``attributions``, ``scores``, ``summary`` or ``angles``
        (:attr:`seqlens.attribution.MethodMaps.failed`).
    """

    attributions: AttributionSet
    ground_truth: np.ndarray
    background: np.ndarray | None
    scores: pd.DataFrame
    summary: pd.DataFrame
    angles: pd.DataFrame
    convention: str
    threshold: float
    top_k: int
    source: Path | None = None
    failed: dict[str, str] = field(default_factory=dict)


def score_attribution_set(
    attributions: AttributionSet,
    ground_truth: np.ndarray | None = None,
    data: str | os.PathLike | None = None,
    convention: str = "002",
    threshold: float | None = None,
    top_k: int = 20,
    source=None,
    background=None,
    kind: str | dict | None = None,
) -> AttributionScores:
    """Scores, their summary and pooled gradient angles of every map of ``attributions``.

    The ground truth is ``ground_truth`` if given, else the set's own, else rows of the
    dataset ``data`` (:func:`ground_truth_for`), with its background (``background``
    overrides it). Other parameters (``kind`` for maps made elsewhere) as
    :func:`score_attributions`. Maps that failed a check (e.g. DeepSHAP's summation to
    delta) are not scored: they are listed in ``failed``. Raises :class:`DataFormatError`
    for a set without maps, or whose every method failed a check.
    """
    name = "the attribution set" if source is None else str(source)
    if not attributions.methods:
        raise DataFormatError(f"{name} holds no attribution maps")
    failed = {n: m.failure() for n, m in attributions.methods.items() if m.failed}
    if len(failed) == len(attributions.methods):
        raise DataFormatError(f"{name}: every method's maps failed a check, nothing to score "
                              f"({'; '.join(f'{n}: {why}' for n, why in failed.items())})")
    usable = replace(attributions, methods={n: m for n, m in attributions.methods.items() if not m.failed})
    if isinstance(kind, dict):
        kind = {n: k for n, k in kind.items() if n not in failed}
    info_threshold = resolve_threshold(convention, threshold)
    if ground_truth is None:
        truth, found_background = ground_truth_for(attributions, data, name)
    else:
        truth, found_background = ground_truth, attributions.sequences.background
    background = found_background if background is None else background
    scores = score_attributions(usable, truth, convention=convention, threshold=threshold, top_k=top_k,
                                background=background, kind=kind)
    return AttributionScores(
        attributions=usable,
        ground_truth=truth,
        background=background,
        scores=scores,
        summary=summarize_scores(scores),
        angles=pooled_angles(usable, truth, convention, threshold, background, kind=kind),
        convention=convention,
        threshold=info_threshold,
        top_k=top_k,
        source=None if source is None else Path(source),
        failed=failed,
    )


def score_attribution_file(
    path: str | os.PathLike,
    data: str | os.PathLike | None = None,
    convention: str = "002",
    threshold: float | None = None,
    top_k: int = 20,
) -> AttributionScores:
    """Load an attribution file (``seqlens attribute``) and score every map in it.

    ``data``: the dataset it was computed from, needed only when the file holds no ground
    truth. Raises ``FileNotFoundError`` for a missing file and :class:`DataFormatError` for
    a file that is not an attribution file, holds no maps or does not fit ``data``.
    """
    resolve_threshold(convention, threshold)  # a bad convention fails before any file is read
    path = require_file(path, "attribution file")
    return score_attribution_set(load_attributions(path), data=data, convention=convention, threshold=threshold,
                                 top_k=top_k, source=path)
