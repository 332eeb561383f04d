"""Importing real sequence sets: FASTA (one file per class, a labels table or labels in the
headers), BED + genome FASTA, and HDF5 datasets, into a :class:`SeqDataset`.

What ``seqlens data import`` runs. Every importer

* checks each record's characters (A, C, G, T, U, N, either case: soft-masked lower case is
  accepted) and names the file, record and position of a bad one;
* refuses empty files, duplicate record names (within and across files) and a class with no
  sequences (in the training files or in a given test / valid split);
* fits every record to one length under an explicit policy (:func:`seqlens.data.fasta.fit_length`:
  ``crop``, ``pad`` with N, or ``error``);
* keeps given test / valid files as those splits, and otherwise splits the training records with
  the seeded :func:`seqlens.data.splits.split_rows`;
* optionally adds control negatives (:mod:`seqlens.data.controls`) split by split.

Class labels: classes are named and ordered as given. Two classes make one task named after
the first (1 = first class, 0 = second); one class (with control negatives) one task named
after it; more classes one task per class (one-hot rows).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..alphabet import N_POLICIES, NPolicy, one_hot_encode
from ..errors import DataFormatError
from .containers import SPLITS, PathLike, SeqDataset, Split
from .fasta import (
    LENGTH_POLICIES,
    _open_text,
    check_records,
    check_unique_names,
    fit_length,
    read_fasta,
    read_labels,
)
from .splits import split_rows

FileSet = PathLike | Sequence[PathLike]
ClassFiles = Mapping[str, FileSet]



def _files(value: FileSet) -> list[Path]:
    return [Path(value)] if isinstance(value, (str, os.PathLike)) else [Path(v) for v in value]


def _class_files(classes, what: str) -> dict[str, list[Path]]:
    if classes is None:
        return {}
    if not isinstance(classes, Mapping):
        raise DataFormatError(f"{what} must map class names to files, e.g. {{'oct4': 'oct4.fa'}}")
    out = {}
    for name, files in classes.items():
        name = str(name).strip()
        if not name:
            raise DataFormatError(f"{what}: empty class name")
        out[name] = _files(files)
        if not out[name]:
            raise DataFormatError(f"{what}: class {name!r} has no files")
    return out


def _check_options(length, length_policy, n_policy, valid_fraction, test_fraction) -> None:
    if length_policy not in LENGTH_POLICIES:
        raise DataFormatError(f"length_policy must be one of {', '.join(LENGTH_POLICIES)}, got {length_policy!r}")
    if n_policy not in N_POLICIES:
        raise DataFormatError(f"n_policy must be one of {', '.join(N_POLICIES)}, got {n_policy!r}")
    if length is not None and (isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1):
        raise DataFormatError(f"length must be an integer >= 1, got {length!r}")
    for what, frac in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not np.isfinite(frac) or not 0 <= frac < 1:
            raise DataFormatError(f"{what} must be in [0, 1), got {frac}")


def _class_labels(class_names: list[str], index: int) -> np.ndarray:
    if len(class_names) <= 2:
        return np.array([1.0 if index == 0 else 0.0])
    row = np.zeros(len(class_names))
    row[index] = 1.0
    return row


def _class_task_names(class_names: list[str]) -> list[str]:
    return class_names[:1] if len(class_names) <= 2 else list(class_names)


class _Pool:
    """Records of one split before encoding: names, sequences, label rows and their files."""

    def __init__(self):
        self.records: list[tuple[str, str]] = []
        self.labels: list[np.ndarray] = []
        self.sources: list[str] = []

    def add(self, records, label_rows, source) -> None:
        self.records.extend(records)
        self.labels.extend(label_rows)
        self.sources.extend([str(source)] * len(records))

    def __len__(self):
        return len(self.records)


def _read_checked(path: Path, reader) -> list[tuple[str, str]]:
    records = reader(path)
    check_records(records, path)
    return records


def _class_pools(
    train: dict[str, list[Path]], given: dict[str, dict[str, list[Path]]], reader, allow_single: bool
) -> tuple[list[str], dict[str, _Pool]]:
    """Read the class files of the training pool and of each given split."""
    class_names = list(train)
    if not class_names:
        raise DataFormatError("give at least one class with its training file(s)")
    if len(class_names) == 1 and not allow_single:
        raise DataFormatError(
            f"only one class ({class_names[0]!r}): give a second class or control negatives "
            "(shuffled_negatives / gc_matched)"
        )
    pools = {}
    for split_name, files in (("train", train), *given.items()):
        unknown = [c for c in files if c not in class_names]
        if unknown:
            raise DataFormatError(
                f"{split_name} class {unknown[0]!r} is not one of the training classes ({', '.join(class_names)})"
            )
        pool = _Pool()
        for index, name in enumerate(class_names):
            if name not in files:
                if split_name == "train" or len(class_names) > 1:
                    raise DataFormatError(
                        f"class {name!r} has no sequences in the given {split_name} split; give its {split_name} file too"
                    )
                continue
            n_before = len(pool)
            for path in files[name]:
                records = _read_checked(path, reader)
                pool.add(records, [_class_labels(class_names, index)] * len(records), path)
            if len(pool) == n_before:
                where = ", ".join(str(p) for p in files[name])
                raise DataFormatError(f"class {name!r} has no sequences in the {split_name} split ({where})")
        if not len(pool):
            raise DataFormatError(f"the given {split_name} split has no sequences")
        pools[split_name] = pool
    return class_names, pools


def _header_label(path: Path, key: str) -> dict[str, str]:
    """``{record name: value of KEY=VALUE in its header}`` of a FASTA file."""
    values = {}
    with _open_text(path) as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.startswith(">"):
                continue
            fields = line[1:].split()
            if not fields:
                continue
            found = [f.split("=", 1)[1] for f in fields[1:] if f.startswith(f"{key}=")]
            if not found:
                raise DataFormatError(f"{path}, line {line_no}: header of {fields[0]!r} has no {key}=VALUE label")
            values[fields[0]] = found[0]
    return values


def _labelled_pools(
    train: list[Path], given: dict[str, list[Path]], labels: PathLike | None, header_key: str | None, classes
) -> tuple[list[str] | None, list[str] | None, dict[str, _Pool]]:
    """Read unlabelled FASTA files whose labels come from a table or the headers."""
    table, table_tasks = read_labels(labels) if labels is not None else (None, None)
    raw: dict[str, list[tuple[list, list, Path]]] = {}
    for split_name, files in (("train", train), *given.items()):
        raw[split_name] = []
        for path in files:
            records = _read_checked(path, read_fasta)
            if table is not None:
                missing = next((n for n, _ in records if n not in table), None)
                if missing is not None:
                    raise DataFormatError(f"record {missing!r} of {path} has no row in labels file {labels}")
                values = [table[n] for n, _ in records]
            else:
                header = _header_label(path, header_key)
                values = [header[n] for n, _ in records]
            raw[split_name].append((records, values, path))
    if table is not None:
        widths = {len(v) for part in raw.values() for _, values, _ in part for v in values}
        if len(widths) > 1:
            raise DataFormatError(f"labels have different numbers of tasks: {sorted(widths)}")
        pools = {}
        for split_name, part in raw.items():
            pools[split_name] = pool = _Pool()
            for records, values, path in part:
                pool.add(records, values, path)
        return None, table_tasks, pools
    # labels in the headers: numbers are labels, anything else a class name
    all_values = [v for part in raw.values() for _, values, _ in part for v in values]
    try:
        numeric = {v: np.array([float(x) for x in v.split(",")]) for v in set(all_values)}
    except ValueError:
        numeric = None
    if numeric is not None:
        if len({len(v) for v in numeric.values()}) > 1:
            raise DataFormatError(f"{header_key}= labels have different numbers of tasks")
        pools = {}
        for split_name, part in raw.items():
            pools[split_name] = pool = _Pool()
            for records, values, path in part:
                pool.add(records, [numeric[v] for v in values], path)
        width = len(next(iter(numeric.values())))
        return None, [header_key] if width == 1 else None, pools
    seen = list(dict.fromkeys(v for _, values, _ in raw["train"] for v in values))
    class_names = list(classes) if classes else seen
    for split_name, part in raw.items():
        for records, values, path in part:
            unknown = next((v for v in values if v not in class_names), None)
            if unknown is not None:
                raise DataFormatError(f"{path}: {header_key}={unknown} is not one of the classes ({', '.join(class_names)})")
    if len(class_names) < 2:
        raise DataFormatError(f"{header_key}= labels name one class only ({class_names[0]!r})")
    pools = {}
    for split_name, part in raw.items():
        pools[split_name] = pool = _Pool()
        for records, values, path in part:
            pool.add(records, [_class_labels(class_names, class_names.index(v)) for v in values], path)
        present = {v for _, values, _ in part for v in values}
        empty = next((c for c in class_names if c not in present), None)
        if empty is not None:
            raise DataFormatError(f"class {empty!r} has no sequences in the {split_name} split ({header_key}= headers)")
    return class_names, _class_task_names(class_names), pools


def _assemble(
    pools: dict[str, _Pool],
    *,
    length,
    length_policy,
    n_policy,
    valid_fraction,
    test_fraction,
    seed,
    task_names,
    metadata,
    hint: str,
) -> SeqDataset:
    check_unique_names([(name, f"{src}, {split_name} split") for split_name, pool in pools.items()
                        for (name, _), src in zip(pool.records, pool.sources)])
    every = [r for pool in pools.values() for r in pool.records]
    what = ", ".join(dict.fromkeys(src for pool in pools.values() for src in pool.sources))
    if length is None and length_policy != "error":  # one length for every split: shortest (crop) / longest (pad)
        lengths = [len(s) for _, s in every]
        length = min(lengths) if length_policy == "crop" else max(lengths)
    if length_policy == "error":  # one check over all splits at once: the message names two records
        fit_length(every, length, length_policy, what, hint=hint)
    encoded = {}
    for split_name, pool in pools.items():
        records = fit_length(pool.records, length, length_policy, what, hint=hint)
        X = one_hot_encode(records, n_policy=n_policy)  # characters were checked per file already
        encoded[split_name] = Split(X=X, y=np.stack(pool.labels), names=[n for n, _ in records])
    splits = {}
    train = encoded.pop("train")
    split_valid = 0.0 if "valid" in encoded else valid_fraction
    split_test = 0.0 if "test" in encoded else test_fraction
    rows = split_rows(len(train), split_valid, split_test, seed)
    for split_name in SPLITS:
        splits[split_name] = encoded[split_name] if split_name in encoded else train.subset(rows[split_name])
    metadata = {
        **metadata,
        "length": int(train.length),
        "length_policy": length_policy,
        "n_policy": n_policy,
        "given_splits": sorted(encoded),
        "valid_fraction": split_valid,
        "test_fraction": split_test,
        "seed": seed if seed is None or isinstance(seed, int) else "generator",
    }
    return SeqDataset(**splits, task_names=task_names or [], metadata=metadata)


def _with_controls(dataset: SeqDataset, shuffled_negatives: bool, gc_matched, gc_bins: int, seed) -> SeqDataset:
    from .controls import add_gc_matched_negatives, add_shuffled_negatives

    rng = np.random.default_rng(seed)
    if shuffled_negatives:
        dataset = add_shuffled_negatives(dataset, seed=rng)
    if gc_matched is not None:
        dataset = add_gc_matched_negatives(dataset, gc_matched, bins=gc_bins, seed=rng)
    return dataset


def import_fasta(
    classes: ClassFiles | None = None,
    *,
    fasta: FileSet | None = None,
    labels: PathLike | None = None,
    header_label: str | None = None,
    test: ClassFiles | FileSet | None = None,
    valid: ClassFiles | FileSet | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int | np.random.Generator | None = 0,
    length: int | None = None,
    length_policy: str = "error",
    n_policy: NPolicy = "zeros",
    shuffled_negatives: bool = False,
    gc_matched: PathLike | None = None,
    gc_bins: int = 20,
) -> SeqDataset:
    """A dataset from FASTA files.

    Labels come from one of:

    * ``classes``: ``{class name: FASTA file(s)}`` (training records of each class); ``test`` /
      ``valid`` then map class names to files as well;
    * ``fasta`` (file or files) with ``labels``: a labels table (:func:`seqlens.data.read_labels`,
      a row for every record, one column per task); ``test`` / ``valid`` are files;
    * ``fasta`` with ``header_label=KEY``: each header holds ``KEY=VALUE``; numbers (comma-separated
      for several tasks) are the labels, anything else names the record's class.

    Given ``test`` / ``valid`` files are kept as those splits; the splits not given are cut
    from the training records with ``seed`` (``valid_fraction``, ``test_fraction``).
    ``length`` / ``length_policy`` fit every record to one length (see
    :func:`seqlens.data.fasta.fit_length`; without ``length`` the crop policy uses the shortest
    record, pad the longest, error requires one length). ``shuffled_negatives`` adds a
    dinucleotide-shuffled copy of every positive, ``gc_matched`` (a background FASTA)
    GC-matched negatives, split by split (:mod:`seqlens.data.controls`).
    """
    _check_options(length, length_policy, n_policy, valid_fraction, test_fraction)
    controls = bool(shuffled_negatives) or gc_matched is not None
    given_raw = {name: part for name, part in (("test", test), ("valid", valid)) if part is not None}
    if classes is not None:
        if fasta is not None or labels is not None or header_label is not None:
            raise DataFormatError("give either classes or fasta files with labels / header_label, not both")
        train = _class_files(classes, "classes")
        given = {name: _class_files(part, name) for name, part in given_raw.items()}
        class_names, pools = _class_pools(train, given, read_fasta, allow_single=controls)
        task_names = _class_task_names(class_names)
        mode = "classes"
    else:
        if fasta is None:
            raise DataFormatError("give classes ({class: FASTA}) or fasta files with labels / header_label")
        if (labels is None) == (header_label is None):
            raise DataFormatError("give labels (a labels table) or header_label (KEY of KEY=VALUE in the headers), one of them")
        for name, part in given_raw.items():
            if isinstance(part, Mapping):
                raise DataFormatError(f"{name}: give files (labels come from the labels table / headers), not classes")
        given = {name: _files(part) for name, part in given_raw.items()}
        class_names, task_names, pools = _labelled_pools(_files(fasta), given, labels, header_label, None)
        mode = "labels table" if labels is not None else "header labels"
    metadata = {
        "source": "fasta",
        "label_source": mode,
        "classes": class_names,
        "files": {split: sorted(set(pool.sources)) for split, pool in pools.items()},
        "labels_file": None if labels is None else str(labels),
        "header_label": header_label,
    }
    dataset = _assemble(
        pools, length=length, length_policy=length_policy, n_policy=n_policy, valid_fraction=valid_fraction,
        test_fraction=test_fraction, seed=seed, task_names=task_names, metadata=metadata,
        hint="pass length= and length_policy='crop' or 'pad' to fit them",
    )
    return _with_controls(dataset, shuffled_negatives, gc_matched, gc_bins, seed) if controls else dataset


def import_bed(
    classes: ClassFiles,
    genome: PathLike,
    *,
    length: int | None = None,
    test: ClassFiles | None = None,
    valid: ClassFiles | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int | np.random.Generator | None = 0,
    length_policy: str = "error",
    n_policy: NPolicy = "zeros",
    shuffled_negatives: bool = False,
    gc_matched: PathLike | None = None,
    gc_bins: int = 20,
) -> SeqDataset:
    """A dataset from BED files (one or more per class) and a genome FASTA (pyfaidx).

    With ``length`` every region is the ``length``-long window around its centre, read from
    the genome (a window running off its chromosome is an error naming the BED line);
    without it the regions' own sequences are fitted by ``length_policy`` as FASTA records
    are. Splits, classes and controls as :func:`import_fasta`.
    """
    from .bed import region_sequences

    _check_options(length, length_policy, n_policy, valid_fraction, test_fraction)
    controls = bool(shuffled_negatives) or gc_matched is not None
    train = _class_files(classes, "classes")
    given = {name: _class_files(part, name) for name, part in (("test", test), ("valid", valid)) if part is not None}

    def reader(path):
        records = region_sequences(path, genome, length=length)
        if not records:
            raise DataFormatError(f"{path} holds no BED regions")
        return records

    class_names, pools = _class_pools(train, given, reader, allow_single=controls)
    metadata = {
        "source": "bed",
        "label_source": "classes",
        "classes": class_names,
        "genome": str(genome),
        "window": "centre" if length is not None else None,
        "files": {split: sorted(set(pool.sources)) for split, pool in pools.items()},
    }
    dataset = _assemble(
        pools, length=length, length_policy=length_policy, n_policy=n_policy, valid_fraction=valid_fraction,
        test_fraction=test_fraction, seed=seed, task_names=_class_task_names(class_names), metadata=metadata,
        hint="pass length= for a window around each region's centre",
    )
    return _with_controls(dataset, shuffled_negatives, gc_matched, gc_bins, seed) if controls else dataset


def import_h5(
    path: PathLike,
    *,
    length: int | None = None,
    seed: int | np.random.Generator | None = 0,
    shuffled_negatives: bool = False,
    gc_matched: PathLike | None = None,
    gc_bins: int = 20,
) -> SeqDataset:
    """A dataset from an HDF5 file in the seqlens or the papers' layout (:func:`seqlens.data.load_h5`).

    Its splits are kept as stored; ``length``, when given, must be the stored length. Control
    negatives are added split by split (not to a dataset with ground truth, whose new rows
    would have none).
    """
    from .hdf5 import h5_layout, load_h5

    dataset = load_h5(path)
    if length is not None and length != dataset.input_length:
        raise DataFormatError(f"{path} holds sequences of length {dataset.input_length}, not length={length}; HDF5 input keeps its length")
    dataset.metadata = {**dataset.metadata, "imported_from": str(path), "imported_layout": h5_layout(path)}
    if shuffled_negatives or gc_matched is not None:
        if any(dataset.split(s).ground_truth is not None for s in SPLITS):
            raise DataFormatError(f"{path} holds a ground truth; control negatives would have none (import it without controls)")
        dataset = _with_controls(dataset, shuffled_negatives, gc_matched, gc_bins, seed)
    return dataset
