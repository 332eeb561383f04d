"""The fast ISM engine's model analysis: tracing, the chain of windowed layers, its steps.

Private to :mod:`seqlens.attribution`; :mod:`seqlens.attribution._ism_engine` runs what
this module finds. ``model(X)`` is traced with ``torch.fx`` (control flow on input shapes
resolved with an example input); the chain is ``X`` and the length-local layers after it,
in the order of ``forward``: stride-1 ``Conv1d``, batch norm, pointwise activations,
dropout, zero padding, max/average pools, and sums of two chain activations (residual
connections). It ends at the last activation that alone carries everything the rest of
the model (the tail) reads; a model without a convolution in its chain raises
:class:`Unsupported`, whose message names the operation that stops the chain and its line.
"""

from __future__ import annotations

import operator
import os
import re
from dataclasses import dataclass

import torch
from torch import fx, nn

from .deepshap import has_rescale_rule


class Unsupported(Exception):
    """Raised while setting up :class:`FastISM` when a model cannot use it (reason in args)."""


# ---------------------------------------------------------------------------------------
# Tracing


_SHAPE_ATTRS = ("shape", "ndim", "dtype", "device")
_SHAPE_METHODS = ("dim", "size")


def _is_shape_accessor(node: fx.Node) -> bool:
    return (node.op == "call_function" and node.target is getattr and node.args[1] in _SHAPE_ATTRS) or (
        node.op == "call_method" and node.target in _SHAPE_METHODS
    )


def _ancestors(node: fx.Node) -> set[fx.Node]:
    seen, stack = set(), [node]
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(n.all_input_nodes)
    return seen


class _ShapeTracer(fx.Tracer):
    """``torch.fx`` tracer that keeps pointwise activations as leaves and resolves
    control flow on input *shapes* (e.g. a model's input check) with an example input.

    A condition that depends on tensor values rather than shapes still fails to trace.
    """

    def __init__(self, example: torch.Tensor):
        super().__init__()
        self.example = example

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return has_rescale_rule(m) or super().is_leaf_module(m, qualname)

    def to_bool(self, obj: fx.Proxy) -> bool:
        stack, seen = [obj.node], set()
        while stack:  # between the condition and any tensor there must be a shape accessor
            n = stack.pop()
            if n in seen or _is_shape_accessor(n):
                continue
            seen.add(n)
            if n.op != "call_function" or getattr(n.target, "__module__", None) not in ("_operator", "builtins"):
                return super().to_bool(obj)  # raises fx's TraceError
            stack.extend(n.all_input_nodes)
        needed = _ancestors(obj.node)
        values: dict[fx.Node, object] = {}
        with torch.no_grad():
            for n in self.graph.nodes:
                if n not in needed:
                    continue
                args = fx.node.map_arg(n.args, values.__getitem__)
                kwargs = fx.node.map_arg(n.kwargs, values.__getitem__)
                if n.op == "placeholder":
                    values[n] = self.example
                elif n.op == "get_attr":
                    values[n] = self.root
                    for part in n.target.split("."):
                        values[n] = getattr(values[n], part)
                elif n.op == "call_module":
                    values[n] = self.root.get_submodule(n.target)(*args, **kwargs)
                elif n.op == "call_method":
                    values[n] = getattr(args[0], n.target)(*args[1:], **kwargs)
                else:
                    values[n] = n.target(*args, **kwargs)
        return bool(values[obj.node])


class _CalledWithX(nn.Module):
    """``model(X)``: what is traced, so optional ``forward`` arguments keep their defaults."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, X):
        return self.model(X)


def _chain_shape(boundary: torch.Tensor, shape: tuple, name: str, *args, **kwargs):
    """In the tail, a shape accessor ``name`` of a chain activation (``X`` or a layer's
    output) whose wild-type shape (one sequence) is ``shape``: the batch is the mutants'."""
    size = torch.Size((boundary.shape[0], *shape[1:]))
    if name in ("ndim", "dim"):
        return len(size)
    if name == "dtype":
        return boundary.dtype
    if name == "device":
        return boundary.device
    if name == "size" and (args or kwargs):
        return size[args[0] if args else kwargs["dim"]]
    return size


