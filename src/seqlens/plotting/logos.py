"""Sequence logos: attribution maps, motifs / filter PPMs and ground-truth sequence models.

The renderer builds each letter's outline once (a bold DejaVu Sans ``TextPath`` scaled to
the unit square), places an affine copy of it for every (position, letter) with a non-zero
height, and draws all copies of one letter as a single ``PathCollection``. A 200-position
logo is then four artists instead of the 800 patches (each with its own transforms) that
logomaker creates, which makes drawing and saving several times faster
(``benchmarks/bench_logo.py``); :func:`stack_glyphs` stacks letters exactly as logomaker does.

Matrices are channel-first ``(4, L)`` (A, C, G, T); position ``i`` is drawn centred at
``x = i`` (0-based, as ``start``/``end`` in motif-site tables).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path as MplPath
from matplotlib.textpath import TextPath
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from ..alphabet import DNA
from ..errors import DataFormatError, SeqlensError
from ..data import BACKGROUND_TOL, check_background, position_information
from ..motifs import Motif, information_content
from ..validation import as_array, as_one_hot_array, as_probability_matrix, check_int, check_same_shape
from ._figures import axes_or_new, new_figure, save_or_return

LogoKind = Literal["attribution", "probability", "information"]
LOGO_KINDS = ("attribution", "probability", "information")

#: The classic logo colours (as logomaker's "classic" scheme): A green, C blue, G orange, T/U red.
LETTER_COLORS = {"A": "#008000", "C": "#0000ff", "G": "#ffa500", "T": "#ff0000", "U": "#ff0000"}
#: Width of a glyph in position units (a small gap separates neighbouring columns).
GLYPH_WIDTH = 0.95
#: Pastel fills for motif-site spans, one per distinct motif name (cycled).
SITE_COLORS = ("#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc", "#e5d8bd", "#fddaec")
UNLABELLED_SITE_COLOR = "#d9d9d9"

_GLYPH_FONT = FontProperties(family="DejaVu Sans", weight="bold")
_PANEL_HEIGHT = 2.0  # inches per logo row
_Y_LABELS = {"attribution": "attribution", "probability": "probability", "information": "bits"}


# ---------------------------------------------------------------------------------------
# The renderer
# ---------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def unit_glyph(letter: str) -> MplPath:
    """Outline of ``letter`` in bold DejaVu Sans, scaled so its extents are exactly [0, 1] x [0, 1]."""
    text = TextPath((0, 0), letter, size=1, prop=_GLYPH_FONT)
    box = text.get_extents()
    vertices = (text.vertices - (box.x0, box.y0)) / (box.width, box.height)
    return MplPath(vertices, text.codes, readonly=True)


def stack_glyphs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where every letter's glyph goes in a stacked logo.

    Positive heights stack upwards from 0 with the largest on top; negative heights stack
    downwards from 0 with the largest magnitude at the bottom (logomaker's ``big_on_top``;
    equal heights keep channel order). The letter of channel ``a`` at position ``i`` spans
    ``bottom[a, i] .. top[a, i]``; a zero height gives an empty span.

    Parameters
    ----------
    values : float array ``(4, L)`` of signed heights.

    Returns
    -------
    ``(bottom, top)``, float64 arrays ``(4, L)`` with ``top - bottom = |values|``.
    """
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, axis=0, kind="stable")
    ordered = np.take_along_axis(values, order, axis=0)
    size = np.abs(ordered)
    # Ascending order puts all negatives first: stacking sizes upwards from the sum of the
    # negatives puts the largest negative lowest and the largest positive highest.
    floor = np.minimum(ordered, 0).sum(axis=0) + np.cumsum(size, axis=0) - size
    bottom = np.empty_like(values)
    np.put_along_axis(bottom, order, floor, axis=0)
    return bottom, bottom + np.abs(values)


