"""Shared plumbing for CLI commands: output streams, JSON, progress bars, errors.

Human summaries and progress bars go to stderr through ``console``; ``--json`` output is one
JSON document on stdout, so ``seqlens CMD --json | jq`` always works.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..errors import DataFormatError
from ..io_utils import atomic_path, require_file

# Redirected to a file or pipe, rich would assume 80 columns and wrap tables' numbers.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def _default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if hasattr(obj, "__fspath__"):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def emit_json(document) -> None:
    """Print ``document`` as one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, default=_default, indent=2) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_bar(quiet: bool = False):
    """A rich progress bar on stderr (disabled with ``quiet``)."""
    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=True,
    )
    with bar:
        yield bar


def table_records(table: pd.DataFrame) -> list[dict]:
    """Rows of ``table`` as JSON-ready dicts (NaN becomes None, which JSON writes as null)."""
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()} for row in table.to_dict("records")]


def write_csv(table: pd.DataFrame, path) -> Path:
    """Write ``table`` to ``path`` as CSV (no index) atomically; return the path."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return Path(path)


def load_run_and_split(run: Path, data: Path, split: str):
    """The model of run directory ``run`` and split ``split`` of dataset ``data``.

    Returns ``(model, dataset, split)``. Raises FileNotFoundError for a missing run directory
    or data file and DataFormatError when the model's input length or number of outputs
    does not fit the data.
    """
    from ..data import load_h5
    from ..models import load_model

    if not Path(run).is_dir():
        raise FileNotFoundError(f"run directory not found: {run}")
    model = load_model(run)
    dataset = load_h5(require_file(data, "data file"))
    chosen = dataset.split(split)
    if model.config.input_length != dataset.input_length:
        raise DataFormatError(
            f"model in {run} takes sequences of length {model.config.input_length}, "
            f"but {data} holds length {dataset.input_length}"
        )
    if model.config.n_outputs != dataset.n_tasks:
        raise DataFormatError(f"model in {run} has {model.config.n_outputs} outputs, but {data} has {dataset.n_tasks} tasks")
    return model, dataset, chosen
