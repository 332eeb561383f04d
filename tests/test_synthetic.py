"""Synthetic datasets: the generator's steps, the SPEC 2c distributions, the reference files, the CLI."""

import json

import h5py
import numpy as np
import pandas as pd
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

from seqlens import synthetic
from seqlens.cli import main
from seqlens.data import load_h5, save_h5
from seqlens.errors import MotifError, SeqlensError
from seqlens.motifs import Motif, get_motif, load_jaspar, resolve_motifs

N_DISTRIBUTION = 20_000  # sequences for the distribution checks (SE of a fraction <= 0.005)


# ----------------------------------------------------------------------------------------
# helpers that read ground truth alone (they work on the reference files too)

# Column fingerprints: a PPM occurs at a window when every column's fingerprint matches.
_FINGERPRINT = np.array([1.0, np.pi, np.e, np.sqrt(2.0)])


def ground_truth_runs(ground_truth):
    """(N,) number of runs of non-uniform columns (abutting motifs count as one run)."""
    informative = ~(np.abs(ground_truth - 0.25) <= 1e-6).all(axis=1)
    return informative[:, 0].astype(int) + (informative[:, 1:] & ~informative[:, :-1]).sum(axis=1)


def holds_any(ground_truth, motifs):
    """(N,) True where a sequence model contains one of ``motifs`` (either strand) column for column."""
    prints = np.einsum("nal,a->nl", np.asarray(ground_truth, dtype=np.float64), _FINGERPRINT)
    found = np.zeros(len(prints), dtype=bool)
    for motif in motifs:
        for ppm in (motif.ppm, motif.reverse_complement().ppm):
            target = _FINGERPRINT @ ppm
            width = ppm.shape[1]
            # Check the first column everywhere, then whole windows only where it matched.
            seq, pos = np.nonzero(np.abs(prints[:, : prints.shape[1] - width + 1] - target[0]) < 1e-5)
            windows = sliding_window_view(prints, width, axis=1)[seq, pos]
            found[seq[(np.abs(windows - target) < 1e-5).all(axis=1)]] = True
    return found


def expected_fraction_holding(distribution, n_hit, n_pool):
    """P(at least one of ``n_hit`` pool entries among k uniform draws), averaged over k.

    Ignores the redraw of combinations too wide for the sequence, which is negligible for
    JASPAR widths in 200 nt.
    """
    return sum(p * (1 - (1 - n_hit / n_pool) ** k) for k, p in distribution.items())


def fraction_close(observed, expected, n, z=4.0):
    """|observed - expected| within z binomial standard errors."""
    se = np.sqrt(expected * (1 - expected) / n)
    return abs(observed - expected) <= z * se


def all_splits(dataset, attribute):
    return np.concatenate([getattr(dataset.split(s), attribute) for s in ("train", "valid", "test")])


@pytest.fixture(scope="module")
def code_dataset():
    return synthetic.regulatory_code_dataset(n=N_DISTRIBUTION, seed=1)


@pytest.fixture(scope="module")
def multitask():
    return synthetic.multitask_dataset(n=N_DISTRIBUTION, seed=2)


@pytest.fixture(scope="module")
def core_motifs():
    return resolve_motifs(synthetic.REGULATORY_CODE_CORE)


# ----------------------------------------------------------------------------------------
# the generator


def test_ground_truth_is_background_plus_ppm_columns_at_recorded_sites():
    sim = synthetic.simulate_sequences(["SP1", "MA0062.2", "cebpb"], n=300, seed=0)
    assert sim.X.shape == sim.ground_truth.shape == (300, 4, 200)
    assert sim.X.dtype == sim.ground_truth.dtype == np.float32
    covered = np.zeros((300, 200), dtype=bool)
    for site in sim.motif_sites.itertuples():
        motif = get_motif(site.motif_id)
        ppm = motif.ppm if site.strand == "+" else motif.reverse_complement().ppm
        assert site.motif == motif.name and site.end - site.start == motif.width
        np.testing.assert_allclose(sim.ground_truth[site.sequence, :, site.start : site.end], ppm, atol=1e-7)
        assert not covered[site.sequence, site.start : site.end].any(), "motifs overlap"
        covered[site.sequence, site.start : site.end] = True
    np.testing.assert_array_equal(sim.ground_truth.transpose(0, 2, 1)[~covered], 0.25)
    assert set(sim.motif_sites["strand"]) == {"+", "-"}
    assert (sim.motif_sites["start"] >= 0).all() and (sim.motif_sites["end"] <= 200).all()
    # sites are listed by sequence, then position
    order = sim.motif_sites.sort_values(["sequence", "start"]).index
    np.testing.assert_array_equal(order, sim.motif_sites.index)


