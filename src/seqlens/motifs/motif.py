"""The :class:`Motif` value type, and column statistics and sampling on probability arrays.

A motif is a position probability matrix (PPM) of shape ``(4, W)``: channels A, C, G, T
(the same channel-first layout as one-hot DNA), one column per position, each column a
probability distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..alphabet import DNA, as_rng, codes_to_one_hot
from ..errors import MotifError

#: Added to probabilities inside the logarithm of the information content (SPEC section 1).
IC_EPSILON = 1e-10
#: A PPM column may sum to 1 within this absolute tolerance. Files print probabilities with
#: a few decimals (JASPAR's MEME files: 6, so columns sum to 1 +- 1e-6); such values are kept
#: exactly as given, so files round-trip exactly. Anything further off raises MotifError.
PPM_SUM_TOLERANCE = 1e-3

_COMPLEMENT_ORDER = [3, 2, 1, 0]  # A<->T, C<->G for channels in ACGT order


# ---------------------------------------------------------------------------------------
# Column statistics and sampling on plain probability arrays
# ---------------------------------------------------------------------------------------


def information_content(probs, background=None) -> np.ndarray:
    """Information content in bits of every column of a probability array.

    ``IC = 2 + sum_a p_a log2(p_a + IC_EPSILON)``, computed in float64 (0 for a uniform
    column up to ~6e-10 from the epsilon, 2 for a single letter). With ``background``
    (four frequencies ``b``) it is the relative entropy
    ``sum_a p_a log2(p_a + IC_EPSILON) - sum_a p_a log2 b_a``: 0 for a column equal to
    the background; for ``b = 0.25`` each, the same numbers as without it.

    Parameters
    ----------
    probs : array ``(..., 4, L)`` — a PPM ``(4, W)`` or ground-truth sequence models ``(N, 4, L)``.
    background : optional ``(4,)`` nucleotide frequencies (positive, summing to 1).

    Returns
    -------
    float64 array ``(..., L)``.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim < 2 or p.shape[-2] != 4:
        raise MotifError(f"expected probabilities of shape (..., 4, L), got {p.shape}")
    neg_entropy = np.sum(p * np.log2(p + IC_EPSILON), axis=-2)
    if background is None or np.all(np.asarray(background) == 0.25):
        # SPEC's formula: -sum p log2(0.25) = 2 for columns that sum to 1
        return 2.0 + neg_entropy
    log_b = np.log2(np.asarray(background, dtype=np.float64))
    return neg_entropy - np.tensordot(log_b, p, axes=([0], [-2]))


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

    def core_information(self, width: int = 6) -> float:
        """Information (bits) of the most informative ``width`` consecutive columns (the whole motif when narrower).

        A real binding site concentrates its information in a core; a near-uniform PPM
        spreads a few bits thinly over many columns. Every JASPAR 2016 and 2024 vertebrate
        motif carries at least 5.1 bits in its best 6 columns.
        """
        content = self.information_content()
        span = min(int(width), content.size)
        return float(np.convolve(content, np.ones(span), mode="valid").max())

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
