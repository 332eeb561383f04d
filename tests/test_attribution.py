"""Tests of seqlens.attribution against captum, tangermeme, naive loops and hand-computed cases.

Models are tiny hand-built CNNs (conv k19 -> batch norm -> exponential -> max-pool -> dense)
with randomised batch-norm statistics, so every layer does something; float64 where an
exact comparison needs it.
"""

import sys
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from seqlens.alphabet import random_sequences
from seqlens.attribution import (
    attribute_split,
    correct_gradients,
    deepshap,
    expected_gradients,
    gradient_angles,
    integrated_gradients,
    ism,
    make_references,
    reduce_l2_norm,
    reduce_sum,
    saliency,
    smoothgrad,
    substitutions,
    times_input,
)
from seqlens.attribution.references import (
    dinuc_shuffled_references,
    shuffled_references,
    uniform_references,
    zero_references,
)
from seqlens.data import Split
from seqlens.errors import SeqlensError, SequenceError, UnreliableMapsWarning
from seqlens.evaluation import position_scores
from seqlens.models.activations import Exponential, ShiftScaleTanh

L = 40


def _randomise_batch_norm(model: nn.Module, gen: torch.Generator) -> nn.Module:
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.uniform_(-0.2, 0.2, generator=gen)
    return model


def exp_cnn(n_out: int = 2, dtype=torch.float32, seed: int = 0, activation=None) -> nn.Module:
    """conv k19 -> BN -> exponential -> max-pool 4 -> conv k5 -> relu -> pool 2 -> dense."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv1d(4, 6, 19, padding="same", bias=False),
        nn.BatchNorm1d(6),
        activation if activation is not None else Exponential(0.5),
        nn.Dropout(0.1),
        nn.MaxPool1d(4),
        nn.Conv1d(6, 5, 5, padding="same"),
        nn.ReLU(),
        nn.MaxPool1d(2),
        nn.Flatten(),
        nn.Linear(5 * (L // 8), n_out),
    )
    return _randomise_batch_norm(model, gen).to(dtype)


class FunctionalExp(nn.Module):
    """A model whose nonlinearity is a bare torch.exp call: invisible to module hooks."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.conv = nn.Conv1d(4, 4, 9, padding="same")
        self.dense = nn.Linear(4 * L, 1)

    def forward(self, x):
        return self.dense(torch.exp(self.conv(x)).flatten(1))


