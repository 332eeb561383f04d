"""Activation functions as ``nn.Module``s, selectable by name.

Every activation of the papers is a module (never a bare ``torch.exp`` inside ``forward``)
so that attribution code can hook it: each class carries ``elementwise = True``, the marker
that DeepLIFT/DeepSHAP uses to apply the rescale rule (a pointwise nonlinearity maps every
entry on its own, so ``delta_out / delta_in`` is the multiplier). Modules keep no state and
accept any tensor shape; output shape = input shape.

Formulas, including the modified activations of the exponential-activation paper (seed 002,
Supplementary Table 5). The constants were read from the original research code, which
matches the SPEC's formulas:

=====================  ====================================  =====================
name                   formula                               family
=====================  ====================================  =====================
relu                   max(x, 0)                             standard
exponential            exp(scale * x), scale = 1 by default  standard (002)
sigmoid                1 / (1 + exp(-x))                     standard
tanh                   tanh(x)                               standard
softplus               log(1 + exp(x))                       standard
linear                 x                                     standard
elu                    x if x > 0 else alpha (exp(x) - 1)    standard
exp_relu               relu(exp(0.1 x) - 1)                  exponential made relu-like
shift_scale_relu       relu((x - 0.2)^3)                     relu made exponential-like
shift_relu             relu(x - 0.2)                         ablation: shift only
scale_relu             relu(x^3)                             ablation: scale only
shift_scale_tanh       500 tanh(x - 6) + 500                 tanh made exponential-like
shift_tanh             tanh(x - 6)                           ablation: shift only
scale_tanh             500 tanh(x) + 500                     ablation: scale only
shift_scale_sigmoid    4000 sigmoid(x - 8)                   sigmoid made exponential-like
shift_sigmoid          sigmoid(x - 8)                        ablation: shift only
scale_sigmoid          4000 sigmoid(x)                       ablation: scale only
super_relu             400 relu(x)                           relu with slope 400
log_relu               relu(log(|x| + 1e-10))                trained with L2 = 0.2
=====================  ====================================  =====================

Reading of the ablations: each modified activation is "shift the input, then transform the
output". The shift-only ablation keeps the input shift and drops every output transform
(cube, x500 + 500, x4000); the scale-only ablation keeps the output transform and drops the
input shift. For the relu family the "scale" is the cube (it makes relu diverge like an
exponential near the origin). The epsilon of log_relu sits inside the log, so log_relu(0)
is finite (log(1e-10) < 0, rectified to 0).
"""

from __future__ import annotations

import inspect
from typing import ClassVar

import torch
from torch import nn

from ..errors import ModelError


class ElementwiseActivation(nn.Module):
    """Base class: a pointwise nonlinearity ``y = f(x)`` applied to every entry.

    ``elementwise = True`` tells attribution code that the DeepLIFT rescale rule applies.
    ``name`` is the registry name (``get_activation(name)`` builds this class).
    """

    elementwise: ClassVar[bool] = True
    name: ClassVar[str] = ""

    def __init__(self):
        # An explicit, argument-free signature: get_activation checks kwargs against it.
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


class ReLU(ElementwiseActivation):
    """``max(x, 0)``."""

    name = "relu"

    def forward(self, x):
        return torch.relu(x)


class Exponential(ElementwiseActivation):
    """``exp(scale * x)``; ``scale = 1`` is the paper's plain exponential activation."""

    name = "exponential"

    def __init__(self, scale: float = 1.0):
        super().__init__()
        self.scale = float(scale)

    def forward(self, x):
        # scale 1 (the paper's default) skips a multiplication in the forward and backward pass
        return torch.exp(x if self.scale == 1.0 else x * self.scale)

    def extra_repr(self):
        return f"exp({self.scale:g} * x)"


class Sigmoid(ElementwiseActivation):
    """``1 / (1 + exp(-x))``."""

    name = "sigmoid"

    def forward(self, x):
        return torch.sigmoid(x)