def _line(node: fx.Node) -> str:
    """``" at model.py line 12"``: where in ``forward`` the traced ``node`` comes from ("" if unknown)."""
    found = [(file, line) for file, line in re.findall(r'File "([^"]+)", line (\d+)', node.stack_trace or "")
             if f"{os.sep}torch{os.sep}" not in file and f"{os.sep}seqlens{os.sep}attribution{os.sep}" not in file]
    return f" at {os.path.basename(found[-1][0])} line {found[-1][1]}" if found else ""


def _operation(node: fx.Node, modules: dict) -> str:
    """A traced operation for a message: ``"transpose"``, ``"conv (Conv1d(...))"``, ``"torch.cat"``."""
    if node.op == "call_module":
        name = node.target.removeprefix("model.")
        return f"{name} ({modules[node.target]})"
    if node.op == "call_method":
        return str(node.target)
    if node.op == "output":
        return "the output"
    module = getattr(node.target, "__module__", None) or ""
    name = getattr(node.target, "__name__", str(node.target))
    return f"{'torch.' if module.startswith('torch') else ''}{name}"


def _why_no_chain(node: fx.Node, users: list[fx.Node], modules: dict) -> str:
    """Why no stride-1 ``Conv1d`` chain starts at ``node`` (the input or the last layer taken),
    whose users other than shape accessors are ``users``."""
    what = "X" if node.op == "placeholder" else f"the output of {node.target.removeprefix('model.')}"
    if not users:
        return f"{what} is not used by forward"
    if len(users) > 1:
        listed = ", ".join(f"{_operation(u, modules)}{_line(u)}" for u in users)
        return f"{what} feeds {len(users)} operations ({listed}), not one stride-1 Conv1d"
    (user,) = users
    if user.op == "call_module" and (user.args != (node,) or user.kwargs):
        return f"forward calls {_operation(user, modules)} with more than {what}{_line(user)}"
    if user.op == "call_module":
        module = modules[user.target]
        return f"the first layer on {what} is {module}, not a stride-1 Conv1d or another layer the fast path windows{_line(user)}"
    return f"forward applies {_operation(user, modules)} to {what}{_line(user)} before any stride-1 Conv1d"


def _local_chain(x: fx.Node, graph: fx.Graph, modules: dict) -> tuple[list[fx.Node], list[_Layer]]:
    """The chain: the input ``x`` and the layers after it that the fast path windows, in
    the order of ``forward`` (``chain[i + 1]`` is the output of ``layers[i]``), up to the
    last activation that carries alone everything the rest of the model reads of them.

    Walks the graph until the first operation on a chain activation that cannot be
    windowed; raises :class:`Unsupported` naming why no convolution is in the chain."""
    chain, layers, index = [x], [], {x: 0}
    for node in graph.nodes:
        if node in index or _is_shape_accessor(node) or not any(a in index for a in node.all_input_nodes):
            continue
        layer = _chain_layer(node, index, modules)
        if layer is None:
            break
        index[node] = len(chain)
        chain.append(node)
        layers.append(layer)
    # chain[:k + 1] can be cut off at chain[k] when no earlier activation is read after it
    last_reader = [max((index.get(u, len(chain)) for u in n.users if not _is_shape_accessor(u)), default=0) for n in chain]
    end, reach = 0, 0
    for k in range(1, len(chain)):
        reach = max(reach, last_reader[k - 1])
        if reach <= k:
            end = k
    if not any(layer.kind == "conv" for layer in layers[:end]):
        node = chain[end]
        raise Unsupported(_why_no_chain(node, [u for u in node.users if not _is_shape_accessor(u)], modules))
    return chain[: end + 1], layers[:end]


