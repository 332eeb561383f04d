"""Progress bars and human messages on stderr: the one helper every module uses.

stdout is reserved for results (``--json`` prints one document there), so bars and
messages go to :data:`console`, a rich console on stderr. :func:`progress_bar` is a bar
with the standard columns for any loop; :func:`track` wraps an iterable in one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

# Redirected to a file or pipe, rich would assume 80 columns and wrap tables' numbers.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Progress]:
    """A transient rich progress bar on stderr (description, bar, done/total, elapsed, remaining).

    With ``enabled=False`` the bar is created but draws nothing, so callers never branch.
    """
    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled,
        transient=True,
    )
    with bar:
        yield bar


def track(iterable: Iterable, total: int, description: str, enabled: bool = True) -> Iterator:
    """Iterate over ``iterable`` (``total`` items), advancing a progress bar when ``enabled``."""
    if not enabled:
        yield from iterable
        return
    with progress_bar() as bar:
        task = bar.add_task(description, total=total)
        for item in iterable:
            yield item
            bar.advance(task)
