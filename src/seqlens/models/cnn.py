"""The convolutional zoo: architecture tables and the :class:`SequenceCNN` built from them.

Layer tables follow SPEC section 3, i.e. the original research code where it differs from
the papers' prose (e.g. cnn_dist's kernels 19/7/7/3 with 'valid' third and fourth convs).
Every hidden conv/dense layer is the common block ``conv/linear -> BN -> activation ->
dropout -> max-pool``; the first conv's activation is configurable, all others are ReLU;
the output layer is a plain linear map to T logits (train with BCE on logits).

Padding of LocalNet and DistNet (seed 000 gives none) is 'same', the original code's
convention elsewhere. Pools floor like Keras' default 'valid' pooling (cnn_dist's last
pool and cnn_2/cnn_50's pools were 'same' (ceil) in Keras; at the papers' input lengths
every one of them divides exactly, so the result is the same).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .activations import ReLU, get_activation
from ..errors import ModelError
from .config import ModelConfig
from .layers import ConvBlock, DenseBlock, ResidualBlock, ZooModel


@dataclass(frozen=True)
class Conv:
    """A conv block: ``filters`` of width ``kernel``, then dropout, then max-pool ``pool``."""

    filters: int
    kernel: int
    padding: str = "same"
    pool: int = 1
    dropout: float = 0.0


@dataclass(frozen=True)
class Residual:
    """ResidualBind's residual block (keeps the channels of the layer before it)."""

    kernel: int
    pool: int
    inner_dropout: float
    dropout: float


def layer_output_length(length: int, kernel: int, padding: str, pool: int, *,
                        config: ModelConfig, label: str) -> int:
    """Length after a conv (``padding``) and a flooring max-pool; ModelError if < 1."""
    conv_length = length if padding == "same" else length - kernel + 1
    if conv_length < 1 or conv_length // pool < 1:
        raise ModelError(
            f"input_length {config.input_length} is too short for {config.name}: {label} "
            f"(kernel {kernel} {padding}, pool {pool}) receives length {length}"
        )
    return conv_length // pool


@dataclass(frozen=True)
class CNNArchitecture:
    """One row of the CNN zoo: conv/residual layers, hidden dense layers, defaults."""

    layers: tuple[Conv | Residual, ...]
    dense_units: int
    dense_dropout: tuple[float, ...]
    input_length: int = 200
    n_outputs: int = 1
    init: str = "glorot_uniform"
    conv_bias_with_bn: bool = False
    l2: float = 1e-6

    @property
    def filters(self) -> int:
        return self.layers[0].filters

    def dropout_sites(self) -> list[tuple[str, float]]:
        """``(site name, default rate)`` for every dropout in network order."""
        sites: list[tuple[str, float]] = []
        for i, layer in enumerate(self.layers, start=1):
            if isinstance(layer, Residual):
                sites += [(f"residual{i}.inner", layer.inner_dropout), (f"residual{i}", layer.dropout)]
            else:
                sites.append((f"conv{i}", layer.dropout))
        sites += [(f"dense{i}", rate) for i, rate in enumerate(self.dense_dropout, start=1)]
        return sites

    def build(self, config: ModelConfig) -> SequenceCNN:
        """Modules for a resolved ``config`` (every field filled in)."""
        rates = iter(config.dropout)
        length, channels, blocks = config.input_length, 4, []
        for i, layer in enumerate(self.layers, start=1):
            if isinstance(layer, Residual):
                length = layer_output_length(length, layer.kernel, "same", layer.pool,
                                             config=config, label=f"residual block {i}")
                blocks.append(ResidualBlock(channels, layer.kernel, config.batch_norm,
                                            config.conv_bias, next(rates), next(rates), layer.pool))
                continue
            first = i == 1
            filters = config.filters if first else layer.filters
            activation = (get_activation(config.activation, **config.activation_kwargs)
                          if first else ReLU())
            length = layer_output_length(length, layer.kernel, layer.padding, layer.pool,
                                         config=config, label=f"conv layer {i}")
            blocks.append(ConvBlock(channels, filters, layer.kernel, layer.padding, activation,
                                    config.batch_norm, config.conv_bias, next(rates), layer.pool))
            channels = filters
        dense, width = [], channels * length
        for _ in self.dense_dropout:
            dense.append(DenseBlock(width, config.dense_units, config.batch_norm, next(rates)))
            width = config.dense_units
        return SequenceCNN(blocks, dense, nn.Linear(width, config.n_outputs), config)


