"""Dataset containers and the files they come from: HDF5, FASTA, BED + genome FASTA.

A :class:`SeqDataset` holds three :class:`Split` s (train, valid, test). Each split keeps
one-hot sequences ``X`` ``(N, 4, L)``, labels ``y`` ``(N, T)``, and optionally the
ground-truth sequence model ``(N, 4, L)`` (per-position probability matrix, 0.25 in
background columns) and a table of the motifs embedded in each sequence.

Two HDF5 layouts are read and written (:func:`load_h5` detects which one a file uses):

* ``"seqlens"``: groups ``/train``, ``/valid``, ``/test`` holding ``X`` (uint8 when
  strictly 0/1, else float32; gzip), ``y``, optional ``ground_truth``, optional ``names``
  and an optional ``motif_sites`` group with one dataset per table column; root
  attributes ``format="seqlens"``, ``format_version=1``, ``task_names`` and ``metadata``
  (JSON strings).
* ``"papers"``: the original research code's flat keys ``X_{split}``, ``Y_{split}`` and,
  for synthetic data, ``model_{split}`` (ground truth), all channel-first.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import h5py
import numpy as np
import pandas as pd

from .alphabet import N_POLICIES, NPolicy, as_rng, one_hot_encode, reverse_complement, validate_one_hot
from .errors import DataFormatError, SequenceError
from .io_utils import atomic_path, require_file

SPLITS = ("train", "valid", "test")
LAYOUTS = ("seqlens", "papers")
FORMAT_VERSION = 1
MOTIF_SITE_COLUMNS = ("sequence", "motif", "motif_id", "strand", "start", "end")

# A ground-truth column counts as background when every entry is within this of 0.25;
# float64 reference data converted to float32 stays far inside it.
_UNIFORM_TOL = 1e-6
# Column sums of a probability matrix may drift by float rounding (float64 -> float32).
_PROB_SUM_TOL = 1e-3

PathLike = str | os.PathLike


# ----------------------------------------------------------------------------------------
# containers


def _check_sequence_shape(shape: tuple, label: str) -> None:
    """Raise DataFormatError unless ``shape`` is ``(N, 4, L)``; spot channel-last data."""
    if len(shape) == 3 and shape[1] == 4:
        return
    if len(shape) == 3 and shape[2] == 4:
        raise DataFormatError(
            f"{label} has shape {tuple(shape)}, which looks channel-last (N, L, 4); seqlens "
            "expects channel-first (N, 4, L): transpose it with X.transpose(0, 2, 1)"
        )
    raise DataFormatError(f"{label} must have shape (N, 4, L), got {tuple(shape)}")


def _check_label_shape(shape: tuple, n: int, label: str) -> None:
    """Raise DataFormatError unless ``shape`` is ``(n,)`` or ``(n, T)``."""
    if len(shape) not in (1, 2):
        raise DataFormatError(f"{label} must have shape (N, T), got {tuple(shape)}")
    if shape[0] != n:
        raise DataFormatError(f"{label} has {shape[0]} rows but X has {n} sequences")


def _as_float32(arr, label: str) -> np.ndarray:
    try:
        return np.ascontiguousarray(np.asarray(arr, dtype=np.float32))
    except (TypeError, ValueError) as exc:
        raise DataFormatError(f"{label} is not numeric: {exc}") from None


@dataclass(eq=False)
class Split:
    """One split of a dataset.

    Attributes
    ----------
    X : ``(N, 4, L)`` float32 one-hot sequences (A, C, G, T); ``N`` columns may be all
        zeros or 0.25 everywhere.
    y : ``(N, T)`` float32 labels (multi-label allowed); a 1-D ``(N,)`` input becomes ``(N, 1)``.
    ground_truth : optional ``(N, 4, L)`` float32 per-position probability matrix.
    motif_sites : optional table with columns ``sequence`` (row index into this split),
        ``motif``, ``motif_id``, ``strand`` (``'+'``/``'-'``), ``start``, ``end``
        (end exclusive); extra columns are kept.
    names : optional ``N`` sequence names (e.g. FASTA headers).
    """

    X: np.ndarray
    y: np.ndarray
    ground_truth: np.ndarray | None = None
    motif_sites: pd.DataFrame | None = None
    names: list[str] | None = None

    def __post_init__(self):
        _check_sequence_shape(np.shape(self.X), "X")
        self.X = _as_float32(self.X, "X")
        try:
            validate_one_hot(self.X, name="X")
        except SequenceError as exc:
            raise DataFormatError(str(exc)) from None
        n, _, length = self.X.shape

        _check_label_shape(np.shape(self.y), n, "y")
        self.y = _as_float32(self.y, "y")
        if self.y.ndim == 1:
            self.y = self.y[:, None]
        if not np.isfinite(self.y).all():
            raise DataFormatError("y contains NaN or infinite values")

        if self.ground_truth is not None:
            self.ground_truth = self._checked_ground_truth(self.ground_truth)
        if self.motif_sites is not None:
            self.motif_sites = self._checked_motif_sites(self.motif_sites, n, length)
        if self.names is not None:
            self.names = [str(name) for name in self.names]
            if len(self.names) != n:
                raise DataFormatError(f"names has {len(self.names)} entries but X has {n} sequences")

    def _checked_ground_truth(self, ground_truth) -> np.ndarray:
        _check_sequence_shape(np.shape(ground_truth), "ground_truth")
        gt = _as_float32(ground_truth, "ground_truth")
        if gt.shape != self.X.shape:
            raise DataFormatError(f"ground_truth has shape {gt.shape} but X has shape {self.X.shape}")
        if not np.isfinite(gt).all():
            raise DataFormatError("ground_truth contains NaN or infinite values")
        if (gt < 0).any() or (gt > 1 + _PROB_SUM_TOL).any():
            raise DataFormatError("ground_truth holds values outside [0, 1]; expected probabilities")
        bad = np.abs(gt.sum(axis=1, dtype=np.float64) - 1) > _PROB_SUM_TOL
        if bad.any():
            n, pos = np.argwhere(bad)[0]
            raise DataFormatError(
                f"ground_truth column of sequence {n}, position {pos} sums to "
                f"{float(gt[n, :, pos].sum()):.4g}, expected 1"
            )
        return gt

    @staticmethod
    def _checked_motif_sites(sites, n: int, length: int) -> pd.DataFrame:
        if not isinstance(sites, pd.DataFrame):
            raise DataFormatError(f"motif_sites must be a pandas DataFrame, got {type(sites).__name__}")
        missing = [c for c in MOTIF_SITE_COLUMNS if c not in sites.columns]
        if missing:
            raise DataFormatError(f"motif_sites is missing columns {missing}")
        sites = sites.reset_index(drop=True).copy()
        try:
            for col in ("sequence", "start", "end"):
                sites[col] = sites[col].astype(np.int64)
        except (TypeError, ValueError) as exc:
            raise DataFormatError(f"motif_sites column {col!r} must hold integers: {exc}") from None
        for col in ("motif", "motif_id", "strand"):
            sites[col] = sites[col].astype(str)
        checks = (
            ((sites["sequence"] < 0) | (sites["sequence"] >= n), f"sequence outside [0, {n})"),
            (~sites["strand"].isin(["+", "-"]), "strand other than '+' or '-'"),
            ((sites["start"] < 0) | (sites["end"] > length), f"site outside [0, {length}]"),
            (sites["end"] <= sites["start"], "end <= start"),
        )
        for bad, what in checks:
            if bad.any():
                row = int(np.argmax(bad.to_numpy()))
                raise DataFormatError(f"motif_sites row {row} has {what}: {sites.iloc[row].to_dict()}")
        return sites

    def __len__(self) -> int:
        return self.X.shape[0]

    @property
    def n_tasks(self) -> int:
        """Number of label columns ``T``."""
        return self.y.shape[1]

    @property
    def length(self) -> int:
        """Sequence length ``L``."""
        return self.X.shape[2]

    def subset(self, index) -> Split:
        """Rows ``index`` (int, slice, boolean mask or integer array) as a new Split.

        Motif sites follow their sequences and are renumbered to the new row order; a row
        selected twice gets its sites twice.
        """
        rows = np.atleast_1d(np.arange(len(self))[index])
        sites = None
        if self.motif_sites is not None:
            new_rows = pd.DataFrame({"sequence": rows, "_new_row": np.arange(len(rows))})
            merged = new_rows.merge(self.motif_sites.reset_index(names="_old_row"), on="sequence")
            merged = merged.sort_values(["_new_row", "_old_row"], kind="stable")
            merged["sequence"] = merged["_new_row"]
            sites = merged[list(self.motif_sites.columns)].reset_index(drop=True)
        return Split(
            X=self.X[rows],
            y=self.y[rows],
            ground_truth=None if self.ground_truth is None else self.ground_truth[rows],
            motif_sites=sites,
            names=None if self.names is None else [self.names[i] for i in rows],
        )


def _json_ready(value, where: str):
    """``value`` with numpy scalars/arrays, tuples and paths turned into plain JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return _json_ready(value.tolist(), where)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise DataFormatError(f"{where} holds a {type(value).__name__}, which cannot be stored as JSON")


