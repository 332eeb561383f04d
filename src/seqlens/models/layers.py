"""Building blocks of the zoo and the base class every zoo model derives from.

Every nonlinearity, pooling and reshaping step is an ``nn.Module`` (no functional calls in
``forward``) so attribution hooks see all of them. Batch norm uses Keras' settings
(``eps=1e-3``, moving-average momentum 0.99, i.e. torch ``momentum=0.01``) because the
original models were Keras models.

Shapes: channel-first ``(N, C, L)`` through convolutions; ``(N, L, D)`` ("channels last")
through recurrent and attention layers, as ``nn.LSTM(batch_first=True)`` expects.
"""

from __future__ import annotations

import math

import torch
from torch import fx, nn

from ..errors import ModelError
from ..validation import check_sequence_shape
from .activations import ElementwiseActivation, ReLU
from .state import model_state

BN_EPS = 1e-3
BN_MOMENTUM = 0.01


def batch_norm(channels: int, enabled: bool) -> nn.Module:
    """Keras-equivalent ``BatchNorm1d`` or ``Identity`` when disabled."""
    return nn.BatchNorm1d(channels, eps=BN_EPS, momentum=BN_MOMENTUM) if enabled else nn.Identity()


def dropout(rate: float) -> nn.Module:
    """``Dropout(rate)``, or ``Identity`` for rate 0 (nothing for hooks to trip over)."""
    return nn.Dropout(rate) if rate > 0 else nn.Identity()


def max_pool(size: int) -> nn.Module:
    """Non-overlapping max-pool that floors, like Keras' 'valid' ``MaxPool1D``."""
    return nn.MaxPool1d(size) if size > 1 else nn.Identity()


