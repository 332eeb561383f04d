"""Tests of seqlens.attribution.patch_predictions against a naive loop over edited sequences.

The reference builds every edited sequence (the patch written over its columns) and runs the
whole model on it. Zoo models get random weights and randomised batch-norm statistics, so
every layer of the windowed chain does something; float64 where the comparison is tight.
"""

import sys
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from seqlens.alphabet import random_sequences
from seqlens.attribution import ism, patch_predictions, variant_predictions
from seqlens.errors import SeqlensError, SequenceError
from seqlens.models import build

ism_module = sys.modules["seqlens.attribution.ism"]
engine_module = sys.modules["seqlens.attribution._ism_engine"]

L = 200


def zoo(name: str, dtype=torch.float64, length: int = L, n_outputs: int = 1) -> nn.Module:
    torch.manual_seed(0)
    model = build(name, seed=0, input_length=length, n_outputs=n_outputs)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.uniform_(-0.5, 0.5, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
    return model.to(dtype).eval()


def ppm_patches(n: int, width: int, dtype=torch.float64, seed: int = 0) -> torch.Tensor:
    """``(n, 4, width)`` fractional columns summing to 1, like samples of a PPM's columns."""
    p = torch.rand(n, 4, width, generator=torch.Generator().manual_seed(seed), dtype=dtype) + 0.05
    return p / p.sum(dim=1, keepdim=True)


def naive(model, X, patches, positions, target=0, func=None) -> torch.Tensor:
    """``(N, P)``: the whole model on every edited sequence, one sequence's edits per call."""
    N, width = X.shape[0], patches.shape[-1]
    patches = patches.expand(N, 4, width)
    target = torch.as_tensor(target).expand(N)
    rows = []
    with torch.no_grad():
        for i in range(N):
            edited = X[i].repeat(len(positions), 1, 1)
            for j, p in enumerate(positions):
                edited[j, :, p : p + width] = patches[i]
            y = model(edited)
            y = func(y) if func is not None else y
            rows.append(y[:, target[i]])
    return torch.stack(rows)


def windowed(*args, **kwargs) -> torch.Tensor:
    """patch_predictions with any warning an error: the fast path's fallback warns."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return patch_predictions(*args, **kwargs)


# ---------------------------------------------------------------------------------------
# equal to the naive loop


ZOO = [("cnn_local", L), ("cnn_dist", L), ("basset", 150), ("hybrid_c4_mha", L), ("hybrid_c24_lstm_mha", L)]


@pytest.mark.parametrize("width", [1, 5, 12])
@pytest.mark.parametrize("name,length", ZOO)
def test_zoo_models_equal_naive_loop_at_every_position(name, length, width):
    model = zoo(name, length=length)
    X = random_sequences(3, length, seed=1, as_tensor=True).double()
    patches = ppm_patches(3, width)
    assert engine_module.FastISM(model, X[:1], width).product_fraction < ism_module._WINDOWED_MAX_PRODUCT_FRACTION
    got = windowed(model, X, patches)
    want = naive(model, X, patches, range(length - width + 1))
    assert got.shape == (3, length - width + 1) and got.dtype == torch.float64
    assert torch.allclose(got, want, rtol=0, atol=1e-10)
    assert want.std(dim=1).min() > 1e-6  # the patch's position matters: the test can fail


@pytest.mark.parametrize("width", [1, 5, 12])
def test_float32_subset_of_positions_broadcast_one_hot_patch(width):
    model = zoo("cnn_dist", torch.float32)
    X = random_sequences(4, L, seed=2, as_tensor=True)
    patch = random_sequences(1, width, seed=3, as_tensor=True)[0]  # (4, W), one-hot
    positions = [L - width, 0, 37, 100, 37, 1]  # unsorted, with a repeat, both edges
    got = windowed(model, X, patch, positions=positions)
    assert got.shape == (4, len(positions)) and got.dtype == torch.float32
    assert torch.allclose(got, naive(model, X, patch, positions), rtol=0, atol=1e-5)
    assert torch.equal(got[:, 2], got[:, 4])
    per_sequence = windowed(model, X, patch.expand(4, 4, width), positions=torch.tensor(positions))
    assert torch.allclose(per_sequence, got, rtol=0, atol=1e-6)


def test_target_tensor_func_and_numpy_inputs():
    model = zoo("cnn_local", n_outputs=3)
    X = random_sequences(3, L, seed=4, as_tensor=True).double()
    patches = ppm_patches(3, 8, seed=1)
    target = torch.tensor([2, 0, 1])
    func = lambda y: torch.softmax(y, dim=1)  # noqa: E731
    positions = [0, 50, 192]
    got = windowed(model, X, patches, positions=positions, target=target, func=func)
    assert torch.allclose(got, naive(model, X, patches, positions, target, func), rtol=0, atol=1e-12)
    assert torch.allclose(windowed(model, X, patches, positions, target=1), naive(model, X, patches, positions, 1), atol=1e-10)
    from_numpy = windowed(model, X.numpy(), patches.numpy(), positions=np.array(positions), target=target, func=func)
    assert torch.equal(from_numpy, got)


class LocalChain(nn.Module):
    """Zero pad + valid conv, dilated valid conv, average and dilated strided max pools,
    batch norm after a pool, and a residual tail: window edges in every layer kind."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(5)
        self.pad = nn.ConstantPad1d((4, 1), 0.0)
        self.c1 = nn.Conv1d(4, 6, 6)
        self.act = nn.ELU()
        self.c2 = nn.Conv1d(6, 5, 3, dilation=2, padding="valid")
        self.avg = nn.AvgPool1d(3, stride=2)
        self.bn = nn.BatchNorm1d(5)
        self.c3 = nn.Conv1d(5, 5, 4, padding="same")
        self.mp = nn.MaxPool1d(3, stride=2, dilation=2)
        self.res = nn.Conv1d(5, 5, 3, padding="same")
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        h = self.mp(self.c3(self.bn(self.avg(self.c2(self.act(self.c1(self.pad(x))))))))
        h = h + torch.relu(self.res(h))
        return self.head(h.mean(dim=2))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("adds_per_product", [0, 10**9])  # every conv adds its change / recomputes
@pytest.mark.parametrize("width", [1, 5, 12])
def test_layer_geometry_at_the_edges(monkeypatch, adds_per_product, width):
    monkeypatch.setattr(engine_module, "_ADDS_PER_PRODUCT", adds_per_product)
    model = LocalChain().double().eval()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
    X = random_sequences(3, 60, seed=6, as_tensor=True).double()
    patches = ppm_patches(3, width, seed=2)
    got = windowed(model, X, patches, target=1, batch_size=17)
    assert torch.allclose(got, naive(model, X, patches, range(60 - width + 1), 1), rtol=0, atol=1e-12)


def test_blocks_of_sequences_and_small_batches(monkeypatch):
    monkeypatch.setattr(engine_module, "_WILD_TYPE_BLOCK_VALUES", 1)  # one sequence per block
    model = zoo("cnn_dist")
    X = random_sequences(3, L, seed=7, as_tensor=True).double()
    patches = ppm_patches(3, 5, seed=3)
    positions = [0, 1, 2, 3, 4, 5, 60, 61, 62, 150, 195]  # runs and lone positions of each group
    want = naive(model, X, patches, positions)
    for batch_size in (1, 7, 10_000):
        assert torch.allclose(windowed(model, X, patches, positions, batch_size=batch_size), want, rtol=0, atol=1e-10)


def test_width_one_one_hot_patch_is_ism_plus_wild_type():
    model = zoo("cnn_dist")
    X = random_sequences(2, L, seed=8, as_tensor=True).double()
    delta = ism(model, X)
    with torch.no_grad():
        wild_type = model(X)[:, 0]
    for letter in range(4):
        patch = torch.zeros(4, 1, dtype=torch.float64)
        patch[letter] = 1
        got = windowed(model, X, patch)
        assert torch.allclose(got - wild_type[:, None], delta[:, letter], rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------
# the whole-model path


def test_model_the_engine_cannot_window_falls_back_and_mode_is_restored():
    torch.manual_seed(9)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4 * 30, 8), nn.Dropout(0.5), nn.ReLU(), nn.Linear(8, 2)).double()
    model.train()
    X = random_sequences(3, 30, seed=9, as_tensor=True).double()
    patches = ppm_patches(3, 5, seed=4)
    with pytest.warns(RuntimeWarning, match="fast ISM is not available.*running the whole model"):
        got = patch_predictions(model, X, patches, target=1, batch_size=7)
    assert model.training and model[2].training  # eval mode was only for the call
    assert torch.allclose(got, naive(model.eval(), X, patches, range(26), 1), rtol=0, atol=1e-12)


