"""The attribution file: maps of several methods for one set of sequences, with provenance.

An HDF5 file (written atomically) that ``seqlens attribute`` writes and ``seqlens score``
reads; :class:`AttributionSet` is its in-memory form.

Layout (``format="seqlens-attributions"``, ``format_version=1``)::

    /sequences/X             (N, 4, L) one-hot (uint8 when strictly 0/1, else float32)
    /sequences/y             (N, T) labels of those sequences
    /sequences/ground_truth  (N, 4, L) sequence models (optional)
    /sequences/names         (N,) sequence names (optional)
    /sequences/motif_sites/  embedded-motif table, ``sequence`` = row in this file (optional)
    /rows                    (N,) int64 row of each sequence in the source split
    /maps/<method>/<variant> (N, 4, L) float32 map; variants ``raw`` and, for gradient
                             methods, ``corrected`` (= correct_gradients(raw))

Root attributes: ``target``, ``task_name``, ``split``, ``seed``, ``model_dir``,
``model_config`` (JSON), ``data_path``, ``seqlens_version`` (an absent value is stored as
JSON ``null``). Each ``/maps/<method>`` group has attributes ``method``, ``kind``
(``"hypothetical"`` or ``"ism_delta"``), ``params`` (JSON: the keyword arguments the
method was called with), ``seconds``, ``warnings`` (JSON list) and, when a check failed,
``failed_checks`` (JSON list of :attr:`MethodMaps.failed_checks`; absent in files without one).

Which kind a method returns, how it reduces to position scores and whether it is a gradient
method (raw + corrected) is its entry in :mod:`seqlens.attribution.registry`.

Map kinds: a *hypothetical* map holds a gradient-like value for every letter; the score of a
position is ``sum_a map * X`` (times input). An *ISM delta* map holds ``f(mutant) - f(wild
type)`` (0 at the wild-type letter); its position score is the L2 norm over the four letters
at the observed letter (SPEC section 6).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import h5py
import numpy as np

from .. import __version__
from ..data import Split, open_h5, read_split_group, require_dataset, write_split_group
from ..data.hdf5 import ATTRIBUTION_FORMAT, file_format
from ..errors import DataFormatError
from ..io_utils import atomic_path
from .registry import GRADIENT_METHODS, KINDS, METHOD_KINDS, is_gradient_method, reduction_of  # noqa: F401 (re-exported)

FORMAT = ATTRIBUTION_FORMAT
FORMAT_VERSION = 1

VARIANTS = ("raw", "corrected")

Kind = Literal["hypothetical", "ism_delta"]

_COMPRESSED = {"compression": "gzip", "compression_opts": 4}
_PROVENANCE = ("task_name", "split", "seed", "model_dir", "model_config", "data_path", "seqlens_version")


@dataclass(eq=False)
class MethodMaps:
    """The maps of one attribution method.

    method : method name (``saliency``, ``smoothgrad``, ``integrated_gradients``,
        ``expected_gradients``, ``deepshap``, ``ism`` or any other name).
    kind : ``"hypothetical"`` or ``"ism_delta"`` (see the module docstring).
    maps : variant name -> ``(N, 4, L)`` float32 map; ``"raw"`` is the method's output,
        ``"corrected"`` (gradient methods) its off-simplex correction.
    params : keyword arguments the method was called with (JSON-able).
    seconds : wall time of computing the maps, when known.
    warnings : warnings the method raised (e.g. a failed DeepSHAP summation check).
    failed_checks : the checks these maps failed, each ``{"check": name, ..., "message": ...}``
        (:meth:`seqlens.errors.UnreliableMapsWarning.record`; e.g. ``"summation_to_delta"`` with
        ``n_failed``, ``n_pairs``, ``worst_delta``). Maps with a failed check are unusable:
        studies and audits report them as failed instead of scoring them (:attr:`failed`).
    """

    method: str
    kind: Kind
    maps: dict[str, np.ndarray]
    params: dict = field(default_factory=dict)
    seconds: float | None = None
    warnings: list[str] = field(default_factory=list)
    failed_checks: list[dict] = field(default_factory=list)

    def __post_init__(self):
        if not isinstance(self.method, str) or not self.method or "/" in self.method:
            raise DataFormatError(f"method name must be a non-empty string without '/', got {self.method!r}")
        if self.kind not in KINDS:
            raise DataFormatError(f"method {self.method!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if not self.maps:
            raise DataFormatError(f"method {self.method!r} has no maps")
        checked = {}
        for variant, values in self.maps.items():
            if variant not in VARIANTS:
                raise DataFormatError(f"method {self.method!r}: variant must be one of {VARIANTS}, got {variant!r}")
            array = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values, dtype=np.float32)
            if array.ndim != 3 or array.shape[1] != 4:
                raise DataFormatError(f"method {self.method!r}, {variant} map must have shape (N, 4, L), got {array.shape}")
            if not np.isfinite(array).all():
                raise DataFormatError(f"method {self.method!r}, {variant} map contains NaN or infinite values")
            checked[variant] = np.ascontiguousarray(array)
        shapes = {a.shape for a in checked.values()}
        if len(shapes) > 1:
            raise DataFormatError(f"method {self.method!r}: variants have different shapes {sorted(shapes)}")
        self.maps = checked
        try:
            json.dumps(self.params)
        except TypeError as exc:
            raise DataFormatError(f"method {self.method!r}: params are not JSON-able: {exc}") from None
        self.warnings = [str(w) for w in self.warnings]
        if not all(isinstance(c, dict) and isinstance(c.get("check"), str) for c in self.failed_checks):
            raise DataFormatError(f"method {self.method!r}: failed_checks must be dicts with a 'check' name")
        try:
            json.dumps(self.failed_checks)
        except TypeError as exc:
            raise DataFormatError(f"method {self.method!r}: failed_checks are not JSON-able: {exc}") from None

    @property
    def failed(self) -> bool:
        """Whether these maps failed a check (:attr:`failed_checks`) and must not be scored."""
        return bool(self.failed_checks)

    def failure(self) -> str | None:
        """One line saying which checks failed and by how much, or None."""
        if not self.failed_checks:
            return None
        return "; ".join(c.get("message") or c["check"] for c in self.failed_checks).splitlines()[0]

    @property
    def reduction(self) -> Literal["sum", "l2"]:
        """How :func:`seqlens.evaluation.position_scores` turns these maps into position scores.

        The registered method's ``reduction`` (:mod:`seqlens.attribution.registry`); for a
        method the registry does not know, ``"l2"`` for ISM-delta maps and ``"sum"`` otherwise.
        """
        return reduction_of(self.method, self.kind)

    @property
    def gradient(self) -> bool:
        """Whether these are maps of a registered gradient method (gradient angles are scored on ``raw``)."""
        return is_gradient_method(self.method)


@dataclass(eq=False)
class AttributionSet:
    """Attribution maps of several methods for the same sequences, with their provenance.

    sequences : the attributed sequences (a :class:`seqlens.data.Split`: ``X`` ``(N, 4, L)``,
        labels, optional ground truth ``(N, 4, L)`` and motif sites renumbered to these rows).
    rows : ``(N,)`` int64, the row of each sequence in the source split.
    target : the model output the maps explain.
    methods : method name -> :class:`MethodMaps`, each map ``(N, 4, L)``.
    task_name, split, seed, model_dir, model_config, data_path : provenance (None when unknown).
    seqlens_version : the version that computed the maps.
    """

    sequences: Split
    rows: np.ndarray
    target: int
    methods: dict[str, MethodMaps]
    task_name: str | None = None
    split: str | None = None
    seed: int | None = None
    model_dir: str | None = None
    model_config: dict | None = None
    data_path: str | None = None
    seqlens_version: str = __version__

    def __post_init__(self):
        if not isinstance(self.sequences, Split):
            raise DataFormatError(f"sequences must be a seqlens.data.Split, got {type(self.sequences).__name__}")
        rows = np.asarray(self.rows)
        if rows.shape != (len(self.sequences),) or (rows.size and not np.issubdtype(rows.dtype, np.integer)):
            raise DataFormatError(f"rows must be {len(self.sequences)} integers, got shape {rows.shape} dtype {rows.dtype}")
        self.rows = rows.astype(np.int64)
        if isinstance(self.target, bool) or not isinstance(self.target, (int, np.integer)) or self.target < 0:
            raise DataFormatError(f"target must be an output index >= 0, got {self.target!r}")
        self.target = int(self.target)
        for name, method in self.methods.items():
            if not isinstance(method, MethodMaps) or method.method != name:
                raise DataFormatError(f"methods[{name!r}] must be a MethodMaps named {name!r}")
            shape = next(iter(method.maps.values())).shape
            if shape != self.sequences.X.shape:
                raise DataFormatError(f"method {name!r} maps have shape {shape} but X has shape {self.sequences.X.shape}")

    @property
    def X(self) -> np.ndarray:
        """One-hot sequences ``(N, 4, L)`` float32."""
        return self.sequences.X

    @property
    def ground_truth(self) -> np.ndarray | None:
        """Ground-truth sequence models ``(N, 4, L)`` float32, or None."""
        return self.sequences.ground_truth

    def iter_maps(self) -> Iterator[tuple[MethodMaps, str, np.ndarray]]:
        """Every stored map: ``(method, variant, map (N, 4, L))`` in method then variant order."""
        for method in self.methods.values():
            for variant in VARIANTS:
                if variant in method.maps:
                    yield method, variant, method.maps[variant]


def save_attributions(attributions: AttributionSet, path: str | os.PathLike) -> Path:
    """Write ``attributions`` to the HDF5 file ``path`` atomically; return the path."""
    if not isinstance(attributions, AttributionSet):
        raise DataFormatError(f"expected an AttributionSet, got {type(attributions).__name__}")
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        handle.attrs["format"] = FORMAT
        handle.attrs["format_version"] = FORMAT_VERSION
        handle.attrs["target"] = attributions.target
        for key in _PROVENANCE:
            handle.attrs[key] = json.dumps(getattr(attributions, key))
        write_split_group(handle.create_group("sequences"), attributions.sequences)
        handle.create_dataset("rows", data=attributions.rows)
        maps = handle.create_group("maps", track_order=True)  # keep the methods' order
        for name, method in attributions.methods.items():
            group = maps.create_group(name)
            group.attrs["method"] = method.method
            group.attrs["kind"] = method.kind
            group.attrs["params"] = json.dumps(method.params)
            group.attrs["seconds"] = json.dumps(method.seconds)
            group.attrs["warnings"] = json.dumps(method.warnings)
            if method.failed_checks:
                group.attrs["failed_checks"] = json.dumps(method.failed_checks)
            for variant, values in method.maps.items():
                group.create_dataset(variant, data=values, **_COMPRESSED)
    return path


def _json_attr(node, key: str, path) -> object:
    if key not in node.attrs:
        raise DataFormatError(f"{path}: {node.name} is missing attribute {key!r}")
    try:
        return json.loads(node.attrs[key])
    except (TypeError, json.JSONDecodeError):
        raise DataFormatError(f"{path}: attribute {key!r} of {node.name} is not valid JSON") from None


def _read_method(group: h5py.Group, path) -> MethodMaps:
    variants = {v: require_dataset(group, v, path)[()] for v in VARIANTS if v in group}
    unknown = sorted(set(group) - set(VARIANTS))
    if unknown:
        raise DataFormatError(f"{path}: {group.name} holds unknown variant(s) {unknown}; expected {VARIANTS}")
    if "method" not in group.attrs or "kind" not in group.attrs:
        raise DataFormatError(f"{path}: {group.name} is missing attribute 'method' or 'kind'")
    try:
        return MethodMaps(
            method=str(group.attrs["method"]),
            kind=str(group.attrs["kind"]),
            maps=variants,
            params=_json_attr(group, "params", path),
            seconds=_json_attr(group, "seconds", path),
            warnings=_json_attr(group, "warnings", path),
            failed_checks=_json_attr(group, "failed_checks", path) if "failed_checks" in group.attrs else [],
        )
    except DataFormatError as exc:
        raise DataFormatError(f"{path}: {exc}") from None


def _check_format(handle: h5py.File, path) -> None:
    fmt = file_format(handle)
    if fmt != FORMAT:
        hint = "; it is a dataset (`seqlens data info` describes it)" if fmt == "seqlens" or "X_train" in handle else ""
        raise DataFormatError(f"{path} is not a seqlens attribution file (format attribute {fmt!r}, expected {FORMAT!r}){hint}")
    version = int(handle.attrs.get("format_version", -1))
    if version != FORMAT_VERSION:
        raise DataFormatError(f"{path} has attribution format_version {version}; this seqlens reads version {FORMAT_VERSION}")


def is_attribution_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an HDF5 file whose ``format`` attribute says it is an attribution file."""
    with open_h5(path) as handle:
        return file_format(handle) == FORMAT


