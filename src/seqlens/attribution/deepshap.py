"""DeepSHAP: DeepLIFT with the rescale rule, averaged over (dinucleotide-shuffled) references.

The engine runs each batch of ``(sequence, reference)`` pairs as one model call on the
concatenation ``[sequences; references]`` and overrides the backward pass of every
nonlinear module with its DeepLIFT rule, through forward hooks that wrap the module's
output in a custom autograd function (so a module called several times per forward pass
gets one rule node per call), or, for the composite layers, by running the module's
forward for the call as a chain of ruled steps. The rules, each exact (its multipliers
times the input changes sum to the output change):

- rescale rule for pointwise nonlinearities: multiplier ``delta_out / delta_in``, or the
  ordinary gradient where ``|delta_in| < 1e-6``. Applied to torch's pointwise activations
  (ReLU, GELU, SiLU, Softplus, Tanh, Sigmoid, ELU, Mish, ...) and to every module with the
  attribute ``elementwise = True`` (all of ``seqlens.models.activations``).
- max-pooling rule of captum/tangermeme for ``MaxPool1d``/``MaxPool2d`` and
  ``AdaptiveMaxPool1d``/``AdaptiveMaxPool2d`` (the change of each pooled output split
  between the winners of the two windows).
- tangermeme's ``Softmax`` rule (exponential, sum and log chained through log-ratio
  multipliers; computed in float64 and shifted so that neither half's sum underflows),
  ``LayerNorm`` / ``RMSNorm`` rule (midpoint product of the centred
  input and the inverse standard deviation, the secant of ``(var + eps) ** -0.5``) and
  ``GLU`` (midpoint product of the gate and the sigmoid).
- attention, the zoo's ``MultiHeadAttention`` and ``nn.MultiheadAttention``: linear
  projections, the midpoint product rule for ``q @ k.T`` and ``weights @ v`` (exact for a
  bilinear map: ``delta(ab) = delta a (b + b')/2 + (a + a')/2 delta b``) and the softmax
  rule.
- tangermeme's ``BilinearOp`` (a product of two activations written as a module): the
  midpoint product rule.
- recurrent layers, ``nn.LSTM``, ``nn.GRU``, ``nn.RNN``: unrolled over time, the gates
  through the rescale rule and every product of two activations (``f * c``, ``i * g``,
  ``o * tanh(c)``, ``r * h``, ``z * h``) through the midpoint product rule.
- torch's ``TransformerEncoderLayer`` / ``TransformerDecoderLayer`` apply their activation
  as a function (``F.relu``); for the call it is replaced by the equivalent module.
- everything else is treated as linear (convolutions, linear layers, batch norm in eval
  mode, dropout in eval mode, average pooling, flattening and additions are linear, so that
  is exact).

Where tangermeme has a rule (pointwise, max pooling, softmax, LayerNorm, RMSNorm, GLU,
``BilinearOp``) the
results equal its ``deep_lift_shap`` for the same references. A nonlinearity the engine
cannot see (a bare ``torch.exp`` or ``F.relu`` in ``forward``, a product of two
activations written as ``a * b``, a module without a rule such as ``GroupNorm``) breaks the
summation-to-delta property ``sum(attr * (x - ref)) = f(x) - f(ref)``; every call checks it
and warns when it fails, naming the modules without a rule (or, when there are none, a
functional call as the likely cause) and the worst delta. TorchScript modules are refused:
their compiled forward does not run Python hooks, so no rule could be installed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ModelError, SeqlensError, UnreliableMapsWarning
from ..models.layers import MultiHeadAttention as _ZooAttention
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
    nn.Hardtanh, nn.Hardsigmoid, nn.Hardswish, nn.Tanhshrink, nn.Threshold, nn.Hardshrink,
    nn.Softsign,
)
_MAX_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)
_NORMS = (nn.LayerNorm,) + ((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ())
_RECURRENT = (nn.LSTM, nn.GRU, nn.RNN)
_TORCH_TRANSFORMER_LAYERS = (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)

#: Modules that are linear in their input (in eval mode): no rule needed.
_LINEAR_MODULES = (
    nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d,
    nn.Linear, nn.Identity, nn.Flatten, nn.Unflatten, nn.Dropout, nn.Dropout1d, nn.Dropout2d,
    nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout, nn.BatchNorm1d, nn.BatchNorm2d,
    nn.BatchNorm3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.ConstantPad1d, nn.ConstantPad2d,
    nn.ConstantPad3d, nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d, nn.ReflectionPad1d,
    nn.ReflectionPad2d, nn.ReflectionPad3d, nn.ReplicationPad1d, nn.ReplicationPad2d,
    nn.ReplicationPad3d, nn.CircularPad1d, nn.CircularPad2d, nn.CircularPad3d, nn.Upsample,
    nn.PixelShuffle, nn.PixelUnshuffle, nn.ChannelShuffle, nn.Sequential, nn.ModuleList,
    nn.ModuleDict,
)

#: Nonlinear modules this engine has no rule for: their ordinary gradient is used.
_NO_RULE = (
    nn.Softmin, nn.LogSoftmax, nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d,
    nn.InstanceNorm3d, nn.LocalResponseNorm, nn.CrossMapLRN2d, nn.Bilinear, nn.MaxPool3d,
    nn.AdaptiveMaxPool3d, nn.LPPool1d, nn.LPPool2d, nn.FractionalMaxPool2d,
    nn.FractionalMaxPool3d, nn.RNNCell, nn.LSTMCell, nn.GRUCell, nn.CosineSimilarity,
    nn.PairwiseDistance,
)


def _halves(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The sequences' and the references' halves of a ``(2B, ...)`` tensor."""
    return t.chunk(2)


