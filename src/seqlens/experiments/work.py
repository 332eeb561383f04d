"""What one unit of a study computes: train a model, then every analysis the study asks for.

:func:`run_unit` is the one function every executor calls (in this process, in a worker
process, or as a Ray task). It works in a scratch folder and returns its files as bytes
with its tidy result rows, so the driver alone writes the output folder and no shared file
system is needed. The analyses are the library's: :func:`seqlens.training.fit` and
:func:`~seqlens.training.evaluate`, :func:`seqlens.attribution.attribute_split`,
:func:`seqlens.evaluation.score_attribution_set` and :func:`~seqlens.evaluation.filter_report`.

Result rows (``records``) have the unit's grid coordinates plus ``analysis``
(classification / interpretability / angles / filters / gia), ``task``, ``method``,
``variant``, ``positions`` (angles: all / motif / background), ``metric``, ``value`` and
``n`` (the number of sequences or positions a value is a mean over; 1 for a single number).

Global importance analysis (``evaluation: [gia]``, :func:`seqlens.gia.position_effects`,
:func:`~seqlens.gia.spacing_effects`, :func:`~seqlens.gia.copy_effects`): one set of null
sequences per unit (``gia.n_null`` from ``gia.split``, drawn with ``gia.seed``, so every
model of a study sees the same nulls), the model's outputs on them computed once per
model and shared by its experiments; effects are on the logit scale. Files:
``gia_position.csv``, ``gia_spacing.csv``, ``gia_copies.csv`` (the experiments' full
tables; the position table has a ``variant`` column) and ``gia.json`` (nulls, their
diagnostics, the rule, the motifs and settings used). Rows have ``analysis="gia"``,
``method`` = the experiment, ``variant`` = ``trained`` or ``randomized`` (the position
experiment repeated on :func:`seqlens.models.randomized_copy` of the model, seeded with the
unit's seed), ``task`` = the pattern (``A+B`` names for spacing) and these metrics
(significance: BH q < :data:`GIA_ALPHA` across the experiment's rows):

- position (``positions`` empty): ``effect_max`` (largest mean effect over the starts),
  ``effect_max_position`` (its start), ``effect_centre`` (mean effect at the start nearest
  the centre), ``n_significant`` (starts with Wilcoxon q < alpha; ``n`` = starts tested);
- spacing (``positions`` = the orientation, e.g. ``++``): ``interaction_peak`` (largest
  mean interaction over the distances), ``interaction_peak_distance``, ``n_significant``
  (distances with interaction Wilcoxon q < alpha); when the data's rule plants a spacing
  between the same two motifs (cooperative pair): ``interaction_at_rule`` with
  ``interaction_at_rule_ci_low`` / ``interaction_at_rule_ci_high`` (95% bootstrap CI) at
  the planted spacing, ``rule_recovered`` (1 when the peak distance is within the rule's
  tolerance of the planted spacing, else 0) and ``n_significant_off_rule`` (significant
  distances outside that window);
- copies: ``effect_k1`` .. ``effect_kK`` (mean effect of k copies) and ``marginal_k2`` ..
  (mean effect of the k-th copy given the k - 1 before it).

The nulls' diagnostics (:func:`seqlens.gia.null_diagnostics`: GC content, dinucleotides,
the trained model's predictions) that warn are returned as the unit's warnings, prefixed
``GIA null diagnostics:``.
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

#: Significance level of the GIA metrics that count conditions (``n_significant``), on BH q-values.
GIA_ALPHA = 0.05
#: Prefix of the unit warnings that come from the GIA null diagnostics.
GIA_WARNING = "GIA null diagnostics: "

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


def _target_index(target, dataset, what: str = "attribution.target") -> int:
    if isinstance(target, str):
        if target not in dataset.task_names:
            raise StudyError(f"{what} {target!r} is not a task of the data ({', '.join(dataset.task_names)})")
        return dataset.task_names.index(target)
    if not 0 <= target < dataset.n_tasks:
        raise StudyError(f"{what} {target} is not an output index of the data (0..{dataset.n_tasks - 1})")
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


def _control_rows(dataset, test: pd.DataFrame) -> list[dict]:
    """What composition alone gets on the test split (:func:`seqlens.data.controls.control_baselines`:
    GC content, a 4-mer logistic regression), beside the model: ``gc_auroc``, ``kmer_auroc``
    and the model's margins over them (``auroc_minus_gc``, ``auroc_minus_kmer``), per task."""
    from ..data.controls import control_baselines

    baselines = control_baselines(dataset, "test").set_index("task")
    model = test.set_index("task")["auroc"]
    rows = []
    for task in baselines.index:
        gc, kmer = baselines.loc[task, "gc_auroc"], baselines.loc[task, "kmer_auroc"]
        rows += [_row("classification", "gc_auroc", gc, task=task), _row("classification", "kmer_auroc", kmer, task=task),
                 _row("classification", "auroc_minus_gc", model[task] - gc, task=task),
                 _row("classification", "auroc_minus_kmer", model[task] - kmer, task=task)]
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
    """Train the unit's model on ``dataset`` (or load it: ``models.given``) and run its
    analyses; return files and rows.

    ``settings``: a :class:`seqlens.experiments.units.Unit`'s ``settings``. ``dataset``: the
    study's :class:`seqlens.data.SeqDataset`. Files are written under ``scratch`` (a new
    temporary folder when None, removed afterwards) and returned as bytes: the trained model
    (``model/config.json``, ``model/weights.pt``, ``model/history.csv``), ``test_metrics.csv``
    and, as the study asks, ``scores.csv`` (per sequence), ``angles.csv``, ``maps.h5`` (the
    first ``keep_maps`` sequences), ``filters.csv``, ``filters.meme`` and the GIA files
    (module docstring).
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
        if "given" in settings:  # trained elsewhere: loaded, not trained
            from .study import GivenModel

            given = {k: v for k, v in settings["given"].items() if k != "sha256"}
            model = timed("load", lambda: GivenModel(**given).load())
            records = []
        else:
            model = build(**settings["model"], input_length=dataset.input_length, n_outputs=dataset.n_tasks,
                          seed=settings["seed"])
            train = _training_split(dataset, settings["train_size"])
            history = timed("train", lambda: _quiet_fit(model, train, dataset.valid, settings, out / "model"))
            records = [_row("training", "epochs", len(history)), _row("training", "best_epoch", history.attrs["best_epoch"]),
                       _row("training", "stopped_at_cap",
                            training_check(history, settings["fit"]["epochs"])["stopped_at_cap"])]
        test = timed("test", lambda: evaluate(model, dataset.test, task_names=list(dataset.task_names)))
        test.to_csv(out / "test_metrics.csv", index=False)
        if "classification" in evaluation:
            records += _classification_rows(test)
        if "controls" in evaluation:
            records += timed("controls", lambda: _control_rows(dataset, test))
        if {"interpretability", "angles"} & set(evaluation):
            records += timed("attribution", lambda: _attribution_analyses(model, dataset, settings, out))
        if "filters" in evaluation:
            records += timed("filters", lambda: _filter_analysis(model, dataset, settings, out))
        gia_warnings = []
        if "gia" in evaluation:
            gia_records, gia_warnings = timed("gia", lambda: _gia_analysis(model, dataset, settings, out))
            records += gia_records
        caught_all = sorted({str(w.message) for w in caught}) + gia_warnings
    coordinates = settings["coordinates"]
    records = [{**coordinates, **row} for row in records]
    files = {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*"))
             if path.is_file() and path.name != "checkpoint.pt"}
    return UnitOutput(files=files, records=records, seconds=time.perf_counter() - start, warnings=caught_all,
                      phases=phases)


def _attribution_analyses(model, dataset, settings: dict, out: Path) -> list[dict]:
    from ..attribution import attribute_split, save_attributions, select_rows
    from ..evaluation import pooled_angles, score_attribution_set

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
    records = _failed_map_rows(result, task)
    if spec["keep_maps"]:  # the report's logos of representative positives (failed maps keep their check)
        _save_first_maps(result, spec["keep_maps"], variants, out / "maps.h5", save_attributions)
    if "interpretability" not in settings["evaluation"]:  # angles only: real data has no ground truth to score
        angles = pooled_angles(result, convention=scoring["convention"], threshold=scoring["threshold"])
        if len(angles):
            angles.to_csv(out / "angles.csv", index=False)
            records += _angle_rows(angles, task)
        return records
    if all(m.failed for m in result.methods.values()):  # nothing usable to score
        return records
    scored = score_attribution_set(result, convention=scoring["convention"], threshold=scoring["threshold"],
                                   top_k=scoring["top_k"])
    scores = scored.scores
    # the raw map of a gradient method is computed (its angles need it) but scored only when asked for
    keep = scores["variant"].isin(variants) | ~scores["method"].isin(
        [m.method for m in result.methods.values() if m.gradient])
    scores = scores[keep].assign(task=task)
    scores.to_csv(out / "scores.csv", index=False)
    records += _interpretability_rows(scores, task)
    if "angles" in settings["evaluation"] and len(scored.angles):
        scored.angles.to_csv(out / "angles.csv", index=False)
        records += _angle_rows(scored.angles, task)
    return records


def _failed_map_rows(result, task: str) -> list[dict]:
    """One ``attribution/maps_failed`` row per method whose maps failed a check (they are not scored):
    the fraction of (sequence, reference) pairs that failed, 1 when the check does not count pairs."""
    rows = []
    for name, method in result.methods.items():
        if method.failed:  # attribute_split kept the warning with the maps; the unit's record gets it too
            warnings.warn(method.failure(), RuntimeWarning, stacklevel=2)
        for check in method.failed_checks:
            fraction = check["n_failed"] / check["n_pairs"] if check.get("n_pairs") else 1.0
            rows.append(_row("attribution", "maps_failed", fraction, n=check.get("n_pairs") or 1, task=task,
                             method=name, variant="raw"))
    return rows


def _save_first_maps(result, n: int, variants: list[str], path: Path, save) -> None:
    """The maps of the first ``n`` attributed sequences (the report's logos), asked-for variants only."""
    from ..attribution import AttributionSet, MethodMaps

    keep = np.arange(min(n, len(result.rows)))
    methods = {}
    for name, method in result.methods.items():
        maps = {v: m[keep] for v, m in method.maps.items() if v in variants or not method.gradient}
        if maps:
            methods[name] = MethodMaps(method.method, method.kind, maps, params=method.params,
                                       seconds=method.seconds, warnings=method.warnings,
                                       failed_checks=method.failed_checks)
    subset = AttributionSet(sequences=result.sequences.subset(keep), rows=result.rows[keep], target=result.target,
                            methods=methods, task_name=result.task_name, split=result.split, seed=result.seed,
                            model_config=result.model_config)
    save(subset, path)


def _filter_analysis(model, dataset, settings: dict, out: Path) -> list[dict]:
    from ..evaluation import filter_report
    from ..motifs import write_meme

    spec = settings["filters"]
    report = filter_report(model, dataset.test, dataset=dataset, database=spec["jaspar"], evalue=spec["evalue"],
                           qvalue=spec["qvalue"], criterion=spec["criterion"], tfs=spec.get("tfs"), tfs_given_as="filters.tfs")
    report.per_filter.to_csv(out / "filters.csv", index=False)
    write_meme(report.motifs, out / "filters.meme")
    return _filter_rows(report)


# -----------------------------------------------------------------------------------------
# Global importance analysis
# -----------------------------------------------------------------------------------------

#: Rule tasks of :mod:`seqlens.synthetic.grammar` whose two motifs make a pair (spacing experiment).
PAIR_RULES = ("cooperative-pair", "ordered-pair", "repressor")


def data_rule(metadata: dict | None) -> dict | None:
    """The grammar rule of a dataset's metadata (``metadata["rule"]``, a dict or its JSON), or None."""
    rule = (metadata or {}).get("rule")
    if isinstance(rule, str):
        try:
            rule = json.loads(rule)
        except ValueError:
            return None
    return rule if isinstance(rule, dict) else None


def _gia_patterns(motifs, metadata: dict) -> list:
    """The patterns to embed: the study's specs, or (``auto``) the motifs the data's metadata names."""
    from ..gia import as_pattern
    from ..motifs import get_motif

    if motifs != "auto":
        return [as_pattern(spec) for spec in motifs]
    release = metadata.get("jaspar_release", 2016)
    for key in ("rule_motifs", "core_motifs", "tfs"):
        records = metadata.get(key)
        if records:
            return [as_pattern(get_motif(r.get("id") or r["name"], release=release)) for r in records]
    raise StudyError("gia.motifs auto: the data's metadata names no motifs (rule_motifs, core_motifs or tfs); "
                     "list the motifs to embed in gia.motifs")


def _planted_spacing(rule: dict | None, a, b) -> tuple[int, int] | None:
    """``(spacing, tolerance)`` of a rule that plants the pair ``a`` upstream of ``b``, else None."""
    if not rule or "spacing" not in rule or rule.get("task") not in PAIR_RULES:
        return None
    if (rule.get("motif_a"), rule.get("motif_b")) != (a.name, b.name):
        return None
    return int(rule["spacing"]), int(rule.get("tolerance", 0))


def _default_experiments(rule: dict | None, n_patterns: int) -> list[str]:
    experiments = ["position"]
    if rule and rule.get("task") in PAIR_RULES and n_patterns >= 2:
        experiments.append("spacing")
    if rule and rule.get("task") == "count-threshold":
        experiments.append("copies")
    return experiments


def _position_rows(table: pd.DataFrame, centre: int, variant: str, n_null: int) -> list[dict]:
    """The position metrics of one pattern's table (``centre``: the start nearest the sequence centre)."""
    name = str(table["pattern"].iloc[0])
    best = table.loc[table["mean"].idxmax()]
    middle = table.loc[(table["position"] - centre).abs().idxmin()]
    return [_row("gia", "effect_max", best["mean"], n_null, name, "position", variant),
            _row("gia", "effect_max_position", best["position"], 1, name, "position", variant),
            _row("gia", "effect_centre", middle["mean"], n_null, name, "position", variant),
            _row("gia", "n_significant", (table["q_wilcoxon"] < GIA_ALPHA).sum(), len(table), name, "position",
                 variant)]


def _spacing_rows(table: pd.DataFrame, task: str, planted: tuple[int, int] | None, n_null: int) -> list[dict]:
    """The spacing metrics of each orientation of a spacing table."""
    rows = []
    for orientation, t in table.groupby("orientation", sort=False):
        def row(metric, value, n=1):
            return _row("gia", metric, value, n, task, "spacing", "trained", orientation)

        significant = t["q_interaction_wilcoxon"] < GIA_ALPHA
        peak = t.loc[t["interaction"].idxmax()]
        rows += [row("interaction_peak", peak["interaction"], n_null),
                 row("interaction_peak_distance", peak["distance"]),
                 row("n_significant", significant.sum(), len(t))]
        if planted is None:
            continue
        spacing, tolerance = planted
        at = t[t["distance"] == spacing]
        if len(at):
            at = at.iloc[0]
            rows += [row("interaction_at_rule", at["interaction"], n_null),
                     row("interaction_at_rule_ci_low", at["interaction_ci_low"], n_null),
                     row("interaction_at_rule_ci_high", at["interaction_ci_high"], n_null)]
        off = (t["distance"] - spacing).abs() > tolerance
        rows += [row("rule_recovered", int(abs(peak["distance"] - spacing) <= tolerance)),
                 row("n_significant_off_rule", (significant & off).sum(), int(off.sum()))]
    return rows


def _copy_rows(table: pd.DataFrame, n_null: int) -> list[dict]:
    rows = []
    for record in table.to_dict("records"):
        k, name = int(record["copies"]), str(record["pattern"])
        rows.append(_row("gia", f"effect_k{k}", record["mean"], n_null, name, "copies", "trained"))
        if k > 1:
            rows.append(_row("gia", f"marginal_k{k}", record["marginal"], n_null, name, "copies", "trained"))
    return rows


def _gia_analysis(model, dataset, settings: dict, out: Path) -> tuple[list[dict], list[str]]:
    """The study's GIA experiments on the trained model (and the randomised control): rows and warnings."""
    from ..attribution import target_outputs
    from ..gia import choose_nulls, copy_effects, null_diagnostics, position_effects, spacing_effects
    from ..io_utils import write_json
    from ..models import randomized_copy

    spec = settings["gia"]
    metadata = dict(dataset.metadata or {})
    rule = data_rule(metadata)
    target = _target_index(spec["target"], dataset, "gia.target")
    split = dataset.split(spec["split"])
    patterns = _gia_patterns(spec["motifs"], metadata)
    experiments = spec["experiments"] or _default_experiments(rule, len(patterns))
    if "spacing" in experiments and len(patterns) < 2:
        raise StudyError(f"gia.experiments spacing needs two motifs; gia.motifs gives {len(patterns)}")
    nulls, description = choose_nulls(split, spec["n_null"], spec["null"], target, spec["seed"])
    n_null, length = int(nulls.shape[0]), int(nulls.shape[2])
    models = {"trained": model}
    if spec["randomized_control"]:
        models["randomized"] = randomized_copy(model, seed=settings["seed"])
    null_outputs = {variant: target_outputs(m, nulls, target).double().numpy() for variant, m in models.items()}
    data_outputs = target_outputs(model, split.X, target).double().numpy()
    diagnostics = null_diagnostics(nulls, split.X, null_outputs["trained"], data_outputs)
    common = {"target": target, "seed": spec["seed"], "n_resamples": spec["n_resamples"]}
    records, used = [], {"experiments": list(experiments)}

    if "position" in experiments:
        tables, given = [], _integers(spec, "positions")
        for variant, m in models.items():
            for pattern in patterns:
                positions = given if given is not None else list(range(0, length - pattern.width + 1, 5))
                result = position_effects(m, nulls, pattern, positions, null_outputs=null_outputs[variant], **common)
                table = result.table.assign(variant=variant)
                tables.append(table)
                records += _position_rows(table, (length - pattern.width) // 2, variant, n_null)
        used["positions"] = given if given is not None else "every 5th start"
        pd.concat(tables, ignore_index=True).to_csv(out / "gia_position.csv", index=False)

    if "spacing" in experiments:
        a, b = patterns[:2]
        planted = _planted_spacing(rule, a, b)
        distances = _integers(spec, "distances")
        if distances is None:
            reach = max(40, planted[0] + 20) if planted else 40
            distances = list(range(0, min(reach, length - a.width - b.width) + 1))
        orientations = spec["orientations"]
        if orientations is None:
            first = rule["orientation"] if planted and rule.get("orientation") else "++"
            orientations = [first, first[0] + {"+": "-", "-": "+"}[first[1]]]
        result = spacing_effects(model, nulls, a, b, distances, orientations=orientations,
                                 null_outputs=null_outputs["trained"], **common)
        result.table.to_csv(out / "gia_spacing.csv", index=False)
        records += _spacing_rows(result.table, f"{a.name}+{b.name}", planted, n_null)
        used.update(distances=distances, orientations=list(orientations),
                    planted_spacing=None if planted is None else {"spacing": planted[0], "tolerance": planted[1]})

    if "copies" in experiments:
        tables = []
        for pattern in patterns:
            result = copy_effects(model, nulls, pattern, range(1, spec["copies"] + 1), gap=spec["gap"],
                                  null_outputs=null_outputs["trained"], **common)
            tables.append(result.table)
            records += _copy_rows(result.table, n_null)
        pd.concat(tables, ignore_index=True).to_csv(out / "gia_copies.csv", index=False)

    write_json({"nulls": description, "n_null": n_null, "split": spec["split"],
                "target": dataset.task_names[target], "motifs": [p.name for p in patterns], "rule": rule,
                "variants": list(models), "scale": "model output (logit)", **used, "diagnostics": diagnostics},
               out / "gia.json")
    return records, [GIA_WARNING + message for message in diagnostics["warnings"]]


def _integers(spec: dict, name: str) -> list[int] | None:
    """``gia.positions`` / ``gia.distances`` of the unit's settings as ints (None: the default)."""
    from ..gia import parse_int_range

    value = spec[name]
    return parse_int_range(value, f"gia.{name}") if isinstance(value, str) else value
