"""The fast ISM engine: the model's leading length-local layers run on windows only.

Private to :mod:`seqlens.attribution`; its users are :func:`seqlens.attribution.ism.ism`
(single-letter substitutions, :meth:`FastISM.substitute`) and
:func:`seqlens.attribution.ism.patch_predictions` (a ``(4, W)`` patch written over ``W``
columns, :meth:`FastISM.patch`). An engine handles edits of one width ``W`` (``width=``,
1 for ISM). :mod:`seqlens.attribution._ism_chain` traces the model and finds the chain of
length-local layers at its input (``Conv1d`` with stride 1, batch norm, pointwise
activations, dropout, zero padding, ``MaxPool1d``/``AvgPool1d``, residual sums), which is
run only on the window of columns an edit can change. The
first convolution is linear, so its output changes by the (``W``-column) change of its
input times its kernel; every later convolution recomputes the outputs of the window from
the window and the wild type's columns beside it (or, with many input channels, adds the
change of its window), with batch norm folded into its weights; pointwise layers run on
the window; pools recompute the outputs the window touches; a sum's window is the union of
its operands' windows (e.g. bpnet-lite's dilated residual stack). Where the chain ends
(flatten, dense, recurrent, attention, a skip past the chain) the window is written into the
wild type's activation and the rest of the model (the tail) runs at full size on every mutant.

Positions (an edit's first column) are processed in groups whose windows line up alike
with every pooling grid, so the windows of a group's mutants are dense tensors and every
layer is one call on all of them (see :class:`FastISM`). A model the engine cannot window
raises :class:`Unsupported`, whose message names the cause (the operation that stops the
chain and its line in ``forward``).

The traced function is ``model(X)``, the call every seqlens method makes: a ``forward(X,
*args)`` or ``forward(X, bias=None)`` is traced with its extra arguments absent (their
defaults). A forward may read the shape of ``X`` or of a chain activation (``X.shape``,
``X.size(0)``, ``n, _, L = X.shape``): in the tail that is the shape of the mutants' batch
(the boundary activation's batch size, every other dimension as the wild type's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import fx, nn

from ._core import progress, row_chunks, select_target
from ._ism_chain import (
    Unsupported,
    _CalledWithX,
    _chain_shape,
    _channel_affine,
    _is_shape_accessor,
    _local_chain,
    _reads,
    _ShapeTracer,
    _Step,
    _steps,
)

# Default size of a fast-path call: the mutants whose windows hold about this many numbers
# (fewer and the fixed cost per call dominates, more and the windows leave the caches).
# Chosen in commit 4a23bab: it gives about 830 mutants per call on cnn_dist, 1,760 on
# cnn_local and 170 on basset, each at or near the fastest batch size measured for that
# model (cnn_local, 200 x 200 nt on the 2-core CPU: 0.27 s vs 0.32 s at a fixed 1,024).
_WINDOW_VALUES_PER_CALL = 2**23

# The wild type's chain activations are computed and kept for blocks of sequences that hold
# about this many numbers (64 MiB in float32). Not measured: chosen as a memory bound, large
# enough that the benchmark's 200 sequences of 200 nt are one block on cnn_local and cnn_dist.
_WILD_TYPE_BLOCK_VALUES = 2**24

# A call of the tail gets the full-size boundary activations of at most about this many
# numbers (all its mutants together). Not measured: the same memory bound as
# _WILD_TYPE_BLOCK_VALUES; the batch size is the tighter limit in the benchmarks.
_TAIL_INPUT_VALUES = 2**24

# A convolution's window can be computed two ways. Recomputing it from the window and the
# wild type's columns beside it costs (width + span) * k * C_in * C_out products (one
# conv2d call, fast for few channels). Adding the change costs width * k * C_in * C_out
# products (one matrix product) plus k shifted additions of width * C_out numbers, which
# cost about as much as this many products per number (measured on the 2-core CPU when the
# rule was introduced, commit 427a048, within a factor of 2 either way; the individual
# timings were not recorded): adding the change wins when span * C_in > this * width
# (basset-like models with hundreds of channels; not cnn_dist).
_ADDS_PER_PRODUCT = 30

# A pool whose windows tile its input (kernel == stride, undilated) runs as a reduction
# over a reshaped view when its windows are at most this many columns: faster than the
# pooling kernels up to about 8 columns and much slower for long windows (measured on the
# 2-core CPU when introduced, commit 427a048; the timings were not recorded).
_POOL_REDUCTION_MAX_COLUMNS = 8

# the three substituted letters of each wild-type letter (row)
_OTHER_LETTERS = torch.tensor([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])


# ---------------------------------------------------------------------------------------
# Window geometry
#
# All numbers are python ints counted in columns of an activation (its length axis).
# Window starts may be negative or run past the end of the activation: the zero margins
# of FastISM.margined make every window a valid view.
#
# Where one position's windows lie (FastISM._geometry). Their starts are left out of ==,
# so two positions' geometries compare equal when their windows have the same widths and
# offsets at every step, which is what lets them share a _Group.


@dataclass(frozen=True, slots=True)
class _Columns:
    """Columns ``[start, start + width)`` of one activation: a pad's window (in the pad's
    input) or the window written into the boundary activation."""

    start: int = field(compare=False)
    width: int


@dataclass(frozen=True, slots=True)
class _ConvWindow:
    """A convolution's window: columns ``[start, start + width)`` of its input activation;
    the outputs they change are ``width + span`` columns from ``start_out`` of its output."""

    start: int = field(compare=False)
    width: int
    start_out: int = field(compare=False)


@dataclass(frozen=True, slots=True)
class _PoolWindow:
    """A pool's extended input: columns ``[start, start + width)`` of its input activation,
    covering both the window (which starts at column ``at`` of it) and the pool input the
    window's pooled outputs read (columns ``[lo, hi)`` of it)."""

    start: int = field(compare=False)
    width: int
    at: int
    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class _AddWindow:
    """A sum's window: columns ``[start, start + width)`` of its output, the union of its
    operands' windows, which start at columns ``at_in`` and ``at_other`` of it."""

    start: int = field(compare=False)
    width: int
    at_in: int
    at_other: int