# ---------------------------------------------------------------------------------------
# Rules: autograd functions that are the identity (or the op itself) forward and apply the
# DeepLIFT multiplier backward. Every tensor is (2B, ...): sequences first, references second.


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


def _rescaled(fn: Callable, z: torch.Tensor) -> torch.Tensor:
    """``fn(z)`` for a pointwise ``fn``, with the rescale rule as its backward."""
    y = fn(z)
    delta_in = torch.sub(*_halves(z.detach()))
    delta_out = torch.sub(*_halves(y.detach()))
    return _RescaleRule.apply(z, y, delta_in, delta_out)


class _ProductRule(torch.autograd.Function):
    """``op(left, right)`` for a bilinear ``op`` (``*``, ``matmul``) with the midpoint rule.

    The multipliers are the derivatives of ``op`` at the midpoint of the two halves,
    ``m_left = op(., (right + right_ref) / 2)`` and vice versa; for a bilinear map this is
    exact: ``op(a, b) - op(a', b') = op(a - a', (b + b')/2) + op((a + a')/2, b - b')``.
    Both halves take the same multipliers (tangermeme's ``BilinearOp`` rule).
    """

    @staticmethod
    def forward(ctx, left, right, op):
        ctx.op = op
        ctx.save_for_backward(left.detach(), right.detach())
        return op(left, right)

    @staticmethod
    def backward(ctx, grad):
        left, right = ctx.saved_tensors

        def mid(t):
            m = torch.add(*_halves(t)) / 2
            return torch.cat([m, m]).requires_grad_(True)

        left_mid, right_mid = mid(left), mid(right)
        with torch.enable_grad():
            out = ctx.op(left_mid, right_mid)
            g_left, g_right = torch.autograd.grad(out, (left_mid, right_mid), grad)
        return g_left, g_right, None


def _product(left: torch.Tensor, right: torch.Tensor, op: Callable = torch.mul) -> torch.Tensor:
    return _ProductRule.apply(left, right, op)


def _softmax_dim(module: nn.Module, ndim: int) -> int:
    if isinstance(module, nn.Softmax2d):
        return ndim - 3
    dim = module.dim
    if dim is None:  # torch's legacy implicit dimension
        dim = 0 if ndim in (0, 1, 3) else 1
    return dim % ndim


