"""Grammar tasks: the label depends on how motifs are arranged, and the rule is ground truth.

The papers' tasks are billboards (:mod:`seqlens.synthetic.billboard`): a label depends on
which motifs occur, so no interaction between motifs can be checked on them. Here the label
follows a syntax rule, and the negatives are built so that a model must learn the rule
itself, not the mere presence of its motifs:

* :func:`cooperative_pair_dataset` - motifs A and B count only together, at gap
  ``spacing +- tolerance`` in a given ``orientation`` (A upstream of B). Negatives hold A
  and B at a wrong gap, in a wrong orientation, in the wrong order, or only one of them.
* :func:`ordered_pair_dataset` - A must be upstream of B. Negatives hold B upstream of A,
  with the same gap and strand distributions.
* :func:`repressor_dataset` - an activator counts unless a repressor lies within
  ``distance``. Positives hold the activator alone or with the repressor farther away;
  negatives hold the repressor within the distance, or the repressor alone.
* :func:`count_threshold_dataset` - at least ``threshold`` copies of a motif. Negatives
  hold 1 to ``threshold - 1`` copies (none when the threshold is 1).

Gaps are measured the same way everywhere (:data:`GAP_DEFINITION`): the start of the
downstream site minus the end (exclusive) of the upstream site, in nt on the forward
strand, i.e. the number of background positions between the two sites (0 = adjacent).

How a sequence is built: its rule sites come as *blocks* (a pair at a fixed gap is one
block, its spacer background), distractor motifs (optional, drawn from ``distractors``,
``distractors_per_seq`` of them) as one block each; the blocks are put in a random order and
laid out with random gaps exactly as the billboard generator lays out its motifs (steps 4-5
of SPEC 2); every position is then sampled from the resulting sequence model. Half the
sequences (``n // 2``) are positives (label 1). The ground truth is, as for the papers'
tasks, the sequence model ``(N, 4, L)`` and the motif-site table, which here has a ``role``
column (``motif_a``, ``motif_b``, ``activator``, ``repressor``, ``motif`` or
``distractor``). ``metadata["rule"]`` names the task and every parameter of its rule as
JSON, so it survives an HDF5 round trip, and :func:`rule_labels` re-derives the labels of
any site table from it (e.g. to score what global importance analysis recovers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from .. import __version__, alphabet
from ..alphabet import as_rng
from ..data import MOTIF_SITE_COLUMNS, SeqDataset
from ..errors import MotifError, SeqlensError
from ..motifs import Motif, resolve_motifs
from ..validation import check_int, did_you_mean
from .billboard import (
    MotifSpec,
    Seed,
    _assemble,
    _build_pool,
    _check_distinct,
    _check_split,
    _motif_records,
    _Pool,
    _sample_from_model,
    _seed_record,
    _site_table,
    _starts,
    _write_sites,
    check_motifs_per_seq,
    check_shares,
)

#: Strands of (A, B) a cooperative pair can require: '+' forward PPM, '-' reverse complement.
ORIENTATIONS = ("++", "+-", "-+", "--")
#: How every gap (spacing, distance) between two sites is measured.
GAP_DEFINITION = (
    "gap = start of the downstream site minus end (exclusive) of the upstream site, in nt on the "
    "forward strand: the number of positions between the two sites (0 = adjacent)"
)
#: Kinds of cooperative-pair negatives and their default shares: A then B in the right
#: orientation at a wrong gap; at the right gap in one of the three other orientations;
#: B then A at the right gap and strands; A alone; B alone.
COOPERATIVE_DECOYS = MappingProxyType({"spacing": 0.4, "orientation": 0.2, "order": 0.1, "a-only": 0.15, "b-only": 0.15})
#: Kinds of repressor negatives and their default shares: the repressor within the
#: distance of the activator (either side); the repressor without an activator.
REPRESSOR_DECOYS = MappingProxyType({"near": 0.75, "no-activator": 0.25})
#: Default number of distractor motifs per sequence, ``{k: probability}`` (used when
#: ``distractors`` names any).
DISTRACTORS_PER_SEQ = MappingProxyType({0: 0.25, 1: 0.5, 2: 0.25})
#: Columns of the grammar tasks' motif-site tables.
SITE_COLUMNS = (*MOTIF_SITE_COLUMNS, "role")


# ----------------------------------------------------------------------------------------
# shared set-up: motifs, pool, distractors, blocks, layout


def _check_mix(mix: Mapping, kinds: Sequence[str], what: str) -> dict[str, float]:
    """A ``{kind: share}`` mapping over ``kinds``: shares >= 0 summing to 1 (zero shares dropped)."""
    if not isinstance(mix, Mapping) or not mix:
        raise SeqlensError(f"{what} must be a non-empty {{kind: share}} mapping over {', '.join(kinds)}, got {mix!r}")

    def kind_of(kind):
        if kind not in kinds:
            raise SeqlensError(f"unknown {what} kind {kind!r}; expected {', '.join(kinds)}{did_you_mean(kind, kinds)}")
        return kind

    return check_shares(mix, what, kind_of, noun="share")


def _check_fraction(value, name: str) -> float:
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise SeqlensError(f"{name} must be a number in [0, 1], got {value!r}") from None
    if not 0 <= p <= 1:
        raise SeqlensError(f"{name} must be in [0, 1], got {value!r}")
    return p


@dataclass(frozen=True, eq=False)
class _Setup:
    """Everything a grammar task needs besides its rule, checked before anything is drawn."""

    n: int
    length: int
    motifs: tuple[Motif, ...]  # the rule motifs, then the distractors
    n_rule: int
    distractors_per_seq: dict[int, float]  # empty without distractors
    background: np.ndarray
    reverse_complements: bool
    pool: _Pool  # both strands of every motif: entry 2 i is motif i forward, 2 i + 1 reverse
    release: int | str
    split: tuple[float, ...]

    @property
    def room(self) -> int:
        """Rule blocks must be narrower than this to fit beside the most distractors a sequence gets."""
        if not self.distractors_per_seq:
            return self.length
        widest = max(m.width for m in self.motifs[self.n_rule :])
        return self.length - max(self.distractors_per_seq) * widest

    def width(self, i: int) -> int:
        return self.motifs[i].width

    @staticmethod
    def entry(i: int, minus) -> np.ndarray:
        """Pool entries of motif ``i`` on the reverse strand where ``minus``, else forward."""
        return 2 * i + np.asarray(minus, dtype=np.int64)

    def free_strands(self, rng: np.random.Generator, m: int) -> np.ndarray:
        """``m`` strands the rule leaves free (True = reverse): random, or forward only."""
        if self.reverse_complements:
            return rng.random(m) < 0.5
        return np.zeros(m, dtype=bool)

    def check_fits(self, width: int, what: str) -> None:
        if width >= self.room:
            beside = f" beside up to {max(self.distractors_per_seq)} distractors" if self.distractors_per_seq else ""
            raise SeqlensError(f"{what} needs {width} nt{beside}, which does not fit in length {self.length}; raise length")

    def longest_gap(self, widths: int, max_gap, name: str) -> int:
        """``max_gap`` checked (or, when None, the largest gap that always fits) between sites of summed ``widths``."""
        largest = self.room - 1 - widths
        if max_gap is None:
            return largest
        max_gap = check_int(max_gap, name, minimum=0)
        self.check_fits(widths + max_gap, f"{name}={max_gap} with motifs of total width {widths}")
        return max_gap


def _setup(
    rule_motifs: Sequence[tuple[str, MotifSpec]],
    n,
    length,
    distractors: Sequence[MotifSpec],
    distractors_per_seq: Mapping,
    release,
    background_probs,
    gc,
    reverse_complements: bool,
    split: Sequence[float],
) -> _Setup:
    n = check_int(n, "n", minimum=2)
    length = check_int(length, "length", minimum=1)
    _check_split(split, n)
    background = alphabet.background_probs(background_probs, gc)
    resolved = []
    for name, spec in rule_motifs:
        if isinstance(spec, (list, tuple)):
            raise MotifError(f"{name} must be one motif (a name, matrix ID or Motif), got {spec!r}")
        resolved.extend(resolve_motifs([spec], release))
    if len(rule_motifs) == 2 and resolved[0] == resolved[1]:
        first, second = (name for name, _ in rule_motifs)
        raise MotifError(f"{first} and {second} are the same motif ({resolved[0].name}, {resolved[0].id or 'no id'}); the rule needs two different motifs")
    if isinstance(distractors, (str, Motif)):
        distractors = [distractors]
    extra = resolve_motifs(list(distractors), release)
    _check_distinct(extra, "distractors")
    rule_names = {m.name for m in resolved}
    for m in extra:
        if m in resolved or m.name in rule_names:
            raise MotifError(f"distractor {m.name!r} ({m.id or 'no id'}) is a motif of the rule; distractors must be other motifs")
    distribution = check_motifs_per_seq(distractors_per_seq) if extra else {}
    if distribution and max(distribution) == 0:
        distribution = {}
    motifs = tuple(resolved) + tuple(extra)
    for m in motifs:
        if m.width >= length:
            raise MotifError(f"motif {m.name!r} ({m.id or 'no id'}) has width {m.width} >= sequence length {length}; it can never be placed")
    return _Setup(
        n=n,
        length=length,
        motifs=motifs,
        n_rule=len(resolved),
        distractors_per_seq=distribution,
        background=background,
        reverse_complements=bool(reverse_complements),
        pool=_build_pool(motifs, reverse_complements=True),
        release=release,
        split=tuple(float(f) for f in split),
    )


class _Blocks:
    """The blocks of every sequence: one or more sites at fixed offsets from the block start."""

    def __init__(self):
        self.seq, self.width = [], []
        self.site_block, self.site_entry, self.site_offset, self.site_role = [], [], [], []
        self.count = 0

    def add(self, seq: np.ndarray, width, *sites: tuple) -> None:
        """One block per sequence of ``seq``, ``width`` wide, with ``sites`` ``(entry, offset, role)``
        (entries and offsets are scalars or one per block)."""
        seq = np.asarray(seq, dtype=np.int64)
        m = seq.size
        ids = self.count + np.arange(m)
        self.seq.append(seq)
        self.width.append(np.broadcast_to(np.asarray(width, dtype=np.int64), (m,)))
        for entry, offset, role in sites:
            self.site_block.append(ids)
            self.site_entry.append(np.broadcast_to(np.asarray(entry, dtype=np.int64), (m,)))
            self.site_offset.append(np.broadcast_to(np.asarray(offset, dtype=np.int64), (m,)))
            self.site_role.append(np.full(m, role, dtype=object))
        self.count += m

    def pair(self, seq, gap, first: tuple[int, np.ndarray, str], second: tuple[int, np.ndarray, str], setup: _Setup) -> None:
        """``first`` then ``second`` (``(motif index, reverse strand?, role)``) ``gap`` nt apart, as one block."""
        (i, minus_i, role_i), (j, minus_j, role_j) = first, second
        wi, wj = setup.width(i), setup.width(j)
        self.add(seq, wi + gap + wj, (setup.entry(i, minus_i), 0, role_i), (setup.entry(j, minus_j), wi + gap, role_j))

    def distractors(self, rng: np.random.Generator, setup: _Setup) -> None:
        if not setup.distractors_per_seq:
            return
        ks = np.array(list(setup.distractors_per_seq))
        counts = ks[rng.choice(len(ks), size=setup.n, p=np.array(list(setup.distractors_per_seq.values())))]
        seq = np.repeat(np.arange(setup.n), counts)
        motif = setup.n_rule + rng.integers(len(setup.motifs) - setup.n_rule, size=seq.size)
        minus = setup.free_strands(rng, seq.size)
        entry = 2 * motif + minus
        self.add(seq, setup.pool.widths[entry], (entry, 0, "distractor"))

    def place(self, rng: np.random.Generator, n: int, length: int) -> tuple[np.ndarray, ...]:
        """Random block order per sequence, random gaps (``_starts``): ``(sequence, entry, start, role)`` of every site."""
        seq = np.concatenate(self.seq)
        width = np.concatenate(self.width)
        order = np.lexsort((rng.random(seq.size), seq))
        counts = np.bincount(seq, minlength=n)
        first = np.cumsum(counts) - counts
        start = np.zeros(seq.size, dtype=np.int64)
        for k in np.unique(counts[counts > 0]):
            rows = np.flatnonzero(counts == k)
            blocks = order[first[rows, None] + np.arange(k)]
            start[blocks] = _starts(rng, width[blocks], length)
        block = np.concatenate(self.site_block)
        site_seq = seq[block]
        site_start = start[block] + np.concatenate(self.site_offset)
        site_entry = np.concatenate(self.site_entry)
        site_role = np.concatenate(self.site_role)
        keep = np.lexsort((site_start, site_seq))
        return site_seq[keep], site_entry[keep], site_start[keep], site_role[keep]


def _finish(
    setup: _Setup,
    rng: np.random.Generator,
    blocks: _Blocks,
    generator: str,
    seed: Seed,
    rule: dict,
    settings: dict,
) -> SeqDataset:
    """Distractors, layout, sequence model, letters, site table and metadata; shuffled and split."""
    blocks.distractors(rng, setup)
    n, length = setup.n, setup.length
    site_seq, site_entry, site_start, site_role = blocks.place(rng, n, length)
    model = np.empty((n, 4, length), dtype=np.float32)
    model[:] = setup.background[None, :, None]
    _write_sites(model, setup.pool, site_seq, site_entry, site_start)
    X = _sample_from_model(rng, model)
    sites = _site_table(setup.motifs, setup.pool, site_seq, site_entry, site_start).assign(role=site_role)
    n_positive = n // 2
    metadata = {
        "generator": generator,
        "seqlens_version": __version__,
        "n": n,
        "length": length,
        "seed": _seed_record(seed),
        "jaspar_release": setup.release,
        "rule": rule,
        "rule_motifs": _motif_records(setup.motifs[: setup.n_rule]),
        **settings,
        "distractors": _motif_records(setup.motifs[setup.n_rule :]),
        "distractors_per_seq": {str(k): p for k, p in setup.distractors_per_seq.items()},
        "background_probs": setup.background.tolist(),
        "reverse_complements": setup.reverse_complements,
        "split": list(setup.split),
    }
    return _assemble(
        X=X,
        y=np.repeat(np.array([1.0, 0.0], dtype=np.float32), [n_positive, n - n_positive])[:, None],
        ground_truth=model,
        background=setup.background,
        sites=sites,
        split=setup.split,
        rng=rng,
        task_names=["label"],
        metadata=metadata,
        site_columns=SITE_COLUMNS,
    )


def _draw_kinds(rng: np.random.Generator, mix: dict[str, float], rows: np.ndarray) -> dict[str, np.ndarray]:
    """Split ``rows`` at random into the kinds of ``mix`` (each row drawn with the kinds' shares)."""
    kinds = list(mix)
    drawn = rng.choice(len(kinds), size=rows.size, p=np.array(list(mix.values())))
    return {kind: rows[drawn == i] for i, kind in enumerate(kinds)}


def _named(motif: Motif, role: str) -> dict:
    return {role: motif.name, f"{role}_id": motif.id or ""}


# ----------------------------------------------------------------------------------------
# the tasks


def cooperative_pair_dataset(
    n: int = 10_000,
    length: int = 200,
    motif_a: MotifSpec = "GATA1",
    motif_b: MotifSpec = "TAL1::TCF3",
    spacing: int = 20,
    tolerance: int = 2,
    orientation: str = "++",
    max_spacing: int | None = None,
    decoys: Mapping = COOPERATIVE_DECOYS,
    distractors: Sequence[MotifSpec] = (),
    distractors_per_seq: Mapping = DISTRACTORS_PER_SEQ,
    release: int | str = 2016,
    background_probs: Sequence[float] | None = None,
    gc: float | None = None,
    reverse_complements: bool = True,
    split: Sequence[float] = (0.7, 0.1, 0.2),
    seed: Seed = 0,
) -> SeqDataset:
    """Cooperative pair: label 1 iff A is upstream of B at gap ``spacing +- tolerance`` in ``orientation``.

    Spacing (:data:`GAP_DEFINITION`) = start of B minus end (exclusive) of A, in nt on the
    forward strand: the number of positions between the two sites, 0 when they touch. The
    rule holds for a sequence when some A site on strand ``orientation[0]`` and some B site
    on strand ``orientation[1]`` (``'+'`` forward PPM, ``'-'`` its reverse complement)
    satisfy ``start_B - end_A`` in ``[spacing - tolerance, spacing + tolerance]``.

    ``n // 2`` positives hold exactly that pair (gap uniform in the window). Negatives hold
    one of the ``decoys`` (shares, :data:`COOPERATIVE_DECOYS`): ``spacing`` - the same
    pair at a gap uniform over ``0..max_spacing`` outside the window; ``orientation`` - at
    a gap in the window but one of the three other strand pairs; ``order`` - B upstream of
    A at a gap in the window with the rule's strands; ``a-only`` / ``b-only`` - one of the
    two on its rule strand. ``max_spacing`` defaults to the largest gap that always fits.
    ``distractors`` (other motifs, ``distractors_per_seq`` of them per sequence, either
    strand unless ``reverse_complements=False``) are laid out around the pair.
    """
    setup = _setup([("motif_a", motif_a), ("motif_b", motif_b)], n, length, distractors, distractors_per_seq,
                   release, background_probs, gc, reverse_complements, split)
    spacing = check_int(spacing, "spacing", minimum=0)
    tolerance = check_int(tolerance, "tolerance", minimum=0)
    if tolerance > spacing:
        raise SeqlensError(f"tolerance={tolerance} exceeds spacing={spacing}: a gap below 0 would overlap the motifs")
    if orientation not in ORIENTATIONS:
        raise SeqlensError(f"orientation must be one of {', '.join(ORIENTATIONS)} (strands of A and B), got {orientation!r}")
    mix = _check_mix(decoys, tuple(COOPERATIVE_DECOYS), "decoys")
    widths = setup.width(0) + setup.width(1)
    setup.check_fits(widths + spacing + tolerance, f"spacing={spacing} + tolerance={tolerance} with motifs of total width {widths}")
    max_spacing = setup.longest_gap(widths, max_spacing, "max_spacing")
    if max_spacing < spacing + tolerance:
        raise SeqlensError(f"max_spacing={max_spacing} is below spacing + tolerance = {spacing + tolerance}")
    wrong = np.setdiff1d(np.arange(max_spacing + 1), np.arange(spacing - tolerance, spacing + tolerance + 1))
    if "spacing" in mix and wrong.size == 0:
        raise SeqlensError(f"no wrong spacing exists in 0..max_spacing={max_spacing} outside {spacing} +- {tolerance}; raise max_spacing or drop the 'spacing' decoys")

    rng = as_rng(seed)
    blocks = _Blocks()
    minus_a, minus_b = orientation[0] == "-", orientation[1] == "-"
    n_positive = setup.n // 2

    def window(m):
        return rng.integers(spacing - tolerance, spacing + tolerance + 1, size=m)

    positives = np.arange(n_positive)
    blocks.pair(positives, window(positives.size), (0, minus_a, "motif_a"), (1, minus_b, "motif_b"), setup)
    kinds = _draw_kinds(rng, mix, np.arange(n_positive, setup.n))
    for kind, rows in kinds.items():
        m = rows.size
        if kind == "spacing":
            blocks.pair(rows, rng.choice(wrong, size=m), (0, minus_a, "motif_a"), (1, minus_b, "motif_b"), setup)
        elif kind == "orientation":
            others = np.array([o for o in ORIENTATIONS if o != orientation])[rng.integers(3, size=m)]
            strand_a = np.array([o[0] == "-" for o in others], dtype=bool)
            strand_b = np.array([o[1] == "-" for o in others], dtype=bool)
            blocks.pair(rows, window(m), (0, strand_a, "motif_a"), (1, strand_b, "motif_b"), setup)
        elif kind == "order":
            blocks.pair(rows, window(m), (1, minus_b, "motif_b"), (0, minus_a, "motif_a"), setup)
        elif kind == "a-only":
            blocks.add(rows, setup.width(0), (setup.entry(0, minus_a), 0, "motif_a"))
        else:  # b-only
            blocks.add(rows, setup.width(1), (setup.entry(1, minus_b), 0, "motif_b"))
    a, b = setup.motifs[:2]
    rule = {
        "task": "cooperative-pair",
        **_named(a, "motif_a"),
        **_named(b, "motif_b"),
        "spacing": spacing,
        "tolerance": tolerance,
        "orientation": orientation,
        "spacing_definition": "start of motif_b minus end (exclusive) of motif_a, in nt on the forward strand "
                              "(positions between them; motif_a upstream)",
        "label": "1 iff a motif_a site on strand orientation[0] and a motif_b site on strand orientation[1] "
                 "have start_b - end_a within spacing +- tolerance",
    }
    settings = {"decoys": mix, "max_spacing": max_spacing}
    return _finish(setup, rng, blocks, "cooperative_pair", seed, rule, settings)


def ordered_pair_dataset(
    n: int = 10_000,
    length: int = 200,
    motif_a: MotifSpec = "SP1",
    motif_b: MotifSpec = "CEBPB",
    max_spacing: int | None = None,
    distractors: Sequence[MotifSpec] = (),
    distractors_per_seq: Mapping = DISTRACTORS_PER_SEQ,
    release: int | str = 2016,
    background_probs: Sequence[float] | None = None,
    gc: float | None = None,
    reverse_complements: bool = True,
    split: Sequence[float] = (0.7, 0.1, 0.2),
    seed: Seed = 0,
) -> SeqDataset:
    """Ordered pair: label 1 iff motif A is upstream of motif B on the forward strand.

    Every sequence holds one A and one B site, each on a random strand (forward only with
    ``reverse_complements=False``), at a gap (:data:`GAP_DEFINITION`: start of the
    downstream site minus end of the upstream one) uniform over ``0..max_spacing`` (default:
    the largest gap that always fits). Positives (``n // 2``) put A first
    (``end_A <= start_B``), negatives B first, with the same gap and strand distributions,
    so only the order tells them apart.
    """
    setup = _setup([("motif_a", motif_a), ("motif_b", motif_b)], n, length, distractors, distractors_per_seq,
                   release, background_probs, gc, reverse_complements, split)
    widths = setup.width(0) + setup.width(1)
    setup.check_fits(widths, f"the pair (motifs of total width {widths})")
    max_spacing = setup.longest_gap(widths, max_spacing, "max_spacing")
    rng = as_rng(seed)
    blocks = _Blocks()
    n_positive = setup.n // 2
    for rows, first, second in ((np.arange(n_positive), 0, 1), (np.arange(n_positive, setup.n), 1, 0)):
        m = rows.size
        gap = rng.integers(max_spacing + 1, size=m)
        minus = {0: setup.free_strands(rng, m), 1: setup.free_strands(rng, m)}
        role = {0: "motif_a", 1: "motif_b"}
        blocks.pair(rows, gap, (first, minus[first], role[first]), (second, minus[second], role[second]), setup)
    a, b = setup.motifs[:2]
    rule = {
        "task": "ordered-pair",
        **_named(a, "motif_a"),
        **_named(b, "motif_b"),
        "order": "motif_a upstream of motif_b",
        "label": "1 iff a motif_a site ends at or before the start of a motif_b site (forward strand), either strand",
    }
    settings = {"max_spacing": max_spacing, "gap_definition": GAP_DEFINITION}
    return _finish(setup, rng, blocks, "ordered_pair", seed, rule, settings)


def repressor_dataset(
    n: int = 10_000,
    length: int = 200,
    activator: MotifSpec = "CEBPB",
    repressor: MotifSpec = "YY1",
    distance: int = 20,
    far_fraction: float = 0.5,
    max_distance: int | None = None,
    decoys: Mapping = REPRESSOR_DECOYS,
    distractors: Sequence[MotifSpec] = (),
    distractors_per_seq: Mapping = DISTRACTORS_PER_SEQ,
    release: int | str = 2016,
    background_probs: Sequence[float] | None = None,
    gc: float | None = None,
    reverse_complements: bool = True,
    split: Sequence[float] = (0.7, 0.1, 0.2),
    seed: Seed = 0,
) -> SeqDataset:
    """Repressor: label 1 iff an activator site has no repressor site within ``distance``.

    The gap between the two (:data:`GAP_DEFINITION`) is the start of the downstream site
    minus the end (exclusive) of the upstream one, in nt on the forward strand, whichever
    comes first; the repressor cancels the activator when the gap is ``<= distance``.
    Positives (``n // 2``) hold the activator alone, or (a share ``far_fraction`` of them)
    with the repressor at a gap uniform over ``distance + 1..max_distance`` (default: the
    largest gap that always fits). Negatives hold one of the ``decoys``
    (:data:`REPRESSOR_DECOYS`): ``near`` - activator and repressor at a gap uniform over
    ``0..distance``; ``no-activator`` - the repressor alone. Which site comes first and
    every strand are random (forward only with ``reverse_complements=False``).
    """
    setup = _setup([("activator", activator), ("repressor", repressor)], n, length, distractors, distractors_per_seq,
                   release, background_probs, gc, reverse_complements, split)
    distance = check_int(distance, "distance", minimum=0)
    far_fraction = _check_fraction(far_fraction, "far_fraction")
    mix = _check_mix(decoys, tuple(REPRESSOR_DECOYS), "decoys")
    widths = setup.width(0) + setup.width(1)
    if "near" in mix:
        setup.check_fits(widths + distance, f"distance={distance} with motifs of total width {widths}")
    max_distance = setup.longest_gap(widths, max_distance, "max_distance")
    if far_fraction > 0 and max_distance <= distance:
        raise SeqlensError(f"max_distance={max_distance} leaves no gap beyond distance={distance} for the far repressors; "
                           "raise length or max_distance, or set far_fraction to 0")
    rng = as_rng(seed)
    blocks = _Blocks()
    n_positive = setup.n // 2

    def pairs(rows, gap):
        """Activator and repressor ``gap`` apart, in random order, on random strands."""
        minus_act, minus_rep = setup.free_strands(rng, rows.size), setup.free_strands(rng, rows.size)
        repressor_first = rng.random(rows.size) < 0.5
        for chosen, order in ((~repressor_first, (0, 1)), (repressor_first, (1, 0))):
            site = {0: (0, minus_act[chosen], "activator"), 1: (1, minus_rep[chosen], "repressor")}
            blocks.pair(rows[chosen], gap[chosen], site[order[0]], site[order[1]], setup)

    def alone(rows, i, role):
        blocks.add(rows, setup.width(i), (setup.entry(i, setup.free_strands(rng, rows.size)), 0, role))

    positives = np.arange(n_positive)
    far = rng.random(n_positive) < far_fraction
    alone(positives[~far], 0, "activator")
    pairs(positives[far], rng.integers(distance + 1, max_distance + 1, size=int(far.sum())))
    for kind, rows in _draw_kinds(rng, mix, np.arange(n_positive, setup.n)).items():
        if kind == "near":
            pairs(rows, rng.integers(distance + 1, size=rows.size))
        else:  # no-activator
            alone(rows, 1, "repressor")
    act, rep = setup.motifs[:2]
    rule = {
        "task": "repressor",
        **_named(act, "activator"),
        **_named(rep, "repressor"),
        "distance": distance,
        "distance_definition": GAP_DEFINITION + "; the repressor may lie on either side",
        "label": "1 iff some activator site has no repressor site at a gap <= distance",
    }
    settings = {"decoys": mix, "far_fraction": far_fraction, "max_distance": max_distance}
    return _finish(setup, rng, blocks, "repressor", seed, rule, settings)


def count_threshold_dataset(
    n: int = 10_000,
    length: int = 200,
    motif: MotifSpec = "SP1",
    threshold: int = 3,
    max_copies: int | None = None,
    distractors: Sequence[MotifSpec] = (),
    distractors_per_seq: Mapping = DISTRACTORS_PER_SEQ,
    release: int | str = 2016,
    background_probs: Sequence[float] | None = None,
    gc: float | None = None,
    reverse_complements: bool = True,
    split: Sequence[float] = (0.7, 0.1, 0.2),
    seed: Seed = 0,
) -> SeqDataset:
    """Count threshold: label 1 iff the motif occurs at least ``threshold`` times (either strand).

    Positives (``n // 2``) hold a number of copies uniform over
    ``threshold..max_copies`` (default ``threshold + 2``), negatives uniform over
    ``1..threshold - 1`` (no copy when the threshold is 1); each copy on a random strand
    (forward only with ``reverse_complements=False``), laid out at random gaps.
    """
    setup = _setup([("motif", motif)], n, length, distractors, distractors_per_seq,
                   release, background_probs, gc, reverse_complements, split)
    threshold = check_int(threshold, "threshold", minimum=1)
    max_copies = threshold + 2 if max_copies is None else check_int(max_copies, "max_copies", minimum=1)
    if max_copies < threshold:
        raise SeqlensError(f"max_copies={max_copies} is below threshold={threshold}: no sequence could be positive")
    setup.check_fits(max_copies * setup.width(0), f"max_copies={max_copies} copies of width {setup.width(0)}")
    rng = as_rng(seed)
    blocks = _Blocks()
    n_positive = setup.n // 2
    low = min(1, threshold - 1)
    copies = np.concatenate([rng.integers(threshold, max_copies + 1, size=n_positive),
                             rng.integers(low, threshold, size=setup.n - n_positive)])
    rows = np.repeat(np.arange(setup.n), copies)
    blocks.add(rows, setup.width(0), (setup.entry(0, setup.free_strands(rng, rows.size)), 0, "motif"))
    rule = {
        "task": "count-threshold",
        **_named(setup.motifs[0], "motif"),
        "threshold": threshold,
        "label": "1 iff the motif has at least threshold sites (either strand)",
    }
    settings = {"max_copies": max_copies, "negative_copies": [low, threshold - 1]}
    return _finish(setup, rng, blocks, "count_threshold", seed, rule, settings)


# ----------------------------------------------------------------------------------------
# the rule, applied to a site table

RULE_TASKS = ("cooperative-pair", "ordered-pair", "repressor", "count-threshold")


def rule_labels(rule: Mapping, motif_sites: pd.DataFrame, n_sequences: int) -> np.ndarray:
    """Bool ``(n_sequences,)``: whether each sequence satisfies ``rule`` (a ``metadata["rule"]``).

    Sites are told apart by their ``motif`` name (columns ``sequence``, ``motif``,
    ``strand``, ``start``, ``end``; ``end`` exclusive); a sequence without sites has none.
    For the generated datasets this returns exactly their labels; on other site tables
    (e.g. motifs that global importance analysis embeds) it says what the rule predicts.
    """
    task = rule.get("task") if isinstance(rule, Mapping) else None
    if task not in RULE_TASKS:
        raise SeqlensError(f"unknown rule task {task!r}; expected one of {', '.join(RULE_TASKS)}{did_you_mean(task, RULE_TASKS)}")
    n_sequences = check_int(n_sequences, "n_sequences", minimum=0)
    missing = [c for c in ("sequence", "motif", "strand", "start", "end") if c not in motif_sites.columns]
    if missing:
        raise SeqlensError(f"motif_sites is missing columns {missing}")
    sites = motif_sites[["sequence", "motif", "strand", "start", "end"]].reset_index(drop=True)

    def of(name):
        return sites[sites["motif"] == name].drop(columns="motif")

    label = np.zeros(n_sequences, dtype=bool)
    if task == "count-threshold":
        counts = np.bincount(of(rule["motif"])["sequence"].to_numpy(dtype=np.int64), minlength=n_sequences)
        return counts[:n_sequences] >= rule["threshold"]
    if task == "repressor":
        active = of(rule["activator"]).reset_index(names="_site")
        pairs = active.merge(of(rule["repressor"]), on="sequence", suffixes=("", "_r"))
        gap = np.maximum(pairs["start_r"] - pairs["end"], pairs["start"] - pairs["end_r"])
        repressed = pairs.loc[gap <= rule["distance"], "_site"]
        label[active.loc[~active["_site"].isin(repressed), "sequence"].to_numpy(dtype=np.int64)] = True
        return label
    pairs = of(rule["motif_a"]).merge(of(rule["motif_b"]), on="sequence", suffixes=("_a", "_b"))
    gap = pairs["start_b"] - pairs["end_a"]
    holds = gap >= 0
    if task == "cooperative-pair":
        orientation = rule["orientation"]
        holds &= ((gap - rule["spacing"]).abs() <= rule["tolerance"]) & (pairs["strand_a"] == orientation[0]) \
            & (pairs["strand_b"] == orientation[1])
    label[pairs.loc[holds, "sequence"].to_numpy(dtype=np.int64)] = True
    return label
