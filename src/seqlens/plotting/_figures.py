"""Figure creation and saving shared by every plotting function.

Figures are built with :class:`matplotlib.figure.Figure` directly, never through pyplot, so
plotting touches no global state and works under any (or no) interactive backend.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import DataFormatError, SeqlensError
from ..io_utils import atomic_path

#: File name extension -> matplotlib output format.
SAVE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
DEFAULT_DPI = 150


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure of ``width`` x ``height`` inches with constrained layout."""
    return Figure(figsize=(width, height), layout="constrained")


def axes_or_new(ax: Axes | None, width: float, height: float) -> Axes:
    """``ax`` itself, or the single axes of a new figure of the given size (inches)."""
    if ax is None:
        return new_figure(width, height).add_subplot()
    if not isinstance(ax, Axes):
        raise SeqlensError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def output_format(path: str | os.PathLike) -> str:
    """The matplotlib format for ``path``'s extension; raises SeqlensError for other extensions."""
    fmt = SAVE_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise SeqlensError(f"cannot save a plot as {os.fspath(path)!r}: the name must end in .png, .svg or .pdf")
    return fmt


def save_or_return(figure: Figure, result, path: str | os.PathLike | None, dpi: int = DEFAULT_DPI):
    """Return ``result`` when ``path`` is None; otherwise save ``figure`` there and return the Path.

    The file is written atomically (temporary file, then rename); the temporary name has no
    image extension, so the format is passed explicitly. A figure that pyplot manages (the
    caller passed an ``ax`` of a pyplot figure) is closed afterwards, so saving in a loop does
    not accumulate open figures.
    """
    if path is None:
        return result
    path = Path(path)
    fmt = output_format(path)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=fmt, dpi=dpi)
    if figure.canvas.manager is not None:
        import matplotlib.pyplot as plt  # only reached when pyplot already owns the figure

        plt.close(figure)
    return path


def check_columns(table, columns: dict[str, str | None]) -> pd.DataFrame:
    """Check that ``table`` is a DataFrame holding every named column; ``columns`` maps role -> name."""
    if not isinstance(table, pd.DataFrame):
        raise DataFormatError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    for role, name in columns.items():
        if name is not None and name not in table.columns:
            raise DataFormatError(f"table has no column {name!r} (given as {role}); columns: {list(table.columns)}")
    return table