class Exploding(nn.Module):
    """Raises inside forward, to check that model state is restored on error."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 2, 3)

    def forward(self, x):
        raise RuntimeError("boom")


@pytest.fixture(scope="module")
def X() -> torch.Tensor:
    return random_sequences(3, L, seed=11, as_tensor=True)


@pytest.fixture(scope="module")
def model() -> nn.Module:
    return exp_cnn()


@pytest.fixture(scope="module")
def model64() -> nn.Module:
    return exp_cnn(dtype=torch.float64)


# ---------------------------------------------------------------------------------------
# correction, angles, reductions


def test_correct_gradients_subtracts_mean_and_is_orthogonal_to_ones():
    g = torch.randn(5, 4, 30, generator=torch.Generator().manual_seed(0))
    corrected = correct_gradients(g)
    assert torch.allclose(corrected.sum(dim=1), torch.zeros(5, 30), atol=1e-6)
    assert torch.allclose(corrected, g - g.mean(dim=1, keepdim=True))
    # hand case: (1, 2, 3, 6) - mean 3 -> (-2, -1, 0, 3)
    hand = torch.tensor([1.0, 2.0, 3.0, 6.0]).reshape(1, 4, 1)
    assert correct_gradients(hand).flatten().tolist() == [-2.0, -1.0, 0.0, 3.0]


def test_gradient_angles_hand_cases():
    g = torch.tensor(
        [[1.0, 1.0, 1.0, 1.0], [-2.0, -2.0, -2.0, -2.0], [1.0, -1.0, 0.5, -0.5], [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]
    ).T[None]  # (1, 4, 5)
    angles = gradient_angles(g)
    assert angles.shape == (1, 5)
    assert angles[0].tolist() == pytest.approx([90.0, -90.0, 0.0, 0.0, 30.0], abs=1e-5)
    random = torch.randn(4, 4, 50, generator=torch.Generator().manual_seed(1))
    assert gradient_angles(correct_gradients(random)).abs().max() < 1e-3


def test_reductions_name_what_they_compute():
    attr = torch.tensor([[3.0, -4.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]).T[None]  # (1, 4, 2)
    X = torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]).T[None]
    assert reduce_l2_norm(attr)[0].tolist() == pytest.approx([5.0, 2.0])  # L2, not L1 (7, 4)
    assert reduce_sum(attr)[0].tolist() == [-1.0, 4.0]
    assert times_input(attr, X)[0, :, 0].tolist() == [0.0, -4.0, 0.0, 0.0]
    # the position score combines them (one public function, in seqlens.evaluation)
    assert position_scores(attr, X)[0].tolist() == [-4.0, 0.0]
    assert position_scores(attr, X, reduction="l2")[0].tolist() == pytest.approx([5.0, 0.0])
    with pytest.raises(SeqlensError, match="reduction"):
        position_scores(attr, X, reduction="l1")
    with pytest.raises(SequenceError, match="shape"):
        times_input(attr, X[:, :, :1])


# ---------------------------------------------------------------------------------------
# references


def test_references_shapes_seeds_and_counts(X):
    for make in (shuffled_references, dinuc_shuffled_references):
        refs = make(X, n=4, seed=5)
        assert refs.shape == (3, 4, 4, L) and refs.dtype == X.dtype
        assert torch.equal(refs, make(X, n=4, seed=5))
        assert not torch.equal(refs, make(X, n=4, seed=6))
        assert torch.equal(refs.sum(dim=3), X.sum(dim=2)[:, None].expand(-1, 4, -1))  # letter counts kept
        assert not torch.equal(refs[:, 0], X)
    codes = X.argmax(dim=1)
    dinuc = dinuc_shuffled_references(X, n=3, seed=2).argmax(dim=2)
    for i in range(3):
        want = torch.bincount(codes[i, :-1] * 4 + codes[i, 1:], minlength=16)
        for r in range(3):
            assert torch.equal(torch.bincount(dinuc[i, r, :-1] * 4 + dinuc[i, r, 1:], minlength=16), want)
    assert torch.equal(uniform_references(X, n=2), torch.full((3, 2, 4, L), 0.25))
    assert torch.equal(zero_references(X, n=2), torch.zeros(3, 2, 4, L))
    given = torch.rand(3, 2, 4, L)
    assert torch.equal(make_references(X, given), given)


def test_references_bad_input(X):
    with pytest.raises(SequenceError, match="references must be one of"):
        make_references(X, "gc_shuffle")
    with pytest.raises(SequenceError, match=r"\(N, R, 4, L\)"):
        make_references(X, torch.zeros(3, 4, L))
    with pytest.raises(SeqlensError, match="number of references must be a positive integer, got 0"):
        make_references(X, "shuffle", n=0)


# ---------------------------------------------------------------------------------------
# saliency and SmoothGrad vs captum


def test_saliency_equals_captum(model, X):
    from captum.attr import Saliency

    target = torch.tensor([0, 1, 1])
    ours = saliency(model, X, target=target, correct=False, batch_size=2)
    theirs = Saliency(model.eval()).attribute(X.clone().requires_grad_(), target=target.tolist(), abs=False)
    assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-7)
    assert ours.abs().max() > 1e-3
    assert torch.allclose(saliency(model, X, target=target), correct_gradients(ours), atol=1e-7)


def test_target_tensor_matches_single_targets(model, X):
    per_seq = saliency(model, X, target=torch.tensor([1, 0, 1]))
    zero, one = saliency(model, X, target=0), saliency(model, X, target=1)
    assert torch.allclose(per_seq, torch.stack([one[0], zero[1], one[2]]))
    assert not torch.allclose(zero, one)


def test_smoothgrad_equals_mean_captum_saliency_on_same_noise(model, X):
    from captum.attr import Saliency

    n, sigma, seed = 6, 0.1, 21
    ours = smoothgrad(model, X, target=1, n=n, sigma=sigma, seed=seed, correct=False, batch_size=5)
    eps = np.random.default_rng(seed).standard_normal((3 * n, 4, L), dtype=np.float32)
    noisy = X.repeat_interleave(n, dim=0) + sigma * torch.from_numpy(eps)
    grads = Saliency(model.eval()).attribute(noisy.requires_grad_(), target=1, abs=False)
    assert torch.allclose(ours, grads.reshape(3, n, 4, L).mean(dim=1), rtol=1e-5, atol=1e-7)
    # the batch size does not change the noise stream or the result
    assert torch.allclose(ours, smoothgrad(model, X, target=1, n=n, sigma=sigma, seed=seed, correct=False, batch_size=64), atol=1e-7)
    assert not torch.allclose(ours, saliency(model, X, target=1, correct=False), atol=1e-4)


# ---------------------------------------------------------------------------------------
# integrated and expected gradients


@pytest.mark.parametrize(
    ("rule", "captum_method", "extra_point"),
    [("riemann_left", "riemann_left", 0), ("riemann_right", "riemann_right", 0),
     ("riemann_middle", "riemann_middle", 0), ("trapezoid", "riemann_trapezoid", 1)],
)
def test_integrated_gradients_equals_captum(model64, X, rule, captum_method, extra_point):
    """captum's trapezoid weighs its n points with step 1/n (weights sum to (n-1)/n), ours
    with 1/(n-1); its alphas come from a float32 linspace, hence rtol 1e-6."""
    from captum.attr import IntegratedGradients

    X = X.double()
    base = shuffled_references(X, n=1, seed=4)
    steps = 7
    ours = integrated_gradients(model64, X, target=1, steps=steps, baselines=base, rule=rule, correct=False, batch_size=8)
    theirs = IntegratedGradients(model64.eval()).attribute(
        X, baselines=base[:, 0], target=1, n_steps=steps + extra_point, method=captum_method
    )
    captum_weight_sum = steps / (steps + extra_point)
    assert torch.allclose(ours * (X - base[:, 0]) * captum_weight_sum, theirs, rtol=1e-6, atol=1e-12)


def _naive_ig(model, X, base, target, steps):
    """Trapezoid-rule IG map, one sequence, baseline and point at a time."""
    out = torch.zeros_like(X)
    for i in range(X.shape[0]):
        for r in range(base.shape[1]):
            for k in range(steps + 1):
                point = (base[i, r] + k / steps * (X[i] - base[i, r]))[None].requires_grad_()
                (grad,) = torch.autograd.grad(model(point)[0, target], point)
                weight = (0.5 if k in (0, steps) else 1.0) / steps
                out[i] += weight * grad[0] / base.shape[1]
    return out


def test_integrated_gradients_equals_naive_loop_over_several_baselines(model64, X):
    X = X.double()
    ours, base = integrated_gradients(model64.eval(), X, target=0, steps=5, baselines="dinuc_shuffle", n_baselines=3,
                                      seed=9, correct=False, batch_size=7, return_baselines=True)
    assert base.shape == (3, 3, 4, L)
    assert torch.allclose(ours, _naive_ig(model64, X, base, 0, 5), rtol=1e-10, atol=1e-13)
    corrected = integrated_gradients(model64, X, target=0, steps=5, baselines=base)
    assert torch.allclose(corrected, correct_gradients(ours), atol=1e-13)


def test_integrated_gradients_completeness_with_uniform_baseline(model64, X):
    X = X.double()
    ig = integrated_gradients(model64, X, target=0, steps=400, baselines="uniform", rule="riemann_middle", correct=False)
    with torch.no_grad():
        diff = model64(X)[:, 0] - model64(torch.full_like(X, 0.25))[:, 0]
    # max-pool and relu kinks make the quadrature error O(1 / steps), not O(1 / steps^2)
    assert torch.allclose((ig * (X - 0.25)).sum(dim=(1, 2)), diff, rtol=0, atol=2e-4)


def test_expected_gradients_is_ig_over_shuffled_references(model, X):
    eg = expected_gradients(model, X, target=1, n_references=4, steps=3, seed=2)
    ig = integrated_gradients(model, X, target=1, baselines="shuffle", n_baselines=4, steps=3, seed=2)
    assert torch.equal(eg, ig)
    sampled = expected_gradients(model, X, n_references=4, steps=1, rule="uniform_sample", seed=2, batch_size=3)
    assert torch.allclose(sampled, expected_gradients(model, X, n_references=4, steps=1, rule="uniform_sample", seed=2), atol=1e-7)
    assert not torch.allclose(sampled, expected_gradients(model, X, n_references=4, steps=1, rule="uniform_sample", seed=3))


# ---------------------------------------------------------------------------------------
# DeepSHAP


def test_deepshap_equals_tangermeme(model, X):
    from tangermeme.deep_lift_shap import _nonlinear, deep_lift_shap

    refs = dinuc_shuffled_references(X, n=5, seed=8)
    ours = deepshap(model, X, target=1, references=refs, batch_size=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tangermeme's own summation check passes too
        theirs = deep_lift_shap(model, X, target=1, references=refs, hypothetical=True, device="cpu", batch_size=6,
                                additional_nonlinear_ops={Exponential: _nonlinear})
    assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert ours.abs().max() > 1e-3


@pytest.mark.parametrize("activation", [Exponential(0.5), ShiftScaleTanh(), nn.ReLU(inplace=True), nn.Softplus()])
def test_deepshap_sums_to_delta(X, activation):
    model = exp_cnn(dtype=torch.float64, activation=activation).eval()
    X = X.double()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        attr, deltas = deepshap(model, X, target=0, n_references=4, seed=1, return_deltas=True)
    assert deltas.shape == (3, 4) and deltas.max() < 1e-10
    refs = dinuc_shuffled_references(X, n=4, seed=1)
    with torch.no_grad():
        want = (model(X)[:, None, 0] - model(refs.reshape(-1, 4, L))[:, 0].reshape(3, 4)).mean(dim=1)
    assert torch.allclose(times_input(attr, X).sum(dim=(1, 2)), want, atol=1e-10)
    assert want.abs().max() > 1e-3


def test_deepshap_warns_on_a_nonlinearity_it_cannot_see(X):
    with pytest.warns(UnreliableMapsWarning, match="summation-to-delta check failed") as caught:
        _, deltas = deepshap(FunctionalExp(), X, n_references=3, return_deltas=True)
    assert deltas.max() > 1e-3
    (warning,) = [w.message for w in caught if isinstance(w.message, UnreliableMapsWarning)]
    details = warning.details  # the failure as data, equal to the deltas it was computed from
    assert warning.check == "summation_to_delta" and details["n_pairs"] == 9 and details["threshold"] == 1e-3
    assert details["worst_delta"] == pytest.approx(float(deltas.max()))
    assert (details["worst_sequence"], details["worst_reference"]) == divmod(int(deltas.argmax()), 3)
    assert 1 <= details["n_failed"] <= 9
    assert warning.record()["message"].startswith("DeepSHAP summation-to-delta check failed")


def test_attribute_split_keeps_a_failed_check_with_the_maps(X):
    """attribute_split records the check as data on MethodMaps; methods that pass have none."""
    split = Split(X=X.numpy(), y=np.ones((3, 1), dtype=np.float32))
    result = attribute_split(FunctionalExp(), split, ["saliency", "deepshap"], params={"deepshap": {"n_references": 3}})
    assert not result.methods["saliency"].failed and result.methods["saliency"].failed_checks == []
    shap = result.methods["deepshap"]
    assert shap.failed and [c["check"] for c in shap.failed_checks] == ["summation_to_delta"]
    assert shap.failure().startswith("DeepSHAP summation-to-delta check failed for")


# ---------------------------------------------------------------------------------------
# ISM


def _hand_ism(model, X, target):
    out = torch.zeros_like(X)
    with torch.no_grad():
        for i in range(X.shape[0]):
            wt = model(X[i : i + 1])[0, target]
            for p in range(X.shape[2]):
                for a in range(4):
                    if X[i, a, p] == 1:
                        continue
                    mutant = X[i : i + 1].clone()
                    mutant[0, :, p] = 0
                    mutant[0, a, p] = 1
                    out[i, a, p] = model(mutant)[0, target] - wt
    return out


def test_ism_naive_and_fast_equal_hand_loop(model64, X):
    X = X.double()
    want = _hand_ism(model64.eval(), X, 1)
    naive = ism(model64, X, target=1, fast=False, batch_size=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the fast path is really taken
        fast = ism(model64, X, target=1, fast=True, batch_size=70)
    assert torch.allclose(naive, want, atol=1e-12)
    assert torch.allclose(fast, want, atol=1e-12)
    assert not fast.is_inference() and not naive.is_inference()  # usable in autograd afterwards
    assert torch.all(fast[X == 1] == 0) and torch.all(naive[X == 1] == 0)
    assert (fast[X == 0] != 0).float().mean() > 0.5


def test_ism_equals_tangermeme_saturation_mutagenesis(model64, X):
    """tangermeme centres each position's 4 values on their mean (``hypothetical=True``)."""
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    X = X.double()
    ours = ism(model64, X, target=1)
    theirs = saturation_mutagenesis(model64, X, target=1, hypothetical=True, device="cpu", fast=False)
    assert torch.allclose(ours - ours.mean(dim=1, keepdim=True), theirs, atol=1e-12)


