"""``seqlens attribute``, ``seqlens score`` and ``seqlens filters`` end to end, through ``seqlens.cli.main``.

One tiny regulatory-code dataset (400 sequences) and one untrained cnn_local (exponential,
8 filters) whose first five filters are set to the log-odds of the five core motifs, so the filter
analysis has a known answer.
"""

import inspect
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
from seqlens.errors import SeqlensError
from seqlens.data import Split, load_h5, save_h5
from seqlens.evaluation import (
    angle_fractions,
    cosine_similarity,
    filter_alignment,
    interpretability_scores,
    signal_to_noise,
)
from seqlens.models import build, load_model, save_model
from seqlens.motifs import load_jaspar, resolve_motifs, read_meme, write_meme
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
        for f, motif in enumerate(resolve_motifs(CORE)):
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


def _scaled_saliency(model, X, target=0, batch_size=128, device=None, correct=True, scale=2.0, verbose=False):
    """Toy gradient method of the registry test: ``scale`` x saliency, ``(N, 4, L)``."""
    return scale * saliency(model, X, target=target, batch_size=batch_size, device=device, correct=correct)


def test_attribute_command_reads_the_registry(workspace, tmp_path):
    # A method registered before the command is built gets its options, help and batch unit
    # on the command line, and its option values reach the method, without editing the CLI.
    import typer
    from typer.testing import CliRunner

    from seqlens.attribution import MethodOption, MethodSpec, register, registered_methods, unregister
    from seqlens.cli.attribute import build_command

    before = registered_methods()
    register(MethodSpec(
        name="scaled_saliency", function=_scaled_saliency, kind="hypothetical", gradient=True, aliases=("scaled",),
        defaults={"scale": 2.0}, batch_unit="sequences (scaled)", run_by_default=False,
        options=(MethodOption("--scaled-factor", "scale", "Scaled saliency: the factor.", min=0.0),),
    ))
    try:
        app = typer.Typer()
        app.command()(build_command())
        runner = CliRunner()
        help_text = runner.invoke(app, ["--help"], env={"COLUMNS": "250"}).output
        assert "--scaled-factor" in help_text and "Scaled saliency: the factor." in help_text
        assert "integrated_gradients (ig)" in help_text and "scaled_saliency (scaled)" in help_text
        assert "scaled_saliency: sequences (scaled)" in help_text and "ism: mutants" in help_text
        out = tmp_path / "scaled.h5"
        result = runner.invoke(app, [str(workspace / "run"), "--data", str(workspace / "data.h5"), "--methods", "saliency,scaled",
                                     "--scaled-factor", "3", "--limit", "4", "--seed", "1", "-o", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
    finally:
        unregister("scaled_saliency")
    assert registered_methods() == before
    attrs = load_attributions(out)
    assert list(attrs.methods) == ["saliency", "scaled_saliency"]
    scaled = attrs.methods["scaled_saliency"]
    assert scaled.params == {"scale": 3.0, "correct": False} and list(scaled.maps) == ["raw", "corrected"]
    np.testing.assert_array_equal(scaled.maps["raw"], 3 * attrs.methods["saliency"].maps["raw"])
    # The command built from today's registry has the built-in options only, with the papers' defaults.
    options = {p.name: p.default.default for p in inspect.signature(build_command()).parameters.values()
               if p.name.startswith(("smoothgrad_", "ig_", "eg_", "shap_"))}
    assert options == {"smoothgrad_samples": 50, "smoothgrad_sigma": 0.1, "ig_steps": 20, "eg_references": 20,
                       "eg_steps": 20, "shap_references": 10}


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


def test_score_leaves_out_maps_that_failed_a_check(attributed, capsys, tmp_path):
    """Maps marked failed (e.g. DeepSHAP's summation to delta) are named on stderr and in the JSON, not scored."""
    attrs = load_attributions(attributed)
    attrs.methods["deepshap"].failed_checks = [{"check": "summation_to_delta", "n_failed": 3, "n_pairs": 60,
                                                "message": "DeepSHAP summation-to-delta check failed for 3 of 60 pairs"}]
    path = save_attributions(attrs, tmp_path / "failed.h5")
    code, stdout, stderr = _run(capsys, "score", path, "--logos", "0", "-o", tmp_path / "s", "--json")
    assert code == 0
    document = json.loads(stdout)
    assert document["failed"] == {"deepshap": "DeepSHAP summation-to-delta check failed for 3 of 60 pairs"}
    assert "deepshap not scored: DeepSHAP summation-to-delta check failed for 3 of 60 pairs" in stderr
    assert "deepshap" not in set(pd.read_csv(tmp_path / "s" / "scores.csv")["method"])
    assert "deepshap" not in {row["method"] for row in document["summary"]}


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
    # Default criterion "best" (SPEC 6): a filter counts when its best significant hit is a
    # ground-truth TF. Three planted filters find their own motif first; the SP1 filter's best
    # hit is SP2 and the CEBPB filter's CEBPG, so they count as matching other motifs only.
    assert document["criterion"] == "best" and "best significant hit" in document["criterion_description"]
    planted = per_filter.iloc[:5]
    assert planted["best_target_name"].tolist() == ["SP2", "Gabpa", "CEBPG", "MAX", "YY1"]
    assert planted["category"].tolist() == ["other", "ground_truth", "other", "ground_truth", "ground_truth"]
    assert [None if pd.isna(t) else t for t in planted["ground_truth_tf"]] == [None, "Gabpa", None, "MAX", "YY1"]
    stats = document["statistics"]
    assert stats["criterion"] == "best" and stats["qvalue"] == 0.1 and stats["evalue"] is None
    assert stats["match_fraction"] == 3 / 8 and stats["match_fraction"] == (per_filter["category"] == "ground_truth").mean()
    assert stats["other_fraction"] == 2 / 8 and stats["other_fraction"] == (per_filter["category"] == "other").mean()
    # The three filters left at their random initial weights carry no motif core: uninformative, hits not counted.
    unplanted = per_filter.iloc[5:]
    assert unplanted["category"].tolist() == ["uninformative"] * 3 and (unplanted["core_information"] < 4).all()
    assert (planted["core_information"] > 4).all() and stats["n_uninformative"] == 3
    assert stats["tf_coverage"] == 0.6 and set(stats["tfs_found"]) == {"Gabpa", "MAX", "YY1"}
    assert [f["best_target_name"] for f in document["filters"][:5]] == per_filter["best_target_name"][:5].tolist()
    # Localisation: the library's numbers for the filter scan and the true PWMs' scan.
    from seqlens.evaluation import filter_scan, localization_auroc, pwm_scan

    train = load_h5(workspace / "data.h5").train
    local = document["localization"]
    assert set(local) == {"filters", "true_pwms"}
    expected = localization_auroc(filter_scan(model, train.X), train.ground_truth)
    assert local["filters"]["pooled_auroc"] == pytest.approx(expected.pooled_auroc, rel=1e-12)
    assert local["filters"]["mean_auroc"] == pytest.approx(np.nanmean(expected.per_sequence["auroc"]), rel=1e-12)
    true_pwms = [m for m in load_jaspar(2016) if m.name.casefold() in {t.casefold() for t in CORE}]
    assert sorted(m.name for m in true_pwms) == sorted(CORE)
    expected_pwms = localization_auroc(pwm_scan(train.X, true_pwms), train.ground_truth)
    assert local["true_pwms"]["pooled_auroc"] == pytest.approx(expected_pwms.pooled_auroc, rel=1e-12)
    assert local["true_pwms"]["pooled_auroc"] > local["filters"]["pooled_auroc"] > 0.6
    assert (out / "filters.png").read_bytes()[:4] == b"\x89PNG"

    # --criterion any (the originals' code): any significant hit counts, so all five planted
    # filters match their own TF; the printed summary and filters.json say which rule was used.
    code, stdout, err = _run(capsys, "filters", workspace / "run", "--data", workspace / "data.h5", "--split", "train",
                             "--qvalue", "0.1", "--criterion", "any", "--no-plot", "-o", tmp_path / "any")
    assert code == 0 and stdout == ""
    saved = json.loads((tmp_path / "any" / "filters.json").read_text())
    assert saved["criterion"] == "any" and saved["statistics"]["criterion"] == "any"
    assert saved["statistics"]["match_fraction"] == 5 / 8 and saved["statistics"]["tf_coverage"] == 1.0
    assert [f["ground_truth_tf"] for f in saved["filters"][:5]] == CORE
    assert "match fraction 0.625 (criterion any: any significant hit is a ground-truth TF)" in err


def test_filters_options_and_errors(workspace, capsys, tmp_path):
    run, data = workspace / "run", workspace / "data.h5"
    assert "either --evalue or --qvalue" in _one_line_error(capsys, "filters", run, "--data", data, "--evalue", "0.1", "--qvalue", "0.1")
    assert "--criterion must be one of best, any" in _one_line_error(capsys, "filters", run, "--data", data, "--criterion", "all")
    assert "run directory not found" in _one_line_error(capsys, "filters", tmp_path / "x", "--data", data)
    assert "not found" in _one_line_error(capsys, "filters", run, "--data", data, "--jaspar", tmp_path / "db.meme")
    # Explicit TFs against a database given as a MEME file; windows of 20, trimmed, no plot.
    database = [m for m in load_jaspar(2016) if m.name not in CORE][:40] + resolve_motifs(["SP1"])
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
    from seqlens.data import SeqDataset
    from seqlens.evaluation import ground_truth_tfs

    X = np.eye(4, dtype=np.float32)[:, :, None].repeat(12, axis=2)[[0, 1, 2]]
    sites = pd.DataFrame({"sequence": [0, 1, 2], "motif": ["SP1", "TBX5", "MAX"], "motif_id": "x", "strand": "+", "start": 0, "end": 4})
    split = Split(X=X, y=[[1.0], [0.0], [1.0]], motif_sites=sites)
    dataset = SeqDataset(train=split, valid=split, test=split)
    # Only motifs of positive sequences count: TBX5 sits in a negative (background motif).
    assert ground_truth_tfs(dataset, split, None) == (["SP1", "MAX"], "motif sites of positive sequences")
    assert ground_truth_tfs(dataset, split, "a, b", "--tfs") == (["a", "b"], "--tfs")
    assert ground_truth_tfs(dataset, split, ["YY1", " MAX "]) == (["YY1", "MAX"], "given")
    with pytest.raises(SeqlensError, match="--tfs lists no TF names"):
        ground_truth_tfs(dataset, split, " , ", "--tfs")
    with_meta = SeqDataset(train=split, valid=split, test=split, metadata={"tfs": [{"name": "YY1", "id": "MA0095.2"}]})
    assert ground_truth_tfs(with_meta, split, None) == (["YY1"], "dataset metadata (tfs)")
    bare = Split(X=X, y=np.eye(3, 2, dtype=np.float32))
    named = SeqDataset(train=bare, valid=bare, test=bare, task_names=["SP1", "Gabpa"])
    assert ground_truth_tfs(named, bare, None) == (["SP1", "Gabpa"], "task names")
    generic = SeqDataset(train=bare, valid=bare, test=bare)
    assert ground_truth_tfs(generic, bare, None) == ([], "none")


# ---------------------------------------------------------------------------------------
# a GC-rich background through the CLI (issue 9): scoring must not assume 0.25


def _train_attribute_score(capsys, root, name, extra):
    data, run, attr = root / f"{name}.h5", root / f"run_{name}", root / f"attr_{name}.h5"
    code, _, err = _run(capsys, "simulate", "regulatory-code", "--n", "1500", "--seed", "4", "-o", data, *extra)
    assert code == 0, err
    code, _, err = _run(capsys, "train", "--data", data, "--model", "cnn_local", "--activation", "exponential",
                        "--epochs", "4", "--batch-size", "64", "--lr", "0.01", "--seed", "0", "-o", run, "--quiet")
    assert code == 0, err
    code, _, err = _run(capsys, "attribute", run, "--data", data, "--positives", "--limit", "60",
                        "--methods", "saliency", "-o", attr, "--quiet")
    assert code == 0, err
    code, out, err = _run(capsys, "score", attr, "--logos", "0", "-o", root / f"scores_{name}", "--json")
    assert code == 0, err
    return json.loads(out), pd.read_csv(root / f"scores_{name}" / "scores.csv")


def test_gc_rich_background_scores_through_the_cli(tmp_path, capsys):
    summary_uniform, uniform = _train_attribute_score(capsys, tmp_path, "uniform", [])
    summary_gc, gc_rich = _train_attribute_score(capsys, tmp_path, "gc", ["--background-gc", "0.6"])
    np.testing.assert_allclose(load_h5(tmp_path / "gc.h5").test.background, [0.2, 0.3, 0.3, 0.2])
    # every sequence has background positions, so every AUROC is defined
    assert len(gc_rich) == 120 and gc_rich["auroc"].notna().all() and (gc_rich["n_negative"] > 100).all()
    coverage = lambda table: (table["n_positive"] / (table["n_positive"] + table["n_negative"])).mean()  # noqa: E731
    assert 0.1 < coverage(gc_rich) < 0.4 and abs(coverage(gc_rich) - coverage(uniform)) < 0.05
    # and the scores are in the range of the uniform background's (same seeds, same model)
    mean = {name: table.loc[table["variant"] == "corrected", "auroc"].mean() for name, table in
            (("uniform", uniform), ("gc", gc_rich))}
    assert mean["gc"] > 0.55 and abs(mean["gc"] - mean["uniform"]) < 0.1, mean
    assert summary_gc["n"] == summary_uniform["n"] == 60


# ----------------------------------------------------------------------------------------
# issue 10: fail early, say what was taken and what will take the time


def _must_not_run(*args, **kwargs):
    raise AssertionError("expensive work started although the command could have failed first")


def test_attribute_checks_output_and_options_before_loading_data(workspace, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("seqlens.data.load_h5", _must_not_run)
    monkeypatch.setattr("seqlens.attribution.attribute_split", _must_not_run)
    run, data = workspace / "run", workspace / "data.h5"
    folder = tmp_path / "maps"
    folder.mkdir()
    line = _one_line_error(capsys, "attribute", run, "--data", data, "-o", folder)
    assert line == f"error: output file (-o) {folder} is a directory; give a file path, e.g. {folder / 'out.h5'}"
    out = tmp_path / "a.h5"
    assert "--split must be one of train, valid, test, got 'dev'" in _one_line_error(
        capsys, "attribute", run, "--data", data, "--split", "dev", "-o", out)
    assert "--target must be an output index or one of the task names ['label'], got 'SP1'" in _one_line_error(
        capsys, "attribute", run, "--data", data, "--target", "SP1", "-o", out)
    assert "--device: unknown device" in _one_line_error(capsys, "attribute", run, "--data", data, "--device", "tpu9", "-o", out)
    assert not out.exists() and not any(folder.iterdir())


def test_attribute_says_how_many_sequences_were_taken_and_why(workspace, capsys):
    test = load_h5(workspace / "data.h5").test
    n_positive = int((test.y[:, 0] == 1).sum())
    assert n_positive < 500
    out = workspace / "limit.h5"
    code, stdout, err = _run(capsys, "attribute", workspace / "run", "--data", workspace / "data.h5", "--positives",
                             "--limit", "500", "--methods", "saliency", "-o", out, "--json", "--quiet")
    assert code == 0, err
    document = json.loads(stdout)
    reason = f"only {n_positive} positive sequences for target 0 (label) in split test"
    assert (document["n_requested"], document["n_selected"], document["n"], document["reason"]) == (500, n_positive, n_positive, reason)
    assert f"note: --limit 500: attributing {n_positive} sequence(s): {reason}" in err
    assert len(load_attributions(out).rows) == n_positive
    # enough sequences: no reason, no note
    code, stdout, err = _run(capsys, "attribute", workspace / "run", "--data", workspace / "data.h5", "--limit", "3",
                             "--methods", "saliency", "-o", out, "--json", "--quiet")
    document = json.loads(stdout)
    assert (document["n_requested"], document["n_selected"], document["reason"]) == (3, 3, None) and "note:" not in err


def test_attribute_names_the_method_that_will_dominate_the_time(workspace, capsys):
    from seqlens.attribution.sets import dominant_method, estimate_costs

    costs = estimate_costs("saliency,smoothgrad,ig,eg,deepshap,ism", length=200)
    assert {name: c.calls_per_sequence for name, c in costs.items()} == {
        "saliency": 1, "smoothgrad": 50, "integrated_gradients": 21, "expected_gradients": 20 * 21, "deepshap": 10, "ism": 600,
    }
    assert sum(c.share for c in costs.values()) == pytest.approx(1)
    assert dominant_method(costs).method == "expected_gradients" and dominant_method(costs).share > 0.5
    cheap = estimate_costs("saliency,eg", 200, params={"eg": {"n_references": 1, "steps": 1}})
    assert cheap["expected_gradients"].calls_per_sequence == 2 and dominant_method(cheap).share == pytest.approx(2 / 3)
    assert dominant_method(estimate_costs("saliency,smoothgrad", 200, params={"smoothgrad": {"n": 1}})) is None  # 50%, not more
    assert dominant_method(estimate_costs("saliency", 200)) is None

    code, stdout, err = _run(capsys, "attribute", workspace / "run", "--data", workspace / "data.h5", "--limit", "2",
                             "--methods", "saliency,eg", "--eg-references", "2", "--eg-steps", "4", "-o", workspace / "eg.h5", "--json")
    assert code == 0, err
    assert "note: expected_gradients will take about 91% of the time" in err and "--eg-references, --eg-steps" in err
    assert err.index("note: expected_gradients") < err.index("  expected_gradients:")  # before the work starts
    document = json.loads(stdout)
    assert document["dominant_method"]["method"] == "expected_gradients"
    assert [m["estimated_share"] for m in document["methods"]] == pytest.approx([1 / 11, 10 / 11])


def test_attribute_target_by_task_name_on_a_papers_layout_file(tmp_path, capsys):
    from seqlens.synthetic import multitask_dataset

    data = save_h5(multitask_dataset(n=60, tfs=["SP1", "MAX"], seed=0), tmp_path / "multi.h5", layout="papers")
    save_model(build("cnn_local", activation="relu", n_outputs=2, filters=4, seed=0), tmp_path / "run")
    code, stdout, err = _run(capsys, "attribute", tmp_path / "run", "--data", data, "--target", "MAX", "--limit", "2",
                             "--methods", "saliency", "-o", tmp_path / "a.h5", "--json", "--quiet")
    assert code == 0, err
    document = json.loads(stdout)
    assert (document["target"], document["task_name"]) == (1, "MAX")
    assert load_attributions(tmp_path / "a.h5").task_name == "MAX"


def test_score_and_filters_check_outputs_and_names_first(workspace, attributed, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("seqlens.data.load_h5", _must_not_run)
    monkeypatch.setattr("seqlens.evaluation.score_attribution_file", _must_not_run)
    monkeypatch.setattr("seqlens.evaluation.filter_report", _must_not_run)
    taken = tmp_path / "taken"
    taken.write_text("")
    assert f"output folder (-o) {taken} exists and is not a folder" in _one_line_error(capsys, "score", attributed, "-o", taken)
    assert "--threshold must be in" in _one_line_error(capsys, "score", attributed, "--threshold", "5", "-o", tmp_path / "s")
    run, data = workspace / "run", workspace / "data.h5"
    assert f"output folder (-o) {taken} exists and is not a folder" in _one_line_error(capsys, "filters", run, "--data", data, "-o", taken)
    assert "--jaspar: unknown JASPAR release '1999'" in _one_line_error(capsys, "filters", run, "--data", data, "--jaspar", "1999")
    line = _one_line_error(capsys, "filters", run, "--data", data, "--exclude", "Gmeb1,NOT_A_TF")
    assert "--exclude names 'NOT_A_TF', which is not in the database 2016" in line
    assert "--split must be one of" in _one_line_error(capsys, "filters", run, "--data", data, "--split", "dev")
    assert "--tfs lists no TF names" in _one_line_error(capsys, "filters", run, "--data", data, "--tfs", ",")