class _SoftmaxRule(torch.autograd.Function):
    """Identity on ``out`` (the softmax of ``inp`` along ``dim``) with tangermeme's rule.

    ``log y_i = x_i - l`` with ``l = logsumexp(x)``: ``delta y_i = m_i (delta x_i -
    delta l)`` with ``m_i = delta y_i / delta log y_i`` (fallback ``y_ref``), and ``delta l
    = sum_k k_k delta x_k`` with ``k_k = (delta l / delta s)(delta a_k / delta x_k)``, ``s =
    sum(a)``, ``a = exp(x - M)`` (fallbacks ``1 / s`` and ``a_ref``). ``k`` does not depend
    on the shift ``M``, so it equals tangermeme's chain through ``v = 1 / s``; the shift is
    ``max(l, l_ref)``, so a sum never underflows however far apart the two halves' scores
    are (tangermeme shifts by the largest score and clamps the other half's sum, which
    breaks the rule once the halves' top scores differ by more than ~700 in float64).
    Computed in float64 (float32 on MPS): on a peaked softmax ``delta log y`` is a
    difference of large numbers and float32 leaves deltas of several logits.
    """

    @staticmethod
    def forward(ctx, inp, out, dim):
        ctx.dim = dim
        ctx.save_for_backward(inp.detach())
        return out.clone()

    @staticmethod
    def backward(ctx, grad):
        (inp,) = ctx.saved_tensors
        dim = ctx.dim
        if dim == 0:
            raise ModelError("DeepSHAP: a softmax over the batch axis mixes sequences with their references")
        work = torch.float32 if inp.device.type == "mps" else torch.float64
        x, x_ref = _halves(inp.to(work))
        lse, lse_ref = torch.logsumexp(x, dim, keepdim=True), torch.logsumexp(x_ref, dim, keepdim=True)
        y, y_ref = torch.exp(x - lse), torch.exp(x_ref - lse_ref)
        dx, dlse = x - x_ref, lse - lse_ref
        dlog_y = dx - dlse
        m_y = torch.where(dlog_y.abs() > RESCALE_EPS, (y - y_ref) / dlog_y, y_ref)
        shift = torch.maximum(lse, lse_ref)
        s, s_ref = torch.exp(lse - shift), torch.exp(lse_ref - shift)
        m_log = torch.where(dlse.abs() > RESCALE_EPS, dlse / (s - s_ref), s.reciprocal())
        a, a_ref = torch.exp(x - shift), torch.exp(x_ref - shift)
        m_exp = torch.where(dx.abs() > RESCALE_EPS, (a - a_ref) / dx, a_ref)
        through_lse = m_log * m_exp
        grads = []
        for g in _halves(grad.to(work)):
            weighted = g * m_y
            grads.append(weighted - through_lse * weighted.sum(dim, keepdim=True))
        return torch.cat(grads).to(grad.dtype), None, None


def _softmax(z: torch.Tensor, dim: int) -> torch.Tensor:
    dim = dim % z.ndim
    return _SoftmaxRule.apply(z, torch.softmax(z, dim), dim)


class _NormRule(torch.autograd.Function):
    """Identity on ``out`` (LayerNorm / RMSNorm of ``inp``) with tangermeme's rule.

    ``y = gamma * a * v + beta``, ``a`` the (centred, for LayerNorm) input and ``v = (var +
    eps) ** -0.5``: midpoint product of ``a`` and ``v``, ``v`` through its secant in the
    variance, ``-v^2 v_ref^2 / (v + v_ref)``, the variance change through the midpoint
    ``(a + a_ref) / D``. Exact.
    """

    @staticmethod
    def forward(ctx, inp, out, n_dims, eps, weight, centre):
        ctx.n_dims, ctx.eps, ctx.centre = n_dims, eps, centre
        ctx.save_for_backward(inp.detach(), None if weight is None else weight.detach())
        return out.clone()

    @staticmethod
    def backward(ctx, grad):
        inp, weight = ctx.saved_tensors
        dims = tuple(range(-ctx.n_dims, 0))
        size = math.prod(inp.shape[-ctx.n_dims:])
        eps = ctx.eps if ctx.eps is not None else torch.finfo(inp.dtype).eps

        def stats(t):
            a = t - t.mean(dims, keepdim=True) if ctx.centre else t
            return a, ((a * a).mean(dims, keepdim=True) + eps) ** -0.5

        (a, v), (a_ref, v_ref) = stats(_halves(inp)[0]), stats(_halves(inp)[1])
        v_mid, a_sum = (v + v_ref) / 2, a + a_ref
        through_var = (-(v * v) * (v_ref * v_ref)) / (v + v_ref) * a_sum / (2 * size)
        grads = []
        for g in _halves(grad if weight is None else grad * weight):
            direct = g - g.mean(dims, keepdim=True) if ctx.centre else g
            grads.append(v_mid * direct + through_var * (g * a_sum).sum(dims, keepdim=True))
        return torch.cat(grads), None, None, None, None, None


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
        indices = _pool_indices(ctx.module, inp)
        x_out, ref_out = out.chunk(2)
        top = torch.maximum(x_out, ref_out)
        delta_out = torch.cat([top - ref_out, x_out - top])
        routed = _unpool(grad * delta_out, indices, inp.shape)
        plain = _unpool(grad.chunk(2)[0], indices.chunk(2)[0], inp.chunk(2)[0].shape)
        delta_in = torch.sub(*inp.chunk(2))
        still = delta_in == 0
        half = torch.where(still, plain, torch.add(*routed.chunk(2)) / delta_in.masked_fill(still, 1))
        return torch.cat([half, half]), None, None


