"""Motifs: the :class:`Motif` value type, JASPAR through ``pyjaspar``, MEME v4 and JASPAR PFM files.

A motif is a position probability matrix (PPM) of shape ``(4, W)``: channels A, C, G, T
(the same channel-first layout as one-hot DNA), one column per position, each column a
probability distribution.

JASPAR comes from the ``pyjaspar`` package, which bundles every release from 2014 to 2026
as SQLite and works offline. The papers used JASPAR 2016 CORE vertebrates non-redundant
(519 motifs), which is the default everywhere here::

    sp1 = get_motif("SP1")                     # by name, case-insensitive
    gabpa = get_motif("MA0062")                # by matrix ID, latest version in the release
    pool = resolve_motifs(["SP1", "MA0062.2", my_motif])
    write_meme(pool, "pool.meme")
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .alphabet import DNA, as_rng, background_probs, codes_to_one_hot
from .errors import MotifError
from .io_utils import atomic_path, require_file

#: Added to probabilities inside the logarithm of the information content (SPEC section 1).
IC_EPSILON = 1e-10
#: A PPM column may sum to 1 within this absolute tolerance. Files print probabilities with
#: a few decimals (JASPAR's MEME files: 6, so columns sum to 1 +- 1e-6); such values are kept
#: exactly as given, so files round-trip exactly. Anything further off raises MotifError.
PPM_SUM_TOLERANCE = 1e-3
#: MEME's ``nsites=`` for motifs without counts (MEME suite's default for unknown site counts).
DEFAULT_NSITES = 20

_COMPLEMENT_ORDER = [3, 2, 1, 0]  # A<->T, C<->G for channels in ACGT order
_JASPAR_ID = re.compile(r"^([A-Z]{2}\d{4})(?:\.(\d+))?$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------
# Column statistics and sampling on plain probability arrays
# ---------------------------------------------------------------------------------------


def information_content(probs) -> np.ndarray:
    """Information content in bits of every column of a probability array.

    ``IC = 2 + sum_a p_a log2(p_a + IC_EPSILON)``, computed in float64 (0 for a uniform
    column up to ~6e-10 from the epsilon, 2 for a single letter).

    Parameters
    ----------
    probs : array ``(..., 4, L)`` — a PPM ``(4, W)`` or ground-truth sequence models ``(N, 4, L)``.

    Returns
    -------
    float64 array ``(..., L)``.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim < 2 or p.shape[-2] != 4:
        raise MotifError(f"expected probabilities of shape (..., 4, L), got {p.shape}")
    return 2.0 + np.sum(p * np.log2(p + IC_EPSILON), axis=-2)


