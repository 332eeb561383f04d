"""The study report (``seqlens report DIR``): one self-contained HTML page built from a study's
output folder.

A tiny study is run once for the module (cnn_local, ReLU vs exponential, two seeds, one epoch,
saliency on ten sequences, filters); its page must show the study's own numbers (a mean ± SD
recomputed here from results.csv), every figure as inline SVG or a ``data:`` PNG, and nothing
that fetches from the network, which headless Chromium confirms from its net log when it is
installed. A one-seed, classification-only study checks that missing sections and undefined
SDs are reported instead of crashing.
"""

import base64
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from seqlens.cli import main
from seqlens.errors import StudyError
from seqlens.evaluation import format_mean_sd
from seqlens.experiments import parse_study, run_study
from seqlens.experiments.report import DATA_FOLDER, build_report, report_data_files

SECTION_HEADINGS = ["1. Setup", "2. Provenance", "3. Test performance", "4. Interpretability: raw vs corrected maps",
                    "5. Gradient-angle statistics", "6. Paired tests", "7. First-layer filters",
                    "8. Attribution logos against the ground truth", "9. The papers' numbers beside ours",
                    "10. Warnings"]
CHROMIUM_TIMEOUT = 120


def tiny_study(**models) -> dict:
    return {
        "name": "tiny-report",
        "title": "Tiny report study",
        "question": "Does an exponential first layer make saliency maps recover the motifs better?",
        "reproduces": ["002"],
        "data": {"simulate": "regulatory-code", "n": 400, "seed": 0},
        "models": {"architectures": ["cnn_local"], "activations": ["relu", "exponential"], "seeds": [0, 1],
                   "epochs": 1, **models},
        "attribution": {"methods": ["saliency"], "limit": 10},
        "evaluation": ["classification", "interpretability", "angles", "filters"],
    }


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("study") / "out"
    report = run_study(parse_study(tiny_study()), out, workers=0, verbose=False, report=False)
    assert not report.failed
    return out


@pytest.fixture(scope="module")
def report(study_dir) -> tuple[Path, str]:
    path = build_report(study_dir)
    return path, path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def edited_report(study_dir, report, tmp_path_factory) -> str:
    """The page of a copy of the study folder with claims, a failed unit, a run warning and a stale CSV added."""
    copy = tmp_path_factory.mktemp("edited") / "out"
    shutil.copytree(study_dir, copy)
    claims = pd.DataFrame([
        {"id": "exp-beats-relu", "text": "Exponential first layers give more interpretable saliency maps",
         "paper": "0.93 vs 0.77", "ours": "relu 0.51 vs exponential 0.53", "factor": "activation", "level_a": "relu",
         "level_b": "exponential", "expect": "greater", "conditions": 1, "paired_by": "seed", "n_pairs": 2,
         "mean_diff": 0.02, "ci_low": -0.1, "ci_high": 0.14, "p_adjusted": 0.5, "test": "Wilcoxon signed-rank",
         "verdict": "reproduced"},
        {"id": "correction-helps", "text": "Corrected maps beat raw maps", "paper": "+0.02", "ours": "-0.001",
         "factor": "variant", "level_a": "raw", "level_b": "corrected", "expect": "greater", "conditions": 2,
         "paired_by": "seed", "n_pairs": 2, "mean_diff": -0.001, "ci_low": -0.05, "ci_high": 0.05,
         "p_adjusted": 0.9, "test": "Wilcoxon signed-rank", "verdict": "not"},
    ])
    claims.to_csv(copy / "claims.csv", index=False)
    (copy / "failed").mkdir()
    (copy / "failed" / "cnn_local-tanh-standard-seed0.json").write_text(json.dumps(
        {"name": "cnn_local-tanh-standard-seed0", "error": "RuntimeError: the unit ran out of memory",
         "traceback": "Traceback (most recent call last): ..."}))
    done_path = next((copy / "units").glob("*exponential*seed1/done.json"))
    done = json.loads(done_path.read_text())
    done["warnings"] = ["DeepSHAP summation check failed for 3 of 10 sequences"]
    done_path.write_text(json.dumps(done))
    (copy / DATA_FOLDER / "stale.csv").write_text("a\n1\n")
    html = build_report(copy).read_text(encoding="utf-8")
    assert not (copy / DATA_FOLDER / "stale.csv").exists()  # report_data matches the page it was built with
    return html


@pytest.fixture(scope="module")
def one_seed_dir(tmp_path_factory) -> Path:
    """One model, classification only: no interpretability, angles, filters or comparisons; SDs undefined."""
    out = tmp_path_factory.mktemp("one-seed") / "out"
    doc = {**tiny_study(activations=["relu"], seeds=[0]), "evaluation": ["classification"]}
    doc.pop("attribution")
    assert not run_study(parse_study(doc), out, workers=0, verbose=False, report=False).failed
    return out


