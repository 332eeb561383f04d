"""Plots of evaluation results: metric box/strip plots, metric scatter plots, angle histograms.

Tables are tidy: one row per observation (a sequence, a seed, a model run), one column per
variable, e.g. a concatenation of :func:`seqlens.evaluation.interpretability_scores` tables
with ``model`` and ``method`` columns added.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy.stats import spearmanr

from ..alphabet import as_rng
from ..errors import DataFormatError, SeqlensError
from ..evaluation import ANGLE_THRESHOLDS, angle_histogram, position_angles
from ._figures import (
    axes_or_new, axes_width, check_columns, fit_title, legend_outside, legend_width, new_figure, save_or_return, text_width,
    wrap_label,
)

#: Colours of successive hue levels (matplotlib's default cycle).
HUE_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"
)
#: Colours of the angle-histogram classes.
ANGLE_CLASS_COLORS = {"motif": "#d62728", "background": "#1f77b4", "all": "#404040"}


def _levels(column: pd.Series) -> list:
    """Distinct values of ``column`` in display order: categorical order, else first appearance."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        present = set(column.dropna())
        return [c for c in column.cat.categories if c in present]
    return list(pd.unique(column.dropna()))


def _numeric(table: pd.DataFrame, column: str) -> np.ndarray:
    try:
        return pd.to_numeric(table[column], errors="raise").to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise DataFormatError(f"column {column!r} must be numeric") from None


def _set_title(ax: Axes, title: str, legend: float = 0.0) -> None:
    """Title over ``ax``, wrapped to the width the axes will have once the legend is outside it."""
    figure = ax.get_figure(root=True)
    room = (figure.get_figwidth() - 0.9 if len(figure.axes) == 1 else axes_width(ax)) - legend
    ax.set_title(fit_title(title, max(room, 1.5), 10), fontsize=10)


def _hue_legend(ax: Axes, hue: str, levels: list, marker: bool) -> None:
    colors = [HUE_COLORS[i % len(HUE_COLORS)] for i in range(len(levels))]
    if marker:
        handles = [
            Line2D([], [], marker="o", linestyle="", markersize=5, color=color, label=str(level))
            for color, level in zip(colors, levels)
        ]
    else:
        handles = [Patch(facecolor=color, alpha=0.5, label=str(level)) for color, level in zip(colors, levels)]
    legend_outside(ax, handles, title=hue)


#: Font size of the box plot's category labels; wrap them at this many characters.
TICK_FONTSIZE = 9
WRAP_CHARS = 14
#: Widest an x slot grows for its label before long labels are slanted instead (inches).
MAX_SLOT = 1.8


def _category_layout(x_levels: list, n_hue: int) -> tuple[list[str], float, bool]:
    """Tick labels (wrapped at spaces), inches per x slot, and whether to slant the labels.

    A slot holds its ``n_hue`` boxes and its label's widest line; a label that cannot fit in
    :data:`MAX_SLOT` inches (a long word) is slanted by 30 degrees instead.
    """
    labels = [wrap_label(str(level), WRAP_CHARS) for level in x_levels]
    boxes = 0.3 + 0.4 * n_hue
    widest = max(text_width(label, TICK_FONTSIZE) for label in labels)
    slot = max(boxes, widest + 0.2)
    if slot <= MAX_SLOT:
        return labels, slot, False
    return labels, max(boxes, 0.55), True


