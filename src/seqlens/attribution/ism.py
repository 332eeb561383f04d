"""In silico saturation mutagenesis (ISM): every single-nucleotide substitution.

``ism`` returns ``(N, 4, L)`` with ``f(mutant) - f(wild type)`` for the mutant that puts
letter ``a`` at position ``i``, and exactly 0 at the wild-type letter. A column that is
not one-hot (an N) has no wild-type letter, so all 4 letters are substituted there.
Reduce with :func:`seqlens.attribution.reduce_l2_norm` (SPEC: one score per position).

Two paths give the same numbers:

- naive (``fast=False``): every mutant sequence goes through the whole model.
- fast (``fast=True``, default): the model is traced with ``torch.fx``; the chain of
  length-local layers at its input (``Conv1d`` with stride 1, batch norm, pointwise
  activations, dropout, zero padding, ``MaxPool1d``/``AvgPool1d``) is run only on the window of
  positions a substitution can change. A convolution is linear, so its output changes by
  the convolution of the *change* of its input, which is nonzero only inside the window:
  the mutant's pre-activation is the wild type's plus that (short) convolution of the
  difference. Pointwise layers are applied to the window, pools recompute the windows they
  touch. Where the chain ends (flatten, dense, recurrent, attention, residual branch) the
  window is written into the wild type's activations and the rest of the model runs at
  full size on every mutant. Models that cannot be traced, or that do not start with a
  convolution, fall back to the naive path with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import fx, nn

from ._core import (
    check_positive_int,
    check_target,
    check_X,
    model_dtype,
    model_state,
    progress,
    row_chunks,
    select_target,
)
from .deepshap import has_rescale_rule


def _wild_letters(X: torch.Tensor) -> torch.Tensor:
    """``(N, L)`` index of each position's letter, -1 where the column is not one-hot."""
    X = X.detach().cpu()
    is_letter = (X.max(dim=1).values == 1) & (X.sum(dim=1) == 1)
    return torch.where(is_letter, X.argmax(dim=1), -1)


