"""DeepSHAP rules for the layers of real and hybrid models (issue 13).

Summation to delta (``sum(attr * (x - ref)) = f(x) - f(ref)``) for every layer with a rule,
equality with tangermeme's ``deep_lift_shap`` where tangermeme has the rule, the warnings
that name a layer without a rule, the TorchScript refusal and half-precision inputs.
"""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqlens.alphabet import random_sequences
from seqlens.attribution import deepshap, times_input
from seqlens.attribution.references import dinuc_shuffled_references
from seqlens.errors import ModelError
from seqlens.models import ACTIVATIONS, build, get_activation
from seqlens.models.hybrid import HYBRID_ARCHITECTURES
from seqlens.models.layers import MultiHeadAttention, SwapLengthChannels

L = 24
C = 8


def sequences(n=3, length=L, seed=1, dtype=torch.float64):
    return random_sequences(n, length, seed=seed, as_tensor=True).to(dtype)


class ChannelsLast(nn.Module):
    """conv(4 -> C) -> act -> [layer on (N, L, C)] -> flatten -> linear(2)."""

    def __init__(self, layer: nn.Module, call=None, act: nn.Module | None = None, width: int = C):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv1d(4, C, 5, padding=2)
        self.act = act if act is not None else nn.ReLU()
        self.swap = SwapLengthChannels()
        self.layer = layer
        self.call = call
        self.out = nn.Linear(width * L, 2)

    def forward(self, x):
        h = self.swap(self.act(self.conv(x)))
        h = self.call(self.layer, h) if self.call is not None else self.layer(h)
        if isinstance(h, tuple):
            h = h[0]
        return self.out(h.flatten(1))


class ChannelsFirst(nn.Module):
    """conv(4 -> C) -> layers ... -> flatten -> linear(2), for (N, C, L) layers."""

    def __init__(self, *layers: nn.Module, width: int):
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv1d(4, C, 5, padding=2), *layers, nn.Flatten())
        self.out = nn.Linear(width, 2)

    def forward(self, x):
        return self.out(self.body(x))


def self_attention(layer, h):
    return layer(h, h, h)


def sequence_first(layer, h):
    out = layer(h.transpose(0, 1))
    return (out[0] if isinstance(out, tuple) else out).transpose(0, 1)


def check_sums_to_delta(model, X, n_references=4, target=1, atol=1e-8, min_change=1e-4):
    """Run deepshap with warnings as errors; the maps sum to the mean output change."""
    model = model.double().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        attr, deltas = deepshap(model, X, target=target, n_references=n_references, seed=3, return_deltas=True)
    assert deltas.max() < atol
    refs = dinuc_shuffled_references(X, n=n_references, seed=3)
    with torch.no_grad():
        want = (model(X)[:, None, target] - model(refs.reshape(-1, *X.shape[1:]))[:, target].reshape(len(X), -1)).mean(1)
    assert torch.allclose(times_input(attr, X).sum(dim=(1, 2)), want, atol=atol)
    assert want.abs().max() > min_change  # the check is not vacuous
    return attr


# ---------------------------------------------------------------------------------------
# Summation to delta, layer by layer (float64)

POINTWISE = [nn.GELU(), nn.GELU("tanh"), nn.SiLU(), nn.Softplus(), nn.Tanh(), nn.Sigmoid(), nn.ELU(), nn.Mish(),
             nn.SELU(), nn.CELU(), nn.LeakyReLU(0.1), nn.Hardswish(), nn.Hardsigmoid(), nn.LogSigmoid(),
             nn.Softsign(), nn.Hardshrink(0.1), nn.Softshrink(0.1), nn.Tanhshrink(), nn.ReLU6(), nn.PReLU()]


