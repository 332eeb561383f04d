"""Statistics over seeds: mean, SD and t intervals per group, and paired tests between conditions.

A study's numbers come from a handful of trained models (one per seed), so every reported value
must carry its spread and every comparison must pair models that share a seed (and, for
per-sequence scores, a sequence). This module is the one place that does so, on tidy pandas
tables (one row per observation, column names passed as parameters):

- :func:`summarize_over`: ``n``, mean, SD (``ddof=1``), SEM and a t interval of the mean per
  group. (:func:`seqlens.evaluation.summary.summarize` is the per-column, ungrouped summary of
  one score table with the papers' population SD; this is the grouped, over-seeds one.)
- :func:`paired_comparisons`: each level of a factor against a reference level, paired t test
  and Wilcoxon signed-rank test per group, p-values corrected across the whole table.
- :func:`adjust_pvalues`: that correction (Benjamini-Hochberg, Holm, Bonferroni) on its own.
- :func:`format_mean_sd`: ``"0.812 ± 0.013 (n = 10)"`` for reports.

Tests and quantiles are scipy's (``ttest_rel``, ``wilcoxon``, ``t.ppf``,
``false_discovery_control``); only Holm and Bonferroni are a few lines of numpy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataFormatError, SeqlensError

CORRECTIONS = ("fdr_bh", "holm", "bonferroni", "none")

SUMMARY_COLUMNS = ["n", "mean", "sd", "sem", "ci_low", "ci_high", "n_missing"]

COMPARISON_COLUMNS = [
    "factor", "level_a", "level_b", "n_pairs", "mean_a", "mean_b", "mean_diff", "sd_diff",
    "ci_low", "ci_high", "t_statistic", "p_ttest", "wilcoxon_statistic", "p_wilcoxon",
    "p_ttest_adjusted", "p_wilcoxon_adjusted", "correction", "paired_by",
]


# --- validation helpers ---------------------------------------------------------------------

def _column_list(columns, name: str) -> list[str]:
    """``columns`` (one name or a sequence of names) as a list, duplicates refused."""
    if isinstance(columns, str):
        columns = [columns]
    try:
        columns = list(columns)
    except TypeError:
        raise SeqlensError(f"{name} must be a column name or a list of column names, got {columns!r}") from None
    if len(set(columns)) != len(columns):
        raise SeqlensError(f"{name} lists a column twice: {columns}")
    return columns


def _require_columns(table, columns: Sequence[str]) -> None:
    if not isinstance(table, pd.DataFrame):
        raise DataFormatError(f"expected a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataFormatError(f"table has no column(s) {missing}; it has {list(table.columns)}")


def _check_confidence(confidence) -> float:
    try:
        confidence = float(confidence)
    except (TypeError, ValueError):
        raise SeqlensError(f"confidence must be a number in (0, 1), got {confidence!r}") from None
    if not 0.0 < confidence < 1.0:
        raise SeqlensError(f"confidence must be in (0, 1), got {confidence}")
    return confidence


def _numeric_values(table: pd.DataFrame, value: str) -> np.ndarray:
    column = table[value]
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        raise DataFormatError(f"value column {value!r} must be numeric, it has dtype {column.dtype}")
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def _t_half_width(sem, n, confidence: float):
    """Half width of the t interval ``t_{(1+c)/2, n-1} * sem``; NaN where ``n < 2``."""
    n = np.asarray(n, dtype=np.float64)
    df = np.where(n >= 2, n - 1, np.nan)
    return stats.t.ppf((1.0 + confidence) / 2.0, df) * np.asarray(sem, dtype=np.float64)


def _describe(columns: Sequence[str], key) -> str:
    """``"a='x', b=2"`` for an error message."""
    key = key if isinstance(key, tuple) else (key,)
    key = [k.item() if isinstance(k, np.generic) else k for k in key]
    return ", ".join(f"{c}={k!r}" for c, k in zip(columns, key)) or "(whole table)"


# --- summaries ------------------------------------------------------------------------------

def summarize_over(table: pd.DataFrame, by, value: str = "value", confidence: float = 0.95) -> pd.DataFrame:
    """Mean, SD and t interval of ``value`` within each group of the ``by`` columns.

    Parameters
    ----------
    table : tidy table, one row per observation (e.g. per unit x method x variant x metric,
        with the observation in ``value``); any other columns are ignored.
    by : the grouping column(s) (a name or a list; ``[]`` summarises the whole table). The
        observations of a group are typically the seeds of one condition.
    value : the numeric column to summarise; NaN values are left out and counted.
    confidence : coverage of the t interval of the mean (default 0.95).

    Returns
    -------
    DataFrame with one row per group, in order of first appearance (``groupby(sort=False)``,
    missing keys kept as their own group), and columns: the ``by`` columns, ``n`` (non-NaN
    values), ``mean``, ``sd`` (sample SD, ``ddof=1``), ``sem`` (``sd / sqrt(n)``), ``ci_low`` and
    ``ci_high`` (``mean -+ t.ppf((1 + confidence) / 2, n - 1) * sem``) and ``n_missing`` (NaN
    values in the group). ``sd``, ``sem`` and the interval are NaN when ``n < 2``; ``mean`` is
    NaN when ``n == 0``.
    """
    by = _column_list(by, "by")
    _require_columns(table, [*by, value])
    confidence = _check_confidence(confidence)
    if value in by:
        raise SeqlensError(f"value column {value!r} cannot also be a grouping column")
    clash = sorted(set(by) & set(SUMMARY_COLUMNS))
    if clash:
        raise SeqlensError(f"grouping column(s) {clash} clash with the summary's own columns {SUMMARY_COLUMNS}")
    values = pd.Series(_numeric_values(table, value), index=table.index)
    if by:
        grouped = values.groupby([table[c] for c in by], sort=False, dropna=False, observed=True)
        out = grouped.agg(["count", "mean", "std", "size"]).reset_index()
        out.columns = [*by, "n", "mean", "sd", "size"]
    else:
        out = pd.DataFrame({"n": [values.count()], "mean": [values.mean()],
                            "sd": [values.std()], "size": [values.size]})
    out["n"] = out["n"].astype(np.int64)
    out["n_missing"] = (out.pop("size") - out["n"]).astype(np.int64)
    out["sd"] = out["sd"].where(out["n"] >= 2)
    out["sem"] = out["sd"] / np.sqrt(out["n"].where(out["n"] >= 2))
    half = _t_half_width(out["sem"], out["n"], confidence)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return out[[*by, *SUMMARY_COLUMNS]]


def format_mean_sd(mean, sd, n, digits: int = 3) -> str:
    """``"0.812 ± 0.013 (n = 10)"``: a mean with its SD and count, for reports.

    Parameters
    ----------
    mean, sd : scalars (e.g. one row of :func:`summarize_over`); ``sd`` may be NaN (n < 2).
    n : the number of observations behind the mean.
    digits : decimals of ``mean`` and ``sd``.

    Returns
    -------
    ``"{mean} ± {sd} (n = {n})"``; ``"{mean} (n = {n})"`` when ``sd`` is NaN or None; ``"-"``
    when ``mean`` is NaN or None.
    """
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or digits < 0:
        raise SeqlensError(f"digits must be a non-negative integer, got {digits!r}")
    if mean is None or pd.isna(mean):
        return "-"
    count = "?" if n is None or pd.isna(n) else f"{int(n)}"
    if sd is None or pd.isna(sd):
        return f"{float(mean):.{digits}f} (n = {count})"
    return f"{float(mean):.{digits}f} ± {float(sd):.{digits}f} (n = {count})"


# --- multiple testing -----------------------------------------------------------------------

def adjust_pvalues(p, method: str = "fdr_bh") -> np.ndarray:
    """p-values corrected for multiple testing; NaNs are left out of the family and stay NaN.

    Parameters
    ----------
    p : array-like of p-values in [0, 1] (any shape) or NaN.
    method : ``"fdr_bh"`` (Benjamini-Hochberg, ``scipy.stats.false_discovery_control``),
        ``"holm"`` (Holm step-down), ``"bonferroni"`` (``m * p``) or ``"none"`` (a copy);
        ``m`` is the number of non-NaN p-values.

    Returns
    -------
    float64 array of the shape of ``p``, adjusted values clipped to at most 1.
    """
    if method not in CORRECTIONS:
        raise SeqlensError(f"unknown correction {method!r}; choose one of {list(CORRECTIONS)}")
    try:
        p = np.array(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise SeqlensError("p-values must be numbers") from None
    valid = ~np.isnan(p)
    values = p[valid]
    if ((values < 0) | (values > 1)).any():
        raise SeqlensError(f"p-values must lie in [0, 1], got values from {values.min()} to {values.max()}")
    out = p.copy()
    m = values.size
    if m == 0 or method == "none":
        return out
    if method == "fdr_bh":
        adjusted = stats.false_discovery_control(values, method="bh")
    elif method == "bonferroni":
        adjusted = values * m
    else:  # holm: sorted p_(i) times (m - i + 1), made monotone by a running maximum
        order = np.argsort(values, kind="stable")
        stepped = np.maximum.accumulate(values[order] * (m - np.arange(m)))
        adjusted = np.empty(m)
        adjusted[order] = stepped
    out[valid] = np.minimum(adjusted, 1.0)
    return out


# --- paired comparisons ---------------------------------------------------------------------

def _paired_tests(a: np.ndarray, b: np.ndarray, confidence: float) -> dict:
    """Statistics of the paired samples ``a``, ``b`` (aligned, NaN-free)."""
    n = a.size
    nan = float("nan")
    row = dict(n_pairs=n, mean_a=nan, mean_b=nan, mean_diff=nan, sd_diff=nan, ci_low=nan,
               ci_high=nan, t_statistic=nan, p_ttest=nan, wilcoxon_statistic=nan, p_wilcoxon=nan)
    if n == 0:
        return row
    diff = b - a
    row.update(mean_a=float(a.mean()), mean_b=float(b.mean()), mean_diff=float(diff.mean()))
    if n < 2:
        return row
    sd = float(diff.std(ddof=1))
    half = float(_t_half_width(sd / math.sqrt(n), n, confidence))
    row.update(sd_diff=sd, ci_low=row["mean_diff"] - half, ci_high=row["mean_diff"] + half)
    if not diff.any():  # all differences exactly zero: both tests undefined
        return row
    with warnings.catch_warnings():
        # equal non-zero differences (sd_diff ~ 0): scipy warns and returns t = +-inf (or huge)
        warnings.filterwarnings("ignore", message="Precision loss occurred", category=RuntimeWarning)
        t = stats.ttest_rel(b, a)
    w = stats.wilcoxon(b, a)
    row.update(t_statistic=float(t.statistic), p_ttest=float(t.pvalue),
               wilcoxon_statistic=float(w.statistic), p_wilcoxon=float(w.pvalue))
    return row


def paired_comparisons(
    table: pd.DataFrame,
    factor: str,
    pair_on,
    by=(),
    value: str = "value",
    reference=None,
    levels: Sequence | None = None,
    confidence: float = 0.95,
    correction: str = "fdr_bh",
) -> pd.DataFrame:
    """Each level of ``factor`` against a reference level, paired tests within each group.

    Parameters
    ----------
    table : tidy table, one row per observation, holding the ``factor``, ``pair_on``, ``by``
        and ``value`` columns (others ignored). E.g. one row per (unit, method, variant,
        metric) with ``factor="activation"``, ``pair_on=["seed"]``,
        ``by=["architecture", "method", "variant", "metric"]``; or a per-sequence table with
        ``factor="variant"``, ``pair_on=["seed", "sequence"]``.
    factor : the column whose levels are compared (e.g. ``"activation"``, ``"variant"``).
    pair_on : column(s) whose shared values pair two observations (e.g. ``["seed"]``). Each
        key may occur at most once per level and group; missing keys are an error.
    by : grouping column(s); comparisons are made within each group (default: none).
    value : the numeric column compared. A pair with either value NaN is dropped.
    reference : the level every other level is compared against (default: the first level).
    levels : the levels to use, in this order (others are ignored); default the factor's
        non-missing values in order of first appearance.
    confidence : coverage of the t interval of the mean difference (default 0.95).
    correction : ``"fdr_bh"``, ``"holm"``, ``"bonferroni"`` or ``"none"``, applied by
        :func:`adjust_pvalues` to each p-value column across all rows of the result.

    Returns
    -------
    DataFrame with one row per (group, non-reference level), groups in order of first
    appearance and levels in ``levels`` order, and columns: the ``by`` columns, ``factor``
    (the factor's column name), ``level_a`` (the reference), ``level_b``, ``n_pairs`` (pairs
    with both values), ``mean_a``, ``mean_b`` (means over those pairs), ``mean_diff`` (mean of
    ``b - a``), ``sd_diff`` (its SD, ``ddof=1``), ``ci_low``, ``ci_high`` (t interval of
    ``mean_diff``), ``t_statistic``, ``p_ttest`` (``scipy.stats.ttest_rel(b, a)``, two-sided),
    ``wilcoxon_statistic``, ``p_wilcoxon`` (``scipy.stats.wilcoxon(b, a)``, two-sided, scipy's
    default handling of zero differences), ``p_ttest_adjusted``, ``p_wilcoxon_adjusted``,
    ``correction`` (the method) and ``paired_by`` (the ``pair_on`` columns joined by ``"+"``).

    Undefined cases give NaN, not an exception: with ``n_pairs < 2`` the SD, interval and both
    tests are NaN (and with ``n_pairs == 0`` the means too); when every difference is exactly
    zero both tests (statistics and p-values) are NaN. NaN p-values are left out of the
    correction. When all differences are equal but non-zero, ``sd_diff`` is 0 and scipy's t
    statistic is infinite (or huge, from rounding) with ``p_ttest`` ~ 0; the Wilcoxon p-value
    is then the informative one.
    """
    pair_on = _column_list(pair_on, "pair_on")
    by = _column_list(by, "by")
    if not isinstance(factor, str) or not isinstance(value, str):
        raise SeqlensError(f"factor and value must be column names, got {factor!r} and {value!r}")
    _require_columns(table, [*by, factor, *pair_on, value])
    if not pair_on:
        raise SeqlensError("pair_on must name at least one column (e.g. ['seed'])")
    roles = [*by, factor, *pair_on, value]
    if len(set(roles)) != len(roles):
        raise SeqlensError(f"by {by}, factor {factor!r}, pair_on {pair_on} and value {value!r} must be distinct columns")
    clash = sorted(set(by) & set(COMPARISON_COLUMNS))
    if clash:
        raise SeqlensError(f"grouping column(s) {clash} clash with the result's own columns")
    confidence = _check_confidence(confidence)
    if correction not in CORRECTIONS:
        raise SeqlensError(f"unknown correction {correction!r}; choose one of {list(CORRECTIONS)}")
    values = _numeric_values(table, value)

    present = pd.unique(table[factor].dropna())
    if levels is None:
        levels = list(present)
    else:
        levels = [levels] if isinstance(levels, str) else list(levels)
        if len(set(levels)) != len(levels):
            raise SeqlensError(f"levels lists a level twice: {levels}")
        absent = [level for level in levels if level not in set(present)]
        if absent:
            raise DataFormatError(f"level(s) {absent} not found in column {factor!r}; it has {list(present)}")
    if reference is None and levels:
        reference = levels[0]
    if reference not in levels:
        raise SeqlensError(f"reference {reference!r} is not one of the levels {levels} of {factor!r}")
    if len(levels) < 2:
        raise DataFormatError(f"column {factor!r} needs at least two levels to compare, it has {levels}")
    others = [level for level in levels if level != reference]

    data = table[[*by, factor, *pair_on]].copy()
    data["_value"] = values
    data = data[data[factor].isin(levels)]
    keys_missing = [c for c in pair_on if data[c].isna().any()]
    if keys_missing:
        raise DataFormatError(f"pair_on column(s) {keys_missing} have missing values; rows cannot be paired")
    duplicated = data.duplicated([*by, factor, *pair_on], keep=False)
    if duplicated.any():
        sizes = data[duplicated].groupby([*by, factor, *pair_on], sort=False, dropna=False, observed=True).size()
        first, count = data[duplicated].iloc[0], int(sizes.iloc[0])
        where = _describe(by, tuple(first[by])) if by else "the whole table"
        raise DataFormatError(
            f"duplicate pair_on key {_describe(pair_on, tuple(first[pair_on]))} for {_describe([factor], first[factor])} "
            f"in group {where} ({count} rows); each key may appear once per level and group"
        )

    groups = data.groupby(by, sort=False, dropna=False, observed=True) if by else [((), data)]
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        wide = group.pivot(index=pair_on, columns=factor, values="_value")
        ref = wide[reference].to_numpy(np.float64) if reference in wide.columns else np.full(len(wide), np.nan)
        for level in others:
            other = wide[level].to_numpy(np.float64) if level in wide.columns else np.full(len(wide), np.nan)
            keep = ~(np.isnan(ref) | np.isnan(other))
            rows.append({**dict(zip(by, key)), "factor": factor, "level_a": reference, "level_b": level,
                         **_paired_tests(ref[keep], other[keep], confidence)})
    out = pd.DataFrame(rows, columns=[*by, *COMPARISON_COLUMNS])
    out["n_pairs"] = out["n_pairs"].astype(np.int64)
    out["p_ttest_adjusted"] = adjust_pvalues(out["p_ttest"].to_numpy(np.float64), correction)
    out["p_wilcoxon_adjusted"] = adjust_pvalues(out["p_wilcoxon"].to_numpy(np.float64), correction)
    out["correction"] = correction
    out["paired_by"] = "+".join(pair_on)
    return out