@dataclass(eq=False)
class SeqDataset:
    """Train, valid and test :class:`Split` s with the same length ``L`` and tasks ``T``.

    ``task_names`` defaults to ``["label"]`` for one task and ``task_0..`` otherwise;
    ``metadata`` (generator parameters, seed, source files, ...) is normalised to plain
    JSON types so it survives an HDF5 round trip unchanged.
    """

    train: Split
    valid: Split
    test: Split
    task_names: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in SPLITS:
            if not isinstance(getattr(self, name), Split):
                raise DataFormatError(f"{name} must be a Split, got {type(getattr(self, name)).__name__}")
        for name in SPLITS[1:]:
            other = getattr(self, name)
            if other.length != self.train.length or other.n_tasks != self.train.n_tasks:
                raise DataFormatError(
                    f"split {name!r} has length {other.length} and {other.n_tasks} tasks, but train "
                    f"has length {self.train.length} and {self.train.n_tasks} tasks"
                )
        if not self.task_names:
            t = self.train.n_tasks
            self.task_names = ["label"] if t == 1 else [f"task_{i}" for i in range(t)]
        self.task_names = [str(t) for t in self.task_names]
        if len(self.task_names) != self.n_tasks:
            raise DataFormatError(f"{len(self.task_names)} task names for {self.n_tasks} tasks")
        if len(set(self.task_names)) != len(self.task_names):
            raise DataFormatError(f"task names are not unique: {self.task_names}")
        if not isinstance(self.metadata, Mapping):
            raise DataFormatError(f"metadata must be a dict, got {type(self.metadata).__name__}")
        self.metadata = _json_ready(self.metadata, "metadata")

    def split(self, name: str) -> Split:
        """The split called ``name`` (``"train"``, ``"valid"`` or ``"test"``)."""
        if name not in SPLITS:
            raise DataFormatError(f"unknown split {name!r}; expected one of {SPLITS}")
        return getattr(self, name)

    @property
    def input_length(self) -> int:
        """Sequence length ``L`` shared by all splits."""
        return self.train.length

    @property
    def n_tasks(self) -> int:
        """Number of label columns ``T`` shared by all splits."""
        return self.train.n_tasks

    def summary(self) -> dict:
        """See :func:`summary`."""
        return summary(self)


