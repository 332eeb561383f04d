"""``seqlens audit``: the library pipeline, its self-contained report and the command end to end.

Tiny: regulatory code (n=300), a cnn_local whose first filter is SP1's log-odds (as
tests/test_cli_gia.py), 20 attributed sequences, 20 GIA nulls. Headless Chromium confirms
the page fetches nothing when it is installed (skipped otherwise, as in tests/test_report.py).
"""

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

import numpy as np
import pandas as pd
import pytest
import torch

from seqlens.cli import main
from seqlens.data import save_h5
from seqlens.errors import SeqlensError
from seqlens.experiments import AuditResult, audit_model
from seqlens.experiments.audit import VERDICTS
from seqlens.models import build, save_model
from seqlens.motifs import resolve_motifs
from seqlens.synthetic import regulatory_code_dataset

SMALL = {"limit": 20, "n_null": 20, "n_resamples": 100}
CHECKS = ["test performance: model beats the GC-only baseline", "test performance: model beats the 4-mer baseline",
          "DeepSHAP maps sum to the output difference", "gradients carry little off-simplex noise (saliency)", "maps recover the ground truth: saliency (corrected)",
          "maps recover the ground truth: deepshap (raw)", "first-layer filters match JASPAR motifs",
          "randomisation check: saliency maps of a weight-randomised copy differ",
          "randomisation check: the copy's maps score below the model's"]


def _model():
    model = build("cnn_local", activation="exponential", filters=8, seed=0)
    with torch.no_grad():
        weight = model.first_conv.weight
        (sp1,) = resolve_motifs(["SP1"])
        weight[0] = 0
        start = (weight.shape[2] - sp1.width) // 2
        weight[0, :, start : start + sp1.width] = 0.3 * torch.from_numpy(np.log(np.maximum(sp1.ppm, 1e-2) / 0.25))
    return model.eval()


@pytest.fixture(scope="module")
def dataset():
    return regulatory_code_dataset(n=300, seed=0)