class ConvBlock(nn.Module):
    """conv -> batch norm -> activation -> dropout -> max-pool.

    ``(N, in_channels, L)`` -> ``(N, filters, L_out)``; ``padding`` is ``"same"`` (L kept)
    or ``"valid"`` (L - k + 1), then ``L_out = floor(L_conv / pool)``. An even kernel with
    'same' padding gets an explicit ``pad`` module putting the extra zero on the right, as
    Keras does (the conv itself is then unpadded).
    """

    def __init__(self, in_channels: int, filters: int, kernel_size: int, padding: str,
                 activation: ElementwiseActivation, use_batch_norm: bool, bias: bool,
                 dropout_rate: float, pool: int):
        super().__init__()
        if padding == "same" and kernel_size % 2 == 0:
            left = (kernel_size - 1) // 2
            self.pad = nn.ConstantPad1d((left, kernel_size - 1 - left), 0.0)
            padding = "valid"
        else:
            self.pad = nn.Identity()
        self.conv = nn.Conv1d(in_channels, filters, kernel_size, padding=padding, bias=bias)
        self.norm = batch_norm(filters, use_batch_norm)
        self.activation = activation
        self.dropout = dropout(dropout_rate)
        self.pool = max_pool(pool)

    def activations(self, x: torch.Tensor) -> torch.Tensor:
        """Post-activation output before dropout and pooling, ``(N, filters, L_conv)``."""
        return self.activation(self.norm(self.conv(self.pad(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.dropout(self.activations(x)))


class ResidualBlock(nn.Module):
    """ResidualBind's block: conv, BN, relu, dropout, conv, BN, + input, relu, dropout, pool.

    Both convolutions keep ``channels`` and the length ('same' padding), so the skip
    connection adds like-shaped tensors: ``(N, C, L)`` -> ``(N, C, floor(L / pool))``.
    """

    def __init__(self, channels: int, kernel_size: int, use_batch_norm: bool, bias: bool,
                 inner_dropout: float, outer_dropout: float, pool: int):
        super().__init__()
        self.conv_a = nn.Conv1d(channels, channels, kernel_size, padding="same", bias=bias)
        self.norm_a = batch_norm(channels, use_batch_norm)
        self.activation_a = ReLU()
        self.dropout_a = dropout(inner_dropout)
        self.conv_b = nn.Conv1d(channels, channels, kernel_size, padding="same", bias=bias)
        self.norm_b = batch_norm(channels, use_batch_norm)
        self.activation_out = ReLU()
        self.dropout_out = dropout(outer_dropout)
        self.pool = max_pool(pool)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.dropout_a(self.activation_a(self.norm_a(self.conv_a(x))))
        h = self.norm_b(self.conv_b(h))
        return self.pool(self.dropout_out(self.activation_out(h + x)))


class DenseBlock(nn.Module):
    """linear -> batch norm -> relu -> dropout; ``(N, in_features)`` -> ``(N, units)``."""

    def __init__(self, in_features: int, units: int, use_batch_norm: bool, dropout_rate: float):
        super().__init__()
        self.linear = nn.Linear(in_features, units, bias=not use_batch_norm)
        self.norm = batch_norm(units, use_batch_norm)
        self.activation = ReLU()
        self.dropout = dropout(dropout_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.activation(self.norm(self.linear(x))))


class SwapLengthChannels(nn.Module):
    """``(N, A, B)`` -> ``(N, B, A)``: between channel-first convs and channels-last layers."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2)


class BiLSTM(nn.Module):
    """Bidirectional LSTM returning the full sequence: ``(N, L, D)`` -> ``(N, L, units)``.

    ``units`` is the total width, ``units // 2`` per direction (as the hybrid paper's code).
    """

    def __init__(self, in_features: int, units: int):
        super().__init__()
        self.lstm = nn.LSTM(in_features, units // 2, batch_first=True, bidirectional=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lstm(x)[0]


class MultiHeadAttention(nn.Module):
    """Self-attention, ``(N, L, in_features)`` -> ``(N, L, d_model)`` and weights.

    Queries, keys and values are linear maps to ``d_model`` split into ``heads`` heads of
    ``d_model // heads``; scores are scaled by ``sqrt(d_model // heads)``, softmax-normalised
    over keys (each row of the ``(N, heads, L, L)`` weights sums to 1), and the merged heads
    pass through a final ``d_model -> d_model`` linear map (the hybrid paper's layer).
    """

    def __init__(self, in_features: int, d_model: int, heads: int):
        super().__init__()
        self.heads, self.depth = heads, d_model // heads
        self.query = nn.Linear(in_features, d_model)
        self.key = nn.Linear(in_features, d_model)
        self.value = nn.Linear(in_features, d_model)
        self.softmax = nn.Softmax(dim=-1)
        self.output = nn.Linear(d_model, d_model)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        # (N, L, d_model) -> (N, heads, L, depth); no Python-level shapes, so torch.fx
        # can trace it (fast ISM traces the models).
        return x.unflatten(-1, (self.heads, self.depth)).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        q, k, v = self._split(self.query(x)), self._split(self.key(x)), self._split(self.value(x))
        weights = self.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.depth))
        merged = (weights @ v).transpose(1, 2).flatten(2)
        return self.output(merged), weights

    def extra_repr(self):
        return f"heads={self.heads}, depth={self.depth}"


class TransformerEncoderLayer(nn.Module):
    """Post-norm transformer encoder layer, ``(N, L, d_model)`` -> same, plus weights.

    ``h = LayerNorm(x + dropout(MHA(x)))``, then
    ``out = LayerNorm(h + dropout(Linear(dropout(ReLU(Linear(h))))))`` with a feed-forward
    width ``ff_units``. ``dropout_rates`` = (after attention, feed-forward hidden,
    feed-forward output); the hybrid paper's code used (0.1, 0.2, 0.1) and width 32.
    """

    def __init__(self, d_model: int, heads: int, ff_units: int,
                 dropout_rates: tuple[float, float, float]):
        super().__init__()
        self.attention = MultiHeadAttention(d_model, d_model, heads)
        self.attention_dropout = dropout(dropout_rates[0])
        self.attention_norm = nn.LayerNorm(d_model, eps=1e-6)
        self.ff_in = nn.Linear(d_model, ff_units)
        self.ff_activation = ReLU()
        self.ff_hidden_dropout = dropout(dropout_rates[1])
        self.ff_out = nn.Linear(ff_units, d_model)
        self.ff_dropout = dropout(dropout_rates[2])
        self.ff_norm = nn.LayerNorm(d_model, eps=1e-6)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        attended, weights = self.attention(x)
        h = self.attention_norm(x + self.attention_dropout(attended))
        ff = self.ff_out(self.ff_hidden_dropout(self.ff_activation(self.ff_in(h))))
        return self.ff_norm(h + self.ff_dropout(ff)), weights


class ZooModel(nn.Module):
    """Base of every zoo model: input check, first-layer access, batched analysis passes.

    Subclasses provide ``first_block`` (the first :class:`ConvBlock`) and ``config`` (the
    resolved :class:`~seqlens.models.ModelConfig`).
    ``forward`` maps ``(N, 4, L)`` float to logits ``(N, T)``.
    """

    first_block: ConvBlock

    @property
    def first_conv(self) -> nn.Conv1d:
        """The first ``nn.Conv1d`` (filters ``(F, 4, k)``)."""
        return self.first_block.conv

    @property
    def first_activation(self) -> ElementwiseActivation:
        """The first layer's activation module."""
        return self.first_block.activation

    def _check_input(self, x: torch.Tensor, any_length: bool = False) -> None:
        if isinstance(x, fx.Proxy):
            return  # symbolic tracing (fast ISM) has no concrete shape to check
        check_sequence_shape(x.shape, "model input", length=None if any_length else self.config.input_length)

    def _analysis_pass(self, X: torch.Tensor, batch_size: int, step):
        """Run ``step(batch)`` over ``X`` (N, 4, L) in eval mode without gradients.

        The model's train/eval mode is restored afterwards, also on error.
        """
        if batch_size < 1:
            raise ModelError(f"batch_size must be >= 1, got {batch_size}")
        dtype = next(self.parameters()).dtype
        with model_state(self) as device, torch.no_grad():
            return [step(X[i:i + batch_size].to(device, dtype))
                    for i in range(0, max(X.shape[0], 1), batch_size)]

    def first_layer_activations(self, X: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """First-layer post-activation output (before dropout/pool), ``(N, F, L_conv)``.

        Any length L works here (only the first conv runs); eval mode, CPU tensor out.
        """
        X = torch.as_tensor(X)
        self._check_input(X, any_length=True)
        return torch.cat(self._analysis_pass(X, batch_size,
                                             lambda b: self.first_block.activations(b).cpu()))
