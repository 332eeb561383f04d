"""Plots of global importance analysis (GIA) tables: one function per experiment, one dispatcher.

Each function reads a tidy table of :mod:`seqlens.gia.experiments` (one row per condition,
the condition's coordinates and the effect statistics ``n, mean, sd, se, ci_low, ci_high,
p_wilcoxon, p_ttest, cohens_dz, q_wilcoxon, q_ttest``) and works from its columns only, so
tables read back from CSV plot the same. Significance marks use the Benjamini-Hochberg
q-values of the table (``q < 0.05`` by default, ``alpha``).

- :func:`gia_position_plot` - mean effect vs position, CI band, one line per strand (and pattern);
- :func:`gia_copies_plot` - effect vs number of copies, CI error bars, the marginal effect of
  each extra copy and the linear expectation ``k x E(1 copy)``;
- :func:`gia_spacing_plot` - per orientation: joint effect A+B, additive expectation
  ``effect_a + effect_b`` and the interaction with its CI, vs distance;
- :func:`gia_output_heatmap` - the pattern x output matrix of mean effects;
- :func:`gia_kmer_plot` - the top k-mers' mean effects as horizontal bars;
- :func:`gia_effect_bars` - one bar with its CI per row (mutagenesis, flank, occlusion tables);
- :func:`gia_plot` - chooses one of the above from the table's ``experiment`` column.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..errors import DataFormatError, SeqlensError
from ..validation import check_int
from ._figures import axes_or_new, check_columns, legend_outside, legend_width, new_figure, save_or_return, text_width
from .metrics import HUE_COLORS, _numeric, _set_title

#: Default significance level of the q-values that mark conditions.
ALPHA = 0.05
#: Colours of the spacing plot's three curves.
SPACING_COLORS = {"joint": "#1f77b4", "additive": "#7f7f7f", "interaction": "#d62728"}
#: Colour of significant and non-significant bars.
BAR_COLORS = {True: "#1f77b4", False: "#c7c7c7"}
#: Diverging colour map of the output heatmap (centred at 0).
HEATMAP_CMAP = "RdBu_r"
#: ``experiment`` value -> plotting function name (see :func:`gia_plot`).
EXPERIMENT_PLOTS = {
    "position": "gia_position_plot",
    "copies": "gia_copies_plot",
    "spacing": "gia_spacing_plot",
    "outputs": "gia_output_heatmap",
    "kmer": "gia_kmer_plot",
    "mutagenesis": "gia_effect_bars",
    "flank": "gia_effect_bars",
    "occlusion": "gia_effect_bars",
}
_CI = {"mean": "mean", "CI low": "ci_low", "CI high": "ci_high"}
_STAT_COLUMNS = ("n", "mean", "sd", "se", "ci_low", "ci_high", "p_wilcoxon", "p_ttest", "cohens_dz", "q_wilcoxon",
                 "q_ttest")


def _check_alpha(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise SeqlensError(f"alpha must be in (0, 1), got {alpha}")
    return float(alpha)


def _nonempty(table: pd.DataFrame, what: str) -> pd.DataFrame:
    if table.empty:
        raise DataFormatError(f"the {what} table has no rows to plot")
    return table


def _significant(table: pd.DataFrame, column: str, alpha: float) -> np.ndarray:
    """``column < alpha`` per row (NaN q-values are not significant)."""
    q = _numeric(table, column)
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(q, nan=1.0) < alpha


def _groups(table: pd.DataFrame, columns: Sequence[str]) -> list[tuple[dict, pd.DataFrame]]:
    """``(values, rows)`` for every combination of ``columns`` present (those the table has), in order of appearance."""
    columns = [c for c in columns if c in table.columns]
    if not columns:
        return [({}, table)]
    keys = list(dict.fromkeys(map(tuple, table[columns].astype(str).to_numpy().tolist())))
    as_text = table[columns].astype(str)
    return [(dict(zip(columns, key)), table[(as_text == list(key)).all(axis=1).to_numpy()]) for key in keys]


def _varying(groups: list[tuple[dict, pd.DataFrame]]) -> list[str]:
    """The group columns that take more than one value (the ones a legend must name)."""
    if not groups or not groups[0][0]:
        return []
    return [c for c in groups[0][0] if len({values[c] for values, _ in groups}) > 1]


def _group_label(values: dict, varying: list[str]) -> str:
    parts = []
    for column in varying:
        parts.append(f"strand {values[column]}" if column == "strand" else str(values[column]))
    return ", ".join(parts)


def _ci_errors(rows: pd.DataFrame, mean: str = "mean", low: str = "ci_low", high: str = "ci_high"):
    """Mean and the asymmetric error-bar lengths ``(2, n)`` of the CI around it (NaN -> no bar)."""
    mean, low, high = (_numeric(rows, c) for c in (mean, low, high))
    return mean, np.nan_to_num(np.vstack([mean - low, high - mean]), nan=0.0).clip(min=0.0)


def _zero_line(ax: Axes) -> None:
    ax.axhline(0.0, color="black", linewidth=0.7, zorder=1, gid="zero")


def _finish(ax: Axes, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)


def _significance_handle(label: str) -> Line2D:
    return Line2D([], [], marker="*", linestyle="", markersize=8, color="black", label=label)


def gia_position_plot(
    table: pd.DataFrame,
    ax: Axes | None = None,
    alpha: float = ALPHA,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """Mean effect of a pattern vs its start position, from a :func:`~seqlens.gia.position_effects` table.

    Parameters
    ----------
    table : one row per condition with ``position``, ``mean``, ``ci_low``, ``ci_high`` and
        ``q_wilcoxon``; ``strand`` and ``pattern`` (when present) split the rows into lines.
    alpha : positions with ``q_wilcoxon < alpha`` get a star on their line.
    path : save there (``.png``, ``.svg``, ``.pdf``) and return the Path.

    Returns
    -------
    The Axes, or the saved Path. Per strand (and pattern) one line of the mean (``ax.lines``,
    gid ``mean``) over a band of its CI (``ax.collections``, gid ``ci``), the significant
    positions as one star scatter (gid ``significant``, only where there are any) and a line
    at 0 (gid ``zero``); a legend outside the axes names the lines when there are several.
    """
    check_columns(table, {"x": "position", **_CI, "q-value": "q_wilcoxon"})
    alpha = _check_alpha(alpha)
    _nonempty(table, "position")
    groups = _groups(table, ("pattern", "strand"))
    varying = _varying(groups)
    labels = [_group_label(values, varying) for values, _ in groups]
    legend = legend_width([*labels, f"q < {alpha:g}"]) if len(groups) > 1 else 0.0
    ax = axes_or_new(ax, 5.5 + legend, 3.2)
    _zero_line(ax)
    any_significant = False
    for i, ((_, rows), label) in enumerate(zip(groups, labels)):
        rows = rows.sort_values("position", kind="stable")
        color = HUE_COLORS[i % len(HUE_COLORS)]
        x = _numeric(rows, "position")
        ax.fill_between(x, _numeric(rows, "ci_low"), _numeric(rows, "ci_high"), color=color, alpha=0.25, linewidth=0,
                        gid="ci")
        ax.plot(x, _numeric(rows, "mean"), color=color, linewidth=1.2, label=label or None, gid="mean")
        significant = _significant(rows, "q_wilcoxon", alpha)
        if significant.any():
            any_significant = True
            ax.scatter(x[significant], _numeric(rows, "mean")[significant], marker="*", s=30, color=color,
                       edgecolors="black", linewidths=0.3, zorder=3, gid="significant")
    _finish(ax, "position (pattern start, nt)", "effect (mean, CI)")
    if len(groups) > 1:
        handles = [Line2D([], [], color=HUE_COLORS[i % len(HUE_COLORS)], label=label) for i, label in enumerate(labels)]
        if any_significant:
            handles.append(_significance_handle(f"q < {alpha:g}"))
        legend_outside(ax, handles)
    elif any_significant:
        ax.legend(handles=[_significance_handle(f"q < {alpha:g}")], fontsize=8, frameon=False, loc="best")
    if title is not None:
        _set_title(ax, title, legend)
    return save_or_return(ax.get_figure(root=True), ax, path)


def gia_copies_plot(
    table: pd.DataFrame,
    ax: Axes | None = None,
    marginal: bool = True,
    expectation: bool = True,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """Effect vs number of copies, from a :func:`~seqlens.gia.copy_effects` table.

    Parameters
    ----------
    table : one row per copy number with ``copies``, ``mean``, ``ci_low`` and ``ci_high``;
        ``pattern`` (when several) splits the rows into series.
    marginal : also draw the effect of the last copy (``marginal`` with
        ``marginal_ci_low`` / ``marginal_ci_high``, open markers, dashed bars) where the
        table has it.
    expectation : draw the linear expectation ``k x`` (the mean effect of 1 copy) as a
        dotted line, where the table has a row of 1 copy.
    path : save there and return the Path.

    Returns
    -------
    The Axes, or the saved Path. Per series, in ``ax.containers``, the error-bar container
    of the total effect and (with ``marginal``) the one of the marginal effect, shifted right
    by 0.08; the expectation line (gid ``expectation``); x ticks at the copy numbers, a line
    at 0 and a legend outside the axes, in that order per series.
    """
    check_columns(table, {"x": "copies", **_CI})
    _nonempty(table, "copies")
    groups = _groups(table, ("pattern",))
    varying = _varying(groups)
    has_marginal = marginal and {"marginal", "marginal_ci_low", "marginal_ci_high"} <= set(table.columns)
    entries = ["effect (CI)", "marginal: last copy (CI)", "linear: k x E(1)"]
    names = [_group_label(values, varying) for values, _ in groups]
    legend = legend_width([f"{n}: {e}" if n else e for n in names for e in entries])
    ax = axes_or_new(ax, 3.4 + legend, 3.2)
    _zero_line(ax)
    handles = []  # legend entries per series: effect, marginal, expectation
    for i, ((_, rows), name) in enumerate(zip(groups, names)):
        rows = rows.sort_values("copies", kind="stable")
        color = HUE_COLORS[i % len(HUE_COLORS)]
        prefix = f"{name}: " if name else ""
        k = _numeric(rows, "copies")
        mean, err = _ci_errors(rows)
        handles.append(ax.errorbar(k, mean, yerr=err, fmt="-o", color=color, markersize=5, capsize=3, linewidth=1.2,
                    label=f"{prefix}effect (CI)"))
        if has_marginal:
            m_mean, m_err = _ci_errors(rows, "marginal", "marginal_ci_low", "marginal_ci_high")
            finite = np.isfinite(m_mean)
            if finite.any():
                bars = ax.errorbar(k[finite] + 0.08, m_mean[finite], yerr=m_err[:, finite], fmt="o", color=color,
                                   markerfacecolor="white", markersize=5, capsize=3, linewidth=1.0,
                                   label=f"{prefix}marginal: last copy (CI)")
                for line in bars[2]:
                    line.set_linestyle("--")
                handles.append(bars)
        if expectation and (k == 1).any():
            single = float(mean[k == 1][0])
            span = np.array([0.0, k.max()])
            handles += ax.plot(span, single * span, color=color, linestyle=":", linewidth=1.0,
                               label=f"{prefix}linear: k x E(1)", gid="expectation")
    ticks = sorted({int(c) for c in _numeric(table, "copies") if np.isfinite(c)})
    ax.set_xticks(ticks)
    ax.set_xlim(min(ticks) - 0.5, max(ticks) + 0.5)
    _finish(ax, "copies", "effect (mean, CI)")
    legend_outside(ax, handles)
    if title is not None:
        _set_title(ax, title, legend)
    return save_or_return(ax.get_figure(root=True), ax, path)


_SPACING_COLUMNS = {"x": "distance", "orientation": "orientation", **_CI, "A alone": "effect_a", "B alone": "effect_b",
                    "interaction": "interaction", "interaction CI low": "interaction_ci_low",
                    "interaction CI high": "interaction_ci_high", "interaction q-value": "q_interaction_wilcoxon"}


def gia_spacing_plot(
    table: pd.DataFrame,
    ax: Axes | Sequence[Axes] | None = None,
    alpha: float = ALPHA,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """Joint effect, additive expectation and interaction of two patterns vs their distance.

    From a :func:`~seqlens.gia.spacing_effects` table: one panel per orientation (per
    pattern pair and orientation when the table holds several pairs), side by side with a
    shared y axis.

    Parameters
    ----------
    table : one row per (orientation, distance) with ``distance``, ``orientation``,
        ``mean`` / ``ci_low`` / ``ci_high`` (the joint effect of A+B), ``effect_a``,
        ``effect_b``, ``interaction``, ``interaction_ci_low``, ``interaction_ci_high`` and
        ``q_interaction_wilcoxon``; ``pattern_a`` / ``pattern_b`` name the panels.
    ax : None (a new figure), or one Axes per panel (a single Axes for one panel).
    alpha : distances with ``q_interaction_wilcoxon < alpha`` get a star on the interaction.
    path : save there and return the Path.

    Returns
    -------
    The Figure, or the saved Path. Each panel has, in ``ax.lines``, the joint effect
    (gid ``joint``), the additive expectation ``effect_a + effect_b`` (gid ``additive``,
    dashed), the interaction (gid ``interaction``) and a line at 0; CI bands of the joint
    effect and the interaction (gids ``joint-ci``, ``interaction-ci``); the significant
    interactions as a star scatter (gid ``significant``). The legend sits right of the last panel.
    """
    check_columns(table, _SPACING_COLUMNS)
    alpha = _check_alpha(alpha)
    _nonempty(table, "spacing")
    panels = _groups(table, ("pattern_a", "pattern_b", "orientation"))
    labels = ["joint A+B (CI)", "additive: A + B", "interaction (CI)", f"interaction q < {alpha:g}"]
    legend = legend_width(labels)
    if ax is None:
        figure = new_figure(min(0.8 + 3.4 * len(panels) + legend, 17.0), 3.4)
        axes = list(figure.subplots(1, len(panels), squeeze=False, sharey=True)[0])
    else:
        axes = [ax] if isinstance(ax, Axes) else list(ax)
        if len(axes) != len(panels) or not all(isinstance(a, Axes) for a in axes):
            raise SeqlensError(f"ax must be {len(panels)} matplotlib Axes (one per orientation panel), got {len(axes)}")
        figure = axes[0].get_figure(root=True)
    pairs = len({(v.get("pattern_a"), v.get("pattern_b")) for v, _ in panels}) > 1
    for i, (panel, (values, rows)) in enumerate(zip(axes, panels)):
        rows = rows.sort_values("distance", kind="stable")
        d = _numeric(rows, "distance")
        _zero_line(panel)
        colors = SPACING_COLORS
        panel.fill_between(d, _numeric(rows, "ci_low"), _numeric(rows, "ci_high"), color=colors["joint"], alpha=0.2,
                           linewidth=0, gid="joint-ci")
        panel.plot(d, _numeric(rows, "mean"), color=colors["joint"], linewidth=1.2, gid="joint", label=labels[0])
        panel.plot(d, _numeric(rows, "effect_a") + _numeric(rows, "effect_b"), color=colors["additive"],
                   linestyle="--", linewidth=1.0, gid="additive", label=labels[1])
        interaction = _numeric(rows, "interaction")
        panel.fill_between(d, _numeric(rows, "interaction_ci_low"), _numeric(rows, "interaction_ci_high"),
                           color=colors["interaction"], alpha=0.2, linewidth=0, gid="interaction-ci")
        panel.plot(d, interaction, color=colors["interaction"], linewidth=1.2, gid="interaction", label=labels[2])
        significant = _significant(rows, "q_interaction_wilcoxon", alpha)
        if significant.any():
            panel.scatter(d[significant], interaction[significant], marker="*", s=40, color=colors["interaction"],
                          edgecolors="black", linewidths=0.3, zorder=3, gid="significant")
        name = f"orientation {values['orientation']}"
        if pairs:
            name = f"{values.get('pattern_a')} + {values.get('pattern_b')}, {name}"
        panel.set_title(name, fontsize=9)
        _finish(panel, "distance (nt from the end of A to B)", "effect (mean, CI)" if i == 0 else "")
    handles = [Line2D([], [], color=SPACING_COLORS["joint"], label=labels[0]),
               Line2D([], [], color=SPACING_COLORS["additive"], linestyle="--", label=labels[1]),
               Line2D([], [], color=SPACING_COLORS["interaction"], label=labels[2]),
               Line2D([], [], marker="*", linestyle="", markersize=8, color=SPACING_COLORS["interaction"],
                      markeredgecolor="black", markeredgewidth=0.3, label=labels[3])]
    legend_outside(axes[-1], handles)
    if title is not None:
        figure.suptitle(title, fontsize=10)
    return save_or_return(figure, figure, path)


def _matrix(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """Patterns x outputs matrix of ``value`` (rows and columns in order of first appearance)."""
    duplicated = table.duplicated(["pattern", "output_name"])
    if duplicated.any():
        row = table[duplicated].iloc[0]
        raise DataFormatError(f"the outputs table has several rows for pattern {row['pattern']!r} and output "
                              f"{row['output_name']!r}; plot one strand / position at a time")
    matrix = table.pivot(index="pattern", columns="output_name", values=value)
    return matrix.loc[list(dict.fromkeys(table["pattern"])), list(dict.fromkeys(table["output_name"]))]


def gia_output_heatmap(
    table: pd.DataFrame,
    ax: Axes | None = None,
    value: str = "mean",
    alpha: float = ALPHA,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """The pattern x output matrix of effects, from a :func:`~seqlens.gia.output_effects` table.

    Parameters
    ----------
    table : one row per (pattern, output) with ``pattern``, ``output_name``, ``value`` and
        ``q_wilcoxon``.
    value : the statistic coloured (default ``mean``; e.g. ``cohens_dz``).
    alpha : cells with ``q_wilcoxon < alpha`` get a star.
    path : save there and return the Path.

    Returns
    -------
    The Axes, or the saved Path. One image (``ax.images[0]``) whose array is the matrix
    ``(patterns, outputs)`` in order of first appearance (what
    :func:`seqlens.gia.effect_matrix` returns), coloured by a diverging map centred at 0
    (symmetric limits), a colourbar labelled with ``value`` and the key, and a ``*`` text (gid
    ``significant``) in every significant cell. Patterns are the y tick labels, outputs the
    x tick labels.
    """
    check_columns(table, {"rows": "pattern", "columns": "output_name", "value": value, "q-value": "q_wilcoxon"})
    alpha = _check_alpha(alpha)
    _nonempty(table, "outputs")
    _numeric(table, value)
    matrix = _matrix(table.assign(**{value: _numeric(table, value)}), value)
    q = _matrix(table.assign(q_wilcoxon=_numeric(table, "q_wilcoxon")), "q_wilcoxon").to_numpy(dtype=float)
    values = matrix.to_numpy(dtype=float)
    rows, cols = [str(r) for r in matrix.index], [str(c) for c in matrix.columns]
    slanted = max(len(c) for c in cols) > 3
    width = 1.6 + max(text_width(r, 8) for r in rows) + 0.45 * len(cols)
    height = 1.3 + 0.35 * len(rows) + (0.6 * max(text_width(c, 8) for c in cols) if slanted else 0.0)
    ax = axes_or_new(ax, max(3.0, width), max(2.2, height))
    finite = values[np.isfinite(values)]
    limit = float(np.abs(finite).max()) if finite.size else 1.0
    limit = limit if limit > 0 else 1.0
    image = ax.imshow(values, cmap=HEATMAP_CMAP, norm=Normalize(-limit, limit), aspect="auto", interpolation="nearest")
    colorbar = ax.get_figure(root=True).colorbar(image, ax=ax, fraction=0.08, pad=0.03)
    colorbar.set_label(f"{value}   (* q < {alpha:g})")
    for i, j in zip(*np.nonzero(np.nan_to_num(q, nan=1.0) < alpha)):
        strong = np.isfinite(values[i, j]) and abs(values[i, j]) > 0.6 * limit
        ax.text(j, i, "*", ha="center", va="center", fontsize=11, color="white" if strong else "black",
                gid="significant")
    ax.set_xticks(np.arange(len(cols)), cols, fontsize=8, rotation=30 if slanted else 0,
                  ha="right" if slanted else "center", rotation_mode="anchor" if slanted else "default")
    ax.set_yticks(np.arange(len(rows)), rows, fontsize=8)
    ax.set_xlabel("output")
    ax.set_ylabel("pattern")
    if title is not None:
        _set_title(ax, title, 0.8)
    return save_or_return(ax.get_figure(root=True), ax, path)


def _bars(ax: Axes, labels: list[str], rows: pd.DataFrame, alpha: float, xlabel: str, ylabel: str) -> None:
    """Horizontal bars of ``rows``' mean with CI error bars, first row at the top."""
    mean, err = _ci_errors(rows)
    significant = (_significant(rows, "q_wilcoxon", alpha) if "q_wilcoxon" in rows.columns
                   else np.zeros(len(rows), dtype=bool))
    y = np.arange(len(rows))
    ax.barh(y, mean, xerr=err, color=[BAR_COLORS[bool(s)] for s in significant], edgecolor="black", linewidth=0.4,
            error_kw={"elinewidth": 0.8, "capsize": 2}, height=0.7)
    ax.axvline(0.0, color="black", linewidth=0.7, gid="zero")
    ax.set_yticks(y, labels, fontsize=8, family="monospace")
    ax.set_ylim(len(rows) - 0.4, -0.6)  # first row at the top
    _finish(ax, xlabel, ylabel)
    if "q_wilcoxon" in rows.columns:
        legend_outside(ax, [Patch(facecolor=BAR_COLORS[True], edgecolor="black", label=f"q < {alpha:g}"),
                            Patch(facecolor=BAR_COLORS[False], edgecolor="black", label=f"q >= {alpha:g}")])