def _pool_indices(m: nn.Module, inp: torch.Tensor) -> torch.Tensor:
    """The argmax of every pooling window, into the flattened spatial axes."""
    if isinstance(m, nn.AdaptiveMaxPool1d):
        return F.adaptive_max_pool1d(inp, m.output_size, True)[1]
    if isinstance(m, nn.AdaptiveMaxPool2d):
        return F.adaptive_max_pool2d(inp, m.output_size, True)[1]
    pool = F.max_pool1d if isinstance(m, nn.MaxPool1d) else F.max_pool2d
    return pool(inp, m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode, True)[1]


def _unpool(values: torch.Tensor, indices: torch.Tensor, shape) -> torch.Tensor:
    """Scatter-add pooled ``values`` back to the input positions that won each max."""
    n, c = shape[0], shape[1]
    out = torch.zeros(n, c, shape[2:].numel(), dtype=values.dtype, device=values.device)
    out.scatter_add_(-1, indices.reshape(n, c, -1), values.reshape(n, c, -1))
    return out.reshape(shape)


# ---------------------------------------------------------------------------------------
# Hooks on single modules


def _first(output):
    return output[0] if isinstance(output, tuple) else output


def _replace_first(output, new):
    return (new, *output[1:]) if isinstance(output, tuple) else new


class _Pairs:
    """Rows of the model call in progress (``2B``: sequences, then references), or None."""

    rows: int | None = None


def _batch_axis(module: nn.Module, t: torch.Tensor, avoid: tuple[int, ...] = ()) -> int:
    """The axis of ``t`` that holds the ``2B`` rows of the call (0 unless sequence-first)."""
    rows = _Pairs.rows
    if rows is None or t.shape[0] == rows:
        return 0
    axes = [i for i, size in enumerate(t.shape) if size == rows and i not in avoid]
    if len(axes) != 1:
        name = module.__dict__.get("_seqlens_name", "")
        raise ModelError(f"DeepSHAP cannot tell which axis of the input {tuple(t.shape)} of {_label(name, module)} "
                         f"holds the {rows} rows of the batch (sequences and their references), so its rule "
                         "cannot pair them; use a batch-first layout there")
    return axes[0]


def _rescale_hook(module, inputs, output):
    if not output.requires_grad:
        return None
    x = module.__dict__.pop("_seqlens_original_input", inputs[0])
    axis = _batch_axis(module, output)
    x, out = x.movedim(axis, 0), output.movedim(axis, 0)
    delta_in = torch.sub(*x.detach().chunk(2))
    delta_out = torch.sub(*out.detach().chunk(2))
    return _RescaleRule.apply(x, out, delta_in, delta_out).movedim(0, axis)


def _protect_input_hook(module, inputs):
    # An in-place activation would overwrite its input (and re-route its graph): run it on
    # a copy and keep the original, still connected to the layers before, for the rule.
    module._seqlens_original_input = inputs[0]
    return (inputs[0].clone(), *inputs[1:])


def _maxpool_hook(module, inputs, output):
    out = _first(output)
    if not out.requires_grad:
        return None
    return _replace_first(output, _MaxPoolRule.apply(inputs[0], out, module))


def _softmax_hook(module, inputs, output):
    if not output.requires_grad:
        return None
    dim = _softmax_dim(module, output.ndim)
    axis = _batch_axis(module, output, avoid=(dim,))
    dim = dim + 1 if dim < axis else dim
    return _SoftmaxRule.apply(inputs[0].movedim(axis, 0), output.movedim(axis, 0), dim).movedim(0, axis)


def _norm_hook(module, inputs, output):
    if not output.requires_grad:
        return None
    n_dims = len(module.normalized_shape)
    axis = _batch_axis(module, output, avoid=tuple(range(output.ndim - n_dims, output.ndim)))
    return _NormRule.apply(inputs[0].movedim(axis, 0), output.movedim(axis, 0), n_dims, module.eps, module.weight,
                           isinstance(module, nn.LayerNorm)).movedim(0, axis)


# ---------------------------------------------------------------------------------------
# Ruled forwards of composite modules (installed as the instance's ``forward`` for the call)


