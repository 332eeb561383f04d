"""GIA experiments on models whose effects are known by construction (exact-match counters),
checked against hand-derived values and a naive embed-and-predict loop."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from seqlens.alphabet import one_hot_encode, random_sequences
from seqlens.errors import SeqlensError
from seqlens.gia import (across_models, copy_effects, effect_matrix, effect_statistics, embed, flank_effects, gc_flank,
                         kmer_effects, kmer_mutagenesis, occlusion_effects, output_effects, pattern_sequences,
                         position_effects, spacing_effects)
from seqlens.models import build, randomized_copy

A = "GATAAGGCTT"  # 10 nt; neither is its own reverse complement
B = "CACGTGTCCA"


def match_conv(pattern: str) -> nn.Conv1d:
    """A convolution that is 1 at every start where ``pattern`` matches exactly (after ReLU), else <= 0."""
    conv = nn.Conv1d(4, 1, len(pattern))
    with torch.no_grad():
        conv.weight.copy_(torch.as_tensor(one_hot_encode(pattern))[None])
        conv.bias.fill_(-(len(pattern) - 1))
    return conv


class Counter(nn.Module):
    """Output ``t``: the number of exact forward-strand matches of ``patterns[t]``."""

    def __init__(self, *patterns):
        super().__init__()
        self.convs = nn.ModuleList(match_conv(p) for p in patterns)

    def forward(self, x):
        return torch.cat([torch.relu(conv(x)).sum(dim=2) for conv in self.convs], dim=1)


class Cooperative(nn.Module):
    """count(A) + count(B) + coop * number of A, B pairs with B starting ``gap`` nt after A's end."""

    def __init__(self, a=A, b=B, gap=5, coop=2.0):
        super().__init__()
        self.conv_a, self.conv_b = match_conv(a), match_conv(b)
        self.shift, self.coop = len(a) + gap, coop

    def forward(self, x):
        ha, hb = torch.relu(self.conv_a(x)), torch.relu(self.conv_b(x))
        pairs = ha[..., : hb.shape[2] - self.shift] * hb[..., self.shift :]
        return (ha.sum(2) + hb.sum(2) + self.coop * pairs.sum(2))


class GCScaled(nn.Module):
    """count(A) times the GC fraction of the whole sequence."""

    def __init__(self):
        super().__init__()
        self.conv = match_conv(A)

    def forward(self, x):
        return torch.relu(self.conv(x)).sum(2) * (x[:, 1] + x[:, 2]).mean(1, keepdim=True)


@pytest.fixture(scope="module")
def nulls():
    return torch.as_tensor(random_sequences(60, 100, seed=3))


def test_position_effects_match_a_naive_loop_on_a_cnn(nulls):
    torch.manual_seed(0)
    model = build("cnn_local", input_length=100, n_outputs=2)
    positions = [0, 17, 45, 90]
    result = position_effects(model, nulls, A, positions=positions, strands=("+", "-"), target=1)
    assert list(result.table["position"]) == positions * 2
    assert list(result.table["strand"]) == ["+"] * 4 + ["-"] * 4
    with torch.no_grad():
        y0 = model.eval()(nulls)[:, 1].double().numpy()
        for row, (strand, position) in enumerate(zip(result.table["strand"], result.table["position"])):
            edited = embed(nulls, pattern_sequences(A, len(nulls), strand), position)
            naive = model(edited)[:, 1].double().numpy() - y0
            np.testing.assert_allclose(result.effects[row], naive, atol=1e-5)
            assert result.table.loc[row, "mean"] == pytest.approx(naive.mean(), abs=1e-6)
    np.testing.assert_allclose(result.null_outputs, y0, atol=1e-6)
    assert {"ci_low", "ci_high", "p_wilcoxon", "p_ttest", "q_wilcoxon", "q_ttest", "cohens_dz"} <= set(result.table)


def test_position_effects_of_a_counter_are_one_everywhere_on_its_strand(nulls):
    result = position_effects(Counter(A), nulls, A, strands=("+", "-"))
    table = result.table
    assert len(table) == 2 * (100 - len(A) + 1)
    forward, reverse = table[table.strand == "+"], table[table.strand == "-"]
    np.testing.assert_allclose(forward["mean"], 1.0, atol=0.05)  # a null may hold a match it loses
    np.testing.assert_allclose(reverse["mean"], 0.0, atol=0.05)
    assert (forward["q_wilcoxon"] < 1e-6).all()