def _reads(steps: list[_Step], boundary: int) -> tuple[list[list[int]], list[bool]]:
    """Per step: the activations whose windows no later step reads (``last_read``), and
    whether the activation it reads is read again later, itself or through an alias (an
    identity or a zero pad, whose output shares its input's window), so that an in-place
    layer must copy it (``read_again``)."""
    root = {}
    for step in steps:
        root[step.act_out] = root.get(step.act_in, step.act_in) if step.kind in ("identity", "pad") else step.act_out
    last, last_of_root = {boundary: len(steps)}, {root.get(boundary, boundary): len(steps)}
    for i, step in enumerate(steps):
        for act in (step.act_in, step.act_other) if step.kind == "add" else (step.act_in,):
            last[act] = max(last.get(act, i), i)
            last_of_root[root.get(act, act)] = max(last_of_root.get(root.get(act, act), i), i)
    last_read = [[] for _ in steps]
    for act, i in last.items():
        if i < len(steps):
            last_read[i].append(act)
    read_again = [last_of_root[root.get(step.act_in, step.act_in)] > i for i, step in enumerate(steps)]
    return last_read, read_again


# ---------------------------------------------------------------------------------------
# The chain's layers and the windowed steps made of them


_POINTWISE = (nn.BatchNorm1d, nn.Identity, nn.Dropout, nn.AlphaDropout, nn.FeatureAlphaDropout)


@dataclass
class _Layer:
    """A node of the chain: ``kind`` "conv", "pointwise", "pool", "pad" (a ``module``) or
    "add" (the sum of two chain activations, a residual connection); ``inputs``: the
    indices of the chain activations it reads (0 is ``X``, ``i + 1`` the output of layer ``i``)."""

    kind: str
    module: nn.Module | None
    kernel: int = 1
    dilation: int = 1
    stride: int = 1
    pad_left: int = 0
    inputs: tuple[int, ...] = ()


# the traced forms of ``a + b``: ``+``, ``torch.add(a, b)``, ``a.add(b)``, ``a += b``
_ADDS = (operator.add, operator.iadd, torch.add)


def _chain_layer(node: fx.Node, index: dict[fx.Node, int], modules: dict) -> _Layer | None:
    """``node`` as a layer of the chain whose activations are numbered by ``index``, or
    None if the fast path cannot window it (a length-local module applied to one chain
    activation, or the sum of two chain activations)."""
    args = node.args
    if node.op == "call_module" and len(args) == 1 and args[0] in index and not node.kwargs:
        layer = _as_layer(modules[node.target])
        if layer is not None:
            layer.inputs = (index[args[0]],)
        return layer
    is_add = (node.op == "call_function" and node.target in _ADDS) or (node.op == "call_method" and node.target == "add")
    if is_add and len(args) == 2 and not node.kwargs and all(isinstance(a, fx.Node) and a in index for a in args):
        return _Layer("add", None, inputs=(index[args[0]], index[args[1]]))
    return None


def _as_layer(module: nn.Module) -> _Layer | None:
    """Describe ``module`` as a length-local layer, or None if the fast path cannot window it."""
    if isinstance(module, nn.Conv1d):
        (k,), (d,), (s,) = module.kernel_size, module.dilation, module.stride
        if module.groups != 1 or module.padding_mode != "zeros" or s != 1:
            return None
        if module.padding == "same":
            left = d * (k - 1) // 2
            return _Layer("conv", module, k, d, 1, left)
        if module.padding == "valid":
            return _Layer("conv", module, k, d, 1, 0)
        (p,) = module.padding
        return _Layer("conv", module, k, d, 1, p)
    if isinstance(module, (nn.MaxPool1d, nn.AvgPool1d)):
        k = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
        s = module.stride if isinstance(module.stride, int) else module.stride[0]
        pad = module.padding if isinstance(module.padding, int) else module.padding[0]
        d = getattr(module, "dilation", 1)
        d = d if isinstance(d, int) else d[0]
        if pad != 0 or module.ceil_mode or getattr(module, "return_indices", False):
            return None
        return _Layer("pool", module, k, d, s)
    if isinstance(module, nn.ConstantPad1d) and module.value == 0 and min(module.padding) >= 0:
        return _Layer("pad", module, pad_left=module.padding[0])
    if isinstance(module, nn.BatchNorm1d) and module.running_var is None:
        return None  # normalises with the statistics of the batch: not a per-sequence layer
    if isinstance(module, _POINTWISE) or has_rescale_rule(module):
        return _Layer("pointwise", module)
    return None


def _is_identity(module: nn.Module) -> bool:
    return isinstance(module, (nn.Identity, nn.Dropout, nn.AlphaDropout, nn.FeatureAlphaDropout)) and not module.training


