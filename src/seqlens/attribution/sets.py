"""Attribution maps of several methods for a set of sequences, kept together with provenance.

:func:`attribute_split` is what ``seqlens attribute`` and the demo run: it calls each
method with the same seed, stores raw and corrected maps of the gradient methods (paper
003 compares them; the corrected map is ``correct_gradients(raw)``), and returns an
:class:`~seqlens.attribution.io.AttributionSet` that :func:`save_attributions` writes.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import SeqlensError, UnreliableMapsWarning
from ..io_utils import json_ready
from .correction import correct_gradients
from .io import AttributionSet, MethodMaps
from .registry import METHOD_ALIASES, get_method

__all__ = [
    "METHOD_ALIASES",
    "MethodCost",
    "RowSelection",
    "attribute_split",
    "canonical_methods",
    "default_params",
    "dominant_method",
    "estimate_costs",
    "select_rows",
    "selection",
]


def canonical_methods(names) -> list[str]:
    """Canonical method names, in order and without repeats, from names or aliases.

    ``names`` is a comma-separated string or a list; an unknown name raises
    :class:`SeqlensError` listing the valid ones (every method in
    :mod:`seqlens.attribution.registry`).
    """
    items = names.split(",") if isinstance(names, str) else list(names)
    out = []
    for item in items:
        if not str(item).strip():
            continue
        name = get_method(item).name
        if name not in out:
            out.append(name)
    if not out:
        raise SeqlensError(f"no attribution method named in {names!r}")
    return out


def default_params(name: str, seed: int = 0) -> dict:
    """The papers' settings for method ``name`` (keyword arguments beyond model, X, target).

    Read from the method's registry entry; its seeded parameters are set to ``seed``.
    """
    return get_method(name).params(seed)


@dataclass(frozen=True)
class RowSelection:
    """The rows :func:`selection` picked, and how they compare with what was asked for.

    rows : ``(n_selected,)`` int64 rows of the split.
    n_requested : the ``limit`` asked for (None = all).
    n_available : how many sequences qualified (all rows, or the positives for the target).
    reason : why fewer than ``n_requested`` were taken (None when all were), e.g.
        ``"only 213 positive sequences for target 0 (label) in split test"``.
    """

    rows: np.ndarray
    n_requested: int | None
    n_available: int
    reason: str | None

    @property
    def n_selected(self) -> int:
        return int(len(self.rows))


def selection(
    y: np.ndarray,
    target: int = 0,
    positives: bool = False,
    limit: int = 0,
    split_name: str | None = None,
    task_name: str | None = None,
) -> RowSelection:
    """Rows to attribute (as :func:`select_rows`), with the shortfall explained.

    ``split_name`` and ``task_name`` only make the messages more precise.
    """
    y = np.asarray(y)
    target_text = f"target {target}" + (f" ({task_name})" if task_name else "")
    where = f" in split {split_name}" if split_name else ""
    rows = np.flatnonzero(y[:, target] == 1) if positives else np.arange(len(y))
    available = int(rows.size)
    if available == 0:
        what = f"no positive sequences for {target_text}" if positives else "no sequences"
        raise SeqlensError(f"no sequences selected: {what}{where}")
    if limit:
        rows = rows[:limit]
    reason = None
    if limit and available < limit:
        what = f"positive sequences for {target_text}" if positives else "sequences"
        reason = f"only {available} {what}{where}"
    return RowSelection(rows.astype(np.int64), int(limit) if limit else None, available, reason)


def select_rows(y: np.ndarray, target: int = 0, positives: bool = False, limit: int = 0) -> np.ndarray:
    """Rows to attribute: all, or those labelled 1 for ``target``; the first ``limit`` (0 = all).

    ``y`` is ``(N, T)``. The papers scored the first 500 positive test sequences.
    :func:`selection` also says when fewer than ``limit`` rows qualify.
    """
    return selection(y, target, positives, limit).rows


# ------------------------------------------------------------------------------------------
# cost estimates: which method will take the time

#: Relative cost of one model call per sequence, in forward + backward passes: a DeepSHAP
#: pass (rescale rules, per reference) ~4, a forward pass of naive ISM ~0.3, one mutant of
#: fast ISM ~0.05 (benchmarks/README.md, attribution table: cnn_local and cnn_dist, 2 CPU
#: threads; e.g. saliency 24,768 vs fast ISM 810 sequences/s at 600 mutants each).
_PASS_COST = {"gradient": 1.0, "deepshap": 4.0, "forward": 0.3, "fast_ism": 0.05}


def _model_calls(name: str, params: dict, length: int) -> tuple[float, str]:
    """Model calls per sequence of a built-in method and the kind of call (a key of ``_PASS_COST``)."""
    def number(key, default=1):
        value = params.get(key, default)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default

    if name == "saliency":
        return 1, "gradient"
    if name == "smoothgrad":
        return number("n"), "gradient"
    if name in ("integrated_gradients", "integrated_gradients_10_shuffled"):
        return number("n_baselines") * (number("steps") + 1), "gradient"
    if name == "expected_gradients":
        return number("n_references") * (number("steps") + 1), "gradient"
    if name == "deepshap":
        return number("n_references"), "deepshap"
    if name == "ism":
        return 3 * length, "fast_ism" if params.get("fast", True) else "forward"
    return 1, "gradient"  # a method registered later: one pass per sequence, unless it says otherwise


@dataclass(frozen=True)
class MethodCost:
    """Estimated cost of one method: model calls per sequence and their share of the run's total."""

    method: str
    calls_per_sequence: float
    call_kind: str
    relative_cost: float
    share: float


