"""Robust-training building blocks: PGD adversarial examples and differentiable gradient angles.

Shapes: one-hot inputs ``X`` are ``(N, 4, L)``, labels ``y`` are ``(N, T)``, model outputs
are logits ``(N, T)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..attribution.correction import gradient_angles
from ..errors import SeqlensError
from ..models.state import model_state
from ._inputs import as_inputs, as_labels
from .methods import Adversarial


def pgd_step_size(step: int, step_size: float | None) -> float:
    """Step size of PGD step ``step`` (0-based): fixed ``step_size``, or ``0.1 / (step + 10)``."""
    return step_size if step_size is not None else 0.1 / (step + 10)


def pgd_perturb(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, epsilon: float, steps: int, step_size: float | None
) -> torch.Tensor:
    """Core of :func:`pgd_attack` on one batch already on the model's device.

    Runs the model as it is (the caller puts it in eval mode). Returns a detached tensor
    like ``x`` with ``|x_adv - x| <= epsilon`` and ``0 <= x_adv <= 1`` element-wise.
    """
    x = x.detach()
    lower = (x - epsilon).clamp(min=0.0)
    upper = (x + epsilon).clamp(max=1.0)
    x_adv = x.clone()
    for step in range(steps):
        x_adv.requires_grad_(True)
        # The sum keeps each sample's gradient independent of the batch size; only its sign is used.
        loss = F.binary_cross_entropy_with_logits(model(x_adv), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x_adv)
        x_adv = x_adv.detach() + pgd_step_size(step, step_size) * grad.sign()
        x_adv = torch.minimum(torch.maximum(x_adv, lower), upper)
    return x_adv


def pgd_attack(
    model: nn.Module,
    X,
    y,
    epsilon: float = 0.2,
    steps: int = 20,
    step_size: float | None = None,
    batch_size: int = 256,
    device=None,
    verbose: bool = False,
) -> torch.Tensor:
    """L-infinity projected-gradient-descent adversarial examples (Madry et al. 2017).

    Each of ``steps`` iterations moves the input by ``step_size`` times the sign of the
    gradient of the binary cross-entropy for the true labels ``y`` (all outputs summed),
    then projects onto ``[X - epsilon, X + epsilon]`` and clips to ``[0, 1]``. No random
    start. The model runs in eval mode (dropout off, batch-norm running statistics).

    Parameters
    ----------
    model : maps ``(B, 4, L)`` to logits ``(B, T)``.
    X : ``(N, 4, L)`` inputs (tensor or array, values in [0, 1]).
    y : ``(N, T)`` or ``(N,)`` binary labels.
    step_size : fixed step, or None for the schedule ``0.1 / (i + 10)`` at step ``i``.

    Returns
    -------
    ``(N, 4, L)`` float32 CPU tensor of perturbed inputs. The model's device and train/eval
    mode are restored afterwards.
    """
    Adversarial(epsilon=epsilon, steps=steps, step_size=step_size)  # validates the parameters
    X = as_inputs(X, one_hot=False)
    if ((X < 0) | (X > 1)).any():
        raise SeqlensError("pgd_attack: X must lie in [0, 1] (one-hot or probabilities)")
    y = as_labels(y, X.shape[0])
    if batch_size < 1:
        raise SeqlensError(f"batch_size must be >= 1, got {batch_size}")
    out = torch.empty_like(X)
    with model_state(model, device, training=False) as dev:
        for start in range(0, X.shape[0], batch_size):
            xb = X[start : start + batch_size].to(dev)
            yb = y[start : start + batch_size].to(dev)
            out[start : start + batch_size] = pgd_perturb(model, xb, yb, epsilon, steps, step_size).cpu()
    return out


def simplex_angles(grad: torch.Tensor, unit: str = "degrees") -> torch.Tensor:
    """Differentiable angle between each position's 4-vector gradient and the simplex plane.

    :func:`seqlens.attribution.gradient_angles` with ``differentiable=True`` (the formula of
    paper 003, smoothed so an all-zero gradient has angle 0 and a finite derivative), in
    ``unit`` ("degrees" or "radians"), signed, in [-90, 90] degrees. ``grad`` is
    ``(N, 4, L)``; returns ``(N, L)``.
    """
    if unit not in ("degrees", "radians"):
        raise SeqlensError(f"angle unit must be 'degrees' or 'radians', got {unit!r}")
    degrees = gradient_angles(grad, differentiable=True)
    return degrees if unit == "degrees" else torch.deg2rad(degrees)


def input_gradient_angles(model: nn.Module, x: torch.Tensor, unit: str = "degrees", create_graph: bool = False):
    """Logits and simplex angles of the input gradient of the summed logits.

    Returns ``(logits (B, T), angles (B, L))``. With ``create_graph`` the angles are
    differentiable w.r.t. the model's parameters (for the angle penalty). The gradient of the
    batch sum equals each sample's own gradient when samples do not interact (eval mode, or
    layers without batch statistics); in train mode batch norm couples them slightly, as in
    the original training code.
    """
    x = x.detach().requires_grad_(True)
    logits = model(x)
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=create_graph)
    return logits, simplex_angles(grad, unit)