def test_wide_patches_and_a_zero_threshold_take_the_whole_model(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the windowed path was taken")

    model = zoo("basset", length=150)
    X = random_sequences(2, 150, seed=10, as_tensor=True).double()
    monkeypatch.setattr(engine_module.FastISM, "patch", refuse)
    patches = ppm_patches(2, 140, seed=5)  # windows longer than the sequence: costlier than the model
    assert torch.allclose(windowed(model, X, patches), naive(model, X, patches, range(11)), rtol=0, atol=1e-10)
    monkeypatch.setattr(ism_module, "_WINDOWED_MAX_PRODUCT_FRACTION", 0.0)
    patches = ppm_patches(2, 5, seed=6)
    positions = [0, 3, 145]
    assert torch.allclose(windowed(model, X, patches, positions), naive(model, X, patches, positions), rtol=0, atol=1e-10)


def test_result_is_a_cpu_tensor_and_the_modes_come_back():
    model = zoo("cnn_local").train()
    model.blocks[0].norm.eval()  # mixed modes come back exactly
    X = random_sequences(2, L, seed=11, as_tensor=True).double()
    out = windowed(model, X, ppm_patches(1, 6)[0], positions=[3, 9])
    assert out.device.type == "cpu" and not out.is_inference() and out.shape == (2, 2)
    assert model.training and not model.blocks[0].norm.training and model.blocks[1].norm.training
    assert windowed(model, X, ppm_patches(1, 6)[0], positions=[]).shape == (2, 0)


# ---------------------------------------------------------------------------------------
# bad input


def test_bad_input_raises_one_line_errors():
    model = zoo("cnn_local", torch.float32)
    X = random_sequences(3, L, seed=12, as_tensor=True)
    patch = torch.rand(4, 10)
    bad = [
        (dict(patches=patch, positions=[0, 191]), SeqlensError, r"positions must be in \[0, 190\] .*got 191"),
        (dict(patches=patch, positions=[-1]), SeqlensError, r"positions must be in \[0, 190\].*got -1"),
        (dict(patches=patch, positions=[0.5]), SeqlensError, "positions must be a 1-d list of integers"),
        (dict(patches=patch, positions=[[0, 1]]), SeqlensError, "positions must be a 1-d list of integers"),
        (dict(patches=patch, positions=["7"]), SeqlensError, "positions must be a 1-d list of integers"),
        (dict(patches=patch, positions=torch.tensor([True])), SeqlensError, "positions must be a 1-d list of integers"),
        (dict(patches=torch.rand(3, 10)), SequenceError, r"patches must have shape \(3, 4, W\) or \(4, W\)"),
        (dict(patches=torch.rand(2, 4, 10)), SequenceError, r"patches must have shape \(3, 4, W\).*got \(2, 4, 10\)"),
        (dict(patches=torch.rand(4, L + 1)), SequenceError, r"1 <= W <= 200"),
        (dict(patches=torch.rand(4)), SequenceError, r"patches must have shape"),
        (dict(patches=torch.full((4, 3), float("nan"))), SequenceError, "patches contains NaN"),
        (dict(patches=patch, batch_size=0), SeqlensError, "batch_size"),
        (dict(patches=patch, target=torch.tensor([0, 1])), SeqlensError, r"shape \(3,\)"),
    ]
    for kwargs, error, message in bad:
        with pytest.raises(error, match=message) as info:
            patch_predictions(model, X, **kwargs)
        assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["cnn_dist", "fallback"])
def test_variant_predictions_equal_a_naive_loop(name):
    """Every one of K shared variants at every position, windowed and through the whole model,
    in groups smaller than K (batch_size 5 < K = 7)."""
    torch.manual_seed(0)
    if name == "fallback":
        model = nn.Sequential(nn.Flatten(), nn.Linear(4 * 120, 3)).double()
    else:
        model = build(name, input_length=120, n_outputs=3).double().eval()
    X = torch.as_tensor(random_sequences(4, 120, seed=1), dtype=torch.float64)
    variants = torch.as_tensor(random_sequences(7, 4, seed=2), dtype=torch.float64)
    positions = [0, 13, 116]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = variant_predictions(model, X, variants, positions, target=2, batch_size=5)
    assert out.shape == (4, 7, 3)
    with torch.no_grad():
        for k in range(7):
            for j, p in enumerate(positions):
                edited = X.clone()
                edited[:, :, p : p + 4] = variants[k]
                torch.testing.assert_close(out[:, k, j], model.eval()(edited)[:, 2], atol=1e-10, rtol=0)
    with pytest.raises(SequenceError, match=r"variants must have shape \(K, 4, W\)"):
        variant_predictions(model, X, variants[0])
