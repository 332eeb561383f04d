"""Model zoo: shapes and parameter counts by hand, configs, save/load, init, analysis passes."""

import json
import math

import pytest
import torch
import torch.fx
from torch import nn

from seqlens.errors import SeqlensError
from seqlens.models import (
    ElementwiseActivation, ModelConfig, available, build, build_from_config, l2_penalty,
    load_model, resolve_config, save_model,
)
from seqlens.models.layers import ConvBlock

torch.set_num_threads(1)


def _trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _bn_moving_stats(model):
    return sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))


# Expected trainable parameter counts, computed by hand from SPEC section 3 at the papers'
# input sizes. Conv = k * in * out (no bias: batch norm follows), BN = 2 * C trainable
# (gamma, beta; Keras also counts 2 * C non-trainable moving statistics, checked below),
# dense = in * out (no bias), output = in * T + T.
HAND_COUNTS = {
    # conv 4*19*24=1824, BN 48 | conv 24*3*48=3456, BN 96 | 200/50=4 /2=2 -> flatten 2*48=96
    # dense 96*96=9216, BN 192 | out 96+1=97
    "cnn_local": 1824 + 48 + 3456 + 96 + 9216 + 192 + 97,                      # 14929
    # conv 1824, BN 48 | 24*7*32=5376, BN 64 | 32*7*48=10752, BN 96 | 48*3*64=9216, BN 128
    # 200 -> 50 -> 44 -> 11 -> 9 -> 3: flatten 3*64=192 | dense 192*96=18432, BN 192 | out 97
    "cnn_dist": 1824 + 48 + 5376 + 64 + 10752 + 96 + 9216 + 128 + 18432 + 192 + 97,  # 46225
    # as cnn_dist plus conv biases 24+32+48+64; all 'same': 200 -> 50 -> 12 -> 4
    # flatten 4*64=256, dense 256*96=24576
    "cnn_deep_gc": (1824 + 24) + 48 + (5376 + 32) + 64 + (10752 + 48) + 96 + (9216 + 64) + 128
                   + 24576 + 192 + 97,                                          # 52537
    # conv 1824, BN 48 | 200/50=4: flatten 4*24=96 | dense 96*96=9216, BN 192 | out 97
    "localnet": 1824 + 48 + 9216 + 192 + 97,                                    # 11377
    # conv 4*7*24=672, BN 48 | 24*9*32=6912, BN 64 | 32*6*48=9216, BN 96 | 48*4*64=12288,
    # BN 128 | 200 -> 66 -> 16 -> 5: flatten 5*64=320 | dense 320*96=30720, BN 192 | out 97
    "distnet": 672 + 48 + 6912 + 64 + 9216 + 96 + 12288 + 128 + 30720 + 192 + 97,  # 60433
    # conv 4*19*32=2432, BN 64 | 32*5*124=19840, BN 248 | 200/2=100 /50=2: flatten 248
    # dense 248*512=126976, BN 1024 | out 512*12+12=6156
    "cnn_2": 2432 + 64 + 19840 + 248 + 126976 + 1024 + 6156,                   # 156740
    # same layers, pools 50 then 2: 200 -> 4 -> 2, flatten 2*124=248
    "cnn_50": 2432 + 64 + 19840 + 248 + 126976 + 1024 + 6156,                  # 156740
    # conv 2432, BN 64 | 32*7*48=10752, BN 96 | 48*7*96=32256, BN 192 | 96*3*128=36864,
    # BN 256 | 200 -> 50 -> 44 -> 11 -> 9 -> 3: flatten 3*128=384 | dense 384*512=196608,
    # BN 1024 | out 6156
    "cnn_deep": 2432 + 64 + 10752 + 96 + 32256 + 192 + 36864 + 256 + 196608 + 1024 + 6156,  # 286700
    # (600 nt) conv 4*19*300=22800, BN 600 | 300*11*200=660000, BN 400 | 200*7*200=280000,
    # BN 400 | 600 -> 200 -> 190 -> 47 -> 41 -> 10: flatten 10*200=2000
    # dense 2000*1000=2e6, BN 2000 | 1000*1000=1e6, BN 2000 | out 1000*164+164=164164
    "basset": 22800 + 600 + 660000 + 400 + 280000 + 400 + 2_000_000 + 2000 + 1_000_000 + 2000
              + 164164,                                                         # 4132364
    # (400 nt) conv 1824, BN 48 | residual: 2 x (24*5*24=2880, BN 48) | 24*7*48=8064, BN 96
    # | 48*3*64=9216, BN 128 | 400 -> 40 -> 8 -> 6 -> 1: flatten 64 | dense 64*96=6144,
    # BN 192 | out 97
    "residualbind": 1824 + 48 + 2 * (2880 + 48) + 8064 + 96 + 9216 + 128 + 6144 + 192 + 97,  # 31665
    # (Task 2 sizes) conv 1824, BN 48 | 200/24=8: flatten 8*24=192 | dense 192*96=18432,
    # BN 192 | out 97
    "hybrid_c24": 1824 + 48 + 18432 + 192 + 97,                                # 20593
    # conv 1824, BN 48 | 24*7*24=4032, BN 48 | 200/4=50 /6=8: flatten 192 | dense 18432 ...
    "hybrid_c4c6": 1824 + 48 + 4032 + 48 + 18432 + 192 + 97,                   # 24673
    # BiLSTM 48 wide = 2 directions x 24 units: torch has 4*24*(24 in + 24 rec) weights and
    # two biases 2*4*24 per direction (Keras has one bias, 4*24 fewer per direction) = 9600
    # MHA to key_size 48: q, k, v, out = 4 x (48*48+48) = 9408 | flatten 8*48=384
    # dense 384*96=36864
    "hybrid_c24_lstm_mha": 1824 + 48 + 9600 + 9408 + 36864 + 192 + 97,          # 58033
    # + LayerNorm 2*48 before the stack; transformer layer: MHA 9408, LayerNorm 96,
    # feed-forward 48*32+32=1568 and 32*48+48=1584, LayerNorm 96 (no MHA head layer)
    "hybrid_c24_lstm_trans1": 1824 + 48 + 9600 + 96 + (9408 + 96 + 1568 + 1584 + 96) + 36864
                              + 192 + 97,                                       # 61473
}


