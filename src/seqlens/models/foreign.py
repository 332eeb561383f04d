"""The user's own model: TorchScript, ``torch.export`` programs and ``package.module:Class`` + weights.

Every analysis in seqlens takes an ``nn.Module`` mapping one-hot ``(N, 4, L)`` to ``(N, T)``.
A model from elsewhere gets there through :class:`ForeignModel`, a small wrapper that

- picks one output of a model returning a tuple, list or dict (``head``: an index, a dict
  key, or ``"profile"`` / ``"count"`` for a ``(profile, counts)`` pair such as bpnet-lite's),
- reduces a profile output ``(N, C, L)`` over its positions (``reduce``: ``sum``,
  ``logsumexp``, ``mean`` or ``max``) to ``(N, C)``, and a ``(N,)`` output to ``(N, 1)``,
- finds its first-layer convolution for filter analysis (:func:`first_convolution`: the first
  ``Conv1d`` taking 4 input channels, or the one named by ``layer``) and exposes
  ``first_conv`` and ``first_layer_activations(X)`` as the zoo models do.

Loading (:func:`load_foreign_model`, or step by step):

- :func:`load_torchscript` (a file written by ``torch.jit.save``),
- :func:`load_exported` (``torch.export.save``; ``torch.export.load(path).module()``;
  export with a dynamic batch dimension, or only the exported batch size runs),
- :func:`import_model_class` + :func:`instantiate` + :func:`load_weights`
  (``torch.load(..., weights_only=True)``, missing / unexpected keys named).

A foreign model has no seqlens ``config``: :func:`output_count` is the number of outputs of
a zoo model (its config) or of a probed foreign model; :func:`probe_outputs` runs the model on
one sequence of a given length and says clearly when the model rejects that length.

The first layer's activation is found by module order: the module registered right after
the convolution (a batch norm first, if any) when it is an elementwise activation; an
activation applied functionally in ``forward`` (``F.relu``) is not seen, and the
convolution's output is used (for ReLU the sites are the same).
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import fx, nn

from ..errors import ModelError
from ..validation import did_you_mean
from .activations import ElementwiseActivation

#: Profile summaries (``reduce``): how a ``(N, C, L)`` output becomes ``(N, C)``.
REDUCTIONS = ("sum", "logsumexp", "mean", "max")

#: Names of the two outputs of a ``(profile, counts)`` pair (bpnet-lite, chrombpnet).
PAIR_HEADS = {"profile": 0, "count": 1, "counts": 1}

#: Elementwise activations recognised after a first convolution (class names).
_ACTIVATIONS = {"ReLU", "GELU", "ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Sigmoid", "Tanh", "LeakyReLU",
                "PReLU", "Hardtanh", "ReLU6", "Exp", "Exponential", "ElementwiseActivation"}
_NORMS = {"BatchNorm1d", "Identity"}
#: aten ops recognised as the first activation of an exported program.
_ATEN_ACTIVATIONS = {"relu", "gelu", "elu", "selu", "celu", "silu", "mish", "softplus", "sigmoid", "tanh", "exp",
                     "leaky_relu", "hardtanh", "relu6"}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _first_sentence(exc: BaseException) -> str:
    """The first sentence of an error's first line (torch's load errors go on for several)."""
    line = _first_line(exc)
    head, dot, _ = line.partition(". ")
    return head + ("." if dot else "")


def _shape(t) -> str:
    if isinstance(t, torch.Tensor):
        return "(" + ", ".join(["N", *(str(s) for s in t.shape[1:])]) + ")"
    return type(t).__name__


def module_kind(module) -> str:
    """A module's class name (a TorchScript module's original one): ``"Conv1d"``, ``"Linear"``, ..."""
    return getattr(module, "original_name", None) or type(module).__name__


def _is_exported(module) -> bool:
    return isinstance(module, fx.GraphModule) and any(
        n.op == "call_function" and "aten" in str(n.target) for n in module.graph.nodes)


# --------------------------------------------------------------------------- output selection

def _as_head(head):
    if head is None or isinstance(head, int):
        return head
    text = str(head).strip()
    return int(text) if text.lstrip("-").isdigit() else text


def _describe(raw) -> str:
    if isinstance(raw, Mapping):
        return f"a dict with keys {list(raw)} (shapes {', '.join(_shape(v) for v in raw.values())})"
    if isinstance(raw, (tuple, list)):
        return f"a {type(raw).__name__} of {len(raw)} outputs (shapes {', '.join(_shape(v) for v in raw)})"
    return f"one tensor of shape {_shape(raw)}"


def select_head(raw, head=None):
    """The output ``head`` of a model's raw output (a tensor, tuple, list or dict); see :class:`ForeignModel`."""
    head = _as_head(head)
    if isinstance(raw, Mapping):
        keys = list(raw)
        if head is None:
            raise ModelError(f"the model returns {_describe(raw)}; choose one with head (a key)")
        if head in raw:
            return raw[head]
        if isinstance(head, int) and -len(keys) <= head < len(keys):
            return raw[keys[head]]
        raise ModelError(f"head {head!r} is not a key of the model's output {keys}{did_you_mean(head, keys)}")
    if isinstance(raw, (tuple, list)):
        if head is None:
            if len(raw) == 1:
                return raw[0]
            pair = " or 'profile' / 'count'" if len(raw) == 2 else ""
            raise ModelError(f"the model returns {_describe(raw)}; choose one with head (an index 0..{len(raw) - 1}{pair})")
        if isinstance(head, str):
            if len(raw) == 2 and head.casefold() in PAIR_HEADS:
                return raw[PAIR_HEADS[head.casefold()]]
            names = "'profile' / 'count' or " if len(raw) == 2 else ""
            raise ModelError(f"head {head!r} does not name an output of {_describe(raw)}: give {names}an index 0..{len(raw) - 1}")
        if not -len(raw) <= head < len(raw):
            raise ModelError(f"head {head} is out of range for {_describe(raw)}")
        return raw[head]
    if head is not None:
        raise ModelError(f"head {head!r} given, but the model returns {_describe(raw)}")
    return raw


