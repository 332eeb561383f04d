"""Null sequences for global importance analysis, and how well they resemble the data.

GIA (paper 001, SPEC section 7) measures a feature's effect as the paired change of the
prediction when the feature is embedded in null sequences. The nulls must look like the data
to the model except for the feature: a uniform background, for instance, differs from real
sequence in GC content, and the model's response to that difference (the "GC mirage") would
be read as the feature's effect. :func:`null_diagnostics` measures the difference.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..alphabet import as_rng, dinucleotide_shuffle, shuffle
from ..errors import SequenceError
from ..motifs import sample_from_ppm
from ..validation import as_array, check_int, check_one_hot, did_you_mean

NULL_METHODS = ("dinuc", "shuffle", "profile", "real")
"""``dinuc``: dinucleotide shuffles of data sequences (dinucleotide counts kept exactly);
``shuffle``: mononucleotide shuffles (nucleotide counts kept); ``profile``: sampled from the
position-specific nucleotide frequencies of the data; ``real``: the data sequences themselves
(e.g. the negative class)."""

DINUCLEOTIDES = tuple(a + b for a in "ACGT" for b in "ACGT")


def null_sequences(X, n: int, method: str = "dinuc", seed=0, return_sources: bool = False):
    """``n`` null sequences ``(n, 4, L)`` made from the background set ``X`` ``(N, 4, L)``.

    ``method`` is one of :data:`NULL_METHODS`. ``dinuc``, ``shuffle`` and ``real`` start from
    ``n`` rows of ``X`` drawn without replacement when ``n <= N`` (with replacement otherwise;
    ``real`` then raises, since repeated nulls are not independent). ``profile`` samples every
    position independently from the per-position frequencies of ``X`` (``N`` columns ignored).
    Output is float32, numpy or torch like ``X``. With ``return_sources`` also returns the
    ``(n,)`` row indices of ``X`` each null came from (None for ``profile``).
    """
    if method not in NULL_METHODS:
        raise SequenceError(f"unknown null method {method!r}{did_you_mean(method, NULL_METHODS)}; "
                            f"choose from {', '.join(NULL_METHODS)}")
    check_one_hot(X, "background sequences")
    n = check_int(n, "n (number of nulls)")
    arr = as_array(X, "background sequences", ndim=3).astype(np.float32)
    if arr.shape[0] == 0:
        raise SequenceError("background sequences: the set is empty")
    rng = as_rng(seed)
    sources = None
    if method == "profile":
        out = _sample_profile(arr, n, rng)
    else:
        if method == "real" and n > arr.shape[0]:
            raise SequenceError(f"real nulls: asked for {n} but the background set has {arr.shape[0]} sequences")
        sources = rng.choice(arr.shape[0], size=n, replace=n > arr.shape[0])
        out = arr[sources]
        if method == "dinuc":
            out = dinucleotide_shuffle(out, seed=rng)
        elif method == "shuffle":
            out = shuffle(out, seed=rng)
    out = same_kind(out, X)
    return (out, sources) if return_sources else out


def _sample_profile(arr: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    counts = arr.sum(axis=0)  # (4, L) nucleotide counts per position; N columns add nothing or 0.25 each
    empty = np.flatnonzero(counts.sum(axis=0) == 0)
    if empty.size:
        raise SequenceError(f"profile nulls: position {int(empty[0])} is N in every background sequence")
    return sample_from_ppm(counts, n, seed=rng)


def same_kind(out: np.ndarray, X):
    """``out`` as a torch tensor when ``X`` is one, else unchanged."""
    if hasattr(X, "detach"):
        import torch

        return torch.from_numpy(np.ascontiguousarray(out))
    return out


def gc_content(X) -> np.ndarray:
    """GC fraction ``(N,)`` of one-hot sequences ``(N, 4, L)`` over their A/C/G/T columns."""
    counts = as_array(X, "X", ndim=3).sum(axis=2)
    total = counts.sum(axis=1)
    return np.divide(counts[:, 1] + counts[:, 2], total, out=np.full(total.shape, np.nan), where=total > 0)


def dinucleotide_frequencies(X) -> np.ndarray:
    """Frequencies ``(N, 16)`` of the 16 dinucleotides (order :data:`DINUCLEOTIDES`) of each
    sequence ``(N, 4, L)``, over the adjacent pairs of A/C/G/T columns."""
    arr = as_array(X, "X", ndim=3)
    pairs = np.einsum("nal,nbl->nab", arr[:, :, :-1], arr[:, :, 1:]).reshape(arr.shape[0], 16)
    total = pairs.sum(axis=1, keepdims=True)
    return np.divide(pairs, total, out=np.zeros_like(pairs, dtype=np.float64), where=total > 0)


def null_diagnostics(nulls, data, predictions_nulls=None, predictions_data=None, gc_tolerance: float = 0.02,
                     dinucleotide_tolerance: float = 0.01, alpha: float = 0.01) -> dict:
    """How the nulls ``(M, 4, L)`` differ from the data ``(N, 4, L)``; a list of warnings.

    Compares mean GC content (difference and a two-sample Kolmogorov-Smirnov test), the
    pooled dinucleotide frequencies (largest absolute difference and the dinucleotide) and,
    when given, the model's predictions ``(M,)`` / ``(N,)`` on both sets (difference of
    means and KS test). A warning is raised for a GC difference above ``gc_tolerance``
    with KS p < ``alpha``, a dinucleotide difference above ``dinucleotide_tolerance``, and
    predictions whose distributions differ at KS p < ``alpha``.

    Returns a dict: ``gc_nulls`` / ``gc_data`` (mean), ``gc_difference``, ``gc_ks_p``,
    ``dinucleotide_max_difference``, ``dinucleotide``, optionally ``prediction_nulls`` /
    ``prediction_data`` (mean), ``prediction_difference``, ``prediction_ks_p``, and
    ``warnings`` (one-line strings).
    """
    gc_n, gc_d = gc_content(nulls), gc_content(data)
    gc_n, gc_d = gc_n[np.isfinite(gc_n)], gc_d[np.isfinite(gc_d)]
    result = {"gc_nulls": float(gc_n.mean()), "gc_data": float(gc_d.mean()),
              "gc_difference": float(gc_n.mean() - gc_d.mean()), "gc_ks_p": float(stats.ks_2samp(gc_n, gc_d).pvalue)}
    di_n = dinucleotide_frequencies(nulls).mean(axis=0)
    di_d = dinucleotide_frequencies(data).mean(axis=0)
    worst = int(np.argmax(np.abs(di_n - di_d)))
    result["dinucleotide_max_difference"] = float(abs(di_n[worst] - di_d[worst]))
    result["dinucleotide"] = DINUCLEOTIDES[worst]
    warnings = []
    if abs(result["gc_difference"]) > gc_tolerance and result["gc_ks_p"] < alpha:
        warnings.append(f"nulls differ from the data in GC content: {result['gc_nulls']:.3f} vs {result['gc_data']:.3f} "
                        f"(KS p = {result['gc_ks_p']:.2g}); effects may reflect GC, not the feature")
    if result["dinucleotide_max_difference"] > dinucleotide_tolerance:
        warnings.append(f"nulls differ from the data in {result['dinucleotide']} frequency by "
                        f"{result['dinucleotide_max_difference']:.3f}")
    if (predictions_nulls is None) != (predictions_data is None):
        raise SequenceError("give predictions for both the nulls and the data, or for neither")
    if predictions_nulls is not None:
        p_n = as_array(predictions_nulls, "predictions on the nulls").reshape(-1)
        p_d = as_array(predictions_data, "predictions on the data").reshape(-1)
        result.update(prediction_nulls=float(p_n.mean()), prediction_data=float(p_d.mean()),
                      prediction_difference=float(p_n.mean() - p_d.mean()),
                      prediction_ks_p=float(stats.ks_2samp(p_n, p_d).pvalue))
        if result["prediction_ks_p"] < alpha:
            warnings.append(f"the model's predictions on the nulls differ from those on the data: mean "
                            f"{result['prediction_nulls']:.3g} vs {result['prediction_data']:.3g} "
                            f"(KS p = {result['prediction_ks_p']:.2g})")
    result["warnings"] = warnings
    return result


def drop_extreme_nulls(nulls, predictions, upper: float = 0.99, lower: float | None = None):
    """Keep the nulls ``(M, 4, L)`` whose prediction ``(M,)`` lies within the given quantiles.

    Nulls that already score like positives (above the ``upper`` quantile, and below
    ``lower`` when given) would hide or invert a feature's effect. Returns ``(kept nulls,
    kept row indices)``.
    """
    p = as_array(predictions, "predictions").reshape(-1)
    if p.shape[0] != len(nulls):
        raise SequenceError(f"{p.shape[0]} predictions for {len(nulls)} nulls")
    for name, q in (("upper", upper), ("lower", lower)):
        if q is not None and not 0 <= q <= 1:
            raise SequenceError(f"{name} quantile must be in [0, 1], got {q}")
    keep = p <= np.quantile(p, upper)
    if lower is not None:
        keep &= p >= np.quantile(p, lower)
    rows = np.flatnonzero(keep)
    return nulls[rows], rows
