"""Summary statistics of a :class:`~seqlens.data.containers.SeqDataset` (``seqlens data info``)."""

from __future__ import annotations

import numpy as np

from ..errors import DataFormatError
from .containers import SPLITS, SeqDataset, Split
from .ground_truth import background_positions


#: ``motifs_per_seq_source`` values: counted from the motif site table (one row per planted
#: motif, exact), or as runs of non-background ground-truth columns (abutting or overlapping
#: motifs merge into one run, so it undercounts).
MOTIF_TABLE = "motif table"
GROUND_TRUTH_RUNS = "ground-truth runs"


def _count_distribution(counts: np.ndarray, source: str) -> dict:
    values, freq = np.unique(counts, return_counts=True)
    return {
        "source": source,
        "mean": float(counts.mean()),
        "min": int(counts.min()),
        "max": int(counts.max()),
        "histogram": {str(int(v)): int(f) for v, f in zip(values, freq)},
    }


def _split_summary(split: Split, task_names: list[str]) -> dict:
    n = len(split)
    info = {
        "n": n,
        "length": split.length,
        "n_tasks": split.n_tasks,
        "label_balance": None,
        "has_ground_truth": split.ground_truth is not None,
        "has_motif_sites": split.motif_sites is not None,
        "motifs_per_sequence": None,
        "motifs_per_seq_source": None,
        "background": None if split.background is None else split.background.tolist(),
        "ground_truth_coverage": None,
    }
    if n == 0:
        return info
    positive = (split.y > 0.5).mean(axis=0)
    info["label_balance"] = {t: float(p) for t, p in zip(task_names, positive)}
    if split.motif_sites is not None:
        counts = np.bincount(split.motif_sites["sequence"].to_numpy(), minlength=n)
        info["motifs_per_sequence"] = _count_distribution(counts, "motif_sites")
        info["motifs_per_seq_source"] = MOTIF_TABLE
    if split.ground_truth is not None:
        try:
            informative = ~background_positions(split.ground_truth, split.background)
        except DataFormatError as exc:  # a ground truth whose background is not recorded
            info["ground_truth_note"] = str(exc)
            return info
        info["ground_truth_coverage"] = float(informative.mean())
        if split.motif_sites is None:
            starts = informative[:, 1:] & ~informative[:, :-1]
            counts = informative[:, 0].astype(np.int64) + starts.sum(axis=1)
            info["motifs_per_sequence"] = _count_distribution(counts, "ground_truth_runs")
            info["motifs_per_seq_source"] = GROUND_TRUTH_RUNS
    return info


def summary(dataset: SeqDataset) -> dict:
    """A JSON-ready description of ``dataset`` (used by ``seqlens data info``).

    Per split: ``n``, ``length``, ``n_tasks``, ``label_balance`` (fraction of labels
    > 0.5 per task), ``motifs_per_sequence`` (mean, min, max and histogram of the number of
    embedded motifs, counted from ``motif_sites`` when present, else as runs of
    non-uniform ground-truth columns, where abutting motifs count as one run),
    ``motifs_per_seq_source`` (which of the two counts is shown: ``"motif table"`` or
    ``"ground-truth runs"``; None without either),
    ``ground_truth_coverage`` (fraction of positions whose ground-truth column differs from
    the background, :func:`seqlens.data.ground_truth.background_positions`), ``background``
    (the background frequencies, None = uniform), ``has_ground_truth`` and
    ``has_motif_sites``. Empty splits report ``None`` for the statistics; a ground truth
    without a column equal to its background gets ``ground_truth_note`` instead of a coverage.
    """
    splits = {name: _split_summary(dataset.split(name), dataset.task_names) for name in SPLITS}
    return {
        "n_sequences": sum(s["n"] for s in splits.values()),
        "input_length": dataset.input_length,
        "n_tasks": dataset.n_tasks,
        "task_names": list(dataset.task_names),
        "has_ground_truth": all(s["has_ground_truth"] for s in splits.values()),
        "splits": splits,
        "metadata": dataset.metadata,
    }