@pytest.fixture(scope="module")
def audited(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "out"
    result = audit_model(_model(), dataset, out_dir=out, **SMALL)
    return result, out


@pytest.fixture(scope="module")
def workspace(dataset, tmp_path_factory):
    root = tmp_path_factory.mktemp("audit-cli")
    save_h5(dataset, root / "data.h5")
    model = _model()
    save_model(model, root / "run")
    torch.jit.trace(model, torch.zeros(2, 4, dataset.input_length)).save(str(root / "model.ts"))
    return root


def test_audit_returns_every_verdict_with_values(audited):
    result, _ = audited
    assert isinstance(result, AuditResult)
    verdicts = result.verdicts
    assert list(verdicts.columns) == ["check", "value", "comparison", "verdict", "test", "reason", "section"]
    for check in CHECKS:
        assert check in set(verdicts["check"]), check
    assert verdicts["check"].str.startswith("GIA: ").any()
    assert set(verdicts["verdict"]) <= set(VERDICTS)
    assert (verdicts["verdict"] != "not available").all()  # a zoo model on ground-truth data supports every check
    assert verdicts["value"].str.contains(r"\d").all() and verdicts["test"].str.len().gt(10).all()
    # the numbers behind the rows are the library's
    performance = result.tables["performance"]
    controls = result.tables["controls"]
    assert performance["auroc"].iloc[1] == pytest.approx(controls["gc_auroc"].iloc[0])
    assert performance["auroc"].iloc[0] == pytest.approx(result.tables["classification"]["auroc"].iloc[0], abs=1e-6)
    assert performance["ci_low"].iloc[0] <= performance["difference_vs_gc"].iloc[0] <= performance["ci_high"].iloc[0]
    rho = result.tables["randomization"]["spearman"]
    assert len(rho) == 20 and rho.between(-1, 1).all()
    assert set(result.tables["gia"]["pattern"]) and len(result.tables["filters"]) == 8
    document = json.loads(json.dumps(result.document()))
    assert len(document["verdicts"]) == len(verdicts) and sum(document["counts"].values()) == len(verdicts)


def test_audit_report_is_self_contained_with_the_summary_first(audited):
    result, out = audited
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    attributes = re.findall(r"\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]*)", html, flags=re.IGNORECASE)
    css_urls = re.findall(r"url\(\s*[\"']?([^\"')\s]*)", html, flags=re.IGNORECASE)
    assert attributes  # logos and in-figure references are there to check
    assert [u for u in attributes + css_urls if re.match(r"(?i)\s*(https?:)?//", u)] == []
    headings = re.findall(r"<h2>([^<]+)</h2>", html)
    assert headings[0] == "1. Summary: the verdicts"
    assert html.index('id="verdicts"') < html.index("<h2>2.")
    for check in CHECKS:
        assert check in html[: html.index("<h2>2.")].replace("&#39;", "'")
    for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL):
        ElementTree.fromstring(svg)
    images = re.findall(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", html)
    assert images and all(s.startswith("data:image/png;base64,") for s in images)
    figures = pd.read_csv(out / "report_data" / "figures.csv")
    assert len(figures) == len(images) + len(re.findall(r"<svg\b", html))
    names = {p.stem for p in (out / "report_data").glob("*.csv")}
    assert {"verdicts", "performance", "controls", "angles", "scores", "filters", "gia", "randomization",
            "figures", "provenance", "settings", "warnings"} <= names
    assert json.loads((out / "audit.json").read_text())["counts"] == result.counts


def test_audit_without_ground_truth_says_not_available(dataset):
    from dataclasses import replace

    stripped = replace(dataset, test=replace(dataset.test, ground_truth=None, motif_sites=None, background=None))
    result = audit_model(_model(), stripped, methods=("saliency",), **SMALL)
    rows = result.verdicts.set_index("check")
    assert rows.loc["maps recover the ground truth: saliency (corrected)", "verdict"] == "not available"
    assert "no ground truth" in rows.loc["maps recover the ground truth: saliency (corrected)", "reason"]
    assert rows.loc["randomisation check: the copy's maps score below the model's", "verdict"] == "not available"
    assert rows.loc["gradients carry little off-simplex noise (saliency)", "verdict"] in ("pass", "warn")


def test_audit_rejects_bad_settings(dataset):
    with pytest.raises(SeqlensError, match="split"):
        audit_model(_model(), dataset, split="dev")
    with pytest.raises(SeqlensError, match="target 3 is out of range"):
        audit_model(_model(), dataset, target=3)


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_audit_json(workspace, capsys, tmp_path):
    out = tmp_path / "report"
    code, stdout, _ = _run(capsys, "audit", workspace / "run", "--data", workspace / "data.h5", "--limit", 20,
                           "--n-null", 20, "-o", out, "--json")
    assert code == 0
    document = json.loads(stdout)
    checks = [row["check"] for row in document["verdicts"]]
    for check in CHECKS:
        assert check in checks
    assert document["report"] == str(out / "report.html") and (out / "report.html").is_file()
    assert all(row["verdict"] in VERDICTS for row in document["verdicts"])


def test_cli_audit_torchscript_copy(workspace, capsys):
    code, stdout, err = _run(capsys, "audit", workspace / "model.ts", "--data", workspace / "data.h5", "--limit", 20,
                             "--n-null", 20, "--json")
    assert code == 0, err
    rows = {row["check"]: row for row in json.loads(stdout)["verdicts"]}
    deepshap = rows["maps recover the ground truth: deepshap (raw)"]
    assert deepshap["verdict"] == "not available" and "TorchScript" in deepshap["reason"]
    assert rows["maps recover the ground truth: saliency (corrected)"]["verdict"] != "not available"
    # a traced module keeps no Conv1d attributes: the geometry is read from its graph, so filters are analysed
    filters = rows["first-layer filters match JASPAR motifs"]
    assert filters["verdict"] != "not available", filters
    assert any(check.startswith("GIA: ") and row["verdict"] != "not available" for check, row in rows.items())
    # its layers are re-drawn by their original class names: the randomisation check runs
    randomised = rows["randomisation check: saliency maps of a weight-randomised copy differ"]
    assert randomised["verdict"] != "not available", randomised


def test_cli_audit_prints_the_summary(workspace, capsys):
    code, stdout, err = _run(capsys, "audit", workspace / "run", "--data", workspace / "data.h5", "--limit", 10,
                             "--n-null", 10, "--split", "valid")
    assert code == 0 and stdout == ""
    assert "model beats the GC-only baseline" in err and "verdicts:" in err


@pytest.mark.parametrize("argv, message", [
    (["--split", "dev"], "--split"),
    (["--target", "9"], "--target 9 is out of range"),
    (["--jaspar", "no-such-file.meme"], "no-such-file.meme"),
    (["--jaspar", "1999"], "1999"),
    (["--output-head", "0"], "--output-head"),
])
def test_cli_audit_errors_are_one_line(workspace, capsys, argv, message):
    code, _, err = _run(capsys, "audit", workspace / "run", "--data", workspace / "data.h5", "--limit", 5,
                        "--n-null", 5, "--quiet", *argv)
    assert code == 1
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_audit_missing_data_is_one_line(workspace, capsys, tmp_path):
    code, _, err = _run(capsys, "audit", workspace / "run", "--data", tmp_path / "absent.h5")
    assert code == 1 and "absent.h5" in err and len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# Headless Chromium (skipped when it is not installed), as tests/test_report.py does it
# ---------------------------------------------------------------------------------------------


def _chromium(*arguments, profile):
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def _offline_dom(page, tmp_path) -> str:
    """The DOM of ``page`` as headless Chromium renders it with every host unresolvable,
    after checking that it fetched nothing but file: and data: URLs."""
    log = tmp_path / "net.json"
    dom = _chromium("--host-resolver-rules=MAP * ~NOTFOUND", f"--log-net-log={log}", "--dump-dom", page.as_uri(),
                    profile=tmp_path / "profile").stdout
    assert _external_requests(log) == []
    return dom


def test_chromium_renders_the_audit_offline(audited, tmp_path):
    _, out = audited
    dom = _offline_dom(out / "report.html", tmp_path)
    assert "1. Summary: the verdicts" in dom and "9. Warnings" in dom


def _external_requests(log) -> list[str]:
    """The URLs other than file: and data: that Chromium's net log shows the page fetching."""
    text = log.read_text()
    try:
        net = json.loads(text)
    except ValueError:  # a log cut short when the browser exits
        net = json.loads(text.rstrip().rstrip(",") + "]}")
    names = {number: name for name, number in net["constants"]["logEventTypes"].items()}
    urls = [(e.get("params") or {}) for e in net.get("events", []) if names.get(e.get("type")) == "URL_REQUEST_START_JOB"]
    fetched = [p["url"] for p in urls if "url" in p and p.get("initiator") != "not an origin"]
    return [u for u in fetched if not u.startswith(("file:", "data:"))]


# ---------------------------------------------------------------------------------------------
# A model trained outside seqlens (plain PyTorch, data read with h5py), shipped as TorchScript,
# audited on the papers' reference regulatory-code set and on IRF1 ChIP-seq (slow; real data)
# ---------------------------------------------------------------------------------------------


class OutsideNet(torch.nn.Module):
    """What a user might train on their own: conv + batch norm + ReLU, pool, conv + GELU,
    global max pool, dense."""

    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.conv1, self.bn1, self.relu = nn.Conv1d(4, 24, 19, padding=9), nn.BatchNorm1d(24), nn.ReLU()
        self.pool = nn.MaxPool1d(4)
        self.conv2, self.gelu = nn.Conv1d(24, 32, 7, padding=3), nn.GELU()
        self.dense = nn.Linear(32, 1)

    def forward(self, x):
        h = self.pool(self.relu(self.bn1(self.conv1(x))))
        h = self.gelu(self.conv2(h)).amax(dim=2)
        return self.dense(h)


def _train_outside(path, n_train: int, epochs: int, seed: int = 0) -> torch.nn.Module:
    import h5py

    with h5py.File(path, "r") as handle:
        X = torch.from_numpy(np.asarray(handle["X_train"][:n_train], dtype=np.float32))
        y = torch.from_numpy(np.asarray(handle["Y_train"][:n_train], dtype=np.float32))
    torch.manual_seed(seed)
    model = OutsideNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss = torch.nn.BCEWithLogitsLoss()
    for _ in range(epochs):
        model.train()
        for rows in torch.randperm(len(X)).split(64):
            optimizer.zero_grad()
            loss(model(X[rows]), y[rows]).backward()
            optimizer.step()
    return model.eval()


@pytest.mark.slow
@pytest.mark.parametrize("dataset_file, n_train, epochs, ground_truth", [
    ("reference/synthetic_code_dataset.h5", 6000, 4, True),
    ("invivo/IRF1_400_h3k27ac.h5", 2724, 6, False),
], ids=["reference", "irf1"])
def test_audit_of_a_torchscript_model_trained_outside_seqlens(shared_data, dataset_file, n_train, epochs, ground_truth,
                                                              capsys, tmp_path):
    path = shared_data / dataset_file
    model = _train_outside(path, n_train, epochs)
    length = 200 if ground_truth else 400
    torch.jit.trace(model, torch.zeros(2, 4, length)).save(str(tmp_path / "model.ts"))
    out = tmp_path / "audit"
    code, stdout, err = _run(capsys, "audit", tmp_path / "model.ts", "--data", path, "--limit", 100, "--n-null", 50,
                             "--quiet", "--json", "-o", out)
    assert code == 0, err
    document = json.loads(stdout)
    rows = {row["check"]: row for row in document["verdicts"]}
    print(json.dumps([{k: row[k] for k in ("check", "value", "comparison", "verdict")} for row in document["verdicts"]], indent=1))
    performance = rows["test performance: model beats the GC-only baseline"]
    assert performance["verdict"] != "not available"
    for check in ("first-layer filters match JASPAR motifs", "gradients carry little off-simplex noise (saliency)",
                  "randomisation check: saliency maps of a weight-randomised copy differ"):
        assert rows[check]["verdict"] != "not available", rows[check]
    truth = rows["maps recover the ground truth: saliency (corrected)"]
    assert (truth["verdict"] != "not available") == ground_truth, truth
    if ground_truth:
        assert rows["randomisation check: the copy's maps score below the model's"]["verdict"] != "not available"
    dom = _offline_dom(out / "report.html", tmp_path)
    assert "1. Summary: the verdicts" in dom and "model.ts" in dom


class _FunctionalExp(torch.nn.Module):
    """A bare torch.exp in forward: invisible to DeepSHAP's hooks, so its maps fail the summation check."""

    def __init__(self, length: int):
        super().__init__()
        torch.manual_seed(3)
        self.conv = torch.nn.Conv1d(4, 4, 9, padding="same")
        self.dense = torch.nn.Linear(4 * length, 1)

    def forward(self, x):
        return self.dense(torch.exp(self.conv(x)).flatten(1))


def test_audit_marks_deepshap_maps_that_fail_the_summation_check(dataset, tmp_path):
    """The failed maps get a fail row with the worst delta and are neither scored nor drawn."""
    result = audit_model(_FunctionalExp(dataset.input_length).eval(), dataset, out_dir=tmp_path, **SMALL)
    verdicts = result.verdicts.set_index("check")
    row = verdicts.loc["DeepSHAP maps sum to the output difference"]
    assert row["verdict"] == "fail" and "summation-to-delta check failed for" in row["value"]
    assert verdicts.loc["maps recover the ground truth: deepshap (raw)", "verdict"] == "not available"
    assert "failed a check" in verdicts.loc["maps recover the ground truth: deepshap (raw)", "reason"]
    assert verdicts.loc["maps recover the ground truth: saliency (corrected)", "verdict"] != "not available"
    assert set(result.tables["scores"]["method"]) == {"saliency"}
    logos = pd.read_csv(tmp_path / "report_data" / "attribution_logos.csv")["logo"]
    assert len(logos) and logos.str.startswith("saliency").all()


def test_audit_deepshap_summation_passes_on_a_zoo_model(audited):
    result, _ = audited
    row = result.verdicts.set_index("check").loc["DeepSHAP maps sum to the output difference"]
    assert row["verdict"] == "pass" and "20 sequences" in row["value"]