@pytest.mark.parametrize("name", sorted(HAND_COUNTS))
def test_parameter_counts_match_hand_arithmetic(name):
    model = build(name)
    assert _trainable(model) == HAND_COUNTS[name]


def test_keras_total_includes_moving_statistics():
    # Keras "Total params" of cnn_local = trainable 14929 + 2 * (24 + 48 + 96) = 15265
    model = build("cnn_local")
    assert _trainable(model) + _bn_moving_stats(model) == 15265


def test_task1_hybrid_sizes_parameter_count():
    # F=32, key_size=128, dense 512, 12 outputs: conv 4*19*32=2432, BN 64 | MHA from 32
    # channels: q, k, v 3*(32*128+128)=12672, out 128*128+128=16512 | flatten 8*128=1024
    # dense 1024*512=524288, BN 1024 | out 512*12+12=6156
    model = build("hybrid_c24_mha", filters=32, key_size=128, dense_units=512, n_outputs=12)
    assert _trainable(model) == 2432 + 64 + 12672 + 16512 + 524288 + 1024 + 6156  # 563148


def _block_output_shapes(model, X):
    shapes = []
    hooks = [b.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[1:])))
             for b in model.blocks]
    try:
        model.eval()(X)
    finally:
        for h in hooks:
            h.remove()
    return shapes


@pytest.mark.parametrize("name, expected", [
    ("cnn_local", [(24, 4), (48, 2)]),
    ("cnn_dist", [(24, 200), (32, 50), (48, 11), (64, 3)]),
    ("cnn_deep_gc", [(24, 200), (32, 50), (48, 12), (64, 4)]),
    ("distnet", [(24, 200), (32, 66), (48, 16), (64, 5)]),
    ("cnn_2", [(32, 100), (124, 2)]),
    ("cnn_50", [(32, 4), (124, 2)]),
    ("cnn_deep", [(32, 200), (48, 50), (96, 11), (128, 3)]),
    ("residualbind", [(24, 400), (24, 40), (48, 8), (64, 1)]),
])
def test_layer_output_shapes(name, expected):
    model = build(name)
    X = torch.rand(2, 4, model.config.input_length)
    assert _block_output_shapes(model, X) == expected


