"""Dataset containers: :class:`Split` and :class:`SeqDataset`, with their shape and content checks.

A :class:`SeqDataset` holds three :class:`Split` s (train, valid, test). Each split keeps
one-hot sequences ``X`` ``(N, 4, L)``, labels ``y`` ``(N, T)``, and optionally the
ground-truth sequence model ``(N, 4, L)`` (per-position probability matrix: the background
frequencies in background columns, see :mod:`seqlens.data.ground_truth`) and a table of the
motifs embedded in each sequence.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataFormatError, SequenceError
from ..io_utils import json_ready
from ..validation import check_one_hot, check_probability_matrix, check_sequence_shape
from .ground_truth import check_background

SPLITS = ("train", "valid", "test")
MOTIF_SITE_COLUMNS = ("sequence", "motif", "motif_id", "strand", "start", "end")

PathLike = str | os.PathLike


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
    background : optional ``(4,)`` float64 nucleotide frequencies of the ground truth's
        background columns; None means uniform (0.25 each, the papers' data). Scoring
        measures information relative to it (:mod:`seqlens.data.ground_truth`).
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
    background: np.ndarray | None = None

    def __post_init__(self):
        check_sequence_shape(np.shape(self.X), "X", error=DataFormatError)
        self.X = _as_float32(self.X, "X")
        try:
            check_one_hot(self.X, name="X")
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
        self.background = check_background(self.background)
        if self.background is not None and self.ground_truth is None:
            raise DataFormatError("background frequencies describe a ground truth, but the split has none")
        if self.motif_sites is not None:
            self.motif_sites = self._checked_motif_sites(self.motif_sites, n, length)
        if self.names is not None:
            self.names = [str(name) for name in self.names]
            if len(self.names) != n:
                raise DataFormatError(f"names has {len(self.names)} entries but X has {n} sequences")

    def _checked_ground_truth(self, ground_truth) -> np.ndarray:
        check_sequence_shape(np.shape(ground_truth), "ground_truth", error=DataFormatError)
        gt = _as_float32(ground_truth, "ground_truth")
        if gt.shape != self.X.shape:
            raise DataFormatError(f"ground_truth has shape {gt.shape} but X has shape {self.X.shape}")
        return check_probability_matrix(gt, "ground_truth")

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
            background=self.background,
        )


def default_task_names(n_tasks: int) -> list[str]:
    """The names of unnamed tasks: ``["label"]`` for one task, ``task_0, task_1, ...`` otherwise."""
    return ["label"] if n_tasks == 1 else [f"task_{i}" for i in range(n_tasks)]


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
            self.task_names = default_task_names(self.train.n_tasks)
        self.task_names = [str(t) for t in self.task_names]
        if len(self.task_names) != self.n_tasks:
            raise DataFormatError(f"{len(self.task_names)} task names for {self.n_tasks} tasks")
        if len(set(self.task_names)) != len(self.task_names):
            raise DataFormatError(f"task names are not unique: {self.task_names}")
        if not isinstance(self.metadata, Mapping):
            raise DataFormatError(f"metadata must be a dict, got {type(self.metadata).__name__}")
        try:
            self.metadata = json_ready(self.metadata, "metadata")
        except TypeError as exc:
            raise DataFormatError(str(exc)) from None

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
        from .stats import summary

        return summary(self)