def draw_glyphs(
    ax: Axes,
    values: np.ndarray,
    alphabet: str = DNA,
    colors: dict[str, str] | None = None,
    width: float = GLYPH_WIDTH,
    flip_below: bool = True,
) -> list[PathCollection]:
    """Draw a stacked logo of ``values`` ``(4, L)`` on ``ax``: one PathCollection per letter.

    Glyphs are centred at ``x = 0 .. L-1`` and ``width`` wide; letters with a negative
    height are drawn upside down when ``flip_below``. Letters that never have a non-zero
    height get no collection. Axis limits are left to the caller.
    """
    colors = {**LETTER_COLORS, **(colors or {})}
    bottom, top = stack_glyphs(values)
    positions = np.arange(values.shape[1], dtype=np.float64)
    collections = []
    for channel, letter in enumerate(alphabet):
        shown = top[channel] > bottom[channel]
        if not shown.any():
            continue
        glyph = unit_glyph(letter)
        unit_x, unit_y = glyph.vertices[:, 0], glyph.vertices[:, 1]
        flipped = flip_below & (values[channel, shown] < 0)
        # (n_glyphs, n_vertices) coordinates: the unit outline scaled into each glyph's box.
        y_in_box = np.where(flipped[:, None], 1.0 - unit_y, unit_y)
        heights = (top[channel, shown] - bottom[channel, shown])[:, None]
        xs = positions[shown, None] - width / 2 + width * unit_x
        ys = bottom[channel, shown, None] + heights * y_in_box
        vertices = np.stack((xs, ys), axis=-1)
        paths = [MplPath(v, glyph.codes) for v in vertices]
        collection = PathCollection(
            paths, facecolors=colors[letter], edgecolors="none", linewidths=0, label=letter, gid=f"logo-{letter}"
        )
        ax.add_collection(collection, autolim=False)
        collections.append(collection)
    return collections


# ---------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------


def as_matrix(matrix, name: str = "matrix") -> np.ndarray:
    """``matrix`` (numpy or torch) as a finite float64 ``(4, L)`` array with ``L >= 1``."""
    arr = as_array(matrix, name, ndim=2)
    if arr.shape[0] != 4 or arr.shape[1] == 0:
        raise DataFormatError(f"{name} must have shape (4, L) with L >= 1, got {arr.shape}")
    return arr


def logo_heights(matrix, kind: LogoKind = "attribution", name: str = "matrix", background=None) -> np.ndarray:
    """Letter heights ``(4, L)`` float64 for a logo of ``kind``.

    ``"attribution"``: the values themselves (signed). ``"probability"``: a probability
    matrix (columns sum to 1) as is. ``"information"``: probabilities times the column's
    information content in bits (0 to 2), relative to ``background`` (four frequencies;
    None = uniform); background columns (``IC <= 1e-6``, the background up to the log
    epsilon) get height 0 rather than invisible slivers.
    """
    if kind not in LOGO_KINDS:
        raise SeqlensError(f"logo kind must be one of {list(LOGO_KINDS)}, got {kind!r}")
    arr = as_matrix(matrix, name)
    if kind == "attribution":
        return arr
    probs = as_probability_matrix(arr[None], name)[0]
    if kind == "probability":
        return probs
    information = information_content(probs, background=check_background(background))
    return probs * np.where(information > BACKGROUND_TOL, information, 0.0)


def ground_truth_spans(ground_truth, min_information: float = BACKGROUND_TOL, background=None) -> pd.DataFrame:
    """Runs of ground-truth columns with more than ``min_information`` bits, as a site table.

    ``ground_truth`` is one sequence model ``(4, L)``, information measured relative to its
    ``background`` (``seqlens.data.position_information``; None = uniform). Returns columns ``start``, ``end``
    (exclusive) and ``motif`` (empty: the ground truth has no names). Motifs that abut form
    a single run; use the dataset's ``motif_sites`` table for names and exact boundaries.
    """
    probs = as_probability_matrix(as_matrix(ground_truth, "ground_truth")[None])[0]
    informative = position_information(probs[None], background)[0] > min_information
    changes = np.flatnonzero(np.diff(np.concatenate(([0], informative.astype(np.int8), [0]))))
    return pd.DataFrame({"start": changes[::2], "end": changes[1::2], "motif": ""})


