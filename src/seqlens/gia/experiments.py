"""GIA experiments (paper 001, SPEC section 7): each a function returning one tidy table.

Every experiment measures ``f(x with intervention) - f(x)`` paired per null sequence ``x``,
where ``f`` is the model's target output (the logit for seqlens' models: their raw output) or
``func`` of it. The null outputs are computed once per call (or passed as ``null_outputs``);
a pattern scanned over positions runs through
:func:`seqlens.attribution.patch_predictions`, which recomputes only the windows an edit
touches where the model allows it. The tables have one row per condition with the
condition's coordinates and :data:`~seqlens.gia.effects.EFFECT_COLUMNS`, plus
Benjamini-Hochberg q-values across the rows of the experiment.

Experiments:

- :func:`position_effects` - one pattern at every start (or a list), either strand;
- :func:`copy_effects` - 1, 2, 3, ... copies, with the marginal effect of each extra copy;
- :func:`spacing_effects` - two patterns, the four-arm design (null, A, B, A+B) on the same
  nulls per distance and orientation: the interaction ``E[AB] - E[A] - E[B] + E[null]``
  with its CI, and the ratio of the joint effect to the additive expectation;
- :func:`output_effects` - patterns x outputs (the multitask effect matrix);
- :func:`occlusion_effects` - annotated regions of real sequences replaced by shuffled or
  random sequence;
- :func:`kmer_effects` - every k-mer at one position, ranked; :func:`kmer_mutagenesis` -
  every substitution of a pattern;
- :func:`flank_effects` - a pattern in a flank context (e.g. :func:`gc_flank`).

:func:`across_models` summarises one experiment over several models (seeds).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy import stats

from ..alphabet import DNA, as_rng, dinucleotide_shuffle, random_sequences, shuffle
from ..attribution import patch_predictions, target_outputs, variant_predictions
from ..errors import SeqlensError, SequenceError
from ..evaluation import adjust_pvalues, summarize_over
from ..validation import as_sequence_tensor, check_int
from .effects import effect_statistics, effect_table
from .patterns import STRANDS, Pattern, as_pattern, embed, pattern_sequences

OCCLUSION_METHODS = ("dinuc", "shuffle", "random")
ORIENTATIONS = ("++", "+-", "-+", "--")
# Ratio of the joint effect to the additive expectation is reported only where the
# expectation is at least this far from 0 (on the output's scale); nearer, it is noise.
_MIN_ADDITIVE_FOR_RATIO = 1e-6


@dataclass(frozen=True)
class GIAResult:
    """One experiment: ``table`` (one row per condition), ``effects`` ``(C, M)`` (the paired
    effects of row ``c`` for each of the ``M`` nulls) and ``null_outputs`` ``(M,)``."""

    table: pd.DataFrame
    effects: np.ndarray
    null_outputs: np.ndarray


@dataclass(frozen=True)
class _Model:
    """The model and how ``f`` is read from it, shared by every call of one experiment."""

    model: torch.nn.Module
    target: int | torch.Tensor
    func: Callable | None
    batch_size: int | None
    device: object
    verbose: bool

    def outputs(self, X) -> np.ndarray:
        """``f`` of every sequence of ``X`` ``(M, 4, L)``: ``(M,)`` float64."""
        return target_outputs(self.model, X, self.target, self.func, self.batch_size or 256, self.device,
                              self.verbose).double().numpy()

    def variants(self, X, variants, positions: Sequence[int]) -> np.ndarray:
        """``f`` of ``X`` with each of ``variants`` ``(K, 4, W)`` at each of ``positions``: ``(M, K, P)``."""
        return variant_predictions(self.model, X, torch.as_tensor(variants), list(positions), self.target, self.func,
                                   self.batch_size, self.device, self.verbose).double().numpy()

    def scan(self, X, instances, positions: Sequence[int]) -> np.ndarray:
        """``f`` of ``X`` with ``instances`` ``(M, 4, W)`` at each of ``positions``: ``(M, P)``."""
        return patch_predictions(self.model, X, torch.as_tensor(instances), list(positions), self.target, self.func,
                                 self.batch_size, self.device, self.verbose).double().numpy()


def _setup(model, nulls, target, func, batch_size, device, verbose, null_outputs):
    X = as_sequence_tensor(nulls, "nulls")
    if X.shape[0] < 2:
        raise SequenceError(f"nulls: GIA needs at least 2 null sequences, got {X.shape[0]}")
    m = _Model(model, target, func, batch_size, device, verbose)
    if null_outputs is None:
        y0 = m.outputs(X)
    else:
        y0 = np.asarray(null_outputs, dtype=np.float64).reshape(-1)
        if y0.shape != (X.shape[0],):
            raise SeqlensError(f"null_outputs must have shape ({X.shape[0]},), got {y0.shape}")
    return X, m, y0


def _check_strands(strands) -> tuple[str, ...]:
    strands = (strands,) if isinstance(strands, str) else tuple(strands)
    bad = [s for s in strands if s not in STRANDS]
    if bad or not strands:
        raise SequenceError(f"strands must be drawn from {STRANDS}, got {strands!r}")
    return strands


def _check_positions(positions, length: int, width: int, what: str) -> list[int]:
    last = length - width
    if last < 0:
        raise SequenceError(f"{what} of width {width} does not fit sequences of length {length}")
    if positions is None:
        return list(range(last + 1))
    out = [check_int(p, f"{what} position", minimum=0) for p in np.atleast_1d(positions).tolist()]
    bad = [p for p in out if p > last]
    if bad:
        raise SequenceError(f"{what} of width {width} at position {bad[0]} runs past the sequence end (length {length}); "
                            f"positions must be 0..{last}")
    if not out:
        raise SequenceError(f"{what}: no positions given")
    return out


def _pwm_scores(pattern: Pattern, instances: np.ndarray, strand: str) -> np.ndarray:
    """Log-odds score (bits, against a uniform background) of each instance ``(M, 4, W)``."""
    log_odds = np.log2(np.clip(pattern.ppm, 1e-4, None) / 0.25)
    if strand == "-":
        log_odds = log_odds[::-1, ::-1]
    return np.einsum("mkw,kw->m", instances.astype(np.float64), log_odds)


def _result(conditions, effects: list[np.ndarray], y0, confidence, n_resamples, seed, ci="bootstrap") -> GIAResult:
    table = effect_table(list(zip(conditions, effects)), confidence, n_resamples, seed, ci)
    return GIAResult(table, np.stack(effects) if effects else np.zeros((0, len(y0))), y0)


def position_effects(
    model,
    nulls,
    pattern,
    positions=None,
    strands=("+",),
    sample: bool = False,
    target=0,
    func: Callable | None = None,
    null_outputs=None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    seed=0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> GIAResult:
    """Effect of ``pattern`` at each start of ``positions`` (default every start) in ``nulls`` ``(M, 4, L)``.

    ``pattern``: anything :func:`~seqlens.gia.as_pattern` takes. With ``sample`` every null
    gets its own draw from the PPM (the same draw at every position) and the table adds
    ``pwm_score`` (the draws' mean log-odds score, bits) and ``score_spearman`` (the rank
    correlation of a draw's score with its effect). Rows: ``experiment``, ``pattern``,
    ``strand``, ``position`` and the effect statistics.
    """
    X, m, y0 = _setup(model, nulls, target, func, batch_size, device, verbose, null_outputs)
    pattern = as_pattern(pattern)
    positions = _check_positions(positions, X.shape[2], pattern.width, f"pattern {pattern.name}")
    rng = as_rng(seed)
    conditions, effects = [], []
    for strand in _check_strands(strands):
        instances = pattern_sequences(pattern, X.shape[0], strand, sample, rng)
        scan = m.scan(X, instances, positions) - y0[:, None]
        scores = _pwm_scores(pattern, instances, strand) if sample else None
        for j, position in enumerate(positions):
            row = {"experiment": "position", "pattern": pattern.name, "strand": strand, "position": position}
            if sample:
                row["pwm_score"] = float(scores.mean())
                row["score_spearman"] = float(stats.spearmanr(scores, scan[:, j]).statistic)
            conditions.append(row)
            effects.append(scan[:, j])
    return _result(conditions, effects, y0, confidence, n_resamples, rng)


def _copy_starts(n_copies: int, width: int, gap: int, length: int, start: int | None) -> list[int]:
    span = n_copies * width + (n_copies - 1) * gap
    if start is None:
        start = (length - span) // 2
    if start < 0 or start + span > length:
        raise SequenceError(f"{n_copies} copies of width {width} with gaps of {gap} nt ({span} nt) do not fit "
                            f"sequences of length {length} from position {start}")
    return [start + j * (width + gap) for j in range(n_copies)]


def copy_effects(
    model,
    nulls,
    pattern,
    copies: Sequence[int] = (1, 2, 3),
    gap: int = 10,
    start: int | None = None,
    strand: str = "+",
    sample: bool = False,
    target=0,
    func: Callable | None = None,
    null_outputs=None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    seed=0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> GIAResult:
    """Effect of ``k`` copies of ``pattern`` for each ``k`` in ``copies``.

    The copies of the largest ``k`` sit in a row ``gap`` nt apart, centred (or from
    ``start``); ``k`` copies use the first ``k`` of those sites, so each extra copy adds one
    site and keeps the others. Rows: ``copies``, ``positions`` and the effect statistics, plus
    the marginal effect of the last copy, ``f(k copies) - f(k - 1 copies)`` paired per null:
    ``marginal``, ``marginal_ci_low``, ``marginal_ci_high``, ``p_marginal_wilcoxon``.
    """
    X, m, y0 = _setup(model, nulls, target, func, batch_size, device, verbose, null_outputs)
    pattern = as_pattern(pattern)
    counts = sorted({check_int(k, "copies") for k in np.atleast_1d(copies).tolist()})
    gap = check_int(gap, "gap", minimum=0)
    sites = _copy_starts(counts[-1], pattern.width, gap, X.shape[2], start)
    rng = as_rng(seed)
    # one draw per copy and null, the same draw whatever k
    instances = [pattern_sequences(pattern, X.shape[0], strand, sample, rng) for _ in sites]
    outputs = {0: y0}
    edited = X
    for k in range(1, counts[-1] + 1):
        edited = embed(edited, instances[k - 1], sites[k - 1])
        if k in counts or k + 1 in counts:
            outputs[k] = m.outputs(edited)
    conditions, effects = [], []
    for k in counts:
        marginal = effect_statistics(outputs[k] - outputs[k - 1], confidence, n_resamples, rng) if k - 1 in outputs else {}
        conditions.append({"experiment": "copies", "pattern": pattern.name, "strand": strand, "copies": k,
                           "positions": " ".join(map(str, sites[:k])),
                           "marginal": marginal.get("mean", np.nan), "marginal_ci_low": marginal.get("ci_low", np.nan),
                           "marginal_ci_high": marginal.get("ci_high", np.nan),
                           "p_marginal_wilcoxon": marginal.get("p_wilcoxon", np.nan)})
        effects.append(outputs[k] - y0)
    return _result(conditions, effects, y0, confidence, n_resamples, rng)


def _check_orientations(orientations) -> tuple[str, ...]:
    orientations = (orientations,) if isinstance(orientations, str) else tuple(orientations)
    bad = [o for o in orientations if o not in ORIENTATIONS]
    if bad or not orientations:
        raise SequenceError(f"orientations must be drawn from {ORIENTATIONS} (strands of A and B), got {orientations!r}")
    return orientations


def spacing_effects(
    model,
    nulls,
    pattern_a,
    pattern_b,
    distances: Sequence[int] | None = None,
    position_a: int | None = None,
    orientations=("++", "+-"),
    sample: bool = False,
    target=0,
    func: Callable | None = None,
    null_outputs=None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    seed=0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> GIAResult:
    """Spacing and interaction of two patterns: the four-arm design on the same nulls.

    ``distance`` is the gap in nt between the end of A and the start of B (B downstream on
    the forward strand: ``start_B = position_a + W_A + distance``; 0 = abutting). A sits at
    ``position_a`` (default: the A-gap-B block of the largest distance centred); default
    distances: every gap that fits, up to 60. ``orientations``: strands of A and B, e.g.
    ``"+-"`` = A forward, B reverse complement. Per null ``x`` and distance:
    ``f(AB) - f(x)`` (the row's effect statistics), ``effect_a`` and ``effect_b`` (mean
    effects of A alone and of B alone at that position), ``additive`` (their sum), and the
    interaction ``f(AB) - f(A) - f(B) + f(x)``: ``interaction`` (mean),
    ``interaction_ci_low`` / ``interaction_ci_high``, ``p_interaction_wilcoxon``,
    ``p_interaction_ttest`` and their BH q-values across the rows; ``ratio`` = mean joint
    effect / additive expectation (1 = additive, > 1 synergy; NaN where the expectation is
    about 0). On the logit scale additivity is independence of the odds.

    ``effects`` of the result holds the per-null interactions (not the joint effects).
    """
    X, m, y0 = _setup(model, nulls, target, func, batch_size, device, verbose, null_outputs)
    a, b = as_pattern(pattern_a), as_pattern(pattern_b)
    length = X.shape[2]
    free = length - a.width - b.width
    if free < 0:
        raise SequenceError(f"patterns {a.name} ({a.width} nt) and {b.name} ({b.width} nt) do not fit sequences of length {length}")
    if distances is None:
        distances = range(0, min(60, free) + 1)
    distances = [check_int(d, "distance", minimum=0) for d in np.atleast_1d(list(distances)).tolist()]
    if not distances:
        raise SequenceError("spacing: no distances given")
    if position_a is None:
        position_a = (length - (a.width + max(distances) + b.width)) // 2
    position_a = check_int(position_a, "position_a", minimum=0)
    starts_b = [position_a + a.width + d for d in distances]
    _check_positions(starts_b, length, b.width, f"pattern {b.name} (B)")
    rng = as_rng(seed)
    conditions, joint, interactions = [], [], []
    for orientation in _check_orientations(orientations):
        inst_a = pattern_sequences(a, X.shape[0], orientation[0], sample, rng)
        inst_b = pattern_sequences(b, X.shape[0], orientation[1], sample, rng)
        with_a = embed(X, inst_a, position_a)
        y_a = m.outputs(with_a)
        y_b = m.scan(X, inst_b, starts_b)
        y_ab = m.scan(with_a, inst_b, starts_b)
        effect_a = float((y_a - y0).mean())
        for j, distance in enumerate(distances):
            effect_b = float((y_b[:, j] - y0).mean())
            interaction = y_ab[:, j] - y_a - y_b[:, j] + y0
            joint.append(y_ab[:, j] - y0)
            interactions.append(interaction)
            additive = effect_a + effect_b
            mean_joint = float(joint[-1].mean())
            conditions.append({"experiment": "spacing", "pattern_a": a.name, "pattern_b": b.name,
                               "orientation": orientation, "distance": distance, "position_a": position_a,
                               "position_b": starts_b[j], "effect_a": effect_a, "effect_b": effect_b,
                               "additive": additive,
                               "ratio": mean_joint / additive if abs(additive) > _MIN_ADDITIVE_FOR_RATIO else np.nan})
    table = effect_table(list(zip(conditions, joint)), confidence, n_resamples, rng)
    inter = effect_table([({}, e) for e in interactions], confidence, n_resamples, rng)
    for column, source in (("interaction", "mean"), ("interaction_ci_low", "ci_low"), ("interaction_ci_high", "ci_high"),
                           ("p_interaction_wilcoxon", "p_wilcoxon"), ("p_interaction_ttest", "p_ttest"),
                           ("q_interaction_wilcoxon", "q_wilcoxon"), ("q_interaction_ttest", "q_ttest")):
        table[column] = inter[source].to_numpy() if len(inter) else []
    return GIAResult(table, np.stack(interactions), y0)


def output_effects(
    model,
    nulls,
    patterns: Sequence,
    position: int | None = None,
    strand: str = "+",
    sample: bool = False,
    output_names: Sequence[str] | None = None,
    func: Callable | None = None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    seed=0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> GIAResult:
    """Effect of each pattern (at ``position``, default centred) on every output of the model.

    Rows: ``pattern``, ``output`` (index), ``output_name`` and the effect statistics, q-values
    across all pattern x output rows. :func:`effect_matrix` pivots the table.
    """
    X = as_sequence_tensor(nulls, "nulls")
    m = _Model(model, None, func, batch_size, device, verbose)
    y0 = m.outputs(X).reshape(X.shape[0], -1)
    n_outputs = y0.shape[1]
    if output_names is not None and len(output_names) != n_outputs:
        raise SeqlensError(f"output_names has {len(output_names)} names for a model with {n_outputs} outputs")
    names = list(output_names) if output_names is not None else [str(t) for t in range(n_outputs)]
    rng = as_rng(seed)
    conditions, effects = [], []
    for spec in patterns:
        pattern = as_pattern(spec)
        start = (X.shape[2] - pattern.width) // 2 if position is None else position
        (start,) = _check_positions([start], X.shape[2], pattern.width, f"pattern {pattern.name}")
        y = m.outputs(embed(X, pattern_sequences(pattern, X.shape[0], strand, sample, rng), start)).reshape(X.shape[0], -1)
        for t in range(n_outputs):
            conditions.append({"experiment": "outputs", "pattern": pattern.name, "strand": strand, "position": start,
                               "output": t, "output_name": names[t]})
            effects.append(y[:, t] - y0[:, t])
    return _result(conditions, effects, y0.mean(axis=1), confidence, n_resamples, rng)


def effect_matrix(table: pd.DataFrame, value: str = "mean") -> pd.DataFrame:
    """Patterns x outputs matrix of ``value`` from an :func:`output_effects` table."""
    return table.pivot(index="pattern", columns="output_name", values=value).loc[
        list(dict.fromkeys(table["pattern"])), list(dict.fromkeys(table["output_name"]))]


def _occluded(X: np.ndarray, rows, starts, ends, method: str, rng) -> np.ndarray:
    out = X[rows].copy()
    for i, (s, e) in enumerate(zip(starts, ends)):
        region = out[i : i + 1, :, s:e]
        if method == "random":
            out[i, :, s:e] = random_sequences(1, e - s, seed=rng)[0]
        elif method == "shuffle":
            out[i, :, s:e] = shuffle(region, seed=rng)[0]
        else:
            out[i, :, s:e] = dinucleotide_shuffle(region, seed=rng)[0]
    return out


def occlusion_effects(
    model,
    X,
    sites: pd.DataFrame,
    method: str = "dinuc",
    group_by: str = "motif",
    n_samples: int = 1,
    target=0,
    func: Callable | None = None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    seed=0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> GIAResult:
    """Effect of occluding annotated regions of real sequences ``X`` ``(N, 4, L)``.

    ``sites``: a table with ``sequence`` (row of ``X``), ``start``, ``end`` (end exclusive)
    and the ``group_by`` column (e.g. a motif site table, ``seqlens.data.MOTIF_SITE_COLUMNS``).
    Each site's columns are replaced by a dinucleotide shuffle, a shuffle or uniform random
    letters (``method``), ``n_samples`` times (averaged per site); the effect of a site is
    ``f(occluded) - f(x)``, negative where the region mattered. One row per group: the
    effects of its sites (pairs are (site, its own sequence)).
    """
    if method not in OCCLUSION_METHODS:
        raise SeqlensError(f"occlusion method must be one of {', '.join(OCCLUSION_METHODS)}, got {method!r}")
    missing = [c for c in ("sequence", "start", "end", group_by) if c not in sites.columns]
    if missing:
        raise SeqlensError(f"sites table lacks column(s) {', '.join(missing)}")
    n_samples = check_int(n_samples, "n_samples")
    X_t = as_sequence_tensor(X, "X")
    arr = X_t.numpy()
    rows, starts, ends = (sites[c].to_numpy(dtype=np.int64) for c in ("sequence", "start", "end"))
    bad = np.flatnonzero((rows < 0) | (rows >= len(arr)) | (starts < 0) | (ends > arr.shape[2]) | (ends <= starts))
    if bad.size:
        i = int(bad[0])
        raise SequenceError(f"sites row {i}: region {starts[i]}..{ends[i]} of sequence {rows[i]} is not inside "
                            f"{len(arr)} sequences of length {arr.shape[2]}")
    m = _Model(model, target, func, batch_size, device, verbose)
    if isinstance(target, torch.Tensor) and target.ndim == 1:
        target_rows = target[torch.as_tensor(rows)]
    else:
        target_rows = target
    y = m.outputs(X_t)[rows]
    m_rows = _Model(model, target_rows, func, batch_size, device, verbose)
    rng = as_rng(seed)
    occluded = np.mean([m_rows.outputs(_occluded(arr, rows, starts, ends, method, rng)) for _ in range(n_samples)], axis=0)
    site_effects = occluded - y
    groups = sites[group_by].to_numpy()
    conditions, effects = [], []
    for name in dict.fromkeys(groups.tolist()):
        conditions.append({"experiment": "occlusion", group_by: name, "method": method,
                           "n_sequences": int(len(np.unique(rows[groups == name])))})
        effects.append(site_effects[groups == name])
    table = effect_table(list(zip(conditions, effects)), confidence, n_resamples, rng)
    padded = np.full((len(effects), len(site_effects)), np.nan)
    for i, e in enumerate(effects):
        padded[i, : len(e)] = e
    return GIAResult(table, padded, y)


def _kmers(k: int) -> list[str]:
    return ["".join(letters) for letters in itertools.product(DNA, repeat=k)]


def kmer_effects(
    model,
    nulls,
    k: int,
    position: int | None = None,
    target=0,
    func: Callable | None = None,
    null_outputs=None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    confidence: float = 0.95,
) -> GIAResult:
    """Every one of the ``4**k`` k-mers (``k <= 8``) at ``position`` (default centred), ranked.

    The k-mers run through :func:`seqlens.attribution.variant_predictions`: each null's
    windowed activations are computed once for all k-mers.

    Rows sorted by mean effect, largest first: ``rank``, ``kmer`` and the effect
    statistics with t intervals (``ci="t"``; a bootstrap of 65,536 conditions would take
    minutes); q-values across all k-mers. ``effects`` follows the table's order.
    """
    k = check_int(k, "k")
    if k > 8:
        raise SeqlensError(f"k must be <= 8 (4**k k-mers, each embedded in every null), got {k}")
    X, m, y0 = _setup(model, nulls, target, func, batch_size, device, verbose, null_outputs)
    (position,) = _check_positions([(X.shape[2] - k) // 2 if position is None else position], X.shape[2], k, f"{k}-mer")
    kmers = _kmers(k)
    codes = np.array([[DNA.index(c) for c in kmer] for kmer in kmers])
    patches = np.zeros((len(kmers), 4, k), dtype=np.float32)
    patches[np.arange(len(kmers))[:, None], codes, np.arange(k)[None, :]] = 1
    outputs = m.variants(X, patches, [position])[:, :, 0].T  # (K, M)
    effects = outputs - y0[None]
    order = np.argsort(-effects.mean(axis=1), kind="stable")
    conditions = [{"experiment": "kmer", "rank": r + 1, "kmer": kmers[i], "position": position} for r, i in enumerate(order)]
    table = effect_table(list(zip(conditions, effects[order])), confidence, ci="t")
    return GIAResult(table, effects[order], y0)


def kmer_mutagenesis(
    model,
    nulls,
    pattern,
    position: int | None = None,
    strand: str = "+",
    target=0,
    func: Callable | None = None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    seed=0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> GIAResult:
    """Every single substitution of ``pattern``'s consensus embedded at ``position`` (default centred).

    The reference is the nulls with the consensus: a row's effect is
    ``f(x with the variant) - f(x with the consensus)`` for the variant with ``letter`` at
    ``offset`` (0-based within the pattern), so negative = the substitution weakens it.
    Rows: ``offset``, ``reference`` (the consensus letter), ``letter``; the null outputs of
    the result are those of the consensus-embedded nulls.
    """
    pattern = as_pattern(pattern)
    X = as_sequence_tensor(nulls, "nulls")
    start = (X.shape[2] - pattern.width) // 2 if position is None else position
    (start,) = _check_positions([start], X.shape[2], pattern.width, f"pattern {pattern.name}")
    with_consensus = embed(X, pattern_sequences(pattern, X.shape[0], strand), start)
    X, m, y_ref = _setup(model, with_consensus, target, func, batch_size, device, verbose, None)
    offsets = list(range(pattern.width))
    reference = X[0, :, start : start + pattern.width].argmax(dim=0).tolist()
    conditions, effects = [], []
    for letter in range(4):
        column = np.zeros((X.shape[0], 4, 1), dtype=np.float32)
        column[:, letter] = 1
        scan = m.scan(X, column, [start + o for o in offsets]) - y_ref[:, None]
        for o in offsets:
            if reference[o] != letter:
                conditions.append({"experiment": "mutagenesis", "pattern": pattern.name, "strand": strand,
                                   "offset": o, "position": start + o, "reference": DNA[reference[o]],
                                   "letter": DNA[letter]})
                effects.append(scan[:, o])
    order = np.lexsort(([c["letter"] for c in conditions], [c["offset"] for c in conditions]))
    return _result([conditions[i] for i in order], [effects[i] for i in order], y_ref, confidence, n_resamples, seed)


def gc_flank(width: int, gc: float, name: str | None = None) -> Pattern:
    """A flank whose every column has GC content ``gc`` (C and G ``gc / 2`` each): embed
    it with ``sample=True`` for a fresh flank per null."""
    width = check_int(width, "width")
    if not 0 <= gc <= 1:
        raise SeqlensError(f"gc must be in [0, 1], got {gc}")
    column = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    return Pattern(name or f"gc{gc:g}x{width}", np.repeat(column[:, None], width, axis=1))


def flank_effects(
    model,
    nulls,
    pattern,
    flanks: Sequence,
    position: int | None = None,
    side: str = "both",
    gap: int = 0,
    strand: str = "+",
    sample_flanks: bool = True,
    target=0,
    func: Callable | None = None,
    null_outputs=None,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    seed=0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> GIAResult:
    """Effect of ``pattern`` (consensus at ``position``, default centred) inside each flank context.

    Each flank (a pattern spec, e.g. :func:`gc_flank`; with ``sample_flanks`` a fresh draw
    per null) is written ``gap`` nt to the ``side`` (``left``, ``right`` or ``both``) of the
    pattern. Per null: the row's effect statistics are the pattern's effect in the context,
    ``f(P + F) - f(F)``; ``flank_effect`` is the flank alone, ``f(F) - f(x)``;
    ``pattern_effect`` the pattern alone, ``f(P) - f(x)``; and the context change
    ``f(P + F) - f(F) - f(P) + f(x)`` gives ``interaction`` with ``interaction_ci_low`` /
    ``interaction_ci_high`` / ``p_interaction_wilcoxon``.
    """
    if side not in ("left", "right", "both"):
        raise SeqlensError(f"side must be left, right or both, got {side!r}")
    X, m, y0 = _setup(model, nulls, target, func, batch_size, device, verbose, null_outputs)
    pattern = as_pattern(pattern)
    length, n = X.shape[2], X.shape[0]
    start = (length - pattern.width) // 2 if position is None else position
    (start,) = _check_positions([start], length, pattern.width, f"pattern {pattern.name}")
    gap = check_int(gap, "gap", minimum=0)
    rng = as_rng(seed)
    with_pattern = embed(X, pattern_sequences(pattern, n, strand), start)
    y_p = m.outputs(with_pattern)
    conditions, effects = [], []
    for spec in flanks:
        flank = as_pattern(spec)
        flank_starts = []
        if side in ("left", "both"):
            flank_starts.append(start - gap - flank.width)
        if side in ("right", "both"):
            flank_starts.append(start + pattern.width + gap)
        _check_positions(flank_starts, length, flank.width, f"flank {flank.name}")
        only_flank, both = X, with_pattern
        for s in flank_starts:
            instances = pattern_sequences(flank, n, "+", sample_flanks, rng)
            only_flank, both = embed(only_flank, instances, s), embed(both, instances, s)
        y_f, y_pf = m.outputs(only_flank), m.outputs(both)
        interaction = effect_statistics(y_pf - y_f - y_p + y0, confidence, n_resamples, rng)
        conditions.append({"experiment": "flank", "pattern": pattern.name, "flank": flank.name, "side": side,
                           "gap": gap, "position": start, "flank_effect": float((y_f - y0).mean()),
                           "pattern_effect": float((y_p - y0).mean()), "interaction": interaction["mean"],
                           "interaction_ci_low": interaction["ci_low"], "interaction_ci_high": interaction["ci_high"],
                           "p_interaction_wilcoxon": interaction["p_wilcoxon"]})
        effects.append(y_pf - y_f)
    return _result(conditions, effects, y0, confidence, n_resamples, rng)


def across_models(tables: Sequence[pd.DataFrame], by: Sequence[str] | None = None, value: str = "mean",
                  confidence: float = 0.95) -> pd.DataFrame:
    """Spread of one experiment over several models (seeds): per condition, the mean, SD and t
    interval over the models of each model's ``value`` (default its mean effect), the
    one-sample t p-value of those values against 0 (``p_ttest``; ``q_ttest`` BH-adjusted
    across the conditions) and ``n_significant``, how many models' ``q_wilcoxon`` are below
    0.05. Models with randomised weights (``seqlens.models.randomized_copy``) respond to a
    pattern with effects of random sign, so their ``q_ttest`` stays high: the across-model
    test is the one that separates learned from incidental effects.

    ``tables``: the experiment's table of each model, with identical conditions. ``by``: the
    columns that name a condition (default: the first table's non-float columns before
    ``n``; float coordinates such as ``effect_a`` differ between models).
    """
    if not tables:
        raise SeqlensError("across_models: no tables given")
    if by is None:
        first = tables[0]
        columns = list(first.columns)
        coordinates = columns[: columns.index("n")] if "n" in columns else []
        by = [c for c in coordinates if not pd.api.types.is_float_dtype(first[c])]
    stacked = pd.concat([t.assign(model=i) for i, t in enumerate(tables)], ignore_index=True)
    summary = summarize_over(stacked, list(by), value, confidence)
    if "q_wilcoxon" in stacked.columns:
        significant = (stacked.assign(_sig=stacked["q_wilcoxon"] < 0.05)
                       .groupby(list(by), sort=False, dropna=False)["_sig"].sum().reset_index(drop=True))
        summary["n_significant"] = significant.to_numpy(dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = summary["mean"] / summary["sem"]
    summary["p_ttest"] = 2 * stats.t.sf(np.abs(t), summary["n"] - 1)
    summary["q_ttest"] = adjust_pvalues(summary["p_ttest"].to_numpy(dtype=float))
    return summary.rename(columns={"n": "n_models"})
