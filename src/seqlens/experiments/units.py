"""Units of a study: one trained model and everything computed from it.

The grid is the product of a study's model lists (architectures x configs x activations x
training methods x training-set sizes x seeds). Each unit carries the settings its work
reads, resolved and JSON-ready, and a key: the SHA-256 of those settings together with the
seqlens version and the data's checksum. The output folder is keyed by it, so a finished
unit is recognised whatever order, shard or machine computed it, and a unit whose settings
changed is computed again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import StudyError
from .study import Study

#: The grid's factors, in the order units are enumerated and named (results columns).
FACTORS = ("architecture", "config", "activation", "training", "train_size", "seed")


@dataclass(frozen=True)
class Unit:
    """One cell of a study's grid.

    name : readable and unique within the study (``cnn_local-relu-standard-seed0``; factors
        with a single level that is the default are left out).
    coordinates : factor -> level (the columns of every results row; ``train_size`` is
        ``"all"`` for the whole training split).
    settings : everything the unit's work reads (model, fit, training method, attribution,
        evaluation, GIA when asked for, data checksum, seqlens version), JSON-ready.
    key : 16 hex digits of SHA-256 over ``settings``.
    """

    name: str
    coordinates: dict
    settings: dict
    key: str


def settings_key(settings: dict) -> str:
    """16 hex digits of the SHA-256 of ``settings`` as canonical JSON (sorted keys)."""
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _name(coordinates: dict, varying: set[str]) -> str:
    parts = [coordinates["architecture"]]
    if "config" in varying or coordinates["config"] != "default":
        parts.append(coordinates["config"])
    parts += [coordinates["activation"], coordinates["training"]]
    if coordinates["train_size"] != "all":
        parts.append(f"train{coordinates['train_size']}")
    parts.append(f"seed{coordinates['seed']}")
    return "-".join(str(p).replace("/", "_") for p in parts)


def expand_units(study: Study, data_checksum: str) -> list[Unit]:
    """Every unit of ``study``'s grid, in grid order, for data with checksum ``data_checksum``."""
    grid = study.models
    if grid.given:
        return _given_units(study, data_checksum)
    levels = {
        "architecture": grid.architectures,
        "config": list(grid.configs),
        "activation": grid.activations,
        "training": grid.training,
        "train_size": grid.train_sizes,
        "seed": grid.seeds,
    }
    varying = {factor for factor, values in levels.items() if len(values) > 1}
    shared = {"fit": grid.fit_settings(), **_analysis_settings(study, data_checksum)}
    units = []
    for architecture, config, activation, training, train_size, seed in itertools.product(*levels.values()):
        coordinates = {"architecture": architecture, "config": config, "activation": activation,
                       "training": training.label, "train_size": "all" if train_size is None else train_size,
                       "seed": seed}
        settings = {
            **shared,
            "coordinates": coordinates,
            "model": {"name": architecture, "activation": activation, **grid.options, **grid.configs[config]},
            "training": {"method": training.method, "params": dict(training.params)},
            "train_size": train_size,
            "seed": seed,
        }
        units.append(Unit(_name(coordinates, varying), coordinates, settings, settings_key(settings)))
    names = [u.name for u in units]
    if len(set(names)) != len(names):  # cannot happen with distinct levels; a guard for future factors
        raise StudyError(f"study {study.name}: two units share the name {next(n for n in names if names.count(n) > 1)}")
    return units


def _analysis_settings(study: Study, data_checksum: str) -> dict:
    """The settings every unit of ``study`` shares besides its model: what it computes, on which data."""
    shared = {
        "attribution": None if study.attribution is None else study.attribution.model_dump(mode="json"),
        "evaluation": list(study.evaluation),
        "scoring": study.scoring.model_dump(mode="json"),
        "filters": study.filters.model_dump(mode="json"),
        "data_checksum": data_checksum,
        "seqlens_version": __version__,
    }
    if study.gia is not None:  # only then: the keys of studies without GIA stay what they were
        shared["gia"] = study.gia.model_dump(mode="json")
    return shared


def _given_units(study: Study, data_checksum: str) -> list[Unit]:
    """One unit per model trained elsewhere (``models.given``): its name is the level of
    ``architecture``; the key covers the SHA-256 of its files, so a changed file is a new unit."""
    from ..data.named import sha256

    units = []
    for given in study.models.given:
        for path in given.files():
            if not Path(path).is_file():
                raise StudyError(f"study {study.name}: given model {given.name!r}: file not found: {path}")
        coordinates = {"architecture": given.name, "config": "default", "activation": "given", "training": "given",
                       "train_size": "all", "seed": 0}
        settings = {**_analysis_settings(study, data_checksum), "coordinates": coordinates,
                    "given": {**given.model_dump(mode="json"), "sha256": [sha256(f) for f in given.files()]}, "seed": 0}
        units.append(Unit(given.name.replace("/", "_"), coordinates, settings, settings_key(settings)))
    return units


def grid_size(study: Study) -> int:
    """Number of units of ``study``'s grid."""
    grid = study.models
    if grid.given:
        return len(grid.given)
    return (len(grid.architectures) * len(grid.configs) * len(grid.activations) * len(grid.training)
            * len(grid.train_sizes) * len(grid.seeds))


def shard(units: list[Unit], index: int, count: int) -> list[Unit]:
    """Every ``count``-th unit starting at the ``index``-th (1-based): shard ``index/count``."""
    if not (1 <= index <= count):
        raise StudyError(f"--shard K/N needs 1 <= K <= N, got {index}/{count}")
    return units[index - 1::count]


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``; :class:`StudyError` for anything else."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise StudyError(f"--shard takes K/N (e.g. 2/4), got {text!r}") from None
    shard([], index, count)
    return index, count
