"""``seqlens train`` (architecture overrides, --train-size, the training check) and
``seqlens evaluate-model`` on the user's own model (TorchScript, --model-class)."""

import json
import sys

import pandas as pd
import pytest
import torch
from torch import nn

from seqlens.cli import main
from seqlens.training import training_check
from seqlens.training.history import LR_COLLAPSE
from seqlens.data import save_h5
from seqlens.synthetic import regulatory_code_dataset

MODULE = '''
import torch
from torch import nn


class Tiny(nn.Module):
    def __init__(self, outputs: int = 1):
        super().__init__()
        self.conv = nn.Conv1d(4, 4, 7, padding=3)
        self.fc = nn.Linear(4, outputs)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).amax(dim=-1))
'''


def _run(capsys, *argv):
    capsys.readouterr()
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    document = json.loads(captured.out) if code == 0 and "--json" in argv else None
    return code, document, captured.err


def _one_line_error(capsys, *argv) -> str:
    code, _, err = _run(capsys, *argv)
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """data.h5 (regulatory code, n=200) and one run trained for 2 epochs."""
    root = tmp_path_factory.mktemp("cli_train")
    save_h5(regulatory_code_dataset(n=200, seed=0), root / "data.h5")
    code = main(["train", "--data", str(root / "data.h5"), "--model", "cnn_local", "--epochs", "2", "--batch-size", "50",
                 "--seed", "0", "-o", str(root / "run"), "--quiet"])
    assert code == 0
    (root / "pkg").mkdir()
    (root / "pkg" / "tinymodels.py").write_text(MODULE)
    return root


@pytest.fixture
def on_path(workspace, monkeypatch):
    monkeypatch.syspath_prepend(str(workspace / "pkg"))
    yield
    sys.modules.pop("tinymodels", None)


# --------------------------------------------------------------------------- train


def test_train_overrides_reach_the_model_and_train_json(workspace, capsys):
    run = workspace / "over"
    code, doc, err = _run(capsys, "train", "--data", workspace / "data.h5", "--model", "cnn_local", "--filters", "8",
                          "--dense-units", "16", "--init", "normal", "--init-std", "0.05", "--no-regularized",
                          "--epochs", "1", "--batch-size", "50", "-o", run, "--quiet", "--json")
    assert code == 0, err
    model = doc["model"]
    assert model["filters"] == 8 and model["dense_units"] == 16
    assert model["init"] == "normal" and model["init_std"] == 0.05
    assert model["regularized"] is False and model["l2"] == 0.0 and model["batch_norm"] is False
    assert set(model["dropout"]) == {0.0}
    saved = json.loads((run / "train.json").read_text())
    assert saved["model"] == model
    assert json.loads((run / "config.json").read_text())["filters"] == 8


def test_train_hybrid_key_size(workspace, capsys):
    code, doc, err = _run(capsys, "train", "--data", workspace / "data.h5", "--model", "hybrid_c24_mha",
                          "--key-size", "16", "--filters", "8", "--dense-units", "8", "--epochs", "1",
                          "--batch-size", "100", "-o", workspace / "hybrid", "--quiet", "--json")
    assert code == 0, err
    assert doc["model"]["key_size"] == 16 and doc["model"]["filters"] == 8


@pytest.mark.parametrize("args, message", [
    (["--key-size", "16"], "--key-size does not apply to cnn_local"),
    (["--model", "hybrid_c24", "--key-size", "16"], "--key-size does not apply to hybrid_c24"),
    (["--init-std", "0.1"], "--init-std applies only to --init normal"),
    (["--init", "normal"], "--init normal needs --init-std"),
    (["--init", "he_normall"], "--init must be one of"),
    (["--filters", "0"], "--filters must be at least 1"),
    (["--model", "cnn_nope"], "unknown model 'cnn_nope'"),
    (["--train-size", "0"], "--train-size must be at least 1"),
    (["--train-size", "10", "--train-subset", "middle"], "--train-subset must be one of first, random"),
    (["--train-size", "100000"], "--train-size 100000 is larger than the training split"),
])
def test_train_bad_overrides_are_one_line_errors(workspace, capsys, args, message):
    line = _one_line_error(capsys, "train", "--data", workspace / "data.h5", "--epochs", "1",
                           "-o", workspace / "bad", *args)
    assert message in line
    if "--key-size" in args:
        assert "cnn_local" in line or "hybrid_c24" in line


@pytest.mark.parametrize("subset", ["first", "random"])
def test_train_size_subsamples_the_training_split(workspace, capsys, subset):
    run = workspace / f"small_{subset}"
    code, doc, err = _run(capsys, "train", "--data", workspace / "data.h5", "--train-size", "50", "--train-subset", subset,
                          "--seed", "3", "--epochs", "1", "--batch-size", "25", "-o", run, "--quiet", "--json")
    assert code == 0, err
    full = regulatory_code_dataset(n=200, seed=0)
    assert doc["train_size"] == {"n": 50, "of": len(full.train), "subset": subset, "seed": 3 if subset == "random" else None}
    assert doc["data_fingerprint"]["train"]["n"] == 50
    assert doc["data_fingerprint"]["valid"]["n"] == len(full.valid)
    assert json.loads((run / "train.json").read_text())["train_size"]["n"] == 50


def test_train_flags_a_run_that_ends_at_the_epoch_cap(workspace, capsys):
    code, doc, err = _run(capsys, "train", "--data", workspace / "data.h5", "--epochs", "1", "--batch-size", "50",
                          "-o", workspace / "capped", "--quiet", "--json")
    assert code == 0
    check = doc["training_check"]
    assert check["stopped_at_cap"] is True and check["epoch_cap"] == 1 and check["lr_collapsed"] is False
    assert len(check["flags"]) == 1 and "epoch cap" in check["flags"][0]
    assert "warning:" in err and "epoch cap" in err
    assert json.loads((workspace / "capped" / "train.json").read_text())["training_check"] == check


