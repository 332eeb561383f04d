"""Running studies: the output folder, resuming, refusing changed settings, failures, executors, tables."""

from __future__ import annotations

import copy
import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from seqlens.cli import main
from seqlens.errors import StudyError
from seqlens.experiments import expand_units, parse_study, run_study, run_unit
from seqlens.experiments.executors import InlineExecutor, LocalExecutor, RayExecutor
from seqlens.experiments.store import StudyStore

TINY = {
    "name": "tiny",
    "data": {"simulate": "regulatory-code", "n": 400, "seed": 0},
    "models": {"architectures": ["cnn_local"], "activations": ["relu", "exponential"], "seeds": [0, 1], "epochs": 1},
    "attribution": {"methods": ["saliency", "ism"], "limit": 8, "keep_maps": 2},
    "evaluation": ["classification", "interpretability", "angles", "filters"],
    "claims": [{"id": "exp", "text": "exponential beats relu", "factor": "activation", "a": "relu", "b": "exponential",
                "where": {"analysis": "interpretability", "method": "saliency", "variant": "raw", "metric": "auroc"}}],
}


def assert_same_results(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal tables, exactly except ISM scores: ISM outputs were seen to differ in the last float
    bit between processes (AUROC 0.55339 vs 0.55341 over 8 sequences), swapping near-tied positions."""
    ism = a["method"].eq("ism")
    pd.testing.assert_frame_equal(a[~ism], b[~ism])
    pd.testing.assert_frame_equal(a[ism], b[ism], check_exact=False, atol=1e-3)


def tiny(**models):
    document = copy.deepcopy(TINY)
    document["models"].update(models)
    return parse_study(document)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("study") / "out"
    report = run_study(tiny(), out, workers=0, verbose=False)
    return out, report


def test_a_run_writes_every_unit_and_the_tables(finished):
    out, report = finished
    assert report.as_dict()["counts"]["finished_now"] == 4 and not report.failed
    for unit in expand_units(tiny(), json.loads((out / "study.json").read_text())["data_checksum"]):
        folder = out / "units" / unit.name
        assert json.loads((folder / "done.json").read_text())["key"] == unit.key
        for name in ("model/weights.pt", "model/config.json", "model/history.csv", "test_metrics.csv", "scores.csv",
                     "angles.csv", "maps.h5", "filters.csv", "filters.meme", "records.csv", "unit.json"):
            assert (folder / name).is_file(), name
        assert not (folder / "model" / "checkpoint.pt").exists()
    results = pd.read_csv(out / "results.csv")
    assert set(results["unit"]) == {u.name for u in expand_units(tiny(), "x")}
    assert {"classification", "interpretability", "angles", "filters", "training", "ensemble"} == set(results["analysis"])
    assert list(results.columns[:7]) == ["unit", "architecture", "config", "activation", "training", "train_size", "seed"]
    assert not list(out.glob("units/.tmp-*"))
    assert report.tables["report"] == out / "report.html" and (out / "report.html").is_file()


def test_unit_values_are_the_means_of_their_per_sequence_scores(finished):
    out, _ = finished
    results = pd.read_csv(out / "results.csv")
    scores = pd.read_csv(out / "units" / "cnn_local-relu-standard-seed1" / "scores.csv")
    saliency = scores[(scores.method == "saliency") & (scores.variant == "corrected")]
    row = results[(results.unit == "cnn_local-relu-standard-seed1") & (results.method == "saliency")
                  & (results.variant == "corrected") & (results.metric == "auroc")]
    assert len(saliency) == 8 and int(row["n"].iloc[0]) == 8
    assert row["value"].iloc[0] == pytest.approx(saliency["auroc"].mean())


def test_summary_is_mean_and_sd_over_seeds(finished):
    out, _ = finished
    results = pd.read_csv(out / "results.csv")
    summary = pd.read_csv(out / "summary.csv")
    pick = dict(activation="exponential", analysis="classification", metric="auroc")
    values = results.loc[np.logical_and.reduce([results[k] == v for k, v in pick.items()]), "value"].to_numpy()
    row = summary[np.logical_and.reduce([summary[k] == v for k, v in pick.items()])]
    assert len(values) == 2 and int(row["n"].iloc[0]) == 2
    assert row["mean"].iloc[0] == pytest.approx(values.mean())
    assert row["sd"].iloc[0] == pytest.approx(values.std(ddof=1))


def test_comparisons_pair_by_seed_and_by_sequence(finished):
    out, _ = finished
    comparisons = pd.read_csv(out / "comparisons.csv")
    assert {("activation", "seed"), ("activation", "seed+sequence"), ("variant", "seed"),
            ("variant", "seed+sequence")} <= set(zip(comparisons["factor"], comparisons["paired_by"]))
    row = comparisons[(comparisons.factor == "variant") & (comparisons.paired_by == "seed+sequence")
                      & (comparisons.method == "saliency") & (comparisons.metric == "auroc")
                      & (comparisons.activation == "relu")].iloc[0]
    raw, corrected = [], []
    for seed in (0, 1):
        scores = pd.read_csv(out / "units" / f"cnn_local-relu-standard-seed{seed}" / "scores.csv")
        scores = scores[scores.method == "saliency"]
        raw.append(scores[scores.variant == "raw"].sort_values("sequence")["auroc"].to_numpy())
        corrected.append(scores[scores.variant == "corrected"].sort_values("sequence")["auroc"].to_numpy())
    raw, corrected = np.concatenate(raw), np.concatenate(corrected)
    assert row["n_pairs"] == 16
    assert row["mean_diff"] == pytest.approx((corrected - raw).mean())
    assert row["p_ttest"] == pytest.approx(stats.ttest_rel(corrected, raw).pvalue)
    assert (comparisons["p_wilcoxon_adjusted"].dropna() >= comparisons["p_wilcoxon"].dropna() - 1e-12).all()
    claims = pd.read_csv(out / "claims.csv")
    assert claims["id"].tolist() == ["exp"] and claims["verdict"].iloc[0] in ("reproduced", "partly", "not")
    assert claims["paired_by"].iloc[0] == "seed+sequence"  # 2 seeds: too few to test per model


def test_rerun_skips_finished_units_and_changed_settings_are_refused(finished, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(finished[0], out)
    again = run_study(tiny(), out, workers=0, verbose=False, report=False)
    assert again.as_dict()["counts"] == {"done": 4, "failed": 0, "stale": 0, "new": 0, "run": 0,
                                         "finished_now": 0, "failed_now": 0}
    changed = tiny(epochs=2, seeds=[0, 1, 2])
    with pytest.raises(StudyError, match=r"other settings \(changed: models.epochs, models.seeds\); rerun with --force"):
        run_study(changed, out, workers=0, verbose=False, report=False)
    plan = run_study(changed, out, workers=0, dry_run=True, force=True).as_dict()
    assert [u["status"] for u in plan["units"]] == ["stale", "stale", "new", "stale", "stale", "new"]
    described = parse_study({**copy.deepcopy(TINY), "title": "new words"})  # descriptive keys are free to change
    assert run_study(described, out, workers=0, dry_run=True).as_dict()["counts"]["done"] == 4


def test_a_failing_unit_is_recorded_and_retried_and_a_killed_write_leaves_no_trace(finished, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(finished[0], out)
    (out / "units" / ".tmp-cnn_local-relu-standard-seed0-x").mkdir()  # what a SIGKILL mid-write leaves
    study = parse_study({**copy.deepcopy(TINY), "models": {**TINY["models"], "train_sizes": [None, 10**6]}})
    report = run_study(study, out, workers=0, verbose=False, force=True, report=False)
    assert sorted(f["name"] for f in report.failed) == [
        "cnn_local-exponential-standard-train1000000-seed0", "cnn_local-exponential-standard-train1000000-seed1",
        "cnn_local-relu-standard-train1000000-seed0", "cnn_local-relu-standard-train1000000-seed1"]
    assert report.as_dict()["counts"]["finished_now"] == 0  # the four others are the finished ones
    record = json.loads((out / "failed" / "cnn_local-relu-standard-train1000000-seed0.json").read_text())
    assert "StudyError: models.train_sizes: 1000000 is more than the" in record["error"]
    assert "Traceback" in record["traceback"]
    assert not list((out / "units").glob(".tmp-*"))
    plan = run_study(study, out, workers=0, dry_run=True).as_dict()
    assert plan["counts"]["failed"] == 4 and plan["counts"]["run"] == 4


def crash_on_seed1(settings, dataset):
    """A unit job that kills its worker process for seed 1 (a lost worker)."""
    if settings["seed"] == 1:
        os._exit(17)
    return run_unit(settings, dataset)


def test_local_workers_run_units_and_a_dead_worker_loses_only_its_unit(tmp_path):
    study = tiny(activations=["relu"], seeds=[0, 1, 2], epochs=1)
    out = tmp_path / "local"
    report = run_study(study, out, executor=LocalExecutor(workers=2, threads=1, job=crash_on_seed1), verbose=False, report=False)
    assert sorted(report.done) == ["cnn_local-relu-standard-seed0", "cnn_local-relu-standard-seed2"]
    assert [f["name"] for f in report.failed] == ["cnn_local-relu-standard-seed1"]
    assert "worker process running this unit died (exit code 17)" in report.failed[0]["error"]
    inline = tmp_path / "inline"
    threads = torch.get_num_threads()
    try:  # one thread, as each worker: float sums then run in the same order
        run_study(study, inline, executor=InlineExecutor(threads=1), verbose=False, report=False)
    finally:
        torch.set_num_threads(threads)
    for name in report.done:  # same seed, same threads, same result, whichever executor
        assert_same_results(pd.read_csv(out / "units" / name / "records.csv"),
                            pd.read_csv(inline / "units" / name / "records.csv"))


def test_ray_executor_on_a_local_instance(tmp_path):
    pytest.importorskip("ray")
    study = tiny(activations=["relu"], seeds=[0, 1], epochs=1)
    report = run_study(study, tmp_path / "ray", executor=RayExecutor(workers=2, threads=1), verbose=False, report=False)
    assert sorted(report.done) == ["cnn_local-relu-standard-seed0", "cnn_local-relu-standard-seed1"]
    threads = torch.get_num_threads()
    try:  # one thread, as each Ray task
        local = run_study(study, tmp_path / "inline", executor=InlineExecutor(threads=1), verbose=False, report=False)
    finally:
        torch.set_num_threads(threads)
    assert sorted(local.done) == sorted(report.done)
    assert_same_results(pd.read_csv(tmp_path / "ray" / "results.csv"), pd.read_csv(tmp_path / "inline" / "results.csv"))


def test_cli_run_dry_run_json_and_errors(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    import yaml

    path.write_text(yaml.safe_dump(TINY))
    assert main(["run", str(path), "--dry-run", "--json", "-o", str(tmp_path / "o")]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["dry_run"] and document["counts"]["run"] == 4 and len(document["units"]) == 4
    assert not (tmp_path / "o").exists()  # a dry run writes nothing
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**TINY, "modles": {}}))
    assert main(["run", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert "unknown key 'modles'" in err and len(err.splitlines()) == 1
    assert main(["run", str(path), "--executor", "slurm", "-o", str(tmp_path / "o")]) == 1
    assert "--executor must be one of local, ray" in capsys.readouterr().err
    assert main(["studies", "--json"]) == 0
    assert "exp-activations" in {s["name"] for s in json.loads(capsys.readouterr().out)}


def test_store_status_needs_the_done_record(finished, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(finished[0], out)
    store = StudyStore(out)
    unit = expand_units(tiny(), json.loads((out / "study.json").read_text())["data_checksum"])[0]
    assert store.status(unit) == "done"
    (out / "units" / unit.name / "done.json").unlink()
    assert store.status(unit) == "new"


def test_reproduction_markdown_lists_each_claim_with_its_verdict(finished):
    from seqlens.experiments.results import read_study_table, reproduction_markdown

    out, _ = finished
    text = reproduction_markdown([out])
    claim = read_study_table(out / "claims.csv").iloc[0]
    assert text.startswith("## tiny (no scale)")
    assert "cnn_local x relu, exponential x 1 training method(s) x 2 seed(s), at most 1 epochs; 4 units done" in text
    assert f"| exponential beats relu |  | {claim['ours']} |" in text and f"**{claim['verdict']}**" in text
    assert "± " in claim["ours"] and "(n = 2)" in claim["ours"]  # SD over the two seeds


# ---------------------------------------------------------------------------------------
# real data: named datasets, composition controls, ground-truth TFs for the filters


def test_study_data_sources_and_settings_added_later_leave_old_records_alone():
    document = copy.deepcopy(TINY)
    resolved = parse_study(document).resolved()
    assert "dataset" not in resolved["data"] and "tfs" not in resolved["filters"]  # older folders record neither
    document["data"] = {"dataset": "IRF1"}
    assert parse_study(document).resolved()["data"]["dataset"] == "IRF1"
    for data, message in [({"dataset": "irf"}, "did you mean 'irf1'"),
                          ({"dataset": "irf1", "path": "x.h5"}, "exactly one of"),
                          ({"dataset": "irf1", "n": 10}, "unknown key 'n'")]:
        document["data"] = data
        with pytest.raises(StudyError, match=message):
            parse_study(document)


def test_controls_rows_sit_beside_the_model_auroc(finished, tmp_path):
    document = copy.deepcopy(TINY)
    document["models"].update(activations=["relu"], seeds=[0])
    document["evaluation"] = ["classification", "controls"]
    out = tmp_path / "controls"
    run_study(parse_study(document), out, workers=0, verbose=False)
    results = pd.read_csv(out / "results.csv")
    values = results.set_index("metric")["value"]
    from seqlens.data import load_h5
    from seqlens.data.controls import control_baselines

    baselines = control_baselines(load_h5(out / "data.h5"), "test").iloc[0]
    assert values["gc_auroc"] == pytest.approx(baselines["gc_auroc"]) and values["kmer_auroc"] == pytest.approx(baselines["kmer_auroc"])
    assert values["auroc_minus_gc"] == pytest.approx(values["auroc"] - values["gc_auroc"])
    assert "GC-only AUROC" in (out / "report.html").read_text()  # the performance table shows the controls


def test_a_study_on_a_named_real_dataset(shared_data, tmp_path, monkeypatch):
    """IRF1 from the data folder, its ground-truth TFs given in ``filters.tfs`` (its task names none)."""
    monkeypatch.setenv("SEQLENS_DATA", str(shared_data))
    document = {
        "name": "irf1-tiny", "data": {"dataset": "irf1"},
        "models": {"architectures": ["residualbind"], "activations": ["exponential"], "seeds": [0], "epochs": 1},
        "attribution": {"methods": ["saliency"], "limit": 10},
        "evaluation": ["classification", "controls", "angles", "filters"],
        "filters": {"jaspar": str(shared_data / "motifs" / "JASPAR2024_CORE_vertebrates_non-redundant.meme"),
                    "tfs": ["Irf1", "IRF2", "IRF8"]},
    }
    out = tmp_path / "irf1"
    report = run_study(parse_study(document), out, workers=0, verbose=False)
    assert not report.failed
    results = pd.read_csv(out / "results.csv")
    metrics = set(results["metric"])
    assert {"auroc", "gc_auroc", "kmer_auroc", "match_fraction", "above_30"} <= metrics
    gc = results.loc[results["metric"] == "gc_auroc", "value"].item()
    assert 0.55 < gc < 0.75  # IRF1 peaks vs H3K27ac peaks differ in GC: the control is not at chance


def test_ensemble_distances_against_a_hand_computed_case():
    from seqlens.experiments.ensembles import _distances

    maps = np.zeros((3, 1, 4, 2))
    maps[0, 0, 0, 0] = 3.0  # seed 0 differs from the others at one letter of position 0
    # seed 0: the others average 0, distance 3 at position 0, 0 at position 1 -> 1.5
    # seeds 1, 2: the others average 1.5 at that letter -> 0.75
    assert _distances(maps) == pytest.approx([1.5, 0.75, 0.75])


def test_ensemble_rows_join_the_results_and_their_comparisons(finished):
    from seqlens.attribution import load_attributions

    out, _ = finished
    results = pd.read_csv(out / "results.csv")
    ensemble = results[results["analysis"] == "ensemble"]
    assert set(ensemble["variant"]) == {"raw", "corrected"} and set(ensemble["method"]) >= {"saliency"}
    row = ensemble[(ensemble["activation"] == "relu") & (ensemble["method"] == "saliency") & (ensemble["variant"] == "raw")]
    maps = [load_attributions(out / "units" / name / "maps.h5").methods["saliency"].maps["raw"] for name in row["unit"]]
    want = np.linalg.norm(maps[0] - maps[1], axis=1).mean()  # two seeds: each one's distance to the other
    assert row["value"].to_numpy() == pytest.approx([want, want], rel=1e-6) and (row["n"] == 2).all()
    comparisons = pd.read_csv(out / "comparisons.csv")
    assert ((comparisons["analysis"] == "ensemble") & (comparisons["factor"] == "variant")).any()


# ---------------------------------------------------------------------------------------
# models trained elsewhere: evaluated, not trained


class _Plain(torch.nn.Module):
    def __init__(self, filters: int = 6):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, filters, 11, padding=5)
        self.dense = torch.nn.Linear(filters, 1)

    def forward(self, x):
        return self.dense(torch.relu(self.conv(x)).amax(dim=2))


def test_a_study_of_models_trained_elsewhere(tmp_path, monkeypatch):
    torch.manual_seed(0)
    plain = _Plain().eval()
    torch.jit.trace(plain, torch.zeros(1, 4, 200)).save(str(tmp_path / "plain.ts"))
    torch.save(plain.state_dict(), tmp_path / "plain.pt")
    module = tmp_path / "plainmodels.py"
    module.write_text("import sys\nsys.modules[__name__].__dict__.update(sys.modules['test_runner'].__dict__)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    document = copy.deepcopy(TINY)
    document["models"] = {"given": [{"name": "script", "path": "plain.ts"},
                                    {"name": "weights", "model_class": "test_runner:_Plain", "weights": "plain.pt",
                                     "model_kwargs": {"filters": 6}}]}
    document["claims"] = []
    study = parse_study(document)
    out = tmp_path / "given"
    report = run_study(study, out, workers=0, verbose=False, report=True)
    assert not report.failed, report.failed
    assert "script" in (out / "report.html").read_text()
    results = pd.read_csv(out / "results.csv")
    auroc = results[(results["analysis"] == "classification") & (results["metric"] == "auroc")].set_index("architecture")["value"]
    from seqlens.data import load_h5
    from seqlens.training import evaluate

    want = evaluate(plain, load_h5(out / "data.h5").test)["auroc"].iloc[0]
    assert auroc["script"] == pytest.approx(want, abs=1e-6) and auroc["weights"] == pytest.approx(want, abs=1e-6)
    assert "training" not in set(results["analysis"]) and {"interpretability", "filters"} <= set(results["analysis"])
    # a changed model file is a new unit; the unchanged one is skipped
    with torch.no_grad():
        plain.dense.bias += 1.0
    torch.jit.trace(plain, torch.zeros(1, 4, 200)).save(str(tmp_path / "plain.ts"))
    plan = {p.unit.name: p.action for p in run_study(study, out, workers=0, verbose=False, dry_run=True).plan}
    assert plan == {"script": "run", "weights": "skip"}


def test_given_models_are_validated():
    document = copy.deepcopy(TINY)
    for models, message in [({"given": [{"name": "a"}]}, "give either 'path'"),
                            ({"given": [{"name": "a", "model_class": "m:C"}]}, "needs 'weights'"),
                            ({"given": [{"name": "a", "path": "x.ts"}], "architectures": ["cnn_local"]}, "one of them"),
                            ({"given": [{"name": "a", "path": "x.ts"}, {"name": "a", "path": "y.ts"}]}, "used twice")]:
        document["models"] = models
        with pytest.raises(StudyError, match=message):
            parse_study(document)


def test_a_model_that_cannot_take_the_data_is_refused_before_any_unit_runs(tmp_path, capsys):
    """ResidualBind's pooling needs more than 200 nt: one line naming the study, model and data, no unit started."""
    document = copy.deepcopy(TINY)
    document["models"]["architectures"] = ["cnn_local", "residualbind"]
    out = tmp_path / "o"
    with pytest.raises(StudyError, match=r"study tiny: model residualbind \(relu\) cannot take its data "
                                         r"\(200 nt, 1 output\(s\)\): input_length 200 is too short"):
        run_study(parse_study(document), out, workers=0, verbose=False)
    assert not (out / "units").exists() and not (out / "failed").exists()
    with pytest.raises(StudyError, match="cannot take its data"):  # a dry run says so too
        run_study(parse_study(document), out, dry_run=True, verbose=False)


@pytest.mark.parametrize("name", ["irf1", "zbed2", "oct4-mafk"])
def test_bundled_real_data_studies_build_their_models_for_their_data(name, shared_data, monkeypatch):
    from seqlens.data import load
    from seqlens.experiments import load_study
    from seqlens.experiments.runner import check_models

    monkeypatch.setenv("SEQLENS_DATA", str(shared_data))
    for scale in ("quick", "paper"):
        study = load_study(name, scale)
        dataset = load(study.data.dataset)
        check_models(study, expand_units(study, "x"), dataset)  # raises StudyError when a model cannot be built


def test_deepshap_maps_that_fail_the_summation_check_are_recorded_not_scored(tmp_path, monkeypatch):
    """_Plain's torch.relu and amax are functional calls DeepSHAP cannot see: its maps fail the check."""
    torch.manual_seed(0)
    torch.save(_Plain().state_dict(), tmp_path / "plain.pt")
    module = tmp_path / "plainmodels.py"
    module.write_text("import sys\nsys.modules[__name__].__dict__.update(sys.modules['test_runner'].__dict__)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    document = copy.deepcopy(TINY)
    document["models"] = {"given": [{"name": "plain", "model_class": "test_runner:_Plain", "weights": "plain.pt"}]}
    document["attribution"] = {"methods": ["saliency", "deepshap"], "limit": 6, "keep_maps": 2,
                               "params": {"deepshap": {"n_references": 3}}}
    document["evaluation"] = ["interpretability"]
    document["claims"] = []
    out = tmp_path / "failing"
    report = run_study(parse_study(document), out, workers=0, verbose=False)
    assert not report.failed, report.failed
    results = pd.read_csv(out / "results.csv")
    failed = results[results["metric"] == "maps_failed"]
    assert list(failed["method"]) == ["deepshap"] and failed["n"].item() == 18
    assert 0 < failed["value"].item() <= 1
    scored = results[results["analysis"] == "interpretability"]
    assert set(scored["method"]) == {"saliency"}  # the failed maps are not scored
    warnings_table = pd.read_csv(out / "report_data" / "warnings.csv")
    kinds = dict(zip(warnings_table["kind"], warnings_table["message"], strict=False))
    assert kinds["maps failed a check, not scored"].startswith("deepshap: the check failed on")
    assert any(m.startswith("DeepSHAP summation-to-delta check failed") for m in warnings_table["message"])
    from seqlens.attribution import load_attributions

    kept = load_attributions(out / "units" / "plain" / "maps.h5")
    assert kept.methods["deepshap"].failed and not kept.methods["saliency"].failed
