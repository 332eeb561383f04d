"""The end-to-end demo on a tiny configuration: every step runs, results are consistent with
the files it wrote, and a second run reuses them instead of recomputing."""

import json

import numpy as np
import pandas as pd
import pytest

from seqlens.attribution import load_attributions
from seqlens.cli import main
from seqlens.data import load_h5
from seqlens.evaluation import filter_report, interpretability_scores
from seqlens.experiments import DemoSettings, run_demo
from seqlens.models import load_model
from seqlens.motifs import read_meme
from seqlens.training import evaluate


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    settings = DemoSettings(n=600, epochs=2, n_attributed=12)
    return out, settings, run_demo(out, settings)


def test_demo_writes_every_result(demo_run):
    out, settings, summary = demo_run
    for name in ["data.h5", "scores.csv", "summary.json", "report.md", "interpretability_auroc.png"]:
        assert (out / name).is_file(), name
    assert set(summary["models"]) == {"relu", "exponential"}
    dataset = load_h5(out / "data.h5")
    for activation, model in summary["models"].items():
        run = out / "runs" / f"cnn_local_{activation}"
        assert (run / "weights.pt").is_file()
        assert 1 <= model["epochs"] <= 2 and model["epochs"] == len(pd.read_csv(run / "history.csv"))
        trained = load_model(run)
        assert model["test_auroc"] == pytest.approx(evaluate(trained, dataset.test)["auroc"].iloc[0], rel=1e-12)
        motifs = read_meme(out / f"filters_{activation}.meme")
        assert len(motifs) == 24  # cnn_local has 24 first-layer filters
        # The demo's filter step is the library analysis `seqlens filters` runs (default: best hit).
        report = filter_report(trained, dataset.test, dataset=dataset, database=2016, evalue=0.1)
        for got, want in zip(motifs, report.motifs):
            np.testing.assert_allclose(got.ppm, want.ppm, atol=1e-5)
        filters = model["filters"]
        assert filters["criterion"] == "best" == report.criterion
        assert filters["match_fraction"] == report.statistics["match_fraction"]
        assert filters["other_fraction"] == report.statistics["other_fraction"]
        assert filters["tfs_found"] == report.statistics["tfs_found"]
        assert filters["localization_auroc"] == {k: v["pooled_auroc"] for k, v in report.localization.items()}
        assert 0.5 < filters["localization_auroc"]["true_pwms"] <= 1  # the true PWMs localise the motifs
    assert json.loads((out / "summary.json").read_text())["models"].keys() == summary["models"].keys()
    report = (out / "report.md").read_text()
    assert "| relu |" in report and "| exponential |" in report
    assert "Filter match fraction: criterion 'best', a filter counts when its best significant hit is a ground-truth TF." in report


def test_demo_scores_match_the_attribution_files(demo_run):
    out, settings, summary = demo_run
    scores = pd.read_csv(out / "scores.csv")
    attributions = load_attributions(out / "attributions_exponential.h5")
    assert len(attributions.X) == settings.n_attributed
    assert (attributions.sequences.y[:, 0] == 1).all()  # positives only
    saliency = attributions.methods["saliency"].maps["raw"]
    direct = interpretability_scores(saliency, attributions.X, attributions.ground_truth, convention="002")
    mine = scores.query("model == 'cnn_local exponential' and method == 'saliency' and variant == 'raw'")
    np.testing.assert_allclose(mine["auroc"].to_numpy(), direct["auroc"].to_numpy(), equal_nan=True)
    reported = [r for r in summary["models"]["exponential"]["interpretability"]
                if (r["method"], r["variant"], r["metric"]) == ("saliency", "raw", "auroc")][0]
    assert reported["mean"] == pytest.approx(np.nanmean(direct["auroc"]))


def test_demo_rerun_reuses_results(demo_run):
    out, settings, summary = demo_run
    weights = out / "runs" / "cnn_local_relu" / "weights.pt"
    attributions = out / "attributions_relu.h5"
    before = (weights.stat().st_mtime_ns, attributions.stat().st_mtime_ns)
    again = run_demo(out, settings)
    assert (weights.stat().st_mtime_ns, attributions.stat().st_mtime_ns) == before
    assert again["models"]["relu"]["test_auroc"] == summary["models"]["relu"]["test_auroc"]


def test_demo_cli_json_and_errors(demo_run, capsys):
    out, settings, summary = demo_run
    code = main(["demo", "-o", str(out), "--n", "600", "--epochs", "2", "--n-attributed", "12", "--quiet", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0 and document["models"]["exponential"]["test_auroc"] == summary["models"]["exponential"]["test_auroc"]
    code = main(["demo", "-o", str(out), "--methods", "ism", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "saliency" in err and len(err.strip().splitlines()) == 1
