"""The end-to-end demo on a tiny configuration: every step runs, results are consistent with
the files it wrote, and a second run reuses them instead of recomputing."""

import json

import numpy as np
import pandas as pd
import pytest

from seqlens.attribution import load_attributions
from seqlens.cli import main
from seqlens.evaluation import interpretability_scores
from seqlens.experiments import DemoSettings, run_demo
from seqlens.motifs import read_meme


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
    for activation, model in summary["models"].items():
        assert (out / "runs" / f"cnn_local_{activation}" / "weights.pt").is_file()
        assert 1 <= model["epochs"] <= 2
        assert 0 <= model["test_auroc"] <= 1
        motifs = read_meme(out / f"filters_{activation}.meme")
        assert len(motifs) == 24  # cnn_local has 24 first-layer filters
        assert 0 <= model["filters"]["match_fraction"] <= 1
    assert json.loads((out / "summary.json").read_text())["models"].keys() == summary["models"].keys()
    report = (out / "report.md").read_text()
    assert "| relu |" in report and "| exponential |" in report


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