def _glu_forward(module):
    def forward(x):
        a, b = x.chunk(2, dim=module.dim)
        return _product(a, _rescaled(torch.sigmoid, b))
    return forward


def _heads_attention(q, k, v, scale, mask=None):
    """``softmax(q k^T * scale + mask) v`` on ``(N, heads, L, d)`` tensors, with rules."""
    scores = _product(q, k.transpose(-1, -2), torch.matmul) * scale
    if mask is not None:
        scores = scores + mask
    weights = _softmax(scores, -1)
    return _product(weights, v, torch.matmul), weights


def _bilinear_forward(module):
    """tangermeme's ``BilinearOp`` (``matmul``, ``*`` or an einsum of two operands)."""
    equation = module.equation
    if equation is None:
        op = torch.matmul
    elif equation == "...,...->...":
        op = torch.mul
    else:
        def op(left, right):
            return torch.einsum(equation, left, right)

    def forward(left, right):
        return _product(left, right, op)
    return forward


def _is_bilinear_op(module: nn.Module) -> bool:
    return type(module).__name__ == "BilinearOp" and hasattr(module, "equation")


def _zoo_attention_forward(module):
    def forward(x):
        q, k, v = (module._split(layer(x)) for layer in (module.query, module.key, module.value))
        merged, weights = _heads_attention(q, k, v, 1 / math.sqrt(module.depth))
        return module.output(merged.transpose(1, 2).flatten(2)), weights
    return forward


def _torch_attention_forward(module: nn.MultiheadAttention):
    def forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        unbatched = query.dim() == 2
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not module.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        E, h = module.embed_dim, module.num_heads
        d = E // h
        if module._qkv_same_embed_dim:
            w_q, w_k, w_v = module.in_proj_weight.chunk(3)
        else:
            w_q, w_k, w_v = module.q_proj_weight, module.k_proj_weight, module.v_proj_weight
        b_q = b_k = b_v = None
        if module.in_proj_bias is not None:
            b_q, b_k, b_v = module.in_proj_bias.chunk(3)

        def heads(t, w, b):
            return F.linear(t, w, b).unflatten(-1, (h, d)).transpose(1, 2)

        q, k, v = heads(query, w_q, b_q), heads(key, w_k, b_k), heads(value, w_v, b_v)
        N, L, S = q.shape[0], q.shape[2], k.shape[2]
        mask = None
        floor = torch.finfo(q.dtype).min / 4
        if attn_mask is None and is_causal:
            attn_mask = torch.ones(L, S, dtype=torch.bool, device=q.device).triu(1)
        if attn_mask is not None:
            mask = torch.zeros(attn_mask.shape, dtype=q.dtype, device=q.device).masked_fill(attn_mask, floor) \
                if attn_mask.dtype == torch.bool else attn_mask.to(q.dtype).clamp_min(floor)
            mask = mask.reshape(N, h, L, S) if mask.dim() == 3 else mask
        if key_padding_mask is not None:
            pad = key_padding_mask.reshape(N, 1, 1, S)
            pad = torch.zeros(pad.shape, dtype=q.dtype, device=q.device).masked_fill(pad, floor) \
                if pad.dtype == torch.bool else pad.to(q.dtype).clamp_min(floor)
            mask = pad if mask is None else mask + pad
        merged, weights = _heads_attention(q, k, v, 1 / math.sqrt(d), mask)
        out = module.out_proj(merged.transpose(1, 2).flatten(2))
        if unbatched:
            out = out.squeeze(0)
        elif not module.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.mean(1) if average_attn_weights else weights
        return out, weights.squeeze(0) if unbatched else weights
    return forward