def sample_from_ppm(probs, n: int = 1, seed: int | np.random.Generator | None = None, dtype=np.float32) -> np.ndarray:
    """Sample ``n`` one-hot sequences position by position from a probability matrix.

    Each position is drawn independently from its column (columns are divided by their sum,
    so values read from files with rounded decimals are fine; zero-probability letters are
    never drawn).

    Parameters
    ----------
    probs : array ``(4, L)``, non-negative, every column with a positive sum.
    n : number of sequences.
    seed : int, ``numpy.random.Generator`` or None.

    Returns
    -------
    one-hot array ``(n, 4, L)`` of ``dtype``.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != 4:
        raise MotifError(f"expected a probability matrix of shape (4, L), got {p.shape}")
    if n < 0:
        raise MotifError(f"number of samples must be >= 0, got {n}")
    cdf = np.cumsum(p, axis=0)
    total = cdf[-1]
    if not np.all(np.isfinite(p)) or (p < 0).any() or (total <= 0).any():
        raise MotifError("probability matrix must be finite, non-negative, with positive column sums")
    # Inverse-CDF draw: the letter is the number of cumulative sums (of the first three
    # letters) that u has reached. A zero-probability letter repeats its predecessor's
    # cumulative sum exactly, so it is skipped; u stays strictly below the column total.
    u = as_rng(seed).random((n, p.shape[1])) * total
    u = np.minimum(u, np.nextafter(total, 0))
    codes = (u[:, None, :] >= cdf[None, :3, :]).sum(axis=1)
    return codes_to_one_hot(codes, dtype=dtype)


# ---------------------------------------------------------------------------------------
# The Motif value type
# ---------------------------------------------------------------------------------------


def _as_matrix(values, what: str, label: str) -> np.ndarray:
    """A read-only float64 copy of ``values`` checked to be a finite, non-negative (4, W) array."""
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise MotifError(f"motif {label}: {what} is not a numeric array") from None
    if arr.ndim != 2 or arr.shape[0] != 4 or arr.shape[1] < 1:
        raise MotifError(f"motif {label}: {what} must have shape (4, W) with W >= 1, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise MotifError(f"motif {label}: {what} contains NaN or infinite values")
    if (arr < 0).any():
        col = int(np.argwhere(arr < 0)[0][1])
        raise MotifError(f"motif {label}: {what} has a negative value in column {col}")
    # Adding 0.0 turns -0.0 into 0.0, so equal matrices also have equal bytes (and hashes).
    arr = arr + 0.0
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False, repr=False)
class Motif:
    """A DNA motif: a position probability matrix with a name.

    Attributes
    ----------
    name : the transcription factor / motif name (e.g. ``"SP1"``, ``"Gabpa"``).
    ppm : float64 ``(4, W)``, channels A, C, G, T; every column sums to 1 within
        ``PPM_SUM_TOLERANCE``. Values are stored as given (not renormalised) so that motifs
        read from files keep the printed values; ``from_counts`` gives exact columns.
    id : matrix ID (JASPAR's ``"MA0079.3"``, or a MEME file's identifier), or None.
    counts : optional float64 ``(4, W)`` count matrix the PPM came from.

    The arrays are read-only copies, so a Motif cannot change after construction. Two
    motifs are equal when name, id, PPM and counts are all equal (exact array equality);
    equal motifs hash equally.
    """

    name: str
    ppm: np.ndarray
    id: str | None = None
    counts: np.ndarray | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise MotifError(f"motif name must be a non-empty string, got {self.name!r}")
        if self.id is not None and (not isinstance(self.id, str) or not self.id.strip()):
            raise MotifError(f"motif {self.name!r}: id must be a non-empty string or None, got {self.id!r}")
        label = self._label()
        ppm = _as_matrix(self.ppm, "PPM", label)
        sums = ppm.sum(axis=0)
        off = np.abs(sums - 1.0) > PPM_SUM_TOLERANCE
        if off.any():
            col = int(np.argmax(off))
            raise MotifError(
                f"motif {label}: PPM column {col} sums to {sums[col]:.6g}, not 1 "
                "(use Motif.from_counts for count matrices)"
            )
        object.__setattr__(self, "ppm", ppm)
        if self.counts is not None:
            counts = _as_matrix(self.counts, "counts", label)
            if counts.shape != ppm.shape:
                raise MotifError(f"motif {label}: counts shape {counts.shape} differs from PPM shape {ppm.shape}")
            col_sums = counts.sum(axis=0)
            implied = np.divide(counts, col_sums, out=np.zeros_like(counts), where=col_sums > 0)
            bad = (col_sums <= 0) | (np.abs(implied - ppm).max(axis=0) > PPM_SUM_TOLERANCE)
            if bad.any():
                raise MotifError(f"motif {label}: counts column {int(np.argmax(bad))} does not match the PPM")
            object.__setattr__(self, "counts", counts)

    def _label(self) -> str:
        return f"{self.id} {self.name}" if self.id else repr(self.name)

    @classmethod
    def from_counts(cls, counts, name: str, id: str | None = None) -> Motif:
        """Build a motif from a count matrix ``(4, W)``: each column divided by its sum."""
        label = f"{id} {name}" if id else repr(name)
        arr = _as_matrix(counts, "counts", label)
        sums = arr.sum(axis=0)
        if (sums <= 0).any():
            raise MotifError(f"motif {label}: counts column {int(np.argmax(sums <= 0))} sums to 0")
        return cls(name=name, ppm=arr / sums, id=id, counts=arr)

    # -- value semantics ------------------------------------------------------------------

    def __eq__(self, other) -> bool:
        if not isinstance(other, Motif):
            return NotImplemented
        if (self.name, self.id) != (other.name, other.id) or not np.array_equal(self.ppm, other.ppm):
            return False
        if self.counts is None or other.counts is None:
            return self.counts is None and other.counts is None
        return np.array_equal(self.counts, other.counts)

    def __hash__(self) -> int:
        return hash((self.name, self.id, self.ppm.shape, self.ppm.tobytes()))

    def __repr__(self) -> str:
        return f"Motif(name={self.name!r}, id={self.id!r}, width={self.width}, consensus={self.consensus!r})"

    # -- properties -----------------------------------------------------------------------

    @property
    def width(self) -> int:
        """Number of positions W."""
        return self.ppm.shape[1]

    def information_content(self) -> np.ndarray:
        """Information content in bits per position, float64 ``(W,)`` (see ``information_content``)."""
        return information_content(self.ppm)

    @property
    def total_information(self) -> float:
        """Sum of the per-position information content, in bits."""
        return float(self.information_content().sum())

    @property
    def consensus(self) -> str:
        """The most probable letter of every column (ties go to the earlier letter of ACGT)."""
        return "".join(DNA[i] for i in self.ppm.argmax(axis=0))

    def reverse_complement(self) -> Motif:
        """The motif on the other strand: columns reversed, A<->T and C<->G (name and id kept)."""
        counts = None if self.counts is None else self.counts[_COMPLEMENT_ORDER, ::-1]
        return Motif(name=self.name, ppm=self.ppm[_COMPLEMENT_ORDER, ::-1], id=self.id, counts=counts)

    def trim(self, min_ic: float = 0.5, pad: int = 0) -> Motif:
        """Cut the motif to the span of columns with information content above ``min_ic`` bits.

        The span runs from the first to the last such column (low-information columns
        between them stay), widened by ``pad`` columns on each side and clipped to the
        motif. Raises MotifError when no column has more than ``min_ic`` bits.
        """
        if pad < 0:
            raise MotifError(f"pad must be >= 0, got {pad}")
        informative = np.flatnonzero(self.information_content() > min_ic)
        if informative.size == 0:
            raise MotifError(
                f"motif {self._label()}: no column has more than {min_ic} bits "
                f"(maximum {self.information_content().max():.3f}); nothing left to trim to"
            )
        start = max(int(informative[0]) - pad, 0)
        end = min(int(informative[-1]) + 1 + pad, self.width)
        counts = None if self.counts is None else self.counts[:, start:end]
        return Motif(name=self.name, ppm=self.ppm[:, start:end], id=self.id, counts=counts)

    def sample(self, n: int = 1, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Sample ``n`` binding sites from the PPM, one-hot float32 ``(n, 4, W)``."""
        return sample_from_ppm(self.ppm, n=n, seed=seed)


