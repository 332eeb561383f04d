"""A study's tables: tidy results, summaries over seeds, paired comparisons.

Written into the output folder after every run (also an interrupted one):

- ``results.csv`` (and ``results.parquet`` when pyarrow is installed): one row per unit x
  analysis x task x method x variant x positions x metric, every grid coordinate a column;
  ``value`` is the unit's number (a mean over ``n`` sequences for per-sequence metrics).
- ``summary.csv``: per condition (all coordinates but the seed), ``n`` seeds, mean, SD,
  SEM and the 95% t interval (:func:`seqlens.evaluation.summarize_over`).
- ``comparisons.csv``: for each factor with several levels (architecture, config,
  activation, training, train_size, raw vs corrected maps, and for GIA's position
  experiment the trained model vs its randomised copy), every level against the first, paired by seed on the units' values and, for per-sequence interpretability scores,
  paired by seed and sequence; difference, 95% CI, paired t and Wilcoxon signed-rank
  p-values, Benjamini-Hochberg adjusted across the whole table
  (:func:`seqlens.evaluation.paired_comparisons`).
- ``claims.csv``: each claim of the study's paper with the comparison behind it and a
  verdict (:func:`claim_verdicts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..evaluation import adjust_pvalues, format_mean_sd, paired_comparisons, summarize_over
from ..io_utils import atomic_path, write_csv
from .units import FACTORS

#: What a result row is besides its grid coordinates (the groups of summaries and tests).
MEASURE = ["analysis", "task", "method", "variant", "positions", "metric"]

#: Columns of a study's tables that hold text (levels, names); every other column is numeric.
TEXT_COLUMNS = (*[f for f in FACTORS if f != "seed"], *MEASURE, "unit", "factor", "level_a", "level_b", "paired_by",
                "correction", "id", "text", "paper", "ours", "expect", "test", "verdict")


def read_study_table(path: str | Path) -> pd.DataFrame:
    """A CSV table of a study output folder (results, summary, comparisons, claims, a unit's
    records): :data:`TEXT_COLUMNS` as text (empty cells as ``""``), the others as numbers (empty: NaN).
    An empty file gives an empty table."""
    try:
        table = pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS})
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    for column in TEXT_COLUMNS:
        if column in table.columns:
            table[column] = table[column].fillna("")
    return table


#: Per-sequence scores compared sequence by sequence (others only by seed).
PER_SEQUENCE_METRICS = ("auroc", "aupr_trapezoid", "average_precision", "cosine", "snr")


#: Seeds needed before a claim is tested on per-model values (paired by seed); with fewer,
#: per-sequence scores are paired by seed and sequence when the metric has them. Six: with
#: five pairs the two-sided Wilcoxon signed-rank p cannot fall below 0.0625.
MIN_SEED_PAIRS = 6

#: Significance level of a claim's (adjusted) test.
ALPHA = 0.05

CLAIM_COLUMNS = ["id", "text", "paper", "ours", "factor", "level_a", "level_b", "expect", "conditions", "paired_by",
                 "n_pairs", "mean_diff", "ci_low", "ci_high", "p_adjusted", "test", "verdict"]


@dataclass
class StudyTables:
    """The tables of a study (see the module docstring); ``claims`` as :func:`claim_verdicts`."""

    results: pd.DataFrame
    summary: pd.DataFrame
    comparisons: pd.DataFrame
    claims: pd.DataFrame | None = None


def _factors_varying(table: pd.DataFrame) -> list[str]:
    return [f for f in FACTORS if f != "seed" and table[f].nunique(dropna=False) > 1]


def _comparisons(results: pd.DataFrame, sequence_scores: pd.DataFrame | None) -> pd.DataFrame:
    parts = []
    conditions = [f for f in FACTORS if f != "seed"]
    for factor in _factors_varying(results):
        by = [c for c in conditions + MEASURE if c != factor]
        parts.append(paired_comparisons(results, factor, pair_on=["seed"], by=by, correction="none"))
    # raw vs corrected maps: their scores and (seqlens.experiments.ensembles) their distances to the other seeds' maps
    of_maps = results["analysis"].isin(["interpretability", "ensemble"])
    gradient = results[of_maps & (results["variant"] == "corrected")]["method"].unique()
    maps = results[of_maps & results["method"].isin(gradient)]
    if maps["variant"].nunique() > 1:
        by = conditions + [c for c in MEASURE if c != "variant"]
        parts.append(paired_comparisons(maps, "variant", pair_on=["seed"], by=by, levels=["raw", "corrected"],
                                        correction="none"))
    # the GIA position experiment of each trained model against its parameter-randomised copy
    control = results[(results["analysis"] == "gia") & (results["method"] == "position")]
    if set(control["variant"]) >= {"trained", "randomized"}:
        by = conditions + [c for c in MEASURE if c != "variant"]
        parts.append(paired_comparisons(control, "variant", pair_on=["seed"], by=by, levels=["randomized", "trained"],
                                        correction="none"))
    if sequence_scores is not None and len(sequence_scores):
        long = sequence_scores.melt(id_vars=[*FACTORS, "task", "method", "variant", "sequence"],
                                    value_vars=[m for m in PER_SEQUENCE_METRICS if m in sequence_scores],
                                    var_name="metric", value_name="value").assign(analysis="interpretability",
                                                                                  positions="")
        for factor in _factors_varying(long):
            by = [c for c in conditions + MEASURE if c != factor]
            parts.append(paired_comparisons(long, factor, pair_on=["seed", "sequence"], by=by, correction="none"))
        gradient_long = long[long["method"].isin(gradient)]
        if gradient_long["variant"].nunique() > 1:
            by = conditions + [c for c in MEASURE if c != "variant"]
            parts.append(paired_comparisons(gradient_long, "variant", pair_on=["seed", "sequence"], by=by,
                                            levels=["raw", "corrected"], correction="none"))
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    for column in ("p_ttest", "p_wilcoxon"):
        table[f"{column}_adjusted"] = adjust_pvalues(table[column].to_numpy(dtype=float), "fdr_bh")
    table["correction"] = "fdr_bh (whole table)"
    return table


def _matching(table: pd.DataFrame, where: dict) -> pd.DataFrame:
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        if column in table:
            mask &= table[column].astype(str) == str(value)
    return table[mask]


def _row_verdict(diff: float, p: float, expect: str) -> str:
    if not np.isfinite(diff):
        return "untested"
    right = diff > 0 if expect == "greater" else diff < 0
    if not right:
        return "not"
    return "reproduced" if np.isfinite(p) and p < ALPHA else "partly"


def _claim_rows(claim, comparisons: pd.DataFrame) -> pd.DataFrame:
    """The comparison rows a claim is about, oriented ``a`` -> ``b`` (a flipped row's signs reversed)."""
    rows = _matching(comparisons[comparisons["factor"] == claim.factor], claim.where)
    a, b = str(claim.a), str(claim.b)
    straight = rows[(rows["level_a"].astype(str) == a) & (rows["level_b"].astype(str) == b)]
    flipped = rows[(rows["level_a"].astype(str) == b) & (rows["level_b"].astype(str) == a)].copy()
    if len(flipped):
        flipped[["mean_a", "mean_b"]] = flipped[["mean_b", "mean_a"]].to_numpy()
        flipped["mean_diff"] = -flipped["mean_diff"]
        flipped[["ci_low", "ci_high"]] = -flipped[["ci_high", "ci_low"]].to_numpy()
    return pd.concat([straight, flipped], ignore_index=True)


def _over_seeds(summary: pd.DataFrame, where: dict) -> str:
    """``mean ± SD (n = seeds)`` of the one summary row matching ``where``, or ``-``."""
    rows = _matching(summary, where) if len(summary) else summary
    if len(rows) != 1:
        return "-"
    row = rows.iloc[0]
    return format_mean_sd(row["mean"], row["sd"], int(row["n"]))


def _claim_verdict(claim, comparisons: pd.DataFrame, summary: pd.DataFrame) -> dict:
    base = {"id": claim.id, "text": claim.text, "paper": claim.paper, "factor": claim.factor, "level_a": claim.a,
            "level_b": claim.b, "expect": claim.expect}
    rows = _claim_rows(claim, comparisons) if len(comparisons) else pd.DataFrame()
    if rows.empty:
        return {**base, "ours": "-", "verdict": "untested", "test": "no comparison in this run (level not in the grid?)"}
    by_seed = rows[rows["paired_by"] == "seed"]
    by_sequence = rows[rows["paired_by"] == "seed+sequence"]
    use = by_seed if (len(by_seed) and by_seed["n_pairs"].min() >= MIN_SEED_PAIRS) or by_sequence.empty else by_sequence
    p_column = "p_wilcoxon_adjusted"
    p = use[p_column].where(use[p_column].notna(), use["p_ttest_adjusted"])
    verdicts = [_row_verdict(d, q, claim.expect) for d, q in zip(use["mean_diff"], p)]
    tested = [v for v in verdicts if v != "untested"]
    if not tested:
        verdict = "untested"
    elif all(v == "reproduced" for v in tested):
        verdict = "reproduced"
    elif all(v == "not" for v in tested):
        verdict = "not"
    else:
        verdict = "partly"
    condition_columns = [c for c in FACTORS if c in use and c not in ("seed", claim.factor)]
    conditions = ["/".join(str(r[c]) for c in condition_columns if str(r[c]) not in ("", "nan", "all", "default"))
                  for _, r in use.iterrows()]
    parts = []
    for cond, (_, r) in zip(conditions, use.iterrows()):
        where = {**claim.where, **{c: r[c] for c in condition_columns}, **{m: r[m] for m in MEASURE if m in r}}
        a = _over_seeds(summary, {**where, claim.factor: claim.a})
        b = _over_seeds(summary, {**where, claim.factor: claim.b})
        interval = (f" [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]" if np.isfinite(r["ci_low"]) else
                    " (no interval from one pair)")
        parts.append(f"{cond + ': ' if cond else ''}{claim.a} {a} vs {claim.b} {b}; difference {r['mean_diff']:+.3f}"
                     f"{interval} over {int(r['n_pairs'])} pairs")
    ours = "; ".join(parts)
    paired_by = use["paired_by"].iloc[0]
    return {**base, "ours": ours, "conditions": len(use), "paired_by": paired_by,
            "n_pairs": int(use["n_pairs"].min()), "mean_diff": float(use["mean_diff"].mean()),
            "ci_low": float(use["ci_low"].min()), "ci_high": float(use["ci_high"].max()),
            "p_adjusted": float(p.max()) if p.notna().any() else float("nan"),
            "test": (f"Wilcoxon signed-rank (paired t where undefined), paired by {paired_by}, Benjamini-Hochberg "
                     f"adjusted over the comparisons table; reproduced = expected sign with adjusted p < {ALPHA} in "
                     "every condition, partly = expected sign but not significant everywhere"),
            "verdict": verdict}


def claim_verdicts(claims, comparisons: pd.DataFrame, summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim (columns :data:`CLAIM_COLUMNS`): the comparisons it rests on and its verdict.

    The verdict: ``reproduced`` when the difference ``b - a`` has the expected sign and its
    adjusted Wilcoxon p (paired t where Wilcoxon is undefined) is below :data:`ALPHA` in every
    matching condition; ``not`` when it has the wrong sign in every condition; ``partly``
    otherwise; ``untested`` when the run holds no comparison for it. Claims are tested on
    per-model values paired by seed when at least :data:`MIN_SEED_PAIRS` seeds are paired,
    else on per-sequence scores paired by seed and sequence. ``ours`` gives each level's mean
    ± SD over seeds (from ``summary``) and the paired difference with its 95% interval.
    """
    summary = pd.DataFrame() if summary is None else summary
    return pd.DataFrame([_claim_verdict(c, comparisons, summary) for c in claims], columns=CLAIM_COLUMNS)


def study_tables(results: pd.DataFrame, sequence_scores: pd.DataFrame | None = None, claims=()) -> StudyTables:
    """Summaries, comparisons and claim verdicts of a results table (:meth:`StudyStore.records`)
    and the per-sequence scores of its units (coordinates + ``task``, ``method``, ``variant``,
    ``sequence`` and one column per metric; optional)."""
    if results.empty:
        return StudyTables(results, pd.DataFrame(), pd.DataFrame(), claim_verdicts(claims, pd.DataFrame()))
    conditions = [f for f in FACTORS if f != "seed"]
    summary = summarize_over(results, by=conditions + MEASURE)
    comparisons = _comparisons(results, sequence_scores)
    return StudyTables(results, summary, comparisons, claim_verdicts(claims, comparisons, summary))


def write_tables(tables: StudyTables, out: Path) -> dict[str, Path]:
    """Write ``results.csv`` (+ parquet with pyarrow), ``summary.csv`` and ``comparisons.csv`` atomically."""
    paths = {"results": write_csv(tables.results, out / "results.csv"),
             "summary": write_csv(tables.summary, out / "summary.csv"),
             "comparisons": write_csv(tables.comparisons, out / "comparisons.csv")}
    if tables.claims is not None:
        paths["claims"] = write_csv(tables.claims, out / "claims.csv")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return paths
    with atomic_path(out / "results.parquet") as tmp:
        tables.results.to_parquet(tmp, index=False)
    paths["results_parquet"] = out / "results.parquet"
    return paths


def sequence_scores(unit_dirs: dict[str, tuple[dict, Path]]) -> pd.DataFrame | None:
    """Per-sequence scores of finished units: name -> (coordinates, folder) in; one table out."""
    tables = []
    for coordinates, folder in unit_dirs.values():
        path = folder / "scores.csv"
        if path.exists():
            table = pd.read_csv(path)
            for factor in FACTORS:
                table[factor] = coordinates[factor]
            tables.append(table)
    if not tables:
        return None
    return pd.concat(tables, ignore_index=True)


def reproduction_markdown(folders) -> str:
    """A Markdown section per study output folder: scale, grid, seeds, and each claim with the
    paper's numbers, ours and the verdict (``docs/reproduction.md`` is made of these)."""
    import json

    sections = []
    for folder in map(Path, folders):
        record = json.loads((folder / "study.json").read_text(encoding="utf-8"))
        study = record["study"]
        models = study["models"]
        done = sum(1 for _ in folder.glob("units/*/done.json"))
        failed = sum(1 for _ in folder.glob("failed/*.json"))
        if models.get("given"):
            grid = f"models trained elsewhere ({', '.join(g['name'] for g in models['given'])})"
        else:
            grid = (f"{', '.join(models['architectures'])} x {', '.join(models['activations'])} x "
                    f"{len(models['training'])} training method(s) x {len(models['seeds'])} seed(s), at most "
                    f"{models['epochs']} epochs")
        lines = [f"## {study['name']} ({record.get('scale') or 'no scale'})", "",
                 f"{study.get('title', '')}. Data: {study['data']}; {grid}; {done} units done, {failed} failed; "
                 f"seqlens {record.get('seqlens_version', '?')}.", ""]
        claims_path = folder / "claims.csv"
        claims = read_study_table(claims_path) if claims_path.exists() else pd.DataFrame()
        if claims.empty:
            lines += ["No claims recorded.", ""]
        else:
            lines += ["| claim | paper | ours (mean, diff [95% CI], pairs) | test | p (adjusted) | verdict |",
                      "|---|---|---|---|---:|---|"]
            for row in claims.to_dict("records"):
                p = f"{row['p_adjusted']:.2g}" if np.isfinite(row["p_adjusted"]) else "-"
                test = f"Wilcoxon, paired by {row['paired_by']}" if row["paired_by"] else row["test"]
                lines.append(f"| {row['text']} | {row['paper']} | {row['ours']} | {test} | {p} | **{row['verdict']}** |")
            lines.append("")
        sections.append("\n".join(lines))
    return "\n".join(sections)
