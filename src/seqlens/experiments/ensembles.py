"""Distances of each model's attribution maps to the average map of the other seeds.

Paper 003 (in vivo, where there is no ground truth) measures how much gradient correction
brings a model's saliency maps toward an ensemble average: the off-simplex component of a
gradient differs from seed to seed, so removing it should bring the seeds together. For
every condition of a study (the grid coordinates but the seed) with at least two finished
seeds, :func:`ensemble_distances` compares the kept maps (``maps.h5``, the first
``attribution.keep_maps`` attributed sequences, the same rows for every seed) of each seed
with the leave-one-out average of the other seeds' maps of the same method and variant:
the per-position L2 distance over the four letters, averaged over positions and sequences.
The rows (``analysis = "ensemble"``, ``metric = "distance"``) join ``results.csv``, so the
study's paired tests compare raw with corrected maps (paired by seed) like any other metric.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .units import FACTORS

# the seed is what an ensemble averages over: every other factor defines a condition
_CONDITION = [f for f in FACTORS if f != "seed"]


def _distances(maps: np.ndarray) -> np.ndarray:
    """``maps`` ``(S, N, 4, L)`` of S seeds: per seed, the mean over sequences and positions of
    the L2 distance (over the letters) to the average of the other seeds' maps; ``(S,)``."""
    S = maps.shape[0]
    others = (maps.sum(axis=0, keepdims=True) - maps) / (S - 1)
    return np.linalg.norm(maps - others, axis=2).mean(axis=(1, 2))


def ensemble_distances(unit_dirs: dict[str, tuple[dict, Path]]) -> pd.DataFrame:
    """Rows of ``results.csv`` (the study's columns) with each unit's ensemble distance per
    method and variant; empty when no condition has two seeds with kept maps.

    ``unit_dirs``: unit name -> (coordinates, folder) of the finished units. Seeds whose
    kept maps cover other rows than the rest of their condition's (a changed
    ``keep_maps``) are left out of that condition, and so is a method whose maps failed a
    check in any seed (:attr:`seqlens.attribution.MethodMaps.failed`).
    """
    from ..attribution import load_attributions

    kept = []
    for unit, (coordinates, folder) in unit_dirs.items():
        path = Path(folder) / "maps.h5"
        if path.exists():
            kept.append(({"unit": unit, **coordinates}, load_attributions(path)))
    groups: dict[tuple, list] = {}
    for coordinates, attributions in kept:
        groups.setdefault(tuple(coordinates[f] for f in _CONDITION), []).append((coordinates, attributions))
    rows = []
    for members in groups.values():
        rows_of = members[0][1].rows
        members = [m for m in members if np.array_equal(m[1].rows, rows_of)]
        if len(members) < 2:
            continue
        for name, method in members[0][1].methods.items():
            if any(a.methods[name].failed for _, a in members if name in a.methods):  # unusable maps
                continue
            for variant in method.maps:
                if not all(name in a.methods and variant in a.methods[name].maps for _, a in members):
                    continue
                maps = np.stack([np.asarray(a.methods[name].maps[variant], dtype=np.float64) for _, a in members])
                for (coordinates, _), value in zip(members, _distances(maps), strict=True):
                    rows.append({**coordinates, "analysis": "ensemble", "task": members[0][1].task_name or "",
                                 "method": name, "variant": variant, "positions": "all", "metric": "distance",
                                 "value": float(value), "n": int(maps.shape[1])})
    return pd.DataFrame(rows)
