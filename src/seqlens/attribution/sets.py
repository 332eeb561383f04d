"""Attribution maps of several methods for a set of sequences, kept together with provenance.

:func:`attribute_split` is what ``seqlens attribute`` and the demo run: it calls each
method with the same seed, stores raw and corrected maps of the gradient methods (paper
003 compares them; the corrected map is ``correct_gradients(raw)``), and returns an
:class:`~seqlens.attribution.io.AttributionSet` that :func:`save_attributions` writes.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import torch

from ..errors import SeqlensError
from .correction import correct_gradients
from .io import AttributionSet, MethodMaps
from .registry import METHOD_ALIASES, get_method

__all__ = ["METHOD_ALIASES", "attribute_split", "canonical_methods", "default_params", "select_rows"]


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


def select_rows(y: np.ndarray, target: int = 0, positives: bool = False, limit: int = 0) -> np.ndarray:
    """Rows to attribute: all, or those labelled 1 for ``target``; the first ``limit`` (0 = all).

    ``y`` is ``(N, T)``. The papers scored the first 500 positive test sequences.
    """
    rows = np.flatnonzero(np.asarray(y)[:, target] == 1) if positives else np.arange(len(y))
    if limit:
        rows = rows[:limit]
    if rows.size == 0:
        raise SeqlensError("no sequences selected" + (f": no positives for target {target}" if positives else ""))
    return rows


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
                            seconds=time.perf_counter() - start, warnings=[str(w.message) for w in caught])
        results[name] = result
        if on_method is not None:
            on_method(result)
    config = getattr(model, "config", None)
    return AttributionSet(
        sequences=sequences,
        rows=rows,
        target=target,
        methods=results,
        seed=seed,
        split=split_name,
        model_config=None if config is None else config.model_dump(mode="json"),
        **provenance,
    )