def estimate_costs(methods, length: int, params: dict[str, dict] | None = None, seed: int = 0) -> dict[str, MethodCost]:
    """Estimated relative cost of each method for sequences of ``length`` (same for any N).

    Model calls per sequence come from each method's registry defaults with ``params``
    overrides (as :func:`attribute_split` calls it): saliency 1, SmoothGrad ``n``, IG
    ``n_baselines * (steps + 1)``, expected gradients ``n_references * (steps + 1)``,
    DeepSHAP ``n_references``, ISM ``3 L`` mutants; each weighted by what the call costs
    (``_PASS_COST``, measured in the benchmarks). ``share`` is the method's fraction of the
    estimated total. An estimate, for saying which method will dominate the time.
    """
    names = canonical_methods(methods)
    overrides = {}
    for key, values in (params or {}).items():
        overrides.setdefault(get_method(key).name, {}).update(values)
    raw = {}
    for name in names:
        kwargs = {**get_method(name).params(seed), **overrides.get(name, {})}
        calls, kind = _model_calls(name, kwargs, int(length))
        raw[name] = (float(calls), kind, float(calls) * _PASS_COST[kind])
    total = sum(cost for _, _, cost in raw.values()) or 1.0
    return {name: MethodCost(name, calls, kind, cost, cost / total) for name, (calls, kind, cost) in raw.items()}


def dominant_method(costs: dict[str, MethodCost], share: float = 0.5) -> MethodCost | None:
    """The method whose estimated share of the time exceeds ``share`` (None when none does, or for one method)."""
    if len(costs) < 2:
        return None
    top = max(costs.values(), key=lambda c: c.share)
    return top if top.share > share else None


def attribute_split(
    model: torch.nn.Module,
    split,
    methods="saliency",
    target: int = 0,
    rows: np.ndarray | None = None,
    correct: bool = True,
    seed: int = 0,
    params: dict[str, dict] | None = None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    on_method=None,
    split_name: str | None = None,
    **provenance,
) -> AttributionSet:
    """Attribution maps of ``model`` for rows of a :class:`seqlens.data.Split`.

    Parameters
    ----------
    split : Split with ``X`` ``(N, 4, L)`` (ground truth and motif sites are carried along).
    methods : names or aliases of registered methods (:mod:`seqlens.attribution.registry`:
        ``saliency, smoothgrad, ig, eg, deepshap, ism`` and any registered later).
    rows : rows of ``split`` to attribute (default: all); see :func:`select_rows`.
    correct : also keep the corrected map of every gradient method.
    params : per-method keyword overrides (keyed by name or alias) on top of
        :func:`default_params` (``seed`` goes to every seeded parameter).
    batch_size : rows per model call for every method, each counting its own unit
        (``MethodSpec.batch_unit``: sequences, noisy copies, path points, mutants ...); None
        keeps each method's own default (gradient methods 128; ISM as many mutants as its
        windows allow, about 1,000).
    on_method : optional callback ``on_method(MethodMaps)`` after each method (progress).
    split_name : name of the split (``train``/``valid``/``test``), stored as provenance.
    provenance : also stored on the result (``task_name``, ``model_dir``, ``data_path``).

    Returns
    -------
    AttributionSet whose ``methods[name].maps`` hold ``(n_rows, 4, L)`` float32 maps
    (``raw`` and, for gradient methods with ``correct``, ``corrected``).
    """
    names = canonical_methods(methods)
    overrides = {}
    for key, values in (params or {}).items():
        overrides.setdefault(get_method(key).name, {}).update(values)
    rows = np.arange(len(split)) if rows is None else np.asarray(rows, dtype=np.int64)
    sequences = split.subset(rows)
    X = torch.from_numpy(sequences.X)
    results = {}
    for name in names:
        spec = get_method(name)
        kwargs = {**spec.params(seed), **overrides.get(name, {})}
        if spec.gradient:
            kwargs["correct"] = False
        function = spec.resolve()
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batching = {} if batch_size is None or "batch_size" in kwargs else {"batch_size": batch_size}
            raw = torch.as_tensor(function(model, X, target=target, device=device, verbose=verbose, **batching, **kwargs))
        maps = {"raw": raw}
        if correct and spec.gradient:
            maps["corrected"] = correct_gradients(raw)
        result = MethodMaps(name, spec.kind, maps, params=kwargs,
                            seconds=time.perf_counter() - start, warnings=[str(w.message) for w in caught],
                            failed_checks=[w.message.record() for w in caught
                                           if isinstance(w.message, UnreliableMapsWarning)])
        results[name] = result
        if on_method is not None:
            on_method(result)
    return AttributionSet(
        sequences=sequences,
        rows=rows,
        target=target,
        methods=results,
        seed=seed,
        split=split_name,
        model_config=_config_record(model),
        **provenance,
    )


def _config_record(model) -> dict | None:
    """The model's config as JSON for provenance: a zoo model's ``ModelConfig``, a foreign model's
    ``config`` mapping (when JSON-ready), else None (a foreign ``config`` of any other kind)."""
    config = getattr(model, "config", None)
    dump = getattr(config, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(config, Mapping):
        try:
            return json_ready(dict(config), "model config")
        except TypeError:
            return None
    return None