def test_hybrid_baselines_reach_length_8():
    X = torch.rand(2, 4, 200)
    for name in ("hybrid_c24", "hybrid_c4c6", "hybrid_c4"):
        model = build(name).eval()
        with torch.no_grad():
            out = model.blocks(X)
        assert out.shape[-1] == 8, name


@pytest.mark.parametrize("name", available())
def test_forward_every_model(name):
    torch.manual_seed(0)
    model = build(name)
    config = model.config
    X = torch.rand(3, 4, config.input_length)
    model.train()
    logits = model(X)
    assert logits.shape == (3, config.n_outputs) and torch.isfinite(logits).all()
    logits.sum().backward()
    assert model.first_conv.weight.grad is not None
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(X), model(X))  # eval mode is deterministic
        # torch.fx can trace every zoo model (fast ISM relies on it)
        torch.testing.assert_close(torch.fx.symbolic_trace(model)(X), model(X))


def test_available_lists_cnns_and_17_hybrids():
    names = available()
    assert names[:10] == ["cnn_local", "cnn_dist", "cnn_deep_gc", "localnet", "distnet", "cnn_2",
                          "cnn_50", "cnn_deep", "basset", "residualbind"]
    hybrids = [n for n in names if n.startswith("hybrid_")]
    assert len(hybrids) == 17 and len(names) == 27
    assert {"hybrid_c24", "hybrid_c4c6_mha", "hybrid_c24_lstm_mha", "hybrid_c4c6_lstm_trans4",
            "hybrid_c4_mha", "hybrid_c4_trans2"} <= set(hybrids)


def test_defaults_follow_the_papers():
    assert (build("basset").config.input_length, build("basset").config.n_outputs) == (600, 164)
    assert build("residualbind").config.input_length == 400
    assert build("cnn_deep").config.n_outputs == 12
    config = build("cnn_local").config
    assert config.l2 == 1e-6 and config.batch_norm and config.init == "glorot_uniform"
    assert config.dropout == [0.1, 0.2, 0.5] and config.conv_bias is False
    gc = build("cnn_deep_gc").config
    assert gc.init == "he_normal" and gc.conv_bias is True
    hybrid = build("hybrid_c4c6_lstm_trans2").config
    assert hybrid.l2 == 0 and hybrid.init == "he_normal" and hybrid.key_size == 48
    assert hybrid.dropout == [0.1, 0.1, 0.1] + [0.1, 0.2, 0.1] * 2 + [0.5]


def test_activation_modules_are_hooked_modules():
    model = build("cnn_dist", activation="exponential")
    acts = [m for m in model.modules() if isinstance(m, ElementwiseActivation)]
    assert len(acts) == 5 and type(acts[0]).name == "exponential"
    assert all(type(a).name == "relu" for a in acts[1:])
    assert not any(isinstance(m, (nn.ReLU, nn.Sigmoid)) for m in model.modules())
    seen = []
    model.first_activation.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    model.eval()(torch.rand(2, 4, 200))
    assert seen == [torch.Size([2, 24, 200])]


def test_first_layer_activations_are_exp_of_preactivation():
    torch.manual_seed(1)
    model = build("cnn_local", activation="exponential")
    X = torch.rand(5, 4, 200)
    model.train()
    acts = model.first_layer_activations(X, batch_size=2)
    assert model.training  # mode restored
    assert acts.shape == (5, 24, 200) and acts.device.type == "cpu"
    model.eval()
    with torch.no_grad():
        pre = model.first_block.norm(model.first_conv(X))
    torch.testing.assert_close(acts, torch.exp(pre))
    # any length works for the first layer alone
    assert model.first_layer_activations(torch.rand(2, 4, 50)).shape == (2, 24, 50)


def test_first_layer_activations_restore_mode_on_error(monkeypatch):
    model = build("localnet").train()

    def boom(x):
        raise RuntimeError("boom")

    monkeypatch.setattr(model.first_block, "activations", boom)
    with pytest.raises(RuntimeError, match="boom"):
        model.first_layer_activations(torch.rand(2, 4, 200))
    assert model.training


