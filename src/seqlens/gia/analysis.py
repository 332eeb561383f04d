"""One GIA analysis of a model on a dataset split: nulls, diagnostics, one experiment, a document.

This is the pipeline ``seqlens gia`` and the study runner share: choose the nulls from the
split (shuffles of its sequences, its position profile, or its negatives), check them
against the data (:func:`~seqlens.gia.null_diagnostics`: GC content, dinucleotides, the
model's predictions), optionally drop nulls the model already scores like positives, run
the requested experiment with the null outputs computed once, and return the table with
the settings and diagnostics that produced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..attribution import target_outputs
from ..errors import SeqlensError
from ..io_utils import table_records
from .experiments import GIAResult, copy_effects, kmer_effects, position_effects, spacing_effects
from .nulls import drop_extreme_nulls, null_diagnostics, null_sequences
from .patterns import as_pattern

#: Where the nulls come from: shuffles of the split's sequences, its position profile, or its negatives.
NULL_SOURCES = ("dinuc", "profile", "shuffle", "negatives")
#: The experiments one analysis runs (one per call).
ANALYSES = ("position", "spacing", "copies", "kmer")
_RANGE = re.compile(r"^\s*(-?\d+)\s*:\s*(-?\d+)\s*(?::\s*(\d+)\s*)?$")


def parse_int_range(text: str | None, name: str) -> list[int] | None:
    """``"0:60"`` (inclusive), ``"0:190:5"`` (with a step) or ``"10,20,30"`` as a list of ints; None stays None."""
    if text is None:
        return None
    match = _RANGE.match(str(text))
    if match:
        first, last, step = int(match[1]), int(match[2]), int(match[3] or 1)
        if step < 1 or last < first:
            raise SeqlensError(f"{name}: {text!r} is not a range FIRST:LAST[:STEP] with FIRST <= LAST and STEP >= 1")
        return list(range(first, last + 1, step))
    try:
        values = [int(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise SeqlensError(f"{name}: {text!r} is neither FIRST:LAST[:STEP] nor a comma-separated list of integers") from None
    if not values:
        raise SeqlensError(f"{name}: no values in {text!r}")
    return values


def choose_nulls(split, n: int, source: str = "dinuc", target: int = 0, seed=0) -> tuple[np.ndarray, str]:
    """``n`` null sequences ``(n, 4, L)`` from ``split`` (a :class:`seqlens.data.Split`) and a
    description: ``negatives`` draws real sequences labelled 0 for ``target`` (all of them
    when fewer than ``n``), the others make :func:`~seqlens.gia.null_sequences` of the whole split."""
    if source not in NULL_SOURCES:
        raise SeqlensError(f"null source must be one of {', '.join(NULL_SOURCES)}, got {source!r}")
    if source == "negatives":
        negatives = split.X[split.y[:, target] == 0]
        if len(negatives) < 2:
            raise SeqlensError(f"null source negatives: the split has {len(negatives)} sequence(s) labelled 0 for output {target}")
        n = min(n, len(negatives))
        return null_sequences(negatives, n, "real", seed), f"{n} real negatives (label 0 for output {target})"
    what = {"dinuc": "dinucleotide shuffles", "profile": "draws from the position profile", "shuffle": "shuffles"}[source]
    return null_sequences(split.X, n, source, seed), f"{n} {what} of the split's {len(split.X)} sequences"


@dataclass
class GIAAnalysis:
    """What :func:`analyze` did: the ``experiment``'s ``result``, the null ``diagnostics``,
    the ``settings`` and the nulls kept."""

    experiment: str
    result: GIAResult
    diagnostics: dict
    settings: dict
    nulls: str
    notes: list[str] = field(default_factory=list)

    @property
    def table(self):
        return self.result.table

    def document(self) -> dict:
        """JSON-ready: ``experiment``, ``settings``, ``nulls``, ``diagnostics``, ``notes`` and the
        tidy ``table`` (one dict per row; NaN as None)."""
        return {"experiment": self.experiment, "settings": self.settings, "nulls": self.nulls,
                "n_nulls": int(self.result.effects.shape[1]), "diagnostics": self.diagnostics,
                "notes": self.notes, "table": table_records(self.table)}


def analyze(
    model,
    split,
    motif=None,
    null: str = "dinuc",
    n_null: int = 1000,
    positions: list[int] | None = None,
    strands=("+",),
    sample: bool = False,
    spacing=None,
    distances: list[int] | None = None,
    orientations=("++", "+-"),
    copies: int | None = None,
    gap: int = 10,
    kmer: int | None = None,
    target: int = 0,
    drop_upper: float | None = None,
    seed: int = 0,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    n_resamples: int = 2000,
) -> GIAAnalysis:
    """Run one GIA experiment of ``model`` with nulls from ``split``.

    The experiment is ``spacing`` when ``spacing`` (pattern B) is given, ``copies`` (1 ..
    ``copies``) when ``copies`` is, ``kmer`` (every ``kmer``-mer at ``positions[0]`` or the
    centre) when ``kmer`` is, else ``position`` (``motif`` at every start of ``positions``,
    default all). ``drop_upper`` drops the nulls whose output lies above that quantile.
    Effects are on the scale of the model's raw output for ``target`` (logits for seqlens'
    models). Raises SeqlensError for conflicting or missing settings.
    """
    chosen = [name for name, value in (("spacing", spacing), ("copies", copies), ("kmer", kmer)) if value is not None]
    if len(chosen) > 1:
        raise SeqlensError(f"choose one experiment: {' and '.join(chosen)} were both given")
    experiment = chosen[0] if chosen else "position"
    if experiment != "kmer" and motif is None:
        raise SeqlensError(f"the {experiment} experiment needs a motif")
    pattern = as_pattern(motif) if motif is not None else None
    second = as_pattern(spacing) if spacing is not None else None
    nulls, description = choose_nulls(split, n_null, null, target, seed)
    notes = []
    null_outputs = target_outputs(model, nulls, target, batch_size=batch_size or 256, device=device).double().numpy()
    if drop_upper is not None:
        nulls, kept = drop_extreme_nulls(nulls, null_outputs, upper=drop_upper)
        notes.append(f"dropped {len(null_outputs) - len(kept)} nulls above the {drop_upper:g} quantile of the model's output")
        null_outputs = null_outputs[kept]
    data_outputs = target_outputs(model, split.X, target, batch_size=batch_size or 256, device=device).double().numpy()
    diagnostics = null_diagnostics(nulls, split.X, null_outputs, data_outputs)
    common = dict(target=target, null_outputs=null_outputs, batch_size=batch_size, device=device, verbose=verbose)
    if experiment == "position":
        result = position_effects(model, nulls, pattern, positions, strands, sample, seed=seed, n_resamples=n_resamples, **common)
    elif experiment == "spacing":
        result = spacing_effects(model, nulls, pattern, second, distances, orientations=orientations, sample=sample, seed=seed,
                                 n_resamples=n_resamples, **common)
    elif experiment == "copies":
        result = copy_effects(model, nulls, pattern, range(1, copies + 1), gap=gap, strand=strands[0], sample=sample, seed=seed,
                              n_resamples=n_resamples, **common)
    else:
        result = kmer_effects(model, nulls, kmer, positions[0] if positions else None, **common)
    settings = {"experiment": experiment, "motif": None if pattern is None else pattern.name,
                "spacing": None if second is None else second.name, "null": null, "n_null": n_null,
                "positions": positions, "strands": list(strands), "sample": sample, "distances": distances,
                "orientations": list(orientations), "copies": copies, "gap": gap, "kmer": kmer, "target": target,
                "drop_upper": drop_upper, "seed": seed, "scale": "model output (logit)"}
    return GIAAnalysis(experiment, result, diagnostics, settings, description, notes)