# ----------------------------------------------------------------------------------------
# summary


def _background_columns(ground_truth: np.ndarray) -> np.ndarray:
    """``(N, L)`` True where a ground-truth column is uniform (information content 0)."""
    return (np.abs(ground_truth - 0.25) <= _UNIFORM_TOL).all(axis=1)


def _count_distribution(counts: np.ndarray, source: str) -> dict:
    values, freq = np.unique(counts, return_counts=True)
    return {
        "source": source,
        "mean": float(counts.mean()),
        "min": int(counts.min()),
        "max": int(counts.max()),
        "histogram": {str(int(v)): int(f) for v, f in zip(values, freq)},
    }


def _split_summary(split: Split, task_names: list[str]) -> dict:
    n = len(split)
    info = {
        "n": n,
        "length": split.length,
        "n_tasks": split.n_tasks,
        "label_balance": None,
        "has_ground_truth": split.ground_truth is not None,
        "has_motif_sites": split.motif_sites is not None,
        "motifs_per_sequence": None,
        "ground_truth_coverage": None,
    }
    if n == 0:
        return info
    positive = (split.y > 0.5).mean(axis=0)
    info["label_balance"] = {t: float(p) for t, p in zip(task_names, positive)}
    if split.motif_sites is not None:
        counts = np.bincount(split.motif_sites["sequence"].to_numpy(), minlength=n)
        info["motifs_per_sequence"] = _count_distribution(counts, "motif_sites")
    if split.ground_truth is not None:
        informative = ~_background_columns(split.ground_truth)
        info["ground_truth_coverage"] = float(informative.mean())
        if split.motif_sites is None:
            starts = informative[:, 1:] & ~informative[:, :-1]
            counts = informative[:, 0].astype(np.int64) + starts.sum(axis=1)
            info["motifs_per_sequence"] = _count_distribution(counts, "ground_truth_runs")
    return info


