"""DeepSHAP: DeepLIFT with the rescale rule, averaged over (dinucleotide-shuffled) references.

The engine runs each batch of ``(sequence, reference)`` pairs as one model call on the
concatenation ``[sequences; references]`` and overrides the backward pass of every
nonlinear module with its DeepLIFT rule, through forward hooks that wrap the module's
output in a custom autograd function (so a module called several times per forward pass
gets one rule node per call):

- rescale rule for pointwise nonlinearities: multiplier ``delta_out / delta_in``, or the
  ordinary gradient where ``|delta_in| < 1e-6``. Applied to torch's pointwise activations
  and to every module with the attribute ``elementwise = True`` (all of
  ``seqlens.models.activations``).
- max-pooling rule of captum/tangermeme for ``MaxPool1d``/``MaxPool2d``.
- everything else is treated as linear (convolutions, linear layers, batch norm in eval
  mode, dropout in eval mode, flattening and additions are linear, so that is exact).

The rules are those of tangermeme's ``deep_lift_shap`` and the results equal it for the
same references. A nonlinearity the engine cannot see (a bare ``torch.exp`` in
``forward``, an unregistered module) breaks the summation-to-delta property
``sum(attr * (x - ref)) = f(x) - f(ref)``; every call checks it and warns when it fails.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import SeqlensError
from ._core import (
    check_target,
    check_X,
    model_dtype,
    model_state,
    progress,
    row_chunks,
    select_target,
)
from ..validation import check_int
from .references import make_references

RESCALE_EPS = 1e-6

_TORCH_POINTWISE = (
    nn.ReLU, nn.ReLU6, nn.RReLU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish, nn.ELU,
    nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Softshrink, nn.LogSigmoid, nn.PReLU,
    nn.Hardtanh, nn.Hardsigmoid, nn.Hardswish, nn.Tanhshrink, nn.Threshold,
)


class _RescaleRule(torch.autograd.Function):
    """Identity on ``out`` whose backward applies the rescale rule to the pair halves.

    ``inp`` and ``out`` are the module's input and output ``(2B, ...)`` (pairs' sequences
    first, references second). The multiplier goes straight to ``inp``; where
    ``|delta_in| < RESCALE_EPS`` the upstream gradient is passed to ``out`` instead, so
    autograd applies the module's own local derivative there.
    """

    @staticmethod
    def forward(ctx, inp, out, delta_in, delta_out):
        small = delta_in.abs() < RESCALE_EPS
        ctx.save_for_backward(small, delta_out / torch.where(small, torch.ones_like(delta_in), delta_in))
        return out.clone()

    @staticmethod
    def backward(ctx, grad):
        small, multiplier = ctx.saved_tensors
        halves = grad.reshape(2, *small.shape)
        to_input = (halves * multiplier).masked_fill(small, 0)
        to_output = halves.masked_fill(~small, 0)
        return to_input.reshape(grad.shape), to_output.reshape(grad.shape), None, None


class _MaxPoolRule(torch.autograd.Function):
    """Identity on ``out`` whose backward applies the DeepLIFT max-pooling rule.

    The change of each pooled output is split between the winners of the sequence's and
    the reference's windows and divided by the change of the input there (the ordinary
    gradient where the input does not change); both halves get the same multiplier.
    """

    @staticmethod
    def forward(ctx, inp, out, module):
        ctx.module = module
        ctx.save_for_backward(inp.detach(), out.detach())
        return out.clone()

    @staticmethod
    def backward(ctx, grad):
        inp, out = ctx.saved_tensors
        m = ctx.module
        pool = F.max_pool1d if isinstance(m, nn.MaxPool1d) else F.max_pool2d
        _, indices = pool(inp, m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode, True)
        x_out, ref_out = out.chunk(2)
        top = torch.maximum(x_out, ref_out)
        delta_out = torch.cat([top - ref_out, x_out - top])
        routed = _unpool(grad * delta_out, indices, inp.shape)
        plain = _unpool(grad.chunk(2)[0], indices.chunk(2)[0], inp.chunk(2)[0].shape)
        delta_in = torch.sub(*inp.chunk(2))
        still = delta_in == 0
        half = torch.where(still, plain, torch.add(*routed.chunk(2)) / delta_in.masked_fill(still, 1))
        return torch.cat([half, half]), None, None


def _unpool(values: torch.Tensor, indices: torch.Tensor, shape) -> torch.Tensor:
    """Scatter-add pooled ``values`` back to the input positions that won each max."""
    n, c = shape[0], shape[1]
    out = torch.zeros(n, c, shape[2:].numel(), dtype=values.dtype, device=values.device)
    out.scatter_add_(-1, indices.reshape(n, c, -1), values.reshape(n, c, -1))
    return out.reshape(shape)


def _rescale_hook(module, inputs, output):
    if not output.requires_grad:
        return None
    x = module.__dict__.pop("_seqlens_original_input", inputs[0])
    delta_in = torch.sub(*x.detach().chunk(2))
    delta_out = torch.sub(*output.detach().chunk(2))
    return _RescaleRule.apply(x, output, delta_in, delta_out)


def _protect_input_hook(module, inputs):
    # An in-place activation would overwrite its input (and re-route its graph): run it on
    # a copy and keep the original, still connected to the layers before, for the rule.
    module._seqlens_original_input = inputs[0]
    return (inputs[0].clone(), *inputs[1:])


def _maxpool_hook(module, inputs, output):
    if not output.requires_grad:
        return None
    return _MaxPoolRule.apply(inputs[0], output, module)


def has_rescale_rule(module: nn.Module) -> bool:
    """True for modules the rescale rule applies to (torch pointwise ops, ``elementwise``)."""
    return isinstance(module, _TORCH_POINTWISE) or bool(getattr(module, "elementwise", False))


@contextmanager
def _deeplift_hooks(model: nn.Module):
    """Install the DeepLIFT rules on ``model``'s modules for the duration of the block."""
    handles = []
    try:
        for module in model.modules():
            if has_rescale_rule(module):
                if getattr(module, "inplace", False):
                    handles.append(module.register_forward_pre_hook(_protect_input_hook))
                handles.append(module.register_forward_hook(_rescale_hook))
            elif isinstance(module, (nn.MaxPool1d, nn.MaxPool2d)):
                handles.append(module.register_forward_hook(_maxpool_hook))
        yield
    finally:
        for handle in handles:
            handle.remove()
        for module in model.modules():
            module.__dict__.pop("_seqlens_original_input", None)