def summarize(output: torch.Tensor, reduce: str | None = None) -> torch.Tensor:
    """``output`` as ``(N, T)``: ``(N,)`` -> ``(N, 1)``; a profile ``(N, C, L)`` reduced over L by ``reduce``."""
    if not isinstance(output, torch.Tensor):
        raise ModelError(f"the selected model output is a {type(output).__name__}, not a tensor")
    if output.ndim == 3:
        if reduce is None:
            raise ModelError(f"the selected model output has shape {_shape(output)}, a profile: give reduce "
                             f"({', '.join(REDUCTIONS)} over the profile axis) to explain one number per channel")
        if reduce == "sum":
            return output.sum(dim=-1)
        if reduce == "logsumexp":
            return torch.logsumexp(output, dim=-1)
        if reduce == "mean":
            return output.mean(dim=-1)
        return output.amax(dim=-1)
    if reduce is not None:
        raise ModelError(f"reduce {reduce!r} applies to a profile output (N, C, L); the selected output has shape {_shape(output)}")
    if output.ndim == 1:
        return output[:, None]
    if output.ndim == 2:
        return output
    raise ModelError(f"the selected model output has shape {_shape(output)}; expected (N, T), (N,) or a profile (N, C, L)")


# --------------------------------------------------------------------------- first layer

@dataclass
class FirstLayer:
    """The first-layer convolution of a model: ``conv`` (an ``nn.Conv1d``), then ``after``
    (batch norm / elementwise activation callables applied to its output), ``name`` (its path)."""

    name: str
    conv: nn.Conv1d
    after: list = field(default_factory=list)
    after_names: list = field(default_factory=list)

    def activations(self, x: torch.Tensor) -> torch.Tensor:
        """Post-activation first-layer output of ``x`` ``(N, 4, L)``."""
        h = self.conv(x)
        for step in self.after:
            h = step(h)
        return h


