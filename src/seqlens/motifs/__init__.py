"""Motifs: the :class:`Motif` value type, JASPAR through ``pyjaspar``, MEME v4 and JASPAR PFM files.

Submodules:

* :mod:`seqlens.motifs.motif`: the :class:`Motif` value type and the column statistics
  and sampling it uses on plain probability arrays (:func:`information_content`,
  :func:`sample_from_ppm`);
* :mod:`seqlens.motifs.jaspar`: JASPAR releases bundled in ``pyjaspar``
  (:func:`load_jaspar`, :func:`get_motif`, :func:`resolve_motifs`);
* :mod:`seqlens.motifs.files`: MEME v4 text files and JASPAR count-matrix (PFM) files;
* :mod:`seqlens.motifs.sources`: :func:`load_motifs`, a motif database from a JASPAR
  release, a MEME file or a list of names, IDs and motifs (the one look-up path).
"""

from .files import DEFAULT_NSITES, read_jaspar_pfm, read_meme, write_meme
from .jaspar import get_motif, load_jaspar, resolve_motifs
from .motif import IC_EPSILON, PPM_SUM_TOLERANCE, Motif, information_content, sample_from_ppm
from .sources import load_motifs

__all__ = [
    "DEFAULT_NSITES",
    "IC_EPSILON",
    "PPM_SUM_TOLERANCE",
    "Motif",
    "get_motif",
    "information_content",
    "load_jaspar",
    "load_motifs",
    "read_jaspar_pfm",
    "read_meme",
    "resolve_motifs",
    "sample_from_ppm",
    "write_meme",
]
