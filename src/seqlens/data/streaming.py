"""Datasets larger than memory: the compact HDF5 layout and streamed splits.

The compact layout (root attribute ``format="seqlens-compact"``, ``format_version=1``)
stores a dataset as

* ``codes`` ``(N, L)`` uint8: A, C, G, T = 0..3, N = 4, chunked ``(chunk_rows, L)``
  (1024 rows by default), gzip (default), lzf or uncompressed;
* ``labels`` ``(N, T)`` float32, chunked ``(chunk_rows, T)``;
* ``split`` ``(N,)`` uint8: the split code of each row (0 train, 1 valid, 2 test, the order
  of ``SPLITS``). Rows are stored split by split (train rows, then valid, then test), so a
  split is one contiguous row range; the root attribute ``split_rows`` (JSON
  ``{"train": [start, stop], ...}``) names the ranges and the per-row codes check them;
* root attributes ``task_names``, ``metadata`` (JSON), ``n_policy`` (what code 4 becomes:
  ``"zeros"``, an all-zero column, the package's default, or ``"uniform"``, 0.25 in each
  channel), ``length``, ``chunk_rows``, ``compression`` and the provenance: ``source`` (the
  file converted, or what generated it), ``seqlens_version`` and ``checksum`` (``sha256:``
  of the codes bytes then the float32 labels bytes, in row order), with one such checksum per
  split in ``split_checksums`` (JSON).

Ground truth, background frequencies, sequence names and motif tables are not kept: the
layout is for large measured sets. A file is written by :class:`CompactWriter` (rows in
blocks, never the whole file in memory) or converted by :func:`convert_to_compact` (what
``seqlens data convert`` runs) from a seqlens or papers'-layout file, ``chunk_rows`` rows
of the float input at a time. :func:`seqlens.data.load_h5` loads a compact file fully
into a :class:`SeqDataset` (the small case); :func:`open_streaming` opens one split as a
:class:`StreamingSplit`, which yields one-hot float32 batches made from the codes per batch
(on the device with ``F.one_hot`` when one is given), with chunk-aligned block shuffling
through a shuffle buffer. :func:`seqlens.training.fit` takes a streaming split as training
and validation data; :func:`attribute_blocks` runs an attribution method block by block.

torch is imported only when a batch is asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from ..errors import DataFormatError
from ..io_utils import atomic_path, check_output_file, to_json
from .containers import SPLITS, PathLike, SeqDataset, Split, default_task_names

COMPACT_FORMAT = "seqlens-compact"
COMPACT_VERSION = 1
DEFAULT_CHUNK_ROWS = 1024
COMPRESSIONS = ("gzip", "lzf", "none")
N_CODE = 4
_N_POLICIES = ("zeros", "uniform")


def _seqlens_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("seqlens")
    except PackageNotFoundError:  # pragma: no cover - source checkout without metadata
        return "unknown"


# ---------------------------------------------------------------------------------------
# codes <-> one-hot


def one_hot_to_codes(X: np.ndarray, name: str = "X") -> tuple[np.ndarray, str | None]:
    """Codes ``(N, L)`` uint8 of one-hot ``(N, 4, L)`` and the N policy its N columns follow.

    A column exactly one-hot becomes 0..3, an all-zero or all-0.25 column 4 (N); the
    policy is ``"zeros"`` / ``"uniform"`` (None when there is no N). Anything else (soft
    values, both kinds of N column) raises :class:`DataFormatError` naming row and position:
    the compact layout stores only codes.
    """
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[1] != 4:
        raise DataFormatError(f"{name} must have shape (N, 4, L), got {tuple(X.shape)}")
    codes = np.full((X.shape[0], X.shape[2]), N_CODE, dtype=np.uint8)
    hot = np.zeros(codes.shape, dtype=bool)
    for c in range(4):
        is_c = X[:, c] == 1
        for o in range(4):
            if o != c:
                is_c &= X[:, o] == 0
        codes[is_c] = c
        hot |= is_c
    zeros = ~hot & (X == 0).all(axis=1)
    uniform = ~hot & (X == 0.25).all(axis=1)
    bad = ~(hot | zeros | uniform)
    if bad.any():
        row, pos = (int(i[0]) for i in np.nonzero(bad))
        raise DataFormatError(
            f"{name} row {row} position {pos} is neither one-hot nor an N column (all zeros or 0.25): "
            f"{X[row, :, pos].tolist()}; the compact layout stores nucleotide codes only"
        )
    if zeros.any() and uniform.any():
        raise DataFormatError(f"{name} has both all-zero and 0.25 N columns; the compact layout keeps one N policy")
    policy = "uniform" if uniform.any() else "zeros" if zeros.any() else None
    return codes, policy


def codes_to_one_hot(codes: np.ndarray, n_policy: str = "zeros", dtype=np.float32) -> np.ndarray:
    """One-hot ``(N, 4, L)`` of codes ``(N, L)`` (0..3 = A, C, G, T; 4 = N, all zeros or 0.25)."""
    codes = np.asarray(codes)
    out = np.empty((codes.shape[0], 4, codes.shape[1]), dtype=dtype)
    for c in range(4):
        np.equal(codes, c, out=out[:, c], casting="unsafe")
    if n_policy == "uniform":
        rows, cols = np.nonzero(codes == N_CODE)
        out[rows, :, cols] = 0.25
    return out


def codes_to_tensor(codes, n_policy: str = "zeros", device=None):
    """One-hot float32 tensor ``(B, 4, L)`` from codes ``(B, L)`` made on ``device`` (``F.one_hot``)."""
    import torch
    import torch.nn.functional as F

    codes = torch.as_tensor(codes).to(device, non_blocking=True).long()
    out = F.one_hot(codes, 5)[..., :4].permute(0, 2, 1).to(torch.float32).contiguous()
    if n_policy == "uniform":
        out.masked_fill_((codes == N_CODE).unsqueeze(1), 0.25)
    return out


# ---------------------------------------------------------------------------------------
# writing


def _compression_args(compression: str | None) -> dict:
    if compression in (None, "none"):
        return {}
    if compression == "gzip":
        return {"compression": "gzip", "compression_opts": 4}
    if compression == "lzf":
        return {"compression": "lzf"}
    raise DataFormatError(f"compression must be one of {', '.join(COMPRESSIONS)}, got {compression!r}")


class CompactWriter:
    """Write a compact-layout file block by block (atomically: a temporary file, then replaced).

    ``with CompactWriter(path, length, task_names) as w: w.write("train", codes, labels)``;
    splits come in the order train, valid, test (each any number of blocks; a split may be
    empty); ``write_one_hot`` takes float one-hot blocks instead of codes.
    """

    def __init__(self, path: PathLike, length: int, task_names: list[str] | int, *, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                 compression: str | None = "gzip", n_policy: str = "zeros", metadata: dict | None = None,
                 source: str = "seqlens"):
        if not isinstance(chunk_rows, int) or chunk_rows < 1:
            raise DataFormatError(f"chunk_rows must be an integer >= 1, got {chunk_rows}")
        if n_policy not in _N_POLICIES:
            raise DataFormatError(f"n_policy must be one of {_N_POLICIES}, got {n_policy!r}")
        self.path = check_output_file(path, "compact dataset file")
        self.length = int(length)
        self.task_names = default_task_names(task_names) if isinstance(task_names, int) else [str(t) for t in task_names]
        self.chunk_rows, self.n_policy = chunk_rows, n_policy
        self.compression = compression or "none"
        self._comp = _compression_args(compression)
        self.metadata, self.source = dict(metadata or {}), str(source)
        self._n = 0
        self._current = 0  # index into SPLITS of the split being written
        self._rows = {name: [0, 0] for name in SPLITS}
        self._started: set[str] = set()
        self._hash = hashlib.sha256()
        self._split_hash = {name: (hashlib.sha256(), hashlib.sha256()) for name in SPLITS}
        self._atomic = None

    def __enter__(self) -> CompactWriter:
        self._atomic = atomic_path(self.path)
        tmp = self._atomic.__enter__()
        self._file = h5py.File(tmp, "w")
        n_tasks, rows = len(self.task_names), min(self.chunk_rows, 2**31)
        self._codes = self._file.create_dataset("codes", shape=(0, self.length), maxshape=(None, self.length), dtype=np.uint8,
                                                chunks=(rows, self.length), **self._comp)
        self._labels = self._file.create_dataset("labels", shape=(0, n_tasks), maxshape=(None, n_tasks), dtype=np.float32,
                                                 chunks=(rows, max(n_tasks, 1)), **self._comp)
        self._split = self._file.create_dataset("split", shape=(0,), maxshape=(None,), dtype=np.uint8, chunks=(rows,), **self._comp)
        return self

    def write(self, split: str, codes, labels) -> None:
        """Append rows of ``split``: codes ``(B, L)`` (0..4) and labels ``(B, T)`` (or ``(B,)``)."""
        if split not in SPLITS:
            raise DataFormatError(f"unknown split {split!r}; expected one of {SPLITS}")
        index = SPLITS.index(split)
        if index < self._current:
            raise DataFormatError(f"rows of split {split!r} after those of {SPLITS[self._current]!r}; write train, valid, test in order")
        codes = np.asarray(codes)
        labels = np.asarray(labels, dtype=np.float32)
        if labels.ndim == 1:
            labels = labels[:, None]
        if codes.ndim != 2 or codes.shape[1] != self.length:
            raise DataFormatError(f"codes must have shape (B, {self.length}), got {tuple(codes.shape)}")
        if labels.shape != (codes.shape[0], len(self.task_names)):
            raise DataFormatError(f"labels must have shape ({codes.shape[0]}, {len(self.task_names)}), got {tuple(labels.shape)}")
        if codes.size and (codes.min() < 0 or codes.max() > N_CODE):
            raise DataFormatError("codes must lie in 0..4 (A, C, G, T, N)")
        if not np.isfinite(labels).all():
            raise DataFormatError(f"labels of split {split!r} contain NaN or infinite values")
        for name in SPLITS[self._current : index + 1]:  # a split skipped is empty, here
            if name not in self._started:
                self._rows[name] = [self._n, self._n]
                self._started.add(name)
        self._current = index
        codes = np.ascontiguousarray(codes, dtype=np.uint8)
        labels = np.ascontiguousarray(labels)
        b, start = codes.shape[0], self._n
        for node, block in ((self._codes, codes), (self._labels, labels), (self._split, np.full(b, index, np.uint8))):
            node.resize(start + b, axis=0)
            node[start:] = block
        self._n += b
        self._rows[split][1] = self._n
        self._hash.update(codes.data)
        self._hash.update(labels.data)
        self._split_hash[split][0].update(codes.data)
        self._split_hash[split][1].update(labels.data)

    def write_one_hot(self, split: str, X, labels) -> None:
        """Append float one-hot rows ``(B, 4, L)`` (N columns must follow this file's ``n_policy``)."""
        codes, policy = one_hot_to_codes(X, f"{split} X")
        if policy is not None and policy != self.n_policy:
            raise DataFormatError(f"{split} X has {policy} N columns but the file's n_policy is {self.n_policy!r}")
        self.write(split, codes, labels)

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                for name in SPLITS:
                    if name not in self._started:
                        self._rows[name] = [self._n, self._n]
                attrs = self._file.attrs
                attrs["format"] = COMPACT_FORMAT
                attrs["format_version"] = COMPACT_VERSION
                attrs["task_names"] = to_json(self.task_names, "task_names")
                attrs["metadata"] = to_json(self.metadata, "metadata")
                attrs["n_policy"] = self.n_policy
                attrs["length"] = self.length
                attrs["chunk_rows"] = self.chunk_rows
                attrs["compression"] = self.compression
                attrs["split_rows"] = json.dumps(self._rows)
                attrs["source"] = self.source
                attrs["seqlens_version"] = _seqlens_version()
                attrs["checksum"] = "sha256:" + self._hash.hexdigest()
                attrs["split_checksums"] = json.dumps(
                    {n: {"codes": c.hexdigest(), "labels": y.hexdigest()} for n, (c, y) in self._split_hash.items()}
                )
        finally:
            self._file.close()
            self._atomic.__exit__(exc_type, exc, tb)
        return False


def save_compact(dataset: SeqDataset, path: PathLike, *, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                 compression: str | None = "gzip", source: str = "SeqDataset") -> Path:
    """Write an in-memory :class:`SeqDataset` in the compact layout (ground truth is not kept)."""
    policies = set()
    encoded = {}
    for name in SPLITS:
        codes, policy = one_hot_to_codes(dataset.split(name).X, f"{name} X")
        encoded[name] = codes
        policies.discard(None)
        if policy:
            policies.add(policy)
    if len(policies) > 1:
        raise DataFormatError("the splits mix all-zero and 0.25 N columns; the compact layout keeps one N policy")
    with CompactWriter(path, dataset.input_length, dataset.task_names, chunk_rows=chunk_rows, compression=compression,
                       n_policy=policies.pop() if policies else "zeros", metadata=dataset.metadata, source=source) as writer:
        for name in SPLITS:
            writer.write(name, encoded[name], dataset.split(name).y)
    return Path(path)


def _input_blocks(handle: h5py.File, layout: str, name: str, block: int):
    x_key, y_key = (f"/{name}/X", f"/{name}/y") if layout == "seqlens" else (f"X_{name}", f"Y_{name}")
    X, y = handle[x_key], handle[y_key]
    for start in range(0, X.shape[0], block):
        yield start, X[start : start + block], y[start : start + block]


def convert_to_compact(source: PathLike, out: PathLike, *, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                       compression: str | None = "gzip") -> Path:
    """Convert a seqlens- or papers'-layout dataset file to the compact layout, in blocks.

    The input is read ``chunk_rows`` rows at a time (the float one-hot of the whole file is
    never in memory); its shapes are checked first (:func:`read_h5_header`), each block's
    content as it is converted (one-line :class:`DataFormatError` naming split, row and
    position). The N policy is the one the input's N columns follow (``"zeros"`` when it has
    none). Ground truth, names and motif tables are dropped.
    """
    from .hdf5 import _json_attribute, _layout_of, open_h5, read_h5_header

    header = read_h5_header(source)
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise DataFormatError(f"chunk_rows must be an integer >= 1, got {chunk_rows}")
    _compression_args(compression)
    check_output_file(out, "compact dataset file")
    source = Path(source)
    with open_h5(source) as handle:
        layout = _layout_of(handle, source)
        metadata = _json_attribute(handle, "metadata", source, dict) or {}
        # the N policy is fixed by the first N column seen (a first pass would double the reads)
        policy = None
        writer = CompactWriter(out, header.input_length, header.task_names, chunk_rows=chunk_rows, compression=compression,
                               metadata={**metadata, "converted_from": {"file": str(source.resolve()), "layout": layout}},
                               source=str(source.resolve()))
        with writer:
            for name in SPLITS:
                for start, X, y in _input_blocks(handle, layout, name, chunk_rows):
                    try:
                        codes, found = one_hot_to_codes(X, f"{name} X")
                    except DataFormatError as exc:
                        raise DataFormatError(f"{source}, split {name!r}, rows from {start}: {exc}") from None
                    if found is not None:
                        if policy is None:
                            policy = writer.n_policy = found
                        elif found != policy:
                            raise DataFormatError(f"{source}, split {name!r}: both all-zero and 0.25 N columns; one N policy only")
                    try:
                        writer.write(name, codes, y)
                    except DataFormatError as exc:
                        raise DataFormatError(f"{source}, split {name!r}: {exc}") from None
    return Path(out)


# ---------------------------------------------------------------------------------------
# reading


def is_compact(handle: h5py.File) -> bool:
    fmt = handle.attrs.get("format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode()
    return fmt == COMPACT_FORMAT


def _attr_text(handle, key: str, path) -> str:
    if key not in handle.attrs:
        raise DataFormatError(f"{path} is missing root attribute {key!r}")
    value = handle.attrs[key]
    return value.decode() if isinstance(value, bytes) else str(value)


def compact_info(handle: h5py.File, path: PathLike) -> dict:
    """The compact file's header: checked keys, shapes and attributes (no arrays read)."""
    version = int(handle.attrs.get("format_version", -1))
    if version != COMPACT_VERSION:
        raise DataFormatError(f"{path} has compact format_version {version}; this seqlens reads version {COMPACT_VERSION}")
    for key in ("codes", "labels", "split"):
        if key not in handle or not isinstance(handle[key], h5py.Dataset):
            raise DataFormatError(f"{path} is missing key {key!r}")
    codes, labels = handle["codes"], handle["labels"]
    if codes.ndim != 2 or codes.dtype != np.uint8:
        raise DataFormatError(f"{path}: codes must be (N, L) uint8, got {codes.shape} {codes.dtype}")
    if labels.ndim != 2 or labels.shape[0] != codes.shape[0]:
        raise DataFormatError(f"{path}: labels has shape {labels.shape} but codes has {codes.shape[0]} rows")
    try:
        task_names = json.loads(_attr_text(handle, "task_names", path))
        metadata = json.loads(_attr_text(handle, "metadata", path))
        rows = json.loads(_attr_text(handle, "split_rows", path))
        checksums = json.loads(handle.attrs.get("split_checksums", "{}"))
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"{path}: root attributes are not valid JSON: {exc}") from None
    n_policy = _attr_text(handle, "n_policy", path)
    if n_policy not in _N_POLICIES:
        raise DataFormatError(f"{path}: n_policy must be one of {_N_POLICIES}, got {n_policy!r}")
    if len(task_names) != labels.shape[1]:
        raise DataFormatError(f"{path}: {len(task_names)} task names for {labels.shape[1]} tasks")
    if not isinstance(rows, dict) or set(rows) != set(SPLITS):
        raise DataFormatError(f"{path}: split_rows must name {list(SPLITS)}")
    for name in SPLITS:
        start, stop = rows[name]
        if not 0 <= start <= stop <= codes.shape[0]:
            raise DataFormatError(f"{path}: split {name!r} rows [{start}, {stop}) outside the file's {codes.shape[0]} rows")
    return {
        "task_names": [str(t) for t in task_names], "metadata": metadata, "n_policy": n_policy,
        "split_rows": {n: (int(a), int(b)) for n, (a, b) in rows.items()}, "split_checksums": checksums,
        "length": int(codes.shape[1]), "n_rows": int(codes.shape[0]), "n_tasks": int(labels.shape[1]),
        "chunk_rows": int(codes.chunks[0]) if codes.chunks else DEFAULT_CHUNK_ROWS,
        "provenance": {k: _attr_text(handle, k, path) for k in ("source", "seqlens_version", "checksum") if k in handle.attrs},
    }


def load_compact(handle: h5py.File, path: PathLike) -> SeqDataset:
    """The whole compact file as a :class:`SeqDataset` (what :func:`load_h5` returns for one)."""
    info = compact_info(handle, path)
    splits = {}
    for name in SPLITS:
        start, stop = info["split_rows"][name]
        codes = handle["codes"][start:stop]
        if codes.size and codes.max() > N_CODE:
            raise DataFormatError(f"{path}: split {name!r} holds codes above 4")
        try:
            splits[name] = Split(X=codes_to_one_hot(codes, info["n_policy"]), y=handle["labels"][start:stop])
        except DataFormatError as exc:
            raise DataFormatError(f"{path}, split {name!r}: {exc}") from None
    metadata = {**info["metadata"], "layout": "compact", "source_file": str(Path(path).resolve()),
                "provenance": info["provenance"]}
    return SeqDataset(**splits, task_names=info["task_names"], metadata=metadata)


class StreamingSplit:
    """One split of a compact-layout file, read block by block (never whole).

    Iterating yields ``(X, y)`` batches: ``X`` one-hot float32 ``(B, 4, L)`` made from the
    uint8 codes per batch (on ``device`` when given, with ``F.one_hot`` there), ``y``
    float32 ``(B, T)``. With ``shuffle`` the file's chunk-aligned blocks (a chunk of
    ``chunk_rows`` rows, cut at the split's ends) are permuted, then ``buffer_blocks`` blocks
    at a time are read into a shuffle buffer whose rows are permuted; the order depends only
    on ``seed`` and the epoch (:meth:`order`). The HDF5 handle is opened lazily, once per
    process, and not pickled: a copy sent to a worker (DataLoader, multiprocessing) reopens
    the file; :meth:`torch_dataset` wraps it for a torch DataLoader whose workers each read
    their share of the shuffle buffers.
    """

    def __init__(self, path: PathLike, split: str = "train", *, batch_size: int = 100, shuffle: bool = False,
                 seed: int = 0, buffer_blocks: int = 8, device=None, drop_last: bool = False):
        from .hdf5 import open_h5

        if split not in SPLITS:
            raise DataFormatError(f"unknown split {split!r}; expected one of {SPLITS}")
        for label, value, low in (("batch_size", batch_size, 1), ("buffer_blocks", buffer_blocks, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise DataFormatError(f"{label} must be an integer >= {low}, got {value}")
        self.path = Path(path)
        with open_h5(self.path) as handle:
            if not is_compact(handle):
                raise DataFormatError(f"{self.path} is not in the compact layout; convert it with `seqlens data convert {self.path} OUT`")
            info = compact_info(handle, self.path)
        self.split = split
        self.start, self.stop = info["split_rows"][split]
        self.length, self.n_tasks = info["length"], info["n_tasks"]
        self.n_policy, self.chunk_rows = info["n_policy"], info["chunk_rows"]
        self.task_names, self.provenance = info["task_names"], info["provenance"]
        self._checksums = info["split_checksums"].get(split, {})
        self.batch_size, self.shuffle, self.seed = batch_size, bool(shuffle), int(seed)
        self.buffer_blocks, self.device, self.drop_last = buffer_blocks, device, drop_last
        self._handle, self._pid = None, None

    # -- the file handle, per process ------------------------------------------------------
    def _file(self) -> h5py.File:
        if self._handle is None or self._pid != os.getpid():
            self._handle, self._pid = h5py.File(self.path, "r"), os.getpid()
        return self._handle

    def close(self) -> None:
        if self._handle is not None and self._pid == os.getpid():
            self._handle.close()
        self._handle = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_handle"], state["_pid"] = None, None
        return state

    def __len__(self) -> int:
        return self.stop - self.start

    def __repr__(self) -> str:
        return f"StreamingSplit({str(self.path)!r}, {self.split!r}, rows={len(self)}, length={self.length}, tasks={self.n_tasks})"

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self), 4, self.length)

    def with_options(self, **options) -> StreamingSplit:
        """A copy with other batch_size / shuffle / seed / buffer_blocks / device / drop_last."""
        import copy

        new = copy.copy(self)
        new._handle, new._pid = None, None
        for key, value in options.items():
            if key not in ("batch_size", "shuffle", "seed", "buffer_blocks", "device", "drop_last"):
                raise DataFormatError(f"unknown streaming option {key!r}")
            setattr(new, key, value)
        return new

    # -- reading ----------------------------------------------------------------------------
    def read_codes(self, start: int, stop: int) -> np.ndarray:
        """Codes ``(stop - start, L)`` of the split's rows ``[start, stop)``."""
        return self._file()["codes"][self.start + start : self.start + stop]

    def read(self, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One-hot float32 ``X`` and labels ``y`` of the split's rows ``[start, stop)`` (numpy)."""
        stop = len(self) if stop is None else min(stop, len(self))
        codes = self.read_codes(start, stop)
        return codes_to_one_hot(codes, self.n_policy), self._file()["labels"][self.start + start : self.start + stop]

    def labels(self):
        """All labels ``(N, T)`` float32 (numpy; small next to the sequences)."""
        return self._file()["labels"][self.start : self.stop]

    def to_split(self) -> Split:
        """The whole split in memory (a :class:`Split`): only for splits that fit."""
        return Split(*self.read())

    def blocks(self) -> list[tuple[int, int]]:
        """The chunk-aligned row blocks ``(start, stop)`` of the split (split-relative rows)."""
        c = self.chunk_rows
        first, last = self.start // c, (self.stop - 1) // c if len(self) else -1
        return [(max(self.start, k * c) - self.start, min(self.stop, (k + 1) * c) - self.start) for k in range(first, last + 1)]

    def _buffers(self, epoch: int) -> list[tuple[list[tuple[int, int]], np.ndarray | None]]:
        """Per buffer: its blocks and the permutation of its rows (None: in order)."""
        blocks = self.blocks()
        if not self.shuffle:
            return [([b], None) for b in blocks]
        rng = np.random.default_rng([self.seed, int(epoch)])
        blocks = [blocks[i] for i in rng.permutation(len(blocks))]
        out = []
        for i in range(0, len(blocks), self.buffer_blocks):
            group = blocks[i : i + self.buffer_blocks]
            out.append((group, rng.permutation(sum(b - a for a, b in group))))
        return out

    def order(self, epoch: int = 0) -> np.ndarray:
        """The split-relative row order of ``epoch`` (int64, a permutation of ``range(len)``)."""
        parts = []
        for group, perm in self._buffers(epoch):
            rows = np.concatenate([np.arange(a, b) for a, b in group])
            parts.append(rows if perm is None else rows[perm])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _buffer_codes(self, epoch: int, shard: tuple[int, int] | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        handle = self._file()
        codes_node, labels_node = handle["codes"], handle["labels"]
        for i, (group, perm) in enumerate(self._buffers(epoch)):
            if shard is not None and i % shard[1] != shard[0]:
                continue
            codes = np.concatenate([codes_node[self.start + a : self.start + b] for a, b in group])
            labels = np.concatenate([labels_node[self.start + a : self.start + b] for a, b in group])
            if perm is not None:
                codes, labels = codes[perm], labels[perm]
            yield codes, labels

    def code_batches(self, epoch: int = 0, shard: tuple[int, int] | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Batches of codes ``(B, L)`` uint8 and labels ``(B, T)`` in :meth:`order` of ``epoch``."""
        pend_c, pend_y, held = [], [], 0
        bs = self.batch_size
        for codes, labels in self._buffer_codes(epoch, shard):
            if held:
                codes, labels = np.concatenate([*pend_c, codes]), np.concatenate([*pend_y, labels])
                pend_c, pend_y, held = [], [], 0
            full = (len(codes) // bs) * bs
            for s in range(0, full, bs):
                yield codes[s : s + bs], labels[s : s + bs]
            if full < len(codes):
                pend_c, pend_y, held = [codes[full:]], [labels[full:]], len(codes) - full
        if held and not self.drop_last:
            yield pend_c[0], pend_y[0]

    def batches(self, epoch: int = 0, device=None, shard: tuple[int, int] | None = None):
        """``(X, y)`` torch batches of ``epoch``: one-hot made per batch on ``device`` (default: the split's)."""
        import torch

        device = self.device if device is None else device
        for codes, labels in self.code_batches(epoch, shard):
            yield codes_to_tensor(torch.from_numpy(codes), self.n_policy, device), torch.from_numpy(labels).to(device, non_blocking=True)

    def __iter__(self):
        return self.batches(0)

    def torch_dataset(self):
        """This split as a ``torch.utils.data.IterableDataset`` for a ``DataLoader``
        (``batch_size=None``: the split batches itself); each worker reopens the file and
        reads its share of the shuffle buffers (``epoch`` attribute: the epoch's order)."""
        return __getattr__("TorchStreamingDataset")(self)

    def fingerprint(self) -> dict:
        """What identifies the split for a training checkpoint: size, shapes, checksums of its codes and labels."""
        return {"n": len(self), "X_shape": [len(self), 4, self.length], "y_shape": [len(self), self.n_tasks],
                "X_sha256": "codes:" + str(self._checksums.get("codes")), "y_sha256": "labels:" + str(self._checksums.get("labels"))}


def open_streaming(path: PathLike, split: str = "train", **options) -> StreamingSplit:
    """Open ``split`` of a compact-layout file as a :class:`StreamingSplit` (options: its keywords)."""
    return StreamingSplit(path, split, **options)


def attribute_blocks(method, model, split: StreamingSplit, *, block_rows: int = 1000, out: PathLike | None = None,
                     key: str = "attributions", **kwargs):
    """Run ``method(model, X, **kwargs)`` (any attribution function of the shared call shape,
    e.g. :func:`seqlens.attribution.saliency` or ``ism``) over a streamed split ``block_rows``
    rows at a time, in row order.

    Without ``out`` the maps are returned as one ``(N, 4, L)`` float32 numpy array (equal to
    the in-memory call for deterministic methods); with ``out`` they are written block by
    block to dataset ``key`` of a new HDF5 file (atomically) and its path is returned.
    """
    import torch

    if not isinstance(split, StreamingSplit):
        raise DataFormatError(f"attribute_blocks streams a StreamingSplit, got {type(split).__name__}")
    if not isinstance(block_rows, int) or block_rows < 1:
        raise DataFormatError(f"block_rows must be an integer >= 1, got {block_rows}")
    n = len(split)

    def maps():
        for start in range(0, n, block_rows):
            X = codes_to_tensor(split.read_codes(start, min(n, start + block_rows)), split.n_policy)
            result = method(model, X, **kwargs)
            yield start, (result.detach().cpu().numpy() if isinstance(result, torch.Tensor) else np.asarray(result)).astype(np.float32)

    if out is None:
        parts = [m for _, m in maps()]
        return np.concatenate(parts) if parts else np.zeros((0, 4, split.length), np.float32)
    out = check_output_file(out, "attribution blocks file")
    with atomic_path(out) as tmp, h5py.File(tmp, "w") as handle:
        node = handle.create_dataset(key, shape=(n, 4, split.length), dtype=np.float32,
                                     chunks=(min(max(n, 1), block_rows), 4, split.length), compression="gzip")
        for start, m in maps():
            node[start : start + len(m)] = m
        handle.attrs["source"] = str(split.path.resolve())
        handle.attrs["split"] = split.split
    return out


def _torch_dataset_class():
    from torch.utils.data import IterableDataset

    class TorchStreamingDataset(IterableDataset):
        """A :class:`StreamingSplit` as a torch ``IterableDataset`` (see :meth:`StreamingSplit.torch_dataset`)."""

        def __init__(self, split: StreamingSplit, epoch: int = 0):
            self.split, self.epoch = split, epoch

        def __iter__(self):
            from torch.utils.data import get_worker_info

            worker = get_worker_info()
            shard = None if worker is None else (worker.id, worker.num_workers)
            return self.split.batches(self.epoch, shard=shard)

    TorchStreamingDataset.__module__ = __name__
    return TorchStreamingDataset


def __getattr__(name: str):
    # built on first use, so that importing this module does not import torch
    if name == "TorchStreamingDataset":
        if name not in globals():
            globals()[name] = _torch_dataset_class()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
