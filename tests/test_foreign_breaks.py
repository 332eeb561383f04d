"""What breaks for a model (or a map) written elsewhere (issue 13).

1. integer / boolean one-hot input (tangermeme's ``one_hot_encode`` gives int8) is cast to
   the model's dtype by every public attribution function;
2. fast ISM traces ``model(X)`` as seqlens calls it (extra optional ``forward`` arguments
   absent) and handles a forward that reads ``X.shape``; when it still falls back, the
   warning names the real cause, and the maps equal naive ISM;
3. bad devices and ``torch.inference_mode`` give one-line SeqlensErrors or just work;
4. maps made elsewhere (times-input, mean-centred ISM) are scored with ``kind=``.
"""

import importlib.util
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from seqlens.attribution import (
    AttributionSet,
    MethodMaps,
    deepshap,
    expected_gradients,
    integrated_gradients,
    ism,
    patch_predictions,
    saliency,
    smoothgrad,
    target_outputs,
    times_input,
    variant_predictions,
)
from seqlens.data import Split
from seqlens.errors import SeqlensError
from seqlens.evaluation import cosine_similarity, interpretability_scores, signal_to_noise
from seqlens.evaluation.scoring import score_attributions
from seqlens.training import resolve_device
from seqlens.validation import check_device

L = 24


def one_hot(n: int, length: int = L, seed: int = 0) -> torch.Tensor:
    letters = torch.randint(0, 4, (n, length), generator=torch.Generator().manual_seed(seed))
    return nn.functional.one_hot(letters, 4).transpose(1, 2).float()


