"""Statistics of paired GIA effects: one row per condition, with every number a reviewer asks for.

An effect is ``f(x with intervention) - f(x null)`` for each null ``x``, so the values of one
condition are paired differences. Per condition: mean, SD, SE, a bootstrap CI of the mean
(scipy's BCa bootstrap, seeded), the Wilcoxon signed-rank and one-sample t p-values against 0,
Cohen's d_z (mean / SD of the paired differences); across the conditions of one experiment,
Benjamini-Hochberg q-values of both tests (:func:`seqlens.evaluation.statistics.adjust_pvalues`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..alphabet import as_rng
from ..errors import SeqlensError
from ..evaluation import adjust_pvalues
from ..validation import check_int

EFFECT_COLUMNS = ("n", "mean", "sd", "se", "ci_low", "ci_high", "p_wilcoxon", "p_ttest", "cohens_dz")


def effect_statistics(effects, confidence: float = 0.95, n_resamples: int = 2000, seed=0) -> dict:
    """Summary of the paired effects ``(M,)`` of one condition (NaNs dropped).

    Returns a dict with :data:`EFFECT_COLUMNS`: ``n``, ``mean``, ``sd`` (``ddof=1``), ``se``,
    the ``confidence`` bootstrap interval of the mean (BCa, ``n_resamples``, seeded; the
    percentile interval where BCa is undefined), the two-sided Wilcoxon signed-rank and
    one-sample t p-values against 0 (NaN when every effect is 0, or fewer than 2), and
    Cohen's ``d_z``.
    """
    if not 0 < confidence < 1:
        raise SeqlensError(f"confidence must be in (0, 1), got {confidence}")
    n_resamples = check_int(n_resamples, "n_resamples")
    values = np.asarray(effects, dtype=np.float64).reshape(-1)
    values = values[np.isfinite(values)]
    nan = float("nan")
    row = dict.fromkeys(EFFECT_COLUMNS, nan)
    row["n"] = int(values.size)
    if values.size == 0:
        return row
    row["mean"] = float(values.mean())
    if values.size < 2:
        return row
    sd = float(values.std(ddof=1))
    row.update(sd=sd, se=sd / np.sqrt(values.size))
    if sd == 0:  # every effect equal: the interval is the value; tests are undefined unless the value is non-zero
        row.update(ci_low=row["mean"], ci_high=row["mean"])
        return row
    row["ci_low"], row["ci_high"] = _bootstrap_interval(values, confidence, n_resamples, seed)
    row["p_ttest"] = float(stats.ttest_1samp(values, 0.0).pvalue)
    row["p_wilcoxon"] = float(stats.wilcoxon(values).pvalue) if values.any() else nan
    row["cohens_dz"] = row["mean"] / sd
    return row


def _bootstrap_interval(values: np.ndarray, confidence: float, n_resamples: int, seed) -> tuple[float, float]:
    rng = as_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BCa warns (and gives NaN) on degenerate resamples
        result = stats.bootstrap((values,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                                 method="BCa", random_state=rng, vectorized=True)
        low, high = result.confidence_interval
        if not (np.isfinite(low) and np.isfinite(high)):
            result = stats.bootstrap((values,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                                     method="percentile", random_state=rng, vectorized=True)
            low, high = result.confidence_interval
    return float(low), float(high)


def effect_table(conditions, confidence: float = 0.95, n_resamples: int = 2000, seed=0) -> pd.DataFrame:
    """One row per condition: its coordinates, :func:`effect_statistics` and BH q-values.

    ``conditions`` is a list of ``(coordinates, effects)`` pairs: a dict of the condition's
    columns (e.g. ``{"pattern": "SP1", "position": 40}``) and its paired effects ``(M,)``.
    ``q_wilcoxon`` / ``q_ttest`` are Benjamini-Hochberg adjusted across all rows (one
    experiment is one family). Each row's bootstrap uses its own seed derived from ``seed``.
    """
    rows = []
    seeds = as_rng(seed).integers(0, 2**63 - 1, size=len(conditions))
    for (coordinates, effects), row_seed in zip(conditions, seeds):
        rows.append({**coordinates, **effect_statistics(effects, confidence, n_resamples, int(row_seed))})
    table = pd.DataFrame(rows)
    if len(table):
        table["q_wilcoxon"] = adjust_pvalues(table["p_wilcoxon"].to_numpy(dtype=float))
        table["q_ttest"] = adjust_pvalues(table["p_ttest"].to_numpy(dtype=float))
    return table
