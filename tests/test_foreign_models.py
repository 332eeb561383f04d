"""The user's own model (issue 13): TorchScript, torch.export and class + weights through
``seqlens attribute``, ``seqlens filters`` and ``seqlens gia``; output heads, profile
summaries, the first-convolution search and one-line errors."""

import json
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from seqlens.attribution import attribute_split, load_attributions, saliency
from seqlens.cli import main
from seqlens.data import load_h5, save_h5
from seqlens.errors import ModelError
from seqlens.evaluation import filter_alignment
from seqlens.gia import analyze
from seqlens.models import (
    ForeignModel,
    first_convolution,
    import_model_class,
    load_foreign_model,
    load_weights,
    probe_outputs,
    randomized_copy,
    select_output,
)
from seqlens.motifs import load_jaspar, resolve_motifs, write_meme
from seqlens.synthetic import regulatory_code_dataset

MODULE = textwrap.dedent('''
    import torch
    from torch import nn


    class SmallCNN(nn.Module):
        def __init__(self, filters: int = 6, outputs: int = 2):
            super().__init__()
            self.conv = nn.Conv1d(4, filters, 7, padding=3)
            self.act = nn.GELU()
            self.pool = nn.AdaptiveMaxPool1d(1)
            self.fc = nn.Linear(filters, outputs)

        def forward(self, x):
            return self.fc(self.pool(self.act(self.conv(x))).flatten(1))


    class TwoHeads(nn.Module):
        """bpnet-lite's shape: (profile (N, 2, L), counts (N, 1))."""

        def __init__(self, filters: int = 6):
            super().__init__()
            self.conv = nn.Conv1d(4, filters, 7, padding=3)
            self.act = nn.ReLU()
            self.profile = nn.Conv1d(filters, 2, 1)
            self.count = nn.Linear(filters, 1)

        def forward(self, x):
            h = self.act(self.conv(x))
            return self.profile(h), self.count(h.mean(dim=-1))


    class DictOut(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(4, 3, 5, padding=2)
            self.fc = nn.Linear(3, 1)

        def forward(self, x):
            h = torch.relu(self.conv(x)).amax(dim=-1)
            return {"logit": self.fc(h), "embedding": h}


    class Dense(nn.Module):
        def __init__(self, length: int = 200):
            super().__init__()
            self.fc = nn.Linear(4 * length, 2)

        def forward(self, x):
            return self.fc(x.flatten(1))


    class WithConfig(SmallCNN):
        def __init__(self):
            super().__init__()
            self.config = {"name": "mine", "filters": 6}
''')


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """data.h5 (regulatory code, n=200: one task, length 200), the module file, and each model saved three ways."""
    root = tmp_path_factory.mktemp("foreign")
    dataset = regulatory_code_dataset(n=200, seed=0)
    save_h5(dataset, root / "data.h5")
    (root / "pkg").mkdir()
    (root / "pkg" / "mymodels.py").write_text(MODULE)
    sys.path.insert(0, str(root / "pkg"))
    try:
        import mymodels  # noqa: F401
    finally:
        sys.path.remove(str(root / "pkg"))
    torch.manual_seed(0)
    n_tasks = len(dataset.task_names)
    length = dataset.input_length
    small = mymodels.SmallCNN(outputs=2).eval()  # 2 outputs for a 1-task dataset: a foreign model's outputs are its own
    with torch.no_grad():  # SP1's log-odds in filter 0, so the filter analysis finds something
        (sp1,) = resolve_motifs(["SP1"])
        small.conv.weight[0] = 0
        small.conv.weight[0, :, : min(7, sp1.width)] = torch.from_numpy(np.log(np.maximum(sp1.ppm[:, :7], 1e-2) / 0.25))
    heads = mymodels.TwoHeads().eval()
    torch.save(small.state_dict(), root / "small.pt")
    torch.save(heads.state_dict(), root / "heads.pt")
    torch.jit.save(torch.jit.script(small), root / "small.ts")
    torch.jit.save(torch.jit.script(heads), root / "heads_script.pt")
    exported = {}
    for name, model in (("small", small), ("heads", heads)):
        try:
            program = torch.export.export(model, (torch.zeros(2, 4, length),),
                                          dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=4096)},))
            torch.export.save(program, root / f"{name}.pt2")
        except Exception as exc:  # noqa: BLE001
            exported[name] = f"torch.export failed on this build: {type(exc).__name__}: {exc}"
    sys.modules.pop("mymodels", None)
    return {"root": root, "small": small, "heads": heads, "n_tasks": n_tasks, "length": length, "export_errors": exported,
            "modules": mymodels}