def substitutions(X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """All single-nucleotide substitutions of ``X`` ``(N, 4, L)``.

    Returns LongTensors ``(sequence, position, letter)``, each ``(V,)``, ordered by
    sequence, position, letter; ``V = 3 N L`` for one-hot input (4 per non-one-hot column).
    """
    wild = _wild_letters(X)
    keep = torch.arange(4)[None, None, :] != wild[:, :, None]
    return keep.nonzero(as_tuple=True)


_OTHER_LETTERS = torch.tensor([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])


def _site_groups(X: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Substitutions grouped by site: ``(seq (S,), pos (S,), letters (S, K))`` per group.

    One group of one-hot sites (K = 3, the other letters) and, if any, one of
    non-one-hot columns (K = 4).
    """
    wild = _wild_letters(X)
    groups = []
    seq, pos = (wild >= 0).nonzero(as_tuple=True)
    groups.append((seq, pos, _OTHER_LETTERS[wild[seq, pos]]))
    seq, pos = (wild < 0).nonzero(as_tuple=True)
    if len(seq):
        groups.append((seq, pos, torch.arange(4).expand(len(seq), 4)))
    return [g for g in groups if len(g[0])]


def _wild_type_predictions(model, X_dev, target, func, batch_size) -> torch.Tensor:
    out = []
    for rows in row_chunks(X_dev.shape[0], batch_size):
        out.append(select_target(model(X_dev[rows]), target[rows], func))
    return torch.cat(out)


def _mutants(X_dev: torch.Tensor, seq, pos, letter) -> torch.Tensor:
    """Mutant sequences ``(V, 4, L)`` for the given substitutions (tensors on X's device)."""
    mutants = X_dev[seq].clone()
    rows = torch.arange(len(seq), device=X_dev.device)
    mutants[rows, :, pos] = F.one_hot(letter, 4).to(X_dev.dtype)
    return mutants


# ---------------------------------------------------------------------------------------
# Fast path


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


_POINTWISE = (nn.BatchNorm1d, nn.Identity, nn.Dropout, nn.AlphaDropout, nn.FeatureAlphaDropout)


@dataclass
class _Layer:
    kind: str  # "conv", "pointwise", "pool" or "pad"
    module: nn.Module
    kernel: int = 1
    dilation: int = 1
    stride: int = 1
    pad_left: int = 0
    pad_right: int = 0


def _as_layer(module: nn.Module) -> _Layer | None:
    """Describe ``module`` as a length-local layer, or None if the fast path cannot window it."""
    if isinstance(module, nn.Conv1d):
        (k,), (d,), (s,) = module.kernel_size, module.dilation, module.stride
        if module.groups != 1 or module.padding_mode != "zeros" or s != 1:
            return None
        if module.padding == "same":
            left = d * (k - 1) // 2
            return _Layer("conv", module, k, d, 1, left, d * (k - 1) - left)
        if module.padding == "valid":
            return _Layer("conv", module, k, d, 1, 0, 0)
        (p,) = module.padding
        return _Layer("conv", module, k, d, 1, p, p)
    if isinstance(module, (nn.MaxPool1d, nn.AvgPool1d)):
        k = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
        s = module.stride if isinstance(module.stride, int) else module.stride[0]
        pad = module.padding if isinstance(module.padding, int) else module.padding[0]
        d = getattr(module, "dilation", 1)
        d = d if isinstance(d, int) else d[0]
        if pad != 0 or module.ceil_mode:
            return None
        return _Layer("pool", module, k, d, s)
    if isinstance(module, nn.ConstantPad1d) and module.value == 0 and min(module.padding) >= 0:
        return _Layer("pad", module, pad_left=module.padding[0], pad_right=module.padding[1])
    if isinstance(module, _POINTWISE) or has_rescale_rule(module):
        return _Layer("pointwise", module)
    return None


# fast ISM keeps the wild type's chain activations of this many numbers at a time
_WILD_TYPE_VALUES = 2**24


class _FastISM:
    """The model split into a windowed local chain and a full-size tail (see module doc)."""

    def __init__(self, model: nn.Module, example: torch.Tensor):
        gm = fx.GraphModule(model, _ShapeTracer(example).trace(model))
        graph = gm.graph
        graph.eliminate_dead_code()  # drops the nodes of resolved shape checks
        modules = dict(gm.named_modules())
        inputs = [n for n in graph.nodes if n.op == "placeholder"]
        if len(inputs) != 1:
            raise _Unsupported(f"the model's forward takes {len(inputs)} inputs")
        self.layers: list[_Layer] = []
        node = boundary = inputs[0]
        while len(node.users) == 1:
            (user,) = node.users
            if user.op != "call_module" or user.args != (node,) or user.kwargs:
                break
            layer = _as_layer(modules[user.target])
            if layer is None:
                break
            self.layers.append(layer)
            node = boundary = user
        if not any(layer.kind == "conv" for layer in self.layers):
            raise _Unsupported("the model does not start with a stride-1 Conv1d")
        self.tail = self._tail(gm, graph, boundary)
        with torch.no_grad():
            self.values_per_sequence = sum(a[0].numel() for a in self.wild_type(example[:1]))

    @staticmethod
    def _tail(gm: fx.GraphModule, graph: fx.Graph, boundary: fx.Node) -> fx.GraphModule:
        """A GraphModule computing the model's output from the boundary activation."""
        tail = fx.Graph()
        env = {boundary: tail.placeholder("boundary")}
        after = False
        for node in graph.nodes:
            if node is boundary:
                after = True
                continue
            if after:
                env[node] = tail.node_copy(node, lambda n: env[n])
        return fx.GraphModule(gm, tail)

    def wild_type(self, X: torch.Tensor) -> list[torch.Tensor]:
        """Activations of the chain for ``X``: ``[X, out_1, ..., out_k]``."""
        acts = [X]
        for layer in self.layers:
            acts.append(layer.module(acts[-1]))
        return acts

    def predict(self, acts: list[torch.Tensor], seq: torch.Tensor, pos: torch.Tensor, letters: torch.Tensor) -> torch.Tensor:
        """Model outputs ``(S * K, T)`` for sites ``(seq, pos)`` ``(S,)`` and ``letters`` ``(S, K)``.

        ``seq`` indexes the sequences whose chain activations are ``acts``; rows come out in
        site-major order (site 0's K letters first).

        Every mutant carries a window ``values`` ``(M, width, C)`` (channels last, so a
        window is a gather of whole rows and a convolution one matrix product) starting at
        position ``start`` ``(M,)`` of the current activation. ``width`` is the same for all
        mutants, so a window may hang over a sequence end: the columns outside hold
        meaningless numbers that no in-range column reads (convolutions mask them out of
        their input change, pools have no padding) and that are dropped at the end.
        """
        S, K = letters.shape
        M = S * K
        seq = seq.repeat_interleave(K)
        start = pos.repeat_interleave(K)
        values = F.one_hot(letters.flatten(), 4).to(acts[0].dtype)[:, None, :]  # (M, 1, 4)
        rows = [_channels_last(a) for a in acts]
        for layer, wt_in, wt_out in zip(self.layers, rows[:-1], rows[1:], strict=True):
            if layer.kind == "pointwise":
                values = layer.module(values.reshape(-1, values.shape[2])).reshape(values.shape)
            elif layer.kind == "pad":  # the padding columns are 0 in the mutants too
                at = start[:, None] + torch.arange(values.shape[1], device=start.device)
                values = torch.where(((at >= 0) & (at < wt_in.shape[1]))[..., None], values, 0.0)
                start = start + layer.pad_left
            elif layer.kind == "conv":
                values, start = self._conv(layer, values, start, seq, wt_in, wt_out)
            else:
                values, start = self._pool(layer, values, start, seq, wt_in, wt_out)
        # write the windows into the wild type's boundary activation; the extra column
        # L catches the columns that fall outside the sequence
        boundary = rows[-1]
        length, width, C = boundary.shape[1], values.shape[1], values.shape[2]
        full = torch.cat([boundary, boundary[:, :1]], dim=1)[seq]  # (M, L + 1, C)
        at = start[:, None] + torch.arange(width, device=start.device)
        at = torch.where((at >= 0) & (at < length), at, length)
        at = at + (length + 1) * torch.arange(M, device=start.device)[:, None]
        full.view(-1, C)[at.flatten()] = values.reshape(-1, C)
        return self.tail(full[:, :length].transpose(1, 2))

    @staticmethod
    def _conv(layer, values, start, seq, wt_in, wt_out):
        """The mutant's output window is the wild type's plus the convolution of the
        change of the input window, done as one product and ``k`` shifted additions."""
        conv, k, d = layer.module, layer.kernel, layer.dilation
        M, width, C_in = values.shape
        span = d * (k - 1)
        at = start[:, None] + torch.arange(width, device=start.device)
        delta = values - _gather(wt_in, seq, at)
        delta = torch.where(((at >= 0) & (at < wt_in.shape[1]))[..., None], delta, 0.0)
        # (C_in, k * C_out): tap j of the kernel moves input column i to output i + d (k-1-j)
        kernel = conv.weight.permute(1, 2, 0).reshape(C_in, -1)
        taps = (delta.reshape(-1, C_in) @ kernel).reshape(M, width, k, -1)
        first = start + layer.pad_left - span  # output position of the window's column 0
        at = first[:, None] + torch.arange(width + span, device=start.device)
        out = _gather(wt_out, seq, at)
        for j in range(k):
            shift = d * (k - 1 - j)
            out[:, shift : shift + width] += taps[:, :, j]
        return out, first

    @staticmethod
    def _pool(layer, values, start, seq, wt_in, wt_out):
        """Recompute the pooled outputs a window touches from the wild type's input with
        the window written in."""
        k, d, s = layer.kernel, layer.dilation, layer.stride
        M, width, C = values.shape
        span = d * (k - 1)
        new_width = (width - 1 + span) // s + 1  # most outputs a width-wide patch touches
        first = torch.div(start - span + s - 1, s, rounding_mode="floor")  # first output touched
        in_width = (new_width - 1) * s + span + 1
        cols = torch.arange(in_width, device=start.device)
        at = first[:, None] * s + cols
        # rows of [values, wild-type window]: the patch where it lies, the wild type elsewhere
        rel = at - start[:, None]
        pick = torch.where((rel >= 0) & (rel < width), rel, width + cols)
        pick = pick + (width + in_width) * torch.arange(M, device=start.device)[:, None]
        source = torch.cat([values, _gather(wt_in, seq, at)], dim=1).reshape(-1, C)
        window = source[pick.flatten()].reshape(M, in_width, C)
        return layer.module(window.transpose(1, 2)).transpose(1, 2), first


class _Unsupported(Exception):
    """Raised inside the fast path's set-up when a model cannot use it (reason in args)."""


def _channels_last(act: torch.Tensor) -> torch.Tensor:
    """``(N, C, L)`` activation as a contiguous ``(N, L, C)``."""
    return act.transpose(1, 2).contiguous()


def _gather(act: torch.Tensor, seq: torch.Tensor, at: torch.Tensor) -> torch.Tensor:
    """``act[seq[m], at[m, t]]`` for ``act`` ``(N, L, C)``, ``at`` ``(M, W)``: ``(M, W, C)``.

    Positions outside ``[0, L)`` read the nearest end (callers never use those columns).
    """
    N, length, C = act.shape
    flat = seq[:, None] * length + at.clamp(0, length - 1)
    return act.reshape(-1, C)[flat.flatten()].reshape(*at.shape, C)


def _fast_ism(model, example: torch.Tensor) -> _FastISM | None:
    try:
        return _FastISM(model, example)
    except _Unsupported as err:
        reason = str(err)
    except Exception as err:  # torch.fx raises many kinds for untraceable forwards
        reason = f"torch.fx cannot trace it ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
    warnings.warn(f"fast ISM is not available for this model ({reason}); using naive ISM", RuntimeWarning, stacklevel=3)
    return None


def ism(
    model: nn.Module,
    X: torch.Tensor,
    target: int | torch.Tensor = 0,
    batch_size: int = 512,
    device=None,
    fast: bool = True,
    func: Callable | None = None,
    verbose: bool = False,
) -> torch.Tensor:
    """Effect of every single-nucleotide substitution on the target output.

    Parameters
    ----------
    model : maps ``(B, 4, L)`` to ``(B, T)``.
    X : ``(N, 4, L)`` one-hot (non-one-hot columns get all 4 letters substituted).
    target : output index, or a LongTensor ``(N,)`` with one index per sequence.
    batch_size : mutants per model call.
    fast : window the model's leading convolutional layers (same numbers, several times
        faster on CNNs); falls back to the naive path, with a warning, when unsupported.
    func : applied to the model's output before the target is selected.

    Returns
    -------
    ``(N, 4, L)`` CPU tensor: ``f(mutant) - f(X)``, exactly 0 at each wild-type letter.
    """
    X = check_X(X)
    target = check_target(target, X.shape[0])
    batch_size = check_positive_int(batch_size, "batch_size")
    dtype = model_dtype(model)
    out = torch.zeros(X.shape, dtype=dtype)
    groups = _site_groups(X)
    with model_state(model, device) as dev, torch.no_grad():
        X_dev = X.to(dev, dtype)
        y_wt = _wild_type_predictions(model, X_dev, target, func, batch_size).cpu()
        engine = _fast_ism(model, X_dev[:1]) if fast else None
        # the fast path reads the wild type's activations of a block of sequences, computed
        # once per block; a chunk of substitutions never straddles two blocks
        block = max(1, _WILD_TYPE_VALUES // max(1, engine.values_per_sequence if engine else 1))
        chunks = []
        for seq, pos, letters in groups:
            for first in range(0, X.shape[0], block):
                in_block = ((seq >= first) & (seq < first + block)).nonzero(as_tuple=True)[0]
                for rows in row_chunks(len(in_block), max(1, batch_size // letters.shape[1])):
                    chunks.append((first, seq[in_block[rows]], pos[in_block[rows]], letters[in_block[rows]]))
        acts, acts_first = None, None
        for first, s, p, a in progress(chunks, len(chunks), verbose, "ism"):
            K = a.shape[1]
            if engine is None:
                y = model(_mutants(X_dev, s.repeat_interleave(K).to(dev), p.repeat_interleave(K).to(dev), a.flatten().to(dev)))
            else:
                if acts_first != first:
                    acts, acts_first = engine.wild_type(X_dev[first : first + block]), first
                y = engine.predict(acts, (s - first).to(dev), p.to(dev), a.to(dev))
            s_rows = s.repeat_interleave(K)
            y = select_target(y, target[s_rows], func).cpu()
            out[s_rows, a.flatten(), p.repeat_interleave(K)] = y - y_wt[s_rows]
    return out