# ---------------------------------------------------------------------------------------
# JASPAR through pyjaspar
# ---------------------------------------------------------------------------------------


def _release_name(release: int | str) -> str:
    """``2016``, ``"2016"`` or ``"JASPAR2016"`` -> ``"JASPAR2016"``, checked against pyjaspar."""
    from pyjaspar import jaspar_releases

    text = str(release).strip().upper()
    name = text if text.startswith("JASPAR") else f"JASPAR{text}"
    if name not in jaspar_releases:
        valid = ", ".join(sorted(r.removeprefix("JASPAR") for r in jaspar_releases))
        raise MotifError(f"unknown JASPAR release {release!r}; available releases: {valid}")
    return name


@functools.lru_cache(maxsize=None)
def _fetch_jaspar(
    release_name: str, collection: str | None, tax_group: str | None, all_versions: bool
) -> tuple[Motif, ...]:
    """Query pyjaspar's SQLite once per argument set (the query takes up to ~1 s)."""
    from pyjaspar import jaspardb

    db = jaspardb(release=release_name)
    try:
        with warnings.catch_warnings():
            # pyjaspar warns when nothing matches; the MotifError below says so on one line.
            warnings.filterwarnings("ignore", message="Zero motifs returned")
            records = db.fetch_motifs(
                collection=collection,
                tax_group=None if tax_group is None else [tax_group],
                all_versions=all_versions,
            )
    finally:
        db.conn.close()
    motifs = tuple(
        Motif.from_counts(np.array([rec.counts[b] for b in DNA], dtype=np.float64), name=rec.name, id=rec.matrix_id)
        for rec in records
    )
    if not motifs:
        where = _describe(release_name, collection, tax_group)
        raise MotifError(f"no motifs in {where}; check collection and tax_group")
    return motifs


def _describe(release_name: str, collection: str | None, tax_group: str | None) -> str:
    return " ".join([release_name, collection or "all collections", tax_group or "all taxa"])


def load_jaspar(
    release: int | str = 2016,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
    all_versions: bool = False,
) -> list[Motif]:
    """Load JASPAR motifs (with counts) from the release bundled in ``pyjaspar``.

    Parameters
    ----------
    release : ``2016``, ``"2016"`` or ``"JASPAR2016"``; pyjaspar ships 2014 to 2026.
    collection : JASPAR collection (``"CORE"``, ``"UNVALIDATED"``, ...), None for all.
    tax_group : taxonomic group (``"vertebrates"``, ``"insects"``, ...), None for all.
    all_versions : False keeps the latest version of every matrix ID, which is JASPAR's
        non-redundant set (CORE vertebrates: 519 motifs in 2016, 879 in 2024); True
        returns every version.

    Results are cached in-process; the returned list is a fresh copy each call.
    """
    return list(_fetch_jaspar(_release_name(release), collection, tax_group, bool(all_versions)))