# the padding ops torch puts before a convolution whose padding_mode is not "zeros"
_PADDING_MODE_OPS = ("aten::pad", "aten::reflection_pad1d", "aten::replication_pad1d", "aten::_pad_circular")


def _graph_constant(value):
    """A TorchScript graph input that is a constant or a list of constants, as Python values."""
    node = value.node()
    if node.kind() == "prim::ListConstruct":
        return [_graph_constant(v) for v in node.inputs()]
    if node.kind() != "prim::Constant":
        raise ModelError(f"the traced convolution has a computed argument ({node.kind()}), not a constant")
    return value.toIValue()


def _traced_conv_geometry(module) -> dict:
    """``stride``, ``padding``, ``dilation`` and ``groups`` of a traced TorchScript ``Conv1d``
    (which keeps its weights but none of these attributes), read from the convolution call
    in its graph: ``aten::_convolution(input, weight, bias, stride, padding, dilation,
    transposed, output_padding, groups, ...)``, or ``aten::conv1d`` / ``aten::_convolution_mode``
    (a string padding such as "same") ``(input, weight, bias, stride, padding, dilation, groups)``."""
    nodes = list(module.graph.nodes())
    if any(node.kind() in _PADDING_MODE_OPS for node in nodes):
        raise ModelError("the traced Conv1d pads its input with a mode other than zeros; filter analysis needs zero padding")
    for node in nodes:
        if node.kind() in ("aten::_convolution", "aten::conv1d", "aten::_convolution_mode"):
            args = [_graph_constant(v) for v in list(node.inputs())[3:]]
            stride, padding, dilation = args[0], args[1], args[2]
            groups = args[5] if node.kind() == "aten::_convolution" else args[3]
            padding = padding if isinstance(padding, str) else tuple(padding)
            return {"stride": tuple(stride), "padding": padding, "dilation": tuple(dilation), "groups": int(groups),
                    "padding_mode": "zeros"}
    raise ModelError("the traced Conv1d's graph has no convolution call")


class _TracedLayer:
    """A traced TorchScript submodule (batch norm, an activation) as a callable on one
    tensor: torch refuses to call a traced submodule on its own, so its graph is run here
    node by node (``prim::GetAttr`` reads the module's tensors, ``prim::Constant`` and
    ``prim::ListConstruct`` give the constants, every ``aten::`` op is called through
    ``torch.ops.aten``), which computes exactly what the traced call computes."""

    def __init__(self, module):
        self.module = module
        self.graph = module.graph
        kinds = {n.kind() for n in self.graph.nodes()}
        unknown = sorted(k for k in kinds if not k.startswith("aten::") and k not in ("prim::Constant", "prim::ListConstruct", "prim::GetAttr"))
        if unknown:
            raise ModelError(f"the traced layer {module_kind(module)} uses {', '.join(unknown)}; script the model (torch.jit.script) "
                             f"or load it with --model-class for filter analysis")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        graph_inputs = list(self.graph.inputs())
        values = {graph_inputs[0].debugName(): self.module, graph_inputs[1].debugName(): x}
        for node in self.graph.nodes():
            args = [values[v.debugName()] for v in node.inputs()]
            kind = node.kind()
            if kind == "prim::Constant":
                result = node.output().toIValue()
            elif kind == "prim::ListConstruct":
                result = list(args)
            elif kind == "prim::GetAttr":
                result = getattr(args[0], node.s("name"))
            else:  # the node's schema says which arguments are keyword-only (gelu's approximate)
                schema = torch._C.parse_schema(node.schema())
                positional = [a for a, spec in zip(args, schema.arguments) if not spec.kwarg_only]
                keywords = {spec.name: a for a, spec in zip(args, schema.arguments) if spec.kwarg_only}
                result = getattr(torch.ops.aten, kind.removeprefix("aten::"))(*positional, **keywords)
            values[node.output().debugName()] = result
        (out,) = list(self.graph.outputs())
        return values[out.debugName()]