def site_spans(sites, length: int, sequence: int | None = None) -> pd.DataFrame:
    """The motif sites to mark on a logo of ``length`` positions.

    ``sites`` is a table with ``start`` and ``end`` (exclusive, 0-based) and optionally
    ``motif`` and ``strand`` (a ``Split.motif_sites`` table). With ``sequence``, only its
    rows whose ``sequence`` column equals it are used; a table that holds several sequences
    needs ``sequence``. Returns ``start``, ``end``, ``motif`` (name or "") and ``label``
    (``"SP1 (+)"``, the name alone without a strand column, or "").
    """
    if not isinstance(sites, pd.DataFrame):
        raise DataFormatError(f"sites must be a pandas DataFrame, got {type(sites).__name__}")
    missing = [c for c in ("start", "end") if c not in sites.columns]
    if missing:
        raise DataFormatError(f"sites is missing columns {missing}")
    if "sequence" in sites.columns:
        if sequence is not None:
            sites = sites[sites["sequence"] == sequence]
        elif sites["sequence"].nunique() > 1:
            raise SeqlensError("sites holds several sequences; pass sequence= to choose one")
    elif sequence is not None:
        raise DataFormatError("sequence= was given but sites has no 'sequence' column")
    start = sites["start"].to_numpy(dtype=np.int64)
    end = sites["end"].to_numpy(dtype=np.int64)
    bad = (start < 0) | (end > length) | (end <= start)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataFormatError(f"site {start[row]}..{end[row]} does not fit in a sequence of length {length}")
    names = sites["motif"].astype(str).to_numpy() if "motif" in sites.columns else np.full(start.size, "")
    labels = names
    if "strand" in sites.columns:
        labels = np.array([f"{n} ({s})" if n else "" for n, s in zip(names, sites["strand"].astype(str))])
    return pd.DataFrame({"start": start, "end": end, "motif": names, "label": labels})


def shade_sites(ax: Axes, spans: pd.DataFrame, labels: bool = True) -> None:
    """Shade every span of a :func:`site_spans` table on ``ax``; write labels above the axes.

    Each span covers its positions' full column width (``start - 0.5 .. end - 0.5``); spans
    of the same motif share a colour. The shading artists have gid ``motif-site-<row>``.
    """
    motif_names = [name for name in dict.fromkeys(spans["motif"]) if name]
    palette = {name: SITE_COLORS[i % len(SITE_COLORS)] for i, name in enumerate(motif_names)}
    above_axes = blended_transform_factory(ax.transData, ax.transAxes)
    for row, (start, end, motif, label) in enumerate(spans[["start", "end", "motif", "label"]].itertuples(index=False)):
        color = palette.get(motif, UNLABELLED_SITE_COLOR)
        ax.axvspan(
            start - 0.5, end - 0.5, facecolor=color, edgecolor="none", alpha=0.6, zorder=0, gid=f"motif-site-{row}"
        )
        if labels and label:
            ax.text(
                (start + end - 1) / 2, 1.02, label, transform=above_axes, ha="center", va="bottom", fontsize=7,
                clip_on=False,
            )


# ---------------------------------------------------------------------------------------
# Public plots
# ---------------------------------------------------------------------------------------


def _logo_width(length: int) -> float:
    """Figure width in inches for a logo of ``length`` positions (readable letters, capped)."""
    return float(np.clip(1.0 + 0.1 * length, 3.0, 24.0))