def _recurrent_forward(module: nn.RNNBase, name: str):
    kind = "GRU" if isinstance(module, nn.GRU) else "LSTM" if isinstance(module, nn.LSTM) else module.mode

    def cell(x_proj, h, c, weights):
        w_hh, b_hh, w_hr = weights
        h_proj = F.linear(h, w_hh, b_hh)
        if kind == "LSTM":
            i, f, g, o = (x_proj + h_proj).chunk(4, dim=-1)
            i, f, o = (_rescaled(torch.sigmoid, t) for t in (i, f, o))
            c = _product(f, c) + _product(i, _rescaled(torch.tanh, g))
            h = _product(o, _rescaled(torch.tanh, c))
            return (h if w_hr is None else F.linear(h, w_hr)), c
        if kind == "GRU":
            x_r, x_z, x_n = x_proj.chunk(3, dim=-1)
            h_r, h_z, h_n = h_proj.chunk(3, dim=-1)
            r = _rescaled(torch.sigmoid, x_r + h_r)
            z = _rescaled(torch.sigmoid, x_z + h_z)
            n = _rescaled(torch.tanh, x_n + _product(r, h_n))
            return _product(1 - z, n) + _product(z, h), c
        return _rescaled(torch.tanh if kind == "RNN_TANH" else torch.relu, x_proj + h_proj), c

    def forward(input, hx=None):
        if isinstance(input, nn.utils.rnn.PackedSequence):
            raise ModelError(f"DeepSHAP has no rule for `{name}` ({type(module).__name__}) on a PackedSequence "
                             "input: pass a padded tensor")
        unbatched = input.dim() == 2
        x = input.unsqueeze(0) if unbatched else input if module.batch_first else input.transpose(0, 1)
        dirs = 2 if module.bidirectional else 1
        proj = getattr(module, "proj_size", 0) or 0
        h_size = proj or module.hidden_size
        N, T = x.shape[0], x.shape[1]
        if hx is None:
            h0 = x.new_zeros(module.num_layers * dirs, N, h_size)
            c0 = x.new_zeros(module.num_layers * dirs, N, module.hidden_size)
        else:
            h0, c0 = hx if kind == "LSTM" else (hx, None)
            if unbatched:
                h0 = h0.unsqueeze(1)
                c0 = None if c0 is None else c0.unsqueeze(1)
        h_last, c_last = [], []
        for layer in range(module.num_layers):
            outs = []
            for direction in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                w_ih = getattr(module, "weight_ih" + sfx)
                b_ih = getattr(module, "bias_ih" + sfx) if module.bias else None
                weights = (getattr(module, "weight_hh" + sfx),
                           getattr(module, "bias_hh" + sfx) if module.bias else None,
                           getattr(module, "weight_hr" + sfx) if proj else None)
                x_proj = F.linear(x, w_ih, b_ih)
                index = layer * dirs + direction
                h = h0[index]
                c = None if c0 is None else c0[index]
                steps = range(T - 1, -1, -1) if direction else range(T)
                seq = [None] * T
                for t in steps:
                    h, c = cell(x_proj[:, t], h, c, weights)
                    seq[t] = h
                outs.append(torch.stack(seq, dim=1))
                h_last.append(h)
                c_last.append(c)
            x = torch.cat(outs, dim=-1) if dirs == 2 else outs[0]
        h_n = torch.stack(h_last)
        out = x.squeeze(0) if unbatched else x if module.batch_first else x.transpose(0, 1)
        if unbatched:
            h_n = h_n.squeeze(1)
        if kind == "LSTM":
            c_n = torch.stack(c_last)
            return out, (h_n, c_n.squeeze(1) if unbatched else c_n)
        return out, h_n
    return forward


# ---------------------------------------------------------------------------------------
# Installing the rules


def has_rescale_rule(module: nn.Module) -> bool:
    """True for modules the rescale rule applies to (torch pointwise ops, ``elementwise``)."""
    return isinstance(module, _TORCH_POINTWISE) or bool(getattr(module, "elementwise", False))


def _label(name: str, module: nn.Module) -> str:
    return f"`{name}` ({type(module).__name__})" if name else f"the model ({type(module).__name__})"


def _rule_kind(module: nn.Module) -> str | None:
    """The rule the engine applies to ``module``, or None (linear, or no rule)."""
    if has_rescale_rule(module):
        return "rescale"
    if isinstance(module, _MAX_POOLS):
        return "maxpool"
    if isinstance(module, (nn.Softmax, nn.Softmax2d)):
        return "softmax"
    if isinstance(module, _NORMS):
        return "norm"
    if isinstance(module, nn.GLU):
        return "glu"
    if isinstance(module, _ZooAttention):
        return "zoo_attention"
    if isinstance(module, nn.MultiheadAttention):
        if module.bias_k is not None or module.add_zero_attn:
            return None
        return "attention"
    if isinstance(module, _RECURRENT):
        return "recurrent"
    if _is_bilinear_op(module):
        return "bilinear"
    return None


