"""Hybrid CNN + recurrent/attention networks of seed 004 (baseline x head).

Naming: ``hybrid_<baseline>`` (no head) or ``hybrid_<baseline>_<head>``.

Baselines (input 200 -> length 8 for all three):

- ``c24``: conv(F, k19) -> pool 24
- ``c4c6``: conv(F, k19) -> pool 4 -> conv(F, k7) -> pool 6
- ``c4``: conv(F, k19) -> pool 4 -> BiLSTM(lstm_units) -> dropout -> pool 6

Heads (``c24``/``c4c6``): ``mha``, ``lstm_mha`` (BiLSTM then MHA), ``lstm_trans1``,
``lstm_trans2``, ``lstm_trans4`` (BiLSTM then N transformer encoder layers). ``c4`` already
ends in a BiLSTM, so, as in the paper, its heads drop the extra one: ``mha``, ``trans1``,
``trans2``, ``trans4``. Then flatten -> dense(dense_units) -> T logits.

Sizes, following the paper's code: the BiLSTM has ``lstm_units`` outputs in total
(``lstm_units // 2`` per direction; default ``key_size``); attention maps to ``key_size``
features split over ``mha_heads`` heads (default 8); a transformer stack starts with a
LayerNorm and its layers are post-norm with a ReLU feed-forward of width ``ff_units``
(default 32), so the BiLSTM feeding it must be ``key_size`` wide. Defaults are Task 2's
(F = 24, key_size = 48, dense 96); Task 1 used F = 32, key_size = 128, dense 512.
Dropout 0.1 after each conv, BiLSTM and attention layer, (0.1, 0.2, 0.1) inside each
transformer layer, 0.5 on the dense layer. No L2; He-normal initialisation (the paper's).
The original backward LSTM used a relu cell activation; ``nn.LSTM`` has tanh in both
directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .activations import ReLU, get_activation
from .cnn import layer_output_length
from ..errors import ModelError
from .config import ModelConfig
from .layers import (
    BiLSTM, ConvBlock, DenseBlock, MultiHeadAttention, SwapLengthChannels,
    TransformerEncoderLayer, ZooModel, dropout, max_pool,
)

BASELINES = ("c24", "c4c6", "c4")
TRANSFORMER_DEPTHS = (1, 2, 4)
TRANSFORMER_DROPOUT = (0.1, 0.2, 0.1)
HYBRID_DEFAULTS = {"filters": 24, "key_size": 48, "dense_units": 96, "mha_heads": 8, "ff_units": 32}
_ATTENTION_LAYERS = (MultiHeadAttention, TransformerEncoderLayer)


@dataclass(frozen=True)
class HybridArchitecture:
    """One hybrid: a baseline, an optional BiLSTM, an optional attention stack."""

    baseline: str
    head_lstm: bool = False
    mha: bool = False
    transformer_layers: int = 0
    input_length: int = 200
    n_outputs: int = 1
    init: str = "he_normal"
    conv_bias_with_bn: bool = False
    l2: float = 0.0
    filters: int = HYBRID_DEFAULTS["filters"]
    dense_units: int = HYBRID_DEFAULTS["dense_units"]

    @property
    def name(self) -> str:
        head = ("lstm_" if self.head_lstm else "") + (
            "mha" if self.mha else f"trans{self.transformer_layers}" if self.transformer_layers else "")
        return f"hybrid_{self.baseline}" + (f"_{head}" if head else "")

    @property
    def uses_lstm(self) -> bool:
        return self.head_lstm or self.baseline == "c4"

    @property
    def uses_attention(self) -> bool:
        return self.mha or self.transformer_layers > 0

    def dropout_sites(self) -> list[tuple[str, float]]:
        """``(site name, default rate)`` for every dropout in network order."""
        sites = [("conv1", 0.1)]
        if self.baseline == "c4c6":
            sites.append(("conv2", 0.1))
        if self.baseline == "c4":
            sites.append(("baseline_lstm", 0.1))
        if self.head_lstm:
            sites.append(("lstm", 0.1))
        if self.mha:
            sites.append(("mha", 0.1))
        for i in range(1, self.transformer_layers + 1):
            sites += [(f"transformer{i}.{part}", rate)
                      for part, rate in zip(("attention", "ff_hidden", "ff_out"), TRANSFORMER_DROPOUT)]
        return sites + [("dense1", 0.5)]

    def resolve_head(self, config: ModelConfig) -> dict:
        """Hybrid-only fields filled in (None where this hybrid has no such layer)."""
        key_size = config.key_size or HYBRID_DEFAULTS["key_size"]
        heads = config.mha_heads or HYBRID_DEFAULTS["mha_heads"]
        lstm_units = config.lstm_units or key_size
        if self.uses_attention and key_size % heads:
            raise ModelError(f"key_size {key_size} must be a multiple of mha_heads {heads}")
        if self.uses_lstm and lstm_units % 2:
            raise ModelError(f"lstm_units {lstm_units} must be even (half per direction)")
        if self.transformer_layers and lstm_units != key_size:
            raise ModelError(f"{self.name}: the BiLSTM feeding the transformer must be key_size "
                             f"wide; got lstm_units {lstm_units} != key_size {key_size}")
        return {
            "key_size": key_size if self.uses_attention else None,
            "mha_heads": heads if self.uses_attention else None,
            "lstm_units": lstm_units if self.uses_lstm else None,
            "ff_units": (config.ff_units or HYBRID_DEFAULTS["ff_units"]) if self.transformer_layers else None,
        }

    def build(self, config: ModelConfig) -> HybridNet:
        """Modules for a resolved ``config`` (every field filled in)."""
        rates = iter(config.dropout)
        f, bn, bias = config.filters, config.batch_norm, config.conv_bias
        first_pool = 24 if self.baseline == "c24" else 4
        length = layer_output_length(config.input_length, 19, "same", first_pool,
                                     config=config, label="conv layer 1")
        first_activation = get_activation(config.activation, **config.activation_kwargs)
        blocks: list[nn.Module] = [ConvBlock(4, f, 19, "same", first_activation, bn, bias,
                                             next(rates), first_pool)]
        width = f
        if self.baseline == "c4c6":
            length = layer_output_length(length, 7, "same", 6, config=config, label="conv layer 2")
            blocks.append(ConvBlock(f, f, 7, "same", ReLU(), bn, bias, next(rates), 6))
        elif self.baseline == "c4":
            length = layer_output_length(length, 1, "same", 6, config=config, label="baseline BiLSTM")
            width = config.lstm_units
            blocks += [SwapLengthChannels(), BiLSTM(f, width), dropout(next(rates)),
                       SwapLengthChannels(), max_pool(6)]
        head: list[nn.Module] = []
        if self.head_lstm:
            head += [BiLSTM(width, config.lstm_units), dropout(next(rates))]
            width = config.lstm_units
        if self.mha:
            head += [MultiHeadAttention(width, config.key_size, config.mha_heads), dropout(next(rates))]
            width = config.key_size
        if self.transformer_layers:
            head.append(nn.LayerNorm(width, eps=1e-6))
            for _ in range(self.transformer_layers):
                layer_rates = (next(rates), next(rates), next(rates))
                head.append(TransformerEncoderLayer(width, config.mha_heads, config.ff_units, layer_rates))
        dense = DenseBlock(width * length, config.dense_units, bn, next(rates))
        return HybridNet(blocks, head, dense, nn.Linear(config.dense_units, config.n_outputs), config)


class HybridNet(ZooModel):
    """Baseline -> [head on (N, L', D)] -> flatten -> dense -> linear; ``(N, 4, L)`` -> ``(N, T)``.

    Attributes: ``blocks`` (baseline, channel-first output ``(N, C, L')``), ``head``
    (``nn.ModuleList`` run channels-last; attention layers also return weights),
    ``flatten``, ``dense``, ``output``, ``config``.
    """

    def __init__(self, blocks: list[nn.Module], head: list[nn.Module], dense: DenseBlock,
                 output: nn.Linear, config: ModelConfig):
        super().__init__()
        self.config = config
        self.blocks = nn.Sequential(*blocks)
        self.to_channels_last = SwapLengthChannels() if head else nn.Identity()
        self.head = nn.ModuleList(head)
        self.flatten = nn.Flatten()
        self.dense = dense
        self.output = output

    @property
    def first_block(self) -> ConvBlock:
        return self.blocks[0]

    def _features(self, x: torch.Tensor, attention: list | None = None) -> torch.Tensor:
        h = self.to_channels_last(self.blocks(x))
        for layer in self.head:
            if isinstance(layer, _ATTENTION_LAYERS):
                h, weights = layer(h)
                if attention is not None:
                    attention.append(weights)
            else:
                h = layer(h)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        return self.output(self.dense(self.flatten(self._features(x))))

    def attention_weights(self, X: torch.Tensor, batch_size: int = 256) -> list[torch.Tensor]:
        """Attention weights of every attention layer, in order: ``(N, heads, L', L')`` each.

        Rows sum to 1 (softmax over keys). Eval mode, no gradients, CPU tensors; an empty
        list for hybrids without attention.
        """
        X = torch.as_tensor(X)
        self._check_input(X)

        def step(batch):
            weights: list[torch.Tensor] = []
            self._features(batch, weights)
            return [w.cpu() for w in weights]

        per_batch = self._analysis_pass(X, batch_size, step)
        return [torch.cat(layer) for layer in zip(*per_batch)]


def _hybrid_architectures() -> dict[str, HybridArchitecture]:
    archs = []
    for baseline in BASELINES:
        head_lstm = baseline != "c4"
        archs += [HybridArchitecture(baseline), HybridArchitecture(baseline, mha=True)]
        if head_lstm:
            archs.append(HybridArchitecture(baseline, head_lstm=True, mha=True))
        archs += [HybridArchitecture(baseline, head_lstm=head_lstm, transformer_layers=n)
                  for n in TRANSFORMER_DEPTHS]
    return {arch.name: arch for arch in archs}


#: The hybrid zoo, name -> architecture (17 models).
HYBRID_ARCHITECTURES: dict[str, HybridArchitecture] = _hybrid_architectures()