def test_report_shows_the_study_and_its_numbers(study_dir, report):
    path, html = report
    record = json.loads((study_dir / "study.json").read_text())
    assert path == study_dir / "report.html"
    assert "tiny-report" in html and "Tiny report study" in html
    assert record["data_checksum"] in html
    for heading in SECTION_HEADINGS:
        assert f">{heading}</h2>" in html
    assert html.index("1. Setup") < html.index("3. Test performance") < html.index("10. Warnings")
    for label in ("relu", "exponential"):
        assert f"<td>{label}</td>" in html
    # the test AUROC of the ReLU models, mean ± SD over the two seeds, recomputed from results.csv
    results = pd.read_csv(study_dir / "results.csv")
    auroc = results[(results["analysis"] == "classification") & (results["metric"] == "auroc")
                    & (results["activation"] == "relu")]["value"].to_numpy()
    assert auroc.size == 2
    expected = format_mean_sd(auroc.mean(), auroc.std(ddof=1), auroc.size)
    assert "±" in expected and f"<td>relu</td><td>{expected}</td>" in html
    assert "Benjamini" in html or "fdr_bh" in html  # the paired tests say which correction backs them
    assert "saliency" in html and "corrected" in html
    assert "stopped at the epoch cap" in html  # one epoch: every unit ran into the cap
    assert "No claims are recorded for this study" in html


def test_report_is_self_contained_and_small(study_dir, report):
    path, html = report
    assert path.stat().st_size < 10_000_000
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    attributes = re.findall(r"\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]*)", html, flags=re.IGNORECASE)
    css_urls = re.findall(r"url\(\s*[\"']?([^\"')\s]*)", html, flags=re.IGNORECASE)
    assert attributes and css_urls  # logos and in-figure references (clip paths) are there to check
    remote = [url for url in attributes + css_urls if re.match(r"(?i)\s*(https?:)?//", url)]
    assert remote == []
    # every figure is counted in report_data/figures.csv, and every one is well formed
    figures = pd.read_csv(study_dir / DATA_FOLDER / "figures.csv")
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)
    images = re.findall(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", html)
    assert len(svgs) == (figures["format"] == "svg").sum() == 2  # test performance, interpretability
    # filter logos of both conditions; 2 sequences x raw/corrected saliency logos of both conditions
    assert len(images) == (figures["format"] == "png").sum() == 2 + 2 * 2 * 2
    for svg in svgs:
        ElementTree.fromstring(svg)
    for source in images:
        assert source.startswith("data:image/png;base64,")
        image = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))
        image.verify()
        assert image.size[0] > 300
    ids = re.findall(r"\bid=\"([^\"]+)\"", html)
    assert len(ids) == len(set(ids))  # the inline SVGs do not share element ids


def test_report_data_are_the_tables_behind_the_page(study_dir, report):
    names = {path.stem for path in report_data_files(study_dir)}
    assert {"test_performance", "test_performance_units", "training", "interpretability", "interpretability_units",
            "angles", "comparisons", "filters", "filter_hits", "attribution_logos", "warnings", "figures",
            "provenance", "grid"} <= names
    shown = pd.read_csv(study_dir / DATA_FOLDER / "test_performance.csv")
    summary = pd.read_csv(study_dir / "summary.csv")
    keys = ["activation", "metric"]
    merged = shown.merge(summary[summary["analysis"] == "classification"], on=keys, suffixes=("", "_summary"))
    assert len(merged) == len(shown) == 2 * 3  # two conditions x AUROC, AUPR, average precision
    np.testing.assert_allclose(merged["mean"], merged["mean_summary"], rtol=1e-12)
    np.testing.assert_allclose(merged["sd"], merged["sd_summary"], rtol=1e-12)
    logos = pd.read_csv(study_dir / DATA_FOLDER / "attribution_logos.csv")
    assert set(logos["variant"]) == {"raw", "corrected"} and logos["sequence"].max() == 1


def test_report_shows_claims_failures_and_run_warnings(edited_report):
    html = edited_report
    assert "Exponential first layers give more interpretable saliency maps" in html
    assert 'class="verdict verdict-reproduced">reproduced</td>' in html
    assert 'class="verdict verdict-not">not</td>' in html
    assert "0.93 vs 0.77" in html  # the paper's numbers beside ours
    assert "cnn_local-tanh-standard-seed0" in html and "RuntimeError: the unit ran out of memory" in html
    assert "DeepSHAP summation check failed for 3 of 10 sequences" in html
    assert "4 done, 1 failed" in html


