"""Statistics of paired GIA effects: one row per condition, with every number a reviewer asks for.

An effect is ``f(x with intervention) - f(x null)`` for each null ``x``, so the values of one
condition are paired differences. Per condition: mean, SD, SE, a bootstrap CI of the mean
(scipy's BCa bootstrap, seeded), the Wilcoxon signed-rank and one-sample t p-values against 0,
Cohen's d_z (mean / SD of the paired differences); across the conditions of one experiment,
Benjamini-Hochberg q-values of both tests (:func:`seqlens.evaluation.statistics.adjust_pvalues`).

Tables of thousands of conditions (every k-mer) take ``ci="t"``: the t interval of the mean
(the bootstrap costs about 10 ms per condition of 1,000 nulls even computed for all
conditions at once).
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
CI_METHODS = ("bootstrap", "t")


def _check_options(confidence: float, n_resamples: int, ci: str) -> int:
    if not 0 < confidence < 1:
        raise SeqlensError(f"confidence must be in (0, 1), got {confidence}")
    if ci not in CI_METHODS:
        raise SeqlensError(f"ci must be one of {', '.join(CI_METHODS)}, got {ci!r}")
    return check_int(n_resamples, "n_resamples")


def effect_statistics(effects, confidence: float = 0.95, n_resamples: int = 2000, seed=0, ci: str = "bootstrap") -> dict:
    """Summary of the paired effects ``(M,)`` of one condition (NaNs dropped).

    Returns a dict with :data:`EFFECT_COLUMNS`: ``n``, ``mean``, ``sd`` (``ddof=1``), ``se``,
    the ``confidence`` interval of the mean (``ci="bootstrap"``: BCa, ``n_resamples``, seeded,
    the percentile interval where BCa is undefined; ``ci="t"``: the t interval), the
    two-sided Wilcoxon signed-rank and one-sample t p-values against 0 (NaN when every
    effect is 0, or fewer than 2; when every effect is the same non-zero value the t p-value
    is its limit, 0, and ``d_z`` is NaN), and Cohen's ``d_z``.
    """
    n_resamples = _check_options(confidence, n_resamples, ci)
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
    if sd == 0:  # every effect equal: the interval is the value
        row.update(ci_low=row["mean"], ci_high=row["mean"])
        if row["mean"] != 0:  # the t statistic's limit is infinite; Wilcoxon is defined (every sign alike)
            row.update(p_ttest=0.0, p_wilcoxon=float(stats.wilcoxon(values).pvalue))
        return row
    if ci == "t":
        half = stats.t.ppf((1 + confidence) / 2, values.size - 1) * row["se"]
        row["ci_low"], row["ci_high"] = row["mean"] - half, row["mean"] + half
    else:
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


def _t_statistics(E: np.ndarray, confidence: float) -> pd.DataFrame:
    """:func:`effect_statistics` with ``ci="t"`` of every row of ``E`` ``(C, M)`` (finite, ``M >= 2``) at once."""
    n = E.shape[1]
    mean = E.mean(axis=1)
    sd = E.std(axis=1, ddof=1)
    se = sd / np.sqrt(n)
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * se
    varies = sd > 0
    nan = np.full(len(E), np.nan)
    p_t, p_w = nan.copy(), nan.copy()
    if varies.any():
        p_t[varies] = stats.ttest_1samp(E[varies], 0.0, axis=1).pvalue
    p_t[~varies & (mean != 0)] = 0.0  # as in effect_statistics
    nonzero = E.any(axis=1)
    if nonzero.any():
        p_w[nonzero] = stats.wilcoxon(E[nonzero], axis=1).pvalue
    with np.errstate(divide="ignore", invalid="ignore"):
        dz = np.where(varies, mean / sd, np.nan)
    return pd.DataFrame({"n": n, "mean": mean, "sd": sd, "se": se, "ci_low": mean - half, "ci_high": mean + half,
                         "p_wilcoxon": p_w, "p_ttest": p_t, "cohens_dz": dz})


# Resamples of all rows are drawn this many at a time: rows x batch x M numbers in memory.
_BOOTSTRAP_BATCH_VALUES = 2**23


def _bootstrap_rows(E: np.ndarray, confidence: float, n_resamples: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """BCa intervals of the mean of every row of ``E`` ``(C, M)`` (rows that vary), from one set
    of resampled null indices shared by the rows (each row's interval is the usual one; the
    rows' intervals are not independent, as the rows share their nulls anyway); the
    percentile interval for a row where BCa is undefined."""
    batch = max(1, _BOOTSTRAP_BATCH_VALUES // (E.shape[0] * E.shape[1]))
    bounds = []
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BCa warns (and gives NaN) on degenerate rows
            result = stats.bootstrap((E,), np.mean, confidence_level=confidence, n_resamples=n_resamples, batch=batch,
                                     method=method, random_state=as_rng(seed), vectorized=True, axis=-1)
        bounds.append(np.stack(result.confidence_interval))
        if np.isfinite(bounds[0]).all():
            break
    low, high = bounds[0]
    if len(bounds) > 1:
        undefined = ~(np.isfinite(low) & np.isfinite(high))
        low, high = np.where(undefined, bounds[1][0], low), np.where(undefined, bounds[1][1], high)
    return low, high


def effect_table(conditions, confidence: float = 0.95, n_resamples: int = 2000, seed=0, ci: str = "bootstrap") -> pd.DataFrame:
    """One row per condition: its coordinates, :func:`effect_statistics` and BH q-values.

    ``conditions`` is a list of ``(coordinates, effects)`` pairs: a dict of the condition's
    columns (e.g. ``{"pattern": "SP1", "position": 40}``) and its paired effects ``(M,)``.
    ``q_wilcoxon`` / ``q_ttest`` are Benjamini-Hochberg adjusted across all rows (one
    experiment is one family). Conditions of equal size with finite effects (the usual case:
    every condition on the same nulls) are computed together, their bootstraps from one set
    of resampled nulls (seeded by ``seed``); other conditions one by one, each with its own
    seed derived from ``seed``.
    """
    n_resamples = _check_options(confidence, n_resamples, ci)
    coordinates = pd.DataFrame([dict(c) for c, _ in conditions])
    values = [np.asarray(e, dtype=np.float64).reshape(-1) for _, e in conditions]
    sizes = {v.size for v in values}
    if len(sizes) == 1 and min(sizes) >= 2 and all(np.isfinite(v).all() for v in values):
        E = np.stack(values)
        statistics = _t_statistics(E, confidence)
        if ci == "bootstrap":
            varies = (statistics["sd"] > 0).to_numpy()
            if varies.any():
                low, high = _bootstrap_rows(E[varies], confidence, n_resamples, seed)
                statistics.loc[varies, "ci_low"], statistics.loc[varies, "ci_high"] = low, high
            statistics.loc[~varies, "ci_low"] = statistics.loc[~varies, "ci_high"] = statistics.loc[~varies, "mean"]
    else:
        seeds = as_rng(seed).integers(0, 2**63 - 1, size=len(conditions))
        statistics = pd.DataFrame([effect_statistics(v, confidence, n_resamples, int(s), ci) for v, s in zip(values, seeds)],
                                  columns=list(EFFECT_COLUMNS))
    table = pd.concat([coordinates.reset_index(drop=True), statistics], axis=1)
    if len(table):
        table["q_wilcoxon"] = adjust_pvalues(table["p_wilcoxon"].to_numpy(dtype=float))
        table["q_ttest"] = adjust_pvalues(table["p_ttest"].to_numpy(dtype=float))
    return table
