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
from . import deepshap, expected_gradients, integrated_gradients, ism, saliency, smoothgrad
from .correction import correct_gradients
from .io import GRADIENT_METHODS, METHOD_KINDS, AttributionSet, MethodMaps

#: Short names accepted wherever a method is named.
METHOD_ALIASES = {"ig": "integrated_gradients", "eg": "expected_gradients", "shap": "deepshap"}

_METHODS = {
    "saliency": saliency,
    "smoothgrad": smoothgrad,
    "integrated_gradients": integrated_gradients,
    "expected_gradients": expected_gradients,
    "deepshap": deepshap,
    "ism": ism,
}


def canonical_methods(names) -> list[str]:
    """Canonical method names, in order and without repeats, from names or aliases.

    ``names`` is a comma-separated string or a list; an unknown name raises
    :class:`SeqlensError` listing the valid ones.
    """
    items = names.split(",") if isinstance(names, str) else list(names)
    out = []
    for item in items:
        key = str(item).strip().lower()
        if not key:
            continue
        name = METHOD_ALIASES.get(key, key)
        if name not in _METHODS:
            valid = ", ".join([*_METHODS, *(f"{a} (= {n})" for a, n in METHOD_ALIASES.items())])
            raise SeqlensError(f"unknown attribution method {str(item).strip()!r}; valid methods: {valid}")
        if name not in out:
            out.append(name)
    if not out:
        raise SeqlensError(f"no attribution method named in {names!r}")
    return out


def default_params(name: str, seed: int = 0) -> dict:
    """The papers' settings for method ``name`` (keyword arguments beyond model, X, target)."""
    return {
        "saliency": {},
        "smoothgrad": {"n": 50, "sigma": 0.1, "seed": seed},
        "integrated_gradients": {"steps": 20, "baselines": "shuffle", "n_baselines": 1, "rule": "trapezoid", "seed": seed},
        "expected_gradients": {"n_references": 20, "steps": 20, "references": "shuffle", "rule": "trapezoid", "seed": seed},
        "deepshap": {"n_references": 10, "references": "dinuc_shuffle", "seed": seed},
        "ism": {"fast": True},
    }[name]


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
    methods : names or aliases (``saliency, smoothgrad, ig, eg, deepshap, ism``).
    rows : rows of ``split`` to attribute (default: all); see :func:`select_rows`.
    correct : also keep the corrected map of every gradient method.
    params : per-method keyword overrides on top of :func:`default_params` (``seed`` is
        given to every stochastic method).
    batch_size : rows per model call for every method; None keeps each method's own default
        (gradient methods 128 sequences; ISM as many mutants as its windows allow, about 1,000).
    on_method : optional callback ``on_method(MethodMaps)`` after each method (progress).
    split_name : name of the split (``train``/``valid``/``test``), stored as provenance.
    provenance : also stored on the result (``task_name``, ``model_dir``, ``data_path``).

    Returns
    -------
    AttributionSet whose ``methods[name].maps`` hold ``(n_rows, 4, L)`` float32 maps
    (``raw`` and, for gradient methods with ``correct``, ``corrected``).
    """
    names = canonical_methods(methods)
    params = params or {}
    rows = np.arange(len(split)) if rows is None else np.asarray(rows, dtype=np.int64)
    sequences = split.subset(rows)
    X = torch.from_numpy(sequences.X)
    results = {}
    for name in names:
        kwargs = {**default_params(name, seed), **params.get(name, {})}
        if name in GRADIENT_METHODS:
            kwargs["correct"] = False
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batching = {} if batch_size is None or "batch_size" in kwargs else {"batch_size": batch_size}
            raw = _METHODS[name](model, X, target=target, device=device, verbose=verbose, **batching, **kwargs)
        maps = {"raw": raw.numpy()}
        if correct and name in GRADIENT_METHODS:
            maps["corrected"] = correct_gradients(raw).numpy()
        result = MethodMaps(name, METHOD_KINDS[name], maps, params=kwargs,
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
