"""The whole first-layer filter analysis of one model (papers 002, 004; SPEC section 6).

:func:`filter_report` is what ``seqlens filters`` and the demo run: filter PPMs by activation
alignment over a split (:func:`seqlens.evaluation.filter_alignment`), Tomtom against a motif
database (:func:`seqlens.tomtom.tomtom_table`), match statistics against the ground-truth
TFs (:func:`seqlens.tomtom.match_statistics`; TF names from :func:`ground_truth_tfs`), and,
when the split has ground truth, the motif localisation AUROC of the filter scan next to
that of the true PWMs (:func:`filter_localization`). It returns a :class:`FilterReport`
holding every table and statistic; writing files is the caller's business.

Uninformative filters
---------------------
A filter PPM with little information (a dead filter, or one whose sites are background)
is close to uniform, and Tomtom still gives it significant hits: near-uniform width-19
PPMs match long motifs such as CTCF (MA1929.2, MA1930.2) or ZNF354A (MA1978.2) of JASPAR
2024 at p ~ 1e-12, which would inflate the "other-only" fraction (paper 002 set such
hits aside). A filter whose most informative 6 consecutive columns carry fewer than
``min_information`` bits (``core_information``, :meth:`seqlens.motifs.Motif.core_information`;
:data:`DEFAULT_MIN_INFORMATION`, 4) is therefore category ``uninformative``: its Tomtom
rows stay in the table, but none of its hits is counted (``n_significant`` 0, no best hit,
no ground-truth TF).

Why the core and why 4 bits: every motif of JASPAR 2016 and 2024 carries at least 5.1 bits
in its best 6 columns (1% quantile 5.8), so no real motif is near the threshold, while a
near-uniform PPM spreads its bits thinly. The ReLU filters of cnn_dist trained on Oct4 vs
Mafk ChIP-seq (paper-scale run of 2026-12-03) carry 3.9-6.6 bits in total over 19 columns,
enough to pass a total-information threshold, but 0.5-1.1 bits in their best column and
1.7-3.7 bits in their best 6: all 24 "matched" only CTCF or ZNF354A. Sampling noise of a
filter firing on background adds about ``3 W / (2 n ln 2)`` bits over W columns averaged
from n windows (0.4 bits over 6 columns for 30 windows), so a filter with a handful of
sites is not lifted over the threshold by noise alone. Pass ``min_information=0`` to count
every hit.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import MotifError, SeqlensError
from ..motifs import get_motif, load_motifs
from ..tomtom import DEFAULT_CRITERION, MATCH_CRITERIA, best_hits, check_criterion, match_statistics, tomtom_table
from .filters import FilterAlignment, filter_alignment
from .localization import filter_scan, localization_auroc, pwm_scan
from .summary import summarize

#: Filters whose PPM core (6 columns) carries fewer bits are ``uninformative`` (see the module docstring).
DEFAULT_MIN_INFORMATION = 4.0

#: Task names that are not TF names (the default of a one-task dataset).
GENERIC_TASK_NAMES = ("label",)


def ground_truth_tfs(dataset=None, split=None, tfs: str | Sequence[str] | None = None, given_as: str = "given",
                     database=None) -> tuple[list[str], str]:
    """The TF names the filters should match, and where they came from.

    In order: ``tfs`` (a list, or a comma-separated string; source ``given_as``); the
    generator's metadata of ``dataset`` (``core_motifs`` of the regulatory-code task: the
    background motifs of its negatives are not ground truth; ``tfs`` of the multitask task);
    the motifs embedded in sequences of ``split`` with a positive label (motif sites); the
    dataset's task names unless generic (``label``, ``task_0`` ...), keeping only those that
    name a motif: a motif of ``database`` (motifs; names compared case-insensitively) or one
    that :func:`seqlens.motifs.get_motif` finds in JASPAR 2016. A task name such as
    ``oct4_vs_mafk`` names no motif, so it is no ground truth (a warning says so) rather
    than a TF no filter can match. Empty (source ``"none"``) when none applies. ``dataset``
    is a :class:`seqlens.data.SeqDataset`, ``split`` a :class:`seqlens.data.Split` (either
    may be None).
    """
    if tfs is not None:
        items = tfs.split(",") if isinstance(tfs, str) else list(tfs)
        names = [str(name).strip() for name in items if str(name).strip()]
        if not names:
            raise SeqlensError(f"{given_as} lists no TF names: {tfs!r}")
        return names, given_as
    metadata = getattr(dataset, "metadata", None) or {}
    for key in ("core_motifs", "tfs"):
        records = metadata.get(key)
        if records:
            return [str(r["name"]) for r in records], f"dataset metadata ({key})"
    if split is not None and split.motif_sites is not None:
        positive = np.flatnonzero((split.y == 1).any(axis=1))
        sites = split.motif_sites[split.motif_sites["sequence"].isin(positive)]
        if len(sites):
            return list(dict.fromkeys(sites["motif"])), "motif sites of positive sequences"
    task_names = getattr(dataset, "task_names", None) or []
    candidates = [t for t in task_names if t not in GENERIC_TASK_NAMES and not t.startswith("task_")]
    names = [t for t in candidates if _names_a_motif(t, database)]
    unresolved = [t for t in candidates if t not in names]
    if unresolved:
        warnings.warn(
            f"task name{'s' if len(unresolved) > 1 else ''} {', '.join(map(repr, unresolved))} "
            f"name{'' if len(unresolved) > 1 else 's'} no motif, so {'they are' if len(unresolved) > 1 else 'it is'} "
            "not taken as ground-truth TFs" + ("" if names else ": no ground truth, hits only (pass --tfs / tfs=)"),
            stacklevel=2,
        )
    return names, "task names" if names else "none"


def _names_a_motif(name: str, database=None) -> bool:
    """Whether ``name`` is the name of a motif of ``database`` (motifs) or a JASPAR 2016 name or ID."""
    if database is not None and name.casefold() in {str(m.name).casefold() for m in database}:
        return True
    try:
        get_motif(name)
    except (MotifError, SeqlensError):
        return False
    return True


def filter_localization(model, split, motifs: Sequence = (), batch_size: int = 256, device=None) -> dict:
    """Motif localisation AUROC of the filter scan and, given ``motifs``, of the true PWMs' scan.

    ``split`` needs ground truth ``(N, 4, L)``. Returns ``{"filters": {...}, "true_pwms":
    {...}}`` (the latter only with motifs), each with ``pooled_auroc`` (AUROC over the regions
    of all sequences, the paper's number), ``mean_auroc`` / ``sd_auroc`` over sequences (None
    when no sequence has both kinds of region) and ``n_sequences`` (sequences with an AUROC).
    """
    if split.ground_truth is None:
        raise SeqlensError("localisation needs a split with ground truth")
    scans = {"filters": filter_scan(model, split.X, batch_size=batch_size, device=device)}
    if motifs:
        scans["true_pwms"] = pwm_scan(split.X, list(motifs), background=split.background)
    results = {}
    for name, scan in scans.items():
        local = localization_auroc(scan, split.ground_truth, background=split.background)
        stats = summarize(local.per_sequence, ["auroc"]).loc["auroc"]
        results[name] = {
            "pooled_auroc": local.pooled_auroc,
            "mean_auroc": None if np.isnan(stats["mean"]) else float(stats["mean"]),
            "sd_auroc": None if np.isnan(stats["sd"]) else float(stats["sd"]),
            "n_sequences": int(stats["n"]),
        }
    return results


@dataclass(eq=False)
class FilterReport:
    """Result of :func:`filter_report`.

    alignment : the filter motifs (one per filter) and their site table.
    tomtom : every (filter, database motif) pair (:func:`seqlens.tomtom.tomtom_table`).
    per_filter : the alignment table (``filter``, ``name``, ``n_sites`` ...) with each
        filter's best significant hit (``n_significant``, ``best_target_id``,
        ``best_target_name``, ``best_p_value``), ``ground_truth_tf`` (with TFs),
        ``informative`` (``core_information >= min_information``) and ``category``
        (``ground_truth`` / ``other`` / ``none`` / ``uninformative``; without TFs no
        ``ground_truth``). An uninformative filter has no counted hit.
    coverage : one row per ground-truth TF (None without TFs).
    statistics : match statistics (``match_fraction``, ``other_fraction``,
        ``no_match_fraction``, ``uninformative_fraction`` (the four add up to 1, over all
        filters), ``n_uninformative``, ``min_information``, ``tf_coverage``, ``criterion``
        ...; None without TFs).
    n_uninformative, min_information : filters set aside as uninformative, and the threshold.
    ground_truth_tfs, ground_truth_source : the TF names and where they came from.
    localization : :func:`filter_localization` (None without ground truth or when skipped).
    criterion : how a filter is counted for a TF (a key of :data:`seqlens.tomtom.MATCH_CRITERIA`).
    evalue, qvalue : the significance threshold(s) used.
    n_database_motifs : motifs in the database after ``exclude``.
    """

    alignment: FilterAlignment
    tomtom: pd.DataFrame
    per_filter: pd.DataFrame
    coverage: pd.DataFrame | None
    statistics: dict | None
    ground_truth_tfs: list[str]
    ground_truth_source: str
    localization: dict | None
    criterion: str
    evalue: float | None
    qvalue: float | None
    n_database_motifs: int
    min_information: float = DEFAULT_MIN_INFORMATION

    @property
    def n_uninformative(self) -> int:
        """Filters whose PPM carries fewer than ``min_information`` bits (no hit counted for them)."""
        return int((self.per_filter["category"] == "uninformative").sum())

    @property
    def motifs(self) -> list:
        """The filter motifs (:class:`seqlens.motifs.Motif`, one per filter)."""
        return self.alignment.motifs

    @property
    def criterion_description(self) -> str:
        """The counting rule in words, e.g. ``"best significant hit is a ground-truth TF"``."""
        return MATCH_CRITERIA[self.criterion]

    def hit_labels(self) -> list[str]:
        """One label per filter: its best significant hit (``*`` marks a filter counted for a ground-truth TF)."""
        return [hit_label(row) for row in self.per_filter.itertuples()]


def hit_label(row) -> str:
    """A filter's best significant hit for logo titles and summaries, ``*`` marking one counted for a ground-truth TF."""
    if row.category == "none":
        return "no match"
    if row.category == "uninformative":
        information = getattr(row, "core_information", None)
        return "uninformative" if information is None or pd.isna(information) else \
            f"uninformative ({information:.1f} bits in its core)"
    name = f"{row.best_target_name} ({row.best_target_id})"
    return f"{name}, p={row.best_p_value:.1e}" + (" *" if row.category == "ground_truth" else "")


