"""``seqlens attribute``, ``seqlens score`` and ``seqlens filters`` end to end, through ``seqlens.cli.main``.

One tiny regulatory-code dataset (400 sequences) and one untrained cnn_local (exponential,
8 filters) whose first five filters are set to the log-odds of the five core motifs, so the filter
analysis has a known answer.
"""

import json

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from seqlens.attribution import (
    AttributionSet,
    correct_gradients,
    deepshap,
    integrated_gradients,
    ism,
    load_attributions,
    saliency,
    save_attributions,
    smoothgrad,
)
from seqlens.cli import main
from seqlens.data import Split, load_h5, save_h5
from seqlens.evaluation import (
    angle_fractions,
    cosine_similarity,
    filter_alignment,
    interpretability_scores,
    signal_to_noise,
)
from seqlens.models import build, load_model, save_model
from seqlens.motifs import get_motifs, load_jaspar, read_meme, write_meme
from seqlens.synthetic import regulatory_code_dataset

CORE = ["SP1", "Gabpa", "CEBPB", "MAX", "YY1"]
FAST = ["--batch-size", "64", "--smoothgrad-samples", "3", "--ig-steps", "4", "--shap-references", "2", "--quiet"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """``data.h5`` (regulatory code, n=400) and run directory ``run`` with planted filters."""
    root = tmp_path_factory.mktemp("cli")
    save_h5(regulatory_code_dataset(n=400, seed=0), root / "data.h5")
    model = build("cnn_local", activation="exponential", filters=8, seed=0)
    with torch.no_grad():
        weight = model.first_conv.weight
        for f, motif in enumerate(get_motifs(CORE)):
            weight[f] = 0
            start = (weight.shape[2] - motif.width) // 2
            # Scaled log-odds: exp() of the full log-odds is so peaked that a filter keeps 1-2 sites.
            weight[f, :, start : start + motif.width] = 0.3 * torch.from_numpy(np.log(np.maximum(motif.ppm, 1e-2) / 0.25))
    save_model(model, root / "run")
    return root


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_error(capsys, *argv) -> str:
    code, out, err = _run(capsys, *argv)
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert out == ""
    return lines[0]


@pytest.fixture(scope="module")
def attributed(workspace):
    """Attribution file of 6 positive test sequences: saliency, IG, DeepSHAP, ISM; and its JSON summary."""
    out = workspace / "attr.h5"
    code = main(["attribute", str(workspace / "run"), "--data", str(workspace / "data.h5"), "--methods",
                 "saliency,ig,shap,ism", "--positives", "--limit", "6", "--seed", "3", "-o", str(out), *FAST])
    assert code == 0
    return out


def test_attribute_writes_maps_equal_to_the_library(workspace, attributed):
    attrs = load_attributions(attributed)
    test = load_h5(workspace / "data.h5").test
    rows = np.flatnonzero(test.y[:, 0] == 1)[:6]
    np.testing.assert_array_equal(attrs.rows, rows)
    np.testing.assert_array_equal(attrs.X, test.X[rows])
    np.testing.assert_array_equal(attrs.ground_truth, test.ground_truth[rows])
    pd.testing.assert_frame_equal(attrs.sequences.motif_sites, test.subset(rows).motif_sites)
    assert attrs.sequences.motif_sites["sequence"].max() == 5  # renumbered to rows of the file
    assert (attrs.target, attrs.task_name, attrs.split, attrs.seed) == (0, "label", "test", 3)
    assert attrs.model_dir == str(workspace / "run") and attrs.data_path == str(workspace / "data.h5")
    model = load_model(workspace / "run")
    assert attrs.model_config == model.config.model_dump(mode="json")
    assert list(attrs.methods) == ["saliency", "integrated_gradients", "deepshap", "ism"]

    X = torch.from_numpy(test.X[rows])
    expected = {
        "saliency": saliency(model, X, batch_size=64, correct=False),
        "integrated_gradients": integrated_gradients(model, X, steps=4, batch_size=64, seed=3, correct=False),
        "deepshap": deepshap(model, X, n_references=2, batch_size=64, seed=3),
        "ism": ism(model, X, batch_size=64),
    }
    for name, values in expected.items():
        np.testing.assert_array_equal(attrs.methods[name].maps["raw"], values.numpy(), err_msg=name)
    for name in ("saliency", "integrated_gradients"):
        method = attrs.methods[name]
        assert method.kind == "hypothetical" and method.params["correct"] is False
        np.testing.assert_array_equal(method.maps["corrected"], correct_gradients(torch.from_numpy(method.maps["raw"])).numpy())
        assert not np.allclose(method.maps["corrected"], method.maps["raw"])
    assert list(attrs.methods["deepshap"].maps) == ["raw"] and list(attrs.methods["ism"].maps) == ["raw"]
    assert attrs.methods["ism"].kind == "ism_delta"
    ism_map = attrs.methods["ism"].maps["raw"]
    assert np.all(ism_map[attrs.X == 1] == 0)  # the wild-type letter's own substitution changes nothing
    assert np.count_nonzero(ism_map) > 0.9 * ism_map.size * 3 / 4
    assert attrs.methods["integrated_gradients"].params == {
        "steps": 4, "baselines": "shuffle", "n_baselines": 1, "rule": "trapezoid", "seed": 3, "correct": False,
    }


def test_attribute_json_summary_and_options(workspace, capsys):
    out = workspace / "sg.h5"
    code, stdout, _ = _run(capsys, "attribute", workspace / "run", "--data", workspace / "data.h5", "--methods",
                           "smoothgrad,eg", "--split", "valid", "--limit", "3", "--eg-references", "2", "--eg-steps", "2",
                           "--no-correct", "-o", out, "--json", *FAST)
    assert code == 0
    document = json.loads(stdout)
    assert (document["n"], document["split"], document["ground_truth"]) == (3, "valid", True)
    assert [m["method"] for m in document["methods"]] == ["smoothgrad", "expected_gradients"]
    for entry in document["methods"]:
        assert entry["variants"] == ["raw"] and entry["shape"] == [3, 4, 200] and entry["seconds"] > 0
    attrs = load_attributions(out)
    np.testing.assert_array_equal(attrs.rows, [0, 1, 2])  # without --positives: the first rows of the split
    assert list(attrs.methods["smoothgrad"].maps) == ["raw"]
    model = load_model(workspace / "run")
    X = torch.from_numpy(attrs.X)
    np.testing.assert_array_equal(
        attrs.methods["smoothgrad"].maps["raw"], smoothgrad(model, X, n=3, batch_size=64, seed=0, correct=False).numpy()
    )


def test_attribute_errors_are_one_line(workspace, capsys, tmp_path):
    run, data = workspace / "run", workspace / "data.h5"
    out = tmp_path / "a.h5"
    line = _one_line_error(capsys, "attribute", run, "--data", data, "--methods", "saliency,gradcam", "-o", out)
    assert "unknown attribution method 'gradcam'" in line and "ig (= integrated_gradients)" in line and "ism" in line
    assert "run directory not found" in _one_line_error(capsys, "attribute", tmp_path / "nope", "--data", data, "-o", out)
    assert "data file not found" in _one_line_error(capsys, "attribute", run, "--data", tmp_path / "no.h5", "-o", out)
    assert "out of range" in _one_line_error(capsys, "attribute", run, "--data", data, "--target", "1", "-o", out)
    short = build("cnn_local", activation="relu", input_length=100, seed=0)
    save_model(short, tmp_path / "short")
    line = _one_line_error(capsys, "attribute", tmp_path / "short", "--data", data, "-o", out)
    assert "takes sequences of length 100" in line and "length 200" in line
    broken = tmp_path / "broken.h5"
    with h5py.File(broken, "w") as handle:
        handle.create_dataset("X_train", data=np.zeros((2, 4, 200), dtype=np.float32))
    assert "missing key 'Y_train'" in _one_line_error(capsys, "attribute", run, "--data", broken, "-o", out)
    assert not out.exists()


def test_score_tables_equal_the_evaluation_functions(workspace, attributed, capsys, tmp_path):
    out = tmp_path / "scores"
    code, stdout, _ = _run(capsys, "score", attributed, "--convention", "003", "--top-k", "10", "--logos", "1", "-o", out, "--json")
    assert code == 0
    document = json.loads(stdout)
    assert document["threshold"] == 0.1 and "trapezoid" in document["aupr"] and "average precision" in document["aupr"]
    scores = pd.read_csv(out / "scores.csv")
    attrs = load_attributions(attributed)
    X, gt = attrs.X, attrs.ground_truth
    pairs = list(scores[["method", "variant"]].drop_duplicates().itertuples(index=False, name=None))
    assert pairs == [("saliency", "raw"), ("saliency", "corrected"), ("integrated_gradients", "raw"),
                     ("integrated_gradients", "corrected"), ("deepshap", "raw"), ("ism", "raw")]
    for method, variant, values in attrs.iter_maps():
        rows = scores[(scores["method"] == method.method) & (scores["variant"] == variant)].reset_index(drop=True)
        np.testing.assert_array_equal(rows["sequence"], np.arange(6))
        np.testing.assert_array_equal(rows["row"], attrs.rows)
        reduction = "l2" if method.method == "ism" else "sum"
        interp = interpretability_scores(values, X, gt, convention="003", reduction=reduction)
        for column in ("n_positive", "n_negative", "auroc", "aupr_trapezoid", "average_precision"):
            np.testing.assert_allclose(rows[column], interp[column], rtol=1e-12, err_msg=f"{method.method} {variant} {column}")
        np.testing.assert_allclose(rows["cosine"], cosine_similarity(values, gt)["cosine"], rtol=1e-12)
        snr = signal_to_noise(values, X, gt, top_k=10, convention="003", reduction=reduction)
        np.testing.assert_allclose(rows["snr"], snr["snr"], rtol=1e-12)
        if method.method in ("saliency", "integrated_gradients") and variant == "raw":
            angles = angle_fractions(values, gt, convention="003")
            np.testing.assert_allclose(rows[angles.columns], angles, rtol=1e-12)
        else:
            assert rows["above_30"].isna().all()
    # ISM scored per SPEC 6 (L2 norm at the observed letter) differs from summing its times-input map (all 0).
    ism_rows = scores[scores["method"] == "ism"]
    assert ism_rows["auroc"].notna().all() and ism_rows["auroc"].nunique() > 1

    summary = pd.read_csv(out / "summary.csv")
    one = summary[(summary["method"] == "saliency") & (summary["variant"] == "corrected") & (summary["metric"] == "auroc")].iloc[0]
    values = scores[(scores["method"] == "saliency") & (scores["variant"] == "corrected")]["auroc"].to_numpy()
    assert one["mean"] == pytest.approx(values.mean(), rel=1e-12)
    assert one["sd"] == pytest.approx(values.std(), rel=1e-12)
    assert one["n"] == 6 and one["n_nan"] == 0
    assert len(document["summary"]) == len(summary)
    assert {(r["method"], r["variant"], r["metric"]) for r in document["summary"]} == set(
        zip(summary["method"], summary["variant"], summary["metric"])
    )
    angles = pd.read_csv(out / "angles.csv")
    assert set(angles["method"]) == {"saliency", "integrated_gradients"}
    assert set(angles["positions"]) == {"all", "motif", "background"}
    for name in ("interpretability_auroc.png", "angles_saliency.png", "logo_ism_raw_0.png", "logo_saliency_corrected_0.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "logo_ism_raw_1.png").exists()  # --logos 1


def test_score_takes_ground_truth_from_data_when_the_file_has_none(workspace, attributed, capsys, tmp_path):
    attrs = load_attributions(attributed)
    bare = AttributionSet(
        sequences=Split(X=attrs.X, y=attrs.sequences.y), rows=attrs.rows, target=attrs.target,
        methods={"saliency": attrs.methods["saliency"]}, split="test",
    )
    path = save_attributions(bare, tmp_path / "bare.h5")
    line = _one_line_error(capsys, "score", path, "-o", tmp_path / "s0")
    assert "holds no ground truth" in line and "--data" in line
    code, _, _ = _run(capsys, "score", path, "--data", workspace / "data.h5", "--logos", "0", "-o", tmp_path / "s1")
    assert code == 0
    scores = pd.read_csv(tmp_path / "s1" / "scores.csv")
    expected = interpretability_scores(attrs.methods["saliency"].maps["raw"], attrs.X, attrs.ground_truth)
    np.testing.assert_allclose(scores.loc[scores["variant"] == "raw", "auroc"], expected["auroc"], rtol=1e-12)
    # Sequences that are not the data's rows are refused rather than scored against the wrong truth.
    shifted = AttributionSet(sequences=bare.sequences, rows=attrs.rows + 1, target=0, methods=bare.methods, split="test")
    save_attributions(shifted, tmp_path / "shifted.h5")
    line = _one_line_error(capsys, "score", tmp_path / "shifted.h5", "--data", workspace / "data.h5", "-o", tmp_path / "s2")
    assert "differ from rows" in line


def test_score_errors_are_one_line(workspace, attributed, capsys, tmp_path):
    assert "--convention must be 002 or 003" in _one_line_error(capsys, "score", attributed, "--convention", "004", "-o", tmp_path / "x")
    assert "attribution file not found" in _one_line_error(capsys, "score", tmp_path / "none.h5")
    assert "not a seqlens attribution file" in _one_line_error(capsys, "score", workspace / "data.h5", "-o", tmp_path / "x")
    assert "threshold must be in" in _one_line_error(capsys, "score", attributed, "--threshold", "3", "-o", tmp_path / "x")


def test_filters_end_to_end(workspace, capsys, tmp_path):
    out = tmp_path / "filters"
    code, stdout, _ = _run(capsys, "filters", workspace / "run", "--data", workspace / "data.h5", "--split", "train",
                           "--qvalue", "0.1", "-o", out, "--json")
    assert code == 0
    document = json.loads(stdout)
    assert json.loads((out / "filters.json").read_text()) == document
    model = load_model(workspace / "run")
    n_filters = model.config.filters
    motifs = read_meme(out / "filters.meme")
    assert [m.name for m in motifs] == [f"filter{f}" for f in range(n_filters)]
    expected = filter_alignment(model, load_h5(workspace / "data.h5").train.X)
    for got, want in zip(motifs, expected.motifs):
        np.testing.assert_allclose(got.ppm, want.ppm, atol=1e-5)
    tomtom = pd.read_csv(out / "tomtom.csv")
    assert {"query", "target_id", "target_name", "p_value", "e_value", "q_value", "offset", "orientation"} <= set(tomtom.columns)
    assert len(tomtom) == n_filters * document["n_database_motifs"] and document["n_database_motifs"] == 519
    assert document["ground_truth_tfs"] == CORE and document["ground_truth_source"] == "dataset metadata (core_motifs)"
    per_filter = pd.read_csv(out / "filters.csv")
    # The five planted filters find their own motif (as a ground-truth TF) in JASPAR.
    for f, tf in enumerate(CORE):
        assert per_filter.loc[f, "category"] == "ground_truth" and per_filter.loc[f, "ground_truth_tf"] == tf
    stats = document["statistics"]
    assert stats["qvalue"] == 0.1 and stats["evalue"] is None
    assert stats["match_fraction"] == pytest.approx((per_filter["category"] == "ground_truth").mean())
    assert stats["other_fraction"] == pytest.approx((per_filter["category"] == "other").mean())
    assert stats["tf_coverage"] == 1.0 and set(stats["tfs_found"]) == set(CORE)
    assert [f["best_target_name"] for f in document["filters"][:5]] == per_filter["best_target_name"][:5].tolist()
    local = document["localization"]
    assert set(local) == {"filters", "true_pwms"}
    assert 0.5 < local["true_pwms"]["pooled_auroc"] <= 1 and 0 <= local["filters"]["pooled_auroc"] <= 1
    assert (out / "filters.png").read_bytes()[:4] == b"\x89PNG"


def test_filters_options_and_errors(workspace, capsys, tmp_path):
    run, data = workspace / "run", workspace / "data.h5"
    assert "either --evalue or --qvalue" in _one_line_error(capsys, "filters", run, "--data", data, "--evalue", "0.1", "--qvalue", "0.1")
    assert "run directory not found" in _one_line_error(capsys, "filters", tmp_path / "x", "--data", data)
    assert "not found" in _one_line_error(capsys, "filters", run, "--data", data, "--jaspar", tmp_path / "db.meme")
    # Explicit TFs against a database given as a MEME file; windows of 20, trimmed, no plot.
    database = [m for m in load_jaspar(2016) if m.name not in CORE][:40] + get_motifs(["SP1"])
    write_meme(database, tmp_path / "db.meme")
    code, stdout, _ = _run(capsys, "filters", run, "--data", data, "--jaspar", tmp_path / "db.meme", "--tfs", "sp1",
                           "--window", "20", "--trim", "--evalue", "1", "--no-plot", "-o", tmp_path / "f", "--json")
    assert code == 0
    document = json.loads(stdout)
    assert document["ground_truth_tfs"] == ["sp1"] and document["n_database_motifs"] == 41
    assert not (tmp_path / "f" / "filters.png").exists()
    assert document["coverage"][0]["tf"] == "sp1" and document["coverage"][0]["found"] is True
    assert document["filters"][0]["ground_truth_tf"] == "sp1"
    assert all(m.width <= 20 for m in read_meme(tmp_path / "f" / "filters.meme"))


def test_ground_truth_tfs_fall_back_from_metadata_to_sites_to_task_names():
    from seqlens.cli.filters import ground_truth_tfs
    from seqlens.data import SeqDataset

    X = np.eye(4, dtype=np.float32)[:, :, None].repeat(12, axis=2)[[0, 1, 2]]
    sites = pd.DataFrame({"sequence": [0, 1, 2], "motif": ["SP1", "TBX5", "MAX"], "motif_id": "x", "strand": "+", "start": 0, "end": 4})
    split = Split(X=X, y=[[1.0], [0.0], [1.0]], motif_sites=sites)
    dataset = SeqDataset(train=split, valid=split, test=split)
    # Only motifs of positive sequences count: TBX5 sits in a negative (background motif).
    assert ground_truth_tfs(dataset, split, None) == (["SP1", "MAX"], "motif sites of positive sequences")
    assert ground_truth_tfs(dataset, split, "a, b") == (["a", "b"], "--tfs")
    with_meta = SeqDataset(train=split, valid=split, test=split, metadata={"tfs": [{"name": "YY1", "id": "MA0095.2"}]})
    assert ground_truth_tfs(with_meta, split, None) == (["YY1"], "dataset metadata (tfs)")
    bare = Split(X=X, y=np.eye(3, 2, dtype=np.float32))
    named = SeqDataset(train=bare, valid=bare, test=bare, task_names=["SP1", "Gabpa"])
    assert ground_truth_tfs(named, bare, None) == (["SP1", "Gabpa"], "task names")
    generic = SeqDataset(train=bare, valid=bare, test=bare)
    assert ground_truth_tfs(generic, bare, None) == ([], "none")
