"""Scoring what a model learned against the truth (SPEC section 6; papers 002, 003, 004).

- Classification: :func:`classification_scores` (AUROC and AUPR per output).
- Attribution maps vs ground truth, per sequence: :func:`interpretability_scores`
  (AUROC, AUPR by the trapezoid rule and by average precision), :func:`cosine_similarity`,
  :func:`signal_to_noise`; building blocks :func:`position_information`,
  :func:`position_labels`, :func:`position_scores`, :func:`position_cosine`.
- Gradient angles and correction (003): :func:`angle_fractions`, :func:`angle_summary`,
  :func:`angle_histogram`, :func:`correction_effect`, :func:`correction_effect_by_angle`;
  ensemble reference: :func:`ensemble_distances`.
- Every map of an attribution set at once: :func:`score_attributions`,
  :func:`summarize_scores`; with the ground truth joined from its dataset
  (:func:`ground_truth_for`) and pooled angles (:func:`pooled_angles`):
  :func:`score_attribution_file` / :func:`score_attribution_set` (an :class:`AttributionScores`).
- First-layer filters: :func:`filter_alignment` / :func:`filter_ppms` (activation-based
  alignment); matching them to JASPAR is :mod:`seqlens.tomtom`; the whole analysis (alignment,
  Tomtom, match statistics, localisation) is :func:`filter_report` (a :class:`FilterReport`).
- Motif localisation (002): :func:`motif_regions`, :func:`filter_scan`, :func:`pwm_scan`,
  :func:`localization_auroc`.
- :func:`summarize`: mean +- SD of any per-sequence table, undefined (NaN) rows counted.
- Over seeds (:mod:`.statistics`): :func:`summarize_over` (mean, SD, t interval per group),
  :func:`paired_comparisons` (paired t / Wilcoxon tests between levels, corrected p-values),
  :func:`adjust_pvalues`, :func:`format_mean_sd`.

Inputs are numpy arrays or torch tensors, channel-first ``(N, 4, L)``; scores are computed
in float64 and returned as pandas tables.
"""

from .angles import (
    ANGLE_THRESHOLDS,
    angle_fractions,
    angle_histogram,
    angle_summary,
    correction_effect,
    correction_effect_by_angle,
    position_angles,
)
from .classification import classification_scores
from .ensemble import EnsembleComparison, ensemble_distances
from .filters import FilterAlignment, filter_alignment, filter_ppms, first_layer_activations
from .interpretability import (
    CONVENTION_THRESHOLDS,
    cosine_similarity,
    interpretability_scores,
    position_cosine,
    position_information,
    position_labels,
    position_scores,
    signal_to_noise,
)
from .localization import Localization, filter_scan, localization_auroc, motif_regions, pwm_scan
from .ranking import binary_auroc, pr_areas
from .summary import summarize
from .statistics import adjust_pvalues, format_mean_sd, paired_comparisons, summarize_over
from .scoring import (
    AUPR_NOTE,
    AttributionScores,
    ground_truth_for,
    pooled_angles,
    score_attribution_file,
    score_attribution_set,
    score_attributions,
    summarize_scores,
)
from .filter_report import FilterReport, filter_localization, filter_report, ground_truth_tfs

__all__ = [
    "AUPR_NOTE",
    "AttributionScores",
    "FilterReport",
    "filter_localization",
    "filter_report",
    "ground_truth_for",
    "ground_truth_tfs",
    "pooled_angles",
    "score_attribution_file",
    "score_attribution_set",
    "ANGLE_THRESHOLDS",
    "CONVENTION_THRESHOLDS",
    "EnsembleComparison",
    "FilterAlignment",
    "Localization",
    "angle_fractions",
    "angle_histogram",
    "angle_summary",
    "binary_auroc",
    "classification_scores",
    "correction_effect",
    "correction_effect_by_angle",
    "cosine_similarity",
    "ensemble_distances",
    "filter_alignment",
    "filter_ppms",
    "filter_scan",
    "first_layer_activations",
    "interpretability_scores",
    "localization_auroc",
    "motif_regions",
    "position_angles",
    "position_cosine",
    "position_information",
    "position_labels",
    "position_scores",
    "pr_areas",
    "pwm_scan",
    "score_attributions",
    "signal_to_noise",
    "summarize",
    "summarize_scores",
    "adjust_pvalues",
    "format_mean_sd",
    "paired_comparisons",
    "summarize_over",
]
