"""Named datasets: ``load("irf1")`` finds the file in the data folder and checks its SHA-256.

The data folder is ``$SEQLENS_DATA`` when set, else ``~/.cache/seqlens`` (the user cache
folder of ``platformdirs`` when that package is installed). Inside it every file keeps the
path the table below gives it (``invivo/IRF1_400_h3k27ac.h5``, ...), so a folder holding
the project's shared data (``SEQLENS_DATA=../shared/data``) works as it is. seqlens never
downloads anything: when a file is missing the error says which file to put where, and
where it comes from.

Names (:data:`NAMED_DATASETS`; :func:`available_datasets` lists them with their state):

* ``irf1``, ``zbed2``: real ChIP-seq classification data of the exponential-activation
  paper (paper 002, Tasks 5 and 6): 400 nt around IRF1 / ZBED2 peaks (label 1) vs
  H3K27ac peaks (label 0), given train/valid/test splits;
* ``oct4-mafk``: 200 bp human Oct4 and Mafk ChIP-seq peaks (the files shipped in the
  PyPI package janggu, ``janggu/resources/``); one task, label 1 = Oct4, 0 = Mafk; the
  given test files are the test split, the valid split (10%) is cut from the training
  files with seed 0. GC content alone separates the two sets (AUROC about 0.77): compare
  with ``seqlens evaluate-model --controls``;
* ``regulatory-code`` (alias ``synthetic-code``), ``multitask`` (alias
  ``synthetic-multitask``): the papers' synthetic reference sets (binary regulatory code,
  12-TF multitask) regenerated with the original generator and seeds, papers' layout.

Anything that is not a name is a path: ``load("/path/file.h5")`` reads that HDF5 file
(either layout) with no checksum. :func:`data_file` resolves and checks any file of the
table, the motif files among them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataFormatError, SeqlensError

#: Environment variable naming the data folder.
DATA_ENV = "SEQLENS_DATA"


class DatasetNotFoundError(DataFormatError, FileNotFoundError):
    """A named dataset's file is not in the data folder (the message says what to put where)."""


class ChecksumError(DataFormatError):
    """A named dataset's file is there but its SHA-256 is not the expected one."""


@dataclass(frozen=True)
class NamedFile:
    """One file of the table: its path in the data folder, SHA-256, size and where it comes from."""

    path: str
    sha256: str
    size: int
    source: str


_PAPER_002_INVIVO = ("real ChIP-seq data of the exponential-activation paper (Koo & Ploenzke 2021, "
                     "Nature Machine Intelligence, Tasks 5 and 6; see docs/papers.md), as distributed "
                     "with the paper's code and data")
_JANGGU = ("shipped in the PyPI package janggu (GPL-3.0) under janggu/resources/: "
           "`pip download --no-deps janggu`, unpack the wheel (a zip file) and copy the file")
_REFERENCE = ("the papers' synthetic reference set, regenerated with the original generator and seeds "
              "(the published file is not reachable; a `seqlens simulate` set is equivalent "
              "in distribution but will not match the checksum, load it by path instead)")
_JASPAR = "a JASPAR motif file as distributed with the original papers' code (seqlens itself reads JASPAR through pyjaspar)"

#: Every known file: path inside the data folder -> NamedFile (SHA-256 of the shared copies).
FILES: dict[str, NamedFile] = {f.path: f for f in (
    NamedFile("invivo/IRF1_400_h3k27ac.h5",
              "bde3a684307494cdc4a584177f317ee6e2f9462f35a9b944f2acf85cb2d07b64", 1685323, _PAPER_002_INVIVO),
    NamedFile("invivo/ZBED2_400_h3k27ac.h5",
              "4ab4ebf246097571b8c79a0506de53b3b6a73a28dafde57f0d549bb54815705e", 2107653, _PAPER_002_INVIVO),
    NamedFile("invivo/oct4_mafk_chipseq/oct4_train.fa",
              "effef1417ad2ca12514d5a4fe72741aaada7b29c16553655c4ed84ad83640e82", 880417, _JANGGU),
    NamedFile("invivo/oct4_mafk_chipseq/oct4_test.fa",
              "8972da4ec4dd2de58f52da113eb2d5c79d1584fb2662aa3a43349e78b0b23724", 22576, _JANGGU),
    NamedFile("invivo/oct4_mafk_chipseq/mafk_train.fa",
              "0228f9e016bd91c642526136270b4efef75dc2916f906d47785fbe11c0fb94f8", 881158, _JANGGU),
    NamedFile("invivo/oct4_mafk_chipseq/mafk_test.fa",
              "014cdfc16a3b57fc98f4bf8a7885dbbdf8f9e4a6b03a381365a8ddb415f27f5f", 22590, _JANGGU),
    NamedFile("reference/synthetic_code_dataset.h5",
              "ef2d989b180f540361a9e5c7e01128bc5f297fff216ca5e0e8345f9b56400136", 17066333, _REFERENCE),
    NamedFile("reference/synthetic_dataset.h5",
              "95c68912d49a9550ad22d8f6540bf5511098894a24d399ae56ba375f9967bc68", 17832839, _REFERENCE),
    NamedFile("motifs/JASPAR_CORE_2016_vertebrates.meme",
              "496f314bca5b8911610bd7003735dcb924b5c5cc8b44631fb9c5d89c6d54f27f", 352885, _JASPAR),
    NamedFile("motifs/JASPAR2016_CORE_vertebrates_nonredundant.pfm",
              "fe2bce16056cb098da221b68c947ef080121bd14029a30f31231b89bf7396f95", 135700, _JASPAR),
    NamedFile("motifs/JASPAR2024_CORE_vertebrates_non-redundant.meme",
              "15705c226a5ed232807f68baf394c85258d12e3c3072ed9d515657233f64cf01", 468214,
              "the JASPAR2024 CORE vertebrates non-redundant motifs, written from pyjaspar's JASPAR2024"),
)}