def metric_boxplot(
    table: pd.DataFrame,
    x: str = "model",
    y: str = "auroc",
    hue: str | None = None,
    ax: Axes | None = None,
    points: bool = True,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    seed: int | np.random.Generator | None = 0,
    path: str | os.PathLike | None = None,
):
    """Box plots of metric ``y`` for every level of ``x`` (and of ``hue`` side by side).

    Parameters
    ----------
    table : tidy DataFrame with columns ``x``, ``y`` (numeric; NaN rows are left out, as
        sequences without positives in an interpretability table) and ``hue`` when given.
    points : overlay every observation as a jittered strip (outliers are then not drawn
        twice); ``seed`` fixes the jitter.
    xlabel, ylabel : axis labels (default: the column names).
    path : save there (``.png``, ``.svg``, ``.pdf``) and return the Path.

    Returns
    -------
    The Axes, or the saved Path. Boxes are in category order (first appearance for
    non-categorical columns); the x tick labels name the ``x`` levels, wrapped at spaces
    (slanted when a word is too long for its slot). A new figure is sized to its categories
    so labels do not overlap; the ``hue`` legend sits outside the data, right of the axes.
    """
    check_columns(table, {"x": x, "y": y, "hue": hue})
    values = _numeric(table, y)
    data = table.loc[~np.isnan(values), [c for c in (x, hue) if c is not None]].assign(_value=values[~np.isnan(values)])
    if data.empty:
        raise DataFormatError(f"column {y!r} has no finite values to plot")
    x_levels = _levels(data[x])
    hue_levels = _levels(data[hue]) if hue is not None else [None]
    rng = as_rng(seed)
    tick_labels, slot_width, slanted = _category_layout(x_levels, len(hue_levels))
    lines = max(label.count("\n") + 1 for label in tick_labels)
    extra_height = 0.16 * (lines - 1) + (0.5 * max(text_width(t, TICK_FONTSIZE) for t in tick_labels) if slanted else 0.0)
    legend = legend_width(hue_levels, hue) if hue is not None else 0.0
    ax = axes_or_new(ax, max(3.0, 0.9 + slot_width * len(x_levels) + legend), 3.2 + extra_height)
    slot = 0.8 / len(hue_levels)  # width of one hue's box within an x slot of width 0.8
    for j, level in enumerate(hue_levels):
        color = HUE_COLORS[j % len(HUE_COLORS)]
        rows = data if level is None else data[data[hue] == level]
        groups = [(i, rows.loc[rows[x] == xl, "_value"].to_numpy()) for i, xl in enumerate(x_levels)]
        groups = [(i - 0.4 + slot * (j + 0.5), v) for i, v in groups if v.size]
        positions = [p for p, _ in groups]
        boxes = ax.boxplot(
            [v for _, v in groups], positions=positions, widths=slot * 0.75, patch_artist=True,
            showfliers=not points, manage_ticks=False,
            medianprops={"color": "black", "linewidth": 1.2, "gid": "median"},
        )
        for box in boxes["boxes"]:
            box.set(facecolor=color, alpha=0.45, edgecolor="black", linewidth=0.8)
        if points:
            for position, v in groups:
                jitter = rng.uniform(-slot * 0.25, slot * 0.25, size=v.size)
                ax.scatter(position + jitter, v, s=10, color=color, edgecolors="black", linewidths=0.3, zorder=3)
    ax.set_xticks(
        np.arange(len(x_levels)), tick_labels, fontsize=TICK_FONTSIZE, rotation=30 if slanted else 0,
        ha="right" if slanted else "center", rotation_mode="anchor" if slanted else "default",
    )
    ax.set_xlim(-0.6, len(x_levels) - 0.4)
    ax.set_xlabel(x if xlabel is None else xlabel)
    ax.set_ylabel(y if ylabel is None else ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    if hue is not None:
        _hue_legend(ax, hue, hue_levels, marker=False)
    if title is not None:
        _set_title(ax, title, legend if hue is not None else 0.0)
    return save_or_return(ax.get_figure(root=True), ax, path)


def metric_scatter(
    table: pd.DataFrame,
    x: str = "auroc",
    y: str = "interpretability_auroc",
    hue: str | None = None,
    label: str | None = None,
    xerr: str | None = None,
    yerr: str | None = None,
    ax: Axes | None = None,
    diagonal: bool = False,
    correlation: bool = True,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """Scatter plot of two metrics, e.g. classification AUROC vs interpretability AUROC per model.

    Parameters
    ----------
    table : DataFrame with numeric columns ``x`` and ``y`` (one point per row; rows with a
        NaN in either are left out).
    hue : column whose levels get colours and a legend.
    label : column whose values are written beside the points (e.g. the model name).
    xerr, yerr : columns of error-bar half-lengths (e.g. SD over seeds).
    diagonal : draw the line ``y = x`` (for two scores on the same scale).
    correlation : write Spearman's rho and n in the corner (needs 3 or more points).
    path : save there and return the Path.

    Returns
    -------
    The Axes, or the saved Path.
    """
    check_columns(table, {"x": x, "y": y, "hue": hue, "label": label, "xerr": xerr, "yerr": yerr})
    xs, ys = _numeric(table, x), _numeric(table, y)
    keep = ~(np.isnan(xs) | np.isnan(ys))
    if not keep.any():
        raise DataFormatError(f"columns {x!r} and {y!r} have no row with finite values in both")
    rows = table[keep]
    xs, ys = xs[keep], ys[keep]
    errors = {
        name: None if col is None else np.abs(_numeric(rows, col)) for name, col in (("xerr", xerr), ("yerr", yerr))
    }
    hue_levels = _levels(rows[hue]) if hue is not None else [None]
    ax = axes_or_new(ax, 4.0 + (legend_width(hue_levels, hue) if hue is not None else 0.0), 3.6)
    for j, level in enumerate(hue_levels):
        chosen = np.ones(len(rows), dtype=bool) if level is None else (rows[hue] == level).to_numpy()
        color = HUE_COLORS[j % len(HUE_COLORS)]
        if errors["xerr"] is not None or errors["yerr"] is not None:
            ax.errorbar(
                xs[chosen], ys[chosen], fmt="none", ecolor=color, elinewidth=0.8, alpha=0.7,
                xerr=None if errors["xerr"] is None else errors["xerr"][chosen],
                yerr=None if errors["yerr"] is None else errors["yerr"][chosen],
            )
        ax.scatter(xs[chosen], ys[chosen], s=24, color=color, edgecolors="black", linewidths=0.4, zorder=3)
    if label is not None:
        for px, py, text in zip(xs, ys, rows[label].astype(str)):
            ax.annotate(text, (px, py), xytext=(4, 3), textcoords="offset points", fontsize=7)
    if diagonal:
        low, high = min(xs.min(), ys.min()), max(xs.max(), ys.max())
        ax.plot([low, high], [low, high], color="grey", linewidth=0.8, linestyle="--", zorder=1)
    if correlation and xs.size >= 3:
        rho = spearmanr(xs, ys).statistic
        ax.text(
            0.02, 0.98, f"Spearman rho = {rho:.2f} (n = {xs.size})", transform=ax.transAxes, ha="left", va="top",
            fontsize=8,
        )
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.spines[["top", "right"]].set_visible(False)
    if hue is not None:
        _hue_legend(ax, hue, hue_levels, marker=True)
    if title is not None:
        _set_title(ax, title, legend_width(hue_levels, hue) if hue is not None else 0.0)
    return save_or_return(ax.get_figure(root=True), ax, path)


def _histogram_table(angles, ground_truth, bins) -> pd.DataFrame:
    """Densities per bin: a ready :func:`angle_histogram` table, or one computed from angles."""
    if isinstance(angles, pd.DataFrame):
        check_columns(angles, {"left edges": "left", "right edges": "right"})
        if ground_truth is not None:
            raise SeqlensError("ground_truth is only used with raw angles or gradients, not with a histogram table")
        return angles
    if ground_truth is not None:
        return angle_histogram(angles, ground_truth, bins=bins)
    values = position_angles(angles).ravel()
    edges = np.linspace(-90, 90, bins + 1) if isinstance(bins, (int, np.integer)) else np.asarray(bins, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or (np.diff(edges) <= 0).any():
        raise SeqlensError("bins must be a positive number of bins or increasing bin edges")
    density = np.histogram(values, bins=edges, density=True)[0]
    return pd.DataFrame({"left": edges[:-1], "right": edges[1:], "all": density})


def angle_histogram_plot(
    angles,
    ground_truth=None,
    bins: int | Sequence[float] = 36,
    thresholds: Sequence[float] = ANGLE_THRESHOLDS,
    ax: Axes | None = None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """Histogram of gradient angles to the simplex, split into motif and background positions.

    Parameters
    ----------
    angles : one of
        - an :func:`seqlens.evaluation.angle_histogram` table (``left``, ``right`` and one
          density column per class, e.g. ``motif`` and ``background``);
        - gradients ``(N, 4, L)`` or angles in degrees ``(N, L)``, with ``ground_truth``
          ``(N, 4, L)`` to split them by class (003 convention), or without it for one
          histogram of all positions.
    bins : number of equal bins over [-90, 90] or explicit edges (raw input only).
    thresholds : draw dotted lines at ``+-t`` degrees (the thresholds of
        :func:`seqlens.evaluation.angle_fractions`); empty for none.
    path : save there and return the Path.

    Returns
    -------
    The Axes, or the saved Path. Each class is one step outline (``ax.stairs``) labelled
    with its column name.
    """
    table = _histogram_table(angles, ground_truth, bins)
    edges = np.append(table["left"].to_numpy(dtype=float), float(table["right"].iloc[-1]))
    classes = [c for c in table.columns if c not in ("left", "right")]
    if not classes:
        raise DataFormatError("the histogram table has no density column besides 'left' and 'right'")
    ax = axes_or_new(ax, 4.5 + legend_width(classes), 3.2)
    for i, name in enumerate(classes):
        density = _numeric(table, name)
        if np.isnan(density).all():
            continue  # a class without positions, e.g. no motif in the chosen sequences
        color = ANGLE_CLASS_COLORS.get(name, HUE_COLORS[i % len(HUE_COLORS)])
        ax.stairs(density, edges, fill=True, color=color, alpha=0.25)
        ax.stairs(density, edges, color=color, linewidth=1.2, label=name)
    for t in thresholds:
        for sign in (-1, 1):
            ax.axvline(sign * t, color="grey", linewidth=0.6, linestyle=":", zorder=0)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("angle to the simplex (degrees)")
    ax.set_ylabel("density")
    ax.spines[["top", "right"]].set_visible(False)
    legend_outside(ax)
    if title is not None:
        _set_title(ax, title, legend_width(classes))
    return save_or_return(ax.get_figure(root=True), ax, path)


__all__ = ["angle_histogram_plot", "metric_boxplot", "metric_scatter"]


def seed_points_figure(table: pd.DataFrame, x: str, hue: str | None, panels: dict[str, str]):
    """Every unit's value as a point and the mean ± SD over seeds as a bar, per ``x`` (and ``hue``) level.

    ``table``: one row per unit and panel, columns ``panel``, ``x``, ``hue`` (optional) and
    ``value``. ``panels``: panel value -> y-axis label, one axes each, side by side. Colours
    follow ``hue`` (or ``x`` without one); the bar is ±1 SD (``ddof=1``), absent for a single seed.
    """
    x_levels = list(dict.fromkeys(table[x]))
    hue_levels = list(dict.fromkeys(table[hue])) if hue is not None else [None]
    slot = 0.8 / len(hue_levels)
    panel_width = max(2.6, 0.6 + len(x_levels) * max(0.55, 0.22 * len(hue_levels) + 0.3))
    legend = legend_width(hue_levels, hue) if hue is not None else 0.0
    slanted = len(x_levels) > 3 or max(len(str(level)) for level in x_levels) > 16
    figure = new_figure(min(panel_width * len(panels) + legend, 17.0), 3.4 + (0.6 if slanted else 0.0))
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (panel, ylabel) in zip(axes, panels.items()):
        rows = table[table["panel"] == panel]
        for (i, x_level), (j, hue_level) in itertools.product(enumerate(x_levels), enumerate(hue_levels)):
            chosen = rows[x] == x_level
            if hue is not None:
                chosen &= rows[hue] == hue_level
            values = rows.loc[chosen, "value"].astype(float).dropna().to_numpy()
            if not values.size:
                continue
            color = HUE_COLORS[(j if hue is not None else i) % len(HUE_COLORS)]
            centre = i - 0.4 + slot * (j + 0.5)
            spread = np.linspace(-slot * 0.2, slot * 0.2, values.size) if values.size > 1 else np.zeros(1)
            ax.scatter(centre + spread, values, s=14, color=color, edgecolors="black", linewidths=0.3, zorder=3)
            sd = values.std(ddof=1) if values.size > 1 else None
            ax.errorbar(centre, values.mean(), yerr=sd, fmt="_", color="black", markersize=10, capsize=3,
                        elinewidth=1, zorder=4)
        ax.set_xticks(np.arange(len(x_levels)), [wrap_label(str(level), 16) for level in x_levels], fontsize=8,
                      rotation=30 if slanted else 0, ha="right" if slanted else "center",
                      rotation_mode="anchor" if slanted else "default")
        ax.set_xlim(-0.6, len(x_levels) - 0.4)
        ax.set_ylabel(ylabel)
        ax.spines[["top", "right"]].set_visible(False)
    if hue is not None:
        handles = [Line2D([], [], marker="o", linestyle="", markersize=5, color=HUE_COLORS[j % len(HUE_COLORS)],
                          label=str(level)) for j, level in enumerate(hue_levels)]
        handles.append(Line2D([], [], marker="_", linestyle="", markersize=10, color="black", label="mean ± SD"))
        legend_outside(axes[-1], handles, title=hue)
    return figure