class Tanh(ElementwiseActivation):
    """``tanh(x)``."""

    name = "tanh"

    def forward(self, x):
        return torch.tanh(x)


class Softplus(ElementwiseActivation):
    """``log(1 + exp(x))``."""

    name = "softplus"

    def forward(self, x):
        return nn.functional.softplus(x)


class Linear(ElementwiseActivation):
    """The identity ``x`` (Keras' 'linear' activation)."""

    name = "linear"

    def forward(self, x):
        return x


class ELU(ElementwiseActivation):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""

    name = "elu"

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x):
        return nn.functional.elu(x, alpha=self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha:g}"


class ExpReLU(ElementwiseActivation):
    """``relu(exp(rate * x) - 1)``, rate 0.1: the exponential made to look like a relu."""

    name = "exp_relu"

    def __init__(self, rate: float = 0.1):
        super().__init__()
        self.rate = float(rate)

    def forward(self, x):
        return torch.relu(torch.expm1(x * self.rate))

    def extra_repr(self):
        return f"relu(exp({self.rate:g} * x) - 1)"


class ShiftedPowerReLU(ElementwiseActivation):
    """``relu((x - shift) ** power)``; the relu family of the modified activations."""

    name = "shifted_power_relu"

    def __init__(self, shift: float = 0.0, power: float = 1.0):
        super().__init__()
        self.shift = float(shift)
        self.power = float(power)

    def forward(self, x):
        return torch.relu((x - self.shift).pow(self.power))

    def extra_repr(self):
        return f"relu((x - {self.shift:g}) ** {self.power:g})"


class ShiftScaleReLU(ShiftedPowerReLU):
    """``relu((x - 0.2) ** 3)``."""

    name = "shift_scale_relu"

    def __init__(self, shift: float = 0.2, power: float = 3.0):
        super().__init__(shift=shift, power=power)


class ShiftReLU(ShiftedPowerReLU):
    """``relu(x - 0.2)`` (shift-only ablation)."""

    name = "shift_relu"

    def __init__(self, shift: float = 0.2):
        super().__init__(shift=shift, power=1.0)


class ScaleReLU(ShiftedPowerReLU):
    """``relu(x ** 3)`` (scale-only ablation)."""

    name = "scale_relu"

    def __init__(self, power: float = 3.0):
        super().__init__(shift=0.0, power=power)


class AffineTanh(ElementwiseActivation):
    """``scale * tanh(x - shift) + offset``; the tanh family of the modified activations."""

    name = "affine_tanh"

    def __init__(self, shift: float = 0.0, scale: float = 1.0, offset: float = 0.0):
        super().__init__()
        self.shift, self.scale, self.offset = float(shift), float(scale), float(offset)

    def forward(self, x):
        return torch.tanh(x - self.shift) * self.scale + self.offset

    def extra_repr(self):
        return f"{self.scale:g} * tanh(x - {self.shift:g}) + {self.offset:g}"


class ShiftScaleTanh(AffineTanh):
    """``500 * tanh(x - 6) + 500``."""

    name = "shift_scale_tanh"

    def __init__(self, shift: float = 6.0, scale: float = 500.0, offset: float = 500.0):
        super().__init__(shift=shift, scale=scale, offset=offset)


class ShiftTanh(AffineTanh):
    """``tanh(x - 6)`` (shift-only ablation)."""

    name = "shift_tanh"

    def __init__(self, shift: float = 6.0):
        super().__init__(shift=shift, scale=1.0, offset=0.0)


class ScaleTanh(AffineTanh):
    """``500 * tanh(x) + 500`` (scale-only ablation)."""

    name = "scale_tanh"

    def __init__(self, scale: float = 500.0, offset: float = 500.0):
        super().__init__(shift=0.0, scale=scale, offset=offset)