@dataclass(frozen=True)
class NamedDataset:
    """A dataset by name: its files (paths in :data:`FILES`), how they are read, what it is."""

    name: str
    files: tuple[str, ...]
    kind: str  # "h5" (one HDF5 file) or "oct4-mafk" (two classes of FASTA files)
    description: str
    sequences: int  # in all splits together
    aliases: tuple[str, ...] = ()


_OCT4_MAFK = tuple(f"invivo/oct4_mafk_chipseq/{tf}_{part}.fa" for tf in ("oct4", "mafk") for part in ("train", "test"))

#: name -> NamedDataset.
NAMED_DATASETS: dict[str, NamedDataset] = {d.name: d for d in (
    NamedDataset("irf1", ("invivo/IRF1_400_h3k27ac.h5",), "h5",
                 "IRF1 ChIP-seq peaks vs H3K27ac peaks, 400 nt, 2724/389/779 (paper 002 Task 5)", 3892),
    NamedDataset("zbed2", ("invivo/ZBED2_400_h3k27ac.h5",), "h5",
                 "ZBED2 ChIP-seq peaks vs H3K27ac peaks, 400 nt, 3431/490/981 (paper 002 Task 6)", 4902),
    NamedDataset("oct4-mafk", _OCT4_MAFK, "oct4-mafk",
                 "Oct4 (label 1) vs Mafk (label 0) ChIP-seq peaks, 200 nt; GC alone gives AUROC ~0.77", 7997),
    NamedDataset("regulatory-code", ("reference/synthetic_code_dataset.h5",), "h5",
                 "the papers' binary regulatory-code reference set, 200 nt, 14000/2000/4000, ground truth", 20000,
                 aliases=("synthetic-code",)),
    NamedDataset("multitask", ("reference/synthetic_dataset.h5",), "h5",
                 "the papers' 12-TF multitask reference set, 200 nt, 21000/3000/6000, ground truth", 30000,
                 aliases=("synthetic-multitask",)),
)}

_ALIASES = {alias: d.name for d in NAMED_DATASETS.values() for alias in (d.name, *d.aliases)}
_VERIFIED: dict[tuple, str] = {}  # (path, size, mtime_ns) -> sha256, so a file is hashed once per process