class SequenceCNN(ZooModel):
    """Conv blocks -> flatten -> dense blocks -> linear output; ``(N, 4, L)`` -> ``(N, T)``.

    Attributes: ``blocks`` (``nn.Sequential`` of :class:`ConvBlock`/:class:`ResidualBlock`),
    ``flatten``, ``dense`` (``nn.Sequential`` of :class:`DenseBlock`), ``output``
    (``nn.Linear``), ``config`` (the resolved :class:`ModelConfig`).
    """

    def __init__(self, blocks: list[nn.Module], dense: list[nn.Module], output: nn.Linear,
                 config: ModelConfig):
        super().__init__()
        self.config = config
        self.blocks = nn.Sequential(*blocks)
        self.flatten = nn.Flatten()
        self.dense = nn.Sequential(*dense)
        self.output = output

    @property
    def first_block(self) -> ConvBlock:
        return self.blocks[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        return self.output(self.dense(self.flatten(self.blocks(x))))


#: The CNN zoo. Comments give the flattened size at the default input length.
CNN_ARCHITECTURES: dict[str, CNNArchitecture] = {
    # 002 Task 3 / 003 CNN-shallow: 200 -pool50-> 4 -pool2-> 2; flatten 2 x 48
    "cnn_local": CNNArchitecture(
        layers=(Conv(24, 19, "same", 50, 0.1), Conv(48, 3, "same", 2, 0.2)),
        dense_units=96, dense_dropout=(0.5,)),
    # 002 Task 3 CNN-deep: 200 -pool4-> 50 -valid k7-> 44 -pool4-> 11 -valid k3-> 9 -pool3-> 3
    "cnn_dist": CNNArchitecture(
        layers=(Conv(24, 19, "same", 1, 0.1), Conv(32, 7, "same", 4, 0.2),
                Conv(48, 7, "valid", 4, 0.3), Conv(64, 3, "valid", 3, 0.4)),
        dense_units=96, dense_dropout=(0.5,)),
    # 003 CNN-deep: all 'same': 200 -> 50 -> 12 -> 4; flatten 4 x 64; He normal, conv bias
    "cnn_deep_gc": CNNArchitecture(
        layers=(Conv(24, 19, "same", 1, 0.1), Conv(32, 7, "same", 4, 0.2),
                Conv(48, 7, "same", 4, 0.3), Conv(64, 3, "same", 3, 0.4)),
        dense_units=96, dense_dropout=(0.5,), init="he_normal", conv_bias_with_bn=True),
    # 000 LocalNet: 200 -pool50-> 4; flatten 4 x 24
    "localnet": CNNArchitecture(
        layers=(Conv(24, 19, "same", 50, 0.1),), dense_units=96, dense_dropout=(0.5,)),
    # 000 DistNet: 200 -pool3-> 66 -pool4-> 16 -pool3-> 5; flatten 5 x 64
    "distnet": CNNArchitecture(
        layers=(Conv(24, 7, "same", 1, 0.1), Conv(32, 9, "same", 3, 0.2),
                Conv(48, 6, "same", 4, 0.3), Conv(64, 4, "same", 3, 0.4)),
        dense_units=96, dense_dropout=(0.5,)),
    # 002 Task 1 CNN-2: 200 -pool2-> 100 -pool50-> 2; flatten 2 x 124
    "cnn_2": CNNArchitecture(
        layers=(Conv(32, 19, "same", 2, 0.1), Conv(124, 5, "same", 50, 0.1)),
        dense_units=512, dense_dropout=(0.5,), n_outputs=12),
    # 002 Task 1 CNN-50: 200 -pool50-> 4 -pool2-> 2; flatten 2 x 124
    "cnn_50": CNNArchitecture(
        layers=(Conv(32, 19, "same", 50, 0.1), Conv(124, 5, "same", 2, 0.1)),
        dense_units=512, dense_dropout=(0.5,), n_outputs=12),
    # 002 Task 1 CNN-deep: 200 -pool4-> 50 -valid k7-> 44 -pool4-> 11 -valid k3-> 9 -pool3-> 3
    "cnn_deep": CNNArchitecture(
        layers=(Conv(32, 19, "same", 1, 0.1), Conv(48, 7, "same", 4, 0.2),
                Conv(96, 7, "valid", 4, 0.3), Conv(128, 3, "valid", 3, 0.4)),
        dense_units=512, dense_dropout=(0.5,), n_outputs=12),
    # 002 Task 4 Basset: 600 -pool3-> 200 -valid k11-> 190 -pool4-> 47 -valid k7-> 41 -pool4-> 10
    "basset": CNNArchitecture(
        layers=(Conv(300, 19, "same", 3, 0.2), Conv(200, 11, "valid", 4, 0.2),
                Conv(200, 7, "valid", 4, 0.2)),
        dense_units=1000, dense_dropout=(0.5, 0.5), input_length=600, n_outputs=164),
    # 002 Tasks 5/6 ResidualBind: 400 -pool10-> 40 -pool5-> 8 -valid k3-> 6 -pool4-> 1
    "residualbind": CNNArchitecture(
        layers=(Conv(24, 19, "same", 1, 0.1), Residual(5, 10, 0.1, 0.2),
                Conv(48, 7, "same", 5, 0.3), Conv(64, 3, "valid", 4, 0.4)),
        dense_units=96, dense_dropout=(0.5,), input_length=400),
}