def test_sampled_letters_follow_the_sequence_model():
    # one wide low-entropy motif per sequence and a GC-rich background
    sim = synthetic.simulate_sequences(["SRF"], n=6000, motifs_per_seq={1: 1.0}, gc=0.6, seed=3)
    X, model = sim.X, sim.ground_truth
    np.testing.assert_array_equal(X.sum(axis=1), 1)
    # a letter of probability 0 is never drawn
    assert not ((X == 1) & (model == 0)).any()
    # background columns: frequencies (0.2, 0.3, 0.3, 0.2)
    background = (np.abs(model - np.array([0.2, 0.3, 0.3, 0.2])[:, None]) < 1e-7).all(axis=1)
    freq = X.transpose(0, 2, 1)[background].mean(axis=0)
    np.testing.assert_allclose(freq, [0.2, 0.3, 0.3, 0.2], atol=0.003)
    # motif columns: per strand, the letters at the site average to the PPM
    srf = get_motif("SRF")
    for strand, ppm in (("+", srf.ppm), ("-", srf.reverse_complement().ppm)):
        sites = sim.motif_sites[sim.motif_sites["strand"] == strand]
        cut = np.stack([X[s, :, a:b] for s, a, b in zip(sites["sequence"], sites["start"], sites["end"])])
        se = np.sqrt(ppm * (1 - ppm) / len(sites))
        assert (np.abs(cut.mean(axis=0) - ppm) <= 4.5 * se + 1e-9).all()


def test_motif_counts_and_layout_rules():
    sim = synthetic.simulate_sequences(["MAX", "YY1"], n=5000, motifs_per_seq={0: 0.2, 2: 0.3, 5: 0.5}, seed=4)
    counts = np.bincount(sim.n_motifs, minlength=6)
    assert counts[[1, 3, 4]].sum() == 0
    observed = counts[[0, 2, 5]]
    assert stats.chisquare(observed, 5000 * np.array([0.2, 0.3, 0.5])).pvalue > 1e-3
    # motif-free sequences are pure background
    empty = sim.n_motifs == 0
    np.testing.assert_array_equal(sim.ground_truth[empty], 0.25)
    # with forward strands only, all sites are '+'
    forward = synthetic.simulate_sequences(["MAX"], n=50, reverse_complements=False, seed=0)
    assert set(forward.motif_sites["strand"]) == {"+"}


def test_gaps_spread_motifs_over_the_whole_sequence_and_may_abut():
    toy = Motif(name="toy", ppm=np.tile([[1.0], [0.0], [0.0], [0.0]], 10))
    one = synthetic.simulate_sequences([toy], n=4000, length=50, motifs_per_seq={1: 1.0}, reverse_complements=False, seed=5)
    starts = one.motif_sites["start"].to_numpy()
    # R = 40 free positions around one motif: start = rint(40 Z), Z = U0 / (U0 + U1) for
    # uniform weights, whose CDF is z / (2 (1 - z)) below 1/2 and symmetric above
    assert starts.min() == 0 and starts.max() == 40
    cdf_z = lambda z: np.where(z <= 0.5, z / (2 * (1 - np.minimum(z, 0.5))), 1 - (1 - z) / (2 * np.maximum(z, 0.5)))
    edges = np.clip((np.arange(42) - 0.5) / 40, 0, 1)
    expected = np.diff(cdf_z(edges)) * len(starts)
    assert stats.chisquare(np.bincount(starts, minlength=41), expected).pvalue > 1e-3
    assert set(one.motif_sites["motif_id"]) == {""}
    # two motifs in 21 nt leave one free position: every layout abuts somewhere
    tight = synthetic.simulate_sequences([toy], n=200, length=21, motifs_per_seq={2: 1.0}, reverse_complements=False, seed=6)
    starts = tight.motif_sites["start"].to_numpy().reshape(-1, 2)
    assert set(map(tuple, starts)) <= {(0, 10), (0, 11), (1, 11)}
    assert len(set(map(tuple, starts))) == 3