def gia_kmer_plot(
    table: pd.DataFrame,
    top: int = 20,
    ax: Axes | None = None,
    alpha: float = ALPHA,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """The ``top`` k-mers' mean effects as horizontal bars, from a :func:`~seqlens.gia.kmer_effects` table.

    Parameters
    ----------
    table : one row per k-mer with ``kmer``, ``mean``, ``ci_low``, ``ci_high`` and
        ``q_wilcoxon``; ranked by ``rank`` when the table has it, else by ``mean``
        (largest first).
    top : number of k-mers drawn (all when the table has fewer).
    alpha : bars of k-mers with ``q_wilcoxon < alpha`` are coloured, the others grey.
    path : save there and return the Path.

    Returns
    -------
    The Axes, or the saved Path. One bar per k-mer (``ax.patches``) with its CI as an error
    bar, rank 1 at the top: the y tick labels are the k-mers in rank order.
    """
    check_columns(table, {"label": "kmer", **_CI, "q-value": "q_wilcoxon"})
    top = check_int(top, "top")
    alpha = _check_alpha(alpha)
    _nonempty(table, "kmer")
    if "rank" in table.columns:
        ranked = table.iloc[np.argsort(_numeric(table, "rank"), kind="stable")]
    else:
        ranked = table.iloc[np.argsort(-np.nan_to_num(_numeric(table, "mean"), nan=-np.inf), kind="stable")]
    rows = ranked.head(top)
    labels = [str(k) for k in rows["kmer"]]
    ax = axes_or_new(ax, 3.6 + max(text_width(k, 8) for k in labels) + legend_width([f"q >= {alpha:g}"]),
                     1.0 + 0.2 * len(rows))
    _bars(ax, labels, rows, alpha, "effect (mean, CI)", f"top {len(rows)} of {len(table)} k-mers")
    if title is not None:
        _set_title(ax, title, legend_width([f"q >= {alpha:g}"]))
    return save_or_return(ax.get_figure(root=True), ax, path)


def _row_labels(table: pd.DataFrame) -> list[str]:
    """One label per row: the variant for mutagenesis (``G3A``: reference, 0-based offset,
    letter), the flank for flank tables, else the condition columns that vary between rows."""
    experiment = str(table["experiment"].iloc[0]) if "experiment" in table.columns else None
    if experiment == "mutagenesis" and {"reference", "offset", "letter"} <= set(table.columns):
        return [f"{r}{int(o)}{a}" for r, o, a in zip(table["reference"], table["offset"], table["letter"])]
    if experiment == "flank" and "flank" in table.columns:
        return [str(f) for f in table["flank"]]
    columns = list(table.columns)
    coordinates = columns[: columns.index("n")] if "n" in columns else [c for c in columns if c not in _STAT_COLUMNS]
    varying = [c for c in coordinates if c != "experiment" and not pd.api.types.is_float_dtype(table[c])
               and table[c].nunique(dropna=False) > 1]
    if not varying:
        return [str(i) for i in range(len(table))]
    return [", ".join(str(v) for v in values) for values in table[varying].itertuples(index=False)]


def gia_effect_bars(
    table: pd.DataFrame,
    label: str | None = None,
    ax: Axes | None = None,
    alpha: float = ALPHA,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """One horizontal bar per row (mean effect with its CI), in the table's order, first at the top.

    For the experiments without a dedicated plot: :func:`~seqlens.gia.kmer_mutagenesis`
    (rows labelled by variant, e.g. ``G3A``), :func:`~seqlens.gia.flank_effects` (by flank)
    and :func:`~seqlens.gia.occlusion_effects` (by group); any effect table works.

    Parameters
    ----------
    table : one row per condition with ``mean``, ``ci_low``, ``ci_high`` (and
        ``q_wilcoxon``: significant bars coloured, the others grey).
    label : column naming the rows (default: as above, else the condition columns that
        vary between rows).
    path : save there and return the Path.

    Returns
    -------
    The Axes, or the saved Path; one bar per row (``ax.patches``), the y tick labels name the rows.
    """
    check_columns(table, {**_CI, "label": label})
    alpha = _check_alpha(alpha)
    _nonempty(table, "effect")
    labels = [str(v) for v in table[label]] if label is not None else _row_labels(table)
    legend = legend_width([f"q >= {alpha:g}"]) if "q_wilcoxon" in table.columns else 0.0
    ax = axes_or_new(ax, 3.6 + max(text_width(t, 8) for t in labels) + legend, 1.0 + 0.2 * len(table))
    experiment = str(table["experiment"].iloc[0]) if "experiment" in table.columns else "effect"
    _bars(ax, labels, table, alpha, "effect (mean, CI)", experiment)
    if title is not None:
        _set_title(ax, title, legend)
    return save_or_return(ax.get_figure(root=True), ax, path)


def gia_plot(table: pd.DataFrame, path: str | os.PathLike | None = None, **kwargs):
    """The plot of a GIA table, chosen by its ``experiment`` column (:data:`EXPERIMENT_PLOTS`).

    ``position`` -> :func:`gia_position_plot`, ``copies`` -> :func:`gia_copies_plot`,
    ``spacing`` -> :func:`gia_spacing_plot`, ``outputs`` -> :func:`gia_output_heatmap`,
    ``kmer`` -> :func:`gia_kmer_plot`; ``mutagenesis``, ``flank`` and ``occlusion`` ->
    :func:`gia_effect_bars` (one bar with its CI per row). ``kwargs`` go to that function.
    The table must hold one experiment (a single ``experiment`` value); a table of another
    experiment raises SeqlensError. Returns what the chosen function returns.
    """
    check_columns(table, {"experiment": "experiment"})
    _nonempty(table, "GIA")
    experiments = list(dict.fromkeys(table["experiment"].astype(str)))
    if len(experiments) > 1:
        raise DataFormatError(f"the table holds several experiments ({', '.join(experiments)}); plot one at a time")
    (experiment,) = experiments
    name = EXPERIMENT_PLOTS.get(experiment)
    if name is None:
        raise DataFormatError(f"no plot for GIA experiment {experiment!r}; known: {', '.join(EXPERIMENT_PLOTS)}")
    return globals()[name](table, path=path, **kwargs)


__all__ = [
    "gia_copies_plot", "gia_effect_bars", "gia_kmer_plot", "gia_output_heatmap", "gia_plot", "gia_position_plot",
    "gia_spacing_plot",
]