def _callable_layer(module):
    """``module`` itself, or a :class:`_TracedLayer` when it is a traced TorchScript submodule."""
    if type(module).__name__ == "TracedModule":  # torch.jit.trace's submodules (loaded ones can be called)
        return _TracedLayer(module)
    return module


def _conv_copy(module) -> nn.Conv1d:
    """An ``nn.Conv1d`` with the weights and geometry of a (scripted or traced TorchScript) ``Conv1d``."""
    if isinstance(module, nn.Conv1d):
        return module
    weight = module.weight.detach()
    bias = getattr(module, "bias", None)
    if hasattr(module, "padding"):  # scripted: the attributes are kept
        geometry = {"stride": tuple(module.stride), "dilation": tuple(module.dilation), "groups": module.groups,
                    "padding": module.padding if isinstance(module.padding, str) else tuple(module.padding),
                    "padding_mode": module.padding_mode}
    else:
        geometry = _traced_conv_geometry(module)
    conv = nn.Conv1d(weight.shape[1] * geometry["groups"], weight.shape[0], weight.shape[2], bias=bias is not None, **geometry)
    with torch.no_grad():
        conv.weight.copy_(weight)
        if bias is not None:
            conv.bias.copy_(bias.detach())
    return conv.to(weight.device, weight.dtype)


def _module_first_layer(model: nn.Module, layer: str | None) -> FirstLayer:
    modules = [(name, m) for name, m in model.named_modules() if name]
    convs = [(name, m) for name, m in modules if module_kind(m) == "Conv1d"]
    if layer is not None:
        found = dict(modules).get(layer)
        if found is None:
            raise ModelError(f"layer {layer!r} is not a module of the model{did_you_mean(layer, [n for n, _ in modules])}"
                             f" (its Conv1d layers: {', '.join(n for n, _ in convs) or 'none'})")
        if module_kind(found) != "Conv1d":
            raise ModelError(f"layer {layer!r} is a {module_kind(found)}, not a Conv1d; filter analysis needs a first convolution")
        index = [n for n, _ in modules].index(layer)
        name, conv = layer, found
    else:
        picked = [(i, n, m) for i, (n, m) in enumerate(modules) if module_kind(m) == "Conv1d" and _conv_copy(m).in_channels == 4]
        if not picked:
            leaves = [(n, m) for n, m in modules if not list(m.children())]
            first = f"its first layer is {leaves[0][0]!r} ({module_kind(leaves[0][1])})" if leaves else "it has no layers"
            raise ModelError(f"the model has no Conv1d taking the 4 DNA channels ({first}); filter analysis needs a first "
                             f"convolution (name one with layer)")
        index, name, conv = picked[0]
    conv = _conv_copy(conv)
    if conv.in_channels != 4:
        raise ModelError(f"layer {name!r} takes {conv.in_channels} input channels, not the 4 of one-hot DNA")
    after, names = [], []
    rest = [(n, m) for n, m in modules[index + 1:] if not n.startswith(name + ".")]
    for n, m in rest:
        kind = module_kind(m)
        if kind in _NORMS:  # a batch norm (or an identity standing for none) may come first
            after.append(_callable_layer(m)), names.append(n)
            continue
        if kind in _ACTIVATIONS or isinstance(m, ElementwiseActivation):
            after.append(_callable_layer(m)), names.append(n)
        break
    return FirstLayer(name=name, conv=conv, after=after, after_names=names)


def _tensor_attr(module: nn.Module, name: str) -> torch.Tensor:
    """The parameter, buffer or constant ``name`` (dotted) of a graph module."""
    value = module
    for part in name.split("."):
        value = getattr(value, part)
    return value


def _weight_name(node) -> str | None:
    return str(node.target) if isinstance(node, fx.Node) and node.op == "get_attr" else None


