"""Grammar tasks (seqlens.synthetic.grammar): the label follows the rule on every sequence,
the rule is in the metadata (and survives HDF5), letters follow the ground truth, bad
settings are refused on one line, and the CLI and study files reach the generators."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from seqlens import synthetic
from seqlens.cli import main
from seqlens.data import load_h5, save_h5
from seqlens.errors import SeqlensError
from seqlens.experiments import parse_study
from seqlens.experiments.study import GENERATORS
from seqlens.motifs import resolve_motifs

N = 2000


def whole(ds):
    """``(y (N,), sites)`` of all three splits, sequences renumbered consecutively."""
    ys, tables, offset = [], [], 0
    for name in ("train", "valid", "test"):
        split = ds.split(name)
        ys.append(split.y[:, 0])
        tables.append(split.motif_sites.assign(sequence=split.motif_sites["sequence"] + offset))
        offset += len(split)
    return np.concatenate(ys), pd.concat(tables, ignore_index=True)


def per_sequence(sites, n):
    """The sites of each sequence as a list of records (dicts), in order of start."""
    out = [[] for _ in range(n)]
    for record in sites.sort_values(["sequence", "start"]).to_dict("records"):
        out[record["sequence"]].append(record)
    return out


def having(seq, key, value):
    return [site for site in seq if site[key] == value]


@pytest.fixture(scope="module")
def cooperative():
    return synthetic.cooperative_pair_dataset(n=N, spacing=12, tolerance=2, orientation="+-", max_spacing=40,
                                              distractors=["MAX", "YY1"], seed=1)


@pytest.fixture(scope="module")
def ordered():
    return synthetic.ordered_pair_dataset(n=N, seed=2)


@pytest.fixture(scope="module")
def repressor():
    return synthetic.repressor_dataset(n=N, distance=15, distractors=["SP1"], seed=3)


@pytest.fixture(scope="module")
def count():
    return synthetic.count_threshold_dataset(n=N, threshold=3, max_copies=5, seed=4)


# ----------------------------------------------------------------------------------------
# the rule holds exactly, re-derived sequence by sequence from the site table


def test_cooperative_pair_rule_holds_on_every_sequence(cooperative):
    y, sites = whole(cooperative)
    rule = cooperative.metadata["rule"]
    assert rule["task"] == "cooperative-pair" and rule["motif_a"] == "Gata1" and rule["motif_b"] == "TAL1::TCF3"
    assert (rule["spacing"], rule["tolerance"], rule["orientation"]) == (12, 2, "+-")
    kinds = []
    for label, seq in zip(y, per_sequence(sites, len(y))):
        a = having(seq, "role", "motif_a")
        b = having(seq, "role", "motif_b")
        assert all(s["motif"] == "Gata1" for s in a) and all(s["motif"] == "TAL1::TCF3" for s in b)
        assert len(a) <= 1 and len(b) <= 1 and len(a) + len(b) >= 1
        assert {s["motif"] for s in having(seq, "role", "distractor")} <= {"MAX", "YY1"}
        if len(a) and len(b):
            a, b = a[0], b[0]
            gap = b["start"] - a["end"]
            holds = gap >= 0 and abs(gap - 12) <= 2 and a["strand"] == "+" and b["strand"] == "-"
            assert holds == (label == 1)
            if not holds:
                if b["end"] <= a["start"]:
                    kinds.append("order")
                    assert abs(a["start"] - b["end"] - 12) <= 2 and (a["strand"], b["strand"]) == ("+", "-")
                elif (a["strand"], b["strand"]) != ("+", "-"):
                    kinds.append("orientation")
                    assert abs(gap - 12) <= 2
                else:
                    kinds.append("spacing")
                    assert 0 <= gap <= 40 and abs(gap - 12) > 2
        else:
            assert label == 0
            kinds.append("a-only" if len(a) else "b-only")
            assert all(s["strand"] == "+" for s in a) and all(s["strand"] == "-" for s in b)
    # decoy kinds in about their default shares
    shares = pd.Series(kinds).value_counts(normalize=True)
    for kind, share in synthetic.COOPERATIVE_DECOYS.items():
        assert abs(shares[kind] - share) < 0.05, (kind, shares[kind])
    # sites never overlap
    for seq in per_sequence(sites, len(y)):
        assert all(later["start"] >= earlier["end"] for earlier, later in zip(seq, seq[1:]))


def test_ordered_pair_rule_holds_on_every_sequence(ordered):
    y, sites = whole(ordered)
    gaps = {1: [], 0: []}
    strands = {1: [], 0: []}
    for label, seq in zip(y, per_sequence(sites, len(y))):
        a = having(seq, "motif", "SP1")
        b = having(seq, "motif", "CEBPB")
        assert len(a) == 1 and len(b) == 1 and len(seq) == 2
        a, b = a[0], b[0]
        assert (a["end"] <= b["start"]) == (label == 1)
        assert (b["end"] <= a["start"]) == (label == 0)
        gaps[int(label)].append(max(b["start"] - a["end"], a["start"] - b["end"]))
        strands[int(label)].append(a["strand"] + b["strand"])
    # same gap and strand distributions in both classes: only the order tells them apart
    assert abs(np.mean(gaps[1]) - np.mean(gaps[0])) < 8
    for pair in synthetic.ORIENTATIONS:
        assert abs(strands[1].count(pair) / len(strands[1]) - strands[0].count(pair) / len(strands[0])) < 0.06
    assert ordered.metadata["rule"] == {
        "task": "ordered-pair", "motif_a": "SP1", "motif_a_id": "MA0079.3", "motif_b": "CEBPB",
        "motif_b_id": "MA0466.2", "order": "motif_a upstream of motif_b",
        "label": ordered.metadata["rule"]["label"],
    }


def test_repressor_rule_holds_on_every_sequence(repressor):
    y, sites = whole(repressor)
    kinds = []
    for label, seq in zip(y, per_sequence(sites, len(y))):
        act = having(seq, "motif", "CEBPB")
        rep = having(seq, "motif", "YY1")
        assert len(act) <= 1 and len(rep) <= 1
        assert all(s["motif"] == "SP1" for s in having(seq, "role", "distractor"))
        if len(act) and len(rep):
            act, rep = act[0], rep[0]
            gap = max(rep["start"] - act["end"], act["start"] - rep["end"])
            assert gap >= 0
            assert (gap > 15) == (label == 1)
            kinds.append("far" if label else "near")
        elif len(act):
            assert label == 1
            kinds.append("alone")
        else:
            assert len(rep) == 1 and label == 0
            kinds.append("no-activator")
    shares = pd.Series(kinds).value_counts()
    assert abs(shares["far"] / (N // 2) - 0.5) < 0.06
    assert abs(shares["near"] / (N // 2) - 0.75) < 0.06
    assert repressor.metadata["rule"]["distance"] == 15


def test_count_threshold_rule_holds_on_every_sequence(count):
    y, sites = whole(count)
    copies = np.bincount(sites.loc[sites["motif"] == "SP1", "sequence"], minlength=len(y))
    assert ((copies >= 3) == (y == 1)).all()
    assert set(copies[y == 1]) == {3, 4, 5}
    assert set(copies[y == 0]) == {1, 2}
    assert (sites["role"] == "motif").all()
    threshold_one = synthetic.count_threshold_dataset(n=200, threshold=1, max_copies=2, seed=0)
    y1, sites1 = whole(threshold_one)
    copies1 = np.bincount(sites1["sequence"], minlength=len(y1))
    assert set(copies1[y1 == 0]) == {0} and set(copies1[y1 == 1]) == {1, 2}


@pytest.mark.parametrize("name", ["cooperative", "ordered", "repressor", "count"])
def test_rule_labels_give_the_labels_and_classes_are_balanced(name, request):
    ds = request.getfixturevalue(name)
    y, sites = whole(ds)
    assert y.sum() == N // 2 and len(y) == N
    np.testing.assert_array_equal(synthetic.rule_labels(ds.metadata["rule"], sites, len(y)), y == 1)
    for split in ("train", "valid", "test"):  # per split too, and the splits are shuffled
        part = ds.split(split)
        np.testing.assert_array_equal(synthetic.rule_labels(ds.metadata["rule"], part.motif_sites, len(part)), part.y[:, 0] == 1)
    assert 0.4 < ds.train.y.mean() < 0.6 and ds.task_names == ["label"]
    assert list(ds.train.motif_sites.columns) == ["sequence", "motif", "motif_id", "strand", "start", "end", "role"]


def test_rule_labels_on_a_hand_made_table():
    rule = {"task": "cooperative-pair", "motif_a": "A", "motif_b": "B", "spacing": 5, "tolerance": 1, "orientation": "+-"}
    sites = pd.DataFrame({
        "sequence": [0, 0, 1, 1, 2, 2, 3],
        "motif": ["A", "B", "A", "B", "B", "A", "A"],
        "strand": ["+", "-", "+", "+", "-", "+", "+"],
        "start": [0, 16, 0, 15, 0, 16, 3],
        "end": [10, 26, 10, 25, 10, 26, 13],
    })
    # 0: gap 6 in +-; 1: right gap, wrong strand; 2: B upstream; 3: A alone; 4: no site
    np.testing.assert_array_equal(synthetic.rule_labels(rule, sites, 5), [True, False, False, False, False])
    repress = {"task": "repressor", "activator": "A", "repressor": "B", "distance": 6}
    np.testing.assert_array_equal(synthetic.rule_labels(repress, sites, 5), [False, False, False, True, False])
    ordered = {"task": "ordered-pair", "motif_a": "A", "motif_b": "B"}
    np.testing.assert_array_equal(synthetic.rule_labels(ordered, sites, 5), [True, True, False, False, False])
    counted = {"task": "count-threshold", "motif": "A", "threshold": 1}
    np.testing.assert_array_equal(synthetic.rule_labels(counted, sites, 5), [True, True, True, True, False])
    with pytest.raises(SeqlensError, match="unknown rule task 'cooperative'"):
        synthetic.rule_labels({"task": "cooperative"}, sites, 5)


# ----------------------------------------------------------------------------------------
# ground truth and sampled letters


def test_ground_truth_holds_the_ppms_and_letters_follow_it(cooperative):
    split = cooperative.train
    gata, tal = resolve_motifs(["Gata1", "TAL1::TCF3"])
    ppm = {("Gata1", "+"): gata.ppm, ("Gata1", "-"): gata.reverse_complement().ppm,
           ("TAL1::TCF3", "+"): tal.ppm, ("TAL1::TCF3", "-"): tal.reverse_complement().ppm}
    motif_columns = np.zeros((len(split), split.length), dtype=bool)
    letters = {key: [] for key in ppm}
    for row in split.motif_sites.itertuples():
        motif_columns[row.sequence, row.start:row.end] = True
        key = (row.motif, row.strand)
        if key in ppm:
            np.testing.assert_allclose(split.ground_truth[row.sequence, :, row.start:row.end], ppm[key] / ppm[key].sum(0), atol=1e-6)
            letters[key].append(split.X[row.sequence, :, row.start:row.end])
    background = split.ground_truth.transpose(0, 2, 1)[~motif_columns]
    np.testing.assert_allclose(background, 0.25)
    for key in [("Gata1", "+"), ("TAL1::TCF3", "-")]:  # the rule strands: hundreds of sites each
        observed = np.mean(letters[key], axis=0)
        assert len(letters[key]) > 400
        np.testing.assert_allclose(observed, ppm[key] / ppm[key].sum(0), atol=0.07)
    # background letters uniform
    X_background = split.X.transpose(0, 2, 1)[~motif_columns]
    np.testing.assert_allclose(X_background.mean(axis=0), 0.25, atol=0.01)


def test_gc_background_and_forward_only_strands():
    ds = synthetic.count_threshold_dataset(n=300, threshold=2, gc=0.6, reverse_complements=False, seed=0)
    assert (ds.train.motif_sites["strand"] == "+").all()
    np.testing.assert_allclose(ds.train.background, [0.2, 0.3, 0.3, 0.2])
    assert ds.metadata["background_probs"] == pytest.approx([0.2, 0.3, 0.3, 0.2])
    assert ds.metadata["reverse_complements"] is False


# ----------------------------------------------------------------------------------------
# determinism, metadata, HDF5


@pytest.mark.parametrize("make", [synthetic.cooperative_pair_dataset, synthetic.ordered_pair_dataset,
                                  synthetic.repressor_dataset, synthetic.count_threshold_dataset])
def test_same_seed_same_arrays(make):
    a, b, c = make(n=200, seed=5), make(n=200, seed=5), make(n=200, seed=6)
    for name in ("train", "test"):
        np.testing.assert_array_equal(a.split(name).X, b.split(name).X)
        np.testing.assert_array_equal(a.split(name).y, b.split(name).y)
        pd.testing.assert_frame_equal(a.split(name).motif_sites, b.split(name).motif_sites)
    assert not np.array_equal(a.train.X, c.train.X)
    assert a.metadata == b.metadata and a.metadata["seed"] == 5 and c.metadata["seed"] == 6


@pytest.mark.parametrize("layout", ["seqlens", "papers"])
def test_rule_survives_an_hdf5_round_trip(cooperative, repressor, tmp_path, layout):
    for ds in (cooperative, repressor):
        path = save_h5(ds, tmp_path / f"{ds.metadata['generator']}.h5", layout=layout)
        back = load_h5(path)
        assert back.metadata["rule"] == ds.metadata["rule"]
        assert json.loads(json.dumps(ds.metadata)) == ds.metadata
        np.testing.assert_array_equal(back.test.y, ds.test.y)
        if layout == "seqlens":
            pd.testing.assert_frame_equal(back.test.motif_sites, ds.test.motif_sites)
            np.testing.assert_array_equal(
                synthetic.rule_labels(back.metadata["rule"], back.test.motif_sites, len(back.test)), back.test.y[:, 0] == 1
            )


def test_metadata_records_the_settings(cooperative):
    meta = cooperative.metadata
    assert meta["generator"] == "cooperative_pair"
    assert meta["rule"]["spacing_definition"].startswith("start of motif_b minus end (exclusive) of motif_a")
    assert meta["max_spacing"] == 40 and meta["decoys"] == dict(synthetic.COOPERATIVE_DECOYS)
    assert [m["name"] for m in meta["distractors"]] == ["MAX", "YY1"]
    assert [m["name"] for m in meta["rule_motifs"]] == ["Gata1", "TAL1::TCF3"]
    assert meta["distractors_per_seq"] == {"0": 0.25, "1": 0.5, "2": 0.25}


def test_default_max_spacing_is_the_largest_that_fits():
    ds = synthetic.cooperative_pair_dataset(n=400, length=100, spacing=5, tolerance=1, seed=0)
    assert ds.metadata["max_spacing"] == 100 - 1 - 11 - 12
    _, sites = whole(ds)
    assert sites["end"].max() <= 100


# ----------------------------------------------------------------------------------------
# bad settings


@pytest.mark.parametrize(
    "make, kwargs, message",
    [
        (synthetic.cooperative_pair_dataset, {"spacing": 190}, r"spacing=190 \+ tolerance=2 with motifs of total width 23 needs 215 nt, which does not fit in length 200"),
        (synthetic.cooperative_pair_dataset, {"tolerance": -1}, "tolerance must be an integer >= 0, got -1"),
        (synthetic.cooperative_pair_dataset, {"tolerance": 5, "spacing": 3}, "tolerance=5 exceeds spacing=3"),
        (synthetic.cooperative_pair_dataset, {"orientation": "+"}, r"orientation must be one of \+\+, \+-, -\+, --"),
        (synthetic.cooperative_pair_dataset, {"motif_b": "gata1"}, "motif_a and motif_b are the same motif"),
        (synthetic.cooperative_pair_dataset, {"spacing": 2, "tolerance": 2, "max_spacing": 4}, "no wrong spacing exists"),
        (synthetic.cooperative_pair_dataset, {"max_spacing": 10}, "max_spacing=10 is below spacing"),
        (synthetic.cooperative_pair_dataset, {"max_spacing": 500}, "max_spacing=500 with motifs"),
        (synthetic.cooperative_pair_dataset, {"decoys": {"spaceing": 1.0}}, "unknown decoys kind 'spaceing'.*did you mean 'spacing'"),
        (synthetic.cooperative_pair_dataset, {"decoys": {"spacing": 0.5}}, "decoys shares must sum to 1"),
        (synthetic.cooperative_pair_dataset, {"distractors": ["GATA1"]}, "distractor 'Gata1' .* is a motif of the rule"),
        (synthetic.cooperative_pair_dataset, {"distractors": ["MAX", "MAX"]}, "distractors lists motif 'MAX'"),
        (synthetic.cooperative_pair_dataset, {"n": 1}, "n must be an integer >= 2"),
        (synthetic.cooperative_pair_dataset, {"split": (0.5, 0.5)}, "split must be three"),
        (synthetic.ordered_pair_dataset, {"motif_a": "CEBPB"}, "motif_a and motif_b are the same motif"),
        (synthetic.ordered_pair_dataset, {"length": 20}, "needs 21 nt, which does not fit in length 20"),
        (synthetic.ordered_pair_dataset, {"motif_a": ["SP1", "MAX"]}, "motif_a must be one motif"),
        (synthetic.repressor_dataset, {"distance": -1}, "distance must be an integer >= 0"),
        (synthetic.repressor_dataset, {"far_fraction": 1.5}, r"far_fraction must be in \[0, 1\]"),
        (synthetic.repressor_dataset, {"max_distance": 10}, "max_distance=10 leaves no gap beyond distance=20"),
        (synthetic.repressor_dataset, {"repressor": "cebpb"}, "activator and repressor are the same motif"),
        (synthetic.count_threshold_dataset, {"threshold": 0}, "threshold must be a positive integer, got 0"),
        (synthetic.count_threshold_dataset, {"threshold": 4, "max_copies": 3}, "max_copies=3 is below threshold=4"),
        (synthetic.count_threshold_dataset, {"threshold": 18}, "max_copies=20 copies of width 11 needs 220 nt"),
        (synthetic.count_threshold_dataset, {"motif": "NOT_A_TF"}, "unknown motif name 'NOT_A_TF'"),
    ],
)
def test_bad_settings_are_refused_on_one_line(make, kwargs, message):
    with pytest.raises(SeqlensError, match=message) as err:
        make(**{"n": 100, **kwargs})
    assert "\n" not in str(err.value)


def test_repressor_without_far_positives_needs_no_room_beyond_the_distance():
    ds = synthetic.repressor_dataset(n=200, length=60, distance=30, far_fraction=0.0, seed=0)
    y, sites = whole(ds)
    assert (synthetic.rule_labels(ds.metadata["rule"], sites, len(y)) == (y == 1)).all()
    with_repressor = set(sites.loc[sites["role"] == "repressor", "sequence"])
    assert not with_repressor & set(np.flatnonzero(y == 1))  # no far repressor in any positive


# ----------------------------------------------------------------------------------------
# command line and study files


@pytest.mark.parametrize(
    "command, extra, task",
    [
        ("cooperative-pair", ["--spacing", "8", "--tolerance", "1", "--orientation", "-+", "--distractors", "MAX"], "cooperative-pair"),
        ("ordered-pair", ["--motif-a", "YY1", "--motif-b", "MAX"], "ordered-pair"),
        ("repressor", ["--distance", "10", "--decoys", "near:1"], "repressor"),
        ("count-threshold", ["--threshold", "2", "--max-copies", "3", "--layout", "papers"], "count-threshold"),
    ],
)
def test_simulate_subcommands_write_a_dataset_with_its_rule(command, extra, task, tmp_path, capsys):
    out = tmp_path / f"{command}.h5"
    assert main(["simulate", command, "-o", str(out), "--n", "300", "--seed", "3", "--json", *extra]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["file"] == str(out) and document["n_sequences"] == 300
    ds = load_h5(out)
    assert ds.metadata["rule"]["task"] == task
    if command == "cooperative-pair":
        assert (ds.metadata["rule"]["spacing"], ds.metadata["rule"]["orientation"]) == (8, "-+")
        assert "MAX" in set(ds.train.motif_sites["motif"])
    if command == "repressor":
        assert ds.metadata["decoys"] == {"near": 1.0}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["cooperative-pair", "--tolerance", "30"], "error: --tolerance 30 exceeds --spacing 20"),
        (["cooperative-pair", "--orientation", "x"], "error: --orientation must be one of"),
        (["cooperative-pair", "--decoys", "spacing"], "error: --decoys entries must look like kind:share"),
        (["cooperative-pair", "--max-spacing", "999"], "error: --max-spacing 999 with motifs of total width 23"),
        (["ordered-pair", "--motif-a", "NOT_A_TF"], "error: --motif-a: unknown motif name 'NOT_A_TF'"),
        (["ordered-pair", "--distractors", "MAX,MAX"], "error: --distractors names motif MAX"),
        (["repressor", "--distance", "300"], "error: --distance 300 with motifs of total width 22 needs 322 nt, which does not fit in length 200; raise --length"),
        (["count-threshold", "--threshold", "0"], "error: --threshold must be a positive integer, got 0"),
        (["count-threshold", "--distractors", "MAX", "--distractors-per-seq", "1:0.5"], "error: --distractors-per-seq probabilities must sum to 1"),
    ],
)
def test_simulate_subcommand_errors_name_the_option(argv, message, tmp_path, capsys):
    out = tmp_path / "never.h5"
    assert main(["simulate", argv[0], "-o", str(out), "--n", "100", *argv[1:]]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and "\n" not in err, err
    assert not out.exists()


@pytest.mark.parametrize("name, function", [("cooperative-pair", "cooperative_pair_dataset"), ("ordered-pair", "ordered_pair_dataset"),
                                            ("repressor", "repressor_dataset"), ("count-threshold", "count_threshold_dataset")])
def test_study_data_block_resolves_to_the_generator(name, function):
    assert GENERATORS[name] == function
    options = {"cooperative-pair": {"spacing": 10}, "ordered-pair": {"max_spacing": 30},
               "repressor": {"distance": 12}, "count-threshold": {"threshold": 2}}[name]
    study = parse_study({"name": "grammar", "data": {"simulate": name, "n": 200, "seed": 1, **options},
                         "models": {"architectures": ["cnn_local"]}}, "s.yaml")
    assert study.data.generator() is getattr(synthetic, function)
    ds = study.data.generator()(**study.data.options, seed=study.data.seed)  # as seqlens run prepares its data
    assert ds.metadata["rule"]["task"] == name and ds.metadata["seed"] == 1 and ds.metadata["n"] == 200
    with pytest.raises(Exception, match="has no option 'spacingg'"):
        parse_study({"name": "grammar", "data": {"simulate": name, "spacingg": 3}, "models": {"architectures": ["cnn_local"]}}, "s.yaml")


def test_package_keeps_the_public_names():
    from seqlens.synthetic import (  # noqa: F401
        LOOKALIKE_STATISTICS, MULTITASK_MOTIFS_PER_SEQ, MULTITASK_TFS, ORIGINAL_LOOKALIKES, REGULATORY_CODE_CORE,
        REGULATORY_CODE_MOTIFS_PER_SEQ, SimulatedSequences, check_motifs_per_seq, find_lookalikes, multitask_dataset,
        regulatory_code_dataset, simulate_sequences,
    )
    assert all(hasattr(synthetic, name) for name in synthetic.__all__)
