"""Plots: sequence logos, metric box/strip and scatter plots, gradient-angle histograms.

- Logos (:mod:`seqlens.plotting.logos`): :func:`logo` for one ``(4, L)`` matrix
  (attribution, probability or information), :func:`plot_attribution` (attribution map,
  optionally times input, under its ground-truth logo, motif sites shaded),
  :func:`plot_motif` and :func:`plot_filters` (a grid of filter PPMs). A fast renderer
  draws one PathCollection per letter instead of one patch per glyph.
- Evaluation results (:mod:`seqlens.plotting.metrics`): :func:`metric_boxplot`,
  :func:`metric_scatter`, :func:`angle_histogram_plot`.
- GIA tables (:mod:`seqlens.plotting.gia`): :func:`gia_position_plot`, :func:`gia_copies_plot`,
  :func:`gia_spacing_plot` (joint, additive and interaction per orientation),
  :func:`gia_output_heatmap`, :func:`gia_kmer_plot`, :func:`gia_effect_bars` (mutagenesis,
  flank, occlusion) and :func:`gia_plot`, which picks one by the table's ``experiment``.
- The figures reports share (:mod:`seqlens.plotting.reports`): :func:`attribution_score_plots`
  (AUROC box plot, angle histograms, logos; what ``seqlens score`` draws),
  :func:`attribution_logo` (one map of a scored set under its ground truth, motif sites
  labelled with TF name and strand) and :func:`filter_report_plot` (filter logos labelled
  with their best Tomtom hit).

Every function takes ``path=None``: when given, the figure is saved atomically as PNG, SVG
or PDF (by extension) and the Path is returned; otherwise the Axes or Figure. Figures are
built without pyplot, so plotting needs no display and leaves no global state.
"""

from .gia import (
    gia_copies_plot,
    gia_effect_bars,
    gia_kmer_plot,
    gia_output_heatmap,
    gia_plot,
    gia_position_plot,
    gia_spacing_plot,
)
from .logos import (
    LETTER_COLORS,
    draw_glyphs,
    ground_truth_spans,
    logo,
    logo_heights,
    plot_attribution,
    plot_filters,
    plot_motif,
    site_spans,
    stack_glyphs,
)
from .metrics import angle_histogram_plot, metric_boxplot, metric_scatter, seed_points_figure
from .reports import attribution_logo, attribution_logo_matrix, attribution_score_plots, filter_report_plot

__all__ = [
    "LETTER_COLORS",
    "angle_histogram_plot",
    "attribution_logo",
    "attribution_logo_matrix",
    "attribution_score_plots",
    "draw_glyphs",
    "filter_report_plot",
    "gia_copies_plot",
    "gia_effect_bars",
    "gia_kmer_plot",
    "gia_output_heatmap",
    "gia_plot",
    "gia_position_plot",
    "gia_spacing_plot",
    "ground_truth_spans",
    "logo",
    "logo_heights",
    "metric_boxplot",
    "metric_scatter",
    "seed_points_figure",
    "plot_attribution",
    "plot_filters",
    "plot_motif",
    "site_spans",
    "stack_glyphs",
]