class _JasparIndex(NamedTuple):
    where: str  # e.g. "JASPAR2016 CORE vertebrates", for messages
    by_id: dict[str, Motif]  # every version, "MA0079.3" -> motif
    latest_by_base: dict[str, Motif]  # "MA0079" -> its highest version
    by_name: dict[str, list[Motif]]  # exact name -> latest-version motifs with that name
    by_lower_name: dict[str, list[Motif]]


@functools.lru_cache(maxsize=None)
def _jaspar_index(release_name: str, collection: str | None, tax_group: str | None) -> _JasparIndex:
    by_id = {m.id.upper(): m for m in _fetch_jaspar(release_name, collection, tax_group, True)}
    latest_by_base: dict[str, Motif] = {}
    for full_id, motif in by_id.items():
        base, version = full_id.split(".")
        best = latest_by_base.get(base)
        if best is None or int(version) > int(best.id.split(".")[1]):
            latest_by_base[base] = motif
    by_name: dict[str, list[Motif]] = {}
    by_lower_name: dict[str, list[Motif]] = {}
    for motif in _fetch_jaspar(release_name, collection, tax_group, False):
        by_name.setdefault(motif.name, []).append(motif)
        by_lower_name.setdefault(motif.name.lower(), []).append(motif)
    return _JasparIndex(_describe(release_name, collection, tax_group), by_id, latest_by_base, by_name, by_lower_name)


def get_motif(
    name_or_id: str,
    release: int | str = 2016,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
) -> Motif:
    """Look up one JASPAR motif by matrix ID or by name.

    - A matrix ID with version (``"MA0079.3"``) returns that version (any version in the
      release, not only the latest); without version (``"MA0079"``) the latest version.
    - A name is matched against the latest-version (non-redundant) motifs: an exact match
      first, then case-insensitively (``"gabpa"`` -> ``Gabpa``). A name shared by several
      motifs (JASPAR 2022+ has e.g. ``RORA`` twice) raises MotifError listing their IDs:
      pass the ID you mean.

    Unknown names raise MotifError suggesting close matches.
    """
    if not isinstance(name_or_id, str) or not name_or_id.strip():
        raise MotifError(f"motif name or ID must be a non-empty string, got {name_or_id!r}")
    key = name_or_id.strip()
    index = _jaspar_index(_release_name(release), collection, tax_group)
    id_match = _JASPAR_ID.match(key)
    if id_match:
        base, version = id_match.group(1).upper(), id_match.group(2)
        motif = index.by_id.get(f"{base}.{version}") if version else index.latest_by_base.get(base)
        if motif is not None:
            return motif
        versions = sorted(i for i in index.by_id if i.startswith(base + "."))
        hint = f"; available versions: {', '.join(versions)}" if versions else ""
        raise MotifError(f"no motif with ID {key!r} in {index.where}{hint}")
    matches = index.by_name.get(key) or index.by_lower_name.get(key.lower(), [])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listed = ", ".join(f"{m.id} ({m.name})" for m in matches)
        raise MotifError(f"motif name {key!r} is ambiguous in {index.where}: {listed}; use a matrix ID")
    close = difflib.get_close_matches(key.lower(), list(index.by_lower_name), n=3, cutoff=0.6)
    suggestion = ", ".join(index.by_lower_name[c][0].name for c in close)
    hint = f"; did you mean {suggestion}?" if close else "; no similar names"
    raise MotifError(f"unknown motif name {key!r} in {index.where}{hint}")


def get_motifs(
    names_or_ids: str | Iterable[str],
    release: int | str = 2016,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
) -> list[Motif]:
    """``get_motif`` for each name or ID, in order (a single string counts as one name)."""
    if isinstance(names_or_ids, str):
        names_or_ids = [names_or_ids]
    return [get_motif(key, release, collection, tax_group) for key in names_or_ids]


def resolve_motifs(
    spec: str | Motif | Iterable[str | Motif],
    release: int | str = 2016,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
) -> list[Motif]:
    """Turn a list mixing JASPAR names, matrix IDs and ``Motif`` objects into motifs.

    Strings are looked up with ``get_motif``; ``Motif`` objects pass through unchanged.
    A single string or Motif is treated as a one-element list.
    """
    if isinstance(spec, (str, Motif)):
        spec = [spec]
    motifs = []
    for item in spec:
        if isinstance(item, Motif):
            motifs.append(item)
        elif isinstance(item, str):
            motifs.append(get_motif(item, release, collection, tax_group))
        else:
            raise MotifError(f"expected a motif name, ID or Motif, got {type(item).__name__} {item!r}")
    return motifs


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