def summary(dataset: SeqDataset) -> dict:
    """A JSON-ready description of ``dataset`` (used by ``seqlens data info``).

    Per split: ``n``, ``length``, ``n_tasks``, ``label_balance`` (fraction of labels
    > 0.5 per task), ``motifs_per_sequence`` (mean, min, max and histogram of the number of
    embedded motifs, counted from ``motif_sites`` when present, else as runs of
    non-uniform ground-truth columns, where abutting motifs count as one run),
    ``ground_truth_coverage`` (fraction of positions whose ground-truth column has
    information content > 0, i.e. is not uniform), ``has_ground_truth`` and
    ``has_motif_sites``. Empty splits report ``None`` for the statistics.
    """
    splits = {name: _split_summary(dataset.split(name), dataset.task_names) for name in SPLITS}
    return {
        "n_sequences": sum(s["n"] for s in splits.values()),
        "input_length": dataset.input_length,
        "n_tasks": dataset.n_tasks,
        "task_names": list(dataset.task_names),
        "has_ground_truth": all(s["has_ground_truth"] for s in splits.values()),
        "splits": splits,
        "metadata": dataset.metadata,
    }


# ----------------------------------------------------------------------------------------
# HDF5


def open_h5(path: PathLike) -> h5py.File:
    """Open an HDF5 file for reading; one-line errors for a missing or non-HDF5 file."""
    path = require_file(path, "HDF5 file")
    if not h5py.is_hdf5(path):
        raise DataFormatError(f"{path} is not an HDF5 file")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise DataFormatError(f"cannot open {path} as HDF5: {exc}") from None