@pytest.mark.parametrize("act", POINTWISE, ids=lambda m: type(m).__name__)
def test_pointwise_modules_sum_to_delta(act):
    check_sums_to_delta(ChannelsFirst(act, nn.MaxPool1d(2), width=C * L // 2), sequences())


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_zoo_activations_sum_to_delta(name):
    model = ChannelsFirst(nn.BatchNorm1d(C), get_activation(name), nn.MaxPool1d(3), width=C * L // 3)
    with torch.no_grad():
        model.body[0].weight.mul_(3)  # reach the shifted activations' nonlinear range
    check_sums_to_delta(model, sequences(), atol=1e-7, min_change=1e-6)


@pytest.mark.parametrize("pool", [nn.AdaptiveMaxPool1d(5), nn.AdaptiveMaxPool1d(1), nn.AdaptiveAvgPool1d(7),
                                  nn.MaxPool1d(4, 2, padding=1)], ids=repr)
def test_pools_sum_to_delta(pool):
    size = pool(torch.zeros(1, C, L)).shape[-1]
    check_sums_to_delta(ChannelsFirst(nn.ELU(), pool, nn.Tanh(), width=C * size), sequences())


@pytest.mark.parametrize("layer", [nn.LayerNorm(C), nn.LayerNorm(C, elementwise_affine=False), nn.RMSNorm(C),
                                   nn.Softmax(dim=-1), nn.Softmax(dim=1), nn.GLU(dim=-1)], ids=repr)
def test_norms_softmax_glu_sum_to_delta(layer):
    width = C // 2 if isinstance(layer, nn.GLU) else C
    model = ChannelsLast(layer, width=width)
    if isinstance(layer, nn.LayerNorm) and layer.weight is not None:
        with torch.no_grad():
            layer.weight.uniform_(0.5, 2)
            layer.bias.uniform_(-1, 1)
    check_sums_to_delta(model, sequences())


def test_softmax_far_apart_halves_sums_to_delta():
    # Scores ~1e3 apart between a sequence and its reference: tangermeme's shift by the
    # top score underflows the other half's sum; the rule shifts by the larger logsumexp.
    model = ChannelsLast(nn.Softmax(dim=-1))
    with torch.no_grad():
        model.conv.weight.mul_(400)
    check_sums_to_delta(model, sequences(), atol=1e-6)


ATTENTION_AND_RECURRENT = {
    "zoo_mha": lambda: ChannelsLast(MultiHeadAttention(C, C, 2)),
    "mha_batch_first": lambda: ChannelsLast(nn.MultiheadAttention(C, 2, batch_first=True), self_attention),
    "mha_sequence_first_kdim": lambda: ChannelsLast(
        nn.MultiheadAttention(C, 2, kdim=6, vdim=5), lambda m, h: sequence_first(
            lambda t: m(t, t[..., :6], t[..., 3:]), h)),
    "mha_causal_mask": lambda: ChannelsLast(nn.MultiheadAttention(C, 4, batch_first=True), lambda m, h: m(
        h, h, h, attn_mask=torch.ones(L, L, dtype=torch.bool).triu(1))),
    "lstm_bidirectional_2_layers": lambda: ChannelsLast(
        nn.LSTM(C, 3, num_layers=2, bidirectional=True, batch_first=True), width=6),
    "lstm_sequence_first_proj": lambda: ChannelsLast(nn.LSTM(C, 5, proj_size=2), sequence_first, width=2),
    "gru_bidirectional": lambda: ChannelsLast(nn.GRU(C, 4, bidirectional=True, batch_first=True), width=8),
    "gru_2_layers": lambda: ChannelsLast(nn.GRU(C, 4, num_layers=2, batch_first=True), width=4),
    "rnn_tanh": lambda: ChannelsLast(nn.RNN(C, 4, batch_first=True), width=4),
    "rnn_relu": lambda: ChannelsLast(nn.RNN(C, 4, nonlinearity="relu", batch_first=True), width=4),
    "transformer_relu": lambda: ChannelsLast(nn.TransformerEncoderLayer(C, 2, 16, dropout=0.1, batch_first=True)),
    "transformer_gelu_norm_first": lambda: ChannelsLast(nn.TransformerEncoderLayer(
        C, 2, 16, activation="gelu", norm_first=True, batch_first=True)),
    "transformer_sequence_first": lambda: ChannelsLast(nn.TransformerEncoderLayer(C, 2, 16, activation="gelu"),
                                                      sequence_first),
    "layernorm_gelu_sequence_first": lambda: ChannelsLast(nn.Sequential(nn.LayerNorm(C), nn.GELU(), nn.Softmax(-1)),
                                                         sequence_first),
    "transformer_encoder_2": lambda: ChannelsLast(nn.TransformerEncoder(
        nn.TransformerEncoderLayer(C, 2, 16, batch_first=True), 2, enable_nested_tensor=False)),
}


@pytest.mark.parametrize("name", list(ATTENTION_AND_RECURRENT))
def test_attention_and_recurrent_layers_sum_to_delta(name):
    torch.manual_seed(4)
    # 3 sequences x 3 references: 18 rows per call, not L, so a sequence-first layout is unambiguous
    check_sums_to_delta(ATTENTION_AND_RECURRENT[name](), sequences(), n_references=3)


def test_rules_are_removed_after_the_call():
    torch.manual_seed(4)
    model = ChannelsLast(nn.TransformerEncoderLayer(C, 2, 16, batch_first=True)).double().eval()
    lstm = ChannelsLast(nn.LSTM(C, 3, batch_first=True), width=3).double().eval()
    X = sequences()
    before = model(X).detach(), lstm(X).detach()
    deepshap(model, X, n_references=2)
    deepshap(lstm, X, n_references=2)
    assert model.layer.activation is F.relu
    for m in (model, lstm):
        for module in m.modules():
            assert "forward" not in module.__dict__
            assert not module._forward_hooks and not module._forward_pre_hooks
    assert torch.equal(model(X), before[0]) and torch.equal(lstm(X), before[1])


def zoo_hybrid(name: str, activation: str = "exponential", dtype=torch.float32):
    model = build(name, activation=activation, seed=0, input_length=200)
    gen = torch.Generator().manual_seed(1)
    for module in model.modules():  # trained-looking batch-norm statistics
        if isinstance(module, nn.BatchNorm1d):
            module.running_mean.copy_(torch.randn(module.num_features, generator=gen) * 0.3)
            module.running_var.copy_(torch.rand(module.num_features, generator=gen) + 0.5)
    return model.to(dtype).eval()


@pytest.mark.parametrize("name", list(HYBRID_ARCHITECTURES))
def test_zoo_hybrids_sum_to_delta_float32(name):
    X = random_sequences(2, 200, seed=7, as_tensor=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        attr, deltas = deepshap(zoo_hybrid(name), X, n_references=3, return_deltas=True)
    assert deltas.max() < 5e-3  # float32 rounding of the forward; float64 below
    assert times_input(attr, X).abs().sum() > 0


@pytest.mark.parametrize("name", ["hybrid_c24_mha", "hybrid_c4_mha", "hybrid_c4c6_lstm_trans2", "hybrid_c4_trans1"])
def test_zoo_hybrids_sum_to_delta_float64(name):
    X = random_sequences(2, 200, seed=7, as_tensor=True).double()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        _, deltas = deepshap(zoo_hybrid(name, dtype=torch.float64), X, n_references=3, return_deltas=True)
    assert deltas.max() < 1e-9


# ---------------------------------------------------------------------------------------
# Equality with tangermeme where it has the rule


def tangermeme_maps(model, X, refs, target=1, ops=None):
    from tangermeme.deep_lift_shap import deep_lift_shap

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # its own summation check passes too
        return deep_lift_shap(model, X, target=target, references=refs, hypothetical=True, device="cpu",
                              batch_size=5, additional_nonlinear_ops=ops)


TANGERMEME_MODELS = {
    "gelu_layernorm_silu_softmax": lambda: ChannelsLast(nn.Sequential(
        nn.LayerNorm(C), nn.SiLU(), nn.Linear(C, C), nn.Softmax(dim=-1), nn.Tanh())),
    "rmsnorm_elu": lambda: ChannelsLast(nn.Sequential(nn.RMSNorm(C), nn.ELU(), nn.Linear(C, C)), act=nn.GELU()),
    "glu_sigmoid": lambda: ChannelsLast(nn.Sequential(nn.GLU(dim=-1), nn.Sigmoid()), width=C // 2),
    "softmax_channels_maxpool": lambda: ChannelsFirst(nn.Softplus(), nn.MaxPool1d(3), nn.Softmax(dim=1),
                                                      width=C * L // 3),
}


@pytest.mark.parametrize("name", list(TANGERMEME_MODELS))
def test_equals_tangermeme(name):
    torch.manual_seed(4)
    model = TANGERMEME_MODELS[name]().double().eval()
    X = sequences(4)
    refs = dinuc_shuffled_references(X, n=3, seed=5)
    ours = deepshap(model, X, target=1, references=refs, batch_size=4)
    theirs = tangermeme_maps(model, X, refs)
    assert torch.allclose(ours, theirs, rtol=1e-7, atol=1e-10), float((ours - theirs).abs().max())
    assert ours.abs().max() > 1e-3


@pytest.mark.parametrize("name", ["relu", "exponential", "softplus", "shift_scale_tanh", "exp_relu", "log_relu"])
def test_zoo_activations_equal_tangermeme(name):
    from tangermeme.deep_lift_shap import _nonlinear

    act = get_activation(name)
    model = ChannelsFirst(act, nn.MaxPool1d(2), width=C * L // 2).double().eval()
    X = sequences(3)
    refs = dinuc_shuffled_references(X, n=3, seed=5)
    ours = deepshap(model, X, target=1, references=refs)
    theirs = tangermeme_maps(model, X, refs, ops={type(act): _nonlinear})
    assert torch.allclose(ours, theirs, rtol=1e-7, atol=1e-10)


class BilinearAttention(nn.Module):
    """The zoo's attention written with tangermeme's BilinearOp, so tangermeme has its rule."""

    def __init__(self, zoo: MultiHeadAttention):
        from tangermeme.deep_lift_shap import BilinearOp

        super().__init__()
        self.zoo = zoo
        self.scores, self.mix = BilinearOp(), BilinearOp()
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x):
        z = self.zoo
        q, k, v = z._split(z.query(x)), z._split(z.key(x)), z._split(z.value(x))
        weights = self.softmax(self.scores(q, k.transpose(-1, -2)) / z.depth ** 0.5)
        return z.output(self.mix(weights, v).transpose(1, 2).flatten(2))


def test_zoo_attention_equals_tangermeme_bilinear_rule():
    ours_model = ChannelsLast(MultiHeadAttention(C, C, 2)).double().eval()
    theirs_model = ChannelsLast(BilinearAttention(ours_model.layer)).double().eval()
    X = sequences(4)
    with torch.no_grad():
        assert torch.allclose(ours_model(X), theirs_model(X))
    refs = dinuc_shuffled_references(X, n=3, seed=6)
    ours = deepshap(ours_model, X, target=0, references=refs)
    theirs = tangermeme_maps(theirs_model, X, refs, target=0)
    assert torch.allclose(ours, theirs, rtol=1e-7, atol=1e-10)
    assert ours.abs().max() > 1e-3
    # tangermeme's BilinearOp has its rule here too
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = deepshap(theirs_model, X, target=0, references=refs)
    assert torch.allclose(same, theirs, rtol=1e-7, atol=1e-10)


def test_float32_equals_tangermeme():
    torch.manual_seed(4)
    model = TANGERMEME_MODELS["gelu_layernorm_silu_softmax"]().eval()
    X = sequences(4, dtype=torch.float32)
    refs = dinuc_shuffled_references(X, n=3, seed=5)
    ours = deepshap(model, X, target=1, references=refs)
    theirs = tangermeme_maps(model, X, refs)
    assert torch.allclose(ours, theirs, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------------------
# Layers without a rule: warnings that name them


def test_warning_names_a_module_without_a_rule():
    model = ChannelsFirst(nn.GroupNorm(2, C), nn.Tanh(), width=C * L).double()
    with pytest.warns(RuntimeWarning, match=r"summation-to-delta check failed .* `body.1` \(GroupNorm\) has no "
                                            r"DeepLIFT rule") as record:
        _, deltas = deepshap(model, sequences(), n_references=3, return_deltas=True)
    message = str(record[0].message)
    assert f"worst |f(x) - f(ref) - sum(attr)| = {float(deltas.max()):.3g}" in message
    assert "failed the summation check" in message


def test_warning_names_attention_without_a_rule():
    torch.manual_seed(4)
    model = ChannelsLast(nn.MultiheadAttention(C, 2, add_bias_kv=True, batch_first=True), self_attention)
    with torch.no_grad():
        model.conv.weight.mul_(10)  # peaked attention: far from linear
    with pytest.warns(RuntimeWarning, match=r"`layer` \(MultiheadAttention\) with add_bias_kv"):
        deepshap(model.double(), sequences(), n_references=3)


class FunctionalRelu(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(2)
        self.conv = nn.Conv1d(4, C, 5, padding=2)
        self.out = nn.Linear(C * L, 1)

    def forward(self, x):
        return self.out(torch.exp(F.relu(self.conv(x))).flatten(1))


def test_warning_blames_a_functional_call_only_when_no_module_explains_it():
    with pytest.warns(RuntimeWarning, match=r"no module without a rule explains it.*functional nonlinearity.*"
                                            r"the model \(FunctionalRelu\)"):
        deepshap(FunctionalRelu().double(), sequences(), n_references=3)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.script itself
def test_torchscript_is_refused_naming_the_cause():
    model = torch.jit.script(ChannelsFirst(nn.ReLU(), width=C * L).eval())
    with pytest.raises(ModelError, match=r"TorchScript module.*does not run Python forward hooks"):
        deepshap(model, sequences(dtype=torch.float32), n_references=2)
    inner = ChannelsFirst(nn.ReLU(), width=C * L)
    inner.body[1] = torch.jit.script(nn.ReLU())
    with pytest.raises(ModelError, match=r"`body.1`"):
        deepshap(inner, sequences(dtype=torch.float32), n_references=2)


def test_lstm_on_a_packed_sequence_is_refused():
    class Packed(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(4, 3, batch_first=True)

        def forward(self, x):
            packed = nn.utils.rnn.pack_padded_sequence(x.transpose(1, 2), [x.shape[2]] * len(x), batch_first=True)
            return self.lstm(packed)[1][0][0]

    with pytest.raises(ModelError, match=r"`lstm` \(LSTM\) on a PackedSequence"):
        deepshap(Packed(), sequences(dtype=torch.float32), n_references=2)


# ---------------------------------------------------------------------------------------
# Half precision


def test_bfloat16_input_is_cast():
    model = ChannelsFirst(nn.GELU(), nn.MaxPool1d(2), width=C * L // 2).eval()
    X = sequences(dtype=torch.float32)
    want = deepshap(model, X, n_references=3)
    got = deepshap(model, X.to(torch.bfloat16), n_references=3)
    assert got.dtype == torch.float32 and torch.equal(got, want)
    assert torch.equal(deepshap(model, X.half(), n_references=3), want)


def test_bfloat16_model_runs_and_returns_float32():
    model = ChannelsFirst(nn.GELU(), nn.MaxPool1d(2), width=C * L // 2).eval().to(torch.bfloat16)
    X = sequences(dtype=torch.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # bfloat16 rounding may trip the check
        got = deepshap(model, X, n_references=3)
    assert got.dtype == torch.float32 and torch.isfinite(got).all()