@pytest.fixture
def on_path(workspace, monkeypatch):
    monkeypatch.syspath_prepend(str(workspace["root"] / "pkg"))
    yield
    sys.modules.pop("mymodels", None)


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_error(capsys, *argv) -> str:
    code, out, err = _run(capsys, *argv)
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err and out == ""
    return lines[0]


def _small_sources(workspace):
    root = workspace["root"]
    sources = {
        "torchscript": [root / "small.ts"],
        "class": ["--model-class", "mymodels:SmallCNN", "--weights", root / "small.pt",
                  "--model-kwargs", json.dumps({"outputs": 2})],
    }
    if "small" not in workspace["export_errors"]:
        sources["export"] = [root / "small.pt2"]
    return sources


FORMATS = ["torchscript", "export", "class"]


def _source(workspace, kind):
    if kind == "export" and "small" in workspace["export_errors"]:
        pytest.skip(workspace["export_errors"]["small"])
    return _small_sources(workspace)[kind]


# --------------------------------------------------------------------------- the library


def test_select_output_heads_and_profile_summaries(workspace):
    heads = workspace["heads"]
    X = torch.from_numpy(load_h5(workspace["root"] / "data.h5").test.X[:5])
    profile, counts = heads(X)
    torch.testing.assert_close(select_output(heads, head="count")(X), counts)
    torch.testing.assert_close(select_output(heads, head=1)(X), counts)
    torch.testing.assert_close(select_output(heads, head="profile", reduce="sum")(X), profile.sum(-1))
    torch.testing.assert_close(select_output(heads, head="0", reduce="logsumexp")(X), torch.logsumexp(profile, -1))
    with pytest.raises(ModelError, match="a tuple of 2 outputs .*choose one with head"):
        select_output(heads)(X)
    with pytest.raises(ModelError, match="a profile: give reduce"):
        select_output(heads, head="profile")(X)
    with pytest.raises(ModelError, match="out of range"):
        select_output(heads, head=2)(X)
    with pytest.raises(ModelError, match="reduce must be one of"):
        select_output(heads, head=0, reduce="median")
    dict_model = workspace["modules"].DictOut().eval()
    torch.testing.assert_close(select_output(dict_model, head="logit")(X), dict_model(X)["logit"])
    with pytest.raises(ModelError, match="not a key .*did you mean 'logit'"):
        select_output(dict_model, head="logits")(X)


def test_probe_counts_outputs_and_names_a_rejected_length(workspace):
    model = ForeignModel(workspace["small"])
    assert probe_outputs(model, workspace["length"]) == 2
    dense = ForeignModel(workspace["modules"].Dense(length=50), name="dense")
    with pytest.raises(ModelError, match=r"dense rejects one-hot input of shape \(1, 4, 200\)"):
        probe_outputs(dense, 200)