# One position's geometry: per step a window (None for a pointwise or identity step) and
# the boundary.
_PositionGeometry = tuple[tuple[_ConvWindow | _PoolWindow | _Columns | _AddWindow | None, ...], _Columns]

# The same for all positions of a group (index q = 0, 1, ... in group.positions): the
# windows of position q start q * gap columns after those of position 0.
# ``outside`` lists ``(q, lo, hi)``: columns [lo, hi) of position q's (input) window lie
# outside the sequence.


@dataclass(frozen=True, slots=True)
class _GroupConv:
    """A convolution's windows in a group: position ``q`` reads columns ``[start + q * gap,
    ... + width)`` of the input activation and changes ``width + span`` output columns from
    ``start_out + q * gap_out``. ``add_change``: the outputs are the wild type's plus the
    change of the input (see ``_ADDS_PER_PRODUCT``), else recomputed from the window and
    ``span`` wild-type input columns each side."""

    start: int
    gap: int
    width: int
    start_out: int
    gap_out: int
    add_change: bool
    outside: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True, slots=True)
class _GroupPool:
    """A pool's extended inputs in a group: columns ``[start + q * gap, ... + width)`` of
    the input activation for position ``q``; ``at``, ``lo``, ``hi`` as in :class:`_PoolWindow`."""

    start: int
    gap: int
    width: int
    at: int
    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class _GroupPad:
    """A zero pad in a group: only which window columns are outside the sequence (zeroed)."""

    outside: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True, slots=True)
class _GroupAdd:
    """A sum in a group: position ``q``'s output window is columns ``[start + q * gap, ...
    + width)``; its operands' windows start ``at_in`` and ``at_other`` columns into it."""

    start: int
    gap: int
    width: int
    at_in: int
    at_other: int


@dataclass(frozen=True, slots=True)
class _GroupBoundary:
    """The windows written into the boundary activation: columns ``[starts[q], starts[q] +
    width)`` for position ``q`` (``starts``: one int per position of the group); columns
    outside the sequence are dropped."""

    width: int
    starts: tuple[int, ...]


@dataclass(frozen=True)
class _Group:
    """Positions ``p, p + T, p + 2T, ...`` (``positions``, a LongTensor ``(Q,)``) whose
    windows line up alike with every pool.

    ``T`` is the product of the chain's pool strides, so at every step the window starts
    of consecutive positions are a fixed number of columns apart and all widths and
    offsets are shared. ``steps``: one record per step of the chain (None for a pointwise
    step); ``boundary``: the windows of the boundary activation.
    """

    positions: torch.Tensor
    steps: tuple[_GroupConv | _GroupPool | _GroupPad | _GroupAdd | None, ...]
    boundary: _GroupBoundary


# ---------------------------------------------------------------------------------------
# The engine