def _exported_first_layer(module: fx.GraphModule, layer: str | None) -> FirstLayer:
    """The first convolution of an exported program's graph (an ``aten.conv1d`` / ``aten.convolution`` call)."""
    convs = []
    for node in module.graph.nodes:
        if node.op == "call_function" and any(op in str(node.target) for op in ("aten.conv1d", "aten.convolution")):
            weight = _weight_name(node.args[1])
            if weight is not None:
                convs.append((weight.rsplit(".", 1)[0] if "." in weight else weight, node))
    if layer is not None:
        found = [(n, node) for n, node in convs if n == layer]
        if not found:
            raise ModelError(f"layer {layer!r} is not a convolution of the exported program"
                             f"{did_you_mean(layer, [n for n, _ in convs])} (its convolutions: {', '.join(n for n, _ in convs) or 'none'})")
    else:
        found = [(n, node) for n, node in convs if _tensor_attr(module, _weight_name(node.args[1])).ndim == 3
                 and _tensor_attr(module, _weight_name(node.args[1])).shape[1] == 4]
        if not found:
            raise ModelError("the exported program has no 1-D convolution taking the 4 DNA channels; filter analysis "
                             "needs a first convolution (name one with layer)")
    name, node = found[0]
    weight = _tensor_attr(module, _weight_name(node.args[1])).detach()
    if weight.ndim != 3 or weight.shape[1] != 4:
        raise ModelError(f"layer {name!r} has weights of shape {tuple(weight.shape)}, not (filters, 4, width)")
    bias_name = _weight_name(node.args[2]) if len(node.args) > 2 else None
    args = list(node.args[3:])
    stride = args[0][0] if len(args) > 0 else 1
    padding = args[1] if len(args) > 1 else 0
    padding = padding if isinstance(padding, str) else padding[0]
    dilation = args[2][0] if len(args) > 2 else 1
    if "convolution" in str(node.target) and len(args) > 3 and args[3]:
        raise ModelError(f"layer {name!r} is a transposed convolution")
    conv = nn.Conv1d(4, weight.shape[0], weight.shape[2], stride=stride, padding=padding, dilation=dilation,
                     bias=bias_name is not None)
    with torch.no_grad():
        conv.weight.copy_(weight)
        if bias_name is not None:
            conv.bias.copy_(_tensor_attr(module, bias_name).detach())
    after, names = [], []
    users = list(node.users)
    if len(users) == 1 and users[0].op == "call_function":
        op = str(users[0].target).split(".")
        if len(op) >= 2 and op[1] in _ATEN_ACTIVATIONS and users[0].args and users[0].args[0] is node:
            target, extra, kwargs = users[0].target, tuple(users[0].args[1:]), dict(users[0].kwargs)
            if not any(isinstance(a, fx.Node) for a in extra):
                after.append(lambda h: target(h, *extra, **kwargs)), names.append(op[1])
    return FirstLayer(name=name, conv=conv.to(weight.device), after=after, after_names=names)


def first_convolution(model: nn.Module, layer: str | None = None) -> FirstLayer:
    """The first-layer convolution of ``model`` (any ``nn.Module``, TorchScript or exported program).

    Without ``layer``: the first ``Conv1d`` (in module order; in an exported program, in graph
    order) taking 4 input channels; with ``layer``: the module of that name. Raises
    :class:`ModelError` when there is none, naming the model's first layer.
    """
    if isinstance(model, ForeignModel):
        model = model.inner
    if _is_exported(model):
        return _exported_first_layer(model, layer)
    return _module_first_layer(model, layer)


# --------------------------------------------------------------------------- the wrapper