def test_ism_fast_float32_within_1e5(model, X):
    assert (ism(model, X, fast=True) - ism(model, X, fast=False)).abs().max() < 1e-5


class Geometry(nn.Module):
    """Convs with dilation, valid and even-kernel 'same' padding, avg-pool, and a residual tail."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(5)
        self.c1 = nn.Conv1d(4, 5, 6, padding="same")
        self.bn = nn.BatchNorm1d(5)
        self.act = nn.ELU()
        self.c2 = nn.Conv1d(5, 5, 3, dilation=2, padding="valid")
        self.pool = nn.AvgPool1d(3, stride=2)
        self.c3 = nn.Conv1d(5, 5, 3, padding=1)
        self.mp = nn.MaxPool1d(3, stride=2, dilation=2)
        self.res = nn.Conv1d(5, 5, 3, padding="same")
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        h = self.mp(self.c3(self.pool(self.c2(self.act(self.bn(self.c1(x)))))))
        h = h + torch.relu(self.res(h))
        return self.head(h.mean(dim=2))


@pytest.mark.parametrize("adds_per_product", [0, 10**9])  # every conv adds its change / recomputes
def test_ism_fast_handles_layer_geometry_and_residual_tail(X, monkeypatch, adds_per_product):
    monkeypatch.setattr(sys.modules["seqlens.attribution._ism_engine"], "_ADDS_PER_PRODUCT", adds_per_product)
    model = _randomise_batch_norm(Geometry(), torch.Generator().manual_seed(2)).double()
    X = X.double()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fast = ism(model, X, target=1, batch_size=33)
    assert torch.allclose(fast, _hand_ism(model.eval(), X, 1), atol=1e-12)


class PaddedChain(nn.Module):
    """Zero pad + valid conv, in-place ReLU, batch norm after a pool (not foldable into a
    conv), per-channel PReLU, an average pool that tiles its input, and a conv with a bias."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(7)
        self.pad = nn.ConstantPad1d((3, 2), 0.0)
        self.c1 = nn.Conv1d(4, 6, 6, bias=True)
        self.act = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool1d(2)
        self.bn = nn.BatchNorm1d(6)
        self.prelu = nn.PReLU(6, init=0.1)
        self.c2 = nn.Conv1d(6, 5, 3, padding=1, bias=True)
        self.avg = nn.AvgPool1d(4)
        self.head = nn.Linear(5 * (L // 8), 2)

    def forward(self, x):
        h = self.avg(self.c2(self.prelu(self.bn(self.pool(self.act(self.c1(self.pad(x))))))))
        return self.head(h.flatten(1))


@pytest.mark.parametrize("adds_per_product", [0, 10**9])
def test_ism_fast_handles_pads_unfolded_norms_and_per_channel_activations(X, monkeypatch, adds_per_product):
    monkeypatch.setattr(sys.modules["seqlens.attribution._ism_engine"], "_ADDS_PER_PRODUCT", adds_per_product)
    model = _randomise_batch_norm(PaddedChain(), torch.Generator().manual_seed(3)).double()
    with torch.no_grad():
        model.prelu.weight.copy_(torch.linspace(-0.5, 0.5, 6))
    X = X.double()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fast = ism(model, X, target=0, batch_size=40)
    assert torch.allclose(fast, _hand_ism(model.eval(), X, 0), atol=1e-12)


def test_ism_fast_when_the_pooling_period_is_the_sequence_length():
    from seqlens.models import build

    model = build("cnn_local", activation="exponential", seed=0, input_length=100)  # pools 50 and 2
    model = _randomise_batch_norm(model, torch.Generator().manual_seed(1)).double().eval()
    X = random_sequences(3, 100, seed=8, as_tensor=True).double()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fast = ism(model, X, batch_size=64)  # one position per group
    assert torch.allclose(fast, ism(model, X, fast=False), atol=1e-10)


def test_ism_n_columns_and_substitution_list(model64):
    X = random_sequences(2, L, seed=3, as_tensor=True).double()
    X[1, :, 7] = 0  # an N column: all four letters are substitutions
    seq, pos, letter = substitutions(X)
    assert len(seq) == 3 * 2 * L + 1 and ((seq == 1) & (pos == 7)).sum() == 4
    fast = ism(model64, X, target=0)
    assert torch.allclose(fast, ism(model64, X, target=0, fast=False), atol=1e-12)
    assert torch.all(fast[1, :, 7] != 0)


class Untraceable(nn.Module):
    """Data-dependent control flow: torch.fx cannot trace it."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(6)
        self.conv = nn.Conv1d(4, 3, 5)
        self.dense = nn.Linear(3, 1)

    def forward(self, x):
        h = self.conv(x).amax(dim=2)
        if h.sum() > 1e9:
            h = h * 0
        return self.dense(h)


def test_ism_fast_falls_back_with_a_warning(X):
    model = Untraceable()
    with pytest.warns(RuntimeWarning, match="fast ISM is not available"):
        fast = ism(model, X)
    assert torch.equal(fast, ism(model, X, fast=False))


# ---------------------------------------------------------------------------------------
# model state, devices and bad input


def test_mode_restored_after_success_and_error(X):
    model = exp_cnn()
    model.train()
    model[1].eval()  # mixed modes come back exactly
    for method in (saliency, smoothgrad, integrated_gradients, deepshap, ism):
        method(model, X)
        assert model.training and not model[1].training and model[3].training
    broken = Exploding().train()
    for method in (saliency, smoothgrad, integrated_gradients, deepshap, ism):
        with pytest.raises(RuntimeError, match="boom"):
            method(broken, X)
        assert broken.training
        assert not any(m._forward_hooks for m in broken.modules())


def test_results_are_cpu_tensors_in_model_dtype(model64, X):
    for method in (saliency, smoothgrad, integrated_gradients, deepshap, ism):
        out = method(model64, X, device="cpu")
        assert out.device.type == "cpu" and out.dtype == torch.float64 and out.shape == X.shape


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_device_restored_and_gpu_matches_cpu(X):
    model = exp_cnn(dtype=torch.float64)
    X = X.double()
    for method in (saliency, integrated_gradients, deepshap, ism):
        cpu = method(model, X)
        gpu = method(model, X, device="cuda")
        assert next(model.parameters()).device.type == "cpu"
        assert gpu.device.type == "cpu" and torch.allclose(cpu, gpu, atol=1e-9)


def test_bad_input_raises_one_line_errors(model, X):
    bad = [
        (X[0], SequenceError, r"shape \(N, 4, L\)"),
        (X[:, :3], SequenceError, r"shape \(N, 4, L\)"),
        (X[:0], SequenceError, "at least one"),
        ("ACGT", SequenceError, "numeric tensor or array"),
    ]
    for method in (saliency, smoothgrad, integrated_gradients, expected_gradients, deepshap, ism):
        # numpy input (float or uint8 one-hot, as read from HDF5) is accepted like the tensor
        kwargs = {"seed": 0} if method in (smoothgrad, integrated_gradients, expected_gradients, deepshap) else {}
        want = method(model, X, **kwargs)
        assert torch.equal(method(model, X.numpy(), **kwargs), want)
        assert torch.equal(method(model, X.numpy().astype(np.uint8), **kwargs), want)
        for value, error, message in bad:
            with pytest.raises(error, match=message):
                method(model, value)
        with pytest.raises(SeqlensError, match="target 5 out of range"):
            method(model, X, target=5)
        with pytest.raises(SeqlensError, match=r"shape \(3,\)"):
            method(model, X, target=torch.tensor([0, 1]))
        with pytest.raises(SeqlensError, match="batch_size"):
            method(model, X, batch_size=0)
    with pytest.raises(SeqlensError, match="rule"):
        integrated_gradients(model, X, rule="gausslegendre")
    with pytest.raises(SeqlensError, match="sigma"):
        smoothgrad(model, X, sigma=-1.0)


# ---------------------------------------------------------------------------------------
# the model zoo

ZOO_CNNS = ["cnn_local", "cnn_dist", "cnn_deep_gc", "localnet", "distnet", "cnn_2", "cnn_50", "cnn_deep", "basset", "residualbind"]
ZOO_LENGTHS = {"basset": 150, "residualbind": 300}  # the shortest inputs the architectures take


def zoo_model(name: str, activation: str, dtype=torch.float32):
    from seqlens.models import build

    model = build(name, activation=activation, seed=0, input_length=ZOO_LENGTHS.get(name, 200))
    return _randomise_batch_norm(model, torch.Generator().manual_seed(1)).to(dtype).eval()


@pytest.mark.parametrize("activation", ["exponential", "shift_scale_tanh", "exp_relu"])
@pytest.mark.parametrize("name", ZOO_CNNS)
def test_zoo_deepshap_sums_to_delta(name, activation):
    model = zoo_model(name, activation)
    X = random_sequences(2, ZOO_LENGTHS.get(name, 200), seed=4, as_tensor=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        attr, deltas = deepshap(model, X, target=0, n_references=3, seed=0, return_deltas=True)
    assert deltas.max() < 1e-4
    assert times_input(attr, X).abs().sum() > 0


@pytest.mark.parametrize("name", ZOO_CNNS + ["hybrid_c4c6", "hybrid_c4_mha"])
def test_zoo_fast_ism_equals_naive(name):
    model = zoo_model(name, "exponential", torch.float64)
    X = random_sequences(1, ZOO_LENGTHS.get(name, 200), seed=5, as_tensor=True).double()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fast = ism(model, X, batch_size=1024)
    naive = ism(model, X, fast=False, batch_size=256)
    assert torch.allclose(fast, naive, rtol=0, atol=1e-10)
    assert naive.abs().max() > 1e-4 and torch.all(fast[X == 1] == 0)


def test_zoo_fast_ism_float32_within_1e5():
    model = zoo_model("cnn_dist", "exponential")
    X = random_sequences(2, 200, seed=6, as_tensor=True)
    assert (ism(model, X) - ism(model, X, fast=False)).abs().max() < 1e-5


def test_zoo_deepshap_is_exact_through_attention():
    """Attention has its own DeepLIFT rule (softmax + midpoint products): no summation warning."""
    model = zoo_model("hybrid_c24_mha", "exponential")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        deepshap(model, random_sequences(2, 200, seed=7, as_tensor=True), n_references=2)
