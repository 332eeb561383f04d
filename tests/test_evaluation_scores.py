"""Classification and interpretability scores: hand-computed cases and sklearn references."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score

from seqlens.alphabet import one_hot_encode
from seqlens.errors import SeqlensError
from seqlens.evaluation import (
    binary_auroc,
    classification_scores,
    cosine_similarity,
    interpretability_scores,
    position_cosine,
    position_information,
    position_labels,
    position_scores,
    pr_areas,
    signal_to_noise,
    summarize,
)

# --- the hand-built two-motif example -------------------------------------------------------
# 10 positions, sequence ACACGTGTAC; motif 1 = "AC" at positions 2-3, motif 2 = "GT" at 6-7
# (one-hot ground-truth columns, I = 2 bits), background elsewhere (I = 0).
SEQUENCE = "ACACGTGTAC"
MOTIF_POSITIONS = [2, 3, 6, 7]
# Position scores C_i; the map carries each score at the observed letter, so sum(attr * X) = C.
SCORES = np.array([0.1, 0.6, 0.9, 0.5, 0.2, 0.0, 0.7, -0.1, -0.3, 0.3])


def _two_motif_example():
    X = one_hot_encode(SEQUENCE)[None].astype(np.float64)  # (1, 4, 10)
    M = np.full((1, 4, 10), 0.25)
    M[0, :, MOTIF_POSITIONS] = X[0, :, MOTIF_POSITIONS]
    attr = SCORES[None, None, :] * X
    return attr, X, M


def test_two_motif_example_hand_computed():
    attr, X, M = _two_motif_example()
    table = interpretability_scores(attr, X, M)
    row = table.iloc[0]
    assert (row.n_positive, row.n_negative) == (4, 6)
    # AUROC = (P, N) pairs ranked right / 24: 0.9 and 0.7 beat all 6 negatives, 0.5 beats 5
    # (not 0.6), -0.1 beats 1 (-0.3): (6 + 6 + 5 + 1) / 24 = 0.75.
    assert row.auroc == pytest.approx(0.75, abs=1e-12)
    # Ranked: 0.9P 0.7P 0.6N 0.5P 0.3N 0.2N 0.1N 0.0N -0.1P -0.3N. Recall rises at ranks 1, 2,
    # 4, 9 with precision 1, 1, 3/4, 4/9: AP = 0.25 * (1 + 1 + 3/4 + 4/9) = 0.7986111.
    assert row.average_precision == pytest.approx(0.25 * (1 + 1 + 0.75 + 4 / 9), abs=1e-12)
    # Trapezoid over (R, P) from (0, 1): 0.25*1 + 0.25*1 + 0.25*(2/3 + 3/4)/2 (from the point
    # (0.5, 2/3) to (0.75, 3/4)) + 0.25*(3/8 + 4/9)/2 (from (0.75, 3/8) to (1, 4/9)).
    expected = 0.25 + 0.25 + 0.25 * (2 / 3 + 0.75) / 2 + 0.25 * (3 / 8 + 4 / 9) / 2
    assert row.aupr_trapezoid == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.7795139, abs=1e-7)


def test_two_motif_example_cosine_and_snr():
    attr, X, M = _two_motif_example()
    # cos = <attr, M - 0.25> / (|attr| |M - 0.25|). At motif positions the observed letter is
    # the motif letter, where M - 0.25 = 0.75: dot = 0.75 * (0.9 + 0.5 + 0.7 - 0.1) = 1.5.
    # |attr|^2 = sum C^2 = 2.15; |M - 0.25|^2 = 4 columns * (0.75^2 + 3 * 0.25^2) = 3.
    cos = cosine_similarity(attr, M)["cosine"].iloc[0]
    assert cos == pytest.approx(1.5 / np.sqrt(2.15 * 3), abs=1e-12)
    # Per position: a one-letter map at the motif letter has cosine 0.75 / sqrt(0.75) = sqrt(0.75)
    # where its score is positive and -sqrt(0.75) at position 7 (score -0.1); NaN at background.
    per_position = position_cosine(attr, M)[0]
    assert per_position[[2, 3, 6]] == pytest.approx([np.sqrt(0.75)] * 3)
    assert per_position[7] == pytest.approx(-np.sqrt(0.75))
    assert np.isnan(per_position[[0, 1, 4, 5, 8, 9]]).all()
    # SNR: signal = mean(0.9, 0.5, 0.7, -0.1) = 0.5; positive background scores 0.6, 0.3,
    # 0.2, 0.1 (0.0 and -0.3 are not positive): top-20 mean 0.3, top-2 mean 0.45.
    snr = signal_to_noise(attr, X, M)
    assert snr.iloc[0].tolist() == pytest.approx([0.5, 0.3, 4, 0.5 / 0.3])
    assert signal_to_noise(attr, X, M, top_k=2)["snr"].iloc[0] == pytest.approx(0.5 / 0.45)


def test_perfect_and_reversed_maps():
    rng = np.random.default_rng(0)
    X = one_hot_encode(["".join(rng.choice(list("ACGT"), 40)) for _ in range(5)]).astype(np.float64)
    M = np.full(X.shape, 0.25)
    M[:, :, 10:20] = X[:, :, 10:20]
    truth = np.zeros((5, 40))
    truth[:, 10:20] = 1.0
    noise = rng.uniform(0, 0.5, size=(5, 40))
    perfect = interpretability_scores((truth + noise)[:, None, :] * X, X, M)
    assert perfect["auroc"].tolist() == [1.0] * 5
    np.testing.assert_allclose(perfect[["aupr_trapezoid", "average_precision"]], 1.0, atol=1e-12)
    reversed_ = interpretability_scores(-(truth + noise)[:, None, :] * X, X, M)
    assert (reversed_["auroc"] == 0).all()
    # Every positive ranks below every negative: AP = sum_k (1/10) * k / (30 + k), k = 1..10.
    expected_ap = sum(0.1 * k / (30 + k) for k in range(1, 11))
    assert reversed_["average_precision"].to_numpy() == pytest.approx([expected_ap] * 5)


def test_sequences_without_positives_or_negatives_are_nan_and_counted():
    attr, X, M = _two_motif_example()
    X3 = np.concatenate([X, X, X])
    M3 = np.concatenate([M, np.full_like(M, 0.25), X])  # no motif / all motif
    table = interpretability_scores(np.concatenate([attr] * 3), X3, M3)
    assert table["auroc"].iloc[0] == pytest.approx(0.75)
    assert table[["auroc", "aupr_trapezoid", "average_precision"]].iloc[1:].isna().all().all()
    assert table["n_positive"].tolist() == [4, 0, 10] and table["n_negative"].tolist() == [6, 10, 0]
    summary = summarize(table, ["auroc", "average_precision"])
    assert summary.loc["auroc"].tolist() == pytest.approx([0.75, 0.0, 1, 2])


def test_summarize_mean_sd():
    table = pd.DataFrame({"auroc": [0.5, 1.0, np.nan, 0.75], "n_positive": [1, 2, 3, 4]})
    summary = summarize(table)
    assert list(summary.index) == ["auroc"]  # integer columns are counts, not scores
    assert summary.loc["auroc", "mean"] == pytest.approx(0.75)
    assert summary.loc["auroc", "sd"] == pytest.approx(np.std([0.5, 1.0, 0.75]))
    assert (summary.loc["auroc", "n"], summary.loc["auroc", "n_nan"]) == (3, 1)
    with pytest.raises(SeqlensError, match="no column"):
        summarize(table, ["aupr"])


def _column_with_info(p):
    return np.asarray(p, dtype=np.float64)


def test_conventions_and_low_information_columns():
    # Columns: strong (I = 2), mid (0.01 < I <= 0.1), weak (1e-6 < I <= 0.01), background.
    strong, mid, weak = [1.0, 0, 0, 0], [0.4, 0.2, 0.2, 0.2], [0.28, 0.25, 0.25, 0.22]
    M = np.full((1, 4, 8), 0.25)
    M[0, :, 0], M[0, :, 1], M[0, :, 2] = strong, mid, weak
    info = position_information(M)[0]
    assert info[0] == pytest.approx(2.0, abs=1e-8)
    assert 0.01 < info[1] <= 0.1 and 1e-6 < info[2] <= 0.01 and (info[3:] <= 1e-6).all()
    assert position_labels(M, 0.01)[0].tolist() == [1, 1, -1, 0, 0, 0, 0, 0]
    assert position_labels(M, 0.1)[0].tolist() == [1, -1, -1, 0, 0, 0, 0, 0]
    assert position_labels(M, 0.01, low_info="negative")[0].tolist() == [1, 1, 0, 0, 0, 0, 0, 0]
    X = one_hot_encode("AAAACCCC")[None]
    scores = np.array([[5.0, 0.1, 9.0, 1, 2, 3, 4, 0.5]])  # the weak column scores highest
    t002 = interpretability_scores(scores, X, M, convention="002")
    t003 = interpretability_scores(scores, X, M, convention="003")
    assert (t002.n_positive[0], t002.n_negative[0]) == (2, 5)
    assert t002.auroc[0] == pytest.approx(0.5)  # 5.0 beats all 5 negatives, 0.1 beats none
    assert (t003.n_positive[0], t003.n_negative[0]) == (1, 5) and t003.auroc[0] == 1.0
    negative = interpretability_scores(scores, X, M, low_info="negative")
    assert negative.n_negative[0] == 6 and negative.auroc[0] == pytest.approx(5 / 12)
    assert t003.attrs["threshold"] == 0.1 and t002.attrs["threshold"] == 0.01


def test_float32_ground_truth_background_is_not_positive():
    # SPEC 9: with the 1e-10 epsilon, a float64 background column has I ~ 6e-10 > 0, and a
    # float32 one exactly 0; "I > 0" labels differ by dtype. Background must be negative for both.
    attr, X, M = _two_motif_example()
    info64 = position_information(M)
    info32 = position_information(M.astype(np.float32))
    assert (info64[0, [0, 1]] > 0).all()  # what made "I > 0" wrong
    t64 = interpretability_scores(attr, X, M)
    t32 = interpretability_scores(attr.astype(np.float32), X.astype(np.float32), torch.from_numpy(M.astype(np.float32)))
    pd.testing.assert_frame_equal(t64, t32)
    assert t32.n_negative[0] == 6
    np.testing.assert_allclose(info32, info64, atol=1e-9)
    with pytest.raises(SeqlensError, match="threshold"):
        interpretability_scores(attr, X, M, threshold=0.0)


def test_ism_reduction_is_l2_norm_at_observed_letter():
    X = one_hot_encode("ACN")[None].astype(np.float64)  # N is an all-zero column
    attr = np.zeros((1, 4, 3))
    attr[0, :, 0] = [0, 3, -4, 0]  # wild type A: 0; |(3, -4)| = 5
    attr[0, :, 1] = [1, 0, 2, 2]  # |(1, 2, 2)| = 3
    attr[0, :, 2] = [7, 7, 7, 7]
    assert position_scores(attr, X, "l2")[0].tolist() == pytest.approx([5.0, 3.0, 0.0])
    assert position_scores(attr, X, "sum")[0].tolist() == pytest.approx([0.0, 0.0, 0.0])
    with pytest.raises(SeqlensError, match="reduction"):
        position_scores(attr, X, "l1")


@pytest.mark.parametrize("seed", range(5))
def test_ranking_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    labels = rng.random(60) < 0.3
    scores = np.round(rng.normal(size=60), 1)  # rounding makes ties
    precision, recall, _ = precision_recall_curve(labels, scores)
    assert binary_auroc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    trapezoid, ap = pr_areas(labels, scores)
    assert trapezoid == pytest.approx(auc(recall, precision), abs=1e-12)
    assert ap == pytest.approx(average_precision_score(labels, scores), abs=1e-12)


def test_ranking_single_class():
    assert np.isnan(binary_auroc([1, 1], [0.1, 0.2])) and np.isnan(binary_auroc([0, 0], [0.1, 0.2]))
    assert all(np.isnan(pr_areas([0, 0], [0.1, 0.2])))
    assert pr_areas([1, 1], [0.1, 0.2]) == (1.0, 1.0)


def test_classification_scores_hand_case():
    # sklearn's documented example: AUROC 0.75, average precision 0.8333. PR points from (0, 1):
    # (0.5, 1), (0.5, 0.5), (1, 2/3), (1, 0.5): trapezoid 0.5 + 0.5 * (0.5 + 2/3) / 2 = 0.791667.
    y = np.array([[0, 1], [0, 1], [1, 1], [1, 1]])
    s = np.array([[0.1, 0.3], [0.4, 0.1], [0.35, 0.2], [0.8, 0.9]])
    table = classification_scores(y, s, output_names=["task", "single_class"])
    assert table.loc["task", "auroc"] == pytest.approx(0.75)
    assert table.loc["task", "average_precision"] == pytest.approx(5 / 6)
    assert table.loc["task", "aupr_trapezoid"] == pytest.approx(0.5 + 0.5 * (0.5 + 2 / 3) / 2)
    assert table.loc["single_class", ["auroc", "aupr_trapezoid"]].isna().all()
    assert table.loc["task", "n_positive"] == 2
    with pytest.raises(SeqlensError, match="binary"):
        classification_scores([0, 2], [0.1, 0.2])
    with pytest.raises(SeqlensError, match="same non-empty shape"):
        classification_scores([0, 1], [0.1, 0.2, 0.3])


def test_bad_inputs_raise_one_line_errors():
    attr, X, M = _two_motif_example()
    bad_M = M.copy()
    bad_M[0, 0, 0] = 0.9  # column sums to 1.65
    cases = [
        (lambda: interpretability_scores(attr, X, bad_M), "not a probability matrix: sequence 0, position 0"),
        (lambda: interpretability_scores(attr[:, :, :5], X, M), "shape"),
        (lambda: interpretability_scores(attr, X, M, convention="004"), "convention"),
        (lambda: interpretability_scores(attr * np.nan, X, M), "NaN"),
        (lambda: interpretability_scores(attr, X * 2, M), "not one-hot"),
        (lambda: signal_to_noise(attr, X, M, top_k=0), "top_k"),
    ]
    for call, message in cases:
        with pytest.raises(SeqlensError, match=message) as info:
            call()
        assert "\n" not in str(info.value)


def test_reference_dataset_matches_sklearn_per_sequence(shared_data):
    h5py = pytest.importorskip("h5py")
    with h5py.File(shared_data / "reference" / "synthetic_code_dataset.h5", "r") as f:
        X, M = f["X_test"][:150], f["model_test"][:150]
    rng = np.random.default_rng(0)
    attr = rng.normal(size=X.shape) + 2 * (M - 0.25)  # a noisy map that knows the truth
    table = interpretability_scores(attr, X, M, convention="003")
    labels = position_labels(M, 0.1)
    C = np.sum(attr * X, axis=1)
    for n in range(150):
        used = labels[n] >= 0
        y, s = labels[n][used] == 1, C[n][used]
        if y.all() or not y.any():
            assert np.isnan(table.auroc[n])
            continue
        precision, recall, _ = precision_recall_curve(y, s)
        assert table.auroc[n] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
        assert table.aupr_trapezoid[n] == pytest.approx(auc(recall, precision), abs=1e-12)
        assert table.average_precision[n] == pytest.approx(average_precision_score(y, s), abs=1e-12)
    # Background columns of the float64 file are negatives, motif columns above 0.1 bits positives.
    info = position_information(M)
    assert (table.n_negative.to_numpy() == (info <= 1e-6).sum(axis=1)).all()
    assert 0.6 < table.auroc.mean() < 0.9


# ---------------------------------------------------------------------------------------
# a non-uniform background (issue 9): information relative to the background


def test_gc_rich_background_scores_like_a_uniform_one():
    from seqlens import synthetic
    from seqlens.data import background_positions, position_information
    from seqlens.errors import DataFormatError

    uniform = synthetic.regulatory_code_dataset(n=400, seed=5).test
    gc_rich = synthetic.regulatory_code_dataset(n=400, seed=5, gc=0.6).test
    np.testing.assert_allclose(gc_rich.background, [0.2, 0.3, 0.3, 0.2])
    # assuming a uniform background would call every GC-rich position a motif: refused
    with pytest.raises(DataFormatError, match="no ground-truth column equals the background uniform"):
        position_information(gc_rich.ground_truth)
    info = position_information(gc_rich.ground_truth, gc_rich.background)
    # same layout of motifs as the uniform dataset (same seed): the same background positions
    np.testing.assert_array_equal(
        background_positions(gc_rich.ground_truth, gc_rich.background), background_positions(uniform.ground_truth)
    )
    assert info[background_positions(gc_rich.ground_truth, gc_rich.background)].max() < 1e-6
    # KL from the background: a single letter carries -log2(b) bits (2.32 for A at 0.2)
    one_letter = np.zeros((1, 4, 2))
    one_letter[0, 0, 0] = 1
    one_letter[0, :, 1] = [0.2, 0.3, 0.3, 0.2]
    np.testing.assert_allclose(position_information(one_letter, [0.2, 0.3, 0.3, 0.2])[0], [np.log2(5), 0], atol=1e-8)

    # an oracle map (the ground truth's own signal) scores finite and alike on both backgrounds
    def oracle_scores(split):
        from seqlens.evaluation.interpretability import motif_signal

        signal = motif_signal(split.ground_truth, split.background)
        return interpretability_scores(signal, split.X, split.ground_truth, background=split.background)

    on_uniform, on_gc = oracle_scores(uniform), oracle_scores(gc_rich)
    assert on_gc["auroc"].notna().all() and (on_gc["n_negative"] > 0).all()
    # the same motif columns are positives, but for the few low-information PPM columns
    # whose information crosses the 0.01-bit threshold only against one of the backgrounds
    assert (on_gc["n_positive"] - on_uniform["n_positive"]).abs().max() <= 2
    assert abs(on_gc["auroc"].mean() - on_uniform["auroc"].mean()) < 0.05
    cos = cosine_similarity(gc_rich.ground_truth - gc_rich.background[None, :, None], gc_rich.ground_truth,
                            background=gc_rich.background)
    np.testing.assert_allclose(cos["cosine"].dropna(), 1.0)
