"""BED intervals and their one-hot sequences, read from an indexed genome FASTA (pyfaidx)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..alphabet import N_POLICIES, NPolicy, one_hot_encode
from ..errors import DataFormatError, SequenceError
from ..io_utils import require_file
from .containers import PathLike
from .fasta import _fit_length, _open_text, _window_start


def read_bed(path: PathLike) -> pd.DataFrame:
    """Read BED intervals into a table with ``chrom, start, end, name, strand, line``.

    Needs at least three columns; ``name`` (column 4) defaults to ``chrom:start-end`` and
    ``strand`` (column 6) to ``'.'``. ``track``/``browser``/``#`` lines are skipped.
    """
    path = require_file(path, "BED file")
    rows = []
    with _open_text(path) as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\r\n").split("\t")
            fields = fields if len(fields) >= 3 else line.split()
            where = f"{path}, line {line_no}"
            if len(fields) < 3:
                raise DataFormatError(f"{where}: need at least 3 columns (chrom, start, end), got {len(fields)}")
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                raise DataFormatError(f"{where}: start/end {fields[1]!r}, {fields[2]!r} are not integers") from None
            if start < 0 or end <= start:
                raise DataFormatError(f"{where}: bad interval [{start}, {end})")
            strand = fields[5].strip() if len(fields) >= 6 else "."
            if strand not in ("+", "-", "."):
                raise DataFormatError(f"{where}: strand {strand!r} is not '+', '-' or '.'")
            chrom = fields[0].strip()
            name = fields[3].strip() if len(fields) >= 4 and fields[3].strip() else f"{chrom}:{start}-{end}"
            rows.append((chrom, start, end, name, strand, line_no))
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "name", "strand", "line"])


def region_sequences(
    bed_path: PathLike,
    genome_fasta: PathLike,
    length: int | None = None,
    off_chrom: Literal["error", "skip"] = "error",
) -> list[tuple[str, str]]:
    """``(name, sequence)`` of each BED region, read from an indexed genome FASTA (pyfaidx).

    With ``length``, each region becomes the ``length``-long window around its centre
    (start ``start + (end - start - length) // 2``). A (resized) region running past either
    end of its chromosome raises :class:`DataFormatError` naming the BED line (``"error"``)
    or is dropped (``"skip"``); an unknown chromosome raises naming it. Regions on the
    ``'-'`` strand are reverse-complemented; soft-masked (lower-case) bases are kept as read.
    """
    from pyfaidx import Fasta, FastaIndexingError

    if off_chrom not in ("error", "skip"):
        raise DataFormatError(f"off_chrom must be 'error' or 'skip', got {off_chrom!r}")
    if length is not None and length < 1:
        raise DataFormatError(f"length must be >= 1, got {length}")
    regions = read_bed(bed_path)
    genome_fasta = require_file(genome_fasta, "genome FASTA")
    records = []
    try:
        genome = Fasta(str(genome_fasta), as_raw=True, sequence_always_upper=False)
    except (FastaIndexingError, ValueError) as exc:
        raise DataFormatError(f"cannot index genome FASTA {genome_fasta}: {exc}") from None
    with genome:
        for chrom, start, end, name, strand, line_no in regions.itertuples(index=False):
            where = f"{bed_path}, line {line_no}"
            if chrom not in genome.keys():
                raise DataFormatError(f"{where}: chromosome {chrom!r} is not in {genome_fasta}")
            if length is not None:
                start = _window_start(start, end, length)
                end = start + length
            chrom_length = len(genome[chrom])
            if start < 0 or end > chrom_length:
                if off_chrom == "skip":
                    continue
                raise DataFormatError(
                    f"{where}: region {chrom}:{start}-{end} runs off {chrom} (length {chrom_length}); "
                    "use off_chrom='skip' to drop such regions"
                )
            seq = genome[chrom][start:end]
            records.append((name, _reverse_complement_text(seq) if strand == "-" else seq))
    return records


_COMPLEMENT = str.maketrans("ACGTUNacgtun", "TGCAANtgcaan")


def _reverse_complement_text(seq: str) -> str:
    """Reverse complement of DNA text, keeping case (other characters are kept for the checks to name)."""
    return seq.translate(_COMPLEMENT)[::-1]


def extract_regions(
    bed_path: PathLike,
    genome_fasta: PathLike,
    length: int | None = None,
    off_chrom: Literal["error", "skip"] = "error",
    n_policy: NPolicy = "zeros",
) -> tuple[list[str], np.ndarray]:
    """One-hot sequences of the BED regions, read from an indexed genome FASTA (pyfaidx).

    Parameters
    ----------
    bed_path : BED file (see :func:`read_bed`).
    genome_fasta : genome FASTA; pyfaidx builds a ``.fai`` index beside it if missing.
    length : resize every region to ``length`` around its centre; without it all
        regions must have the same length.
    off_chrom : a (resized) region running past either end of its chromosome raises
        :class:`DataFormatError` (``"error"``) or is dropped (``"skip"``).
    n_policy : what ``N`` in the genome becomes (see ``seqlens.alphabet.one_hot_encode``).

    Returns
    -------
    ``(names, X)``: the kept regions' names and ``(N, 4, L)`` float32 one-hot sequences;
    regions on the ``'-'`` strand are reverse-complemented (:func:`region_sequences`). An
    unknown chromosome raises :class:`DataFormatError` naming it.
    """
    if n_policy not in N_POLICIES:
        raise DataFormatError(f"n_policy must be one of {N_POLICIES}, got {n_policy!r}")
    records = region_sequences(bed_path, genome_fasta, length, off_chrom)
    if not records:
        return [], np.zeros((0, 4, length or 0), dtype=np.float32)
    records = _fit_length(records, length, str(bed_path))
    try:
        X = one_hot_encode(records, n_policy=n_policy)
    except SequenceError as exc:
        raise SequenceError(f"{exc} (in {genome_fasta})") from None
    return [name for name, _ in records], X