def _best_hits_only(table: pd.DataFrame, evalue, qvalue) -> pd.DataFrame:
    """Per-filter table without ground-truth TFs: best significant hit, category ``other`` or ``none``."""
    best = best_hits(table, evalue=evalue, qvalue=qvalue)
    return best[["query", "n_significant"]].assign(
        best_target_id=best["target_id"],
        best_target_name=best["target_name"],
        best_p_value=best["p_value"],
        category=np.where(best["n_significant"] > 0, "other", "none"),
    )


def filter_report(
    model,
    split,
    dataset=None,
    database=2016,
    tfs: str | Sequence[str] | None = None,
    tfs_given_as: str = "given",
    evalue: float | None = None,
    qvalue: float | None = None,
    criterion: str = DEFAULT_CRITERION,
    threshold: float = 0.5,
    window: int | None = None,
    trim: bool = False,
    exclude: Iterable[str] = (),
    localization: bool = True,
    min_information: float = DEFAULT_MIN_INFORMATION,
    batch_size: int = 256,
    device=None,
) -> FilterReport:
    """First-layer filter motifs of ``model`` on ``split``, their Tomtom matches and statistics.

    Parameters
    ----------
    model : a zoo model (``first_conv``, ``first_layer_activations``).
    split : :class:`seqlens.data.Split` whose ``X`` ``(N, 4, L)`` the filters are aligned on
        (the test split in the papers); its ground truth enables localisation.
    dataset : the :class:`seqlens.data.SeqDataset` of ``split`` (metadata and task names
        name the ground-truth TFs; see :func:`ground_truth_tfs`).
    database : a JASPAR release (default 2016, the papers'), a MEME file or motifs.
    tfs, tfs_given_as : ground-truth TF names overriding the dataset's, and how to name
        their source (e.g. ``"--tfs"``).
    evalue, qvalue : Tomtom significance; default ``evalue=0.1`` (002) when neither is given
        (004: ``qvalue=0.1``).
    criterion : ``"best"`` (default, SPEC section 6: the best significant hit must be a
        ground-truth TF) or ``"any"`` (any significant hit, the originals' code).
    threshold, window, trim : filter alignment (:func:`filter_alignment`).
    exclude : database motif names or IDs to leave out (002 dropped Gmeb1).
    localization : also score motif localisation (when ``split`` has ground truth).
    min_information : filters whose PPM core (the most informative 6 columns) carries fewer
        bits are ``uninformative`` and none of their Tomtom hits is counted (module docstring;
        0 counts all).

    Returns
    -------
    :class:`FilterReport`. Warnings (e.g. Tomtom's) are issued as Python warnings.
    """
    check_criterion(criterion)
    if evalue is None and qvalue is None:
        evalue = 0.1
    motifs = load_motifs(database)
    alignment = filter_alignment(model, split.X, threshold=threshold, window=window, trim=trim,
                                 batch_size=batch_size, device=device)
    if not min_information >= 0:
        raise SeqlensError(f"min_information must be >= 0 bits, got {min_information}")
    table = tomtom_table(alignment.motifs, targets=motifs, exclude=list(exclude))
    informative = (alignment.table["core_information"] >= min_information).to_numpy()
    counted = _without_uninformative(table, informative)
    tf_names, tf_source = ground_truth_tfs(dataset, split, tfs, tfs_given_as, database=motifs)
    if tf_names:
        matches = match_statistics(counted, tf_names, evalue=evalue, qvalue=qvalue, criterion=criterion)
        per_filter, coverage, stats = matches.per_filter, matches.coverage, matches.summary
    else:
        per_filter, coverage, stats = _best_hits_only(counted, evalue, qvalue), None, None
    per_filter = alignment.table.merge(per_filter.rename(columns={"query": "name"}), on="name", how="left")
    per_filter.insert(per_filter.columns.get_loc("core_information") + 1, "informative", informative)
    per_filter.loc[~informative, "category"] = "uninformative"
    if stats is not None:
        stats = _with_uninformative(stats, per_filter, min_information)
    local = None
    if localization and split.ground_truth is not None:
        folded = {t.casefold() for t in tf_names}
        local = filter_localization(model, split, [m for m in motifs if m.name.casefold() in folded], batch_size, device)
    return FilterReport(
        alignment=alignment,
        tomtom=table,
        per_filter=per_filter,
        coverage=coverage,
        statistics=stats,
        ground_truth_tfs=tf_names,
        ground_truth_source=tf_source,
        localization=local,
        criterion=criterion,
        evalue=evalue,
        qvalue=qvalue,
        n_database_motifs=int(table.attrs["n_targets"]),
        min_information=float(min_information),
    )


def _without_uninformative(table: pd.DataFrame, informative: np.ndarray) -> pd.DataFrame:
    """``table`` with no significant row for an uninformative query (its E- and q-values set to infinity)."""
    dropped = ~informative[table["query_index"].to_numpy()]
    if not dropped.any():
        return table
    counted = table.copy()
    counted.loc[dropped, ["e_value", "q_value"]] = np.inf
    return counted


def _with_uninformative(stats: dict, per_filter: pd.DataFrame, min_information: float) -> dict:
    """Match statistics with the uninformative filters counted apart (fractions over all filters)."""
    n_filters = len(per_filter)
    n_uninformative = int((per_filter["category"] == "uninformative").sum())
    out = dict(stats)
    out["no_match_fraction"] = float((per_filter["category"] == "none").sum() / n_filters)
    out["uninformative_fraction"] = float(n_uninformative / n_filters)
    out["n_uninformative"] = n_uninformative
    out["min_information"] = float(min_information)
    return out