def test_exponential_scale_reaches_the_first_layer():
    model = build("cnn_local", activation="exponential", activation_kwargs={"scale": 0.5}).eval()
    X = torch.rand(2, 4, 200)
    with torch.no_grad():
        pre = model.first_block.norm(model.first_conv(X))
    torch.testing.assert_close(model.first_layer_activations(X), torch.exp(0.5 * pre))


@pytest.mark.parametrize("name, n_layers", [
    ("hybrid_c24_mha", 1), ("hybrid_c4c6_lstm_mha", 1), ("hybrid_c4c6_lstm_trans2", 2),
    ("hybrid_c4_trans4", 4), ("hybrid_c24", 0),
])
def test_attention_weights_shape_and_rows_sum_to_one(name, n_layers):
    torch.manual_seed(2)
    model = build(name).train()
    X = torch.rand(5, 4, 200)
    weights = model.attention_weights(X, batch_size=2)
    assert model.training
    assert len(weights) == n_layers
    for w in weights:
        assert w.shape == (5, 8, 8, 8)
        torch.testing.assert_close(w.sum(-1), torch.ones(5, 8, 8))
        assert (w >= 0).all()


def test_attention_weights_are_the_softmax_of_scaled_scores():
    torch.manual_seed(3)
    model = build("hybrid_c24_mha").eval()
    X = torch.rand(2, 4, 200)
    with torch.no_grad():
        h = model.blocks(X).transpose(1, 2)                    # (N, 8, F)
        mha = model.head[0]
        q = mha.query(h).view(2, 8, 8, 6).transpose(1, 2)     # 8 heads of depth 48/8 = 6
        k = mha.key(h).view(2, 8, 8, 6).transpose(1, 2)
        expected = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(6), dim=-1)
    torch.testing.assert_close(model.attention_weights(X)[0], expected)


@pytest.mark.parametrize("name", ["cnn_dist", "residualbind", "hybrid_c4c6_lstm_trans2", "hybrid_c4_mha"])
def test_save_load_round_trip(tmp_path, name):
    torch.manual_seed(4)
    model = build(name, activation="exponential", dropout_scale=0.5)
    # move batch-norm statistics away from their initial values
    model.train()
    model(torch.rand(8, 4, model.config.input_length))
    model.eval()
    X = torch.rand(3, 4, model.config.input_length)
    save_model(model, tmp_path / "saved")
    loaded = load_model(tmp_path / "saved")
    assert loaded.config == model.config and not loaded.training
    with torch.no_grad():
        assert torch.equal(loaded(X), model(X))
    saved = json.loads((tmp_path / "saved" / "config.json").read_text())
    assert saved["name"] == name and saved["activation"] == "exponential"
    assert not list((tmp_path / "saved").glob("*.tmp"))


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_model(tmp_path / "nothing")
    model = build("localnet")
    save_model(model, tmp_path / "a")
    (tmp_path / "a" / "config.json").write_text('{"name": "localnet", "filters": -3}')
    with pytest.raises(SeqlensError, match="filters"):
        load_model(tmp_path / "a")
    (tmp_path / "a" / "config.json").write_text("{not json")
    with pytest.raises(SeqlensError, match="config.json"):
        load_model(tmp_path / "a")
    # weights of one architecture under another's config
    save_model(build("cnn_local"), tmp_path / "b")
    (tmp_path / "b" / "config.json").write_text(json.dumps({"name": "localnet"}))
    with pytest.raises(SeqlensError, match="do not fit"):
        load_model(tmp_path / "b")
    with pytest.raises(SeqlensError, match="zoo model"):
        save_model(nn.Linear(2, 2), tmp_path / "c")


def test_saved_weights_are_byte_reproducible(tmp_path):
    import zipfile

    from seqlens.models.zoo import save_torch

    for name in ("a", "b"):
        save_model(build("cnn_local", filters=8, seed=3), tmp_path / name)
    weights = (tmp_path / "a" / "weights.pt").read_bytes()
    assert weights == (tmp_path / "b" / "weights.pt").read_bytes()
    names = zipfile.ZipFile(tmp_path / "a" / "weights.pt").namelist()
    assert {n.split("/")[0] for n in names} == {"archive"}  # not the temporary file's name
    # what is loaded back saves to the same bytes (strings and containers are canonical)
    state = torch.load(tmp_path / "a" / "weights.pt", weights_only=True)
    save_torch(state, tmp_path / "again.pt")
    assert (tmp_path / "again.pt").read_bytes() == weights
    assert not list(tmp_path.rglob(".*.tmp"))


