"""Small helpers shared by every writer: atomic writes, path checks, JSON and CSV output."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to ``path``; move it onto ``path`` only on success.

    A crash or exception mid-write leaves any existing file at ``path`` untouched, so a
    killed run never leaves a half-written result behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
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