class ForeignModel(nn.Module):
    """A model from outside seqlens as one that maps ``(N, 4, L)`` to ``(N, T)``.

    inner : the model (any ``nn.Module``, a TorchScript module, an exported program's module).
    head : which output of a tuple / list / dict output (index, key, ``"profile"`` / ``"count"``).
    reduce : profile summary for an ``(N, C, L)`` output (:data:`REDUCTIONS`).
    layer : name of the first-layer convolution for filter analysis (default: found).
    name : where it came from (a file, a class), for messages and provenance.
    """

    def __init__(self, inner: nn.Module, head=None, reduce: str | None = None, layer: str | None = None, name: str = "model"):
        super().__init__()
        if not isinstance(inner, nn.Module):
            raise ModelError(f"{name} is a {type(inner).__name__}, not a torch.nn.Module")
        if reduce is not None and reduce not in REDUCTIONS:
            raise ModelError(f"reduce must be one of {', '.join(REDUCTIONS)}, got {reduce!r}{did_you_mean(reduce, REDUCTIONS)}")
        self.inner = inner
        self.head = _as_head(head)
        self.reduce = reduce
        self.layer = layer
        self.name = name
        self.n_outputs: int | None = None  #: set by :func:`probe_outputs`
        self.input_length: int | None = None  #: the length :func:`probe_outputs` ran
        self._plain = False  # the raw output is already (N, T): symbolic tracing may pass it through
        self._first: FirstLayer | None = None

    def select(self, raw) -> torch.Tensor:
        """``(N, T)`` from the inner model's raw output."""
        if isinstance(raw, fx.Proxy) and self._plain and self.head is None and self.reduce is None:
            return raw
        return summarize(select_head(raw, self.head), self.reduce)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.select(self.inner(x))

    def train(self, mode: bool = True):
        self.training = mode
        try:
            self.inner.train(mode)
        except NotImplementedError:  # exported programs cannot switch mode: their graph fixed it
            for module in self.inner.modules():
                module.training = mode
        return self

    def first_layer(self) -> FirstLayer:
        """The first-layer convolution (:func:`first_convolution`), found once."""
        if self._first is None:
            self._first = first_convolution(self.inner, self.layer)
        return self._first

    @property
    def first_conv(self) -> nn.Conv1d:
        return self.first_layer().conv

    def first_layer_activations(self, X: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """First-layer post-activation output ``(N, F, L_conv)`` (CPU, no gradients)."""
        from .state import model_device

        first = self.first_layer()
        device = model_device(self.inner)
        first.conv.to(device)
        X = torch.as_tensor(X)
        out = []
        with torch.no_grad():
            for i in range(0, max(X.shape[0], 1), batch_size):
                out.append(first.activations(X[i:i + batch_size].to(device, first.conv.weight.dtype)).cpu())
        return torch.cat(out)

    def extra_repr(self) -> str:
        return f"name={self.name!r}, head={self.head!r}, reduce={self.reduce!r}"


def select_output(model: nn.Module, head=None, reduce: str | None = None, layer: str | None = None,
                  name: str = "model") -> ForeignModel:
    """``model`` wrapped to return ``(N, T)``: output ``head`` of a tuple / dict, a profile reduced by ``reduce``."""
    return ForeignModel(model, head=head, reduce=reduce, layer=layer, name=name)


def is_foreign(model) -> bool:
    return isinstance(model, ForeignModel)


def is_torchscript(model) -> bool:
    """Whether ``model`` (or the model a :class:`ForeignModel` wraps) is a TorchScript module:
    its compiled forward runs no Python hooks (DeepSHAP's rules, forward hooks)."""
    inner = model.inner if isinstance(model, ForeignModel) else model
    return isinstance(inner, torch.jit.ScriptModule)


def output_count(model) -> int | None:
    """Number of outputs: a zoo model's ``config.n_outputs``, a probed :class:`ForeignModel`'s, else None."""
    if isinstance(model, ForeignModel):
        return model.n_outputs
    config = getattr(model, "config", None)
    count = getattr(config, "n_outputs", None)
    return int(count) if isinstance(count, int) else None


def probe_outputs(model: ForeignModel, length: int, outputs: bool = True) -> int | None:
    """Run ``model`` on one sequence of ``length``; return (and store) its number of outputs.

    Raises :class:`ModelError` when the model rejects the input (naming the length) or, with
    ``outputs``, when its output cannot be made ``(N, T)`` (a tuple without ``head``, a profile
    without ``reduce``). With ``outputs=False`` only the input is checked (returns None).
    """
    from .state import model_state

    x = torch.zeros(1, 4, int(length))
    x[0, torch.arange(int(length)) % 4, torch.arange(int(length))] = 1.0
    with model_state(model) as device, torch.no_grad():
        try:
            raw = model.inner(x.to(device))
        except Exception as exc:  # the user's model raises whatever it raises on a wrong input
            hint = ""
            if _is_exported(model.inner) and "size()[0]" in str(exc):
                hint = " (an exported program runs only the shapes it was exported for: export with a dynamic batch dimension)"
            raise ModelError(f"{model.name} rejects one-hot input of shape (1, 4, {length}) (sequences of the data's "
                             f"length {length}): {_first_line(exc)}{hint}") from exc
        if not outputs:
            model.input_length = int(length)
            return None
        out = model.select(raw)
    model._plain = isinstance(raw, torch.Tensor) and raw.ndim == 2
    model.n_outputs = int(out.shape[1])
    model.input_length = int(length)
    return model.n_outputs


# --------------------------------------------------------------------------- loading

def load_torchscript(path) -> nn.Module:
    """A TorchScript module saved with ``torch.jit.save`` (on the CPU)."""
    try:
        return torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:  # noqa: BLE001  (torch raises RuntimeError / ValueError / zip errors)
        raise ModelError(f"{path} is not a TorchScript file torch.jit.load can read: {_first_sentence(exc)}") from exc


def load_exported(path) -> nn.Module:
    """The module of a ``torch.export`` program saved with ``torch.export.save`` (``.pt2``)."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)  # torch.export logs a failed load too; the error below says it once
    try:
        return torch.export.load(str(path)).module()
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"{path} is not a torch.export program torch.export.load can read: {_first_sentence(exc)}") from exc
    finally:
        logging.disable(previous)


def load_model_file(path) -> nn.Module:
    """A TorchScript file or a ``torch.export`` program (``.pt2``), told apart by trying to load it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    if path.suffix == ".pt2":
        return load_exported(path)
    try:
        return load_torchscript(path)
    except ModelError as script_error:
        try:
            return load_exported(path)
        except ModelError:
            pass
        raise ModelError(f"{path} is neither a TorchScript file (torch.jit.save) nor a torch.export program "
                         f"(torch.export.save); a state dict needs model_class CLASS and weights {path}"
                         f" ({str(script_error).split(': ', 1)[-1]})") from None


def parse_model_kwargs(text: str | None) -> dict:
    """The JSON object ``text`` as a dict (``{}`` for None)."""
    if text is None or not str(text).strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"model_kwargs is not valid JSON ({exc.msg} at character {exc.pos}): {text!r}") from None
    if not isinstance(value, dict):
        raise ModelError(f"model_kwargs must be a JSON object ({{\"name\": value, ...}}), got {type(value).__name__}: {text!r}")
    return value


