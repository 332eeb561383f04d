"""seqlens.gia: null sequences (counts kept exactly, profiles matched) and their diagnostics,
patterns to embed, and the statistics of paired effects (checked by hand)."""

import numpy as np
import pytest
import torch
from scipy import stats

from seqlens.alphabet import decode, one_hot_encode, random_sequences
from seqlens.errors import MotifError, SequenceError
from seqlens.gia import (DINUCLEOTIDES, as_pattern, dinucleotide_frequencies, drop_extreme_nulls, effect_statistics,
                         effect_table, embed, gc_content, null_diagnostics, null_sequences, pattern_sequences)
from seqlens.motifs import Motif, write_meme


def _gc_rich(n=300, length=80, seed=1):
    return random_sequences(n, length, gc=0.65, seed=seed)


def _pair_counts(X):
    return np.einsum("nal,nbl->nab", X[:, :, :-1], X[:, :, 1:]).reshape(len(X), 16)


def test_dinuc_nulls_keep_each_source_dinucleotide_counts_and_ends():
    X = _gc_rich()
    nulls, sources = null_sequences(X, 200, method="dinuc", seed=3, return_sources=True)
    assert nulls.shape == (200, 4, 80) and nulls.dtype == np.float32
    assert len(set(sources.tolist())) == 200  # without replacement when n <= N
    np.testing.assert_array_equal(_pair_counts(nulls), _pair_counts(X[sources]))
    np.testing.assert_array_equal(nulls[:, :, 0], X[sources][:, :, 0])
    np.testing.assert_array_equal(nulls[:, :, -1], X[sources][:, :, -1])
    assert (nulls != X[sources]).any(axis=(1, 2)).mean() > 0.95  # really shuffled


def test_shuffle_nulls_keep_nucleotide_counts_and_repeat_sources_only_when_needed():
    X = _gc_rich(n=50)
    nulls, sources = null_sequences(X, 120, method="shuffle", seed=0, return_sources=True)
    np.testing.assert_array_equal(nulls.sum(axis=2), X[sources].sum(axis=2))
    assert len(sources) == 120 and len(set(sources.tolist())) <= 50


def test_profile_nulls_follow_the_position_specific_frequencies():
    X = _gc_rich(n=400, length=30)
    X[:, :, 0] = [1, 0, 0, 0]  # position 0 is always A
    X[:200, :, 5] = [0, 0, 0, 1]  # position 5: half T, half as sampled
    nulls = null_sequences(X, 20000, method="profile", seed=0)
    assert (nulls[:, 0, 0] == 1).all()
    np.testing.assert_allclose(nulls.mean(axis=0), X.mean(axis=0), atol=0.015)
    assert np.isclose(gc_content(nulls).mean(), gc_content(X).mean(), atol=0.005)


def test_real_nulls_are_data_rows_and_cannot_repeat():
    X = _gc_rich(n=40)
    nulls, sources = null_sequences(X, 40, method="real", seed=0, return_sources=True)
    np.testing.assert_array_equal(nulls, X[sources])
    assert sorted(sources.tolist()) == list(range(40))
    with pytest.raises(SequenceError, match="real nulls: asked for 41 but the background set has 40"):
        null_sequences(X, 41, method="real")


def test_nulls_are_seeded_and_keep_the_input_kind():
    X = _gc_rich(n=30)
    a = null_sequences(X, 10, seed=5)
    np.testing.assert_array_equal(a, null_sequences(X, 10, seed=5))
    assert not np.array_equal(a, null_sequences(X, 10, seed=6))
    t = null_sequences(torch.from_numpy(X), 10, seed=5)
    assert isinstance(t, torch.Tensor)
    np.testing.assert_array_equal(t.numpy(), a)


def test_bad_null_requests_say_what_is_wrong():
    X = _gc_rich(n=5)
    with pytest.raises(SequenceError, match="unknown null method 'dinuk'; did you mean 'dinuc'"):
        null_sequences(X, 3, method="dinuk")
    with pytest.raises(SequenceError, match="background sequences: the set is empty"):
        null_sequences(X[:0], 3)
    with pytest.raises(SequenceError, match="not one-hot"):
        null_sequences(X * 2, 3)
    N = np.zeros((2, 4, 6), dtype=np.float32)
    with pytest.raises(SequenceError, match="position 0 is N in every background sequence"):
        null_sequences(N, 3, method="profile")