def _layout_of(handle: h5py.File, path: PathLike) -> str:
    fmt = handle.attrs.get("format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode()
    if fmt == "seqlens":
        return "seqlens"
    if "X_train" in handle:
        return "papers"
    raise DataFormatError(
        f"{path} is neither a seqlens dataset (no format='seqlens' attribute) nor in the papers' "
        "layout (no key 'X_train')"
    )


def h5_layout(path: PathLike) -> Literal["seqlens", "papers"]:
    """The layout of the dataset file at ``path``: ``"seqlens"`` or ``"papers"``."""
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


def _read_split(path, split_name: str, keys: tuple[str, str, str], container, extra: dict) -> Split:
    """Read the X, y and (optional) ground-truth datasets named ``keys`` from ``container``.

    Stored shapes are checked first (cheap, and the message names the key); the content
    is then validated by :class:`Split`, whose errors get the file and split prepended.
    """
    x_key, y_key, gt_key = keys
    x = require_dataset(container, x_key, path)
    y = require_dataset(container, y_key, path)
    gt = require_dataset(container, gt_key, path) if gt_key in container else None
    _check_sequence_shape(x.shape, f"{path}: {x_key}")
    _check_label_shape(y.shape, x.shape[0], f"{path}: {y_key}")
    if gt is not None and gt.shape != x.shape:
        _check_sequence_shape(gt.shape, f"{path}: {gt_key}")
        raise DataFormatError(f"{path}: {gt_key} has shape {gt.shape} but {x_key} has {x.shape}")
    try:
        return Split(X=x[()], y=y[()], ground_truth=None if gt is None else gt[()], **extra)
    except DataFormatError as exc:
        raise DataFormatError(f"{path}, split {split_name!r}: {exc}") from None


def _load_papers(handle: h5py.File, path: PathLike) -> SeqDataset:
    splits = {
        name: _read_split(path, name, (f"X_{name}", f"Y_{name}", f"model_{name}"), handle, {}) for name in SPLITS
    }
    stored_dtypes = {"X": str(handle["X_train"].dtype), "y": str(handle["Y_train"].dtype)}
    metadata = {"layout": "papers", "source_file": str(Path(path).resolve()), "stored_dtypes": stored_dtypes}
    return SeqDataset(**splits, metadata=metadata)


def _read_strings(node: h5py.Dataset) -> np.ndarray:
    return node.asstr()[()] if h5py.check_string_dtype(node.dtype) else node[()]


def read_split_group(handle: h5py.File, name: str, path: PathLike) -> Split:
    """Read the :class:`Split` stored in group ``/name`` of an open file (seqlens layout).

    The group holds ``X``, ``y``, optional ``ground_truth``, ``names`` and a ``motif_sites``
    table (one dataset per column); :func:`write_split_group` writes it.
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
    keys = (f"/{name}/X", f"/{name}/y", f"/{name}/ground_truth")
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
    ``metadata = {"layout": "papers", "source_file": ..., "stored_dtypes": ...}``.

    Raises ``FileNotFoundError`` for a missing file and :class:`DataFormatError` for a
    file that is not HDF5, lacks a key, or holds arrays of the wrong shape or content.
    """
    with open_h5(path) as handle:
        if _layout_of(handle, path) == "seqlens":
            return _load_seqlens(handle, path)
        return _load_papers(handle, path)


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
    handle.attrs["task_names"] = json.dumps(dataset.task_names)
    handle.attrs["metadata"] = json.dumps(dataset.metadata)
    for name in SPLITS:
        write_split_group(handle.create_group(name), dataset.split(name))


def write_split_group(group: h5py.Group, split: Split) -> None:
    """Write ``split`` into an open HDF5 group (the layout :func:`read_split_group` reads)."""
    _write_one_hot(group, "X", split.X)
    group.create_dataset("y", data=split.y, **_COMPRESSED)
    if split.ground_truth is not None:
        group.create_dataset("ground_truth", data=split.ground_truth, **_COMPRESSED)
    if split.names is not None:
        group.create_dataset("names", data=np.array(split.names, dtype=object), dtype=h5py.string_dtype())
    if split.motif_sites is not None:
        _write_table(group.create_group("motif_sites"), split.motif_sites)


def _save_papers(handle: h5py.File, dataset: SeqDataset) -> None:
    for name in SPLITS:
        split = dataset.split(name)
        handle.create_dataset(f"X_{name}", data=split.X, **_COMPRESSED)
        handle.create_dataset(f"Y_{name}", data=split.y, **_COMPRESSED)
        if split.ground_truth is not None:
            handle.create_dataset(f"model_{name}", data=split.ground_truth, **_COMPRESSED)


def save_h5(dataset: SeqDataset, path: PathLike, layout: Literal["seqlens", "papers"] = "seqlens") -> Path:
    """Write ``dataset`` to ``path`` atomically and return the path.

    ``layout="seqlens"`` keeps everything (names, motif table, task names, metadata);
    ``layout="papers"`` writes exactly ``X_*``, ``Y_*`` and, where a split has ground
    truth, ``model_*`` as float32, readable by the original research code.
    """
    if layout not in LAYOUTS:
        raise DataFormatError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if not isinstance(dataset, SeqDataset):
        raise DataFormatError(f"expected a SeqDataset, got {type(dataset).__name__}")
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        (_save_seqlens if layout == "seqlens" else _save_papers)(handle, dataset)
    return path


# ----------------------------------------------------------------------------------------
# FASTA


def _open_text(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def read_fasta(path: PathLike) -> list[tuple[str, str]]:
    """Read a FASTA file (optionally gzipped) into ``(name, sequence)`` records.

    Sequences may span several lines; blank lines and ``;`` comment lines are skipped.
    ``name`` is the header up to the first whitespace. Raises :class:`DataFormatError`
    for sequence text before the first header, an empty record, or a file with no records.
    """
    path = require_file(path, "FASTA file")
    records: list[tuple[str, str]] = []
    name, chunks, header_line = None, [], 0

    def finish():
        if name is not None:
            if not chunks:
                raise DataFormatError(f"{path}: record {name!r} (line {header_line}) has no sequence")
            records.append((name, "".join(chunks)))

    with _open_text(path) as handle:
        for line_no, line in enumerate(handle, start=1):
            line = line.strip()
            if not line or line.startswith(";"):
                continue
            if line.startswith(">"):
                finish()
                fields = line[1:].split(maxsplit=1)
                if not fields:
                    raise DataFormatError(f"{path}: empty header on line {line_no}")
                name, chunks, header_line = fields[0], [], line_no
            elif name is None:
                raise DataFormatError(f"{path}: line {line_no} holds sequence before the first '>' header")
            else:
                chunks.append(line)
    finish()
    if not records:
        raise DataFormatError(f"{path} holds no FASTA records")
    return records


def _window_start(start: int, end: int, length: int) -> int:
    """Start of the ``length``-long window centred on ``[start, end)`` (floor on ties)."""
    return start + (end - start - length) // 2


def _fit_length(records: list[tuple[str, str]], length: int | None, what: str) -> list[tuple[str, str]]:
    """Records with equal lengths, centre-cropped to ``length`` if given."""
    if length is None:
        first_name, first_seq = records[0]
        for name, seq in records:
            if len(seq) != len(first_seq):
                raise DataFormatError(
                    f"{what}: sequences differ in length ({first_name!r} has {len(first_seq)} nt, "
                    f"{name!r} has {len(seq)} nt); pass length= to centre-crop them"
                )
        return records
    if length < 1:
        raise DataFormatError(f"length must be >= 1, got {length}")
    out = []
    for name, seq in records:
        if len(seq) < length:
            raise DataFormatError(f"{what}: sequence {name!r} has {len(seq)} nt, shorter than length={length}")
        begin = _window_start(0, len(seq), length)
        out.append((name, seq[begin:begin + length]))
    return out


def _parse_label_row(fields: list[str], where: str) -> np.ndarray:
    try:
        values = np.array([float(v) for v in fields], dtype=np.float64)
    except ValueError:
        raise DataFormatError(f"{where}: labels {fields} are not numbers") from None
    if not np.isfinite(values).all():
        raise DataFormatError(f"{where}: labels {fields} are not finite")
    return values


def read_labels(path: PathLike) -> tuple[dict[str, np.ndarray], list[str] | None]:
    """Read a labels table: sequence name, then one column per task.

    Comma-separated for ``.csv`` files, tab-separated otherwise; ``#`` lines and blank
    lines are skipped. The first row is a header (giving task names) when its label
    fields are not numbers. Returns ``({name: (T,) float64 labels}, task_names or None)``.
    """
    path = require_file(path, "labels file")
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    labels: dict[str, np.ndarray] = {}
    task_names = None
    width = None
    with open(path, newline="") as handle:
        for line_no, fields in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
            fields = [f.strip() for f in fields]
            if not any(fields) or fields[0].startswith("#"):
                continue
            where = f"{path}, line {line_no}"
            if width is None:
                width = len(fields)
                if width < 2:
                    raise DataFormatError(f"{where}: need a name column and at least one label column")
                try:
                    [float(v) for v in fields[1:]]
                except ValueError:
                    task_names = fields[1:]
                    continue
            if len(fields) != width:
                raise DataFormatError(f"{where}: {len(fields)} columns, expected {width}")
            if fields[0] in labels:
                raise DataFormatError(f"{where}: duplicate sequence name {fields[0]!r}")
            labels[fields[0]] = _parse_label_row(fields[1:], where)
    if not labels:
        raise DataFormatError(f"{path} holds no labels")
    return labels, task_names


def _label_vector(label, where: str) -> np.ndarray:
    try:
        values = np.atleast_1d(np.asarray(label, dtype=np.float64))
    except (TypeError, ValueError):
        values = None
    if values is None or values.ndim != 1 or not np.isfinite(values).all():
        raise DataFormatError(f"{where}: label must be a finite number or a list of them, got {label!r}")
    return values


def _split_sizes(n: int, valid_fraction: float, test_fraction: float) -> tuple[int, int]:
    for what, frac in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not 0 <= frac < 1:
            raise DataFormatError(f"{what} must be in [0, 1), got {frac}")
    if valid_fraction + test_fraction >= 1:
        raise DataFormatError(
            f"valid_fraction + test_fraction must be < 1, got {valid_fraction} + {test_fraction}"
        )
    n_valid, n_test = round(n * valid_fraction), round(n * test_fraction)
    if n_valid + n_test >= n:
        raise DataFormatError(f"{n} sequences are too few for the requested valid/test fractions")
    return n_valid, n_test


def split_arrays(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str] | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int | np.random.Generator | None = None,
    task_names: list[str] | None = None,
    metadata: dict | None = None,
) -> SeqDataset:
    """Shuffle ``X`` ``(N, 4, L)`` and ``y`` ``(N, T)`` with ``seed`` and split them.

    Valid and test get ``round(N * fraction)`` sequences each; train gets the rest.
    """
    n = len(X)
    n_valid, n_test = _split_sizes(n, valid_fraction, test_fraction)
    order = as_rng(seed).permutation(n)
    bounds = {"test": order[:n_test], "valid": order[n_test:n_test + n_valid], "train": order[n_test + n_valid:]}
    whole = Split(X=X, y=y, names=names)
    return SeqDataset(
        **{name: whole.subset(rows) for name, rows in bounds.items()},
        task_names=task_names or [],
        metadata=metadata or {},
    )


def dataset_from_fasta(
    sources: PathLike | Sequence[PathLike] | Mapping[PathLike, object] | Sequence[tuple[PathLike, object]],
    labels: PathLike | None = None,
    *,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int | np.random.Generator | None = None,
    n_policy: NPolicy = "zeros",
    length: int | None = None,
    task_names: list[str] | None = None,
) -> SeqDataset:
    """Build a dataset from FASTA files.

    Two ways to give labels:

    * one FASTA per class, ``labels=None``: ``sources`` maps each FASTA file to its label
      (``{"pos.fa": 1, "neg.fa": 0}``, or a list of ``(path, label)`` pairs); a label may
      be a list of numbers for multi-label data;
    * a labels table: ``sources`` is one FASTA path or a list of them and ``labels`` a
      CSV/TSV file (see :func:`read_labels`) with a row for every record.

    All records must have the same length unless ``length`` is given, in which case
    every record is centre-cropped to ``length`` (records shorter than it are an
    error). ``N`` becomes what ``n_policy`` says; any other non-ACGT character raises
    :class:`SequenceError` naming the file, record and position. The records are shuffled
    with ``seed`` and split by ``valid_fraction`` / ``test_fraction``; names are kept.
    """
    if n_policy not in N_POLICIES:
        raise DataFormatError(f"n_policy must be one of {N_POLICIES}, got {n_policy!r}")
    if labels is None:
        if isinstance(sources, (str, os.PathLike)):
            raise DataFormatError("give labels: a {fasta: label} mapping or a labels file")
        pairs = list(sources.items()) if isinstance(sources, Mapping) else list(sources)
        if not pairs or not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
            raise DataFormatError("sources must map each FASTA file to a label, e.g. {'pos.fa': 1, 'neg.fa': 0}")
        files = [(Path(p), _label_vector(lab, f"label of {p}")) for p, lab in pairs]
        table_names = None
    else:
        paths = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
        files = [(Path(p), None) for p in paths]
        label_table, table_names = read_labels(labels)

    all_records, all_labels = [], []
    for path, file_label in files:
        records = read_fasta(path)
        for name, _ in records:
            if file_label is not None:
                all_labels.append(file_label)
            elif name in label_table:
                all_labels.append(label_table[name])
            else:
                raise DataFormatError(f"record {name!r} of {path} has no row in labels file {labels}")
        all_records.extend(records)
    widths = {len(v) for v in all_labels}
    if len(widths) > 1:
        raise DataFormatError(f"labels have different numbers of tasks: {sorted(widths)}")

    all_records = _fit_length(all_records, length, ", ".join(str(p) for p, _ in files))
    try:
        X = one_hot_encode(all_records, n_policy=n_policy)
    except SequenceError as exc:
        raise SequenceError(f"{exc} (in {', '.join(str(p) for p, _ in files)})") from None
    metadata = {
        "source": "fasta",
        "fasta_files": [str(p) for p, _ in files],
        "labels_file": None if labels is None else str(labels),
        "valid_fraction": valid_fraction,
        "test_fraction": test_fraction,
        "seed": seed if seed is None or isinstance(seed, int) else "generator",
        "n_policy": n_policy,
        "length": length,
    }
    return split_arrays(
        X,
        np.stack(all_labels),
        names=[name for name, _ in all_records],
        valid_fraction=valid_fraction,
        test_fraction=test_fraction,
        seed=seed,
        task_names=task_names or table_names,
        metadata=metadata,
    )


# ----------------------------------------------------------------------------------------
# BED + genome


def read_bed(path: PathLike) -> pd.DataFrame:
    """Read BED intervals into a table with ``chrom, start, end, name, strand, line``.

    Needs at least three columns; ``name`` (column 4) defaults to ``chrom:start-end`` and
    ``strand`` (column 6) to ``'.'``. ``track``/``browser``/``#`` lines are skipped.
    """
    path = require_file(path, "BED file")
    rows = []
    with _open_text(path) as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\r\n").split("\t")
            fields = fields if len(fields) >= 3 else line.split()
            where = f"{path}, line {line_no}"
            if len(fields) < 3:
                raise DataFormatError(f"{where}: need at least 3 columns (chrom, start, end), got {len(fields)}")
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                raise DataFormatError(f"{where}: start/end {fields[1]!r}, {fields[2]!r} are not integers") from None
            if start < 0 or end <= start:
                raise DataFormatError(f"{where}: bad interval [{start}, {end})")
            strand = fields[5].strip() if len(fields) >= 6 else "."
            if strand not in ("+", "-", "."):
                raise DataFormatError(f"{where}: strand {strand!r} is not '+', '-' or '.'")
            chrom = fields[0].strip()
            name = fields[3].strip() if len(fields) >= 4 and fields[3].strip() else f"{chrom}:{start}-{end}"
            rows.append((chrom, start, end, name, strand, line_no))
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "name", "strand", "line"])