def attribution_file_info(path: str | os.PathLike) -> dict:
    """A JSON-ready description of an attribution file, read without loading its maps.

    Keys: ``kind`` (``"attributions"``), ``n`` and ``input_length`` (of the sequences),
    ``target``, ``has_ground_truth``, ``methods`` (method name -> stored variants) and the
    provenance attributes (``task_name``, ``split``, ``seed``, ``model_dir``, ``data_path``,
    ``seqlens_version``). Raises :class:`DataFormatError` for a file that is not one.
    """
    with open_h5(path) as handle:
        _check_format(handle, path)
        if "target" not in handle.attrs:
            raise DataFormatError(f"{path} is missing root attribute 'target'")
        x = require_dataset(handle, "sequences/X", path)
        maps = handle["maps"] if isinstance(handle.get("maps"), h5py.Group) else {}
        return {
            "kind": "attributions",
            "n": int(x.shape[0]),
            "input_length": int(x.shape[-1]),
            "target": int(handle.attrs["target"]),
            "has_ground_truth": "sequences/ground_truth" in handle,
            "methods": {name: [v for v in VARIANTS if v in group] for name, group in maps.items()},
            **{key: _json_attr(handle, key, path) for key in _PROVENANCE if key != "model_config"},
        }


def load_attributions(path: str | os.PathLike) -> AttributionSet:
    """Read an attribution file written by :func:`save_attributions` (or ``seqlens attribute``).

    Raises ``FileNotFoundError`` for a missing file and :class:`DataFormatError` for a file
    that is not an attribution file, lacks a key or holds arrays of the wrong shape.
    """
    with open_h5(path) as handle:
        _check_format(handle, path)
        if "target" not in handle.attrs:
            raise DataFormatError(f"{path} is missing root attribute 'target'")
        provenance = {key: _json_attr(handle, key, path) for key in _PROVENANCE}
        if "sequences" not in handle:
            raise DataFormatError(f"{path} is missing group '/sequences'")
        sequences = read_split_group(handle, "sequences", path)
        rows = require_dataset(handle, "rows", path)[()]
        if "maps" not in handle or not isinstance(handle["maps"], h5py.Group):
            raise DataFormatError(f"{path} is missing group '/maps'")
        methods = {name: _read_method(group, path) for name, group in handle["maps"].items()}
        try:
            return AttributionSet(
                sequences=sequences, rows=rows, target=int(handle.attrs["target"]), methods=methods, **provenance
            )
        except DataFormatError as exc:
            raise DataFormatError(f"{path}: {exc}") from None
