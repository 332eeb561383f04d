"""Datasets in HDF5 files.

Two HDF5 layouts are read and written (:func:`load_h5` detects which one a file uses):

* ``"seqlens"``: groups ``/train``, ``/valid``, ``/test`` holding ``X`` (uint8 when
  strictly 0/1, else float32; gzip), ``y``, optional ``ground_truth`` and its
  ``background`` frequencies ``(4,)``, optional ``names`` and an optional ``motif_sites`` group with one dataset per table column; root
  attributes ``format="seqlens"``, ``format_version=1``, ``task_names`` and ``metadata``
  (JSON strings).
* ``"papers"``: the original research code's flat keys ``X_{split}``, ``Y_{split}`` and,
  for synthetic data, ``model_{split}`` (ground truth), all channel-first; seqlens adds
  ``background_{split}`` for a non-uniform background (absent: uniform), and root
  attributes ``task_names`` and ``metadata`` (JSON strings; the original code ignores
  attributes), read back when present.

:func:`read_h5_header` describes a dataset file (layout, task names, split sizes, length)
from its keys, shapes and attributes without reading the arrays, so commands can check
their options against the data before loading it. An attribution file (``seqlens
attribute``) is recognised and refused with a message naming the command that reads it.

A third layout, ``"compact"`` (uint8 codes for datasets larger than memory), is written by
:mod:`seqlens.data.streaming`; :func:`load_h5` and :func:`read_h5_header` read it too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import h5py
import numpy as np
import pandas as pd

from ..errors import DataFormatError
from ..io_utils import atomic_path, require_file, to_json
from ..validation import check_sequence_shape
from .containers import SPLITS, PathLike, SeqDataset, Split, _check_label_shape, default_task_names

LAYOUTS = ("seqlens", "papers")
FORMAT_VERSION = 1
#: The root ``format`` attribute of an attribution file (:mod:`seqlens.attribution.io`).
ATTRIBUTION_FORMAT = "seqlens-attributions"
#: The root ``format`` attribute of a compact-layout file (:mod:`seqlens.data.streaming`).
COMPACT_FORMAT = "seqlens-compact"


def open_h5(path: PathLike) -> h5py.File:
    """Open an HDF5 file for reading; one-line errors for a missing or non-HDF5 file."""
    path = require_file(path, "HDF5 file")
    if not h5py.is_hdf5(path):
        empty = " (it is empty)" if path.stat().st_size == 0 else ""
        raise DataFormatError(f"{path} is not an HDF5 file{empty}")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise DataFormatError(f"cannot open {path} as HDF5: {exc}") from None


def file_format(handle: h5py.File) -> str | None:
    """The root ``format`` attribute of an open file (``"seqlens"``, ``"seqlens-attributions"``), or None."""
    fmt = handle.attrs.get("format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode()
    return None if fmt is None else str(fmt)


def _layout_of(handle: h5py.File, path: PathLike) -> str:
    fmt = file_format(handle)
    if fmt == "seqlens":
        return "seqlens"
    if fmt == COMPACT_FORMAT:
        return "compact"
    if fmt == ATTRIBUTION_FORMAT:
        raise DataFormatError(
            f"{path} is an attribution file (written by `seqlens attribute`), not a dataset; "
            f"`seqlens score {path}` reads it"
        )
    if "X_train" in handle:
        return "papers"
    raise DataFormatError(
        f"{path} is neither a seqlens dataset (no format='seqlens' attribute) nor in the papers' "
        "layout (no key 'X_train')"
    )


def h5_layout(path: PathLike) -> Literal["seqlens", "papers", "compact"]:
    """The layout of the dataset file at ``path``: ``"seqlens"``, ``"papers"`` or ``"compact"``."""
    with open_h5(path) as handle:
        return _layout_of(handle, path)


def require_dataset(handle: h5py.File | h5py.Group, key: str, path: PathLike) -> h5py.Dataset:
    """The array at ``key`` of an open file or group; a one-line error naming ``path`` and ``key`` if absent."""
    if key not in handle:
        raise DataFormatError(f"{path} is missing key {key!r}")
    node = handle[key]
    if not isinstance(node, h5py.Dataset):
        raise DataFormatError(f"{path}: key {key!r} is a group, expected an array")
    return node


def _read_split(path, split_name: str, keys: tuple[str, str, str, str], container, extra: dict) -> Split:
    """Read the X, y, (optional) ground-truth and background datasets named ``keys`` from ``container``.

    Stored shapes are checked first (cheap, and the message names the key); the content
    is then validated by :class:`Split`, whose errors get the file and split prepended.
    """
    x_key, y_key, gt_key, background_key = keys
    x = require_dataset(container, x_key, path)
    y = require_dataset(container, y_key, path)
    gt = require_dataset(container, gt_key, path) if gt_key in container else None
    if background_key in container:
        extra = {**extra, "background": require_dataset(container, background_key, path)[()]}
    check_sequence_shape(x.shape, f"{path}: {x_key}", error=DataFormatError)
    _check_label_shape(y.shape, x.shape[0], f"{path}: {y_key}")
    if gt is not None and gt.shape != x.shape:
        check_sequence_shape(gt.shape, f"{path}: {gt_key}", error=DataFormatError)
        raise DataFormatError(f"{path}: {gt_key} has shape {gt.shape} but {x_key} has {x.shape}")
    try:
        return Split(X=x[()], y=y[()], ground_truth=None if gt is None else gt[()], **extra)
    except DataFormatError as exc:
        raise DataFormatError(f"{path}, split {split_name!r}: {exc}") from None


def _json_attribute(handle: h5py.File, key: str, path: PathLike, kind: type):
    """Root attribute ``key`` parsed as JSON (None when absent); must be a ``kind``."""
    if key not in handle.attrs:
        return None
    text = handle.attrs[key]
    if isinstance(text, bytes):
        text = text.decode()
    try:
        value = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        raise DataFormatError(f"{path}: root attribute {key!r} is not valid JSON") from None
    if not isinstance(value, kind):
        raise DataFormatError(f"{path}: root attribute {key!r} must be a JSON {kind.__name__}, got {type(value).__name__}")
    return value


def _papers_attributes(handle: h5py.File, path: PathLike) -> tuple[list | None, dict]:
    """Task names and generator metadata a seqlens-written papers file keeps as root attributes."""
    task_names = _json_attribute(handle, "task_names", path, list)
    metadata = _json_attribute(handle, "metadata", path, dict) or {}
    return task_names, metadata


def _load_papers(handle: h5py.File, path: PathLike) -> SeqDataset:
    splits = {
        name: _read_split(path, name, (f"X_{name}", f"Y_{name}", f"model_{name}", f"background_{name}"), handle, {})
        for name in SPLITS
    }
    task_names, stored = _papers_attributes(handle, path)
    stored_dtypes = {"X": str(handle["X_train"].dtype), "y": str(handle["Y_train"].dtype)}
    metadata = {**stored, "layout": "papers", "source_file": str(Path(path).resolve()), "stored_dtypes": stored_dtypes}
    try:
        return SeqDataset(**splits, task_names=task_names or [], metadata=metadata)
    except DataFormatError as exc:
        raise DataFormatError(f"{path}: {exc}") from None


def _read_strings(node: h5py.Dataset) -> np.ndarray:
    return node.asstr()[()] if h5py.check_string_dtype(node.dtype) else node[()]


def read_split_group(handle: h5py.File, name: str, path: PathLike) -> Split:
    """Read the :class:`Split` stored in group ``/name`` of an open file (seqlens layout).

    The group holds ``X``, ``y``, optional ``ground_truth`` with its ``background``
    frequencies ``(4,)``, ``names`` and a ``motif_sites`` table (one dataset per column);
    :func:`write_split_group` writes it.
    """
    group = handle[name]
    if not isinstance(group, h5py.Group):
        raise DataFormatError(f"{path}: key '/{name}' is an array, expected a group")
    extra = {}
    if "names" in group:
        extra["names"] = list(_read_strings(group["names"]))
    if "motif_sites" in group:
        # "columns" keeps the table's column order; HDF5 lists members alphabetically.
        columns = json.loads(group["motif_sites"].attrs.get("columns", "null")) or list(group["motif_sites"])
        extra["motif_sites"] = pd.DataFrame(
            {col: _read_strings(require_dataset(handle, f"/{name}/motif_sites/{col}", path)) for col in columns},
            columns=columns,
        )
    keys = (f"/{name}/X", f"/{name}/y", f"/{name}/ground_truth", f"/{name}/background")
    return _read_split(path, name, keys, handle, extra)


def _load_seqlens(handle: h5py.File, path: PathLike) -> SeqDataset:
    version = int(handle.attrs.get("format_version", -1))
    if version != FORMAT_VERSION:
        raise DataFormatError(
            f"{path} has seqlens format_version {version}; this seqlens reads version {FORMAT_VERSION}"
        )
    try:
        task_names = json.loads(handle.attrs["task_names"])
        metadata = json.loads(handle.attrs["metadata"])
    except KeyError as exc:
        raise DataFormatError(f"{path} is missing root attribute {exc.args[0]!r}") from None
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"{path}: root attributes are not valid JSON: {exc}") from None
    splits = {}
    for name in SPLITS:
        if name not in handle:
            raise DataFormatError(f"{path} is missing key '/{name}'")
        splits[name] = read_split_group(handle, name, path)
    return SeqDataset(**splits, task_names=task_names, metadata=metadata)


def load_h5(path: PathLike) -> SeqDataset:
    """Read a dataset from HDF5, in the seqlens or the papers' layout (detected).

    Arrays come back as float32 whatever their stored dtype. Papers-layout files get
    ``metadata = {"layout": "papers", "source_file": ..., "stored_dtypes": ...}``, added to
    the generator metadata that seqlens stores in the ``metadata`` attribute of the papers
    files it writes; their ``task_names`` attribute, when present, names the tasks.

    Raises ``FileNotFoundError`` for a missing file and :class:`DataFormatError` for a
    file that is not HDF5, lacks a key, or holds arrays of the wrong shape or content.
    """
    with open_h5(path) as handle:
        layout = _layout_of(handle, path)
        if layout == "compact":
            from .streaming import load_compact

            return load_compact(handle, path)
        if layout == "seqlens":
            return _load_seqlens(handle, path)
        return _load_papers(handle, path)


@dataclass(frozen=True)
class DatasetHeader:
    """What a dataset file holds, read from its keys, shapes and attributes (no arrays).

    layout : ``"seqlens"`` or ``"papers"``.
    task_names : one name per task (the defaults of :func:`default_task_names` when the
        file names none).
    input_length : sequence length ``L``.
    sizes : split name -> number of sequences.
    has_ground_truth : split name -> whether the split stores ground truth.
    """

    layout: str
    task_names: list[str]
    input_length: int
    sizes: dict[str, int]
    has_ground_truth: dict[str, bool]

    @property
    def n_tasks(self) -> int:
        """Number of tasks (label columns)."""
        return len(self.task_names)


def read_h5_header(path: PathLike) -> DatasetHeader:
    """Describe the dataset file at ``path`` without reading its arrays (:class:`DatasetHeader`).

    Checks what :func:`load_h5` checks first (an HDF5 file in a known layout, every split's
    ``X`` and ``y`` present with shapes ``(N, 4, L)`` and ``(N,)`` / ``(N, T)``, one length
    and one number of tasks); the arrays' content is checked only when they are loaded.
    """
    with open_h5(path) as handle:
        layout = _layout_of(handle, path)
        if layout == "compact":
            from .streaming import compact_info

            info = compact_info(handle, path)
            sizes = {name: stop - start for name, (start, stop) in info["split_rows"].items()}
            return DatasetHeader(layout, info["task_names"], info["length"], sizes, {name: False for name in SPLITS})
        if layout == "seqlens":
            keys = {name: (f"/{name}/X", f"/{name}/y", f"/{name}/ground_truth") for name in SPLITS}
            for name in SPLITS:
                if name not in handle:
                    raise DataFormatError(f"{path} is missing key '/{name}'")
            names = _json_attribute(handle, "task_names", path, list)
        else:
            keys = {name: (f"X_{name}", f"Y_{name}", f"model_{name}") for name in SPLITS}
            names, _ = _papers_attributes(handle, path)
        sizes, truth, lengths, tasks = {}, {}, set(), set()
        for name, (x_key, y_key, gt_key) in keys.items():
            x = require_dataset(handle, x_key, path)
            y = require_dataset(handle, y_key, path)
            check_sequence_shape(x.shape, f"{path}: {x_key}", error=DataFormatError)
            _check_label_shape(y.shape, x.shape[0], f"{path}: {y_key}")
            sizes[name] = int(x.shape[0])
            truth[name] = gt_key in handle
            lengths.add(int(x.shape[2]))
            tasks.add(1 if len(y.shape) == 1 else int(y.shape[1]))
    if len(lengths) > 1 or len(tasks) > 1:
        raise DataFormatError(f"{path}: splits differ in sequence length {sorted(lengths)} or number of tasks {sorted(tasks)}")
    n_tasks = tasks.pop()
    task_names = [str(t) for t in names] if names else default_task_names(n_tasks)
    if len(task_names) != n_tasks:
        raise DataFormatError(f"{path}: {len(task_names)} task names for {n_tasks} tasks")
    return DatasetHeader(layout, task_names, lengths.pop(), sizes, truth)


_COMPRESSED = {"compression": "gzip", "compression_opts": 4}


def _write_one_hot(group: h5py.Group, key: str, X: np.ndarray) -> None:
    """One-hot data as uint8 when it is strictly 0/1 (lossless, ~4x smaller), else float32."""
    stored = X.astype(np.uint8) if np.isin(X, (0.0, 1.0)).all() else X
    group.create_dataset(key, data=stored, **_COMPRESSED)


def _write_table(group: h5py.Group, table: pd.DataFrame) -> None:
    columns = [str(c) for c in table.columns]
    for col in columns:
        values = table[col]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            group.create_dataset(col, data=values.to_numpy())
        elif pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values):
            group.create_dataset(col, data=values.astype(str).to_numpy(dtype=object), dtype=h5py.string_dtype())
        else:
            raise DataFormatError(f"motif_sites column {col!r} has dtype {values.dtype}, which cannot be stored")
    group.attrs["columns"] = json.dumps(columns)


def _save_seqlens(handle: h5py.File, dataset: SeqDataset) -> None:
    handle.attrs["format"] = "seqlens"
    handle.attrs["format_version"] = FORMAT_VERSION
    handle.attrs["task_names"] = to_json(dataset.task_names, "task_names")
    handle.attrs["metadata"] = to_json(dataset.metadata, "metadata")
    for name in SPLITS:
        write_split_group(handle.create_group(name), dataset.split(name))


def write_split_group(group: h5py.Group, split: Split) -> None:
    """Write ``split`` into an open HDF5 group (the layout :func:`read_split_group` reads)."""
    _write_one_hot(group, "X", split.X)
    group.create_dataset("y", data=split.y, **_COMPRESSED)
    if split.ground_truth is not None:
        group.create_dataset("ground_truth", data=split.ground_truth, **_COMPRESSED)
    if split.background is not None:
        group.create_dataset("background", data=split.background)
    if split.names is not None:
        group.create_dataset("names", data=np.array(split.names, dtype=object), dtype=h5py.string_dtype())
    if split.motif_sites is not None:
        _write_table(group.create_group("motif_sites"), split.motif_sites)


def _save_papers(handle: h5py.File, dataset: SeqDataset) -> None:
    # Attributes, not keys: the original code reads exactly the keys below and ignores them.
    handle.attrs["task_names"] = to_json(dataset.task_names, "task_names")
    handle.attrs["metadata"] = to_json(dataset.metadata, "metadata")
    for name in SPLITS:
        split = dataset.split(name)
        handle.create_dataset(f"X_{name}", data=split.X, **_COMPRESSED)
        handle.create_dataset(f"Y_{name}", data=split.y, **_COMPRESSED)
        if split.ground_truth is not None:
            handle.create_dataset(f"model_{name}", data=split.ground_truth, **_COMPRESSED)
        if split.background is not None and not np.all(split.background == 0.25):
            handle.create_dataset(f"background_{name}", data=split.background)


def save_h5(dataset: SeqDataset, path: PathLike, layout: Literal["seqlens", "papers"] = "seqlens") -> Path:
    """Write ``dataset`` to ``path`` atomically and return the path.

    ``layout="seqlens"`` keeps everything (names, motif table, task names, metadata);
    ``layout="papers"`` writes exactly ``X_*``, ``Y_*`` and, where a split has ground
    truth, ``model_*`` as float32, readable by the original research code; a non-uniform
    background adds ``background_*`` (four frequencies), which that code ignores; task
    names and metadata go into root attributes (JSON), which :func:`load_h5` reads back.
    Motif-site tables and sequence names are not kept in that layout.
    """
    if layout not in LAYOUTS:
        raise DataFormatError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if not isinstance(dataset, SeqDataset):
        raise DataFormatError(f"expected a SeqDataset, got {type(dataset).__name__}")
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        (_save_seqlens if layout == "seqlens" else _save_papers)(handle, dataset)
    return path