def import_model_class(spec: str) -> type:
    """The class named by ``spec`` (``package.module:Class``, or ``package.module.Class``)."""
    spec = str(spec).strip()
    if ":" in spec:
        module_name, _, class_name = spec.partition(":")
    elif "." in spec:
        module_name, _, class_name = spec.rpartition(".")
    else:
        raise ModelError(f"model_class must be package.module:Class, got {spec!r}")
    if not module_name or not class_name:
        raise ModelError(f"model_class must be package.module:Class, got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        where = "" if exc.name == module_name else f" (importing {module_name!r} needs it)"
        raise ModelError(f"model_class {spec!r}: no module named {exc.name!r}{where}; is it installed or on PYTHONPATH?") from None
    except Exception as exc:  # noqa: BLE001  (the user's module may raise anything on import)
        raise ModelError(f"model_class {spec!r}: importing {module_name!r} failed: {_first_line(exc)}") from exc
    value = module
    for part in class_name.split("."):
        if not hasattr(value, part):
            classes = [n for n, v in vars(module).items() if isinstance(v, type) and issubclass(v, nn.Module)]
            raise ModelError(f"model_class {spec!r}: module {module_name!r} has no {class_name!r}{did_you_mean(class_name, classes)}"
                             f" (its nn.Module classes: {', '.join(classes) or 'none'})")
        value = getattr(value, part)
    if not (isinstance(value, type) and issubclass(value, nn.Module)):
        raise ModelError(f"model_class {spec!r} is not a torch.nn.Module subclass")
    return value


def instantiate(cls: type, kwargs: dict | None = None) -> nn.Module:
    """``cls(**kwargs)``, with a failure reported on one line."""
    try:
        return cls(**(kwargs or {}))
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"model_class {cls.__name__}(**model_kwargs {kwargs or {}}) failed: {_first_line(exc)}") from exc