def _without_rule(model: nn.Module) -> list[str]:
    """Labels of the modules known to be nonlinear that the engine has no rule for."""
    found = []
    for name, module in model.named_modules():
        if isinstance(module, _NO_RULE):
            found.append(_label(name, module))
        elif isinstance(module, nn.MultiheadAttention) and _rule_kind(module) is None:
            found.append(_label(name, module) + " with add_bias_kv / add_zero_attn")
        elif isinstance(module, _TORCH_TRANSFORMER_LAYERS) and not isinstance(module.activation, nn.Module) \
                and module.activation not in _FUNCTIONAL_ACTIVATIONS:
            found.append(_label(name, module) + f" with the functional activation {module.activation!r}")
        elif (type(module).__module__.startswith("torch.nn.") and not any(True for _ in module.children())
              and _rule_kind(module) is None and not isinstance(module, _LINEAR_MODULES)):
            found.append(_label(name, module) + " (not known to be linear)")
    return found


def _custom_forwards(model: nn.Module) -> list[str]:
    """Labels of modules whose forward is not torch's or a ruled layer's (may hide a call)."""
    found = []
    for name, module in model.named_modules():
        if type(module).__module__.startswith("torch.") or _rule_kind(module) is not None:
            continue
        found.append(_label(name, module))
    return found


_FUNCTIONAL_ACTIVATIONS = {F.relu: nn.ReLU, F.gelu: nn.GELU}


def _refuse_torchscript(model: nn.Module) -> None:
    for name, module in model.named_modules():
        if isinstance(module, torch.jit.ScriptModule):
            original = getattr(module, "original_name", type(module).__name__)
            raise ModelError(
                f"DeepSHAP cannot attribute {_label(name, module)}, a TorchScript module (scripted "
                f"from {original}): a compiled forward does not run Python forward hooks, "
                "so no DeepLIFT rule can be installed on its nonlinear layers; attribute the eager "
                "nn.Module (before torch.jit.script / trace) or use a gradient method")


@contextmanager
def _deeplift_hooks(model: nn.Module):
    """Install the DeepLIFT rules on ``model``'s modules for the duration of the block."""
    _refuse_torchscript(model)
    handles, forwards, activations = [], [], []
    try:
        for module in model.modules():
            if isinstance(module, _TORCH_TRANSFORMER_LAYERS) and module.activation in _FUNCTIONAL_ACTIVATIONS:
                function = module.activation
                module.activation = _FUNCTIONAL_ACTIVATIONS[function]()
                activations.append((module, function))
        for name, module in model.named_modules():
            kind = _rule_kind(module)
            module.__dict__["_seqlens_name"] = name
            if kind == "rescale":
                if getattr(module, "inplace", False):
                    handles.append(module.register_forward_pre_hook(_protect_input_hook))
                handles.append(module.register_forward_hook(_rescale_hook))
            elif kind == "maxpool":
                handles.append(module.register_forward_hook(_maxpool_hook))
            elif kind == "softmax":
                handles.append(module.register_forward_hook(_softmax_hook))
            elif kind == "norm":
                handles.append(module.register_forward_hook(_norm_hook))
            elif kind is not None:
                ruled = {"glu": _glu_forward, "zoo_attention": _zoo_attention_forward,
                         "attention": _torch_attention_forward, "bilinear": _bilinear_forward}.get(kind)
                ruled = ruled(module) if ruled is not None else _recurrent_forward(module, name)
                forwards.append((module, module.__dict__.get("forward")))
                module.forward = ruled
        yield
    finally:
        for handle in handles:
            handle.remove()
        for module, previous in forwards:
            module.__dict__.pop("forward", None)
            if previous is not None:
                module.forward = previous
        for module, function in activations:
            del module.activation
            module.activation = function
        _Pairs.rows = None
        for module in model.modules():
            module.__dict__.pop("_seqlens_original_input", None)
            module.__dict__.pop("_seqlens_name", None)