def test_gc_content_and_dinucleotide_frequencies_by_hand():
    X = one_hot_encode(["AACGT", "GGCCN"])
    np.testing.assert_allclose(gc_content(X), [2 / 5, 1.0])
    freq = dinucleotide_frequencies(X)
    expected = np.zeros(16)
    for pair in ("AA", "AC", "CG", "GT"):
        expected[DINUCLEOTIDES.index(pair)] = 0.25
    np.testing.assert_allclose(freq[0], expected)
    second = np.zeros(16)
    for pair in ("GG", "GC", "CC"):  # the pair with N does not count
        second[DINUCLEOTIDES.index(pair)] = 1 / 3
    np.testing.assert_allclose(freq[1], second)


def test_diagnostics_warn_on_the_gc_mirage_and_not_on_matched_nulls():
    X = _gc_rich(n=500)
    uniform = random_sequences(500, 80, seed=2)
    mirage = null_diagnostics(uniform, X)
    assert mirage["gc_difference"] == pytest.approx(0.5 - 0.65, abs=0.01)
    assert any("GC content" in w for w in mirage["warnings"])
    matched = null_diagnostics(null_sequences(X, 500, seed=0), X)
    assert matched["gc_difference"] == pytest.approx(0.0, abs=1e-9)  # dinucleotide shuffles keep GC
    assert matched["warnings"] == []


def test_diagnostics_compare_prediction_distributions():
    rng = np.random.default_rng(0)
    X = _gc_rich(n=400)
    same = null_diagnostics(X, X, rng.normal(size=400), rng.normal(size=400))
    assert same["prediction_ks_p"] > 0.01 and same["warnings"] == []
    shifted = null_diagnostics(X, X, rng.normal(1.0, 1, size=400), rng.normal(size=400))
    assert shifted["prediction_difference"] == pytest.approx(1.0, abs=0.2)
    assert any("predictions on the nulls differ" in w for w in shifted["warnings"])
    with pytest.raises(SequenceError, match="for both the nulls and the data"):
        null_diagnostics(X, X, rng.normal(size=400))


def test_drop_extreme_nulls_by_quantile():
    nulls = _gc_rich(n=100)
    kept, rows = drop_extreme_nulls(nulls, np.arange(100.0), upper=0.9)
    assert rows.tolist() == list(range(90))  # the 0.9 quantile of 0..99 is 89.1
    np.testing.assert_array_equal(kept, nulls[:90])
    _, rows = drop_extreme_nulls(nulls, np.arange(100.0), upper=1.0, lower=0.1)
    assert rows.tolist() == list(range(10, 100))
    with pytest.raises(SequenceError, match="3 predictions for 100 nulls"):
        drop_extreme_nulls(nulls, [1.0, 2.0, 3.0])


# --- patterns ---------------------------------------------------------------------------------



def test_consensus_patterns_on_both_strands_and_embedded_in_place():
    pattern = as_pattern("gggcgg")
    assert pattern.name == "GGGCGG" and pattern.width == 6
    forward = pattern_sequences(pattern, 3)
    reverse = pattern_sequences(pattern, 3, strand="-")
    assert decode(forward) == ["GGGCGG"] * 3 and decode(reverse) == ["CCGCCC"] * 3
    X = one_hot_encode(["AAAAAAAAAA", "TTTTTTTTTT"])
    out = embed(X, forward[:2], 2)
    assert decode(out) == ["AAGGGCGGAA", "TTGGGCGGTT"]
    assert decode(X) == ["AAAAAAAAAA", "TTTTTTTTTT"]  # the input is not changed
    assert decode(embed(torch.from_numpy(X), forward[0], 4)) == ["AAAAGGGCGG", "TTTTGGGCGG"]
    with pytest.raises(SequenceError, match="width 6 at position 5 runs past the sequence end"):
        embed(X, forward[0], 5)