def extract_regions(
    bed_path: PathLike,
    genome_fasta: PathLike,
    length: int | None = None,
    off_chrom: Literal["error", "skip"] = "error",
    n_policy: NPolicy = "zeros",
) -> tuple[list[str], np.ndarray]:
    """One-hot sequences of the BED regions, read from an indexed genome FASTA (pyfaidx).

    Parameters
    ----------
    bed_path : BED file (see :func:`read_bed`).
    genome_fasta : genome FASTA; pyfaidx builds a ``.fai`` index beside it if missing.
    length : resize every region to ``length`` around its centre; without it all
        regions must have the same length.
    off_chrom : a (resized) region running past either end of its chromosome raises
        :class:`DataFormatError` (``"error"``) or is dropped (``"skip"``).
    n_policy : what ``N`` in the genome becomes (see ``seqlens.alphabet.one_hot_encode``).

    Returns
    -------
    ``(names, X)``: the kept regions' names and ``(N, 4, L)`` float32 one-hot sequences;
    regions on the ``'-'`` strand are reverse-complemented. An unknown chromosome
    raises :class:`DataFormatError` naming it.
    """
    from pyfaidx import Fasta, FastaIndexingError

    if off_chrom not in ("error", "skip"):
        raise DataFormatError(f"off_chrom must be 'error' or 'skip', got {off_chrom!r}")
    if n_policy not in N_POLICIES:
        raise DataFormatError(f"n_policy must be one of {N_POLICIES}, got {n_policy!r}")
    if length is not None and length < 1:
        raise DataFormatError(f"length must be >= 1, got {length}")
    regions = read_bed(bed_path)
    genome_fasta = require_file(genome_fasta, "genome FASTA")
    records = []
    try:
        genome = Fasta(str(genome_fasta), as_raw=True)
    except (FastaIndexingError, ValueError) as exc:
        raise DataFormatError(f"cannot index genome FASTA {genome_fasta}: {exc}") from None
    with genome:
        for chrom, start, end, name, strand, line_no in regions.itertuples(index=False):
            where = f"{bed_path}, line {line_no}"
            if chrom not in genome.keys():
                raise DataFormatError(f"{where}: chromosome {chrom!r} is not in {genome_fasta}")
            if length is not None:
                start = _window_start(start, end, length)
                end = start + length
            chrom_length = len(genome[chrom])
            if start < 0 or end > chrom_length:
                if off_chrom == "skip":
                    continue
                raise DataFormatError(
                    f"{where}: region {chrom}:{start}-{end} runs off {chrom} (length {chrom_length}); "
                    "use off_chrom='skip' to drop such regions"
                )
            seq = genome[chrom][start:end]
            records.append((name, reverse_complement(seq) if strand == "-" else seq))
    if not records:
        return [], np.zeros((0, 4, length or 0), dtype=np.float32)
    records = _fit_length(records, length, str(bed_path))
    try:
        X = one_hot_encode(records, n_policy=n_policy)
    except SequenceError as exc:
        raise SequenceError(f"{exc} (in {genome_fasta})") from None
    return [name for name, _ in records], X
