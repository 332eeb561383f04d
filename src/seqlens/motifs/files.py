"""Motif files: MEME v4 text files (read and write) and JASPAR count-matrix (PFM) files (read)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..alphabet import DNA, background_probs
from ..errors import MotifError
from ..io_utils import atomic_path, require_file
from .motif import Motif

#: MEME's ``nsites=`` for motifs without counts (MEME suite's default for unknown site counts).
DEFAULT_NSITES = 20


# ---------------------------------------------------------------------------------------
# MEME v4 text files
# ---------------------------------------------------------------------------------------


def _read_lines(path: str | os.PathLike, what: str) -> tuple[Path, list[str]]:
    """The lines of a text file, with a one-line MotifError for binary or non-UTF-8 content."""
    path = require_file(path, what)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise MotifError(f"{path}: not a UTF-8 text file (bad byte at offset {err.start})") from None
    return path, text.splitlines()


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _floats(tokens: list[str], where: str) -> list[float]:
    try:
        return [float(t) for t in tokens]
    except ValueError:
        raise MotifError(f"{where}: expected numbers, got {' '.join(tokens)!r}") from None


def _key_values(line: str) -> dict[str, str]:
    """``"alength= 4 w= 11 nsites= 20 E= 0"`` -> ``{"alength": "4", "w": "11", ...}``."""
    return {k.lower(): v for k, v in re.findall(r"(\w+)\s*=\s*(\S+)", line)}


class _MemeMotif:
    """A motif being read: its MOTIF line and the matrix rows seen so far."""

    def __init__(self, tokens: list[str], lineno: int):
        self.id, self.name = (tokens[0], " ".join(tokens[1:])) if len(tokens) > 1 else (None, tokens[0])
        self.lineno = lineno
        self.width: int | None = None
        self.rows: list[list[float]] | None = None  # None until the probability matrix starts

    def build(self, path: Path) -> Motif:
        try:
            return Motif(name=self.name, ppm=np.array(self.rows, dtype=np.float64).T, id=self.id)
        except MotifError as err:
            raise MotifError(f"{path}:{self.lineno}: {err}") from None


def read_meme(path: str | os.PathLike) -> list[Motif]:
    """Read the motifs of a MEME v4 (or later, DNA) text file, in file order.

    ``MOTIF identifier [name]`` gives ``id`` and ``name``; a MOTIF line with one word gives
    ``name`` only (``id`` None). Reads the ``letter-probability matrix`` (one row per
    position); skips ``log-odds matrix`` blocks, ``URL`` lines, the background and strand
    lines and blank lines. Values are kept exactly as printed. Malformed files raise
    MotifError naming the file and line.
    """
    path, lines = _read_lines(path, "MEME file")
    motifs: list[Motif] = []
    current: _MemeMotif | None = None
    skip_rows = 0  # rows of a log-odds matrix still to skip
    seen_version = False
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        where = f"{path}:{lineno}"
        tokens = line.split()
        numeric = _is_number(tokens[0])
        reading_rows = current is not None and current.rows is not None
        if reading_rows and numeric:
            row = _floats(tokens, where)
            if len(row) != 4:
                raise MotifError(f"{where}: expected 4 probabilities (A C G T), got {len(row)}")
            current.rows.append(row)
            if len(current.rows) == current.width:
                motifs.append(current.build(path))
                current = None
            continue
        if reading_rows:  # the matrix ended
            if current.width is not None or not current.rows:
                raise MotifError(
                    f"{where}: motif {current.name!r} has {len(current.rows)} matrix rows, "
                    f"expected w={current.width}"
                )
            motifs.append(current.build(path))
            current = None
        if skip_rows and numeric:
            skip_rows -= 1
            continue
        skip_rows = 0
        if line.startswith("MEME version"):
            seen_version = True
        elif line.startswith("ALPHABET"):
            letters = line.partition("=")[2].strip().upper()
            if letters not in ("ACGT", "ACGU"):
                raise MotifError(f"{where}: unsupported alphabet {letters!r}; only DNA (ACGT) is supported")
        elif line.startswith("MOTIF"):
            if not seen_version:
                raise MotifError(f"{where}: MOTIF before the 'MEME version' line; not a MEME file")
            if current is not None:
                raise MotifError(
                    f"{path}:{current.lineno}: motif {current.name!r} has no letter-probability matrix"
                )
            if len(tokens) < 2:
                raise MotifError(f"{where}: MOTIF line without an identifier")
            current = _MemeMotif(tokens[1:], lineno)
        elif line.startswith("letter-probability matrix"):
            if current is None:
                raise MotifError(f"{where}: letter-probability matrix outside a MOTIF")
            fields = _key_values(line)
            if fields.get("alength", "4") != "4":
                raise MotifError(f"{where}: alength={fields['alength']}, expected 4 (DNA)")
            if "w" in fields:
                if not fields["w"].isdigit() or int(fields["w"]) < 1:
                    raise MotifError(f"{where}: invalid motif width w={fields['w']}")
                current.width = int(fields["w"])
            current.rows = []
        elif line.startswith("log-odds matrix"):
            width = _key_values(line).get("w", "")
            if not width.isdigit():
                raise MotifError(f"{where}: log-odds matrix without a width w=")
            skip_rows = int(width)
        elif numeric:
            raise MotifError(f"{where}: numbers outside a motif matrix: {line[:60]!r}")
        elif current is not None and not line.startswith("URL"):
            raise MotifError(f"{where}: unexpected line in motif {current.name!r}: {line[:60]!r}")
        # Anything else is header text (strands, background letter frequencies) or a
        # URL line between motifs: nothing to keep.
    if current is not None:
        if current.rows and current.width is None:
            motifs.append(current.build(path))
        elif current.rows is None:
            raise MotifError(f"{path}:{current.lineno}: motif {current.name!r} has no letter-probability matrix")
        else:
            raise MotifError(
                f"{path}: file ends after {len(current.rows)} of w={current.width} rows of motif {current.name!r}"
            )
    if not seen_version:
        raise MotifError(f"{path}: no 'MEME version' line; not a MEME file")
    return motifs


def _meme_token(text: str, what: str, motif: Motif) -> str:
    """Check that ``text`` survives MEME's whitespace-separated MOTIF line unchanged."""
    if " ".join(text.split()) != text:
        raise MotifError(
            f"cannot write motif {motif._label()} to MEME: {what} {text!r} has tabs, newlines or repeated spaces"
        )
    return text