def test_same_seed_same_data_different_seed_different_data():
    a = synthetic.simulate_sequences(synthetic.MULTITASK_TFS, n=200, seed=7)
    b = synthetic.simulate_sequences(synthetic.MULTITASK_TFS, n=200, seed=7)
    c = synthetic.simulate_sequences(synthetic.MULTITASK_TFS, n=200, seed=8)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.ground_truth, b.ground_truth)
    pd.testing.assert_frame_equal(a.motif_sites, b.motif_sites)
    assert not np.array_equal(a.X, c.X)
    d1 = synthetic.regulatory_code_dataset(n=200, seed=3)
    d2 = synthetic.regulatory_code_dataset(n=200, seed=3)
    d3 = synthetic.regulatory_code_dataset(n=200, seed=4)
    np.testing.assert_array_equal(d1.test.X, d2.test.X)
    pd.testing.assert_frame_equal(d1.train.motif_sites, d2.train.motif_sites)
    assert d1.metadata == d2.metadata
    assert not np.array_equal(d1.test.X, d3.test.X)
    assert d1.metadata["background_motifs"] != d3.metadata["background_motifs"]


# ----------------------------------------------------------------------------------------
# SPEC 2c distributions


def test_regulatory_code_distributions(code_dataset, core_motifs):
    ds = code_dataset
    assert (len(ds.train), len(ds.valid), len(ds.test)) == (14_000, 2_000, 4_000)
    assert ds.task_names == ["label"]
    y = all_splits(ds, "y")[:, 0]
    assert y.sum() == N_DISTRIBUTION // 2
    # really shuffled: every split is balanced and labels alternate in row order
    for name in ("train", "valid", "test"):
        labels = ds.split(name).y[:, 0]
        assert fraction_close(labels.mean(), 0.5, len(labels))
        assert np.abs(np.diff(labels)).mean() > 0.4
    # motif counts follow P(k = 3..7)
    counts = np.concatenate([np.bincount(ds.split(s).motif_sites["sequence"], minlength=len(ds.split(s))) for s in ("train", "valid", "test")])
    dist = synthetic.REGULATORY_CODE_MOTIFS_PER_SEQ
    observed = np.array([(counts == k).sum() for k in dist])
    assert observed.sum() == N_DISTRIBUTION
    assert stats.chisquare(observed, N_DISTRIBUTION * np.array(list(dist.values()))).pvalue > 1e-3
    # positives hold only core motifs; ~30% of negatives hold one too
    gt = all_splits(ds, "ground_truth")
    assert holds_any(gt[y == 1], core_motifs).all()
    negatives_with_core = holds_any(gt[y == 0], core_motifs)
    expected = expected_fraction_holding(dist, n_hit=10, n_pool=110)
    assert abs(expected - 0.304) < 0.001
    assert fraction_close(negatives_with_core.mean(), expected, N_DISTRIBUTION // 2)
    # the ground-truth detector agrees exactly with the recorded sites
    core_names = {m.name for m in core_motifs}
    for name in ("train", "test"):
        split = ds.split(name)
        from_sites = np.zeros(len(split), dtype=bool)
        sites = split.motif_sites
        from_sites[sites.loc[sites["motif"].isin(core_names), "sequence"]] = True
        np.testing.assert_array_equal(from_sites, holds_any(split.ground_truth, core_motifs))
    # pools: 10 core PPMs for positives, 110 for negatives
    assert ds.metadata["pool_sizes"] == {"positive": 10, "negative": 110}
    background = {m["id"] for m in ds.metadata["background_motifs"]}
    assert len(background) == 50 and not background & {m.id for m in core_motifs}


def test_multitask_distributions(multitask):
    ds = multitask
    assert ds.task_names == list(synthetic.MULTITASK_TFS)
    y = all_splits(ds, "y")
    counts = np.concatenate([np.bincount(ds.split(s).motif_sites["sequence"], minlength=len(ds.split(s))) for s in ("train", "valid", "test")])
    assert counts.min() == 1  # no motif-free sequences
    dist = synthetic.MULTITASK_MOTIFS_PER_SEQ
    observed = np.array([(counts == k).sum() for k in dist])
    assert stats.chisquare(observed, N_DISTRIBUTION * np.array(list(dist.values()))).pvalue > 1e-3
    expected = expected_fraction_holding(dist, n_hit=2, n_pool=24)
    assert abs(expected - 0.1459) < 0.0005
    for tf, prevalence in zip(ds.task_names, y.mean(axis=0)):
        assert fraction_close(prevalence, expected, N_DISTRIBUTION), tf
    # labels say exactly which TFs the recorded sites hold
    for name in ("train", "test"):
        split = ds.split(name)
        truth = np.zeros_like(split.y)
        sites = split.motif_sites
        truth[sites["sequence"], [ds.task_names.index(m) for m in sites["motif"]]] = 1
        np.testing.assert_array_equal(split.y, truth)


# ----------------------------------------------------------------------------------------
# comparison with the reference files (regenerated with the original code and seeds)


def _read_reference(shared_data, name, n_rows):
    path = shared_data / "reference" / name
    if not path.is_file():
        pytest.skip(f"reference file {path} not found")
    with h5py.File(path, "r") as handle:
        return handle["model_train"][:n_rows], handle["Y_train"][:n_rows]


def _same_distribution(a, b):
    """Chi-square test of homogeneity of two samples of small integers."""
    values = np.union1d(a, b)
    table = np.array([[(a == v).sum() for v in values], [(b == v).sum() for v in values]])
    return stats.chi2_contingency(table).pvalue


def test_regulatory_code_matches_reference(shared_data, code_dataset, core_motifs):
    model, y = _read_reference(shared_data, "synthetic_code_dataset.h5", 8000)
    y = y[:, 0]
    ours_gt, ours_y = code_dataset.train.ground_truth[:8000], code_dataset.train.y[:8000, 0]
    assert fraction_close(y.mean(), ours_y.mean(), len(y))
    assert _same_distribution(ground_truth_runs(model), ground_truth_runs(ours_gt)) > 1e-3
    theirs = holds_any(model[y == 0], core_motifs).mean()
    ours = holds_any(ours_gt[ours_y == 0], core_motifs).mean()
    assert holds_any(model[y == 1], core_motifs).all()
    assert abs(theirs - ours) < 0.03
    # positives cover the same share of positions with motifs (about 21%); for negatives
    # it depends on which 50 background motifs the seed picked
    coverage = [(~(np.abs(g - 0.25) <= 1e-6).all(axis=1)).mean() for g in (model[y == 1], ours_gt[ours_y == 1])]
    assert 0.2 < coverage[0] < 0.22 and abs(coverage[0] - coverage[1]) < 0.004


def test_multitask_matches_reference(shared_data, multitask):
    model, y = _read_reference(shared_data, "synthetic_dataset.h5", 8000)
    ours = multitask.train
    assert _same_distribution(ground_truth_runs(model), ground_truth_runs(ours.ground_truth[:8000])) > 1e-3
    assert abs(y.mean() - ours.y.mean()) < 0.006
    np.testing.assert_allclose(y.mean(axis=0), ours.y.mean(axis=0), atol=0.02)
    # the reference's labels agree with its ground truth for the same TF list
    sp1 = synthetic.MULTITASK_TFS.index("SP1")
    np.testing.assert_array_equal(holds_any(model, [get_motif("SP1")]), y[:, sp1] == 1)


# ----------------------------------------------------------------------------------------
# options, metadata, files


def test_custom_pool_release_background_and_metadata(tmp_path):
    ds = synthetic.regulatory_code_dataset(
        n=120,
        length=120,
        core=["SP1", "MA0058"],
        n_background_motifs=4,
        release=2024,
        motifs_per_seq={"2": 0.5, 3: 0.5},
        background_probs=[0.1, 0.4, 0.4, 0.1],
        reverse_complements=False,
        split=(0.5, 0.25, 0.25),
        seed=11,
    )
    assert (len(ds.train), len(ds.valid), len(ds.test)) == (60, 30, 30)
    md = ds.metadata
    assert md["jaspar_release"] == 2024 and md["seed"] == 11
    assert [m["name"] for m in md["core_motifs"]] == ["SP1", "MAX"]
    assert md["core_motifs"][0]["id"] == get_motif("SP1", release=2024).id
    assert md["pool_sizes"] == {"positive": 2, "negative": 6}
    assert md["motifs_per_seq"] == {"2": 0.5, "3": 0.5}
    assert md["background_probs"] == [0.1, 0.4, 0.4, 0.1]
    jaspar_2024 = {m.id for m in load_jaspar(2024)}
    assert {m["id"] for m in md["background_motifs"]} <= jaspar_2024
    gt = ds.train.ground_truth
    background = (np.abs(gt - np.array([0.1, 0.4, 0.4, 0.1], dtype=np.float32)[:, None]) < 1e-7).all(axis=1)
    assert background.mean() > 0.5
    assert set(ds.train.motif_sites["strand"]) == {"+"}
    json.dumps(md)
    # the seqlens layout keeps everything
    path = save_h5(ds, tmp_path / "code.h5")
    back = load_h5(path)
    assert back.metadata == md and back.task_names == ["label"]
    np.testing.assert_array_equal(back.test.X, ds.test.X)
    np.testing.assert_array_equal(back.test.ground_truth, ds.test.ground_truth)
    pd.testing.assert_frame_equal(back.test.motif_sites, ds.test.motif_sites)


def test_background_candidates_and_generator_seed():
    rng = np.random.default_rng(5)
    ds = synthetic.regulatory_code_dataset(n=60, background_candidates=["ETV5", "KLF5", "MLX", "SP1"], n_background_motifs=2, seed=rng)
    chosen = {m["name"] for m in ds.metadata["background_motifs"]}
    assert len(chosen) == 2 and chosen <= {"ETV5", "KLF5", "MLX"}  # core motifs are never background
    assert ds.metadata["seed"] == "generator"
    negatives = ds.train.motif_sites[ds.train.y[ds.train.motif_sites["sequence"], 0] == 0]
    assert set(negatives["motif"]) <= chosen | set(synthetic.REGULATORY_CODE_CORE)


def test_motif_objects_and_duplicate_names_in_multitask():
    ppm = np.array([[0.7, 0.1], [0.1, 0.7], [0.1, 0.1], [0.1, 0.1]])
    a, b = Motif(name="X", ppm=ppm, id="A1"), Motif(name="X", ppm=ppm[::-1], id="B1")
    ds = synthetic.multitask_dataset(n=100, tfs=[a, b, "YY1"], motifs_per_seq={1: 1.0}, seed=0)
    assert ds.task_names == ["X (A1)", "X (B1)", "YY1"]
    np.testing.assert_array_equal(ds.train.y.sum(axis=1), 1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"motifs": ["SP1"], "length": 11}, MotifError, "width 11 >= sequence length 11"),
        ({"motifs": ["SP1", "MAX"], "length": 40, "motifs_per_seq": {3: 0.5, 4: 0.5}}, MotifError, "4 motifs never fit"),
        ({"motifs": []}, MotifError, "pool is empty"),
        ({"motifs": ["SP1"], "motifs_per_seq": {1: 0.5, 2: 0.4}}, SeqlensError, "sum to 1"),
        ({"motifs": ["SP1"], "motifs_per_seq": {1: 1.2, 2: -0.2}}, SeqlensError, "probability >= 0"),
        ({"motifs": ["SP1"], "motifs_per_seq": {-1: 1.0}}, SeqlensError, "motif counts >= 0"),
        ({"motifs": ["SP1"], "motifs_per_seq": {}}, SeqlensError, "non-empty"),
        ({"motifs": ["SP1"], "background_probs": [0.5, 0.5, 0.5, 0.5]}, SeqlensError, "summing to 1"),
        ({"motifs": ["SP1"], "gc": 1.5}, SeqlensError, "gc must be in"),
        ({"motifs": ["SP1"], "n": -1}, SeqlensError, "n must be"),
        ({"motifs": ["NOT_A_TF"]}, MotifError, "unknown motif name"),
    ],
)
def test_simulate_rejects_impossible_requests(kwargs, error, message):
    kwargs = {"n": 10, **kwargs}
    with pytest.raises(error, match=message) as info:
        synthetic.simulate_sequences(**kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"split": (0.7, 0.2, 0.2)}, "sum to 1"),
        ({"split": (0.7, 0.3)}, "three"),
        ({"split": (0.8, -0.1, 0.3)}, "non-negative"),
        ({"n": 4}, "too small for split"),
        ({"n_background_motifs": 600}, "only"),
        ({"core": ["SP1", "sp1"]}, "twice"),
        ({"exclude_lookalikes": True, "lookalike_statistic": "zscore"}, "statistic"),
    ],
)
def test_dataset_rejects_bad_configuration(kwargs, message):
    with pytest.raises(SeqlensError, match=message):
        synthetic.regulatory_code_dataset(**{"n": 40, **kwargs})


