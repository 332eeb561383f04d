"""Datasets from FASTA files: FASTA records, labels tables and the random train/valid/test split."""

from __future__ import annotations

import csv
import gzip
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..alphabet import N_POLICIES, NPolicy, one_hot_encode
from ..errors import DataFormatError, SequenceError
from ..io_utils import require_file
from .containers import PathLike, SeqDataset
from .splits import split_arrays


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


#: What ``fit_length`` does with a record that is not ``length`` long.
LENGTH_POLICIES = ("crop", "pad", "error")

_ALLOWED = re.compile(r"[^ACGTUNacgtun]")


def check_records(records: Sequence[tuple[str, str]], source: PathLike) -> None:
    """Raise :class:`SequenceError` naming ``source``, the record and the position of the
    first character that is not A, C, G, T (U) or N (either case: soft-masked lower case is
    accepted)."""
    for name, seq in records:
        bad = _ALLOWED.search(seq)
        if bad is not None:
            raise SequenceError(
                f"{source}: invalid character {bad.group()!r} in record {name!r} at position {bad.start()}"
            )


def check_unique_names(named_sources: Sequence[tuple[str, PathLike]]) -> None:
    """Raise :class:`DataFormatError` at the first record name given twice (``(name, source)`` pairs)."""
    seen: dict[str, PathLike] = {}
    for name, source in named_sources:
        if name in seen:
            also = "" if str(seen[name]) == str(source) else f" (first in {seen[name]})"
            raise DataFormatError(f"{source}: duplicate record name {name!r}{also}")
        seen[name] = source


def fit_length(
    records: list[tuple[str, str]],
    length: int | None = None,
    policy: str = "error",
    what: str = "sequences",
    hint: str = "pass length= and length_policy='crop' or 'pad' to fit them",
) -> list[tuple[str, str]]:
    """Records of one length under an explicit policy.

    * ``"error"``: every record must be ``length`` long (without ``length``: as long as the
      first record); otherwise :class:`DataFormatError` names the record;
    * ``"crop"``: longer records are centre-cropped (window start ``(len - length) // 2``);
      a shorter record is an error naming it; without ``length``, the shortest record's length;
    * ``"pad"``: longer records are centre-cropped, shorter ones padded with ``N`` on both
      sides (the extra ``N`` on the right); without ``length``, the longest record's length.
    """
    if policy not in LENGTH_POLICIES:
        raise DataFormatError(f"length policy must be one of {', '.join(LENGTH_POLICIES)}, got {policy!r}")
    if not records:
        return records
    if length is not None and (isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1):
        raise DataFormatError(f"length must be an integer >= 1, got {length!r}")
    if policy == "error":
        first_name, first_seq = records[0]
        for name, seq in records:
            if length is None and len(seq) != len(first_seq):
                raise DataFormatError(
                    f"{what}: sequences differ in length ({first_name!r} has {len(first_seq)} nt, "
                    f"{name!r} has {len(seq)} nt); {hint}"
                )
            if length is not None and len(seq) != length:
                raise DataFormatError(f"{what}: sequence {name!r} has {len(seq)} nt, not length={length}; {hint}")
        return records
    if length is None:
        lengths = [len(seq) for _, seq in records]
        length = min(lengths) if policy == "crop" else max(lengths)
    out = []
    for name, seq in records:
        if len(seq) < length:
            if policy == "crop":
                raise DataFormatError(
                    f"{what}: sequence {name!r} has {len(seq)} nt, shorter than length={length} "
                    "(length_policy='pad' pads it with N)"
                )
            left = (length - len(seq)) // 2
            seq = "N" * left + seq + "N" * (length - len(seq) - left)
        elif len(seq) > length:
            begin = _window_start(0, len(seq), length)
            seq = seq[begin:begin + length]
        out.append((name, seq))
    return out


def _fit_length(records: list[tuple[str, str]], length: int | None, what: str) -> list[tuple[str, str]]:
    """Records with equal lengths, centre-cropped to ``length`` if given (:func:`fit_length`)."""
    if length is None:
        return fit_length(records, None, "error", what, hint="pass length= to centre-crop them")
    if length < 1:
        raise DataFormatError(f"length must be >= 1, got {length}")
    return fit_length(records, length, "crop", what)


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
