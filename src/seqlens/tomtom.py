"""Motif comparison with Tomtom (``memelite``, no MEME suite binary) and filter match statistics.

Tomtom p-values come from :func:`memelite.tomtom.tomtom` (its p-values agree with MEME's
Tomtom: log-p correlation 0.9999). On top of them:

- ``e_value = p_value * n_targets`` (MEME Tomtom's E-value: the expected number of targets
  matching this well by chance);
- ``q_value``: Benjamini-Hochberg over the query's p-values against all targets.

Papers: 002 called a filter matched at E-value <= 0.1, 004 at q-value <= 0.1.

Match fraction (:func:`match_statistics`): by default a filter counts for a ground-truth TF
when its **best** significant hit is that TF (SPEC section 6); ``criterion="any"`` counts it
when any significant hit is (the originals' code). Tables record which one they use.

Compiled-code cache
-------------------
memelite's kernels are numba functions with ``cache=True``; compiling them costs about a
minute on first use. numba decides where a function's cache lives when the function is
defined (when ``memelite.tomtom`` is imported), and by default puts it beside memelite's
sources, or in a user-wide directory when those are read-only. :func:`numba_cache_dir`
makes the location explicit and persistent: unless the user set ``NUMBA_CACHE_DIR``, it
points it at ``$XDG_CACHE_HOME/seqlens/numba`` (default ``~/.cache/seqlens/numba``) before
memelite is imported (also when numba itself was imported earlier, through numba's
``config.CACHE_DIR``). Every call here goes through it, so only the first process on a
machine pays the compile; later processes load the compiled code in well under a second.
If memelite was imported before seqlens could set this up, numba's default location is
used, which is cached on disk too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from .errors import MotifError, SeqlensError
from .motifs import Motif, load_motifs


def numba_cache_dir() -> Path | None:
    """Make numba cache compiled code in a persistent per-user directory; return it.

    Honours an existing ``NUMBA_CACHE_DIR``. Returns None (numba's default location
    applies) when the directory cannot be created.
    """
    configured = os.environ.get("NUMBA_CACHE_DIR")
    if configured:
        path = Path(configured).expanduser()
    else:
        path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "seqlens" / "numba"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    os.environ["NUMBA_CACHE_DIR"] = str(path)
    if "numba" in sys.modules:
        # numba read its environment when it was imported; its config is what the cache
        # locator consults when memelite's functions are defined.
        from numba.core import config

        config.CACHE_DIR = str(path)
    return path


def _memelite_tomtom():
    numba_cache_dir()
    from memelite.tomtom import tomtom

    return tomtom


@contextmanager
def _torch_threads_kept():
    """Restore torch's thread count after numba's parallel kernels: numba's OpenMP layer
    shares torch's libgomp and leaves its thread count behind (measured: a study worker set
    to 1 thread ran its next model on 2 threads after Tomtom, oversubscribing the cores)."""
    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    try:
        yield
    finally:
        if threads is not None and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def _excluded(motif: Motif, exclude: set[str]) -> bool:
    return motif.name.casefold() in exclude or (motif.id is not None and motif.id.casefold() in exclude)


def tomtom_table(
    queries,
    targets=2016,
    exclude: Iterable[str] = (),
    n_jobs: int = -1,
) -> pd.DataFrame:
    """Compare every query motif with every target motif (both strands) with Tomtom.

    Parameters
    ----------
    queries : motifs to look up (e.g. :func:`seqlens.evaluation.filter_ppms`), or a MEME file.
    targets : the database: a JASPAR release (default 2016, the papers'), a MEME file or a
        list of motifs. Use a complete database: Tomtom's background comes from the target
        columns, so p-values from a handful of targets are unreliable.
    exclude : target names or IDs (case-insensitive) to drop from the database before the
        search, e.g. ``["Gmeb1"]``, which paper 002 left out because uninformative filters
        matched it.
    n_jobs : numba threads (-1: all).

    Returns
    -------
    DataFrame with one row per (query, target), sorted by query then p-value:
    ``query_index``, ``query``, ``target_index`` (in the database after ``exclude``),
    ``target_id``, ``target_name``, ``p_value``, ``e_value``, ``q_value``, ``score``,
    ``offset`` (position in the target, read on the matched strand, that the query's first
    column aligns with; negative when the query overhangs the target's start),
    ``overlap`` (aligned columns) and ``orientation`` (``"+"`` or ``"-"``: target reverse
    complemented). ``table.attrs["n_targets"]`` holds the database size.
    """
    query_motifs = load_motifs(queries)
    excluded = {str(e).casefold() for e in exclude}
    target_motifs = [m for m in load_motifs(targets) if not _excluded(m, excluded)]
    if not target_motifs:
        raise MotifError("no target motifs left after exclude")
    tomtom = _memelite_tomtom()
    # float64 C-ordered inputs always: memelite compiles one kernel per dtype/layout.
    with _torch_threads_kept():
        p_values, scores, offsets, overlaps, strands = tomtom(
            [np.ascontiguousarray(m.ppm, dtype=np.float64) for m in query_motifs],
            [np.ascontiguousarray(m.ppm, dtype=np.float64) for m in target_motifs],
            n_jobs=n_jobs,
        )
    n_queries, n_targets = p_values.shape
    p_values = np.clip(p_values, 0.0, 1.0)
    q_values = np.vstack([false_discovery_control(row, method="bh") for row in p_values])
    table = pd.DataFrame(
        {
            "query_index": np.repeat(np.arange(n_queries), n_targets),
            "query": np.repeat([m.name for m in query_motifs], n_targets),
            "target_index": np.tile(np.arange(n_targets), n_queries),
            "target_id": np.tile([m.id for m in target_motifs], n_queries),
            "target_name": np.tile([m.name for m in target_motifs], n_queries),
            "p_value": p_values.ravel(),
            "e_value": (p_values * n_targets).ravel(),
            "q_value": q_values.ravel(),
            "score": scores.ravel(),
            "offset": offsets.ravel().astype(np.int64),
            "overlap": overlaps.ravel().astype(np.int64),
            "orientation": np.where(strands.ravel() > 0, "-", "+"),
        }
    )
    table = table.sort_values(["query_index", "p_value", "target_index"], kind="mergesort", ignore_index=True)
    table.attrs.update(n_targets=n_targets)
    return table


def _significant_mask(table: pd.DataFrame, evalue: float | None, qvalue: float | None) -> np.ndarray:
    if evalue is None and qvalue is None:
        raise SeqlensError("give a significance threshold: evalue (paper 002: 0.1) or qvalue (paper 004: 0.1)")
    mask = np.ones(len(table), dtype=bool)
    if evalue is not None:
        mask &= table["e_value"].to_numpy() <= evalue
    if qvalue is not None:
        mask &= table["q_value"].to_numpy() <= qvalue
    return mask


def significant_hits(table: pd.DataFrame, evalue: float | None = None, qvalue: float | None = None) -> pd.DataFrame:
    """The rows of a :func:`tomtom_table` with ``e_value <= evalue`` and/or ``q_value <= qvalue``."""
    return table[_significant_mask(table, evalue, qvalue)].reset_index(drop=True)


def best_hits(table: pd.DataFrame, evalue: float | None = None, qvalue: float | None = None) -> pd.DataFrame:
    """The best significant hit (lowest p-value) of every query of a :func:`tomtom_table`.

    One row per query, in query order; a query without a significant hit has NaN/None in
    the target columns and ``n_significant`` 0.
    """
    hits = significant_hits(table, evalue, qvalue)
    queries = table.drop_duplicates("query_index")[["query_index", "query"]].sort_values("query_index")
    best = hits.sort_values(["query_index", "p_value"], kind="mergesort").drop_duplicates("query_index")
    counts = hits.groupby("query_index").size().rename("n_significant")
    out = queries.merge(best.drop(columns="query"), on="query_index", how="left")
    out = out.merge(counts, left_on="query_index", right_index=True, how="left")
    out["n_significant"] = out["n_significant"].fillna(0).astype(int)
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class MatchStatistics:
    """Result of :func:`match_statistics`.

    per_filter : one row per query: ``query``, ``n_significant``, ``best_target_id``,
        ``best_target_name``, ``best_p_value`` (best significant hit overall),
        ``ground_truth_tf`` (the TF it is counted for; missing when none) and ``category``
        (``"ground_truth"``, ``"other"``: significant hits but none counted for a ground-truth
        TF, or ``"none"``: no significant hit).
    coverage : one row per ground-truth TF: ``tf``, ``n_filters`` (filters counted for it),
        ``found`` and ``best_p_value`` (best p-value of a filter counted for it).
    summary : ``n_filters``, ``match_fraction`` (paper 004's TPR: filters counted for a
        ground-truth TF / filters), ``other_fraction`` (FPR-like: filters with significant
        hits but not counted for a ground-truth TF / filters), ``no_match_fraction``,
        ``tf_coverage`` (ground-truth TFs found / TFs), ``tfs_found``, ``criterion`` (the
        counting rule, a key of :data:`MATCH_CRITERIA`), ``evalue`` and ``qvalue``.
    """

    per_filter: pd.DataFrame
    coverage: pd.DataFrame
    summary: dict


#: How :func:`match_statistics` decides that a filter matches a ground-truth TF.
MATCH_CRITERIA = {
    "best": "best significant hit is a ground-truth TF",
    "any": "any significant hit is a ground-truth TF",
}
#: The default criterion (SPEC section 6).
DEFAULT_CRITERION = "best"


def check_criterion(criterion: str) -> str:
    """``criterion`` if it is one of :data:`MATCH_CRITERIA` (``"best"``, ``"any"``), else :class:`SeqlensError`."""
    if criterion not in MATCH_CRITERIA:
        raise SeqlensError(f"criterion must be one of {', '.join(repr(c) for c in MATCH_CRITERIA)}, got {criterion!r}")
    return criterion


def _name_index(ground_truth) -> dict[str, str]:
    """Case-folded JASPAR name -> ground-truth TF label."""
    if isinstance(ground_truth, str):
        raise SeqlensError("ground_truth must be a list of TF names (or a mapping TF -> names), not one string")
    pairs = ground_truth.items() if isinstance(ground_truth, Mapping) else ((tf, [tf]) for tf in ground_truth)
    index = {}
    for tf, names in pairs:
        for name in [names] if isinstance(names, str) else names:
            index[str(name).casefold()] = str(tf)
    if not index:
        raise SeqlensError("ground_truth holds no TF names")
    return index


def match_statistics(
    table: pd.DataFrame,
    ground_truth: Sequence[str] | Mapping[str, Sequence[str]],
    evalue: float | None = None,
    qvalue: float | None = None,
    criterion: Literal["best", "any"] = DEFAULT_CRITERION,
) -> MatchStatistics:
    """How many filters match a ground-truth motif, match only other motifs, or nothing.

    Parameters
    ----------
    table : a :func:`tomtom_table` of the filters against a motif database.
    ground_truth : the TFs embedded in the data, matched to database motifs **by name**,
        case-insensitively, so every JASPAR version and release of a TF counts (``"SP1"``
        matches MA0079.2 and MA0079.3 alike). A mapping ``{tf: [names...]}`` adds aliases.
    evalue, qvalue : significance threshold(s) (002: ``evalue=0.1``; 004: ``qvalue=0.1``).
    criterion : ``"best"`` (default; SPEC section 6) counts a filter for a ground-truth TF
        only when its best significant hit (lowest p-value) is that TF; ``"any"`` when any
        of its significant hits is (the originals' code, ``match_hits_to_ground_truth``;
        the TF with the best such p-value wins). ``summary["criterion"]`` records it.

    Returns a :class:`MatchStatistics`.
    """
    check_criterion(criterion)
    tf_of = _name_index(ground_truth)
    hits = significant_hits(table, evalue, qvalue).sort_values(["query_index", "p_value"], kind="mergesort")
    hits = hits.assign(tf=[tf_of.get(str(name).casefold()) for name in hits["target_name"]])
    best = best_hits(table, evalue, qvalue)
    if criterion == "best":
        assigned = hits.drop_duplicates("query_index")  # each query's best significant hit
        assigned = assigned[assigned["tf"].notna()]
    else:
        assigned = hits[hits["tf"].notna()].drop_duplicates("query_index")
    tf_by_query = dict(zip(assigned["query_index"], assigned["tf"]))
    p_by_query = dict(zip(assigned["query_index"], assigned["p_value"]))
    per_filter = pd.DataFrame(
        {
            "query": best["query"],
            "n_significant": best["n_significant"],
            "best_target_id": best["target_id"],
            "best_target_name": best["target_name"],
            "best_p_value": best["p_value"],
            "ground_truth_tf": [tf_by_query.get(q) for q in best["query_index"]],
        }
    )
    has_hit = np.where(per_filter["n_significant"] > 0, "other", "none")
    per_filter["category"] = np.where(per_filter["ground_truth_tf"].notna(), "ground_truth", has_hit)
    tfs = list(dict.fromkeys(tf_of.values()))
    coverage = pd.DataFrame(
        {
            "tf": tfs,
            "n_filters": [sum(t == tf for t in tf_by_query.values()) for tf in tfs],
            "best_p_value": [
                min((p_by_query[q] for q, t in tf_by_query.items() if t == tf), default=np.nan) for tf in tfs
            ],
        }
    )
    coverage.insert(2, "found", coverage["n_filters"] > 0)
    n_filters = len(per_filter)
    counts = per_filter["category"].value_counts()
    summary = {
        "n_filters": n_filters,
        "match_fraction": float(counts.get("ground_truth", 0) / n_filters),
        "other_fraction": float(counts.get("other", 0) / n_filters),
        "no_match_fraction": float(counts.get("none", 0) / n_filters),
        "tf_coverage": float(coverage["found"].mean()),
        "tfs_found": [tf for tf, found in zip(coverage["tf"], coverage["found"]) if found],
        "criterion": criterion,
        "evalue": evalue,
        "qvalue": qvalue,
    }
    return MatchStatistics(per_filter=per_filter, coverage=coverage, summary=summary)