def test_lookalike_filter_flags_the_original_list_and_works(core_motifs):
    candidates = [m for m in load_jaspar(2016) if m.id not in {c.id for c in core_motifs}]
    table = synthetic.find_lookalikes(candidates, core_motifs)
    assert len(table) == len(candidates) == 514
    flagged = set(table.loc[table["is_lookalike"], "motif"])
    original = flagged & set(synthetic.ORIGINAL_LOOKALIKES)
    assert len(original) >= 5, original
    assert {"CEBPG", "KLF5", "ETV5"} <= flagged
    assert 0.05 < table["is_lookalike"].mean() < 0.25  # look-alikes, not everything
    row = table.set_index("motif").loc["CEBPG"]
    assert row["best_reference"] == "CEBPB" and row["p_value"] < 1e-6
    assert (table["q_value"] >= table["p_value"]).all() and (table["e_value"] >= table["p_value"]).all()
    np.testing.assert_allclose(table["e_value"], table["p_value"] * len(candidates))
    # other statistics and thresholds are honoured
    strict = synthetic.find_lookalikes(candidates, core_motifs, statistic="pvalue", threshold=1e-8)
    assert strict["is_lookalike"].sum() < len(flagged)
    # the dataset draws its 50 background motifs from the unflagged ones only
    ds = synthetic.regulatory_code_dataset(n=100, exclude_lookalikes=True, seed=0)
    chosen = {m["name"] for m in ds.metadata["background_motifs"]}
    excluded = {m["name"] for m in ds.metadata["excluded_lookalikes"]}
    assert excluded == flagged and len(chosen) == 50 and not chosen & flagged
    plain = synthetic.regulatory_code_dataset(n=100, seed=0)
    assert plain.metadata["excluded_lookalikes"] == []


