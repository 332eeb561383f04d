"""The one way to turn what a user names into motifs.

- :func:`seqlens.motifs.get_motif`: one JASPAR motif by name or matrix ID (the kernel);
- :func:`seqlens.motifs.resolve_motifs`: a list mixing names, IDs and ``Motif`` objects;
- :func:`load_motifs`: a motif *database* for Tomtom and filter matching: a JASPAR release,
  a MEME file, or a list as :func:`resolve_motifs` takes it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import MotifError
from .files import read_meme
from .jaspar import load_jaspar, resolve_motifs
from .motif import Motif


def load_motifs(source) -> list[Motif]:
    """Motifs from a JASPAR release, a MEME file path, or a list of names, IDs and :class:`Motif` s.

    A JASPAR release is an int or string such as ``2016``, ``"2024"`` or ``"JASPAR2016"``:
    its CORE vertebrates non-redundant set from ``pyjaspar`` (:func:`load_jaspar`). Any
    other string or path is read as a MEME file (``FileNotFoundError`` when missing). A list
    goes through :func:`resolve_motifs` (names and IDs looked up in JASPAR 2016).
    """
    if isinstance(source, os.PathLike) or (isinstance(source, str) and not _is_release(source)):
        return read_meme(source)
    if isinstance(source, (int, str)) and not isinstance(source, bool):
        return load_jaspar(source)
    motifs = resolve_motifs(list(source))
    if not motifs:
        raise MotifError("no motifs given")
    return motifs


def _is_release(text: str) -> bool:
    """``"2016"`` or ``"JASPAR2016"`` (any case) names a release, unless such a file exists."""
    return text.strip().upper().removeprefix("JASPAR").isdigit() and not Path(text).is_file()
