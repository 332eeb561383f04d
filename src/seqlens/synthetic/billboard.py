"""The generator and the papers' two "billboard" tasks (no interaction between motifs matters).

Every sequence is built by the same generator (SPEC section 2):

1. draw the number of motifs ``k`` from ``motifs_per_seq`` (``{k: probability}``);
2. draw ``k`` pool entries uniformly with replacement; a pool entry is a PPM, and every
   motif contributes its forward and (unless ``reverse_complements=False``) its
   reverse-complement PPM;
3. redraw the ``k`` entries until their summed width is below the length ``L``;
4. split the remainder ``R = L - sum(widths)`` into ``k + 1`` gaps: draw ``k + 1`` uniform
   numbers, scale them to sum to ``R``, round, and redraw until the rounded gaps sum to ``R``;
5. lay out ``gap_0, motif_1, gap_1, ..., motif_k, gap_k``: background columns hold the
   background nucleotide frequencies (0.25 each by default), motif columns the PPM columns;
6. sample every position from its column of this sequence model;
7. keep the model ``(4, L)`` as ground truth with its background frequencies (so scoring
   can tell motif from background columns whatever the background), and a table of the
   embedded motifs.

The generator is vectorised over sequences (grouped by ``k``; redraws are batched over the
rows that still fail; letters come from one inverse-CDF pass over the whole model), so the
20,000 sequences of the regulatory-code task take about half a second on one core, several
times faster than a per-sequence loop (``benchmarks/bench_synthetic.py``). The random stream differs from the original code's,
the distributions are the same (``tests/test_synthetic.py`` checks them against the
reference files).

Datasets:

* :func:`regulatory_code_dataset` - the binary "billboard" task (SPEC 2a): positives from
  5 core TFs, negatives from the core plus 50 other JASPAR motifs;
* :func:`multitask_dataset` - the 12-TF multi-label task (SPEC 2b);
* :func:`simulate_sequences` - the generator itself, for any motif pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from .. import __version__
from .. import alphabet
from ..alphabet import as_rng, codes_to_one_hot
from ..data import MOTIF_SITE_COLUMNS, SeqDataset, Split, split_rows, split_sizes
from ..errors import MotifError, SeqlensError
from ..validation import check_int
from ..motifs import Motif, load_jaspar, resolve_motifs

MotifSpec = str | Motif
Seed = int | np.random.Generator | None

#: SPEC 2a: the five core TFs of the regulatory-code task.
REGULATORY_CODE_CORE = ("SP1", "Gabpa", "CEBPB", "MAX", "YY1")
#: SPEC 2a: P(k motifs) in the regulatory-code task (the code's values; the papers say "3 to 5").
REGULATORY_CODE_MOTIFS_PER_SEQ = MappingProxyType({3: 0.50, 4: 0.25, 5: 0.17, 6: 0.05, 7: 0.03})
#: SPEC 2b: the twelve TFs of the multitask task.
MULTITASK_TFS = ("Arid3a", "CEBPB", "FOSL1", "Gabpa", "MAFK", "MAX", "MEF2A", "NFYB", "SP1", "SRF", "STAT1", "YY1")
#: SPEC 2b: P(k motifs) in the multitask task (no motif-free sequences).
MULTITASK_MOTIFS_PER_SEQ = MappingProxyType({1: 0.50, 2: 0.25, 3: 0.17, 4: 0.05, 5: 0.03})
#: SPEC 2a: the background motifs the original code meant to drop as look-alikes of the core.
ORIGINAL_LOOKALIKES = ("ETV5", "CEBPG", "KLF5", "MLX", "ZIC3", "ETV3", "PLAG1", "TCF4", "NFIC", "E2F6")
#: Tomtom statistics a look-alike threshold can apply to, and their columns in the tables.
_STATISTIC_COLUMNS = {"pvalue": "p_value", "evalue": "e_value", "qvalue": "q_value"}
LOOKALIKE_STATISTICS = tuple(_STATISTIC_COLUMNS)

# Steps 3 and 4 redraw only the rows that fail. A configuration whose draws (almost) never
# fit would loop for ever; after this many rounds it is reported instead.
_MAX_REDRAW_ROUNDS = 10_000
_PROB_TOLERANCE = 1e-6


# ----------------------------------------------------------------------------------------
# validation of the shared parameters


def check_shares(mapping: Mapping, what: str, key, noun: str = "probability") -> dict:
    """The finite, non-negative values of ``mapping`` ``{key: share}`` summing to 1 (within
    1e-6), normalised, with zero entries dropped; ``key(raw)`` turns each raw key into its
    checked form (raising a SeqlensError for a bad one). Messages name ``what`` and call a
    value a ``noun`` ("probability" for a distribution, "share" for a mix)."""
    if not isinstance(mapping, Mapping) or not mapping:
        raise SeqlensError(f"{what} must be a non-empty {{key: {noun}}} mapping, got {mapping!r}")
    checked: dict = {}
    for raw, value in mapping.items():
        k = key(raw)
        try:
            p = float(value)
        except (TypeError, ValueError):
            raise SeqlensError(f"{what}[{raw!r}] is not a number: {value!r}") from None
        if not np.isfinite(p) or p < 0:
            raise SeqlensError(f"{what}[{raw!r}] must be a {noun} >= 0, got {value!r}")
        if k in checked:
            raise SeqlensError(f"{what} lists {k!r} twice")
        checked[k] = p
    total = sum(checked.values())
    if abs(total - 1.0) > _PROB_TOLERANCE:
        plural = "probabilities" if noun == "probability" else f"{noun}s"
        raise SeqlensError(f"{what} {plural} must sum to 1, got {total:.6g}")
    return {k: p / total for k, p in checked.items() if p > 0}


def _motif_count(key) -> int:
    k = int(key) if isinstance(key, str) and key.strip().isdigit() else key
    try:
        return check_int(k, "motifs_per_seq key", minimum=0)
    except SeqlensError:
        raise SeqlensError(f"motifs_per_seq keys must be motif counts >= 0, got {key!r}") from None


def check_motifs_per_seq(motifs_per_seq: Mapping) -> dict[int, float]:
    """Validate a motif-count distribution ``{k: probability}`` and return it with int keys.

    Keys are motif counts ``k >= 0`` (ints, or strings of digits as read from JSON/YAML);
    values are non-negative and sum to 1 within 1e-6. Entries with probability 0 are dropped.
    """
    return dict(sorted(check_shares(motifs_per_seq, "motifs_per_seq", _motif_count).items()))


def _check_split(split: Sequence[float], n: int) -> tuple[float, float]:
    """``(valid_fraction, test_fraction)`` of a ``(train, valid, test)`` split that fits ``n``."""
    try:
        fractions = [float(f) for f in split]
    except (TypeError, ValueError):
        raise SeqlensError(f"split must be three fractions (train, valid, test), got {split!r}") from None
    if len(fractions) != 3 or any(not np.isfinite(f) or f < 0 for f in fractions):
        raise SeqlensError(f"split must be three non-negative fractions (train, valid, test), got {split!r}")
    if abs(sum(fractions) - 1.0) > _PROB_TOLERANCE or fractions[0] == 0:
        raise SeqlensError(f"split fractions must sum to 1 with a non-empty train split, got {split!r}")
    split_sizes(n, fractions[1], fractions[2])
    return fractions[1], fractions[2]


def _seed_record(seed: Seed):
    """The seed as stored in metadata (a Generator's state is not reproducible from JSON)."""
    return "generator" if isinstance(seed, np.random.Generator) else seed


# ----------------------------------------------------------------------------------------
# the generator


@dataclass(frozen=True, eq=False)
class SimulatedSequences:
    """Output of :func:`simulate_sequences`.

    Attributes
    ----------
    X : float32 ``(N, 4, L)`` one-hot sequences sampled from ``ground_truth``.
    ground_truth : float32 ``(N, 4, L)`` sequence model: the background frequencies in
        background columns, the (column-normalised) PPM columns at embedded motifs.
    motif_sites : one row per embedded motif, ordered by sequence then start: ``sequence``
        (row of X), ``motif`` (name), ``motif_id`` (JASPAR ID, "" when the motif has none),
        ``strand`` (``'+'`` forward PPM, ``'-'`` reverse complement), ``start``, ``end``
        (exclusive), and ``motif_index`` (position of the motif in the ``motifs`` list).
    motifs : the resolved motifs, in the order ``motif_index`` refers to.
    background : float64 ``(4,)`` nucleotide frequencies of the background columns.
    """

    X: np.ndarray
    ground_truth: np.ndarray
    motif_sites: pd.DataFrame
    motifs: tuple[Motif, ...]
    background: np.ndarray

    def __len__(self) -> int:
        return self.X.shape[0]

    @property
    def n_motifs(self) -> np.ndarray:
        """int64 ``(N,)``: number of motifs embedded in each sequence."""
        return np.bincount(self.motif_sites["sequence"].to_numpy(), minlength=len(self))

    def motif_presence(self) -> np.ndarray:
        """float32 ``(N, M)`` multi-hot: 1 where motif ``m`` occurs in a sequence, either strand."""
        presence = np.zeros((len(self), len(self.motifs)), dtype=np.float32)
        presence[self.motif_sites["sequence"].to_numpy(), self.motif_sites["motif_index"].to_numpy()] = 1
        return presence


@dataclass(frozen=True)
class _Pool:
    """Pool entries (one per strand of every motif), padded to a common width."""

    ppms: np.ndarray  # float64 (P, 4, W_max), columns beyond an entry's width are unused
    widths: np.ndarray  # int64 (P,)
    motif_index: np.ndarray  # int64 (P,), index into the motif list
    strand: np.ndarray  # '+' / '-' (P,)


def _build_pool(motifs: Sequence[Motif], reverse_complements: bool) -> _Pool:
    strands = ("+", "-") if reverse_complements else ("+",)
    entries = [(m, s) for m in range(len(motifs)) for s in strands]
    widths = np.array([motifs[m].width for m, _ in entries], dtype=np.int64)
    ppms = np.zeros((len(entries), 4, widths.max()), dtype=np.float64)
    for row, (m, strand) in enumerate(entries):
        motif = motifs[m] if strand == "+" else motifs[m].reverse_complement()
        # Motif allows columns summing to 1 +- 1e-3 (values kept as printed in files);
        # the sequence model must be an exact distribution to be sampled from.
        ppms[row, :, : motif.width] = motif.ppm / motif.ppm.sum(axis=0)
    return _Pool(
        ppms=ppms,
        widths=widths,
        motif_index=np.array([m for m, _ in entries], dtype=np.int64),
        strand=np.array([s for _, s in entries]),
    )


def _check_placeable(motifs: Sequence[Motif], pool: _Pool, ks: Sequence[int], length: int) -> None:
    """Refuse up front what the redraw loops could never satisfy."""
    too_wide = [m for m in motifs if m.width >= length]
    if too_wide:
        m = too_wide[0]
        raise MotifError(
            f"motif {m.name!r} ({m.id or 'no id'}) has width {m.width} >= sequence length {length}; it can never be placed"
        )
    k_max = max(ks)
    narrowest = int(pool.widths.min())
    if k_max * narrowest >= length:
        raise MotifError(
            f"{k_max} motifs never fit in length {length}: the narrowest motif has width {narrowest}, "
            f"so k motifs need at least {k_max * narrowest} positions; lower k or raise the length"
        )


def _redraw_failures(draw, failing, rows: np.ndarray, what: str) -> None:
    """Redraw ``rows`` with ``draw(rows)`` until ``failing(rows)`` selects none of them."""
    rows = rows[failing(rows)]
    for _ in range(_MAX_REDRAW_ROUNDS):
        if rows.size == 0:
            return
        draw(rows)
        rows = rows[failing(rows)]
    raise MotifError(f"{what} after {_MAX_REDRAW_ROUNDS} redraws; the configuration almost never fits")


def _layout(rng: np.random.Generator, pool: _Pool, k: int, m: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Steps 2-5 for ``m`` sequences of ``k`` motifs: pool entries and start positions, ``(m, k)`` each."""
    n_pool = len(pool.widths)
    entries = rng.integers(n_pool, size=(m, k))
    total = pool.widths[entries].sum(axis=1)

    def draw_entries(rows):
        entries[rows] = rng.integers(n_pool, size=(rows.size, k))
        total[rows] = pool.widths[entries[rows]].sum(axis=1)

    _redraw_failures(draw_entries, lambda rows: total[rows] >= length, np.arange(m), f"{k} motifs did not fit in {length} nt")
    return entries, _starts(rng, pool.widths[entries], length)


def _starts(rng: np.random.Generator, widths: np.ndarray, length: int) -> np.ndarray:
    """Steps 4-5 for ``m`` rows of ``k`` blocks of ``widths`` ``(m, k)`` (each row summing to at
    most ``length``), laid out in column order: the start of every block, ``(m, k)``."""
    m, k = widths.shape
    remainder = length - widths.sum(axis=1)
    gaps = np.empty((m, k + 1), dtype=np.int64)

    def draw_gaps(rows):
        # 1 - U lies in (0, 1]: a row of weights can never sum to zero.
        weights = 1.0 - rng.random((rows.size, k + 1))
        gaps[rows] = np.rint(weights / weights.sum(axis=1, keepdims=True) * remainder[rows, None])

    all_rows = np.arange(m)
    draw_gaps(all_rows)
    _redraw_failures(draw_gaps, lambda rows: gaps[rows].sum(axis=1) != remainder[rows], all_rows, "gaps did not round to the free length")

    widths_before = np.cumsum(widths, axis=1) - widths
    return np.cumsum(gaps[:, :k], axis=1) + widths_before


def _sample_from_model(rng: np.random.Generator, model: np.ndarray) -> np.ndarray:
    """Step 6: one letter per column of ``model`` ``(N, 4, L)`` by inverse CDF, one-hot float32."""
    # Cumulative sums letter by letter on contiguous (N, L) planes (a cumsum over the
    # channel axis is several times slower).
    cdf_a = model[:, 0]
    cdf_ac = cdf_a + model[:, 1]
    cdf_acg = cdf_ac + model[:, 2]
    total = cdf_acg + model[:, 3]
    # u stays strictly below each column's total, so a letter of probability 0 (whose
    # cumulative sum equals its predecessor's) is never drawn, whatever the rounding.
    u = np.minimum(rng.random(total.shape, dtype=np.float32) * total, np.nextafter(total, np.float32(0)))
    codes = (u >= cdf_a).astype(np.int8)
    codes += u >= cdf_ac
    codes += u >= cdf_acg
    return codes_to_one_hot(codes)


def simulate_sequences(
    motifs: Sequence[MotifSpec],
    n: int,
    length: int = 200,
    motifs_per_seq: Mapping = REGULATORY_CODE_MOTIFS_PER_SEQ,
    background_probs: Sequence[float] | None = None,
    gc: float | None = None,
    reverse_complements: bool = True,
    seed: Seed = None,
    release: int | str = 2016,
) -> SimulatedSequences:
    """Generate ``n`` sequences embedding motifs drawn from a pool (steps 1-7 of SPEC 2).

    Parameters
    ----------
    motifs : JASPAR names, matrix IDs (looked up in ``release``) or :class:`Motif` objects.
        Each contributes its forward PPM and, with ``reverse_complements``, its reverse
        complement as pool entries; entries are drawn uniformly with replacement.
    n : number of sequences (>= 0).
    length : sequence length ``L``.
    motifs_per_seq : distribution of the number of motifs per sequence, ``{k: probability}``.
    background_probs : four nucleotide frequencies (A, C, G, T) of background columns;
        uniform by default. ``gc`` instead sets them from a GC content.
    seed : int, ``numpy.random.Generator`` or None; the same seed gives the same arrays.

    Returns
    -------
    :class:`SimulatedSequences` with ``X`` and ``ground_truth`` ``(n, 4, length)``.

    Raises :class:`MotifError` for an empty pool, unknown motif names, a motif as wide as
    the sequence, or a ``k`` that can never fit; :class:`SeqlensError` for bad counts and
    probabilities.
    """
    n = check_int(n, "n", minimum=0)
    length = check_int(length, "length", minimum=1)
    distribution = check_motifs_per_seq(motifs_per_seq)
    background = alphabet.background_probs(background_probs, gc)
    motifs = tuple(resolve_motifs(motifs, release))
    if not motifs:
        raise MotifError("the motif pool is empty; give at least one motif")
    pool = _build_pool(motifs, reverse_complements)
    _check_placeable(motifs, pool, list(distribution), length)

    rng = as_rng(seed)
    ks = np.array(list(distribution))
    k_of_seq = ks[rng.choice(len(ks), size=n, p=np.array(list(distribution.values())))]

    model = np.empty((n, 4, length), dtype=np.float32)
    model[:] = background[None, :, None]
    site_seq, site_entry, site_start = [], [], []
    for k in ks[ks > 0]:
        seqs = np.flatnonzero(k_of_seq == k)
        if seqs.size == 0:
            continue
        entries, starts = _layout(rng, pool, int(k), seqs.size, length)
        site_seq.append(np.repeat(seqs, k))
        site_entry.append(entries.ravel())
        site_start.append(starts.ravel())
    site_seq = np.concatenate(site_seq) if site_seq else np.zeros(0, dtype=np.int64)
    site_entry = np.concatenate(site_entry) if site_entry else np.zeros(0, dtype=np.int64)
    site_start = np.concatenate(site_start) if site_start else np.zeros(0, dtype=np.int64)
    order = np.lexsort((site_start, site_seq))
    site_seq, site_entry, site_start = site_seq[order], site_entry[order], site_start[order]

    _write_sites(model, pool, site_seq, site_entry, site_start)
    X = _sample_from_model(rng, model)
    sites = _site_table(motifs, pool, site_seq, site_entry, site_start)
    return SimulatedSequences(X=X, ground_truth=model, motif_sites=sites, motifs=motifs, background=background)


def _write_sites(model: np.ndarray, pool: _Pool, site_seq: np.ndarray, site_entry: np.ndarray, site_start: np.ndarray) -> None:
    """Write every motif column of every site (pool entry at a start) into ``model`` in one scatter."""
    site_width = pool.widths[site_entry]
    column_site = np.repeat(np.arange(site_seq.size), site_width)
    offset = np.arange(column_site.size) - np.repeat(np.cumsum(site_width) - site_width, site_width)
    model[site_seq[column_site], :, site_start[column_site] + offset] = pool.ppms[site_entry[column_site], :, offset]


def _site_table(motifs: Sequence[Motif], pool: _Pool, site_seq: np.ndarray, site_entry: np.ndarray, site_start: np.ndarray) -> pd.DataFrame:
    """The motif-site table (see :class:`SimulatedSequences`) of sites given as pool entries at starts."""
    motif_index = pool.motif_index[site_entry]
    names = np.array([m.name for m in motifs], dtype=object)
    ids = np.array([m.id or "" for m in motifs], dtype=object)
    return pd.DataFrame(
        {
            "sequence": site_seq,
            "motif": names[motif_index],
            "motif_id": ids[motif_index],
            "strand": pool.strand[site_entry],
            "start": site_start,
            "end": site_start + pool.widths[site_entry],
            "motif_index": motif_index,
        }
    )


# ----------------------------------------------------------------------------------------
# look-alike motifs (Tomtom)


def find_lookalikes(
    candidates: Sequence[Motif],
    references: Sequence[Motif],
    statistic: str = "evalue",
    threshold: float = 0.1,
) -> pd.DataFrame:
    """Flag candidate motifs similar to any reference motif, by Tomtom (``memelite``).

    Each reference is a Tomtom query searched against the candidates as the database (both
    strands), through :func:`seqlens.tomtom.tomtom_table`: ``p_value`` of the best
    alignment, ``e_value`` = p-value x number of candidates, ``q_value`` Benjamini-Hochberg
    over one query's matches. A candidate is a look-alike when its smallest value of
    ``statistic`` (``"pvalue"``, ``"evalue"`` or ``"qvalue"``) over the references is
    <= ``threshold``. Tomtom's p-values use the candidates' columns as background, so give
    a full database (e.g. a JASPAR release) rather than a handful of motifs.

    Returns
    -------
    One row per candidate, in input order: ``motif``, ``motif_id``, ``best_reference``
    (name of the reference with the smallest p-value), ``p_value``, ``e_value``,
    ``q_value`` (each the minimum over references) and ``is_lookalike``.
    """
    if statistic not in LOOKALIKE_STATISTICS:
        raise SeqlensError(f"look-alike statistic must be one of {LOOKALIKE_STATISTICS}, got {statistic!r}")
    if not np.isfinite(threshold) or threshold < 0:
        raise SeqlensError(f"look-alike threshold must be >= 0, got {threshold!r}")
    if not candidates or not references:
        raise MotifError("find_lookalikes needs at least one candidate and one reference motif")
    # Imported here: memelite's numba kernels are costly to load and only this option of
    # the generator needs them.
    from ..tomtom import tomtom_table

    hits = tomtom_table(list(references), list(candidates))
    best = hits.sort_values(["target_index", "p_value"], kind="mergesort").drop_duplicates("target_index")
    best = best.set_index("target_index").sort_index()
    smallest = hits.groupby("target_index")[["p_value", "e_value", "q_value"]].min().sort_index()
    table = pd.DataFrame(
        {
            "motif": [m.name for m in candidates],
            "motif_id": [m.id or "" for m in candidates],
            "best_reference": best["query"].to_numpy(),
            **{col: smallest[col].to_numpy() for col in _STATISTIC_COLUMNS.values()},
        }
    )
    table["is_lookalike"] = table[_STATISTIC_COLUMNS[statistic]] <= threshold
    return table


# ----------------------------------------------------------------------------------------
# datasets


def _motif_records(motifs: Sequence[Motif]) -> list[dict]:
    return [{"name": m.name, "id": m.id} for m in motifs]


def _check_distinct(motifs: Sequence[Motif], what: str) -> None:
    seen = set()
    for m in motifs:
        if m in seen:
            raise MotifError(f"{what} lists motif {m.name!r} ({m.id or 'no id'}) twice")
        seen.add(m)


def _assemble(
    X: np.ndarray,
    y: np.ndarray,
    ground_truth: np.ndarray,
    background: np.ndarray,
    sites: pd.DataFrame,
    split: Sequence[float],
    rng: np.random.Generator,
    task_names: list[str],
    metadata: dict,
    site_columns: Sequence[str] = MOTIF_SITE_COLUMNS,
) -> SeqDataset:
    """Shuffle all sequences (with their sites) and split them into train/valid/test (``split_rows``).

    The motif-site tables keep ``site_columns`` of ``sites``."""
    valid_fraction, test_fraction = _check_split(split, len(X))
    whole = Split(X=X, y=y, ground_truth=ground_truth, motif_sites=sites[list(site_columns)], background=background)
    rows = split_rows(len(X), valid_fraction, test_fraction, rng)
    return SeqDataset(**{name: whole.subset(part) for name, part in rows.items()}, task_names=task_names, metadata=metadata)


def regulatory_code_dataset(
    n: int = 20_000,
    length: int = 200,
    core: Sequence[MotifSpec] = REGULATORY_CODE_CORE,
    n_background_motifs: int = 50,
    release: int | str = 2016,
    motifs_per_seq: Mapping = REGULATORY_CODE_MOTIFS_PER_SEQ,
    background_candidates: Sequence[MotifSpec] | None = None,
    exclude_lookalikes: bool = False,
    lookalike_statistic: str = "evalue",
    lookalike_threshold: float = 0.1,
    background_probs: Sequence[float] | None = None,
    gc: float | None = None,
    reverse_complements: bool = True,
    split: Sequence[float] = (0.7, 0.1, 0.2),
    seed: Seed = 0,
) -> SeqDataset:
    """The binary "regulatory code" (billboard) task of SPEC 2a.

    ``n // 2`` positives (label 1) embed motifs from the core pool only (5 TFs, 10 PPMs with
    reverse complements); the other ``n - n // 2`` negatives (label 0) draw from the core
    plus ``n_background_motifs`` other motifs (110 PPMs by default), so about 31% of the
    negatives still hold a core motif. The background motifs are the first ones of a seeded
    random permutation of ``background_candidates`` (default: every motif of the JASPAR
    ``release``, CORE vertebrates non-redundant, except the core ones).

    ``exclude_lookalikes`` drops candidates that Tomtom finds similar to a core motif
    (``lookalike_statistic`` <= ``lookalike_threshold``, see :func:`find_lookalikes`; the
    original code meant to but removed nothing, so this is off by default). The first call
    compiles memelite's Tomtom (about a minute); numba caches it on disk for later calls.

    All sequences are shuffled and split by ``split`` (train, valid, test fractions).
    Returns a :class:`SeqDataset` with task ``"label"``, ground truth and motif sites;
    ``metadata`` records every parameter, the seed, the release and the motifs used.
    """
    n = check_int(n, "n", minimum=2)
    n_background_motifs = check_int(n_background_motifs, "n_background_motifs", minimum=0)
    _check_split(split, n)
    core = resolve_motifs(core, release)
    if not core:
        raise MotifError("the core motif list is empty")
    _check_distinct(core, "core")
    rng = as_rng(seed)

    if background_candidates is None:
        core_ids = {m.id for m in core if m.id}
        candidates = [m for m in load_jaspar(release) if m.id not in core_ids and m not in core]
    else:
        candidates = [m for m in resolve_motifs(background_candidates, release) if m not in core]
    lookalikes: list[dict] = []
    if exclude_lookalikes and n_background_motifs > 0:
        table = find_lookalikes(candidates, core, lookalike_statistic, lookalike_threshold)
        lookalikes = table.loc[table["is_lookalike"], ["motif", "motif_id", "best_reference", *_STATISTIC_COLUMNS.values()]]
        lookalikes = lookalikes.rename(columns={"motif": "name", "motif_id": "id"}).to_dict("records")
        candidates = [m for m, flagged in zip(candidates, table["is_lookalike"]) if not flagged]
    if n_background_motifs > len(candidates):
        raise MotifError(
            f"n_background_motifs={n_background_motifs} but only {len(candidates)} candidate background motifs remain"
        )
    background_motifs = [candidates[i] for i in rng.permutation(len(candidates))[:n_background_motifs]]

    common = dict(
        length=length,
        motifs_per_seq=motifs_per_seq,
        background_probs=background_probs,
        gc=gc,
        reverse_complements=reverse_complements,
        release=release,
    )
    n_positive = n // 2
    positives = simulate_sequences(core, n_positive, seed=rng, **common)
    negatives = simulate_sequences(core + background_motifs, n - n_positive, seed=rng, **common)
    neg_sites = negatives.motif_sites.assign(sequence=negatives.motif_sites["sequence"] + n_positive)
    metadata = {
        "generator": "regulatory_code",
        "seqlens_version": __version__,
        "n": n,
        "length": length,
        "seed": _seed_record(seed),
        "jaspar_release": release,
        "core_motifs": _motif_records(core),
        "background_motifs": _motif_records(background_motifs),
        "n_background_motifs": n_background_motifs,
        "background_candidates": "jaspar" if background_candidates is None else _motif_records(candidates),
        "exclude_lookalikes": exclude_lookalikes,
        "lookalike_statistic": lookalike_statistic,
        "lookalike_threshold": lookalike_threshold,
        "excluded_lookalikes": lookalikes,
        "motifs_per_seq": {str(k): p for k, p in check_motifs_per_seq(motifs_per_seq).items()},
        "background_probs": alphabet.background_probs(background_probs, gc).tolist(),
        "reverse_complements": reverse_complements,
        "pool_sizes": {"positive": len(core) * (1 + reverse_complements), "negative": (len(core) + n_background_motifs) * (1 + reverse_complements)},
        "split": [float(f) for f in split],
    }
    return _assemble(
        X=np.concatenate([positives.X, negatives.X]),
        y=np.repeat(np.array([1.0, 0.0], dtype=np.float32), [n_positive, n - n_positive])[:, None],
        ground_truth=np.concatenate([positives.ground_truth, negatives.ground_truth]),
        background=positives.background,
        sites=pd.concat([positives.motif_sites, neg_sites], ignore_index=True),
        split=split,
        rng=rng,
        task_names=["label"],
        metadata=metadata,
    )


def multitask_dataset(
    n: int = 30_000,
    length: int = 200,
    tfs: Sequence[MotifSpec] = MULTITASK_TFS,
    release: int | str = 2016,
    motifs_per_seq: Mapping = MULTITASK_MOTIFS_PER_SEQ,
    background_probs: Sequence[float] | None = None,
    gc: float | None = None,
    reverse_complements: bool = True,
    split: Sequence[float] = (0.7, 0.1, 0.2),
    seed: Seed = 0,
) -> SeqDataset:
    """The multitask task of SPEC 2b: one label per TF, 1 if the TF occurs on either strand.

    Pool = the ``tfs`` (12 TFs, 24 PPMs with reverse complements by default); per-TF
    prevalence is about 0.145 with the default distribution. Task names are the motif
    names (``"name (id)"`` where two motifs share a name). Shuffled and split by ``split``.
    """
    n = check_int(n, "n", minimum=1)
    _check_split(split, n)
    tfs = resolve_motifs(tfs, release)
    _check_distinct(tfs, "tfs")
    rng = as_rng(seed)
    simulated = simulate_sequences(
        tfs,
        n,
        length=length,
        motifs_per_seq=motifs_per_seq,
        background_probs=background_probs,
        gc=gc,
        reverse_complements=reverse_complements,
        seed=rng,
        release=release,
    )
    names = [m.name for m in tfs]
    task_names = [f"{m.name} ({m.id})" if names.count(m.name) > 1 else m.name for m in tfs]
    metadata = {
        "generator": "multitask",
        "seqlens_version": __version__,
        "n": n,
        "length": length,
        "seed": _seed_record(seed),
        "jaspar_release": release,
        "tfs": _motif_records(tfs),
        "motifs_per_seq": {str(k): p for k, p in check_motifs_per_seq(motifs_per_seq).items()},
        "background_probs": alphabet.background_probs(background_probs, gc).tolist(),
        "reverse_complements": reverse_complements,
        "pool_size": len(tfs) * (1 + reverse_complements),
        "split": [float(f) for f in split],
    }
    return _assemble(
        X=simulated.X,
        y=simulated.motif_presence(),
        ground_truth=simulated.ground_truth,
        background=simulated.background,
        sites=simulated.motif_sites,
        split=split,
        rng=rng,
        task_names=task_names,
        metadata=metadata,
    )