def _channel_affine(module: nn.Module) -> tuple[torch.Tensor | float, torch.Tensor | float] | None:
    """``(scale, shift)`` (per channel ``(C,)``, or floats) of a layer that is
    ``x -> scale * x + shift`` in eval mode (batch norm with running statistics, identity,
    dropout), else None."""
    if _is_identity(module):
        return 1.0, 0.0
    if isinstance(module, nn.BatchNorm1d) and not module.training and module.running_var is not None:
        scale = torch.rsqrt(module.running_var.detach() + module.eps)
        if module.affine:
            scale = scale * module.weight.detach()
        shift = -module.running_mean.detach() * scale
        return scale, (shift + module.bias.detach() if module.affine else shift)
    return None


@dataclass
class _Step:
    """One step of the windowed chain, reading wild-type activation ``act_in`` and making
    ``act_out``.

    ``conv``: ``weight`` and ``bias`` with the affine layers that follow it (batch norm in
    eval mode) folded in; ``act_out`` is the output of the last of those; ``pool`` and
    ``pointwise``: ``module``; ``pad``: ``pad_left``; ``add``: ``act_in + act_other``;
    ``identity`` (eval-mode dropout, ``nn.Identity``): ``act_out`` is ``act_in``.
    """

    kind: str
    act_in: int
    act_out: int
    module: nn.Module | None = None
    weight: torch.Tensor | None = None
    bias: torch.Tensor | None = None
    weight_2d: torch.Tensor | None = None  # weight as a channels-last (C_out, C_in, 1, k)
    weight_taps: torch.Tensor | None = None  # weight as (C_in, k * C_out)
    weight_column: torch.Tensor | None = None  # taps reversed: one input column -> k outputs
    span: int = 0
    dilation: int = 1
    stride: int = 1
    pad_left: int = 0
    act_other: int = -1


def _steps(layers: list[_Layer]) -> list[_Step]:
    """The chain's layers (in the order of ``forward``) as windowed steps: affine layers
    that are the only reader of a convolution's output are folded into its weight and bias."""
    readers: dict[int, list[int]] = {}
    for i, layer in enumerate(layers):
        for a in layer.inputs:
            readers.setdefault(a, []).append(i)
    readers.setdefault(len(layers), []).append(-1)  # the boundary is read by the tail
    steps, folded = [], set()
    for i, layer in enumerate(layers):
        if i in folded:
            continue
        out, src = i + 1, layer.inputs[0]
        span = layer.dilation * (layer.kernel - 1)
        if layer.kind == "conv":
            conv = layer.module
            weight = conv.weight.detach()
            bias = conv.bias.detach() if conv.bias is not None else weight.new_zeros(weight.shape[0])
            while len(readers.get(out, ())) == 1 and (j := readers[out][0]) >= 0 \
                    and (affine := _channel_affine(layers[j].module)) is not None:
                scale, shift = (torch.as_tensor(v).to(weight) for v in affine)
                weight, bias, out = weight * scale.reshape(-1, 1, 1), bias * scale + shift, j + 1
                folded.add(j)
            weight_2d = weight[:, :, None].contiguous(memory_format=torch.channels_last)
            weight_taps = weight.permute(1, 2, 0).reshape(weight.shape[1], -1).contiguous()
            weight_column = weight.flip(2).permute(1, 2, 0).reshape(weight.shape[1], -1).contiguous()
            steps.append(_Step("conv", src, out, weight=weight, bias=bias, weight_2d=weight_2d, weight_taps=weight_taps,
                               weight_column=weight_column, span=span, dilation=layer.dilation, pad_left=layer.pad_left))
        elif layer.kind == "pool":
            steps.append(_Step("pool", src, out, module=layer.module, span=span, dilation=layer.dilation, stride=layer.stride))
        elif layer.kind == "pad":
            steps.append(_Step("pad", src, out, pad_left=layer.pad_left))
        elif layer.kind == "add":
            steps.append(_Step("add", src, out, act_other=layer.inputs[1]))
        elif _is_identity(layer.module):
            steps.append(_Step("identity", src, out))
        else:
            steps.append(_Step("pointwise", src, out, module=layer.module))
    return steps