def test_sampled_patterns_report_the_score_effect_correlation(nulls):
    ppm = np.full((4, 6), 0.05)
    ppm[[2, 0, 3, 0, 0, 2], np.arange(6)] = 0.85  # GATAAG with 15% other letters
    model = Counter("GATAAG")
    result = position_effects(model, nulls, ppm, positions=[40], sample=True, seed=1)
    row = result.table.iloc[0]
    assert 0.3 < row["mean"] < 0.6  # P(exact draw) = 0.85**6 = 0.377, plus the nulls' own matches
    assert row["score_spearman"] > 0.5
    again = position_effects(model, nulls, ppm, positions=[40], sample=True, seed=1)
    np.testing.assert_array_equal(again.effects, result.effects)


def test_copy_effects_count_copies_and_marginal_effects(nulls):
    result = copy_effects(Counter(A), nulls, A, copies=(1, 2, 3), gap=4)
    table = result.table
    assert list(table["copies"]) == [1, 2, 3]
    np.testing.assert_allclose(table["mean"], [1, 2, 3], atol=0.05)
    np.testing.assert_allclose(table["marginal"], [1, 1, 1], atol=0.05)
    assert table["positions"].iloc[2] == "31 45 59"  # 3 x 10 nt + 2 x 4 nt = 38, centred in 100
    with pytest.raises(SeqlensError, match="do not fit"):
        copy_effects(Counter(A), nulls, A, copies=(9,), gap=4)


def test_spacing_effects_find_the_cooperative_distance(nulls):
    model = Cooperative(gap=5, coop=2.0)
    result = spacing_effects(model, nulls, A, B, distances=range(0, 21), orientations=("++", "+-"))
    table = result.table.set_index(["orientation", "distance"])
    peak = table.loc[("++", 5)]
    assert peak["mean"] == pytest.approx(4.0, abs=0.1)
    assert peak["interaction"] == pytest.approx(2.0, abs=0.1)
    assert peak["ratio"] == pytest.approx(2.0, abs=0.1)
    assert peak["interaction_ci_low"] > 0
    far = table.loc[("++", 15)]
    assert far["interaction_ci_low"] <= 0 <= far["interaction_ci_high"]
    assert far["ratio"] == pytest.approx(1.0, abs=0.05)
    assert far["effect_a"] == pytest.approx(1.0, abs=0.05) and far["effect_b"] == pytest.approx(1.0, abs=0.05)
    forward = result.table[result.table.orientation == "++"]
    assert forward.loc[forward["interaction"].idxmax(), "distance"] == 5
    reverse = table.loc["+-"]
    np.testing.assert_allclose(reverse["effect_b"], 0.0, atol=0.05)  # B's reverse complement is not counted
    np.testing.assert_allclose(reverse["interaction"], 0.0, atol=0.05)
    assert {"interaction_ci_low", "interaction_ci_high", "q_interaction_wilcoxon"} <= set(result.table)
    assert result.effects.shape == (42, len(nulls))


def test_spacing_rejects_distances_that_run_off_the_sequence(nulls):
    with pytest.raises(SeqlensError, match="runs past the sequence end"):
        spacing_effects(Cooperative(), nulls, A, B, distances=[70], position_a=30)