def test_load_truncated_weights_and_interrupted_run(tmp_path):
    from seqlens.errors import ModelError

    save_model(build("localnet"), tmp_path / "a")
    weights = tmp_path / "a" / "weights.pt"
    whole = weights.read_bytes()
    for content, state in ((whole[: len(whole) // 3], "truncated or corrupt"), (b"junk", "truncated or corrupt"), (b"", "empty")):
        weights.write_bytes(content)
        with pytest.raises(ModelError, match=f"weights file .*weights.pt is {state} .*delete it and save or train the model again"):
            load_model(tmp_path / "a")
    # a run folder holding only a training checkpoint: training was interrupted
    (tmp_path / "run").mkdir()
    torch.save({"epoch": 1}, tmp_path / "run" / "checkpoint.pt")
    with pytest.raises(ModelError, match=r"only a training checkpoint \(checkpoint.pt, no config.json\): training was "
                       r"interrupted; resume it by running the same `seqlens train \.\.\. -o .*run` again"):
        load_model(tmp_path / "run")


def test_resolved_config_is_idempotent_and_rebuilds_the_same_model():
    config = build("hybrid_c4_trans2", dropout_scale=0.5, filters=16).config
    assert resolve_config(config) == config
    assert config.dropout == [0.05, 0.05] + [0.05, 0.1, 0.05] * 2 + [0.25]
    a = build_from_config(config, seed=7)
    b = build_from_config(config.model_dump(), seed=7)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)


def test_seeded_and_manual_seed_construction_is_deterministic():
    def weights(model):
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    assert torch.equal(weights(build("cnn_deep", seed=1)), weights(build("cnn_deep", seed=1)))
    assert not torch.equal(weights(build("cnn_deep", seed=1)), weights(build("cnn_deep", seed=2)))
    torch.manual_seed(5)
    a = weights(build("hybrid_c24_lstm_mha"))
    torch.manual_seed(5)
    assert torch.equal(a, weights(build("hybrid_c24_lstm_mha")))


def test_init_schemes_set_the_expected_weight_statistics():
    # basset's second conv: 300 * 11 = 3300 fan-in, 200 * 11 = 2200 fan-out, 660000 weights
    def conv2(init, **kw):
        return build("basset", init=init, seed=0, **kw).blocks[1].conv.weight.detach()

    fan_in, fan_out = 3300, 2200
    w = conv2("he_normal")
    assert w.std().item() == pytest.approx(math.sqrt(2 / fan_in), rel=0.01)
    assert w.abs().max().item() <= 2 * math.sqrt(2 / fan_in) / 0.87962566 + 1e-6  # truncated
    w = conv2("glorot_uniform")
    limit = math.sqrt(6 / (fan_in + fan_out))
    assert w.abs().max().item() <= limit and w.std().item() == pytest.approx(limit / math.sqrt(3), rel=0.01)
    assert conv2("lecun_normal").std().item() == pytest.approx(math.sqrt(1 / fan_in), rel=0.01)
    assert conv2("glorot_normal").std().item() == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.01)
    assert conv2("he_uniform").abs().max().item() <= math.sqrt(6 / fan_in)
    assert conv2("lecun_uniform").std().item() == pytest.approx(1 / math.sqrt(fan_in), rel=0.01)
    # normal(0, 0.5) on the first conv: 4 * 19 * 300 = 22800 weights
    first = build("basset", init="normal", init_std=0.5, seed=0).first_conv.weight.detach()
    assert first.std().item() == pytest.approx(0.5, rel=0.02) and abs(first.mean().item()) < 0.01


def test_unregularised_models_have_no_batch_norm_dropout_or_l2():
    model = build("distnet", regularized=False)
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.Dropout)) for m in model.modules())
    assert model.config.l2 == 0 and model.config.dropout == [0.0] * 5
    assert all(block.conv.bias is not None for block in model.blocks)
    # LocalNet: conv 1824 + 24 bias | dense 96*96 + 96 | out 97
    assert _trainable(build("localnet", regularized=False)) == 1848 + 9312 + 97
    # explicit fields win over regularized=False
    assert build("localnet", regularized=False, batch_norm=True).config.batch_norm is True


