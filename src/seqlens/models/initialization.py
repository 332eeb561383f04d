"""Weight initialisation with Keras semantics (the original models were Keras models).

Schemes (fan_in = in_channels * kernel_size, fan_out = out_channels * kernel_size):

- ``glorot_uniform``: U(-a, a), a = sqrt(6 / (fan_in + fan_out))  (Keras' default)
- ``glorot_normal``: truncated normal, std sqrt(2 / (fan_in + fan_out))
- ``he_normal``: truncated normal, std sqrt(2 / fan_in)
- ``he_uniform``: U(-a, a), a = sqrt(6 / fan_in)
- ``lecun_normal``: truncated normal, std sqrt(1 / fan_in)
- ``lecun_uniform``: U(-a, a), a = sqrt(3 / fan_in)
- ``normal``: N(0, init_std) (not truncated; the sweeps of seeds 002/003)

Keras' truncated normals cut at 2 standard deviations of the underlying normal, whose std is
divided by 0.87962566 so that the truncated distribution has the stated std.

The scheme applies to the weights of every ``Conv1d`` and ``Linear`` (attention projections
included). Biases start at 0, batch/layer norm at (1, 0). LSTMs keep Keras' own defaults:
Glorot-uniform input weights, orthogonal recurrent weights, zero bias with the forget gate
at 1.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from ..errors import ModelError
from .foreign import module_kind

# std of a unit normal truncated to [-2, 2]; dividing by it restores the requested std.
_TRUNCATED_STD = 0.87962566103423978


def _fans(weight: torch.Tensor) -> tuple[int, int]:
    receptive = math.prod(weight.shape[2:]) if weight.dim() > 2 else 1
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def init_weight_(weight: torch.Tensor, scheme: str, std: float | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill a conv ``(out, in, k)`` or linear ``(out, in)`` weight in place by ``scheme``."""
    fan_in, fan_out = _fans(weight)
    if scheme == "normal":
        if std is None:
            raise ModelError("init='normal' needs init_std (the standard deviation)")
        return nn.init.normal_(weight, 0.0, std, generator=generator)
    family, _, kind = scheme.rpartition("_")
    variance = {
        "glorot": 2.0 / (fan_in + fan_out),
        "he": 2.0 / fan_in,
        "lecun": 1.0 / fan_in,
    }.get(family)
    if variance is None or kind not in ("normal", "uniform"):
        raise ModelError(f"unknown init scheme {scheme!r}")
    if kind == "uniform":
        limit = math.sqrt(3.0 * variance)
        return nn.init.uniform_(weight, -limit, limit, generator=generator)
    sd = math.sqrt(variance) / _TRUNCATED_STD
    return nn.init.trunc_normal_(weight, 0.0, sd, -2.0 * sd, 2.0 * sd, generator=generator)


def _init_lstm_(lstm: nn.LSTM, generator: torch.Generator | None) -> None:
    hidden = lstm.hidden_size
    for name, param in lstm.named_parameters():
        if name.startswith("weight_ih"):
            init_weight_(param, "glorot_uniform", generator=generator)
        elif name.startswith("weight_hh"):
            nn.init.orthogonal_(param, generator=generator)
        else:
            nn.init.zeros_(param)
            if name.startswith("bias_ih"):
                # torch gate order is (input, forget, cell, output); Keras' unit_forget_bias.
                nn.init.ones_(param[hidden:2 * hidden])


def initialize_(model: nn.Module, scheme: str, std: float | None = None,
                generator: torch.Generator | None = None) -> nn.Module:
    """Re-initialise every parameter of ``model`` in place (see the module docstring).

    Layers are recognised by class name, a TorchScript module's by its original one, so
    a scripted or traced model is re-initialised like the module it was made from."""
    with torch.no_grad():
        for module in model.modules():
            kind = module_kind(module)
            weight, bias = getattr(module, "weight", None), getattr(module, "bias", None)
            if isinstance(module, (nn.Conv1d, nn.Linear)) or kind in ("Conv1d", "Linear"):
                init_weight_(weight, scheme, std, generator)
                if bias is not None:
                    nn.init.zeros_(bias)
            elif (isinstance(module, (nn.BatchNorm1d, nn.LayerNorm)) or kind in ("BatchNorm1d", "LayerNorm")) \
                    and weight is not None:
                nn.init.ones_(weight)
                nn.init.zeros_(bias)
            elif isinstance(module, nn.LSTM) or kind == "LSTM":
                _init_lstm_(module, generator)
    return model


def _reset_running_stats_(model: nn.Module) -> None:
    """Batch norm's running statistics back to (0, 1), TorchScript modules included."""
    with torch.no_grad():
        for module in model.modules():
            is_batch_norm = isinstance(module, nn.modules.batchnorm._BatchNorm) or module_kind(module) == "BatchNorm1d"
            if is_batch_norm and getattr(module, "running_mean", None) is not None:
                module.running_mean.zero_()
                module.running_var.fill_(1.0)
                module.num_batches_tracked.zero_()


def randomized_copy(model: nn.Module, seed: int = 0, scheme: str = "glorot_uniform") -> nn.Module:
    """A copy of ``model`` with every parameter re-drawn (``scheme``, seeded) and batch-norm
    running statistics reset: the parameter-randomisation control of an interpretation
    (Adebayo et al. 2018). A finding that the copies reproduce is not learned from data.
    The copy is in eval mode on the model's device; the model itself is untouched."""
    clone = copy.deepcopy(model)  # TorchScript modules deep-copy too
    initialize_(clone, scheme, generator=torch.Generator().manual_seed(int(seed)))
    _reset_running_stats_(clone)
    return clone.eval()