class AffineSigmoid(ElementwiseActivation):
    """``scale * sigmoid(x - shift)``; the sigmoid family of the modified activations."""

    name = "affine_sigmoid"

    def __init__(self, shift: float = 0.0, scale: float = 1.0):
        super().__init__()
        self.shift, self.scale = float(shift), float(scale)

    def forward(self, x):
        return torch.sigmoid(x - self.shift) * self.scale

    def extra_repr(self):
        return f"{self.scale:g} * sigmoid(x - {self.shift:g})"


class ShiftScaleSigmoid(AffineSigmoid):
    """``4000 * sigmoid(x - 8)``."""

    name = "shift_scale_sigmoid"

    def __init__(self, shift: float = 8.0, scale: float = 4000.0):
        super().__init__(shift=shift, scale=scale)


class ShiftSigmoid(AffineSigmoid):
    """``sigmoid(x - 8)`` (shift-only ablation)."""

    name = "shift_sigmoid"

    def __init__(self, shift: float = 8.0):
        super().__init__(shift=shift, scale=1.0)


class ScaleSigmoid(AffineSigmoid):
    """``4000 * sigmoid(x)`` (scale-only ablation)."""

    name = "scale_sigmoid"

    def __init__(self, scale: float = 4000.0):
        super().__init__(shift=0.0, scale=scale)


class SuperReLU(ElementwiseActivation):
    """``slope * relu(x)``, slope 400: divergence without a shift (002's control)."""

    name = "super_relu"

    def __init__(self, slope: float = 400.0):
        super().__init__()
        self.slope = float(slope)

    def forward(self, x):
        return torch.relu(x) * self.slope

    def extra_repr(self):
        return f"{self.slope:g} * relu(x)"


class LogReLU(ElementwiseActivation):
    """``relu(log(|x| + eps))``, eps 1e-10 (finite at 0). The paper pairs it with L2 = 0.2."""

    name = "log_relu"

    def __init__(self, eps: float = 1e-10):
        super().__init__()
        self.eps = float(eps)

    def forward(self, x):
        return torch.relu(torch.log(x.abs() + self.eps))

    def extra_repr(self):
        return f"relu(log(|x| + {self.eps:g}))"


_ACTIVATION_CLASSES = (
    ReLU, Exponential, Sigmoid, Tanh, Softplus, Linear, ELU, ExpReLU,
    ShiftScaleReLU, ShiftReLU, ScaleReLU,
    ShiftScaleTanh, ShiftTanh, ScaleTanh,
    ShiftScaleSigmoid, ShiftSigmoid, ScaleSigmoid,
    SuperReLU, LogReLU,
)

#: Registry name -> activation class (19 names; see the module docstring for formulas).
ACTIVATIONS: dict[str, type[ElementwiseActivation]] = {cls.name: cls for cls in _ACTIVATION_CLASSES}


def check_activation(name: str, kwargs: dict | None = None) -> str:
    """Return the canonical (lower-case) name; raise ``ModelError`` for bad names/kwargs."""
    key = str(name).strip().lower()
    if key not in ACTIVATIONS:
        raise ModelError(f"unknown activation {name!r}; valid names: {', '.join(ACTIVATIONS)}")
    try:
        inspect.signature(ACTIVATIONS[key]).bind(**(kwargs or {}))
    except TypeError:
        params = list(inspect.signature(ACTIVATIONS[key]).parameters)
        raise ModelError(
            f"activation {key!r} got parameters {sorted(kwargs or {})}; "
            f"it accepts {params if params else 'none'}"
        ) from None
    return key


def get_activation(name: str, **kwargs) -> ElementwiseActivation:
    """Build the activation module called ``name`` (case-insensitive) with ``kwargs``.

    >>> get_activation("exponential", scale=0.5)
    Exponential(exp(0.5 * x))
    """
    return ACTIVATIONS[check_activation(name, kwargs)](**kwargs)