def test_output_effects_form_a_diagonal_matrix(nulls):
    patterns = [A, B, "TTGACGTCAA"]
    result = output_effects(Counter(*patterns), nulls, patterns, output_names=["a", "b", "c"])
    matrix = effect_matrix(result.table)
    assert list(matrix.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(matrix.to_numpy(), np.eye(3), atol=0.05)


def test_occlusion_of_planted_sites(nulls):
    X = embed(nulls, pattern_sequences(A, len(nulls)), 20).numpy()
    sites = pd.DataFrame({"sequence": np.arange(len(X)).repeat(2), "start": np.tile([20, 60], len(X)),
                          "end": np.tile([30, 70], len(X)), "motif": np.tile(["A", "background"], len(X))})
    result = occlusion_effects(Counter(A), X, sites, method="random", seed=0)
    table = result.table.set_index("motif")
    assert table.loc["A", "mean"] == pytest.approx(-1.0, abs=0.02)
    assert abs(table.loc["background", "mean"]) < 0.05
    assert table.loc["A", "n_sequences"] == len(X)
    with pytest.raises(SeqlensError, match="sites row 0"):
        occlusion_effects(Counter(A), X, sites.assign(end=sites["start"] + 200))


def test_kmer_effects_rank_the_counted_kmer_first(nulls):
    result = kmer_effects(Counter("GAT"), nulls, 3, position=50)
    assert len(result.table) == 64
    assert result.table.iloc[0]["kmer"] == "GAT"
    assert result.table.iloc[0]["mean"] == pytest.approx(1.0, abs=0.1)
    # the vectorised t statistics equal the one-condition function's
    row = effect_statistics(result.effects[5], ci="t")
    for column in ("mean", "sd", "ci_low", "ci_high", "p_ttest", "p_wilcoxon"):
        assert result.table.iloc[5][column] == pytest.approx(row[column], rel=1e-9, nan_ok=True)
    with pytest.raises(SeqlensError, match="k must be <= 8"):
        kmer_effects(Counter("GAT"), nulls, 9)


def test_kmer_mutagenesis_every_substitution_breaks_an_exact_match(nulls):
    result = kmer_mutagenesis(Counter(A), nulls, A, position=30)
    table = result.table
    assert len(table) == 3 * len(A)
    assert list(table["offset"][:3]) == [0, 0, 0] and set(table["letter"][:3]) == {"A", "C", "T"}
    assert (table["reference"] == [A[o] for o in table["offset"]]).all()
    np.testing.assert_allclose(table["mean"], -1.0, atol=0.05)


def test_flank_effects_measure_context_dependence(nulls):
    flanks = [gc_flank(20, 0.9), gc_flank(20, 0.1)]
    result = flank_effects(GCScaled(), nulls, A, flanks, seed=0)
    rich, poor = result.table.iloc[0], result.table.iloc[1]
    assert rich["flank"] == "gc0.9x20"
    assert rich["interaction"] > 0 > poor["interaction"]
    assert rich["interaction_ci_low"] > 0 and poor["interaction_ci_high"] < 0
    additive = flank_effects(Counter(A), nulls, A, flanks, seed=0)
    np.testing.assert_allclose(additive.table["interaction"], 0.0, atol=0.05)
    np.testing.assert_allclose(additive.table["mean"], additive.table["pattern_effect"], atol=0.05)


def test_randomised_models_give_no_consistent_effect_across_seeds(nulls):
    torch.manual_seed(0)
    model = build("cnn_local", input_length=100)
    positions = list(range(0, 91, 10))
    tables = [position_effects(randomized_copy(model, seed), nulls, A, positions=positions).table for seed in range(6)]
    summary = across_models(tables)
    assert list(summary.columns[:3]) == ["experiment", "pattern", "strand"]
    assert (summary["n_models"] == 6).all()
    assert (summary["q_ttest"] > 0.05).all()
    # a single random model can respond "significantly" to the pattern: the across-model test is what tells
    assert min(t["q_wilcoxon"].min() for t in tables) < 0.05


def test_randomized_copy_is_seeded_and_leaves_the_model(nulls):
    torch.manual_seed(0)
    model = build("cnn_local", input_length=100).train()
    before = [p.clone() for p in model.parameters()]
    one, again, other = randomized_copy(model, 1), randomized_copy(model, 1), randomized_copy(model, 2)
    assert model.training and not one.training
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))
    assert all(torch.equal(p, q) for p, q in zip(one.parameters(), again.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(one.parameters(), other.parameters()))


def test_bad_inputs_get_one_line_errors(nulls):
    with pytest.raises(SeqlensError, match="positions must be 0..90"):
        position_effects(Counter(A), nulls, A, positions=[95])
    with pytest.raises(SeqlensError, match="strands must be drawn from"):
        position_effects(Counter(A), nulls, A, strands=("x",))
    with pytest.raises(SeqlensError, match="orientations must be drawn from"):
        spacing_effects(Cooperative(), nulls, A, B, orientations=("+",))
    with pytest.raises(SeqlensError, match="at least 2 null sequences"):
        position_effects(Counter(A), nulls[:1], A)
    with pytest.raises(SeqlensError, match="null_outputs must have shape"):
        position_effects(Counter(A), nulls, A, null_outputs=np.zeros(3))