def test_first_convolution_search(workspace):
    small = workspace["small"]
    first = first_convolution(small)
    assert first.name == "conv" and first.conv is small.conv and first.after_names == ["act"]
    X = torch.from_numpy(load_h5(workspace["root"] / "data.h5").test.X[:4])
    with torch.no_grad():
        expected = small.act(small.conv(X))
    torch.testing.assert_close(ForeignModel(small).first_layer_activations(X), expected)
    script = torch.jit.load(workspace["root"] / "small.ts")
    torch.testing.assert_close(ForeignModel(script).first_layer_activations(X), expected)
    if "small" not in workspace["export_errors"]:
        exported = torch.export.load(workspace["root"] / "small.pt2").module()
        first = first_convolution(exported)
        assert first.name == "conv" and first.after_names == ["gelu"]
        torch.testing.assert_close(ForeignModel(exported).first_layer_activations(X), expected)
    with pytest.raises(ModelError, match=r"no Conv1d taking the 4 DNA channels \(its first layer is 'fc' \(Linear\)\)"):
        first_convolution(workspace["modules"].Dense())
    with pytest.raises(ModelError, match="layer 'fc' is a Linear, not a Conv1d"):
        first_convolution(small, layer="fc")
    with pytest.raises(ModelError, match="did you mean 'conv'"):
        first_convolution(small, layer="conv1")


def test_class_loading_errors(workspace, on_path, tmp_path):
    with pytest.raises(ModelError, match="no module named 'nowhere_module'"):
        import_model_class("nowhere_module:Net")
    with pytest.raises(ModelError, match="has no 'SmallCN'.*did you mean 'SmallCNN'"):
        import_model_class("mymodels:SmallCN")
    wrong = workspace["modules"].TwoHeads()
    with pytest.raises(ModelError, match="missing keys profile.weight, profile.bias, count.weight"):
        load_weights(wrong, workspace["root"] / "small.pt")
    model = load_foreign_model(model_class="mymodels:SmallCNN", weights=workspace["root"] / "small.pt",
                               model_kwargs={"outputs": 2})
    X = torch.rand(3, 4, workspace["length"])
    torch.testing.assert_close(model(X), workspace["small"](X))


def test_attribute_split_takes_a_foreign_config(workspace):
    """A model whose ``config`` is a plain dict (no model_dump): stored as provenance, no crash."""
    model = workspace["modules"].WithConfig().eval()
    model.load_state_dict(workspace["small"].state_dict())
    split = load_h5(workspace["root"] / "data.h5").test
    result = attribute_split(model, split, ["saliency"], rows=np.arange(3))
    assert result.model_config == {"name": "mine", "filters": 6}
    model.config = object()  # neither a ModelConfig nor a mapping: no provenance, no crash
    assert attribute_split(model, split, ["saliency"], rows=np.arange(2)).model_config is None


# --------------------------------------------------------------------------- the commands


