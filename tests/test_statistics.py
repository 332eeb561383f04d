"""Statistics over seeds: summaries and paired tests checked against numpy/scipy called directly."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from seqlens.errors import SeqlensError
from seqlens.evaluation import adjust_pvalues, format_mean_sd, paired_comparisons, summarize_over
from seqlens.evaluation.statistics import COMPARISON_COLUMNS


# --- summarize_over -------------------------------------------------------------------------

def _summary_table():
    # group ("cnn", "relu"): 4 seeds, one NaN; ("cnn", "exp"): 3 seeds; ("mlp", "relu"): 1 seed.
    return pd.DataFrame({
        "architecture": ["cnn"] * 7 + ["mlp"],
        "activation": ["relu", "exp", "relu", "exp", "relu", "exp", "relu", "relu"],
        "seed": [0, 0, 1, 1, 2, 2, 3, 0],
        "value": [0.80, 0.90, 0.84, 0.93, np.nan, 0.88, 0.83, 0.70],
    })


def test_summarize_over_matches_numpy_and_scipy_interval():
    out = summarize_over(_summary_table(), ["architecture", "activation"])
    assert list(out.columns) == ["architecture", "activation", "n", "mean", "sd", "sem", "ci_low", "ci_high", "n_missing"]
    # groups in order of first appearance
    assert list(zip(out["architecture"], out["activation"])) == [("cnn", "relu"), ("cnn", "exp"), ("mlp", "relu")]
    for i, (values, n_missing) in enumerate([([0.80, 0.84, 0.83], 1), ([0.90, 0.93, 0.88], 0)]):
        values = np.array(values)
        row = out.iloc[i]
        sem = values.std(ddof=1) / math.sqrt(values.size)
        low, high = stats.t.interval(0.95, values.size - 1, loc=values.mean(), scale=sem)
        assert row["n"] == values.size and row["n_missing"] == n_missing
        assert row["mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert row["sd"] == pytest.approx(values.std(ddof=1), rel=1e-12)
        assert row["sem"] == pytest.approx(sem, rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))
    single = out.iloc[2]
    assert single["n"] == 1 and single["mean"] == pytest.approx(0.70)
    assert np.isnan([single["sd"], single["sem"], single["ci_low"], single["ci_high"]]).all()


def test_summarize_over_confidence_whole_table_and_all_nan_group():
    table = pd.DataFrame({"g": ["a", "a", "b"], "score": [1.0, 3.0, np.nan]})
    out = summarize_over(table, "g", value="score", confidence=0.5)
    low, high = stats.t.interval(0.5, 1, loc=2.0, scale=np.std([1.0, 3.0], ddof=1) / math.sqrt(2))
    assert out.loc[0, "ci_low"] == pytest.approx(low) and out.loc[0, "ci_high"] == pytest.approx(high)
    assert out.loc[1, "n"] == 0 and out.loc[1, "n_missing"] == 1 and np.isnan(out.loc[1, "mean"])
    whole = summarize_over(table, [], value="score")
    assert list(whole.columns) == ["n", "mean", "sd", "sem", "ci_low", "ci_high", "n_missing"]
    assert whole.loc[0, "n"] == 2 and whole.loc[0, "n_missing"] == 1 and whole.loc[0, "mean"] == 2.0


def test_summarize_over_validation():
    table = _summary_table()
    with pytest.raises(SeqlensError, match="training"):
        summarize_over(table, ["architecture", "training"])
    with pytest.raises(SeqlensError, match="'score'"):
        summarize_over(table, ["architecture"], value="score")
    with pytest.raises(SeqlensError, match="confidence"):
        summarize_over(table, ["architecture"], confidence=95)
    with pytest.raises(SeqlensError, match="numeric"):
        summarize_over(table, ["seed"], value="activation")


# --- paired_comparisons ---------------------------------------------------------------------

# 3 seeds x 2 activations x 2 metrics, rows shuffled so pairing must go by seed, not position.
RELU = {"auroc": [0.80, 0.82, 0.79], "aupr": [0.40, 0.45, 0.38]}
EXP = {"auroc": [0.86, 0.85, 0.88], "aupr": [0.41, 0.52, 0.33]}


def _paired_table():
    rows = []
    for metric in ("auroc", "aupr"):
        for seed in (0, 1, 2):
            rows.append(("cnn", metric, "relu", seed, RELU[metric][seed]))
            rows.append(("cnn", metric, "exponential", seed, EXP[metric][seed]))
    table = pd.DataFrame(rows, columns=["architecture", "metric", "activation", "seed", "value"])
    return table.sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_paired_comparisons_against_scipy_and_hand_arithmetic():
    table = _paired_table()
    out = paired_comparisons(table, "activation", ["seed"], by=["architecture", "metric"], reference="relu")
    assert list(out.columns) == ["architecture", "metric", *COMPARISON_COLUMNS]
    metrics = list(pd.unique(table["metric"]))  # groups in order of first appearance
    assert list(out["metric"]) == metrics and set(out["architecture"]) == {"cnn"}
    p_t, p_w = [], []
    for metric in metrics:
        row = out[out["metric"] == metric].iloc[0]
        a, b = np.array(RELU[metric]), np.array(EXP[metric])
        diff = b - a
        half = stats.t.ppf(0.975, 2) * diff.std(ddof=1) / math.sqrt(3)
        t = stats.ttest_rel(b, a)
        w = stats.wilcoxon(b, a)
        assert (row["factor"], row["level_a"], row["level_b"], row["n_pairs"]) == ("activation", "relu", "exponential", 3)
        assert row["mean_a"] == pytest.approx(a.mean()) and row["mean_b"] == pytest.approx(b.mean())
        assert row["mean_diff"] == pytest.approx(diff.mean()) and row["sd_diff"] == pytest.approx(diff.std(ddof=1))
        assert row["ci_low"] == pytest.approx(diff.mean() - half) and row["ci_high"] == pytest.approx(diff.mean() + half)
        assert row["t_statistic"] == pytest.approx(t.statistic) and row["p_ttest"] == pytest.approx(t.pvalue)
        assert row["wilcoxon_statistic"] == pytest.approx(w.statistic) and row["p_wilcoxon"] == pytest.approx(w.pvalue)
        assert row["correction"] == "fdr_bh" and row["paired_by"] == "seed"
        p_t.append(t.pvalue)
        p_w.append(w.pvalue)
    # BH across both rows of the table, by hand for m = 2: min(2 p_min, p_max) and p_max.
    hand = [min(2 * p, max(p_t)) for p in p_t]
    assert list(out["p_ttest_adjusted"]) == [pytest.approx(h) for h in hand]
    assert list(out["p_wilcoxon_adjusted"]) == [pytest.approx(x) for x in adjust_pvalues(p_w, "fdr_bh")]


def test_paired_comparisons_reference_and_levels_order():
    table = _paired_table()
    extra = table[table["activation"] == "relu"].assign(activation="sigmoid", value=lambda d: d["value"] + 0.01)
    table = pd.concat([table, extra], ignore_index=True)
    default = paired_comparisons(table, "activation", "seed", by=["metric"], correction="none")
    first = table["activation"].iloc[0]  # default reference: the first level seen
    assert set(default["level_a"]) == {first} and first not in set(default["level_b"])
    out = paired_comparisons(table, "activation", "seed", by="metric", levels=["relu", "exponential", "sigmoid"])
    assert list(out["level_b"]) == ["exponential", "sigmoid"] * 2 and set(out["level_a"]) == {"relu"}
    sigmoid = out[(out["level_b"] == "sigmoid")]
    assert np.allclose(sigmoid["mean_diff"], 0.01) and np.allclose(sigmoid["sd_diff"], 0.0, atol=1e-12)
    swapped = paired_comparisons(table, "activation", "seed", by="metric", reference="exponential",
                                 levels=["relu", "exponential"])
    assert list(swapped["level_b"]) == ["relu", "relu"]
    ordered = out[out["level_b"] == "exponential"].reset_index(drop=True)
    assert np.allclose(swapped["mean_diff"], -ordered["mean_diff"])
    assert np.allclose(swapped["p_ttest"], ordered["p_ttest"])
    # only the named levels are used: sigmoid rows are ignored
    assert len(paired_comparisons(table, "activation", "seed", by="metric", levels=["relu", "exponential"])) == 2


def test_paired_comparisons_two_keys_and_nan_pairs_dropped():
    rng = np.random.default_rng(1)
    seeds, sequences = [0, 1], [0, 1, 2]
    raw = rng.normal(size=(2, 3))
    corrected = raw + rng.normal(0.3, 0.1, size=(2, 3))
    corrected[1, 2] = np.nan  # pair (seed 1, sequence 2) must be dropped
    rows = [(s, q, "raw", raw[i, j]) for i, s in enumerate(seeds) for j, q in enumerate(sequences)]
    rows += [(s, q, "corrected", corrected[i, j]) for i, s in enumerate(seeds) for j, q in enumerate(sequences)]
    table = pd.DataFrame(rows[::-1], columns=["seed", "sequence", "variant", "value"])
    out = paired_comparisons(table, "variant", ["seed", "sequence"], levels=["raw", "corrected"])
    assert len(out) == 1
    row = out.iloc[0]
    keep = ~np.isnan(corrected.ravel())
    a, b = raw.ravel()[keep], corrected.ravel()[keep]
    assert row["n_pairs"] == 5 and row["paired_by"] == "seed+sequence"
    assert row["mean_a"] == pytest.approx(a.mean()) and row["mean_diff"] == pytest.approx((b - a).mean())
    assert row["p_ttest"] == pytest.approx(stats.ttest_rel(b, a).pvalue)
    assert row["p_wilcoxon"] == pytest.approx(stats.wilcoxon(b, a).pvalue)
    # pairing on seed alone is ambiguous: three sequences share each seed
    with pytest.raises(SeqlensError, match=r"duplicate pair_on key seed="):
        paired_comparisons(table, "variant", ["seed"])


def test_paired_comparisons_duplicate_key_names_group_and_key():
    table = _paired_table()
    dup = table[(table["metric"] == "aupr") & (table["seed"] == 1) & (table["activation"] == "relu")]
    table = pd.concat([table, dup], ignore_index=True)
    with pytest.raises(SeqlensError) as info:
        paired_comparisons(table, "activation", ["seed"], by=["architecture", "metric"])
    message = str(info.value)
    assert "\n" not in message
    assert "seed=1" in message and "activation='relu'" in message
    assert "architecture='cnn', metric='aupr'" in message and "2 rows" in message


def test_paired_comparisons_degenerate_cases_give_nan_without_warnings():
    table = pd.DataFrame({
        "metric": ["one"] * 4 + ["zero"] * 6,
        "seed": [0, 1, 0, 1, 0, 1, 2, 0, 1, 2],
        "activation": ["relu", "relu", "exp", "exp", "relu", "relu", "relu", "exp", "exp", "exp"],
        # "one": seed 1 has NaN under exp -> a single pair; "zero": identical values
        "value": [0.5, 0.6, 0.7, np.nan, 0.1, 0.2, 0.3, 0.1, 0.2, 0.3],
    })
    out = paired_comparisons(table, "activation", "seed", by="metric", correction="holm").set_index("metric")
    one, zero = out.loc["one"], out.loc["zero"]
    assert one["n_pairs"] == 1 and one["mean_diff"] == pytest.approx(0.2)
    assert np.isnan([one["sd_diff"], one["ci_low"], one["t_statistic"], one["p_ttest"], one["p_wilcoxon"]]).all()
    assert zero["n_pairs"] == 3 and zero["mean_diff"] == 0.0 and zero["sd_diff"] == 0.0
    assert np.isnan([zero["t_statistic"], zero["p_ttest"], zero["wilcoxon_statistic"], zero["p_wilcoxon"]]).all()
    assert out[["p_ttest_adjusted", "p_wilcoxon_adjusted"]].isna().all().all()


def test_paired_comparisons_level_missing_in_a_group_gives_zero_pairs():
    table = _paired_table()
    table = table[~((table["metric"] == "aupr") & (table["activation"] == "exponential"))]
    out = paired_comparisons(table, "activation", "seed", by="metric", reference="relu", correction="bonferroni")
    aupr = out[out["metric"] == "aupr"].iloc[0]
    assert aupr["n_pairs"] == 0 and np.isnan(aupr["mean_a"]) and np.isnan(aupr["p_ttest_adjusted"])
    auroc = out[out["metric"] == "auroc"].iloc[0]
    assert auroc["p_ttest_adjusted"] == pytest.approx(auroc["p_ttest"])  # m = 1: NaN left out


def test_paired_comparisons_validation():
    table = _paired_table()
    with pytest.raises(SeqlensError, match="'method'"):
        paired_comparisons(table, "activation", ["seed"], by=["method"])
    with pytest.raises(SeqlensError, match="'sequence'"):
        paired_comparisons(table, "activation", ["seed", "sequence"])
    with pytest.raises(SeqlensError, match="reference 'tanh'"):
        paired_comparisons(table, "activation", "seed", reference="tanh")
    with pytest.raises(SeqlensError, match="not found"):
        paired_comparisons(table, "activation", "seed", levels=["relu", "tanh"])
    with pytest.raises(SeqlensError, match="correction"):
        paired_comparisons(table, "activation", "seed", correction="fdr")
    with pytest.raises(SeqlensError, match="at least two levels"):
        paired_comparisons(table, "activation", "seed", levels=["relu"])
    with pytest.raises(SeqlensError, match="distinct"):
        paired_comparisons(table, "activation", "seed", by=["seed"])


# --- adjust_pvalues and format_mean_sd ------------------------------------------------------

def test_adjust_pvalues_bh_holm_bonferroni_by_hand():
    p = [0.01, 0.04, 0.03, 0.2]
    # BH: sorted 0.01, 0.03, 0.04, 0.2 -> 0.04, 0.04, 0.0533, 0.2; running min from the top
    assert np.allclose(adjust_pvalues(p), [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    # Holm: 4*0.01, 3*0.03, 2*0.04, 1*0.2 = 0.04, 0.09, 0.08 -> 0.09 (running max), 0.2
    assert np.allclose(adjust_pvalues(p, "holm"), [0.04, 0.09, 0.09, 0.2])
    assert np.allclose(adjust_pvalues([0.3, 0.01, 0.5], "bonferroni"), [0.9, 0.03, 1.0])
    assert np.allclose(adjust_pvalues([0.6, 0.4], "holm"), [0.8, 0.8])  # clipped at 1 and monotone
    assert np.allclose(adjust_pvalues([0.6, 0.7], "holm"), [1.0, 1.0])


def test_adjust_pvalues_nan_passthrough_and_validation():
    out = adjust_pvalues([0.01, np.nan, 0.04, 0.03, 0.2, np.nan])
    assert np.isnan(out[[1, 5]]).all()
    assert np.allclose(out[[0, 2, 3, 4]], [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert np.allclose(adjust_pvalues([0.01, 0.02], "none"), [0.01, 0.02])
    assert adjust_pvalues([np.nan], "holm").shape == (1,)
    with pytest.raises(SeqlensError, match="bh"):
        adjust_pvalues([0.1], "bh")
    with pytest.raises(SeqlensError, match=r"\[0, 1\]"):
        adjust_pvalues([0.1, 1.5])


def test_format_mean_sd():
    assert format_mean_sd(0.8123, 0.01349, 10) == "0.812 ± 0.013 (n = 10)"
    assert format_mean_sd(0.8123, float("nan"), 1) == "0.812 (n = 1)"
    assert format_mean_sd(float("nan"), float("nan"), 0) == "-"
    assert format_mean_sd(12.0, 1.25, np.int64(3), digits=1) == "12.0 ± 1.2 (n = 3)"
    with pytest.raises(SeqlensError, match="digits"):
        format_mean_sd(0.5, 0.1, 3, digits=-1)
