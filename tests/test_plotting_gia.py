"""Plots of GIA tables (seqlens.plotting.gia) drawn from real experiment tables of models whose
effects are known by construction (the exact-match counters of tests/test_gia_experiments.py)."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from seqlens import plotting
from seqlens.alphabet import random_sequences
from seqlens.errors import SeqlensError
from seqlens.gia import (copy_effects, effect_matrix, flank_effects, gc_flank, kmer_effects, kmer_mutagenesis,
                         output_effects, position_effects, spacing_effects)

from test_gia_experiments import A, B, Cooperative, Counter, GCScaled

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAST = {"n_resamples": 200}


@pytest.fixture(scope="module")
def nulls():
    return torch.as_tensor(random_sequences(20, 60, seed=3))


@pytest.fixture(scope="module")
def tables(nulls):
    """One small table of every experiment."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="fast ISM is not available")  # the counters' ModuleList
        return _tables(nulls)


def _tables(nulls):
    return {
        "position": position_effects(Counter(A), nulls, A, positions=range(0, 51, 5), strands=("+", "-"), **FAST).table,
        "copies": copy_effects(Counter(A), nulls, A, copies=(1, 2, 3), gap=4, **FAST).table,
        "spacing": spacing_effects(Cooperative(gap=5, coop=2.0), nulls, A, B, distances=range(0, 11),
                                   orientations=("++", "+-"), **FAST).table,
        "outputs": output_effects(Counter(A, B, "TTGACGTCAA"), nulls, [A, B, "TTGACGTCAA"],
                                  output_names=["a", "b", "c"], **FAST).table,
        "kmer": kmer_effects(Counter("GAT"), nulls, 3, position=30).table,
        "mutagenesis": kmer_mutagenesis(Counter("GATAAG"), nulls, "GATAAG", position=20, **FAST).table,
        "flank": flank_effects(GCScaled(), nulls, A, [gc_flank(10, 0.9), gc_flank(10, 0.1)], **FAST).table,
    }


def by_gid(artists, gid):
    return [a for a in artists if a.get_gid() == gid]