def _style_axes(ax: Axes, heights: np.ndarray, kind: LogoKind, ylabel: str | None) -> None:
    length = heights.shape[1]
    ax.set_xlim(-0.5, length - 0.5)
    if kind == "attribution":
        bottom, top = stack_glyphs(heights)
        low, high = min(bottom.min(), 0.0), max(top.max(), 0.0)
        margin = 0.05 * (high - low) if high > low else 1.0
        ax.set_ylim(low - (margin if low < 0 else 0.0), high + margin)
        ax.axhline(0.0, color="black", linewidth=0.6, zorder=1)
    else:
        ax.set_ylim(0.0, 2.0 if kind == "information" else 1.0)
    ax.set_ylabel(_Y_LABELS[kind] if ylabel is None else ylabel)
    if length <= 30:
        ax.set_xticks(np.arange(length))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", integer=True))
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def logo(
    matrix,
    ax: Axes | None = None,
    kind: LogoKind = "attribution",
    sites: pd.DataFrame | None = None,
    sequence: int | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    flip_below: bool = True,
    site_labels: bool = True,
    alphabet: str = DNA,
    colors: dict[str, str] | None = None,
    background=None,
    path: str | os.PathLike | None = None,
):
    """Draw a sequence logo of one ``(4, L)`` matrix.

    Parameters
    ----------
    matrix : ``(4, L)`` numpy array or torch tensor: an attribution map (letters scaled by
        their signed score, negatives below the axis), or a probability matrix for
        ``kind="probability"`` (heights = probabilities) or ``kind="information"``
        (heights = probability x information content, 0..2 bits).
    ax : axes to draw on; a new figure sized to ``L`` when None.
    sites : optional motif-site table to shade (see :func:`site_spans`; e.g.
        ``split.motif_sites`` with ``sequence=i``, or :func:`ground_truth_spans`).
    title, ylabel : texts (the y label defaults to the kind's unit).
    flip_below : draw negative letters upside down (logomaker's default).
    site_labels : write motif names above shaded spans.
    alphabet, colors : letters of the four channels and overrides of :data:`LETTER_COLORS`.
    background : for ``kind="information"``, the frequencies information is measured
        against (None = uniform).
    path : save the figure there (``.png``, ``.svg`` or ``.pdf``) and return the Path.

    Returns
    -------
    The Axes, or the saved file's Path when ``path`` is given.
    """
    heights = logo_heights(matrix, kind, background=background)
    spans = None if sites is None else site_spans(sites, heights.shape[1], sequence)
    ax = axes_or_new(ax, _logo_width(heights.shape[1]), _PANEL_HEIGHT)
    draw_glyphs(ax, heights, alphabet=alphabet, colors=colors, flip_below=flip_below)
    _style_axes(ax, heights, kind, ylabel)
    labelled = spans is not None and site_labels and (spans["label"] != "").any()
    if spans is not None:
        shade_sites(ax, spans, labels=site_labels)
    if title is not None:
        ax.set_title(title, fontsize=10, pad=14 if labelled else 6)
    return save_or_return(ax.get_figure(root=True), ax, path)


def plot_attribution(
    attr,
    X=None,
    ground_truth=None,
    sites: pd.DataFrame | None = None,
    sequence: int | None = None,
    title: str | None = None,
    flip_below: bool = True,
    background=None,
    path: str | os.PathLike | None = None,
):
    """An attribution logo, with the ground-truth logo above it when given.

    Parameters
    ----------
    attr : attribution map ``(4, L)``.
    X : one-hot sequence ``(4, L)``; when given the logo shows ``attr * X`` (times input:
        one letter per position).
    ground_truth : the sequence model ``(4, L)``; adds an information logo panel on top.
    sites : motif-site table to shade on both panels (see :func:`site_spans`); when None
        and ``ground_truth`` is given, runs of informative ground-truth columns are shaded.
    background : the ground truth's background frequencies (``split.background``; None =
        uniform): information is measured against them.
    path : save there (``.png``, ``.svg``, ``.pdf``) and return the Path.

    Returns
    -------
    The Figure (axes: ground truth first if given, then attribution), or the saved Path.
    """
    values = as_matrix(attr, "attr")
    if X is not None:
        one_hot = as_one_hot_array(as_matrix(X, "X")[None])[0]
        check_same_shape(one_hot, values, "X", "attr")
        values = values * one_hot
    truth = None
    if ground_truth is not None:
        truth = as_matrix(ground_truth, "ground_truth")
        check_same_shape(truth, values, "ground_truth", "attr")
    if sites is None and truth is not None:
        sites, sequence = ground_truth_spans(truth, background=background), None
    figure = new_figure(_logo_width(values.shape[1]), _PANEL_HEIGHT * (1 + (truth is not None)) + 0.3)
    axes = figure.subplots(1 + (truth is not None), 1, sharex=True, squeeze=False)[:, 0]
    if truth is not None:
        logo(truth, ax=axes[0], kind="information", background=background, sites=sites, sequence=sequence, ylabel="ground truth (bits)")
    logo(values, ax=axes[-1], kind="attribution", sites=sites, sequence=sequence, site_labels=truth is None,
         flip_below=flip_below, ylabel="attribution x input" if X is not None else "attribution")
    axes[-1].set_xlabel("position")
    if title is not None:
        figure.suptitle(title, fontsize=11)
    return save_or_return(figure, figure, path)


