"""Controls for confounded real sequence sets: control negatives and composition-only baselines.

Real positive and negative sets often differ in composition (the Oct4 and Mafk peak sets are
separated by GC content alone with AUROC about 0.77), so a model's AUROC says little until it is
compared with what composition alone achieves.

* :func:`add_shuffled_negatives`: a dinucleotide-shuffled copy of every positive (same
  dinucleotide counts, so the same GC; the motifs destroyed), labelled 0, in the positive's split;
* :func:`add_gc_matched_negatives`: windows of a background FASTA whose GC content falls in
  each positive's GC bin (seeded), labelled 0, in the positive's split;
* :func:`gc_content`, :func:`kmer_counts`: the composition features;
* :func:`control_baselines`: per task, the AUROC of GC content alone (its direction taken from
  the train split) and of a k-mer count (k = 4) logistic regression trained on the train split,
  both on the evaluated split. ``seqlens evaluate-model --controls`` reports them beside the
  model's AUROC.

Negatives are added split by split, so a positive's control never lands in another split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..alphabet import as_rng, dinucleotide_shuffle, one_hot_encode
from ..errors import DataFormatError
from ..validation import check_int
from .containers import SPLITS, PathLike, SeqDataset, Split
from .fasta import check_records, read_fasta

__all__ = [
    "add_gc_matched_negatives",
    "add_shuffled_negatives",
    "background_windows",
    "control_baselines",
    "gc_content",
    "kmer_counts",
    "positive_rows",
]


def gc_content(X) -> np.ndarray:
    """GC fraction ``(N,)`` float64 of one-hot sequences ``(N, 4, L)``: (C + G) mass over the
    A/C/G/T mass (all-zero N columns do not count; a sequence of N only gets 0.5)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[1] != 4:
        raise DataFormatError(f"expected one-hot sequences of shape (N, 4, L), got {X.shape}")
    gc = X[:, 1].sum(axis=1) + X[:, 2].sum(axis=1)
    total = X.sum(axis=(1, 2))
    return np.divide(gc, total, out=np.full(len(X), 0.5), where=total > 0)


def kmer_counts(X, k: int = 4) -> np.ndarray:
    """Counts ``(N, 4**k)`` float64 of each k-mer (lexicographic ACGT order) on the forward strand;
    windows holding a column that is not exactly one-hot (an N) are not counted."""
    check_int(k, "k")
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[1] != 4:
        raise DataFormatError(f"expected one-hot sequences of shape (N, 4, L), got {X.shape}")
    n, _, length = X.shape
    counts = np.zeros((n, 4**k))
    if length < k:
        return counts
    is_base = (X == 1).sum(axis=1) == 1
    is_base &= (X == 0).sum(axis=1) == 3
    codes = np.where(is_base, X.argmax(axis=1), 0).astype(np.int64)
    n_windows = length - k + 1
    index = np.zeros((n, n_windows), dtype=np.int64)
    valid = np.ones((n, n_windows), dtype=bool)
    for j in range(k):
        index = index * 4 + codes[:, j:j + n_windows]
        valid &= is_base[:, j:j + n_windows]
    rows = np.broadcast_to(np.arange(n)[:, None], index.shape)
    np.add.at(counts, (rows[valid], index[valid]), 1.0)
    return counts


def positive_rows(split: Split) -> np.ndarray:
    """Boolean mask of the rows with a positive label in any task."""
    return (split.y > 0).any(axis=1)


def _appended(split: Split, X: np.ndarray, names: list[str]) -> Split:
    if split.ground_truth is not None or split.motif_sites is not None:
        raise DataFormatError("control negatives cannot be added to a split with a ground truth or motif sites")
    own_names = split.names if split.names is not None else [f"seq{i}" for i in range(len(split))]
    return Split(
        X=np.concatenate([split.X, X.astype(np.float32)]),
        y=np.concatenate([split.y, np.zeros((len(X), split.n_tasks), dtype=np.float32)]),
        names=list(own_names) + list(names),
    )


def _with_splits(dataset: SeqDataset, splits: dict, control: dict) -> SeqDataset:
    controls = list(dataset.metadata.get("controls", [])) + [control]
    return SeqDataset(**splits, task_names=dataset.task_names, metadata={**dataset.metadata, "controls": controls})


def add_shuffled_negatives(dataset: SeqDataset, seed: int | np.random.Generator | None = 0) -> SeqDataset:
    """``dataset`` with a dinucleotide-shuffled copy of every positive row, labelled 0 in every task.

    Each copy (named ``NAME|shuffled``) joins its positive's split and keeps its dinucleotide
    counts exactly (:func:`seqlens.alphabet.dinucleotide_shuffle`).
    """
    rng = as_rng(seed)
    splits, counts = {}, {}
    for name in SPLITS:
        split = dataset.split(name)
        mask = positive_rows(split)
        if not mask.any():
            splits[name], counts[name] = split, 0
            continue
        shuffled = dinucleotide_shuffle(split.X[mask], seed=rng)
        names = split.names if split.names is not None else [f"seq{i}" for i in range(len(split))]
        splits[name] = _appended(split, shuffled, [f"{n}|shuffled" for n, keep in zip(names, mask) if keep])
        counts[name] = int(mask.sum())
    return _with_splits(dataset, splits, {"kind": "dinucleotide_shuffled", "added": counts})


