"""Training methods: standard, Gaussian noise injection, PGD adversarial, angle-regularised.

Each method is a small frozen dataclass of its parameters; :func:`seqlens.training.fit` runs
every method through the same loop. Defaults follow the original research code (SPEC.md
section 4): noise sigma 0.1 (seed 000); PGD epsilon 0.2, 20 steps, step size 0.1 / (i + 10),
20 clean warm-up epochs then half-adversarial batches (seed 000); angle penalty (seed 003).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

from ..errors import SeqlensError


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise SeqlensError(message)


@dataclass(frozen=True)
class Standard:
    """Plain training on the clean one-hot inputs."""

    name: Literal["standard"] = dataclasses.field(default="standard", init=False)


@dataclass(frozen=True)
class GaussianNoise:
    """Add ``N(0, sigma^2)`` to every entry of each training batch (drawn afresh every epoch).

    Evaluation (validation, prediction) always sees the clean inputs.
    """

    sigma: float = 0.1
    name: Literal["noise"] = dataclasses.field(default="noise", init=False)

    def __post_init__(self):
        _require(math.isfinite(self.sigma) and self.sigma > 0, f"noise sigma must be a positive number, got {self.sigma}")


@dataclass(frozen=True)
class Adversarial:
    """Mixed PGD adversarial training (Madry et al. 2017 as used by seed 000).

    The first ``warmup_epochs`` epochs are clean. Afterwards, in every batch the last
    ``round(adversarial_fraction * B)`` samples (the batch order is already shuffled) are
    replaced by L-infinity PGD examples: ``steps`` signed-gradient ascent steps on the loss
    for the true label, each projected to ``[x - epsilon, x + epsilon]`` and clipped to
    ``[0, 1]``, starting at ``x`` (no random start), with the model in eval mode.
    ``step_size=None`` uses the original schedule ``0.1 / (i + 10)`` at step ``i = 0, 1, ...``
    (0.01 at the first step); a number gives a fixed step. Note that 20 scheduled steps add
    up to 0.113, so with the defaults the epsilon = 0.2 ball is never reached (as in the
    original code); a fixed step of 0.01 reaches it after exactly 20 steps.
    """

    epsilon: float = 0.2
    steps: int = 20
    step_size: float | None = None
    warmup_epochs: int = 20
    adversarial_fraction: float = 0.5
    name: Literal["adversarial"] = dataclasses.field(default="adversarial", init=False)

    def __post_init__(self):
        _require(math.isfinite(self.epsilon) and self.epsilon > 0, f"PGD epsilon must be a positive number, got {self.epsilon}")
        _require(self.steps >= 1, f"PGD steps must be >= 1, got {self.steps}")
        _require(
            self.step_size is None or (math.isfinite(self.step_size) and self.step_size > 0),
            f"PGD step size must be a positive number or None (schedule 0.1/(i+10)), got {self.step_size}",
        )
        _require(self.warmup_epochs >= 0, f"adversarial warm-up epochs must be >= 0, got {self.warmup_epochs}")
        _require(
            0 < self.adversarial_fraction <= 1,
            f"adversarial fraction must be in (0, 1], got {self.adversarial_fraction}",
        )


@dataclass(frozen=True)
class AngleRegularization:
    """Penalise the angle between input gradients and the simplex plane (seed 003).

    Adds ``weight * mean |theta|`` to the loss, with ``theta`` the per-position angle of the
    gradient of the summed output logits w.r.t. the input (see
    :func:`seqlens.training.simplex_angles`), in ``unit`` ("degrees" by default, as in the
    paper's figures; "radians" divides the penalty by 57.3 for the same weight).
    """

    weight: float = 1e-3
    unit: Literal["degrees", "radians"] = "degrees"
    name: Literal["angle-reg"] = dataclasses.field(default="angle-reg", init=False)

    def __post_init__(self):
        _require(math.isfinite(self.weight) and self.weight >= 0, f"angle penalty weight must be >= 0, got {self.weight}")
        _require(self.unit in ("degrees", "radians"), f"angle unit must be 'degrees' or 'radians', got {self.unit!r}")


TrainingMethod = Standard | GaussianNoise | Adversarial | AngleRegularization

METHODS: dict[str, type] = {
    "standard": Standard,
    "noise": GaussianNoise,
    "adversarial": Adversarial,
    "angle-reg": AngleRegularization,
}


def training_method(method: str | TrainingMethod | None = None, **params) -> TrainingMethod:
    """Return a training-method object from a name (``standard``, ``noise``, ``adversarial``,
    ``angle-reg``) and its parameters, or pass an existing method object through."""
    if method is None:
        method = "standard"
    if not isinstance(method, str):
        _require(isinstance(method, tuple(METHODS.values())), f"unknown training method object {method!r}")
        _require(not params, "give method parameters either in the method object or as keywords, not both")
        return method
    cls = METHODS.get(method.lower().replace("_", "-"))
    _require(cls is not None, f"unknown training method {method!r}; choose from {', '.join(METHODS)}")
    fields = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(params) - fields)
    _require(not unknown, f"training method {method!r} has no parameter(s) {', '.join(unknown)}")
    return cls(**params)
