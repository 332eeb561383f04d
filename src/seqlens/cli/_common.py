"""Shared plumbing for CLI commands: output streams, JSON, progress bars, errors.

Human summaries and progress bars go to stderr through ``console``; ``--json`` output is one
JSON document on stdout, so ``seqlens CMD --json | jq`` always works.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

console = Console(stderr=True)
stdout_console = Console()


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