def check_saved(tmp_path, draw, name):
    """``draw(path=...)`` writes a valid PNG and SVG and returns their Paths."""
    for suffix in (".png", ".svg"):
        target = tmp_path / f"{name}{suffix}"
        assert draw(path=target) == target
        assert target.stat().st_size > 0
    assert (tmp_path / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    assert ET.parse(tmp_path / f"{name}.svg").getroot().tag.endswith("svg")


def test_position_plot_draws_one_line_and_band_per_strand(tables, tmp_path):
    table = tables["position"]
    ax = plotting.gia_position_plot(table, title="GATA scan")
    assert isinstance(ax, Axes)
    means = by_gid(ax.lines, "mean")
    assert len(means) == 2 and len(by_gid(ax.lines, "zero")) == 1
    assert len(by_gid(ax.collections, "ci")) == 2
    forward = table[table.strand == "+"].sort_values("position")
    np.testing.assert_allclose(means[0].get_xdata(), forward["position"])
    np.testing.assert_allclose(means[0].get_ydata(), forward["mean"])
    # the counter sees the forward strand only: its positions are significant, the reverse ones are not
    (stars,) = by_gid(ax.collections, "significant")
    assert len(stars.get_offsets()) == int((table["q_wilcoxon"] < 0.05).sum()) == len(forward)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["strand +", "strand -", "q < 0.05"]
    assert ax.get_xlabel().startswith("position") and ax.get_title() == "GATA scan"
    check_saved(tmp_path, lambda path: plotting.gia_position_plot(table, path=path), "position")


def test_position_plot_on_a_given_axes_of_one_strand(tables):
    table = tables["position"][tables["position"].strand == "+"]
    ax = Figure().add_subplot()
    assert plotting.gia_position_plot(table, ax=ax) is ax
    assert len(by_gid(ax.lines, "mean")) == 1


def test_copies_plot_has_effect_marginal_and_expectation(tables, tmp_path):
    table = tables["copies"]
    ax = plotting.gia_copies_plot(table)
    assert isinstance(ax, Axes)
    effect, marginal = ax.containers
    np.testing.assert_allclose(effect.lines[0].get_ydata(), table["mean"])
    np.testing.assert_allclose(effect.lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(marginal.lines[0].get_ydata(), table["marginal"])
    (expectation,) = by_gid(ax.lines, "expectation")
    np.testing.assert_allclose(expectation.get_ydata(), [0, 3 * table["mean"].iloc[0]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert ax.get_xlabel() == "copies"
    only = plotting.gia_copies_plot(table, marginal=False, expectation=False)
    assert len(only.containers) == 1 and not by_gid(only.lines, "expectation")
    check_saved(tmp_path, lambda path: plotting.gia_copies_plot(table, path=path), "copies")


def test_spacing_plot_has_a_panel_per_orientation_and_marks_the_cooperative_distance(tables, tmp_path):
    table = tables["spacing"]
    figure = plotting.gia_spacing_plot(table)
    assert isinstance(figure, Figure)
    panels = [ax for ax in figure.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["orientation ++", "orientation +-"]
    forward = table[table.orientation == "++"].sort_values("distance")
    ax = panels[0]
    for gid in ("joint", "additive", "interaction"):
        assert len(by_gid(ax.lines, gid)) == 1
    assert len(by_gid(ax.collections, "joint-ci")) == len(by_gid(ax.collections, "interaction-ci")) == 1
    np.testing.assert_allclose(by_gid(ax.lines, "joint")[0].get_ydata(), forward["mean"])
    np.testing.assert_allclose(by_gid(ax.lines, "additive")[0].get_ydata(), forward["effect_a"] + forward["effect_b"])
    np.testing.assert_allclose(by_gid(ax.lines, "interaction")[0].get_ydata(), forward["interaction"])
    # the cooperative model interacts only at distance 5 in ++
    (stars,) = by_gid(ax.collections, "significant")
    assert stars.get_offsets()[:, 0].tolist() == [5.0]
    assert not by_gid(panels[1].collections, "significant")
    assert panels[0].get_xlabel().startswith("distance")
    check_saved(tmp_path, lambda path: plotting.gia_spacing_plot(table, path=path), "spacing")


def test_spacing_plot_checks_the_axes_it_is_given(tables):
    table = tables["spacing"]
    with pytest.raises(SeqlensError, match="2 matplotlib Axes"):
        plotting.gia_spacing_plot(table, ax=Figure().add_subplot())
    one = table[table.orientation == "++"]
    ax = Figure().add_subplot()
    assert plotting.gia_spacing_plot(one, ax=ax) is ax.get_figure()


def test_output_heatmap_shows_the_effect_matrix(tables, tmp_path):
    table = tables["outputs"]
    ax = plotting.gia_output_heatmap(table)
    assert isinstance(ax, Axes)
    matrix = effect_matrix(table)
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), matrix.to_numpy())
    low, high = ax.images[0].get_clim()
    assert low == -high and high == pytest.approx(np.abs(matrix.to_numpy()).max())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(matrix.index)
    stars = by_gid(ax.texts, "significant")
    assert len(stars) == int((table["q_wilcoxon"] < 0.05).sum()) == 3  # the diagonal
    assert {(round(t.get_position()[0]), round(t.get_position()[1])) for t in stars} == {(0, 0), (1, 1), (2, 2)}
    assert len(ax.get_figure().axes) == 2  # the colourbar
    check_saved(tmp_path, lambda path: plotting.gia_output_heatmap(table, path=path), "outputs")


def test_kmer_plot_lists_the_top_kmers_in_rank_order(tables, tmp_path):
    table = tables["kmer"]
    ax = plotting.gia_kmer_plot(table, top=8)
    assert isinstance(ax, Axes)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(table["kmer"][:8]) and labels[0] == "GAT"
    assert len(ax.patches) == 8
    np.testing.assert_allclose([p.get_width() for p in ax.patches], table["mean"][:8])
    top_bar = ax.patches[0]
    assert top_bar.get_y() + top_bar.get_height() / 2 == pytest.approx(0.0)
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # rank 1 drawn at the top
    shuffled = table.sample(frac=1.0, random_state=0).drop(columns="rank")
    again = plotting.gia_kmer_plot(shuffled, top=8)  # without ranks: sorted by mean (ties in any order)
    assert again.get_yticklabels()[0].get_text() == "GAT"
    np.testing.assert_allclose([p.get_width() for p in again.patches], table["mean"][:8])
    with pytest.raises(SeqlensError, match="top"):
        plotting.gia_kmer_plot(table, top=0)
    check_saved(tmp_path, lambda path: plotting.gia_kmer_plot(table, path=path), "kmer")


def test_effect_bars_label_mutagenesis_variants_and_flanks(tables):
    mutagenesis = tables["mutagenesis"]
    ax = plotting.gia_effect_bars(mutagenesis)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(ax.patches) == 3 * 6
    assert labels[:3] == ["G0A", "G0C", "G0T"]
    np.testing.assert_allclose([p.get_width() for p in ax.patches], mutagenesis["mean"])
    flank = plotting.gia_effect_bars(tables["flank"])
    assert [t.get_text() for t in flank.get_yticklabels()] == ["gc0.9x10", "gc0.1x10"]
    named = plotting.gia_effect_bars(tables["flank"], label="pattern")
    assert {t.get_text() for t in named.get_yticklabels()} == {A}


@pytest.mark.parametrize("experiment, kind", [("position", Axes), ("copies", Axes), ("spacing", Figure),
                                              ("outputs", Axes), ("kmer", Axes), ("mutagenesis", Axes),
                                              ("flank", Axes)])
def test_gia_plot_dispatches_on_the_experiment(tables, tmp_path, experiment, kind):
    table = tables[experiment]
    assert table["experiment"].iloc[0] == experiment
    assert isinstance(plotting.gia_plot(table), kind)
    target = tmp_path / f"{experiment}.png"
    assert plotting.gia_plot(table, path=target) == target
    assert target.read_bytes()[:8] == PNG_MAGIC


def test_gia_plot_rejects_unknown_and_mixed_tables(tables):
    with pytest.raises(SeqlensError, match="no plot for GIA experiment 'grammar'"):
        plotting.gia_plot(tables["copies"].assign(experiment="grammar"))
    mixed = tables["copies"].assign(experiment=["copies", "position", "copies"])
    with pytest.raises(SeqlensError, match="several experiments"):
        plotting.gia_plot(mixed)
    with pytest.raises(SeqlensError, match="'experiment'"):
        plotting.gia_plot(tables["copies"].drop(columns="experiment"))


@pytest.mark.parametrize("experiment, function, column", [
    ("position", "gia_position_plot", "q_wilcoxon"),
    ("position", "gia_position_plot", "position"),
    ("copies", "gia_copies_plot", "ci_high"),
    ("spacing", "gia_spacing_plot", "q_interaction_wilcoxon"),
    ("spacing", "gia_spacing_plot", "effect_b"),
    ("outputs", "gia_output_heatmap", "output_name"),
    ("kmer", "gia_kmer_plot", "kmer"),
    ("mutagenesis", "gia_effect_bars", "ci_low"),
])
def test_a_missing_column_is_named(tables, experiment, function, column):
    with pytest.raises(SeqlensError, match=f"no column '{column}'"):
        getattr(plotting, function)(tables[experiment].drop(columns=column))


def test_bad_inputs_get_clear_errors(tables):
    with pytest.raises(SeqlensError, match="DataFrame"):
        plotting.gia_position_plot(tables["position"].to_dict())
    with pytest.raises(SeqlensError, match="no rows"):
        plotting.gia_copies_plot(tables["copies"].iloc[:0])
    with pytest.raises(SeqlensError, match="alpha"):
        plotting.gia_position_plot(tables["position"], alpha=2)
    doubled = pd.concat([tables["outputs"], tables["outputs"].assign(strand="-")], ignore_index=True)
    with pytest.raises(SeqlensError, match="several rows for pattern"):
        plotting.gia_output_heatmap(doubled)
    with pytest.raises(SeqlensError, match=r"\.png, \.svg or \.pdf"):
        plotting.gia_kmer_plot(tables["kmer"], path="kmers.jpg")
