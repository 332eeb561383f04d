"""The end-to-end demo on a tiny configuration: every step runs, results are consistent with
the files it wrote, and a second run reuses them instead of recomputing."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqlens import plotting
from seqlens.attribution import load_attributions
from seqlens.cli import main
from seqlens.data import load_h5
from seqlens.evaluation import filter_report, interpretability_scores, score_attribution_file
from seqlens.experiments import DemoSettings, run_demo
from seqlens.training import training_check
from seqlens.models import load_model
from seqlens.motifs import read_meme
from seqlens.training import evaluate

README = Path(__file__).resolve().parents[1] / "README.md"


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


def test_demo_report_says_which_sd_and_flags_the_epoch_cap(demo_run):
    out, settings, summary = demo_run
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "interpretability AUROC, mean ± SD over sequences (n)" in report
    n = settings.n_attributed
    assert report.count(f"(n = {n})") >= 2 * 3 * 2  # every cell: 2 models x 3 maps x (AUROC, AUPR)
    assert "mean ± SD **over 10 training seeds** (n = 10 models)" in report and "0.771 ± 0.013" in report
    assert "SPEC" not in report and "paper 002" not in report.lower()
    assert "doi:10.1038/s42256-020-00291-x" in report
    # epochs=2 is the cap and early stopping (patience 5) cannot trigger: both models are flagged
    for activation, model in summary["models"].items():
        training = model["training"]
        assert training["stopped_at_cap"] and training["epochs"] == training["epoch_cap"] == settings.epochs
        assert len(training["flags"]) == 1
        assert f"- **{activation}**: stopped at the epoch cap (2 of 2 epochs)" in report
    assert "**Training flags**" in report and "| relu | 2 (2) ⚠ |" in report


def test_training_check_flags_the_cap_and_says_whether_the_learning_rate_decayed():
    def history(lrs, auroc):
        return pd.DataFrame({"epoch": np.arange(1, len(lrs) + 1), "lr": lrs, "val_auroc": auroc})

    decayed = training_check(history([1e-3] * 4 + [2e-4] * 3 + [4e-5] * 3, np.linspace(0.8, 0.9, 10)), epoch_cap=10)
    assert decayed["stopped_at_cap"] and decayed["lr_decays"] == 2 and decayed["best_epoch"] == 10
    assert decayed["initial_lr"] == 1e-3 and decayed["final_lr"] == 4e-5
    assert decayed["flags"] == [
        "stopped at the epoch cap (10 of 10 epochs) with the learning rate decayed 2 times (1e-03 -> 4e-05): early "
        "stopping never triggered, so the model may not have converged (best validation AUROC at epoch 10); the "
        "papers trained up to 100 epochs with early stopping. Compare with care, or rerun with more epochs."
    ]
    flat = training_check(history([1e-3] * 3, [0.7, 0.75, 0.72]), epoch_cap=3)
    assert flat["lr_decays"] == 0 and flat["best_epoch"] == 2 and "initial learning rate (1e-03), never decayed" in flat["flags"][0]
    early = training_check(history([1e-3] * 6 + [2e-4] * 6, np.r_[np.linspace(0.7, 0.9, 6), [0.89] * 6]), epoch_cap=30)
    assert not early["stopped_at_cap"] and early["flags"] == [] and early["best_epoch"] == 6


def test_demo_logos_name_the_motif_sites_and_filters_their_best_hit(demo_run):
    out, settings, summary = demo_run
    scored = score_attribution_file(out / "attributions_exponential.h5", convention=settings.convention)
    attributions = scored.attributions
    title = f"cnn_local exponential: corrected saliency x input, test sequence {attributions.rows[0]}"
    fig = plotting.attribution_logo(scored, "saliency", "corrected", 0, title=title)
    sites = attributions.sequences.motif_sites
    mine = sites[sites["sequence"] == 0]
    assert len(mine) >= 3  # positives hold 3 or more core motifs
    truth_ax = fig.axes[0]
    assert [t.get_text() for t in truth_ax.texts] == [f"{m} ({s})" for m, s in zip(mine["motif"], mine["strand"])]
    assert set(mine["strand"]) <= {"+", "-"} and set(mine["motif"]) <= {"SP1", "Gabpa", "CEBPB", "MAX", "YY1"}
    # the demo's figure is this very figure (same function, same inputs: same bytes)
    again = plotting.attribution_logo(scored, "saliency", "corrected", 0, title=title, path=out / "check_logo.png")
    assert again.read_bytes() == (out / "saliency_exponential.png").read_bytes()
    again.unlink()

    dataset = load_h5(out / "data.h5")
    report = filter_report(load_model(out / "runs" / "cnn_local_exponential"), dataset.test, dataset=dataset,
                           database=2016, evalue=0.1)
    grid = plotting.filter_report_plot(report, ncols=6, limit=24, title="cnn_local exponential: first-layer filters")
    titles = [ax.get_title() for ax in grid.axes if ax.get_visible()]
    assert len(titles) == 24 and [t.split("\n")[1] for t in titles] == report.hit_labels()[:24]
    check = plotting.filter_report_plot(report, ncols=6, limit=24, title="cnn_local exponential: first-layer filters",
                                        path=out / "check_filters.png")
    assert check.read_bytes() == (out / "filters_exponential.png").read_bytes()
    check.unlink()


def readme_python_block() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1, "the README has one library snippet"
    return blocks[0]


def test_readme_library_snippet_runs_scores_positives_and_is_reproducible(tmp_path, monkeypatch, capsys):
    code = readme_python_block()
    assert "seed=0" in code.split("models.build(")[1].split("\n")[0]  # the model is built from a seed
    assert "positives=True" in code and "SPEC" not in README.read_text(encoding="utf-8")
    small = code.replace("n=2000", "n=300").replace("epochs=30", "epochs=1")
    assert small.count("n=300") == 1 and small.count("epochs=1,") == 1  # the literals the test shrinks exist
    tables = []
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        monkeypatch.chdir(tmp_path / run)
        namespace: dict = {}
        exec(compile(small, str(README), "exec"), namespace)
        ds, rows, table = namespace["ds"], namespace["rows"], namespace["table"]
        assert 0 < len(rows) <= 100 and (ds.test.y[rows, 0] == 1).all()  # positives of the test split only
        assert len(table) == len(rows) == namespace["sal"].shape[0]
        assert table["auroc"].between(0, 1).all() and table["auroc"].notna().all()
        assert (tmp_path / run / "runs" / "exp" / "weights.pt").is_file()
        tables.append(table)
    pd.testing.assert_frame_equal(tables[0], tables[1])  # same seeds, same scores
    printed = capsys.readouterr().out
    assert printed.count("interpretability AUROC") == 2