@pytest.mark.parametrize("kind", FORMATS)
def test_attribute_equals_the_library_call(workspace, on_path, capsys, tmp_path, kind):
    root = workspace["root"]
    out = tmp_path / "maps.h5"
    code, stdout, err = _run(capsys, "attribute", *_source(workspace, kind), "--data", root / "data.h5", "-o", out,
                             "--limit", 6, "--target", 1, "--methods", "saliency", "--json", "--quiet")
    assert code == 0, err
    document = json.loads(stdout)
    assert document["target"] == 1 and document["n"] == 6
    loaded = load_attributions(out)
    X = torch.from_numpy(loaded.sequences.X)
    expected = saliency(workspace["small"], X, target=1, correct=False)
    np.testing.assert_allclose(np.asarray(loaded.methods["saliency"].maps["raw"]), expected.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kind", ["torchscript", "export", "class"])
def test_attribute_selects_a_head(workspace, on_path, capsys, tmp_path, kind):
    root = workspace["root"]
    if kind == "export" and "heads" in workspace["export_errors"]:
        pytest.skip(workspace["export_errors"]["heads"])
    source = {"torchscript": [root / "heads_script.pt"], "export": [root / "heads.pt2"],
              "class": ["--model-class", "mymodels:TwoHeads", "--weights", root / "heads.pt"]}[kind]
    data = root / "data.h5"
    # the count head is the dataset's one task: --target by name and --positives work
    code, stdout, err = _run(capsys, "attribute", *source, "--data", data, "-o", tmp_path / "c.h5", "--limit", 4,
                             "--output-head", "count", "--target", "label", "--positives", "--methods", "saliency",
                             "--json", "--quiet")
    assert code == 0, err
    assert json.loads(stdout)["task_name"] == "label"
    loaded = load_attributions(tmp_path / "c.h5")
    X = torch.from_numpy(loaded.sequences.X)
    expected = saliency(select_output(workspace["heads"], head="count"), X, target=0, correct=False)
    np.testing.assert_allclose(np.asarray(loaded.methods["saliency"].maps["raw"]), expected.numpy(), rtol=1e-4, atol=1e-6)
    message = _one_line_error(capsys, "attribute", *source, "--data", data, "-o", tmp_path / "x.h5")
    assert "choose one with --output-head" in message
    message = _one_line_error(capsys, "attribute", *source, "--data", data, "-o", tmp_path / "x.h5", "--output-head", "profile")
    assert "give --profile-summary" in message
    # the profile (2 strands) summed over positions: two outputs, not the data's task
    code, stdout, err = _run(capsys, "attribute", *source, "--data", data, "-o", tmp_path / "p.h5", "--limit", 3,
                             "--output-head", "profile", "--profile-summary", "logsumexp", "--target", 1,
                             "--methods", "saliency", "--json", "--quiet")
    assert code == 0, err
    assert json.loads(stdout)["task_name"] == "output1"
    loaded = load_attributions(tmp_path / "p.h5")
    X = torch.from_numpy(loaded.sequences.X)
    expected = saliency(select_output(workspace["heads"], head="profile", reduce="logsumexp"), X, target=1, correct=False)
    np.testing.assert_allclose(np.asarray(loaded.methods["saliency"].maps["raw"]), expected.numpy(), rtol=1e-4, atol=1e-6)
    message = _one_line_error(capsys, "attribute", *source, "--data", data, "-o", tmp_path / "x.h5", "--output-head", "profile",
                              "--profile-summary", "sum", "--positives")
    assert "--positives reads the data's labels, but the model has 2 output(s)" in message


@pytest.mark.parametrize("kind", FORMATS)
def test_filters_on_a_foreign_model(workspace, on_path, capsys, tmp_path, kind):
    root = workspace["root"]
    database = [m for m in load_jaspar(2016) if m.name != "SP1"][:20] + resolve_motifs(["SP1"])
    write_meme(database, tmp_path / "db.meme")
    out = tmp_path / "filters"
    code, stdout, err = _run(capsys, "filters", *_source(workspace, kind), "--data", root / "data.h5", "--jaspar",
                             tmp_path / "db.meme", "--tfs", "SP1", "--evalue", "1", "--no-plot", "-o", out, "--json")
    assert code == 0, err
    document = json.loads(stdout)
    assert document["layer"] == "conv" and len(document["filters"]) == 6
    expected = filter_alignment(ForeignModel(workspace["small"]), load_h5(root / "data.h5").test.X)
    got = pd.read_csv(out / "filters.csv")
    np.testing.assert_allclose(got["max_activation"], expected.table["max_activation"], rtol=1e-5)
    assert got["n_sites"].tolist() == expected.table["n_sites"].tolist()


def test_filters_layer_option_and_errors(workspace, on_path, capsys, tmp_path):
    root, data = workspace["root"], workspace["root"] / "data.h5"
    write_meme(resolve_motifs(["SP1"]), tmp_path / "db.meme")
    message = _one_line_error(capsys, "filters", root / "small.ts", "--data", data, "--layer", "fc", "--jaspar", tmp_path / "db.meme")
    assert "--layer 'fc' is a Linear, not a Conv1d" in message
    torch.save(workspace["modules"].Dense().state_dict(), tmp_path / "dense.pt")
    message = _one_line_error(capsys, "filters", "--model-class", "mymodels:Dense", "--weights", tmp_path / "dense.pt",
                              "--data", data, "--jaspar", tmp_path / "db.meme", "-o", tmp_path / "f")
    assert "no Conv1d taking the 4 DNA channels (its first layer is 'fc' (Linear))" in message
    code, stdout, err = _run(capsys, "filters", root / "small.ts", "--data", data, "--layer", "conv", "--jaspar",
                             tmp_path / "db.meme", "--no-plot", "--json")
    assert code == 0, err
    assert (root / "small_filters" / "filters.json").is_file()


@pytest.mark.parametrize("kind", FORMATS)
def test_gia_equals_the_library(workspace, on_path, capsys, tmp_path, kind):
    root = workspace["root"]
    code, stdout, err = _run(capsys, "gia", *_source(workspace, kind), "--data", root / "data.h5", "--motif", "SP1",
                             "--n-null", 20, "--positions", "0:150:75", "--target", 1, "--json", "--quiet")
    assert code == 0, err
    table = pd.DataFrame(json.loads(stdout)["table"])
    split = load_h5(root / "data.h5").test
    expected = analyze(workspace["small"], split, "SP1", n_null=20, positions=[0, 75, 150], target=1).table
    np.testing.assert_allclose(table["mean"].to_numpy(float), expected["mean"].to_numpy(float), rtol=1e-4, atol=1e-6)


def test_errors_are_one_line(workspace, on_path, capsys, tmp_path):
    root, data = workspace["root"], workspace["root"] / "data.h5"
    out = ["--data", data, "-o", tmp_path / "x.h5"]
    weights = root / "small.pt"
    cases = {
        "no module named 'nowhere'": ["--model-class", "nowhere:Net", "--weights", weights],
        "has no 'Nett'": ["--model-class", "mymodels:Nett", "--weights", weights],
        "--model-kwargs is not valid JSON": ["--model-class", "mymodels:SmallCNN", "--weights", weights, "--model-kwargs", "{outputs: 2"],
        "--model-kwargs must be a JSON object": ["--model-class", "mymodels:SmallCNN", "--weights", weights, "--model-kwargs", "[2]"],
        "failed: TypeError": ["--model-class", "mymodels:SmallCNN", "--weights", weights, "--model-kwargs", '{"width": 3}'],
        "missing keys profile.weight": ["--model-class", "mymodels:TwoHeads", "--weights", weights],
        "--model-class needs --weights": ["--model-class", "mymodels:SmallCNN"],
        "--weights needs --model-class": [root / "small.ts", "--weights", weights],
        "not both": [root / "small.ts", "--model-class", "mymodels:SmallCNN", "--weights", weights],
        "give a run directory, a model file": [],
        "neither a TorchScript file": [weights],
        "--profile-summary must be one of": [root / "small.ts", "--profile-summary", "median"],
        "--output-head 'count' given, but the model returns one tensor": [root / "small.ts", "--output-head", "count"],
    }
    for expected, argv in cases.items():
        assert expected in _one_line_error(capsys, "attribute", *argv, *out), expected
    torch.jit.save(torch.jit.script(workspace["modules"].Dense(length=50)), tmp_path / "dense.ts")
    message = _one_line_error(capsys, "gia", tmp_path / "dense.ts", "--data", data, "--motif", "SP1")
    assert "rejects one-hot input of shape (1, 4, 200)" in message
    message = _one_line_error(capsys, "attribute", root / "small.ts", *out, "--target", 7)
    assert "--target 7 is out of range" in message
    message = _one_line_error(capsys, "attribute", root / "small.ts", *out, "--methods", "saliency,deepshap")
    assert "--methods: deepshap cannot run on a TorchScript model" in message


def test_default_methods_leave_deepshap_out_for_torchscript(workspace, capsys, tmp_path, monkeypatch):
    import seqlens.attribution

    called = []
    original = seqlens.attribution.attribute_split

    def spy(model, split, names, **kwargs):
        called.append(list(names))
        return original(model, split, ["saliency"], **kwargs)

    monkeypatch.setattr(seqlens.attribution, "attribute_split", spy)
    code, _, err = _run(capsys, "attribute", workspace["root"] / "small.ts", "--data", workspace["root"] / "data.h5",
                        "-o", tmp_path / "a.h5", "--limit", 2)
    assert code == 0, err
    assert "leaving out deepshap" in err and "deepshap" not in called[0] and "saliency" in called[0]


def test_layer_option_on_a_seqlens_run_matches_the_zoo_analysis(workspace, capsys, tmp_path):
    """--layer on a run directory: the search runs on the zoo model and finds what first_conv is."""
    from seqlens.models import build, save_model

    model = build("cnn_local", filters=4, seed=0)
    save_model(model, tmp_path / "run")
    write_meme(resolve_motifs(["SP1"]), tmp_path / "db.meme")
    data = workspace["root"] / "data.h5"
    for argv, out in (([], "a"), (["--layer", "blocks.0.conv"], "b")):
        code, stdout, err = _run(capsys, "filters", tmp_path / "run", "--data", data, *argv, "--jaspar", tmp_path / "db.meme",
                                 "--no-plot", "-o", tmp_path / out, "--json")
        assert code == 0, err
    a, b = (pd.read_csv(tmp_path / out / "filters.csv") for out in "ab")
    np.testing.assert_allclose(a["max_activation"], b["max_activation"], rtol=1e-6)
    assert a["n_sites"].tolist() == b["n_sites"].tolist()
    message = _one_line_error(capsys, "attribute", tmp_path / "run", "--data", data, "-o", tmp_path / "x.h5", "--output-head", "0")
    assert "--output-head applies to a model file or --model-class" in message


# ---------------------------------------------------------------------------------------
# traced TorchScript: first-layer geometry from the graph, layers run node by node, re-drawn copies


def _traced_and_loaded(model, length, tmp_path):
    traced = torch.jit.trace(model, torch.zeros(1, 4, length))
    traced.save(str(tmp_path / "model.ts"))
    return traced, torch.jit.load(str(tmp_path / "model.ts"))


@pytest.mark.parametrize("activation", [nn.ReLU(), nn.GELU(approximate="tanh"), nn.LeakyReLU(0.3), nn.PReLU(6)],
                         ids=["relu", "gelu-tanh", "leaky", "prelu"])
@pytest.mark.parametrize("padding", [4, "same"])
def test_traced_first_layer_has_the_geometry_and_activations_of_the_original(activation, padding, tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(4, 6, 5, padding=padding, dilation=2, groups=1), nn.BatchNorm1d(6, eps=1e-2),
                          activation, nn.Flatten(), nn.LazyLinear(1))
    model(torch.zeros(1, 4, 16))
    model[1].running_mean.uniform_(-1, 1)
    model[1].running_var.uniform_(0.5, 2.0)
    model.eval()
    X = torch.randn(3, 4, 16)
    want = model[2](model[1](model[0](X)))
    for foreign in _traced_and_loaded(model, 16, tmp_path):
        layer = first_convolution(foreign)
        assert layer.conv.dilation == (2,) and layer.conv.padding == model[0].padding and layer.after_names == ["1", "2"]
        assert torch.allclose(layer.activations(X), want, atol=1e-6)


def test_randomized_copy_redraws_a_traced_model(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(4, 6, 5), nn.BatchNorm1d(6), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 12, 1)).eval()
    model[1].running_mean.fill_(0.5)
    _, loaded = _traced_and_loaded(model, 16, tmp_path)
    copy = randomized_copy(loaded, seed=3)
    again = randomized_copy(loaded, seed=3)
    conv_weights = [dict(m.named_parameters())["0.weight"] for m in (loaded, copy, again)]
    assert not torch.equal(conv_weights[0], conv_weights[1]) and torch.equal(conv_weights[1], conv_weights[2])
    assert torch.equal(getattr(copy, "1").running_mean, torch.zeros(6))
    assert torch.equal(getattr(loaded, "1").running_mean, torch.full((6,), 0.5))  # the model is untouched
    limit = (6 / (4 * 5 + 6 * 5)) ** 0.5  # glorot_uniform on the conv's fans
    assert conv_weights[1].abs().max() <= limit