def _failure_message(model: nn.Module, n_failed: int, n_pairs: int, worst: float, worst_pair: tuple[int, int],
                     relative: float) -> str:
    head = (f"DeepSHAP summation-to-delta check failed for {n_failed} of {n_pairs} pairs (worst "
            f"|f(x) - f(ref) - sum(attr)| = {worst:.3g} at sequence {worst_pair[0]}, reference {worst_pair[1]}; "
            f"mean delta {relative:.1%} of the mean |f(x) - f(ref)|)")
    unruled = _without_rule(model)
    if unruled:
        cause = (f"{', '.join(unruled)} {'has' if len(unruled) == 1 else 'have'} no DeepLIFT rule, "
                 "so the ordinary gradient is used there")
    else:
        custom = _custom_forwards(model)
        where = f" (modules with their own forward: {', '.join(custom[:5])}{', ...' if len(custom) > 5 else ''})" \
            if custom else ""
        cause = ("no module without a rule explains it, so a functional nonlinearity in a forward is the likely "
                 "cause (torch.exp, F.relu, torch.softmax, or a product of two activations such as q @ k.T)"
                 f"{where}; wrap it in a module (nn.ReLU, seqlens.models.activations)")
    return f"{head}: {cause}; these maps failed the summation check and are unreliable"


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
    sequences). The layers with rules are listed in the module docstring.

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
    warn_threshold : a :class:`seqlens.errors.UnreliableMapsWarning` (a ``RuntimeWarning``,
        check ``"summation_to_delta"``; "DeepSHAP summation-to-delta check failed ...",
        naming the modules without a rule and the worst delta) is issued when some pair has
        ``|f(x) - f(r) - sum((x - r) * m)| > warn_threshold * max(1, |f(x)|, |f(r)|)``
        (the scale factor keeps float32 rounding of large outputs from tripping it).
    return_deltas : also return those absolute deltas, ``(N, R)``.
    Other parameters as :func:`seqlens.attribution.saliency`. ``X`` in half precision is
    cast to float32 (one-hot, so exactly); the model runs in its own dtype.

    Returns
    -------
    ``(N, 4, L)`` CPU tensor (and the ``(N, R)`` deltas when ``return_deltas``).

    Raises
    ------
    ModelError for a TorchScript model (or submodule), whose forward runs no hooks.
    """
    X = check_X(X)
    if X.dtype in (torch.float16, torch.bfloat16):
        X = X.float()
    N = X.shape[0]
    target = check_target(target, N)
    batch_size = check_int(batch_size, "batch_size")
    if not warn_threshold >= 0:
        raise SeqlensError(f"warn_threshold must be >= 0, got {warn_threshold!r}")
    dtype = model_dtype(model)
    accumulate = torch.promote_types(dtype, torch.float32)
    refs = make_references(X, references, n=n_references, seed=seed).to(dtype)
    R = refs.shape[1]
    total = torch.zeros(X.shape, dtype=accumulate)
    deltas = torch.empty(N * R, dtype=accumulate)
    tolerance = torch.empty(N * R, dtype=accumulate)
    changes = torch.empty(N * R, dtype=accumulate)
    with model_state(model, device) as dev, _deeplift_hooks(model):
        X_dev = X.to(dev, dtype)
        refs_dev = refs.reshape(N * R, *X.shape[1:]).to(dev)
        chunks = list(row_chunks(N * R, batch_size))
        for pairs in progress(chunks, len(chunks), verbose, "deepshap"):
            pair = torch.arange(pairs.start, pairs.stop)
            seq = pair // R
            x, r = X_dev[seq.to(dev)], refs_dev[pairs]
            both = torch.cat([x, r]).requires_grad_(True)
            _Pairs.rows = both.shape[0]
            with torch.enable_grad():
                y = select_target(model(both), torch.cat([target[seq], target[seq]]), func)
                (grad,) = torch.autograd.grad(y.sum(), both)
            y = y.detach().to(accumulate)
            m = grad[: len(pair)].to(accumulate)
            x, r = x.to(accumulate), r.to(accumulate)
            y_x, y_r = y.chunk(2)
            deltas[pairs] = ((y_x - y_r) - ((x - r) * m).sum(dim=(1, 2))).abs().cpu()
            changes[pairs] = (y_x - y_r).abs().cpu()
            tolerance[pairs] = (warn_threshold * torch.maximum(y_x.abs(), y_r.abs()).clamp_min(1)).cpu()
            hypothetical = m - (r * m).sum(dim=1, keepdim=True)
            total.index_add_(0, seq, hypothetical.cpu())
    excess = deltas > tolerance
    if excess.any():
        worst = int(torch.argmax(deltas - tolerance))
        relative = float(deltas.mean() / changes.mean().clamp_min(1e-12))
        n_failed, worst_delta = int(excess.sum()), float(deltas[worst])
        message = _failure_message(model, n_failed, N * R, worst_delta, (worst // R, worst % R), relative)
        details = {"n_failed": n_failed, "n_pairs": N * R, "worst_delta": worst_delta, "worst_sequence": worst // R,
                   "worst_reference": worst % R, "mean_relative_delta": relative, "threshold": warn_threshold}
        warnings.warn(UnreliableMapsWarning(message, "summation_to_delta", details), stacklevel=2)
    result = total / R
    return (result, deltas.reshape(N, R)) if return_deltas else result