# ----------------------------------------------------------------------------------------
# CLI


def test_cli_writes_both_layouts_and_json(tmp_path, capsys):
    out = tmp_path / "code.h5"
    assert main(["simulate", "regulatory-code", "-o", str(out), "--n", "200", "--seed", "3", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["n_sequences"] == 200 and document["layout"] == "seqlens"
    assert document["metadata"]["seed"] == 3
    ds = load_h5(out)
    assert ds.train.motif_sites is not None and ds.metadata["generator"] == "regulatory_code"
    # same seed through the library gives the same file contents
    np.testing.assert_array_equal(ds.test.X, synthetic.regulatory_code_dataset(n=200, seed=3).test.X)

    papers = tmp_path / "multi.h5"
    args = ["simulate", "multitask", "-o", str(papers), "--n", "100", "--layout", "papers", "--motifs", "sp1,MA0058.3"]
    assert main(args + ["--background-gc", "0.6", "--no-reverse-complement", "--motifs-per-seq", "1:0.5,2:0.5"]) == 0
    with h5py.File(papers, "r") as handle:
        # the papers' keys, plus the non-uniform background beside the ground truth
        keys = ("X", "Y", "model", "background")
        assert sorted(handle) == sorted(f"{k}_{s}" for k in keys for s in ("train", "valid", "test"))
        assert handle["Y_train"].shape == (70, 2)
        model = handle["model_train"][()]
        np.testing.assert_allclose(handle["background_test"][()], [0.2, 0.3, 0.3, 0.2])
    assert np.isclose(model, 0.3).any() and not np.isclose(model, 0.25).all(axis=1).any()
    np.testing.assert_allclose(load_h5(papers).test.background, [0.2, 0.3, 0.3, 0.2])
    assert "wrote" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["--background", "0.5,0.5,0.5,0.5"],
        ["--background", "0.25,0.25,0.5"],
        ["--background", "0.25,0.25,0.25,0.25", "--background-gc", "0.5"],
        ["--motifs", "NOT_A_TF"],
        ["--motifs-per-seq", "3=1"],
        ["--split", "0.5,0.5,0.5"],
        ["--layout", "csv"],
    ],
)
def test_cli_reports_bad_input_in_one_line(tmp_path, capsys, args):
    out = tmp_path / "x.h5"
    assert main(["simulate", "multitask", "-o", str(out), "--n", "50", *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    assert not out.exists()


def _no_generation(*args, **kwargs):
    raise AssertionError("the generator ran although an option was invalid")


def test_cli_output_directory_fails_at_once_and_creates_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("seqlens.cli.simulate.regulatory_code_dataset", _no_generation)
    target = tmp_path / "existing"
    target.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["simulate", "regulatory-code", "-o", str(target)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: output file (-o) {target} is a directory; give a file path, e.g. {target / 'out.h5'}"
    assert sorted(p.name for p in tmp_path.iterdir()) == before and not any(target.iterdir())


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--motifs", "NOT_A_TF"], "--motifs: unknown motif name 'NOT_A_TF'"),
        (["--motifs", "SP1,sp1"], "--motifs names motif SP1 (MA0079.3) twice"),
        (["--release", "1999"], "--release: unknown JASPAR release 1999"),
        (["--motifs-per-seq", "1:0.5"], "--motifs-per-seq probabilities must sum to 1"),
        (["--background-gc", "1.5"], "--background-gc must be in [0, 1]"),
        (["--background", "0.5,0.5,0.5,0.5"], "--background: background probabilities"),
        (["--split", "0.5,0.5,0.5"], "--split must be three non-negative fractions"),
        (["--n", "5", "--split", "0.9,0.05,0.05"], "--n 5 is too small for --split 0.9,0.05,0.05"),
        (["--length", "8"], "--length 8 is too short for motif"),
        (["--n", "0"], "--n must be at least 1"),
    ],
)
def test_cli_checks_options_before_generating_and_names_the_flag(tmp_path, capsys, monkeypatch, args, flag):
    monkeypatch.setattr("seqlens.cli.simulate.multitask_dataset", _no_generation)
    out = tmp_path / "x.h5"
    assert main(["simulate", "multitask", "-o", str(out), *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and flag in err, err
    assert not out.exists()


def test_cli_regulatory_code_checks_background_motif_options_first(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("seqlens.cli.simulate.regulatory_code_dataset", _no_generation)
    out = tmp_path / "x.h5"
    for args, message in (
        (["--n-background-motifs", "600"], "--n-background-motifs 600 is more than the 514 other motifs"),
        (["--lookalike-statistic", "zscore"], "--lookalike-statistic must be one of pvalue, evalue, qvalue"),
        (["--motifs", "SP1,NOPE"], "--motifs: unknown motif name 'NOPE'"),
        (["--n", "1"], "--n must be at least 2"),
    ):
        assert main(["simulate", "regulatory-code", "-o", str(out), *args]) == 1
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err, err
    assert not out.exists()