def test_training_check_flags_a_collapsed_learning_rate():
    lr = [1e-3, 2e-4, 4e-5, 8e-6, 1.6e-6, 3.2e-7]
    history = pd.DataFrame({"epoch": range(1, 7), "lr": lr, "val_auroc": [0.6, 0.7, 0.7, 0.7, 0.7, 0.7]})
    assert lr[-1] < lr[0] * LR_COLLAPSE
    check = training_check(history, epoch_cap=100)
    assert check["stopped_at_cap"] is False and check["lr_collapsed"] is True
    assert len(check["flags"]) == 1 and "collapsed from 1e-03 to 3e-07 (5 decays)" in check["flags"][0]
    calm = training_check(history.assign(lr=1e-3), epoch_cap=100)
    assert calm["flags"] == [] and calm["lr_collapsed"] is False


# --------------------------------------------------------------------------- evaluate-model


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::torch.jit.TracerWarning")
def test_evaluate_model_on_a_torchscript_copy_of_a_run(workspace, capsys, tmp_path):
    from seqlens.models import load_model

    model = load_model(workspace / "run").eval()
    traced = torch.jit.trace(model, torch.zeros(2, 4, 200))
    torch.jit.save(traced, tmp_path / "run.ts")
    code, from_run, err = _run(capsys, "evaluate-model", workspace / "run", "--data", workspace / "data.h5", "--json")
    assert code == 0, err
    code, from_file, err = _run(capsys, "evaluate-model", tmp_path / "run.ts", "--data", workspace / "data.h5", "--json")
    assert code == 0, err
    assert from_file["run"] == str(tmp_path / "run.ts")
    assert from_file["scores"][0]["auroc"] == pytest.approx(from_run["scores"][0]["auroc"], abs=1e-6)
    code, with_controls, err = _run(capsys, "evaluate-model", tmp_path / "run.ts", "--data", workspace / "data.h5",
                                    "--controls", "--json")
    assert code == 0, err
    assert {"gc_auroc", "kmer_auroc"} <= set(with_controls["scores"][0]) and "controls" in with_controls


def test_evaluate_model_with_model_class(workspace, capsys, on_path, tmp_path):
    import tinymodels

    torch.manual_seed(0)
    torch.save(tinymodels.Tiny().state_dict(), tmp_path / "tiny.pt")
    code, doc, err = _run(capsys, "evaluate-model", "--model-class", "tinymodels:Tiny", "--weights", tmp_path / "tiny.pt",
                          "--data", workspace / "data.h5", "--split", "valid", "--json")
    assert code == 0, err
    assert doc["split"] == "valid" and doc["run"].startswith("tinymodels:Tiny") and len(doc["scores"]) == 1
    assert 0.0 <= doc["scores"][0]["auroc"] <= 1.0

    torch.save(tinymodels.Tiny(outputs=2).state_dict(), tmp_path / "two.pt")
    line = _one_line_error(capsys, "evaluate-model", "--model-class", "tinymodels:Tiny", "--weights", tmp_path / "two.pt",
                           "--model-kwargs", '{"outputs": 2}', "--data", workspace / "data.h5")
    assert "2 output(s)" in line and "--output-head" in line


@pytest.mark.parametrize("args, message", [
    ([], "give a run directory, a model file"),
    (["RUN", "--weights", "w.pt"], "--weights needs --model-class"),
    (["RUN", "--split", "middle"], "--split must be one of train, valid, test"),
    (["RUN", "--device", "gpu"], "unknown device 'gpu'"),
    (["RUN", "--output-head", "0"], "--output-head applies to a model file or --model-class"),
])
def test_evaluate_model_option_errors(workspace, capsys, args, message):
    args = [workspace / "run" if a == "RUN" else a for a in args]
    line = _one_line_error(capsys, "evaluate-model", *args, "--data", workspace / "data.h5")
    assert message in line


def test_model_state_rejects_bad_devices_in_one_line():
    from seqlens.errors import SeqlensError
    from seqlens.models.state import model_state

    model = nn.Linear(2, 1)
    for device, message in (("gpu", "unknown device 'gpu'"), ("meta", "holds no data"), ("cuda:99", "cuda:99")):
        with pytest.raises(SeqlensError, match=message):
            with model_state(model, device):
                pass
    assert next(model.parameters()).device.type == "cpu"
    with model_state(model, "cpu") as device:
        assert device == torch.device("cpu")


def test_train_takes_a_named_dataset(shared_data, tmp_path, monkeypatch, capsys):
    import os

    folder = tmp_path / "data"
    (folder / "invivo").mkdir(parents=True)
    os.symlink((shared_data / "invivo" / "IRF1_400_h3k27ac.h5").resolve(), folder / "invivo" / "IRF1_400_h3k27ac.h5")
    monkeypatch.setenv("SEQLENS_DATA", str(folder))
    code, doc, err = _run(capsys, "train", "--data", "irf1", "--model", "cnn_local", "--filters", "4", "--dense-units", "4",
                          "--train-size", "100", "--epochs", "1", "--batch-size", "50", "-o", tmp_path / "run",
                          "--quiet", "--json")
    assert code == 0, err
    assert doc["model"]["input_length"] == 400 and doc["train_size"]["of"] == 2724
    monkeypatch.setenv("SEQLENS_DATA", str(tmp_path / "empty"))
    line = _one_line_error(capsys, "train", "--data", "zbed2", "--epochs", "1", "-o", tmp_path / "run2")
    assert "ZBED2_400_h3k27ac.h5 not found: put it at" in line