def background_windows(path: PathLike, length: int) -> tuple[list[str], list[str]]:
    """Non-overlapping ``length``-long windows of a background FASTA's records (from each record's
    start), skipping windows with a base other than A/C/G/T; soft-masked bases are upper-cased.

    Returns ``(names, sequences)`` with names ``RECORD:start-end``.
    """
    check_int(length, "length")
    records = read_fasta(path)
    check_records(records, path)
    names, seqs = [], []
    for record, seq in records:
        seq = seq.upper().replace("U", "T")
        for start in range(0, len(seq) - length + 1, length):
            window = seq[start:start + length]
            if not set(window) <= _ACGT:
                continue
            names.append(f"{record}:{start}-{start + length}")
            seqs.append(window)
    return names, seqs


_ACGT = set("ACGT")


def _gc_bin(gc: np.ndarray, bins: int) -> np.ndarray:
    return np.minimum((np.asarray(gc) * bins).astype(np.int64), bins - 1)


def add_gc_matched_negatives(
    dataset: SeqDataset, background: PathLike, bins: int = 20, seed: int | np.random.Generator | None = 0
) -> SeqDataset:
    """``dataset`` with one GC-matched negative per positive row, drawn from a background FASTA.

    The background's records are cut into windows of the dataset's length
    (:func:`background_windows`); each positive gets, without replacement and in a seeded
    order, a window from its GC bin (``bins`` equal bins over [0, 1]); when that bin is used up
    the nearest bin with windows left gives one (counted in the metadata as ``fallbacks``). The
    negatives (named ``RECORD:start-end|gc_matched``) are labelled 0 and join their positive's
    split. Too few windows raises :class:`DataFormatError`.
    """
    check_int(bins, "bins")
    rng = as_rng(seed)
    length = dataset.input_length
    names, seqs = background_windows(background, length)
    positives = {name: positive_rows(dataset.split(name)) for name in SPLITS}
    needed = int(sum(mask.sum() for mask in positives.values()))
    if len(seqs) < needed:
        raise DataFormatError(
            f"{background} gives {len(seqs)} window(s) of {length} nt without N, but {needed} positives need a GC-matched negative"
        )
    gc = np.array([(s.count("G") + s.count("C")) / length for s in seqs])
    pools = [list(rng.permutation(np.flatnonzero(_gc_bin(gc, bins) == b))) for b in range(bins)]
    by_distance = [sorted(range(bins), key=lambda other: (abs(other - b), other)) for b in range(bins)]
    splits, counts, fallbacks = {}, {}, 0
    for name in SPLITS:
        split, mask = dataset.split(name), positives[name]
        rows = np.flatnonzero(mask)
        if not len(rows):
            splits[name], counts[name] = split, 0
            continue
        chosen = []
        for b in _gc_bin(gc_content(split.X[rows]), bins):
            source = next(other for other in by_distance[b] if pools[other])
            fallbacks += source != b
            chosen.append(pools[source].pop())
        X = one_hot_encode([seqs[i] for i in chosen])
        splits[name] = _appended(split, X, [f"{names[i]}|gc_matched" for i in chosen])
        counts[name] = len(chosen)
    control = {"kind": "gc_matched", "background": str(background), "bins": bins, "added": counts,
               "fallbacks": int(fallbacks), "background_windows": len(seqs)}
    return _with_splits(dataset, splits, control)


def control_baselines(dataset: SeqDataset, split: str = "test", k: int = 4, max_iter: int = 2000) -> pd.DataFrame:
    """What composition alone achieves on ``split``, per task.

    * ``gc_auroc``: AUROC of the GC content (:func:`gc_content`), its sign taken from the train
      split (``gc_direction``: ``"higher"`` when the train positives have the higher mean GC,
      then the score is GC, else minus GC);
    * ``kmer_auroc``: AUROC of a scikit-learn ``LogisticRegression`` (after ``StandardScaler``)
      on k-mer counts (:func:`kmer_counts`, forward strand), trained on the train split.

    Returns a table with ``task, n_positive, n_negative, gc_auroc, gc_direction, kmer_auroc``
    (NaN where the evaluated or the train split holds one class only). ``split="train"``
    evaluates on the training data itself.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    check_int(k, "k")
    train, chosen = dataset.train, dataset.split(split)
    if not len(train) or not len(chosen):
        raise DataFormatError(f"control baselines need sequences in the train and {split} splits")
    gc_train, gc_eval = gc_content(train.X), gc_content(chosen.X)
    features_train, features_eval = kmer_counts(train.X, k), kmer_counts(chosen.X, k)
    rows = []
    for t, task in enumerate(dataset.task_names):
        y_train, y_eval = train.y[:, t] > 0.5, chosen.y[:, t] > 0.5
        n_pos, n_neg = int(y_eval.sum()), int((~y_eval).sum())
        both_train = y_train.any() and (~y_train).any()
        direction, gc_auroc, kmer_auroc = None, float("nan"), float("nan")
        if both_train:
            direction = "higher" if gc_train[y_train].mean() >= gc_train[~y_train].mean() else "lower"
        if n_pos and n_neg:
            sign = -1.0 if direction == "lower" else 1.0
            gc_auroc = float(roc_auc_score(y_eval, sign * gc_eval))
            if both_train:
                model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
                model.fit(features_train, y_train)
                kmer_auroc = float(roc_auc_score(y_eval, model.decision_function(features_eval)))
        rows.append((task, n_pos, n_neg, gc_auroc, direction or "higher", kmer_auroc))
    table = pd.DataFrame(rows, columns=["task", "n_positive", "n_negative", "gc_auroc", "gc_direction", "kmer_auroc"])
    table.attrs["settings"] = {"split": split, "k": k, "kmer_model": "StandardScaler + LogisticRegression",
                               "trained_on": "train", "gc_direction_from": "train"}
    return table