def test_dropout_overrides():
    model = build("cnn_local", dropout=[0.0, 0.3, 0.4])
    assert model.config.dropout == [0.0, 0.3, 0.4]
    assert isinstance(model.blocks[0].dropout, nn.Identity) and model.blocks[1].dropout.p == 0.3
    assert build("cnn_local", dropout_scale=0).config.dropout == [0.0, 0.0, 0.0]
    with pytest.raises(SeqlensError, match="3 dropout sites.*conv1, conv2, dense1"):
        build("cnn_local", dropout=[0.1])
    with pytest.raises(SeqlensError, match="< 1"):
        build("cnn_local", dropout_scale=3)


def test_l2_penalty_sums_conv_and_linear_weights_only():
    model = build("residualbind")
    expected = sum((p.detach() ** 2).sum() for name, p in model.named_parameters()
                   if name.endswith("weight") and p.dim() > 1)
    penalty = l2_penalty(model)
    assert penalty.dim() == 0
    torch.testing.assert_close(penalty.detach(), expected)
    penalty.backward()
    assert model.first_block.norm.weight.grad is None  # batch norm is not penalised
    torch.testing.assert_close(model.first_conv.weight.grad, 2 * model.first_conv.weight.detach())


def test_keras_same_padding_for_even_kernels():
    torch.manual_seed(6)
    block = ConvBlock(3, 5, 6, "same", nn.Identity(), use_batch_norm=False, bias=False,
                      dropout_rate=0.0, pool=1)
    x = torch.rand(2, 3, 20)
    # Keras pads (k - 1) // 2 = 2 on the left and 3 on the right for k = 6
    expected = nn.functional.conv1d(nn.functional.pad(x, (2, 3)), block.conv.weight)
    torch.testing.assert_close(block(x), expected)


@pytest.mark.parametrize("kwargs, pattern", [
    ({"name": "cnn_huge"}, "unknown model 'cnn_huge'; valid names: cnn_local"),
    ({"name": "cnn_local", "flters": 3}, "flters"),
    ({"name": "cnn_local", "activation": "swish"}, "unknown activation"),
    ({"name": "cnn_local", "activation": "relu", "activation_kwargs": {"scale": 2}}, "relu"),
    # 40 -pool4-> 10 -valid k7-> 4 -pool4-> 1 -valid k3-> nothing
    ({"name": "cnn_dist", "input_length": 40}, "input_length 40 is too short for cnn_dist: conv layer 4"),
    ({"name": "residualbind", "input_length": 200}, "too short for residualbind"),
    ({"name": "hybrid_c4c6", "input_length": 20}, "too short for hybrid_c4c6"),
    ({"name": "cnn_local", "init": "normal"}, "init_std"),
    ({"name": "cnn_local", "init_std": 0.1}, "init_std"),
    ({"name": "cnn_local", "init": "orthogonal"}, "init"),
    ({"name": "cnn_local", "key_size": 48}, "apply only to hybrid"),
    ({"name": "hybrid_c24_mha", "key_size": 50}, "multiple of mha_heads"),
    ({"name": "hybrid_c24_lstm_trans1", "lstm_units": 32}, "key_size wide"),
    ({"name": "cnn_local", "n_outputs": 0}, "n_outputs"),
])
def test_bad_configs_raise_one_line_errors(kwargs, pattern):
    kwargs = dict(kwargs)
    name = kwargs.pop("name")
    with pytest.raises(SeqlensError, match=pattern) as info:
        build(name, **kwargs)
    assert "\n" not in str(info.value)


def test_wrong_input_shape_is_rejected():
    model = build("cnn_local")
    with pytest.raises(SeqlensError, match=r"\(N, 4, 200\)"):
        model(torch.rand(2, 4, 199))
    with pytest.raises(SeqlensError, match="shape"):
        model.first_layer_activations(torch.rand(2, 5, 200))


def test_model_config_is_frozen_and_validated():
    config = ModelConfig.from_dict({"name": "cnn_local"})
    with pytest.raises(Exception):
        config.filters = 3
    with pytest.raises(SeqlensError, match="dropout"):
        ModelConfig.from_dict({"name": "cnn_local", "dropout": [0.1, 1.5, 0.1]})