def test_report_copes_with_one_seed_and_missing_analyses(one_seed_dir):
    summary_path = one_seed_dir / "summary.csv"
    summary = pd.read_csv(summary_path)
    undefined = (summary["analysis"] == "classification") & (summary["metric"] == "average_precision")
    summary.loc[undefined, "mean"] = np.nan  # a NaN the page must show as "-", not crash on
    summary.to_csv(summary_path, index=False)
    (one_seed_dir / "claims.csv").unlink(missing_ok=True)
    html = build_report(one_seed_dir).read_text(encoding="utf-8")
    auroc = pd.read_csv(one_seed_dir / "results.csv").query("analysis == 'classification' and metric == 'auroc'")
    assert f"<td>cnn_local</td><td>{auroc['value'].iloc[0]:.3f} (n = 1)</td>" in html
    assert "<td>-</td>" in html
    assert "Interpretability was not scored" in html
    assert "First-layer filters were not analysed" in html
    assert "No gradient angles" in html
    assert "No paired comparisons" in html
    assert "No claims are recorded for this study" in html
    for heading in SECTION_HEADINGS:
        assert f">{heading}</h2>" in html


def test_report_of_a_run_where_no_unit_finished(study_dir, tmp_path):
    shutil.copy(study_dir / "study.json", tmp_path / "study.json")
    (tmp_path / "failed").mkdir()
    (tmp_path / "failed" / "cnn_local-relu-standard-seed0.json").write_text(json.dumps(
        {"name": "cnn_local-relu-standard-seed0", "error": "ValueError: no positive test sequences\nsecond line"}))
    html = build_report(tmp_path).read_text(encoding="utf-8")
    assert "0 done, 1 failed, 3 not run, of 4" in html
    assert "ValueError: no positive test sequences" in html and "second line" not in html
    assert "No interpretability results in this folder yet" in html
    assert "results.csv is missing" in html
    for heading in SECTION_HEADINGS:
        assert f">{heading}</h2>" in html


def test_a_folder_without_study_json_is_refused(tmp_path):
    with pytest.raises(StudyError, match=re.escape(str(tmp_path))):
        build_report(tmp_path)


def test_cli_report_prints_its_paths(one_seed_dir, capsys):
    assert main(["report", str(one_seed_dir), "--json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["report"] == str(one_seed_dir / "report.html")
    assert document["bytes"] == (one_seed_dir / "report.html").stat().st_size
    assert document["report_data"] == [str(p) for p in report_data_files(one_seed_dir)]
    assert str(one_seed_dir / "report.html") in captured.err


def test_cli_report_refuses_a_folder_that_is_not_a_study(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path) in lines[0] and "study.json" in lines[0]


# ---------------------------------------------------------------------------------------------
# Headless Chromium: the page renders offline, every figure is there, nothing is fetched
# ---------------------------------------------------------------------------------------------


def chromium(*arguments, profile: Path) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT, check=True)


def page_requests(net_log: Path) -> list[str]:
    """URLs the page itself asked for, from a Chromium ``--log-net-log`` file.

    Every network request starts a job (``URL_REQUEST_START_JOB``) with the URL; requests made
    for a document carry its origin as ``initiator`` (``null`` for a file:// page), while the
    browser's own background requests (time, accounts) have ``not an origin``.
    """
    text = net_log.read_text()
    try:
        log = json.loads(text)
    except ValueError:  # a log cut short when the browser exits: close the events list
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    names = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    starts = [event.get("params") or {} for event in log.get("events", [])
              if names.get(event.get("type")) == "URL_REQUEST_START_JOB"]
    return [params["url"] for params in starts if "url" in params and params.get("initiator") != "not an origin"]


def test_chromium_renders_every_section_and_figure(study_dir, report, tmp_path):
    path, html = report
    dom = chromium("--dump-dom", path.as_uri(), profile=tmp_path / "profile").stdout
    for heading in SECTION_HEADINGS:
        assert heading in dom
    assert len(re.findall(r"<svg\b", dom)) == len(re.findall(r"<svg\b", html)) == 2
    sources = re.findall(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", dom)
    assert len(sources) == len(re.findall(r"<img\b", dom)) == 10
    assert all(source.startswith("data:image/png;base64,") for source in sources)
    screenshot = tmp_path / "page.png"
    chromium(f"--screenshot={screenshot}", "--window-size=1280,2400", path.as_uri(), profile=tmp_path / "profile")
    with Image.open(screenshot) as image:
        assert image.size == (1280, 2400)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 10  # not a blank page


def test_chromium_fetches_nothing_from_the_network(report, tmp_path):
    path, _ = report
    offline = ["--host-resolver-rules=MAP * ~NOTFOUND"]
    # the check sees a page's requests: a page with a remote image and stylesheet is caught
    remote_page = tmp_path / "remote.html"
    remote_page.write_text('<!DOCTYPE html><img src="http://example.invalid/x.png">'
                           '<link rel="stylesheet" href="https://fonts.example.invalid/a.css">')
    chromium(*offline, f"--log-net-log={tmp_path / 'remote.json'}", "--dump-dom", remote_page.as_uri(),
             profile=tmp_path / "profile")
    caught = page_requests(tmp_path / "remote.json")
    assert "http://example.invalid/x.png" in caught and "https://fonts.example.invalid/a.css" in caught
    chromium(*offline, f"--log-net-log={tmp_path / 'report.json'}", "--dump-dom", path.as_uri(),
             profile=tmp_path / "profile")
    requests = page_requests(tmp_path / "report.json")
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