def data_dir() -> Path:
    """The data folder: ``$SEQLENS_DATA``, else the user cache folder (``~/.cache/seqlens``)."""
    value = os.environ.get(DATA_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    try:
        import platformdirs
    except ImportError:
        return Path("~/.cache/seqlens").expanduser()
    return Path(platformdirs.user_cache_dir("seqlens"))


def _where() -> str:
    return f"the data folder {data_dir()} (${DATA_ENV}" + (")" if os.environ.get(DATA_ENV, "").strip() else ", unset)")


def sha256(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_file(path: str, verify: bool = True) -> Path:
    """The file ``path`` of :data:`FILES` (e.g. ``"invivo/IRF1_400_h3k27ac.h5"``) in the data folder.

    Raises :class:`DatasetNotFoundError` (saying where to put the file and where it comes
    from) when it is absent and :class:`ChecksumError` (expected vs found SHA-256) when
    ``verify`` and its content differs.
    """
    if path not in FILES:
        raise SeqlensError(f"unknown data file {path!r}; known: {', '.join(FILES)}")
    entry = FILES[path]
    target = data_dir() / entry.path
    if not target.is_file():
        raise DatasetNotFoundError(
            f"{Path(entry.path).name} not found: put it at {target} (in {_where()}); it is {entry.source}")
    if verify:
        stat = target.stat()
        key = (str(target.resolve()), stat.st_size, stat.st_mtime_ns)
        found = _VERIFIED.get(key) or sha256(target)
        if found != entry.sha256:
            raise ChecksumError(f"{target}: SHA-256 mismatch, expected {entry.sha256}, found {found} "
                                f"(a different or damaged copy of {Path(entry.path).name}; replace it, or load it by path)")
        _VERIFIED[key] = found
    return target


def resolve_name(name: str) -> NamedDataset | None:
    """The :class:`NamedDataset` of ``name`` (a name or alias, any case), or None."""
    key = _ALIASES.get(str(name).strip().lower())
    return NAMED_DATASETS[key] if key else None


def _looks_like_path(name: str) -> bool:
    text = str(name)
    return (os.sep in text or "/" in text or text.startswith("~")
            or Path(text).suffix.lower() in (".h5", ".hdf5", ".hdf", ".he5") or Path(text).exists())


def dataset_files(name: str, verify: bool = True) -> list[Path]:
    """The checked files of named dataset ``name`` (see :func:`data_file`); a missing-file error
    names every missing file of the dataset."""
    spec = resolve_name(name)
    if spec is None:
        raise _unknown(name)
    missing = [FILES[path] for path in spec.files if not (data_dir() / path).is_file()]
    if len(missing) > 1:
        folder = data_dir() / Path(missing[0].path).parent
        if all(data_dir() / Path(m.path).parent == folder for m in missing):
            raise DatasetNotFoundError(
                f"{spec.name}: {', '.join(Path(m.path).name for m in missing)} not found: put them in {folder} "
                f"(in {_where()}); they are {missing[0].source}")
    return [data_file(path, verify=verify) for path in spec.files]


def _unknown(name) -> SeqlensError:
    from ..validation import did_you_mean

    return SeqlensError(f"unknown dataset {str(name)!r} (known: {', '.join(NAMED_DATASETS)}; or give the path of an "
                        f"HDF5 file){did_you_mean(str(name).lower(), list(_ALIASES))}")


def load(name_or_path, verify: bool = True):
    """A :class:`seqlens.data.SeqDataset` by name (``"irf1"``, ``"zbed2"``, ``"oct4-mafk"``,
    ``"regulatory-code"``, ``"multitask"``) or from an HDF5 file path (either layout).

    A named dataset's files come from :func:`data_dir` and are checked against their
    SHA-256 (``verify=False`` skips it); its ``metadata`` records ``named_dataset``. Raises
    :class:`DatasetNotFoundError` for a missing file (saying where to put it),
    :class:`ChecksumError` for a different file, SeqlensError for an unknown name and
    FileNotFoundError / DataFormatError for a bad path.
    """
    from ..io_utils import require_file
    from .hdf5 import load_h5

    text = os.fspath(name_or_path) if isinstance(name_or_path, os.PathLike) else name_or_path
    if not isinstance(text, str):
        raise SeqlensError(f"dataset must be a name or a path, got {type(name_or_path).__name__}")
    spec = None if isinstance(name_or_path, os.PathLike) else resolve_name(text)
    if spec is None:
        if isinstance(name_or_path, os.PathLike) or _looks_like_path(text):
            return load_h5(require_file(Path(text).expanduser(), "data file"))
        raise _unknown(text)
    files = dataset_files(spec.name, verify=verify)
    if spec.kind == "h5":
        dataset = load_h5(files[0])
    else:
        from .importing import import_fasta

        by_path = dict(zip(spec.files, files))
        part = lambda tf, split: by_path[f"invivo/oct4_mafk_chipseq/{tf}_{split}.fa"]  # noqa: E731
        dataset = import_fasta({"oct4": part("oct4", "train"), "mafk": part("mafk", "train")},
                               test={"oct4": part("oct4", "test"), "mafk": part("mafk", "test")}, seed=0)
    dataset.metadata = {**dataset.metadata, "named_dataset": spec.name}
    return dataset


def available_datasets(verify: bool = False) -> list[dict]:
    """One record per named dataset: name, aliases, description, files, and whether every
    file is in the data folder (``present``; with ``verify`` also checksum-checked: ``ok``)."""
    records = []
    for spec in NAMED_DATASETS.values():
        paths = [data_dir() / FILES[p].path for p in spec.files]
        present = all(p.is_file() for p in paths)
        record = {"name": spec.name, "aliases": list(spec.aliases), "description": spec.description,
                  "files": [str(p) for p in paths], "present": present}
        if verify and present:
            try:
                for path in spec.files:
                    data_file(path)
                record["ok"] = True
            except ChecksumError as exc:
                record["ok"] = False
                record["error"] = str(exc)
        records.append(record)
    return records
