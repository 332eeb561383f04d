"""What one unit of a study computes: train a model, then every analysis the study asks for.

:func:`run_unit` is the one function every executor calls (in this process, in a worker
process, or as a Ray task). It works in a scratch folder and returns its files as bytes
with its tidy result rows, so the driver alone writes the output folder and no shared file
system is needed. The analyses are the library's: :func:`seqlens.training.fit` and
:func:`~seqlens.training.evaluate`, :func:`seqlens.attribution.attribute_split`,
:func:`seqlens.evaluation.score_attribution_set` and :func:`~seqlens.evaluation.filter_report`.

Result rows (``records``) have the unit's grid coordinates plus ``analysis``
(classification / interpretability / angles / filters), ``task``, ``method``, ``variant``,
``positions`` (angles: all / motif / background), ``metric``, ``value`` and ``n`` (the
number of sequences or positions a value is a mean over; 1 for a single number).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import StudyError

#: Columns of every result row besides the grid coordinates.
RECORD_COLUMNS = ("analysis", "task", "method", "variant", "positions", "metric", "value", "n")


@dataclass
class UnitOutput:
    """What a finished unit hands back: its files (relative path -> bytes) and result rows."""

    files: dict[str, bytes]
    records: list[dict]
    seconds: float
    warnings: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step: train, test, attribution, filters


def data_checksum(dataset) -> str:
    """SHA-256 over the :func:`seqlens.training.split_fingerprint` of every split and the task names."""
    from ..data import SPLITS
    from ..training import split_fingerprint

    parts = {name: split_fingerprint(dataset.split(name).X, dataset.split(name).y) for name in SPLITS}
    parts["task_names"] = list(dataset.task_names)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _target_index(target, dataset) -> int:
    if isinstance(target, str):
        if target not in dataset.task_names:
            raise StudyError(f"attribution.target {target!r} is not a task of the data ({', '.join(dataset.task_names)})")
        return dataset.task_names.index(target)
    if not 0 <= target < dataset.n_tasks:
        raise StudyError(f"attribution.target {target} is not an output index of the data (0..{dataset.n_tasks - 1})")
    return int(target)


def _training_split(dataset, train_size):
    """The training split, cut to its first ``train_size`` sequences (None: whole)."""
    if train_size is None:
        return dataset.train
    if train_size > len(dataset.train):
        raise StudyError(f"models.train_sizes: {train_size} is more than the {len(dataset.train)} training sequences")
    return dataset.train.subset(slice(0, train_size))


def _row(analysis: str, metric: str, value, n: int = 1, task: str = "", method: str = "", variant: str = "",
         positions: str = "") -> dict:
    value = float(value) if value is not None else float("nan")
    return {"analysis": analysis, "task": task, "method": method, "variant": variant, "positions": positions,
            "metric": metric, "value": value, "n": int(n)}


def _classification_rows(table: pd.DataFrame) -> list[dict]:
    rows = []
    for record in table.to_dict("records"):
        for metric in ("auroc", "aupr_trapezoid", "average_precision"):
            rows.append(_row("classification", metric, record[metric], task=record["task"]))
    if len(table) > 1:
        for metric in ("auroc", "aupr_trapezoid", "average_precision"):
            rows.append(_row("classification", metric, table[metric].mean(), n=len(table), task="mean"))
    return rows


def _interpretability_rows(scores: pd.DataFrame, task: str) -> list[dict]:
    rows = []
    metrics = [c for c in scores.columns if c not in ("task", "method", "variant", "sequence", "row")]
    for (method, variant), group in scores.groupby(["method", "variant"], sort=False):
        for metric in metrics:
            values = group[metric].to_numpy(dtype=float)
            defined = values[np.isfinite(values)]
            if defined.size == 0 and metric.startswith("above_"):
                continue  # angle fractions exist for raw gradient maps only
            rows.append(_row("interpretability", metric, defined.mean() if defined.size else np.nan,
                             n=defined.size, task=task, method=method, variant=variant))
    return rows


def _angle_rows(angles: pd.DataFrame, task: str) -> list[dict]:
    rows = []
    for record in angles.to_dict("records"):
        for metric, value in record.items():
            if metric in ("method", "positions", "n"):
                continue
            rows.append(_row("angles", metric, value, n=record["n"], task=task, method=record["method"],
                             variant="raw", positions=record["positions"]))
    return rows


def _filter_rows(report) -> list[dict]:
    stats = report.statistics or {}
    rows = [_row("filters", "n_filters", len(report.motifs))]
    for metric in ("match_fraction", "other_fraction", "tf_coverage"):
        if metric in stats:
            rows.append(_row("filters", metric, stats[metric], n=len(report.motifs)))
    if "tfs_found" in stats:
        rows.append(_row("filters", "n_tfs_found", len(stats["tfs_found"])))
    for name, values in (report.localization or {}).items():
        rows.append(_row("filters", "localization_auroc", values["pooled_auroc"], method=name))
    return rows


def _quiet_fit(model, train, valid, settings: dict, out_dir: Path):
    from ..training import fit, training_method

    method = training_method(settings["training"]["method"], **settings["training"]["params"])
    return fit(model, (train, valid), method=method, seed=settings["seed"], out_dir=out_dir, verbose=False,
               **settings["fit"])


def run_unit(settings: dict, dataset, scratch: str | Path | None = None) -> UnitOutput:
    """Train the unit's model on ``dataset`` and run its analyses; return files and rows.

    ``settings``: a :class:`seqlens.experiments.units.Unit`'s ``settings``. ``dataset``: the
    study's :class:`seqlens.data.SeqDataset`. Files are written under ``scratch`` (a new
    temporary folder when None, removed afterwards) and returned as bytes: the trained model
    (``model/config.json``, ``model/weights.pt``, ``model/history.csv``), ``test_metrics.csv``
    and, as the study asks, ``scores.csv`` (per sequence), ``angles.csv``, ``maps.h5`` (the
    first ``keep_maps`` sequences), ``filters.csv`` and ``filters.meme``.
    """
    if scratch is None:
        with tempfile.TemporaryDirectory(prefix="seqlens-unit-") as tmp:
            return run_unit(settings, dataset, tmp)
    from ..models import build
    from ..training import evaluate, training_check

    start = time.perf_counter()
    out = Path(scratch)
    evaluation = settings["evaluation"]
    phases: dict[str, float] = {}

    def timed(phase: str, step):
        begin = time.perf_counter()
        result = step()
        phases[phase] = round(time.perf_counter() - begin, 3)
        return result

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = build(**settings["model"], input_length=dataset.input_length, n_outputs=dataset.n_tasks,
                      seed=settings["seed"])
        train = _training_split(dataset, settings["train_size"])
        history = timed("train", lambda: _quiet_fit(model, train, dataset.valid, settings, out / "model"))
        records = [_row("training", "epochs", len(history)), _row("training", "best_epoch", history.attrs["best_epoch"]),
                   _row("training", "stopped_at_cap", training_check(history, settings["fit"]["epochs"])["stopped_at_cap"])]
        test = timed("test", lambda: evaluate(model, dataset.test, task_names=list(dataset.task_names)))
        test.to_csv(out / "test_metrics.csv", index=False)
        if "classification" in evaluation:
            records += _classification_rows(test)
        if {"interpretability", "angles"} & set(evaluation):
            records += timed("attribution", lambda: _attribution_analyses(model, dataset, settings, out))
        if "filters" in evaluation:
            records += timed("filters", lambda: _filter_analysis(model, dataset, settings, out))
        caught_all = sorted({str(w.message) for w in caught})
    coordinates = settings["coordinates"]
    records = [{**coordinates, **row} for row in records]
    files = {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*"))
             if path.is_file() and path.name != "checkpoint.pt"}
    return UnitOutput(files=files, records=records, seconds=time.perf_counter() - start, warnings=caught_all,
                      phases=phases)


def _attribution_analyses(model, dataset, settings: dict, out: Path) -> list[dict]:
    from ..attribution import attribute_split, save_attributions, select_rows
    from ..evaluation import score_attribution_set

    spec = settings["attribution"]
    target = _target_index(spec["target"], dataset)
    task = dataset.task_names[target]
    rows = select_rows(dataset.test.y, target=target, positives=spec["positives"], limit=spec["limit"])
    if len(rows) == 0:
        raise StudyError(f"no test sequences to attribute (positives of {task}: none)")
    variants = ["corrected" if c else "raw" for c in spec["corrected"]]
    result = attribute_split(model, dataset.test, spec["methods"], target=target, rows=rows,
                             correct="corrected" in variants, seed=settings["seed"], params=spec["params"],
                             batch_size=spec["batch_size"], split_name="test", task_name=task)
    scoring = settings["scoring"]
    scored = score_attribution_set(result, convention=scoring["convention"], threshold=scoring["threshold"],
                                   top_k=scoring["top_k"])
    scores = scored.scores
    # the raw map of a gradient method is computed (its angles need it) but scored only when asked for
    keep = scores["variant"].isin(variants) | ~scores["method"].isin(
        [m.method for m in result.methods.values() if m.gradient])
    scores = scores[keep]
    records = []
    if "interpretability" in settings["evaluation"]:
        scores = scores.assign(task=task)
        scores.to_csv(out / "scores.csv", index=False)
        records += _interpretability_rows(scores, task)
        if spec["keep_maps"]:
            _save_first_maps(result, spec["keep_maps"], variants, out / "maps.h5", save_attributions)
    if "angles" in settings["evaluation"] and len(scored.angles):
        scored.angles.to_csv(out / "angles.csv", index=False)
        records += _angle_rows(scored.angles, task)
    return records


def _save_first_maps(result, n: int, variants: list[str], path: Path, save) -> None:
    """The maps of the first ``n`` attributed sequences (the report's logos), asked-for variants only."""
    from ..attribution import AttributionSet, MethodMaps

    keep = np.arange(min(n, len(result.rows)))
    methods = {}
    for name, method in result.methods.items():
        maps = {v: m[keep] for v, m in method.maps.items() if v in variants or not method.gradient}
        if maps:
            methods[name] = MethodMaps(method.method, method.kind, maps, params=method.params,
                                       seconds=method.seconds, warnings=method.warnings)
    subset = AttributionSet(sequences=result.sequences.subset(keep), rows=result.rows[keep], target=result.target,
                            methods=methods, task_name=result.task_name, split=result.split, seed=result.seed,
                            model_config=result.model_config)
    save(subset, path)


def _filter_analysis(model, dataset, settings: dict, out: Path) -> list[dict]:
    from ..evaluation import filter_report
    from ..motifs import write_meme

    spec = settings["filters"]
    report = filter_report(model, dataset.test, dataset=dataset, database=spec["jaspar"], evalue=spec["evalue"],
                           qvalue=spec["qvalue"], criterion=spec["criterion"])
    report.per_filter.to_csv(out / "filters.csv", index=False)
    write_meme(report.motifs, out / "filters.meme")
    return _filter_rows(report)