class FastISM:
    """The model split into a windowed local chain and a full-size tail (see module doc).

    An edit of input columns ``[p, p + width)`` (a substitution at position ``p`` when
    ``width`` is 1) changes columns ``[s, s + w)`` of each chain activation; ``p`` runs
    over ``0 ... L - width``. The mutants of a :class:`_Group` are processed together as
    dense channels-last ``(sequences, positions, edits, width, channels)`` tensors (edits:
    the letters of a position, or the one patch): the wild type's windows are strided views
    of its (zero-margined, channels-last) activations, every convolution is one
    channels-last ``conv2d`` call, every pool one reduction.
    """

    def __init__(self, model: nn.Module, example: torch.Tensor, width: int = 1):
        tracer = _ShapeTracer(example)
        tracer.record_stack_traces = True  # the fallback's message names a line of forward
        root = _CalledWithX(model)
        try:
            gm = fx.GraphModule(root, tracer.trace(root))
        except Exception as err:  # torch.fx raises many kinds for untraceable forwards
            message = str(err).splitlines()[0] if str(err) else ""
            raise Unsupported(f"torch.fx cannot trace it ({type(err).__name__}: {message})") from err
        graph = gm.graph
        graph.eliminate_dead_code()  # drops the nodes of resolved shape checks
        modules = dict(gm.named_modules())
        inputs = [n for n in graph.nodes if n.op == "placeholder"]
        if len(inputs) != 1:
            raise Unsupported(f"the model's forward takes {len(inputs)} inputs")
        chain, self.layers = _local_chain(inputs[0], graph, modules)
        self.steps = _steps(self.layers)
        self.last_read, self.read_again = _reads(self.steps, len(chain) - 1)
        self.width = width
        with torch.no_grad():
            acts = self.wild_type(example[:1])
        self.tail = self._tail(gm, graph, chain, [tuple(a.shape) for a in acts])
        # predict hands the tail a channels-last view; a tail that calls .view on it (e.g.
        # h.view(h.size(0), -1)) needs a contiguous copy
        self.contiguous_tail = False
        try:
            with torch.no_grad():
                self.tail.forward(acts[-1].transpose(1, 2).contiguous().transpose(1, 2))  # .forward: fx prints failures of a call
        except RuntimeError as err:
            self.contiguous_tail = True
            with torch.no_grad():
                try:
                    self.tail.forward(acts[-1].contiguous())
                except Exception as again:  # noqa: BLE001 - the tail is the user's code
                    raise Unsupported(f"the rest of the model fails on the chain's output ({type(again).__name__}: "
                                      f"{str(again).splitlines()[0] if str(again) else ''})") from err
        self.lengths = [a.shape[2] for a in acts]
        self.channels = [a.shape[1] for a in acts]
        self.values_per_sequence = sum(a[0].numel() for a in acts)
        self.boundary_values = acts[-1][0].numel()
        self.groups, self.margins = self._plan()
        self.windowed = self._windowed()
        values_per_mutant = max(self._window_values(group) for group in self.groups)
        self.default_batch_size = max(1, _WINDOW_VALUES_PER_CALL // values_per_mutant)
        self.product_fraction = self._product_fraction()
        self.workspaces: dict[int, torch.Tensor] = {}  # per step, reused by every chunk

    @staticmethod
    def _tail(gm: fx.GraphModule, graph: fx.Graph, chain: list[fx.Node], shapes: list[tuple]) -> fx.GraphModule:
        """A GraphModule computing the model's output from the boundary activation (the
        last of ``chain``, the input and the chain layers' outputs, of wild-type shapes
        ``shapes``): every other node, in order, with shape accessors of the chain's
        activations answered from the boundary's batch size and ``shapes``."""
        tail = fx.Graph()
        boundary = tail.placeholder("boundary")
        env = {chain[-1]: boundary}
        index = {node: i for i, node in enumerate(chain[:-1])}
        for node in graph.nodes:
            if node in index or node is chain[-1]:
                continue
            if _is_shape_accessor(node) and node.args[0] in index:
                shape = shapes[index[node.args[0]]]
                if node.op == "call_function":  # getattr(x, "shape")
                    env[node] = tail.call_function(_chain_shape, (boundary, shape, node.args[1]))
                else:  # x.size(...), x.dim()
                    env[node] = tail.call_function(_chain_shape, (boundary, shape, node.target, *node.args[1:]), dict(node.kwargs))
                continue
            env[node] = tail.node_copy(node, lambda n: env[n])
        return fx.GraphModule(gm, tail)

    def wild_type(self, X: torch.Tensor) -> list[torch.Tensor]:
        """Activations of the chain for ``X``: ``[X, out_1, ..., out_k]``, each ``(B, C, L_l)``."""
        acts = [X]
        for layer in self.layers:
            if layer.kind == "add":
                acts.append(acts[layer.inputs[0]] + acts[layer.inputs[1]])
                continue
            x = acts[layer.inputs[0]]  # an in-place activation must not overwrite its input
            acts.append(layer.module(x.clone() if getattr(layer.module, "inplace", False) else x))
        return acts

    def margined(self, acts: list[torch.Tensor]) -> list[torch.Tensor | None]:
        """The activations the windows read, channels-last ``(B, L_l + margins, C)`` with
        zero columns added so that every window lies inside; None for the others."""
        out = []
        for i, (a, (left, right)) in enumerate(zip(acts, self.margins, strict=True)):
            if i not in self.windowed:
                out.append(None)
                continue
            B, C, length = a.shape
            m = a.new_empty((B, left + length + right, C))
            m[:, :left] = 0
            m[:, left + length :] = 0
            m[:, left : left + length] = a.transpose(1, 2)
            out.append(m)
        return out

    def _geometry(self, p: int) -> _PositionGeometry:
        """Windows of an edit of columns ``[p, p + width)``, per step and at the boundary."""
        windows = {0: (p, self.width)}  # per activation: (start, width)
        per_step = []
        for step in self.steps:
            s, w = windows[step.act_in]
            if step.kind == "conv":
                out = s + step.pad_left - step.span
                per_step.append(_ConvWindow(s, w, out))
                s, w = out, w + step.span
            elif step.kind == "pool":
                span, st = step.span, step.stride
                first, last = -((span - s) // st), (s + w - 1) // st  # pooled outputs the window touches
                lo, hi = first * st, last * st + span + 1  # the input they read
                ext = min(lo, s)
                per_step.append(_PoolWindow(ext, max(hi, s + w) - ext, s - ext, lo - ext, hi - ext))
                s, w = first, last - first + 1
            elif step.kind == "pad":
                per_step.append(_Columns(s, w))
                s += step.pad_left
            elif step.kind == "add":
                s_other, w_other = windows[step.act_other]
                lo, hi = min(s, s_other), max(s + w, s_other + w_other)
                per_step.append(_AddWindow(lo, hi - lo, s - lo, s_other - lo))
                s, w = lo, hi - lo
            else:
                per_step.append(None)
            windows[step.act_out] = (s, w)
        return tuple(per_step), _Columns(*windows[len(self.lengths) - 1])

    def _plan(self) -> tuple[list[_Group], list[tuple[int, int]]]:
        """Groups of positions, and the zero margins (left, right) each activation needs."""
        period = 1
        for step in self.steps:
            period *= step.stride if step.kind == "pool" else 1
        length = self.lengths[0]
        n_starts = length - self.width + 1
        geometry = [self._geometry(p) for p in range(n_starts)]
        reach = [[0, 0] for _ in self.lengths]  # columns windows read left of 0 / right of L

        def covers(act, start, width):
            reach[act][0] = max(reach[act][0], -start)
            reach[act][1] = max(reach[act][1], start + width - self.lengths[act])

        def outside(step, starts, width):
            length_in = self.lengths[step.act_in]
            return tuple(
                (j, lo, hi)
                for j, s in enumerate(starts)
                for lo, hi in ((0, min(width, -s)), (max(0, length_in - s), width))
                if hi > lo
            )

        groups = []
        for first in range(min(period, n_starts)):
            positions = list(range(first, n_starts, period))
            members = [geometry[p] for p in positions]
            # geometries compare without their starts: this guards the grouping rule
            if any(m != members[0] for m in members):
                raise Unsupported(f"positions {positions[:2]} line up differently with its pools")
            steps = []
            for i, step in enumerate(self.steps):
                w0 = members[0][0][i]
                if w0 is None:  # a pointwise step has no window of its own
                    steps.append(None)
                    continue
                starts = [m[0][i].start for m in members]
                gap = starts[1] - starts[0] if len(starts) > 1 else 0
                if step.kind == "conv":
                    outs = [m[0][i].start_out for m in members]
                    gap_out = outs[1] - outs[0] if len(outs) > 1 else 0
                    # add the change (cheaper for many input channels: see _ADDS_PER_PRODUCT) or recompute
                    add_change = step.span * step.weight.shape[1] > _ADDS_PER_PRODUCT * w0.width
                    if add_change:
                        covers(step.act_in, min(starts), max(starts) - min(starts) + w0.width)
                        covers(step.act_out, min(outs), max(outs) - min(outs) + w0.width + step.span)
                    else:
                        covers(step.act_in, min(starts) - step.span, max(starts) - min(starts) + w0.width + 2 * step.span)
                    steps.append(_GroupConv(w0.start, gap, w0.width, w0.start_out, gap_out, add_change,
                                            outside(step, starts, w0.width)))
                elif step.kind == "pool":
                    covers(step.act_in, min(starts), max(starts) - min(starts) + w0.width)
                    steps.append(_GroupPool(w0.start, gap, w0.width, w0.at, w0.lo, w0.hi))
                elif step.kind == "add":  # the union window of both operands is read
                    for act in (step.act_in, step.act_other):
                        covers(act, min(starts), max(starts) - min(starts) + w0.width)
                    steps.append(_GroupAdd(w0.start, gap, w0.width, w0.at_in, w0.at_other))
                else:
                    steps.append(_GroupPad(outside(step, starts, w0.width)))
            boundary = _GroupBoundary(members[0][1].width, tuple(m[1].start for m in members))
            groups.append(_Group(torch.tensor(positions), tuple(steps), boundary))
        return groups, [tuple(r) for r in reach]

    def _windowed(self) -> set[int]:
        """Indices of the activations some window reads (the others need no margins)."""
        read = {len(self.lengths) - 1}
        for i, step in enumerate(self.steps):
            if step.kind in ("conv", "pool", "add"):
                read.add(step.act_in)
            if step.kind == "add":
                read.add(step.act_other)
            if step.kind == "conv" and any(group.steps[i].add_change for group in self.groups):
                read.add(step.act_out)
        return read

    def _window_values(self, group: _Group) -> int:
        """About how many numbers the windows of one mutant of ``group`` hold, summed over
        the steps (inputs, extended inputs and outputs) and the boundary activation."""
        total = self.boundary_values
        for step, entry in zip(self.steps, group.steps, strict=True):
            if step.kind in ("conv", "pool"):
                c_in, c_out = self.channels[step.act_in], self.channels[step.act_out]
                width_in = entry.width + (0 if step.kind == "pool" or entry.add_change else 2 * step.span)
                width_out = entry.width + step.span if step.kind == "conv" else entry.width // max(1, step.stride)
                total += width_in * c_in + 2 * width_out * c_out  # the output and its activation
            elif step.kind == "add":  # both operands extended to the union, and the sum
                total += 3 * entry.width * self.channels[step.act_out]
        return total + group.boundary.width * self.channels[-1]

    def _product_fraction(self) -> float:
        """Multiply-adds of the chain's convolutions on one mutant's windows (the costliest
        group's; a change added counts its shifted additions, see ``_ADDS_PER_PRODUCT``)
        over those of the chain run at full size on one sequence: above about 1 the
        windows cost more than running the whole chain."""
        windowed = full = 0
        for i, step in enumerate(self.steps):
            if step.kind != "conv":
                continue
            c_out, c_in, k = step.weight.shape
            full += self.lengths[step.act_out] * k * c_in * c_out
            windowed += max(
                entry.width * k * (c_in + _ADDS_PER_PRODUCT) * c_out if entry.add_change
                else (entry.width + step.span) * k * c_in * c_out
                for entry in (group.steps[i] for group in self.groups)
            )
        return windowed / full

    def predict(self, acts: list[torch.Tensor], group: _Group, q: slice, values: torch.Tensor) -> torch.Tensor:
        """Model outputs ``(B * Q * K, T)`` for the mutants of ``group.positions[q]``.

        ``acts`` are :meth:`margined` chain activations of ``B`` wild-type sequences and
        ``values`` ``(B, Q, K, width, 4)`` (channels-last, a fresh tensor) the columns that
        each of ``K`` edits per position writes over the ``width`` input columns from that
        position; rows come out in ``(sequence, position, edit)`` order. Windows are
        channels-last ``(B, Q, K, width, C)``, so a window of the wild type is one
        contiguous block and convolutions and pools run as channels-last 2-d kernels.
        Window columns outside a sequence hold meaningless (finite) numbers that no
        in-range column reads: convolutions zero them (the model's zero padding), pools
        have no padding, zero pads zero them, and the boundary write drops them.
        """
        B, Q, K = values.shape[:3]
        M = B * Q * K

        def window(act: int, start: int, gap: int, width: int) -> torch.Tensor:
            """Wild-type windows ``(B, Q, 1, width, C)``: a strided view, no copy."""
            a = acts[act]
            Lp, C = a.shape[1], a.shape[2]
            offset = a.storage_offset() + (self.margins[act][0] + start + gap * q.start) * C
            return a.as_strided((B, Q, 1, width, C), (Lp * C, gap * C, 0, C, 1), offset)

        def zero_outside(values, entry):  # values is always a fresh tensor here
            for j, lo, hi in entry.outside:
                if q.start <= j < q.stop:
                    values[:, j - q.start, :, lo:hi] = 0.0
            return values

        def extend(values, act, entry, at, key):
            """``values`` (the window of ``act``, from column ``at`` of the sum's window)
            with the wild type's columns of ``act`` around it, as wide as ``entry``."""
            width = values.shape[3]
            if at == 0 and width == entry.width:
                return values
            wild = window(act, entry.start, entry.gap, entry.width).expand(B, Q, K, -1, values.shape[4])
            parts = [p for p in (wild[..., :at, :], values, wild[..., at + width :, :]) if p.shape[3]]
            return _concatenate_into(self.workspaces, key, parts, (*values.shape[:3], entry.width, values.shape[4]), values)

        windows = {0: values}  # the mutants' windows of the activations still to be read
        for i, (step, entry) in enumerate(zip(self.steps, group.steps, strict=True)):
            values = windows[step.act_in]
            width, C = values.shape[3], values.shape[4]
            if step.kind == "identity":
                pass
            elif step.kind == "add":
                values = extend(values, step.act_in, entry, entry.at_in, (i, 0)) + \
                    extend(windows[step.act_other], step.act_other, entry, entry.at_other, (i, 1))
            elif step.kind == "pointwise":
                if self.read_again[i] and getattr(step.module, "inplace", False):
                    values = values.clone()
                values = _channels_last_pointwise(step.module, values)
            elif step.kind == "pad":
                values = zero_outside(values, entry)
            elif step.kind == "conv":
                values, span = zero_outside(values, entry), step.span
                if entry.add_change:
                    delta = values - window(step.act_in, entry.start, entry.gap, width)
                    wild = window(step.act_out, entry.start_out, entry.gap_out, width + span)
                    values = _add_change(delta.view(M, width, C), step, wild.expand(B, Q, K, -1, -1)).view(B, Q, K, width + span, -1)
                else:  # recompute the touched outputs from the window and span wild columns each side
                    wild = window(step.act_in, entry.start - span, entry.gap, width + 2 * span).expand(B, Q, K, -1, C)
                    parts = [wild[..., :span, :], values, wild[..., span + width :, :]]
                    extended = _concatenate_into(self.workspaces, i, parts, (B, Q, K, width + 2 * span, C), values)
                    out = F.conv2d(extended.view(M, 1, -1, C).permute(0, 3, 1, 2), step.weight_2d, step.bias, 1, 0, (1, step.dilation))
                    values = out.permute(0, 2, 3, 1).reshape(B, Q, K, width + span, -1)
            else:
                wild = window(step.act_in, entry.start, entry.gap, entry.width).expand(B, Q, K, -1, C)
                at, lo, hi = entry.at, entry.lo, entry.hi
                parts = [wild[..., lo:at, :], values[..., max(lo - at, 0) : hi - at, :], wild[..., at + width : hi, :]]
                parts = [p for p in parts if p.shape[3]]
                extended = _concatenate_into(self.workspaces, i, parts, (B, Q, K, hi - lo, C), values)
                values = _channels_last_pool(step, extended.view(M, -1, C)).view(B, Q, K, -1, C)
            windows[step.act_out] = values
            for act in self.last_read[i]:
                del windows[act]
        values = windows[len(self.lengths) - 1]
        boundary = acts[-1]
        lb, rb = self.margins[-1]
        length, C = boundary.shape[1] - lb - rb, boundary.shape[2]
        full = boundary.new_empty((B, Q, K, length, C))
        full.copy_(boundary[:, None, None, lb : lb + length])
        width = group.boundary.width
        for j, start in enumerate(group.boundary.starts[q]):
            lo, hi = max(start, 0), min(start + width, length)
            full[:, j, :, lo:hi] = values[:, j, :, lo - start : hi - start]
        boundary_full = full.view(M, length, C).transpose(1, 2)
        return self.tail(boundary_full.contiguous() if self.contiguous_tail else boundary_full)

    def _chunks(self, X: torch.Tensor, batch_size: int, per_position: int, selected: torch.Tensor | None,
                verbose: bool, description: str, on_block: Callable | None = None):
        """The calls of :meth:`predict` that cover every sequence of ``X`` ``(N, 4, L)`` at
        the positions ``selected`` marks (bool ``(L - width + 1,)``; None: all), with
        ``per_position`` edits at each.

        Yields ``(acts, group, q, seq)``: the :meth:`margined` chain activations of the
        sequences ``seq`` (consecutive rows of ``X``, a CPU LongTensor ``(B,)``) and a run
        ``q`` (a slice) of selected positions of ``group``; about ``batch_size`` mutants per
        call. The wild type's chain activations are computed for a block of sequences at a
        time and passed to ``on_block(rows, acts)`` (``rows`` a slice of ``X``, ``acts`` as
        :meth:`wild_type` returns them) before any of the block's calls.
        """
        N = X.shape[0]
        block = max(1, _WILD_TYPE_BLOCK_VALUES // self.values_per_sequence)
        chunks = []
        for first in range(0, N, block):
            n_block = min(block, N - first)
            for group in self.groups:
                for run in _runs(group.positions, selected):
                    n_q = min(run.stop - run.start, max(1, batch_size // per_position))
                    for q0 in range(run.start, run.stop, n_q):
                        q = slice(q0, min(q0 + n_q, run.stop))
                        per_sequence = per_position * (q.stop - q.start)
                        n_seq = max(1, min(batch_size // per_sequence, _TAIL_INPUT_VALUES // (per_sequence * self.boundary_values)))
                        for rows in row_chunks(n_block, n_seq):
                            chunks.append((first, group, q, rows))
        acts, acts_first = None, None
        for first, group, q, rows in progress(chunks, len(chunks), verbose, description):
            if acts_first != first:
                acts = self.wild_type(X[first : first + block])
                if on_block is not None:
                    on_block(slice(first, first + acts[0].shape[0]), acts)
                acts, acts_first = self.margined(acts), first
            seq = torch.arange(first + rows.start, first + rows.stop)
            yield [None if a is None else a[rows] for a in acts], group, q, seq

    def substitute(self, X: torch.Tensor, wild: torch.Tensor, batch_size: int, verbose: bool, record: Callable,
                   y_wt: torch.Tensor, target: torch.Tensor, func: Callable | None) -> None:
        """Run the three substitutions of every position of ``X`` ``(N, 4, L)`` (on the
        model's device and dtype) and pass the outputs to ``record(y, seq, pos, letter)``.

        Needs ``width`` 1. ``wild`` ``(N, L)``: each position's letter (-1 where the column
        is not one-hot: its letters B, C, D are substituted here, letter A is left to the
        caller). The wild type's target outputs are computed into ``y_wt`` ``(N,)`` from
        the chain activations of each block of sequences (see :meth:`_chunks`); each call of
        :meth:`predict` takes the mutants of one group's positions in a run of sequences of
        the block, about ``batch_size`` mutants.
        """

        def wild_type_outputs(rows: slice, acts: list[torch.Tensor]) -> None:
            y_wt[rows] = select_target(self.tail(acts[-1]), target[rows], func).cpu()

        letters_per_position = _OTHER_LETTERS.shape[1]
        for acts, group, q, seq in self._chunks(X, batch_size, letters_per_position, None, verbose, "ism", wild_type_outputs):
            positions = group.positions[q]
            letters = _OTHER_LETTERS[wild[seq][:, positions].clamp(min=0)]  # (B, Q, 3)
            values = F.one_hot(letters.to(X.device), 4).to(acts[-1].dtype)[:, :, :, None, :]  # (B, Q, 3, 1, 4)
            y = self.predict(acts, group, q, values)
            B, Q, K = letters.shape
            record(y, seq.repeat_interleave(Q * K), positions.repeat_interleave(K).repeat(B), letters.flatten())

    def patch(self, X: torch.Tensor, patches: torch.Tensor, selected: torch.Tensor, batch_size: int, verbose: bool,
              record: Callable) -> None:
        """Run each sequence of ``X`` ``(N, 4, L)`` with each of its ``K`` patches (``patches``
        ``(N, K, 4, width)``; both on the model's device and dtype) written over columns
        ``[p, p + width)``, for every position ``p`` that ``selected`` (bool ``(L - width +
        1,)``) marks, about ``batch_size`` mutants per call, and pass the outputs ``y``
        ``(M, T)`` to ``record(y, seq, pos, k)`` (CPU LongTensors ``(M,)``)."""
        K = patches.shape[1]
        for acts, group, q, seq in self._chunks(X, batch_size, K, selected, verbose, "patches"):
            positions = group.positions[q]
            B, Q = len(seq), len(positions)
            # predict may change its values in place (in-place activations, zeroed columns),
            # so the patches broadcast over the positions are copied: B * Q * K * width * 4 numbers
            values = patches[seq.to(patches.device)].transpose(2, 3)[:, None].expand(B, Q, K, -1, -1).contiguous()
            record(self.predict(acts, group, q, values), seq.repeat_interleave(Q * K), positions.repeat_interleave(K).repeat(B),
                   torch.arange(K).repeat(B * Q))


def _runs(positions: torch.Tensor, selected: torch.Tensor | None) -> list[slice]:
    """The maximal runs of consecutive indices into a group's ``positions`` ``(Q,)`` whose
    positions ``selected`` marks (bool, indexed by position; None: one run of all)."""
    if selected is None:
        return [slice(0, len(positions))]
    runs, start = [], None
    for i, keep in enumerate([*selected[positions].tolist(), False]):
        if keep and start is None:
            start = i
        elif not keep and start is not None:
            runs.append(slice(start, i))
            start = None
    return runs


# ---------------------------------------------------------------------------------------
# Windowed kernels


def _concatenate_into(workspaces: dict, key, parts: list[torch.Tensor], shape: tuple, like: torch.Tensor) -> torch.Tensor:
    """``torch.cat(parts, dim=3)`` written into a buffer kept in ``workspaces[key]`` for
    the next call: the windows are rebuilt for every chunk of mutants, and reusing the
    buffer saves a multi-megabyte allocation (and its page faults) per step and call."""
    numel = 1
    for n in shape:
        numel *= n
    buffer = workspaces.get(key)
    if buffer is None or buffer.numel() < numel or buffer.dtype != like.dtype or buffer.device != like.device:
        buffer = workspaces[key] = like.new_empty(numel)
    return torch.cat(parts, dim=3, out=buffer[:numel].view(shape))


def _channels_last_pointwise(module: nn.Module, values: torch.Tensor) -> torch.Tensor:
    """A pointwise layer on channels-last ``values`` ``(..., C)``."""
    affine = _channel_affine(module)
    if affine is not None:  # batch norm not after a convolution
        scale, shift = (torch.as_tensor(v).to(values) for v in affine)
        return values * scale + shift
    if isinstance(module, nn.PReLU) and module.num_parameters > 1:  # per-channel slopes on axis 1
        shape = values.shape
        return module(values.reshape(-1, shape[-1])).view(shape)
    return module(values)


def _channels_last_pool(step: _Step, values: torch.Tensor) -> torch.Tensor:
    """``step``'s pool over the columns of channels-last ``values`` ``(M, width, C)``."""
    module, k, d, s = step.module, step.span // step.dilation + 1, step.dilation, step.stride
    M, width, C = values.shape
    if k == s <= _POOL_REDUCTION_MAX_COLUMNS and d == 1 and width % s == 0:
        tiles = values.view(M, width // s, s, C)
        return tiles.amax(dim=2) if isinstance(module, nn.MaxPool1d) else tiles.mean(dim=2)
    x = values.view(M, 1, width, C).permute(0, 3, 1, 2)
    if isinstance(module, nn.MaxPool1d):
        out = F.max_pool2d(x, (1, k), (1, s), 0, (1, d))
    else:
        out = F.avg_pool2d(x, (1, k), (1, s))
    return out.permute(0, 2, 3, 1).reshape(M, -1, C)


def _add_change(delta: torch.Tensor, step: _Step, wild: torch.Tensor) -> torch.Tensor:
    """The wild type's outputs ``wild`` ``(..., width + span, C_out)`` (broadcastable to
    ``M`` rows) plus the change a channels-last input change ``delta`` ``(M, width, C_in)``
    makes; returns ``(M, width + span, C_out)``. Tap ``j`` of the kernel moves input
    column ``i`` of the window to output column ``i + span - dilation * j``."""
    M, width, C_in = delta.shape
    k = step.weight.shape[2]
    if width == 1 and step.dilation == 1:  # one changed column (the input layer): one addition
        change = (delta.view(M, C_in) @ step.weight_column).view(wild.shape[:-2] + (k, -1))
        return (change + wild).view(M, k, -1)
    taps = (delta.reshape(M * width, C_in) @ step.weight_taps).view(M, width, k, -1)
    out = wild.new_empty((M, width + step.span, taps.shape[3]))
    out.view(wild.shape).copy_(wild)
    for j in range(k):
        shift = step.span - step.dilation * j
        out[:, shift : shift + width] += taps[:, :, j]
    return out