def _motif_matrix(motif, index: int | None = None) -> tuple[np.ndarray, str | None]:
    """PPM ``(4, W)`` and default title of a Motif, or of a plain matrix (no title)."""
    if isinstance(motif, Motif):
        return motif.ppm, f"{motif.name} ({motif.id})" if motif.id else motif.name
    name = "motif" if index is None else f"motifs[{index}]"
    return as_matrix(motif, name), None


def plot_motif(
    motif,
    ax: Axes | None = None,
    kind: LogoKind = "information",
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """Logo of a :class:`~seqlens.motifs.Motif` or a PPM ``(4, W)``; information (bits) by default.

    The title defaults to the motif's name and ID. Returns the Axes, or the saved Path.
    """
    matrix, default_title = _motif_matrix(motif)
    return logo(matrix, ax=ax, kind=kind, title=default_title if title is None else title, path=path)


def plot_filters(
    motifs: Sequence,
    ncols: int = 4,
    kind: LogoKind = "information",
    labels: Sequence[str] | None = None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """A grid of motif logos, e.g. the first-layer filter PPMs of :func:`seqlens.evaluation.filter_alignment`.

    Parameters
    ----------
    motifs : Motifs or PPMs ``(4, W)`` (or one array ``(F, 4, W)``).
    ncols : logos per row.
    labels : optional second title line per motif (e.g. its best Tomtom hit).
    path : save there and return the Path.

    Returns
    -------
    The Figure (one axes per motif, row by row), or the saved Path.
    """
    items = list(motifs)
    if not items:
        raise SeqlensError("plot_filters needs at least one motif")
    ncols = check_int(ncols, "ncols")
    if labels is not None and len(labels) != len(items):
        raise SeqlensError(f"labels has {len(labels)} entries for {len(items)} motifs")
    matrices = [_motif_matrix(item, i) for i, item in enumerate(items)]
    ncols = min(int(ncols), len(items))
    nrows = -(-len(items) // ncols)
    widest = max(m.shape[1] for m, _ in matrices)
    figure = new_figure(ncols * (0.8 + 0.16 * widest), nrows * 1.6 + (0.3 if title else 0.0))
    grid = figure.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(grid.ravel()):
        if i >= len(items):
            ax.set_visible(False)
            continue
        matrix, name = matrices[i]
        lines = [name if name is not None else f"filter {i}"] + ([labels[i]] if labels is not None else [])
        logo(matrix, ax=ax, kind=kind, title="\n".join(lines))
        ax.title.set_fontsize(8)
        if i % ncols:
            ax.set_ylabel("")
    if title is not None:
        figure.suptitle(title, fontsize=11)
    return save_or_return(figure, figure, path)


__all__ = [
    "GLYPH_WIDTH",
    "LETTER_COLORS",
    "LOGO_KINDS",
    "draw_glyphs",
    "ground_truth_spans",
    "logo",
    "logo_heights",
    "plot_attribution",
    "plot_filters",
    "plot_motif",
    "site_spans",
    "stack_glyphs",
    "unit_glyph",
]