def cnn(length: int = L, n_out: int = 2, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv1d(4, 6, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(6 * (length // 2), n_out)
    ).eval()


@pytest.fixture
def X():
    return one_hot(4)


# ---------------------------------------------------------------------------------------
# 1. integer and boolean one-hot input

METHODS = {
    "saliency": lambda m, x: saliency(m, x),
    "smoothgrad": lambda m, x: smoothgrad(m, x, n=3),
    "integrated_gradients": lambda m, x: integrated_gradients(m, x, steps=3),
    "expected_gradients": lambda m, x: expected_gradients(m, x, n_references=2, steps=2),
    "integrated_gradients_dinuc": lambda m, x: integrated_gradients(m, x, steps=2, baselines="dinuc_shuffle"),
    "deepshap": lambda m, x: deepshap(m, x, n_references=2),
    "ism": lambda m, x: ism(m, x),
    "ism_naive": lambda m, x: ism(m, x, fast=False),
    "patch_predictions": lambda m, x: patch_predictions(m, x, x[0, :, :3]),
    "variant_predictions": lambda m, x: variant_predictions(m, x, x[:2, :, :3]),
    "target_outputs": lambda m, x: target_outputs(m, x),
}


@pytest.mark.parametrize("dtype", [torch.int8, torch.uint8, torch.bool, np.int8, np.uint8, np.bool_])
@pytest.mark.parametrize("method", sorted(METHODS))
def test_integer_and_boolean_one_hot_is_cast_to_the_model_dtype(X, method, dtype):
    model = cnn().double()
    X_int = X.to(dtype) if isinstance(dtype, torch.dtype) else X.numpy().astype(dtype)
    got = METHODS[method](model, X_int)
    want = METHODS[method](model, X.double())
    assert got.dtype == torch.float64
    assert torch.allclose(got, want, atol=1e-12)


def test_integer_references_and_patches_are_cast(X):
    model = cnn()
    refs = one_hot(4 * 2, seed=3).reshape(4, 2, 4, L)
    got = integrated_gradients(model, X.to(torch.int8), steps=2, baselines=refs.to(torch.int8))
    assert torch.allclose(got, integrated_gradients(model, X, steps=2, baselines=refs))
    patch = X[0, :, :3]
    assert torch.allclose(patch_predictions(model, X, patch.to(torch.uint8)), patch_predictions(model, X, patch))


# ---------------------------------------------------------------------------------------
# 2. fast ISM on models written elsewhere


class _Body(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.conv = nn.Conv1d(4, 6, 5, padding=2)
        self.act = nn.ReLU()
        self.dense = nn.Linear(6 * L, 2)


class ExtraArgs(_Body):
    """tangermeme-style ``forward(X, *args)`` with optional extras (bias, scale)."""

    def forward(self, X, bias=None, scale=1.0):
        y = self.dense(self.act(self.conv(X)).flatten(1))
        if bias is not None:
            y = y + bias
        return y * scale


class VarArgs(ExtraArgs):
    def forward(self, X, *args):
        return super().forward(X, *args)


class ReadsShape(_Body):
    """A one-argument wrapper that reads ``X.shape`` (a reshape by the batch size)."""

    def forward(self, X):
        n, _, length = X.shape
        h = self.act(self.conv(X))
        return self.dense(h.reshape(n, 6 * length))


class ReadsSize(_Body):
    def forward(self, X):
        h = self.act(self.conv(X))
        return self.dense(h.view(X.size(0), -1)) + X.dim() * 0


class Residual(_Body):
    """X feeds the convolution and a skip: the chain cannot start, and the warning says why."""

    def forward(self, X):
        h = self.act(self.conv(X)) + X.sum(dim=1, keepdim=True)
        return self.dense(h.flatten(1))


class Transposed(_Body):
    def forward(self, X):
        X = X.transpose(1, 2).transpose(1, 2)
        return self.dense(self.act(self.conv(X)).flatten(1))


class Strided(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(2)
        self.conv = nn.Conv1d(4, 6, 4, stride=2)
        self.dense = nn.Linear(6 * ((L - 4) // 2 + 1), 1)

    def forward(self, X):
        return self.dense(self.conv(X).flatten(1))


def _fast_ism(model, X):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fast = ism(model, X)
    return fast, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("model_class", [ExtraArgs, VarArgs, ReadsShape, ReadsSize])
def test_fast_ism_takes_the_fast_path_on_foreign_forwards(X, model_class):
    model = model_class().double().eval()
    X = X.double()
    fast, caught = _fast_ism(model, X)
    assert caught == []  # really windowed, no fallback
    assert torch.allclose(fast, ism(model, X, fast=False), atol=1e-12)


def test_patch_predictions_on_a_forward_that_reads_the_shape(X):
    model = ReadsShape().double().eval()
    X, patch = X.double(), X[0, :, :4].double()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = patch_predictions(model, X, patch)
    want = torch.stack([model(torch.cat([X[:, :, :p], patch.expand(4, -1, -1), X[:, :, p + 4 :]], dim=2))[:, 0]
                        for p in range(L - 3)], dim=1).detach()
    assert torch.allclose(got, want, atol=1e-12)


@pytest.mark.parametrize(
    ("model_class", "reason"),
    [
        (Residual, r"X feeds 2 operations \(.*line \d+"),
        (Transposed, r"forward applies transpose to X .*line \d+"),
        (Strided, r"first layer on X is Conv1d\(.*stride=\(2,\).*\), not a stride-1 Conv1d"),
    ],
)
def test_fast_ism_fallback_names_the_real_cause(X, model_class, reason):
    model = model_class().eval()
    fast, caught = _fast_ism(model, X)
    assert len(caught) == 1 and "does not start with a stride-1 Conv1d" not in caught[0], caught
    assert caught[0].startswith("fast ISM is not available for this model")
    import re

    assert re.search(reason, caught[0]), caught[0]
    assert torch.allclose(fast, ism(model, X, fast=False), atol=1e-6)


class DilatedResidual(nn.Module):
    """bpnet-lite's BPNet in miniature: a residual stack of dilated convolutions, a trimmed
    profile head and a count head on the mean of the trimmed stack (``forward(X, X_ctl=None)``)."""

    def __init__(self, n_layers: int = 3, trim: int = 4):
        super().__init__()
        torch.manual_seed(3)
        self.trim = trim
        self.iconv = nn.Conv1d(4, 5, 7, padding=3)
        self.irelu = nn.ReLU()
        self.rconvs = nn.ModuleList(nn.Conv1d(5, 5, 3, padding=2**i, dilation=2**i) for i in range(1, n_layers + 1))
        self.rrelus = nn.ModuleList(nn.ReLU() for _ in range(n_layers))
        self.fconv = nn.Conv1d(5, 1, 5, padding=2)
        self.linear = nn.Linear(5, 1)

    def forward(self, X, X_ctl=None):
        start, end = self.trim, X.shape[2] - self.trim
        X = self.irelu(self.iconv(X))
        for conv, relu in zip(self.rconvs, self.rrelus):
            X = torch.add(X, relu(conv(X)))
        profile = self.fconv(X)[:, :, start:end]
        counts = self.linear(torch.mean(X[:, :, start:end], dim=2))
        return profile, counts


class Counts(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, X):
        return self.model(X)[1]


class Profile(nn.Module):
    """A profile summary: the profile head's fconv is windowed too."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, X):
        return self.model(X)[0].sum(dim=(1, 2))[:, None]


class SkipOnInput(nn.Module):
    """X itself is a residual operand (4 -> 4 channels), folded batch norm, in-place ReLU
    read again by a later skip, a pool between two residual blocks."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(4)
        self.conv0 = nn.Conv1d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm1d(4)
        self.relu = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool1d(2)
        self.conv1 = nn.Conv1d(4, 4, 5, padding="same")
        self.drop = nn.Dropout(0.2)
        self.dense = nn.Linear(4 * (L // 2), 2)

    def forward(self, X):
        h = self.relu(self.bn(self.conv0(X))) + X
        h = self.drop(self.pool(h))
        h = h + self.relu(self.conv1(h))
        return self.dense(h.flatten(1))


def _eval_bn(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return model.double().eval()


@pytest.mark.parametrize("make", [lambda: Counts(DilatedResidual()), lambda: Profile(DilatedResidual()), SkipOnInput],
                         ids=["bpnet-counts", "bpnet-profile", "skip-on-input"])
def test_fast_ism_windows_residual_connections(make):
    """Sums of chain activations are windowed (their window is the union of the operands'):
    no fallback, and every mutant's output equals the whole model's within float64 rounding."""
    model = _eval_bn(make())
    X = one_hot(3, L, seed=5).double()
    X[1, :, 7] = 0.25  # a column that is not one-hot goes through the whole model
    fast, caught = _fast_ism(model, X)
    assert caught == []
    naive = ism(model, X, fast=False)
    assert torch.allclose(fast, naive, atol=1e-10) and naive.abs().max() > 1e-3
    patch = X[0, :, :5]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = patch_predictions(model, X, patch)
    want = torch.stack([model(torch.cat([X[:, :, :p], patch.expand(3, -1, -1), X[:, :, p + 5:]], dim=2))[:, 0]
                        for p in range(L - 4)], dim=1).detach()
    assert torch.allclose(got, want, atol=1e-10)


def test_fast_ism_stops_the_chain_before_a_skip_it_cannot_window(X):
    """An early activation read by the tail (a skip past the chain's end) cuts the chain
    where no earlier activation is read later: still windowed, still exact."""

    class LateSkip(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(6)
            self.conv0, self.conv1 = nn.Conv1d(4, 3, 3, padding=1), nn.Conv1d(3, 3, 3, padding=1)
            self.dense = nn.Linear(3 * L, 1)

        def forward(self, X):
            h = torch.relu(self.conv0(X))  # torch.relu is not a module: the chain ends at conv0
            return self.dense((self.conv1(h) * h).flatten(1))

    model = LateSkip().double().eval()
    fast, caught = _fast_ism(model, X.double())
    assert caught == []
    assert torch.allclose(fast, ism(model, X.double(), fast=False), atol=1e-12)


def test_fast_ism_on_a_dilated_residual_stack_equals_tangermeme():
    """The BPNet-like stack (bpnet-lite itself is not a test dependency: it pulls in MACS3)
    against tangermeme's ISM, which is mean-centred: compare after centring ours."""
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    model = Counts(DilatedResidual(n_layers=4)).double().eval()
    X = one_hot(2, 60, seed=8).double()
    ours, caught = _fast_ism(model, X)
    assert caught == []
    theirs = saturation_mutagenesis(model, X, hypothetical=True, fast=False)
    assert torch.allclose(ours - ours.mean(dim=1, keepdim=True), theirs, atol=1e-10)


@pytest.mark.skipif(importlib.util.find_spec("bpnetlite") is None, reason="bpnet-lite is not installed")
def test_fast_ism_on_bpnet_lite_equals_tangermeme():
    """bpnet-lite's BPNet count head: windowed (no fallback) and equal to tangermeme's ISM
    (mean-centred there: compare after centring ours)."""
    from bpnetlite import BPNet
    from bpnetlite.bpnet import CountWrapper
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    torch.manual_seed(0)
    model = CountWrapper(BPNet(n_filters=8, n_layers=4, n_outputs=1, n_control_tracks=0, trimming=20, verbose=False)).double().eval()
    X = one_hot(2, 160, seed=7).double()
    ours, caught = _fast_ism(model, X)
    assert caught == []
    assert torch.allclose(ours, ism(model, X, fast=False), atol=1e-10)
    theirs = saturation_mutagenesis(model, X, hypothetical=True, fast=False)
    assert torch.allclose(ours - ours.mean(dim=1, keepdim=True), theirs, atol=1e-8)


# ---------------------------------------------------------------------------------------
# 3. devices and inference mode

BAD_DEVICES = ["gpu", "cuda:7", "meta", 99, 1.5, "cpu:x"]
if not torch.cuda.is_available():
    BAD_DEVICES.append("cuda")
if not torch.backends.mps.is_available():
    BAD_DEVICES.append("mps")

@pytest.mark.parametrize("device", BAD_DEVICES, ids=str)
def test_bad_device_is_a_one_line_seqlens_error(device):
    with pytest.raises(SeqlensError) as err:
        check_device(device)
    assert "\n" not in str(err.value) and repr(device) in str(err.value)
    with pytest.raises(SeqlensError) as err:
        resolve_device(device)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("device", ["gpu", "meta", "cuda:7"])
@pytest.mark.parametrize("method", sorted(METHODS))
def test_attribution_entry_points_refuse_bad_devices_in_one_line(X, method, device):
    model = cnn()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(SeqlensError) as err:
        _with_device(method, model, X, device)
    assert "\n" not in str(err.value)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # "meta" left the weights alone


def _with_device(method, model, X, device):
    calls = {
        "saliency": lambda: saliency(model, X, device=device),
        "smoothgrad": lambda: smoothgrad(model, X, n=2, device=device),
        "integrated_gradients": lambda: integrated_gradients(model, X, steps=2, device=device),
        "expected_gradients": lambda: expected_gradients(model, X, n_references=2, steps=2, device=device),
        "integrated_gradients_dinuc": lambda: integrated_gradients(model, X, steps=2, baselines="dinuc_shuffle", device=device),
        "deepshap": lambda: deepshap(model, X, n_references=2, device=device),
        "ism": lambda: ism(model, X, device=device),
        "ism_naive": lambda: ism(model, X, fast=False, device=device),
        "patch_predictions": lambda: patch_predictions(model, X, X[0, :, :3], device=device),
        "variant_predictions": lambda: variant_predictions(model, X, X[:2, :, :3], device=device),
        "target_outputs": lambda: target_outputs(model, X, device=device),
    }
    return calls[method]()


def test_good_devices_resolve():
    assert check_device(None) is None
    assert check_device("cpu") == torch.device("cpu")
    assert check_device(torch.device("cpu")) == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("context", ["inference_mode", "no_grad"])
def test_entry_points_work_inside_inference_mode_and_no_grad(X, method, context):
    model = cnn()
    want = METHODS[method](model, X)
    try:
        with torch.inference_mode() if context == "inference_mode" else torch.no_grad():
            got = METHODS[method](model, X)
    except SeqlensError as err:  # the one allowed failure: a one-line message saying so
        assert context == "inference_mode" and method == "deepshap", err
        assert "inference_mode" in str(err) and "\n" not in str(err)
        return
    assert torch.allclose(got, want)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_inference_tensors_as_input(X, method):
    model = cnn()
    with torch.inference_mode():
        X_inference = X.clone()
    assert torch.allclose(METHODS[method](model, X_inference), METHODS[method](model, X))


def test_model_made_under_inference_mode_is_a_one_line_error(X):
    with torch.inference_mode():
        model = cnn()
        model.load_state_dict(cnn().state_dict())
    with pytest.raises(SeqlensError, match="inference") as err:
        saliency(model, X)
    assert "\n" not in str(err.value)
    assert ism(model, X).shape == X.shape  # no gradients needed: fine


# ---------------------------------------------------------------------------------------
# 4. maps made elsewhere: kind=


def _scored_split(n: int = 8):
    """Sequences with a motif ("ACGTAC" at 8-13) that the toy model is trained on, and their ground truth."""
    X = one_hot(n, seed=5)
    motif = nn.functional.one_hot(torch.tensor([0, 1, 2, 3, 0, 1]), 4).T.float()
    X[: n // 2, :, 8:14] = motif
    truth = torch.full((n, 4, L), 0.25)
    truth[: n // 2, :, 8:14] = motif
    truth[n // 2 :, :, 8:14] = X[n // 2 :, :, 8:14]  # the same columns (shuffled letters) are motif sites too
    split = Split(X=X.numpy(), y=np.ones((n, 1), dtype=np.float32), ground_truth=truth.numpy())
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(4, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * L, 1)).eval()
    return split, model


def _set(split, **methods):
    return AttributionSet(split, np.arange(len(split.X)), 0, {name: maps for name, maps in methods.items()})


METRICS = ["auroc", "aupr_trapezoid", "average_precision", "signal", "noise", "snr"]


def test_times_input_map_scores_like_the_hypothetical_map():
    split, model = _scored_split()
    X = torch.from_numpy(split.X)
    hyp = saliency(model, X)
    foreign = times_input(hyp, X)  # what tangermeme's saliency returns by default
    own = score_attributions(_set(split, saliency=MethodMaps("saliency", "hypothetical", {"raw": hyp.numpy()})))
    # before issue 13 this scored the times-input map as a hypothetical map: a different cosine
    scored = score_attributions(_set(split, saliency=MethodMaps("saliency", "hypothetical", {"raw": foreign.numpy()})),
                                kind="times_input")
    pd_own, pd_foreign = own.set_index("sequence"), scored.set_index("sequence")
    assert np.allclose(pd_own[METRICS].to_numpy(), pd_foreign[METRICS].to_numpy(), equal_nan=True)
    # cosine needs all four letters: a times-input map has one, so it is NaN, never a different number
    assert pd_foreign["cosine"].isna().all() and pd_own["cosine"].notna().all()
    assert scored.attrs["kinds"] == {"saliency": "times_input"}


def test_mean_centred_ism_map_scores_like_the_ism_delta_map():
    split, model = _scored_split()
    X = torch.from_numpy(split.X)
    delta = ism(model, X)
    centred = delta - delta.mean(dim=1, keepdim=True)  # tangermeme's saturation_mutagenesis(hypothetical=True)
    own = score_attributions(_set(split, ism=MethodMaps("ism", "ism_delta", {"raw": delta.numpy()})))
    scored = score_attributions(_set(split, ism=MethodMaps("ism", "ism_delta", {"raw": centred.numpy()})),
                                kind={"ism": "mean_centred"})
    cols = [*METRICS, "cosine"]
    assert np.allclose(own[cols].to_numpy(), scored[cols].to_numpy(), atol=1e-6, equal_nan=True)
    # without kind= the mean-centred map scores differently: the silent change issue 13 is about
    unmarked = score_attributions(_set(split, ism=MethodMaps("ism", "ism_delta", {"raw": centred.numpy()})))
    assert not np.allclose(own[cols].to_numpy(), unmarked[cols].to_numpy(), atol=1e-6, equal_nan=True)


def test_kind_on_the_interpretability_functions():
    split, model = _scored_split()
    X, truth = torch.from_numpy(split.X), split.ground_truth
    hyp = saliency(model, X)
    foreign = times_input(hyp, X).numpy()
    a = interpretability_scores(hyp.numpy(), X.numpy(), truth)
    b = interpretability_scores(foreign, X.numpy(), truth, kind="times_input")
    assert np.allclose(a.to_numpy(), b.to_numpy(), equal_nan=True)
    a = signal_to_noise(hyp.numpy(), X.numpy(), truth)
    b = signal_to_noise(foreign, X.numpy(), truth, kind="times_input")
    assert np.allclose(a.to_numpy(), b.to_numpy(), equal_nan=True)
    with pytest.raises(SeqlensError, match="times_input"):
        cosine_similarity(foreign, truth, kind="times_input")
    delta = ism(model, X)
    centred = (delta - delta.mean(dim=1, keepdim=True)).numpy()
    want = cosine_similarity(delta.numpy(), truth)
    assert np.allclose(cosine_similarity(centred, truth, kind="mean_centred", X=X.numpy()), want, atol=1e-6)
    assert np.allclose(interpretability_scores(centred, X.numpy(), truth, kind="mean_centred").to_numpy(),
                       interpretability_scores(delta.numpy(), X.numpy(), truth, reduction="l2").to_numpy(), atol=1e-6)
    with pytest.raises(SeqlensError, match="kind must be one of"):
        interpretability_scores(foreign, X.numpy(), truth, kind="times-input")
    with pytest.raises(SeqlensError, match="kind must be one of"):
        score_attributions(_set(split, saliency=MethodMaps("saliency", "hypothetical", {"raw": foreign})), kind="tangermeme")
    with pytest.raises(SeqlensError, match="not_a_method"):
        score_attributions(_set(split, saliency=MethodMaps("saliency", "hypothetical", {"raw": foreign})),
                           kind={"not_a_method": "times_input"})


@pytest.mark.skipif(importlib.util.find_spec("tangermeme") is None, reason="tangermeme is not installed")
def test_tangermeme_maps_score_like_seqlens_maps():
    from tangermeme.saliency import saliency as tm_saliency
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    split, model = _scored_split()
    X = torch.from_numpy(split.X)
    X_int8 = X.to(torch.int8)  # tangermeme's one_hot_encode default
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm_sal = tm_saliency(model, X, target=0, device="cpu")  # corrected gradient x input
        tm_ism = saturation_mutagenesis(model, X, target=0, hypothetical=True, device="cpu")  # mean-centred delta
    own = score_attributions(_set(
        split,
        saliency=MethodMaps("saliency", "hypothetical", {"raw": saliency(model, X_int8).numpy()}),
        ism=MethodMaps("ism", "ism_delta", {"raw": ism(model, X_int8).numpy()}),
    ))
    foreign = score_attributions(_set(
        split,
        saliency=MethodMaps("saliency", "hypothetical", {"raw": tm_sal.numpy()}),
        ism=MethodMaps("ism", "ism_delta", {"raw": tm_ism.numpy()}),
    ), kind={"saliency": "times_input", "ism": "mean_centred"})
    for method, cols in (("saliency", METRICS), ("ism", [*METRICS, "cosine"])):
        a, b = own[own.method == method][cols].to_numpy(), foreign[foreign.method == method][cols].to_numpy()
        assert np.allclose(a, b, atol=1e-5, equal_nan=True), method