def deepshap(
    model: nn.Module,
    X: torch.Tensor,
    target: int | torch.Tensor = 0,
    references="dinuc_shuffle",
    n_references: int = 10,
    batch_size: int = 128,
    device=None,
    seed=0,
    func: Callable | None = None,
    warn_threshold: float = 1e-3,
    return_deltas: bool = False,
    verbose: bool = False,
):
    """DeepSHAP hypothetical contributions, averaged over references.

    For a pair (sequence ``x``, reference ``r``) with DeepLIFT multipliers ``m`` (4, L),
    the hypothetical contribution of letter ``a`` at position ``i`` is
    ``m[a, i] - sum_c r[c, i] m[c, i]`` (the contribution the position would make if it
    held ``a``); ``times_input(result, X)`` gives the usual DeepSHAP scores, whose sum
    over a sequence is the mean of ``f(x) - f(r)`` over its references. No gradient
    correction is applied (none is needed: DeepLIFT multiplies by differences of one-hot
    sequences).

    Parameters
    ----------
    references : ``"dinuc_shuffle"`` (default, as the papers), ``"shuffle"``,
        ``"uniform"``, ``"zeros"``, or a tensor ``(N, R, 4, L)``.
    n_references : references drawn per sequence when ``references`` is a name.
    batch_size : ``(sequence, reference)`` pairs per model call (the call runs twice as
        many rows).
    seed : seeds the shuffles.
    func : applied to the model's output before the target is selected; it is treated
        as linear, so a nonlinear ``func`` (e.g. sigmoid) fails the summation check --
        attribute the logits instead.
    warn_threshold : a ``RuntimeWarning`` is issued when some pair has
        ``|f(x) - f(r) - sum((x - r) * m)| > warn_threshold * max(1, |f(x)|, |f(r)|)``
        (the scale factor keeps float32 rounding of large outputs from tripping it).
    return_deltas : also return those absolute deltas, ``(N, R)``.
    Other parameters as :func:`seqlens.attribution.saliency`.

    Returns
    -------
    ``(N, 4, L)`` CPU tensor (and the ``(N, R)`` deltas when ``return_deltas``).
    """
    X = check_X(X)
    N = X.shape[0]
    target = check_target(target, N)
    batch_size = check_int(batch_size, "batch_size")
    if not warn_threshold >= 0:
        raise SeqlensError(f"warn_threshold must be >= 0, got {warn_threshold!r}")
    dtype = model_dtype(model)
    refs = make_references(X, references, n=n_references, seed=seed).to(dtype)
    R = refs.shape[1]
    total = torch.zeros(X.shape, dtype=dtype)
    deltas = torch.empty(N * R, dtype=dtype)
    tolerance = torch.empty(N * R, dtype=dtype)
    with model_state(model, device) as dev, _deeplift_hooks(model):
        X_dev = X.to(dev, dtype)
        refs_dev = refs.reshape(N * R, *X.shape[1:]).to(dev)
        chunks = list(row_chunks(N * R, batch_size))
        for pairs in progress(chunks, len(chunks), verbose, "deepshap"):
            pair = torch.arange(pairs.start, pairs.stop)
            seq = pair // R
            x, r = X_dev[seq.to(dev)], refs_dev[pairs]
            both = torch.cat([x, r]).requires_grad_(True)
            with torch.enable_grad():
                y = select_target(model(both), torch.cat([target[seq], target[seq]]), func)
                (grad,) = torch.autograd.grad(y.sum(), both)
            y = y.detach()
            m = grad[: len(pair)]
            y_x, y_r = y.chunk(2)
            deltas[pairs] = ((y_x - y_r) - ((x - r) * m).sum(dim=(1, 2))).abs().cpu()
            tolerance[pairs] = (warn_threshold * torch.maximum(y_x.abs(), y_r.abs()).clamp_min(1)).cpu()
            hypothetical = m - (r * m).sum(dim=1, keepdim=True)
            total.index_add_(0, seq, hypothetical.cpu())
    excess = deltas > tolerance
    if excess.any():
        worst = int(torch.argmax(deltas - tolerance))
        warnings.warn(
            f"DeepSHAP summation-to-delta check failed for {int(excess.sum())} of {N * R} pairs "
            f"(worst |f(x) - f(ref) - sum(attr)| = {float(deltas[worst]):.3g} at sequence {worst // R}, "
            f"reference {worst % R}); the model has a nonlinearity without a DeepLIFT rule "
            "(a functional call such as torch.exp in forward, or a module without "
            "elementwise = True), so these attributions are unreliable",
            RuntimeWarning,
            stacklevel=2,
        )
    result = total / R
    return (result, deltas.reshape(N, R)) if return_deltas else result
