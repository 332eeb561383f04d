"""Post-processing of attribution maps: off-simplex gradient correction, gradient angles,
"times input" and the per-position reductions (``seqlens.evaluation.position_scores``
combines them into the position score of SPEC section 6).

Every function here is pure (tensors in, tensors out) and works on ``(N, 4, L)`` maps;
the nucleotide (channel) axis is axis 1.
"""

from __future__ import annotations

import torch

from ..errors import SequenceError

def _check_map(attr: torch.Tensor, name: str = "attr") -> torch.Tensor:
    if not isinstance(attr, torch.Tensor):
        raise SequenceError(f"{name} must be a torch.Tensor, got {type(attr).__name__}")
    if attr.ndim != 3 or attr.shape[1] != 4:
        raise SequenceError(f"{name} must have shape (N, 4, L), got {tuple(attr.shape)}")
    return attr


def correct_gradients(grads: torch.Tensor) -> torch.Tensor:
    """Remove the off-simplex component of input gradients (Majdandzic et al., paper 003).

    One-hot sequences live on the simplex ``sum_a x_a = 1``; the gradient component along
    ``(1, 1, 1, 1)`` points off it and is unconstrained by training. Subtracting the mean
    over the 4 nucleotides at each position removes it: ``g - g.mean(channel)``. (The
    paper's README wrote ``/=``; the code, and this function, subtract.)

    ``grads``: ``(N, 4, L)``. Returns a new ``(N, 4, L)`` tensor whose 4-vector at every
    position sums to zero.
    """
    _check_map(grads, "grads")
    return grads - grads.mean(dim=1, keepdim=True)


#: Differentiable angles: ``||g||`` is ``sqrt(sum g^2 + eps)`` so an all-zero gradient has
#: a derivative, and ``sin`` stays this far inside [-1, 1] so ``asin``'s derivative is finite.
SMOOTH_NORM_EPS = 1e-12
SMOOTH_SINE_MARGIN = 1e-6


def _simplex_sine(grads: torch.Tensor, norm: torch.Tensor) -> torch.Tensor:
    """``sin(theta) = sum_a g_a / (2 ||g||_2)``: the plane ``sum_a x_a = 1`` has unit normal ``(1,1,1,1)/2``."""
    return grads.sum(dim=1) / (2 * norm)


def gradient_angles(grads: torch.Tensor, differentiable: bool = False) -> torch.Tensor:
    """Angle in degrees between each position's gradient 4-vector and the simplex plane.

    ``sin(theta) = sum_a g_a / (2 ||g||_2)`` (paper 003); ``theta`` is 0 for an on-simplex
    (corrected) gradient and +-90 for ``+-(1,1,1,1)``. ``grads``: ``(N, 4, L)``; returns
    ``(N, L)``.

    By default (analysis) the angle is exact: computed in float64, 0 where ``||g|| = 0``,
    returned in ``grads``' floating dtype. ``differentiable=True`` (the angle penalty of
    angle-regularised training) keeps ``grads``' dtype and graph, with
    ``||g|| = sqrt(sum g^2 + 1e-12)`` and ``sin`` clamped to ``+-(1 - 1e-6)``, so the
    derivative is finite everywhere, also at an all-zero gradient.
    """
    _check_map(grads, "grads")
    if differentiable:
        norm = torch.sqrt(grads.pow(2).sum(dim=1) + SMOOTH_NORM_EPS)
        sine = _simplex_sine(grads, norm).clamp(-1 + SMOOTH_SINE_MARGIN, 1 - SMOOTH_SINE_MARGIN)
        return torch.rad2deg(torch.asin(sine))
    g = grads.double()
    norm = torch.linalg.vector_norm(g, dim=1)
    sine = _simplex_sine(g, norm.clamp_min(torch.finfo(torch.float64).tiny))
    angles = torch.rad2deg(torch.asin(sine.clamp(-1.0, 1.0)))
    angles = torch.where(norm > 0, angles, torch.zeros_like(angles))
    return angles.to(grads.dtype if grads.is_floating_point() else torch.float64)


def times_input(attr: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Project a hypothetical map onto the observed sequence: ``attr * X``, ``(N, 4, L)``."""
    _check_map(attr)
    _check_map(X, "X")
    if attr.shape != X.shape:
        raise SequenceError(f"attr shape {tuple(attr.shape)} differs from X shape {tuple(X.shape)}")
    return attr * X.to(device=attr.device, dtype=attr.dtype)


def reduce_sum(attr: torch.Tensor) -> torch.Tensor:
    """Signed sum over the 4 nucleotides at each position: ``(N, 4, L)`` -> ``(N, L)``.

    Applied to ``times_input(attr, X)`` this is the score of the observed letter, the
    position score of SPEC section 6.
    """
    return _check_map(attr).sum(dim=1)


def reduce_l2_norm(attr: torch.Tensor) -> torch.Tensor:
    """Euclidean (L2) norm over the 4 nucleotides at each position: ``(N, 4, L)`` -> ``(N, L)``.

    This is the true L2 norm (``sqrt(sum_a attr_a**2)``), not the L1 norm an original
    "l2_norm" computed (SPEC section 9). Used for ISM maps.
    """
    return torch.linalg.vector_norm(_check_map(attr), dim=1)