def _names(keys, n: int = 3) -> str:
    keys = list(keys)
    shown = ", ".join(keys[:n])
    return shown + (f" (+{len(keys) - n} more)" if len(keys) > n else "")


def load_weights(model: nn.Module, weights, strict: bool = True) -> nn.Module:
    """Load the state dict in file ``weights`` (``torch.load(..., weights_only=True)``) into ``model``.

    A checkpoint dict holding the state dict under ``state_dict`` / ``model_state_dict`` /
    ``model`` is accepted. Missing or unexpected keys and shape mismatches raise ModelError
    naming a few of them.
    """
    path = Path(weights)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001  (unpickling errors of many kinds)
        raise ModelError(f"weights {path} cannot be read with torch.load(weights_only=True): {_first_line(exc)}") from exc
    if isinstance(state, Mapping) and not any(isinstance(v, torch.Tensor) for v in state.values()):
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(state.get(key), Mapping):
                state = state[key]
                break
    if not isinstance(state, Mapping):
        raise ModelError(f"weights {path} hold a {type(state).__name__}, not a state dict")
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    problems = []
    if missing and strict:
        problems.append(f"missing keys {_names(missing)}")
    if unexpected and strict:
        problems.append(f"unexpected keys {_names(unexpected)}")
    wrong = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in own
             if k in state and isinstance(state[k], torch.Tensor) and tuple(state[k].shape) != tuple(own[k].shape)]
    if wrong:
        problems.append(f"shape mismatch (weights vs model) {_names(wrong)}")
    if problems:
        raise ModelError(f"weights {path} do not fit {type(model).__name__}: {'; '.join(problems)}")
    try:
        model.load_state_dict(state, strict=strict)
    except (RuntimeError, KeyError, TypeError) as exc:
        raise ModelError(f"weights {path} do not fit {type(model).__name__}: {_first_line(exc)}") from exc
    return model.eval()


def load_foreign_model(path=None, *, model_class: str | None = None, weights=None, model_kwargs=None, head=None,
                       reduce: str | None = None, layer: str | None = None) -> ForeignModel:
    """A :class:`ForeignModel` from a TorchScript / ``.pt2`` file ``path`` or ``model_class`` + ``weights``.

    ``model_kwargs``: a dict or a JSON object string for ``model_class``. The model is on
    the CPU in eval mode; call :func:`probe_outputs` to learn its number of outputs.
    """
    if model_class is not None:
        if path is not None:
            raise ModelError("give either a model file or model_class with weights, not both")
        if weights is None:
            raise ModelError("model_class needs weights (a state dict file)")
        kwargs = model_kwargs if isinstance(model_kwargs, dict) else parse_model_kwargs(model_kwargs)
        inner = load_weights(instantiate(import_model_class(model_class), kwargs), weights)
        name = f"{model_class} with weights {weights}"
    else:
        if path is None:
            raise ModelError("give a model file (TorchScript or .pt2) or model_class with weights")
        inner = load_model_file(path)
        name = str(path)
    return ForeignModel(inner, head=head, reduce=reduce, layer=layer, name=name).eval()
