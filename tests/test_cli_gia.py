"""``seqlens gia`` end to end through ``seqlens.cli.main``: its JSON equals the library's analysis."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from seqlens.cli import main
from seqlens.data import load_h5, save_h5
from seqlens.gia import analyze, parse_int_range
from seqlens.errors import SeqlensError
from seqlens.models import build, save_model
from seqlens.motifs import resolve_motifs
from seqlens.synthetic import regulatory_code_dataset


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """``data.h5`` (regulatory code, n=300) and a cnn_local whose first filter is SP1's log-odds."""
    root = tmp_path_factory.mktemp("gia")
    save_h5(regulatory_code_dataset(n=300, seed=0), root / "data.h5")
    model = build("cnn_local", activation="exponential", filters=8, seed=0)
    with torch.no_grad():
        weight = model.first_conv.weight
        (sp1,) = resolve_motifs(["SP1"])
        weight[0] = 0
        start = (weight.shape[2] - sp1.width) // 2
        weight[0, :, start : start + sp1.width] = 0.3 * torch.from_numpy(np.log(np.maximum(sp1.ppm, 1e-2) / 0.25))
    save_model(model, root / "run")
    return root


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_gia_json_equals_the_library(workspace, capsys, tmp_path):
    out = tmp_path / "gia"
    code, stdout, _ = _run(capsys, "gia", workspace / "run", "--data", workspace / "data.h5", "--motif", "SP1",
                           "--n-null", 40, "--positions", "0:180:45", "--strand", "both", "-o", out, "--json", "--quiet")
    assert code == 0
    document = json.loads(stdout)
    assert document["experiment"] == "position" and document["n_nulls"] == 40
    table = pd.DataFrame(document["table"])
    assert list(table["position"]) == [0, 45, 90, 135, 180] * 2
    from seqlens.models import load_model

    split = load_h5(workspace / "data.h5").split("test")
    expected = analyze(load_model(workspace / "run"), split, "SP1", n_null=40, positions=[0, 45, 90, 135, 180],
                       strands=("+", "-")).table
    for column in ("mean", "ci_low", "ci_high", "p_wilcoxon", "q_wilcoxon"):
        np.testing.assert_allclose(table[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float), rtol=1e-6)
    assert {"gc_difference", "warnings"} <= set(document["diagnostics"])
    assert (out / "table.csv").is_file() and (out / "gia.json").is_file()
    assert (out / "gia.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gia_spacing_rows_carry_the_interaction(workspace, capsys):
    code, stdout, _ = _run(capsys, "gia", workspace / "run", "--data", workspace / "data.h5", "--motif", "SP1",
                           "--spacing", "CACGTG", "--distances", "0:20:10", "--n-null", 30, "--json", "--quiet")
    assert code == 0
    rows = json.loads(stdout)["table"]
    assert len(rows) == 6  # 3 distances x the default orientations ++ and +-
    for row in rows:
        assert {"distance", "interaction", "interaction_ci_low", "interaction_ci_high", "q_interaction_wilcoxon"} <= set(row)
        assert row["interaction_ci_low"] <= row["interaction"] <= row["interaction_ci_high"]


def test_gia_copies_and_kmers(workspace, capsys):
    code, stdout, _ = _run(capsys, "gia", workspace / "run", "--data", workspace / "data.h5", "--motif", "SP1",
                           "--copies", 3, "--n-null", 30, "--json", "--quiet")
    assert code == 0 and [r["copies"] for r in json.loads(stdout)["table"]] == [1, 2, 3]
    code, stdout, _ = _run(capsys, "gia", workspace / "run", "--data", workspace / "data.h5", "--kmer", 2,
                           "--null", "negatives", "--n-null", 30, "--json", "--quiet")
    document = json.loads(stdout)
    assert code == 0 and len(document["table"]) == 16 and document["table"][0]["rank"] == 1
    assert "real negatives" in document["nulls"]


@pytest.mark.parametrize("argv, message", [
    (["--motif", "SP1", "--copies", "2", "--kmer", "3"], "choose one experiment"),
    (["--motif", "NOT_A_TF_NAME"], "NOT_A_TF_NAME"),
    (["--motif", "SP1", "--positions", "5:x"], "--positions"),
    (["--motif", "SP1", "--positions", "195"], "runs past the sequence end"),
    (["--motif", "SP1", "--distances", "0:5"], "--distances needs --spacing"),
    (["--motif", "SP1", "--strand", "up"], "--strand"),
    (["--motif", "SP1", "--target", "9"], "--target 9 is out of range"),
    ([], "give --motif"),
])
def test_gia_errors_are_one_line(workspace, capsys, argv, message):
    code, _, err = _run(capsys, "gia", workspace / "run", "--data", workspace / "data.h5", "--n-null", 10, "--quiet", *argv)
    assert code == 1
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_parse_int_range():
    assert parse_int_range("0:6:3", "x") == [0, 3, 6]
    assert parse_int_range("4, 7", "x") == [4, 7]
    assert parse_int_range(None, "x") is None
    with pytest.raises(SeqlensError, match="FIRST <= LAST"):
        parse_int_range("5:1", "x")
