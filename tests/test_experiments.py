"""The demo (the quick scale of the exp-activations study) on a tiny study: it runs through the
runner, writes the HTML report, reuses finished units, and its figures say what they show.
The real demo, at its quick scale, runs in the slow suite."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqlens import plotting
from seqlens.cli import main
from seqlens.data import load_h5
from seqlens.evaluation import filter_report, score_attribution_file
from seqlens.experiments import parse_study
from seqlens.experiments.demo import run_demo
from seqlens.models import load_model
from seqlens.training import training_check

README = Path(__file__).resolve().parents[1] / "README.md"

TINY = {
    "name": "tiny-demo",
    "data": {"simulate": "regulatory-code", "n": 600, "seed": 0},
    "models": {"architectures": ["cnn_local"], "activations": ["relu", "exponential"], "seeds": [0, 1], "epochs": 2},
    "attribution": {"methods": ["saliency", "ism"], "limit": 12, "keep_maps": 2},
    "evaluation": ["classification", "interpretability", "angles", "filters"],
    "claims": [{"id": "exp", "text": "exponential beats relu", "factor": "activation", "a": "relu", "b": "exponential",
                "where": {"analysis": "interpretability", "method": "saliency", "variant": "raw", "metric": "auroc"},
                "paper": "relu 0.771 vs exponential 0.827"}],
}
UNIT = "cnn_local-exponential-standard-seed0"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    return out, run_demo(out, workers=0, verbose=False, study=parse_study(TINY))


def test_demo_runs_the_study_and_writes_the_report(demo_run):
    out, document = demo_run
    assert Path(document["report"]) == out / "report.html" and (out / "report.html").stat().st_size > 10_000
    assert document["counts"]["finished_now"] == 4 and not document["failed"]
    headline = pd.DataFrame(document["headline"])
    assert len(headline) == 2 * 3  # relu/exponential x saliency raw, saliency corrected, ism raw
    assert set(headline["n"]) == {2}  # seeds
    summary = pd.read_csv(out / "summary.csv")
    row = summary[(summary.activation == "relu") & (summary.analysis == "interpretability") & (summary.method == "ism")
                  & (summary.metric == "auroc")]
    assert headline.query("activation == 'relu' and method == 'ism'")["mean"].iloc[0] == pytest.approx(row["mean"].iloc[0])
    assert [c["id"] for c in document["claims"]] == ["exp"]
    assert document["claims"][0]["verdict"] in ("reproduced", "partly", "not")


def test_demo_rerun_reuses_finished_units(demo_run):
    out, _ = demo_run
    again = run_demo(out, workers=0, verbose=False, study=parse_study(TINY))
    assert again["counts"]["finished_now"] == 0 and again["counts"]["done"] == 4


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


def test_unit_logos_name_the_motif_sites_and_filter_grids_their_best_hit(demo_run):
    out, _ = demo_run
    scored = score_attribution_file(out / "units" / UNIT / "maps.h5", convention="002")
    attributions = scored.attributions
    assert len(attributions.rows) == 2  # keep_maps
    fig = plotting.attribution_logo(scored, "saliency", "corrected", 0, title="corrected saliency x input")
    sites = attributions.sequences.motif_sites
    mine = sites[sites["sequence"] == 0]
    assert len(mine) >= 3  # positives hold 3 or more core motifs
    assert [t.get_text() for t in fig.axes[0].texts] == [f"{m} ({s})" for m, s in zip(mine["motif"], mine["strand"])]
    assert set(mine["strand"]) <= {"+", "-"} and set(mine["motif"]) <= {"SP1", "Gabpa", "CEBPB", "MAX", "YY1"}

    dataset = load_h5(out / "data.h5")
    report = filter_report(load_model(out / "units" / UNIT / "model"), dataset.test, dataset=dataset, database=2016,
                           evalue=0.1)
    grid = plotting.filter_report_plot(report, ncols=6, limit=24, title="cnn_local exponential: first-layer filters")
    titles = [ax.get_title() for ax in grid.axes if ax.get_visible()]
    assert len(titles) == 24 and [t.split("\n")[1] for t in titles] == report.hit_labels()[:24]
    per_filter = pd.read_csv(out / "units" / UNIT / "filters.csv")  # the unit's table is this analysis
    assert per_filter["best_target_name"].fillna("").tolist() == report.per_filter["best_target_name"].fillna("").tolist()


@pytest.mark.slow
def test_cli_demo_is_the_quick_exp_activations_study(tmp_path, capsys):
    """The README's main job: minutes on 2 cores; the paper's direction reproduced at quick scale."""
    assert main(["demo", "-o", str(tmp_path / "demo"), "--quiet", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["study"] == "exp-activations" and document["scale"] == "quick"
    assert document["counts"]["finished_now"] == 8 and not document["failed"]
    verdicts = {c["id"]: c["verdict"] for c in document["claims"]}
    assert verdicts["cnn_local-saliency-exp-vs-relu"] == "reproduced"
    assert verdicts["cnn_local-ism-exp-vs-relu"] == "reproduced"
    assert verdicts["cnn_dist-saliency-tanh-vs-relu"] == "untested"  # tanh is in the paper scale only
    assert (tmp_path / "demo" / "report.html").is_file()


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