def test_sampled_patterns_follow_the_ppm_and_are_seeded():
    ppm = np.array([[0.7, 0.0], [0.1, 1.0], [0.1, 0.0], [0.1, 0.0]])
    draws = pattern_sequences(ppm, 5000, sample=True, seed=1)
    np.testing.assert_allclose(draws.mean(axis=0), ppm, atol=0.02)
    np.testing.assert_array_equal(draws, pattern_sequences(ppm, 5000, sample=True, seed=1))
    assert decode(pattern_sequences(ppm, 1)) == ["AC"]  # the consensus


def test_patterns_from_meme_files_and_jaspar(tmp_path):
    path = write_meme([Motif("MYB", np.array([[0.9, 0.1], [0.1, 0.9], [0.0, 0.0], [0.0, 0.0]]), id="M1")],
                      tmp_path / "m.meme")
    assert as_pattern(f"{path}:MYB").width == 2
    assert as_pattern(f"{path}:M1").name == "MYB"
    with pytest.raises(MotifError, match="no motif named 'MYC'; did you mean 'MYB'"):
        as_pattern(f"{path}:MYC")
    sp1 = as_pattern("MA0079.3")
    assert sp1.name == "SP1" and sp1.width == 11
    with pytest.raises(MotifError, match="pattern array must have shape"):
        as_pattern(np.ones((3, 4)) / 3)
    with pytest.raises(SequenceError, match="strand must be"):
        pattern_sequences("ACG", 1, strand="+1")


# --- effect statistics ------------------------------------------------------------------------

def test_effect_statistics_by_hand():
    row = effect_statistics([1.0, 2.0, 3.0, 4.0, 5.0], seed=0)
    assert row["n"] == 5 and row["mean"] == 3.0
    assert row["sd"] == pytest.approx(np.sqrt(2.5)) and row["se"] == pytest.approx(np.sqrt(2.5 / 5))
    assert row["cohens_dz"] == pytest.approx(3 / np.sqrt(2.5))
    t = 3 / np.sqrt(0.5)  # 4.243 on 4 degrees of freedom
    assert row["p_ttest"] == pytest.approx(2 * stats.t.sf(t, 4))
    assert row["p_wilcoxon"] == pytest.approx(2 / 32)  # exact: all 5 signs positive
    assert 1.0 <= row["ci_low"] < 3.0 < row["ci_high"] <= 5.0


def test_bootstrap_interval_matches_the_t_interval_on_a_large_normal_sample():
    values = np.random.default_rng(0).normal(0.5, 1.0, size=2000)
    row = effect_statistics(values, seed=0)
    half = 1.96 * values.std(ddof=1) / np.sqrt(2000)
    assert row["ci_low"] == pytest.approx(values.mean() - half, abs=0.01)
    assert row["ci_high"] == pytest.approx(values.mean() + half, abs=0.01)
    assert effect_statistics(values, seed=0) == row  # seeded


def test_effects_without_spread_and_the_benjamini_hochberg_family():
    zero = effect_statistics(np.zeros(50))
    assert zero["mean"] == 0 and zero["ci_low"] == zero["ci_high"] == 0 and np.isnan(zero["p_wilcoxon"])
    rng = np.random.default_rng(3)
    conditions = [({"position": p}, rng.normal(mu, 1.0, size=200)) for p, mu in enumerate([0.0, 0.0, 1.0])]
    table = effect_table(conditions, seed=0)
    assert table["position"].tolist() == [0, 1, 2]
    p = table["p_wilcoxon"].to_numpy()
    order = np.argsort(p)
    ranked = p[order] * 3 / np.arange(1, 4)
    expected = np.minimum.accumulate(ranked[::-1])[::-1]
    np.testing.assert_allclose(table["q_wilcoxon"].to_numpy()[order], np.minimum(expected, 1))
    assert table.loc[2, "q_wilcoxon"] < 1e-10 and table.loc[2, "ci_low"] > 0.8