def write_meme(motifs: Iterable[Motif], path: str | os.PathLike, background=None) -> Path:
    """Write motifs to a MEME v4 text file (atomically) and return its path.

    Probabilities are written with Python's shortest round-trip float representation, so
    ``read_meme`` gives back exactly the same PPMs. ``background`` is four letter
    frequencies (uniform by default). ``nsites`` is the column total of the motif's counts
    when it has counts, else ``DEFAULT_NSITES``.
    """
    bg = background_probs(background)
    lines = [
        "MEME version 4",
        "",
        "ALPHABET= ACGT",
        "",
        "strands: + -",
        "",
        "Background letter frequencies",
        " ".join(f"{letter} {float(p)!r}" for letter, p in zip(DNA, bg)),
        "",
    ]
    for motif in motifs:
        if not isinstance(motif, Motif):
            raise MotifError(f"write_meme expects Motif objects, got {type(motif).__name__}")
        name = _meme_token(motif.name, "name", motif)
        if motif.id is None:
            if len(name.split()) != 1:
                raise MotifError(f"cannot write motif {name!r} to MEME: a name with spaces needs an id")
            header = f"MOTIF {name}"
        else:
            if len(motif.id.split()) != 1:
                raise MotifError(f"cannot write motif {motif._label()} to MEME: id {motif.id!r} contains spaces")
            header = f"MOTIF {motif.id} {name}"
        if motif.counts is None:
            nsites = str(DEFAULT_NSITES)
        else:
            total = float(motif.counts[:, 0].sum())
            nsites = str(int(total)) if total.is_integer() else repr(total)
        lines.append(header)
        lines.append(f"letter-probability matrix: alength= 4 w= {motif.width} nsites= {nsites} E= 0")
        lines.extend("  ".join(repr(float(p)) for p in column) for column in motif.ppm.T)
        lines.append("")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# JASPAR count-matrix files
# ---------------------------------------------------------------------------------------


def _parse_pfm_row(line: str, where: str) -> tuple[str | None, list[float]]:
    """``"A  [ 4 19 0 ]"`` -> ``("A", [4, 19, 0])``; a bare row of numbers has no letter."""
    letter = None
    if line[0].isalpha() and not _is_number(line.split()[0]):
        letter, line = line[0].upper(), line[1:]
        if letter not in DNA:
            raise MotifError(f"{where}: unknown row letter {letter!r}; expected A, C, G or T")
    tokens = line.replace("[", " ").replace("]", " ").split()
    if not tokens:
        raise MotifError(f"{where}: count row without numbers")
    return letter, _floats(tokens, where)


def read_jaspar_pfm(path: str | os.PathLike) -> list[Motif]:
    """Read JASPAR count matrices, in file order, as motifs with counts.

    Accepts JASPAR's bracketed format (``>MA0004.1 Arnt`` then rows ``A [ 4 19 0 ... ]``
    for A, C, G, T) and the bare ``.pfm`` format (four rows of numbers in ACGT order).
    The header's first word is the ``id`` and the rest the ``name``; a header with one word
    gives the ``name`` only. Malformed files raise MotifError naming the file and line.
    """
    path, lines = _read_lines(path, "JASPAR PFM file")
    motifs: list[Motif] = []
    header: tuple[list[str], int] | None = None
    rows: list[tuple[str | None, list[float]]] = []

    def finish():
        tokens, lineno = header
        where = f"{path}:{lineno}"
        motif_id, name = (tokens[0], " ".join(tokens[1:])) if len(tokens) > 1 else (None, tokens[0])
        if len(rows) != 4:
            raise MotifError(f"{where}: motif {name!r} has {len(rows)} count rows, expected 4 (A, C, G, T)")
        letters = [letter for letter, _ in rows]
        if any(letters) and sorted(letters, key=str) != sorted(DNA):
            raise MotifError(f"{where}: motif {name!r} has rows {letters}, expected one each of A, C, G, T")
        widths = {len(values) for _, values in rows}
        if len(widths) != 1:
            raise MotifError(f"{where}: motif {name!r} has count rows of different lengths {sorted(widths)}")
        by_letter = {letter or DNA[i]: values for i, (letter, values) in enumerate(rows)}
        try:
            motifs.append(Motif.from_counts([by_letter[b] for b in DNA], name=name, id=motif_id))
        except MotifError as err:
            raise MotifError(f"{where}: {err}") from None

    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(">"):
            if header is not None:
                finish()
            tokens = line[1:].split()
            if not tokens:
                raise MotifError(f"{path}:{lineno}: header line without a motif name")
            header, rows = (tokens, lineno), []
            continue
        if header is None:
            raise MotifError(f"{path}:{lineno}: count row before any '>' header line")
        rows.append(_parse_pfm_row(line, f"{path}:{lineno}"))
    if header is None:
        raise MotifError(f"{path}: no motifs (no '>' header lines)")
    finish()
    return motifs
