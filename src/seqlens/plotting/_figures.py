"""Figure creation and saving shared by every plotting function.

Figures are built with :class:`matplotlib.figure.Figure` directly, never through pyplot, so
plotting touches no global state and works under any (or no) interactive backend.
"""

from __future__ import annotations

import os
import textwrap
from functools import lru_cache
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath

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


@lru_cache(maxsize=4096)
def text_width(text: str, fontsize: float) -> float:
    """Width in inches of ``text`` (its longest line) set in the default font at ``fontsize`` points.

    Measured from the glyph outlines (no renderer needed), so figure sizes can be chosen
    before drawing: wide enough that labels do not overlap.
    """
    lines = [line for line in str(text).split("\n") if line.strip()]
    if not lines:
        return 0.0
    font = FontProperties(size=fontsize)
    return max(TextPath((0, 0), line, prop=font).get_extents().width for line in lines) / 72.0


def wrap_label(text: str, width: int = 14) -> str:
    """``text`` broken at spaces into lines of at most ``width`` characters (words are never split)."""
    text = str(text)
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


def fit_title(text: str, width: float, fontsize: float = 10) -> str:
    """``text`` wrapped at spaces so that no line is wider than ``width`` inches at ``fontsize``."""
    text = str(text)
    full = text_width(text, fontsize)
    if full <= width or not text:
        return text
    chars = max(10, int(len(text) * width / full))
    return wrap_label(text, chars)


def axes_width(ax: Axes) -> float:
    """Width of ``ax`` in inches, from its figure's size and the axes' current position."""
    return ax.get_figure(root=True).get_figwidth() * ax.get_position().width


def legend_outside(ax: Axes, handles=None, title: str | None = None, fontsize: float = 8):
    """A legend to the right of ``ax``, outside the data area (constrained layout makes room for it)."""
    kwargs = {} if handles is None else {"handles": handles}
    return ax.legend(
        **kwargs, title=title, fontsize=fontsize, title_fontsize=fontsize, frameon=False,
        loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
    )


def legend_width(labels, title: str | None = None, fontsize: float = 8) -> float:
    """Inches an :func:`legend_outside` legend with these entry labels and title needs (marker and padding included)."""
    entries = max((text_width(str(label), fontsize) for label in labels), default=0.0) + 0.45
    return max(entries, text_width(title or "", fontsize)) + 0.15


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
