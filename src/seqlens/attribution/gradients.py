"""Gradient-based attribution: saliency, SmoothGrad, integrated and expected gradients.

Every method returns a *hypothetical* map ``(N, 4, L)``: a gradient-like value for each
of the 4 letters at each position (the gradient, the mean gradient over noisy copies, or
the gradient averaged along the path from a baseline). Multiply by the input with
:func:`seqlens.attribution.times_input` for the usual "times input" scores.

Gradient correction (paper 003, Majdandzic et al.) is ON by default (``correct=True``):
the paper found it improves every gradient-based map in (almost) every model and
concludes it "should always be applied". Pass ``correct=False`` for the raw map;
``correct_gradients(raw)`` then gives exactly the corrected one.

Noisy copies and path points of many sequences go through the model together, in chunks
of ``batch_size`` rows, never one sample at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..alphabet import as_rng
from ..errors import SeqlensError
from ._core import (
    check_target,
    check_X,
    input_gradients,
    model_dtype,
    model_state,
    progress,
    row_chunks,
)
from ..validation import check_int
from .correction import correct_gradients
from .references import make_references

IG_RULES = ("riemann_left", "riemann_right", "riemann_middle", "trapezoid", "uniform_sample")


def saliency(
    model: torch.nn.Module,
    X: torch.Tensor,
    target: int | torch.Tensor = 0,
    batch_size: int = 128,
    device=None,
    correct: bool = True,
    func: Callable | None = None,
    verbose: bool = False,
) -> torch.Tensor:
    """Gradient of the target output w.r.t. the one-hot input.

    Parameters
    ----------
    model : maps ``(B, 4, L)`` to ``(B, T)`` (e.g. logits).
    X : ``(N, 4, L)`` float tensor.
    target : output index, or a LongTensor ``(N,)`` with one index per sequence.
    batch_size : sequences per forward/backward pass.
    device : where to run (default: the model's device); the model is put back after.
    correct : subtract the per-position mean over the 4 letters (paper 003).
    func : applied to the model's output before the target is selected (e.g. ``torch.sigmoid``).

    Returns
    -------
    ``(N, 4, L)`` CPU tensor in the model's dtype.
    """
    X = check_X(X)
    target = check_target(target, X.shape[0])
    batch_size = check_int(batch_size, "batch_size")
    dtype = model_dtype(model)
    with model_state(model, device) as dev:  # outside a caller's inference_mode, so out is a normal tensor
        out = torch.empty(X.shape, dtype=dtype)
        chunks = list(row_chunks(X.shape[0], batch_size))
        for rows in progress(chunks, len(chunks), verbose, "saliency"):
            grad = input_gradients(model, X[rows].to(dev, dtype), target[rows], func)
            out[rows] = grad.cpu()
    return correct_gradients(out) if correct else out


def smoothgrad(
    model: torch.nn.Module,
    X: torch.Tensor,
    target: int | torch.Tensor = 0,
    n: int = 50,
    sigma: float = 0.1,
    batch_size: int = 128,
    device=None,
    correct: bool = True,
    seed=0,
    func: Callable | None = None,
    verbose: bool = False,
) -> torch.Tensor:
    """Mean gradient over ``n`` noisy copies ``x + sigma * eps`` of each sequence.

    ``eps`` is drawn from ``numpy.random.Generator(seed).standard_normal(..., dtype=float32)``
    for the rows in ``(sequence, sample)`` order (sequence 0's ``n`` copies first), so the
    result depends on ``seed`` only, not on ``batch_size``. Noise goes on every entry
    (SPEC section 5: n = 50 or 25, sigma = 0.1). ``batch_size`` counts noisy copies per
    pass. Other parameters as :func:`saliency`. Returns ``(N, 4, L)`` on the CPU.
    """
    X = check_X(X)
    N = X.shape[0]
    target = check_target(target, N)
    n = check_int(n, "n")
    batch_size = check_int(batch_size, "batch_size")
    if not np.isfinite(sigma) or sigma < 0:
        raise SeqlensError(f"sigma must be a finite number >= 0, got {sigma!r}")
    rng = as_rng(seed)
    dtype = model_dtype(model)
    with model_state(model, device) as dev:
        total = torch.zeros(X.shape, dtype=dtype)
        X_dev = X.to(dev, dtype)
        chunks = list(row_chunks(N * n, batch_size))
        for rows in progress(chunks, len(chunks), verbose, "smoothgrad"):
            seq = torch.arange(rows.start, rows.stop) // n
            eps = torch.from_numpy(rng.standard_normal((len(seq), *X.shape[1:]), dtype=np.float32))
            noisy = X_dev[seq.to(dev)] + sigma * eps.to(dev, dtype)
            grad = input_gradients(model, noisy, target[seq], func)
            total.index_add_(0, seq, grad.cpu())
    mean = total / n
    return correct_gradients(mean) if correct else mean


def _path_points(rule: str, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Interpolation coefficients ``alpha`` and quadrature weights for a deterministic rule.

    Matches captum's ``riemann_left|right|middle`` with ``n_steps=steps``. ``trapezoid``
    takes the same ``steps + 1`` points as captum's ``riemann_trapezoid`` with
    ``n_steps=steps + 1``, but captum weights them with step ``1 / n_steps`` (its weights sum
    to ``steps / (steps + 1)``); ours use ``1 / steps`` and sum to 1, as the trapezoid rule
    and the original code. Returned in float64.
    """
    k = torch.arange(steps + (rule == "trapezoid"), dtype=torch.float64)
    if rule == "riemann_left":
        return k / steps, torch.full((steps,), 1 / steps, dtype=torch.float64)
    if rule == "riemann_right":
        return (k + 1) / steps, torch.full((steps,), 1 / steps, dtype=torch.float64)
    if rule == "riemann_middle":
        return (k + 0.5) / steps, torch.full((steps,), 1 / steps, dtype=torch.float64)
    weights = torch.full((steps + 1,), 1 / steps, dtype=torch.float64)
    weights[0] = weights[-1] = 0.5 / steps
    return k / steps, weights


def integrated_gradients(
    model: torch.nn.Module,
    X: torch.Tensor,
    target: int | torch.Tensor = 0,
    steps: int = 20,
    baselines="shuffle",
    n_baselines: int = 1,
    rule: str = "trapezoid",
    batch_size: int = 128,
    device=None,
    correct: bool = True,
    seed=0,
    func: Callable | None = None,
    return_baselines: bool = False,
    verbose: bool = False,
):
    """Path-averaged gradient from each baseline to ``x``, averaged over the baselines.

    For baseline ``b`` the map is ``sum_k w_k grad f(b + alpha_k (x - b))``, the integral
    of the gradient along the straight path (the original code's ``avg_grad``); the
    integrated-gradients attribution of Sundararajan et al. is that map times ``x - b``,
    and multiplying by ``x`` gives the papers' "times input" scores.

    Parameters
    ----------
    steps : number of intervals of ``[0, 1]``. ``riemann_left|right|middle`` evaluate
        ``steps`` points (left ends, right ends, midpoints); ``trapezoid`` (default, as
        the original code) evaluates ``steps + 1`` points ``0, 1/steps, ..., 1`` with half
        weight at the ends; ``uniform_sample`` draws ``steps`` random ``alpha ~ U(0, 1)``
        per sequence and baseline (the stochastic expected-gradients estimator of Erion
        et al.; with ``steps=1`` one point per reference).
    baselines : ``"shuffle"`` (default, as the papers), ``"dinuc_shuffle"``,
        ``"uniform"`` (0.25), ``"zeros"``, or a tensor ``(N, R, 4, L)``.
    n_baselines : baselines drawn per sequence when ``baselines`` is a name.
    seed : seeds the shuffles and (``uniform_sample``) the alphas.
    return_baselines : also return the ``(N, R, 4, L)`` baselines used.
    batch_size : path points per forward/backward pass.
    Other parameters as :func:`saliency`.

    Returns
    -------
    ``(N, 4, L)`` CPU tensor (and the baselines when ``return_baselines``).
    """
    X = check_X(X)
    N = X.shape[0]
    target = check_target(target, N)
    steps = check_int(steps, "steps")
    batch_size = check_int(batch_size, "batch_size")
    if rule not in IG_RULES:
        raise SeqlensError(f"rule must be one of {IG_RULES}, got {rule!r}")
    rng = as_rng(seed)
    dtype = model_dtype(model)
    refs = make_references(X, baselines, n=n_baselines, seed=rng).to(dtype)
    R = refs.shape[1]
    if rule == "uniform_sample":
        n_points, weights = steps, torch.full((steps,), 1 / steps, dtype=torch.float64)
        alphas = None
    else:
        alphas, weights = _path_points(rule, steps)
        n_points = len(alphas)
    with model_state(model, device) as dev:
        total = torch.zeros(X.shape, dtype=dtype)
        X_dev = X.to(dev, dtype)
        refs_dev = refs.reshape(N * R, *X.shape[1:]).to(dev)
        chunks = list(row_chunks(N * R * n_points, batch_size))
        for rows in progress(chunks, len(chunks), verbose, "integrated gradients"):
            row = torch.arange(rows.start, rows.stop)
            pair, point = row // n_points, row % n_points
            seq = pair // R
            if alphas is None:
                alpha = torch.from_numpy(rng.random(len(row)))
            else:
                alpha = alphas[point]
            base = refs_dev[pair.to(dev)]
            a = alpha.to(dev, dtype)[:, None, None]
            points = base + a * (X_dev[seq.to(dev)] - base)
            grad = input_gradients(model, points, target[seq], func).cpu()
            total.index_add_(0, seq, grad * (weights[point] / R).to(dtype)[:, None, None])
    result = correct_gradients(total) if correct else total
    return (result, refs) if return_baselines else result


def expected_gradients(
    model: torch.nn.Module,
    X: torch.Tensor,
    target: int | torch.Tensor = 0,
    references="shuffle",
    n_references: int = 20,
    steps: int = 20,
    rule: str = "trapezoid",
    batch_size: int = 128,
    device=None,
    correct: bool = True,
    seed=0,
    func: Callable | None = None,
    return_references: bool = False,
    verbose: bool = False,
):
    """Integrated gradients averaged over ``n_references`` references per sequence.

    The papers' expected gradients: ``n_references`` shuffled copies of each sequence as
    baselines (SPEC section 5: 10-20), each integrated over ``steps`` intervals with
    ``rule`` (see :func:`integrated_gradients`; ``rule="uniform_sample", steps=1`` is the
    one-random-point-per-reference estimator of Erion et al.). Returns ``(N, 4, L)``
    (and the ``(N, R, 4, L)`` references when ``return_references``).
    """
    return integrated_gradients(
        model, X, target=target, steps=steps, baselines=references, n_baselines=n_references,
        rule=rule, batch_size=batch_size, device=device, correct=correct, seed=seed, func=func,
        return_baselines=return_references, verbose=verbose,
    )
