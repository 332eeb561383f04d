"""Small helpers shared by every writer: atomic writes, output and input path checks, JSON and CSV output."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError


def _file_mode() -> int:
    """The permissions ``open()`` gives a new file under the current umask (0666 & ~umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_output_file(path: str | os.PathLike, what: str = "output file") -> Path:
    """``Path(path)`` if a file can be written there; else :class:`OutputError` saying why.

    Call it before expensive work: it refuses a path that is an existing directory, whose
    parent is a file, or whose nearest existing folder is not writable. Missing parent
    folders are fine (writers create them).
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{what} {path} is a directory; give a file path, e.g. {path / 'out.h5'}")
    _check_writable_folder(path.parent, path, what)
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"{what} {path} exists and is not writable")
    return path


def check_output_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """``Path(path)`` if it is (or can become) a writable folder; else :class:`OutputError`."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{what} {path} exists and is not a folder")
    _check_writable_folder(path, path, what)
    return path


def _check_writable_folder(folder: Path, target: Path, what: str) -> None:
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise OutputError(f"cannot write {what} {target}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {what} {target}: folder {existing} is not writable")


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to ``path``; move it onto ``path`` only on success.

    A crash or exception mid-write leaves any existing file at ``path`` untouched, so a
    killed run never leaves a half-written result behind; the temporary file lives in
    ``path``'s own folder (the rename is atomic there) and nothing is created elsewhere. The
    result gets the permissions a plain ``open()`` would give under the user's umask.
    Errors name ``path``, never the temporary file.
    """
    path = check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename == tmp:
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        raise


def require_file(path: str | os.PathLike, what: str = "file") -> Path:
    """Return ``Path(path)`` or raise ``FileNotFoundError`` with a one-line message."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    return path


# ----------------------------------------------------------------------------------------
# JSON and tables: the one normaliser every writer (files, attributes, CLI output) uses


def json_ready(value, where: str = "value"):
    """``value`` with numpy scalars/arrays, tuples, paths and NaN turned into plain JSON types.

    Mappings get string keys; float NaN becomes ``None`` (JSON ``null``), so documents
    stay valid JSON (``json.dumps`` would write the non-standard ``NaN``). Anything else
    raises ``TypeError`` naming where it sits (``where`` is the name of the whole value,
    e.g. ``"metadata"``); callers holding user input turn it into a ``DataFormatError``.
    """
    import numpy as np

    if isinstance(value, Mapping):
        return {str(k): json_ready(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist(), where)
    if isinstance(value, np.generic):
        return json_ready(value.item(), where)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and value != value:
        return None
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"{where} holds a {type(value).__name__}, which cannot be stored as JSON")


def to_json(value, where: str = "value", indent: int | None = None) -> str:
    """``value`` (see :func:`json_ready`) as a JSON string."""
    return json.dumps(json_ready(value, where), indent=indent)


def write_json(document, path: str | os.PathLike, where: str = "document") -> Path:
    """Write ``document`` to ``path`` as indented JSON, atomically; return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(to_json(document, where, indent=2) + "\n")
    return Path(path)


def table_records(table) -> list[dict]:
    """Rows of a ``pandas.DataFrame`` as JSON-ready dicts (NaN becomes None)."""
    return json_ready(table.to_dict("records"), "table")


def write_csv(table, path: str | os.PathLike) -> Path:
    """Write a ``pandas.DataFrame`` to ``path`` as CSV (no index), atomically; return the path."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return Path(path)
