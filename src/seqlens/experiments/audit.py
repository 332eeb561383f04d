"""``seqlens audit``: can I trust what my model learned? One model, one dataset, every check.

:func:`audit_model` runs the library's analyses on one model (a seqlens model or the user's
own, :mod:`seqlens.models.foreign`) and one :class:`seqlens.data.SeqDataset`, and turns
each into a verdict row (``check``, ``value``, ``comparison``, ``verdict`` = pass / warn /
fail / not available, ``test``, ``reason``):

- test performance beside the controls (:func:`seqlens.data.control_baselines`): the
  model's AUROC minus the GC-only AUROC with a paired bootstrap 95% CI over the test
  sequences (``scipy.stats.bootstrap``), and the 4-mer logistic-regression AUROC;
- attribution maps (:func:`seqlens.attribution.attribute_split`: saliency, corrected, and
  DeepSHAP) with the gradient-angle statistics of the raw saliency maps
  (:func:`seqlens.evaluation.angle_summary`: the fraction of positions whose gradient lies
  more than 45 degrees off the simplex), and whether DeepSHAP's maps sum to the output
  differences (maps that fail are reported as failed and not scored or drawn);
- when the data has ground truth, the maps' interpretability AUROC
  (:func:`seqlens.evaluation.score_attribution_set`), mean with a bootstrap CI over sequences;
- first-layer filters matched to JASPAR (:func:`seqlens.evaluation.filter_report`, any
  release): the match fraction;
- GIA (:func:`seqlens.gia.analyze`) of the JASPAR motifs the filters match most (or the
  data's ground-truth TFs) in dinucleotide-shuffled nulls: the effect at the centre with its
  bootstrap CI;
- the parameter-randomisation check (:func:`seqlens.models.randomized_copy`, Adebayo et al.
  2018): the Spearman correlation of the model's and the copy's per-position saliency
  scores, and (with ground truth) the copy's interpretability AUROC against the model's.

What the model or data cannot support (no labels for the model's outputs, no ground truth,
no first convolution, DeepSHAP on a TorchScript module, a copy whose parameters cannot be
re-drawn) becomes a row with verdict ``not available`` and the reason; nothing is fatal
once the model runs. :func:`write_audit_report` writes ``report.html`` (self-contained, in
the study report's format: inline SVG figures, base64 PNG logos, no scripts or external
resources; the verdicts in one summary table at the top), ``report_data/*.csv`` (the table
behind every table and figure) and ``audit.json`` (:meth:`AuditResult.document`).
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import SeqlensError
from ..io_utils import atomic_path, check_output_dir, write_csv, write_json
from .report import DATA_FOLDER, REPORT_NAME, _environment, _package_versions, _png, _svg

AUDIT_TEMPLATE = "audit.html.j2"
AUDIT_JSON = "audit.json"
VERDICTS = ("pass", "warn", "fail", "not available")
#: Thresholds of the verdicts (see each check's ``comparison``).
ANGLE_WARN = 0.10  # fraction of positions with |angle| > 45 degrees above which gradients are noisy
MATCH_PASS = 0.5  # filter match fraction for a pass (warn above 0)
TRUTH_PASS = 0.7  # interpretability AUROC for a pass (its CI must also exclude 0.5)
RHO_PASS, RHO_WARN = 0.3, 0.6  # mean Spearman rho of model vs randomised-copy saliency
GIA_STEP = 10  # GIA: every 10th start, plus the centre (the verdict's position)
LOGO_SEQUENCES = 2
MAX_FILTER_LOGOS = 32


def _na(check: str, reason: str, test: str = "-", section: str = "") -> dict:
    return {"check": check, "value": "-", "comparison": "-", "verdict": "not available", "test": test,
            "reason": reason, "section": section}


def _row(check: str, value: str, comparison: str, verdict: str, test: str, section: str, reason: str = "") -> dict:
    return {"check": check, "value": value, "comparison": comparison, "verdict": verdict, "test": test,
            "reason": reason, "section": section}


def _first_line(exc) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _bootstrap_mean(values: np.ndarray, n_resamples: int, seed: int) -> tuple[float, float, float]:
    """Mean of ``values`` with its 95% percentile bootstrap CI (scipy.stats.bootstrap); NaN CI with < 2 values."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(values.mean())
    if values.size < 2:
        return mean, float("nan"), float("nan")
    if np.ptp(values) == 0:  # every resample has the same mean
        return mean, mean, mean
    ci = stats.bootstrap((values,), np.mean, n_resamples=n_resamples, method="percentile",
                         random_state=np.random.default_rng(seed)).confidence_interval
    return mean, float(ci.low), float(ci.high)


def _ci_text(mean: float, low: float, high: float, digits: int = 3, signed: bool = False) -> str:
    sign = "+" if signed else ""
    if not np.isfinite(mean):
        return "-"
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{mean:{sign}.{digits}f} [CI undefined]"
    return f"{mean:{sign}.{digits}f} [{low:{sign}.{digits}f}, {high:{sign}.{digits}f}]"


@dataclass(eq=False)
class AuditResult:
    """What :func:`audit_model` found.

    verdicts : one row per check: ``check``, ``value``, ``comparison`` (the threshold or
        what was compared), ``verdict`` (:data:`VERDICTS`), ``test`` (what backs it),
        ``reason`` (why a check is not available, or a note) and ``section``.
    tables : the tables behind the checks (``classification``, ``controls``, ``scores``,
        ``interpretability``, ``angles``, ``filters``, ``gia``, ``randomization`` ... as computed).
    settings : the audit's settings; ``model`` / ``data`` label the inputs.
    seconds, phases : wall time in all and per step; ``warnings``: warnings raised meanwhile
        and the GIA null diagnostics that warn.
    """

    verdicts: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    settings: dict
    model: str
    data: str
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    parts: dict = field(default_factory=dict, repr=False)  # live objects the report draws from

    @property
    def counts(self) -> dict[str, int]:
        return {v: int((self.verdicts["verdict"] == v).sum()) for v in VERDICTS}

    def document(self) -> dict:
        """JSON-ready: model, data, settings, the verdict rows, their counts, timings and warnings."""
        from ..io_utils import table_records

        return {"model": self.model, "data": self.data, "settings": self.settings,
                "verdicts": table_records(self.verdicts), "counts": self.counts,
                "seconds": round(self.seconds, 3), "phases": self.phases, "warnings": self.warnings,
                "seqlens_version": __version__}


# -----------------------------------------------------------------------------------------
# The checks
# -----------------------------------------------------------------------------------------


def _performance(model, dataset, split, split_name, target, labelled, settings, tables, rows, device, batch_size):
    from scipy import stats

    from ..data import control_baselines, gc_content
    from ..evaluation import binary_auroc
    from ..training import evaluate, predict

    section = "performance"
    checks = ("test performance: model beats the GC-only baseline", "test performance: model beats the 4-mer baseline")
    if not labelled:
        reason = ("the model's outputs are not the data's tasks (their number differs), so the data's labels do not "
                  "apply to them; pick the output that is the task with --output-head")
        rows += [_na(c, reason, section=section) for c in checks]
        return
    names = list(dataset.task_names)
    table = evaluate(model, split, task_names=names, batch_size=batch_size or 256, device=device)
    tables["classification"] = table
    controls = control_baselines(dataset, split_name)
    tables["controls"] = controls
    task = names[target]
    y = split.y[:, target] > 0.5
    if y.all() or not y.any():
        rows += [_na(c, f"the {split_name} split holds one class only for {task}", section=section) for c in checks]
        return
    scores = predict(model, split.X, batch_size=batch_size or 256, device=device, logits=True)[:, target].double().numpy()
    control = controls[controls["task"] == task].iloc[0]
    sign = -1.0 if control["gc_direction"] == "lower" else 1.0
    gc = sign * gc_content(split.X)
    model_auroc, gc_auroc, kmer_auroc = binary_auroc(y, scores), float(control["gc_auroc"]), float(control["kmer_auroc"])

    def difference(labels, s, g):
        return binary_auroc(labels, s) - binary_auroc(labels, g)

    ci = stats.bootstrap((y, scores, gc), difference, paired=True, vectorized=False, n_resamples=settings["n_resamples"],
                         method="percentile", random_state=np.random.default_rng(settings["seed"])).confidence_interval
    diff, low, high = model_auroc - gc_auroc, float(ci.low), float(ci.high)
    tables["performance"] = pd.DataFrame([
        {"predictor": "model", "auroc": model_auroc, "difference_vs_gc": diff, "ci_low": low, "ci_high": high},
        {"predictor": "GC content only", "auroc": gc_auroc, "difference_vs_gc": 0.0, "ci_low": np.nan, "ci_high": np.nan},
        {"predictor": "4-mer logistic regression", "auroc": kmer_auroc, "difference_vs_gc": kmer_auroc - gc_auroc,
         "ci_low": np.nan, "ci_high": np.nan},
    ]).assign(task=task, n=len(y))
    verdict = "pass" if low > 0 else ("warn" if diff > 0 else "fail")
    rows.append(_row(checks[0], f"AUROC {model_auroc:.3f} vs GC {gc_auroc:.3f}: {_ci_text(diff, low, high, signed=True)}",
                     "pass: 95% CI of the difference above 0; warn: difference > 0, CI includes 0; fail: difference <= 0",
                     verdict, f"paired percentile bootstrap over the {len(y)} {split_name} sequences "
                     f"({settings['n_resamples']} resamples, scipy.stats.bootstrap)", section))
    if not np.isfinite(kmer_auroc):
        rows.append(_na(checks[1], "the 4-mer baseline is undefined (one class in the train split)", section=section))
    else:
        kdiff = model_auroc - kmer_auroc
        rows.append(_row(checks[1], f"AUROC {model_auroc:.3f} vs 4-mer {kmer_auroc:.3f} ({kdiff:+.3f})",
                         "pass: model AUROC > 4-mer AUROC + 0.01; warn: within 0.01; fail: below",
                         "pass" if kdiff > 0.01 else ("warn" if kdiff >= -0.01 else "fail"),
                         "point comparison on the same sequences (4-mer counts, StandardScaler + LogisticRegression "
                         "trained on the train split)", section))


def _attribution(model, split, split_name, target, task, labelled, settings, tables, rows, parts, device, batch_size):
    """Maps of every method (each may be refused), their angles and, with ground truth, their scores."""
    from ..attribution import attribute_split, select_rows
    from ..evaluation import angle_summary, score_attribution_set

    positives = bool(labelled and (split.y[:, target] > 0.5).any())
    rows_ = select_rows(split.y, target=target, positives=positives, limit=settings["limit"]) if labelled else \
        np.arange(min(len(split), settings["limit"] or len(split)))
    parts["rows"] = rows_
    settings["attributed"] = (f"the first {len(rows_)} {'positive ' if positives else ''}{split_name} sequences"
                              + ("" if labelled else " (the model's outputs are not the data's tasks: no labels)"))
    combined, refused = None, {}
    for method in settings["methods"]:
        try:
            result = attribute_split(model, split, [method], target=target, rows=rows_, correct=True,
                                     seed=settings["seed"], batch_size=batch_size, device=device,
                                     split_name=split_name, task_name=task)
        except SeqlensError as exc:
            refused[method] = _first_line(exc)
            continue
        combined = result if combined is None else replace(combined, methods={**combined.methods, **result.methods})
    parts["attributions"], parts["refused"] = combined, refused
    truth = split.ground_truth is not None
    scored = None
    if combined is not None and "deepshap" in combined.methods:
        maps = combined.methods["deepshap"]
        check = "DeepSHAP maps sum to the output difference"
        test = ("summation to delta per (sequence, reference) pair: |f(x) - f(r) - sum(attr)| <= "
                "1e-3 x max(1, |f(x)|, |f(r)|)")
        if maps.failed:
            rows.append(_row(check, maps.failure(), "pass: every pair within the tolerance; fail: otherwise", "fail",
                             test, "truth", reason="the DeepSHAP maps are unusable and are not scored"))
        else:
            rows.append(_row(check, f"every pair within the tolerance ({len(rows_)} sequences)",
                             "pass: every pair within the tolerance; fail: otherwise", "pass", test, "truth"))
    if combined is not None and truth and not all(m.failed for m in combined.methods.values()):
        scored = score_attribution_set(combined, convention="002")
        parts["scored"] = scored
        tables["scores"] = scored.scores
        tables["interpretability"] = scored.summary
    # gradient angles of the raw saliency maps
    angle_check = "gradients carry little off-simplex noise (saliency)"
    test = "fraction of positions whose raw saliency gradient lies > 45 degrees off the simplex (paper 003)"
    if combined is None or "saliency" not in combined.methods:
        rows.append(_na(angle_check, refused.get("saliency", "saliency was not computed"), test, "angles"))
    else:
        raw = combined.methods["saliency"].maps["raw"]
        angles = angle_summary(raw, scored.ground_truth if scored else None, convention="003",
                               background=scored.background if scored else None).reset_index()
        tables["angles"] = angles.assign(method="saliency")
        parts["raw_saliency"] = raw
        fraction = float(angles.loc[angles["positions"] == "all", "above_45"].iloc[0])
        n = int(angles.loc[angles["positions"] == "all", "n"].iloc[0])
        spread = float(angles.loc[angles["positions"] == "all", "sd"].iloc[0])
        rows.append(_row(angle_check, f"{fraction:.3f} of {n} positions (SD of the angles {spread:.1f} deg)",
                         f"pass: < {ANGLE_WARN:g}; warn: >= {ANGLE_WARN:g} (the corrected maps remove it)",
                         "pass" if fraction < ANGLE_WARN else "warn", test, "angles"))
    # the maps against the ground truth
    for method, variant in (("saliency", "corrected"), ("deepshap", "raw")):
        if method not in settings["methods"]:
            continue
        check = f"maps recover the ground truth: {method} ({variant})"
        test = ("interpretability AUROC per sequence (convention 002), mean with a 95% percentile bootstrap CI over "
                "the attributed sequences")
        if method in refused:
            rows.append(_na(check, f"{method} refused: {refused[method]}", test, "truth"))
        elif not truth:
            rows.append(_na(check, f"the {split_name} split holds no ground truth", test, "truth"))
        elif combined is None or method not in combined.methods:
            rows.append(_na(check, f"{method} was not computed", test, "truth"))
        elif combined.methods[method].failed:
            rows.append(_na(check, f"{method} maps failed a check and are not scored", test, "truth"))
        else:
            scores = scored.scores
            values = scores[(scores["method"] == method) & (scores["variant"] == variant)]["auroc"].to_numpy(float)
            mean, low, high = _bootstrap_mean(values, settings["n_resamples"], settings["seed"])
            verdict = "fail" if not (low > 0.5) else ("pass" if mean >= TRUTH_PASS else "warn")
            rows.append(_row(check, f"AUROC {_ci_text(mean, low, high)} (n = {np.isfinite(values).sum()})",
                             f"pass: CI above 0.5 and mean >= {TRUTH_PASS:g}; warn: CI above 0.5; fail: otherwise",
                             verdict, test, "truth"))


def _filters(model, split, dataset, settings, tables, rows, parts, device):
    from ..evaluation import filter_report

    check = "first-layer filters match JASPAR motifs"
    test = (f"Tomtom against JASPAR {settings['jaspar']} (E <= 0.1): filters whose best significant hit is a "
            "ground-truth TF")
    from ..models.foreign import is_foreign

    try:
        if is_foreign(model):
            model.first_layer()  # says why there is no first convolution (filter_report only says there is none)
        report = filter_report(model, split, dataset=dataset, database=parts["database"], device=device)
    except SeqlensError as exc:
        rows.append(_na(check, _first_line(exc), test, "filters"))
        return None
    parts["filters"] = report
    tables["filters"] = report.per_filter
    n = len(report.motifs)
    if report.statistics:
        fraction = float(report.statistics["match_fraction"])
        found = report.statistics.get("tfs_found") or []
        value = (f"{fraction:.3f} of {n} filters; ground-truth TFs found: {len(found)} of "
                 f"{len(report.ground_truth_tfs)} ({', '.join(map(str, found)) or 'none'})")
        tables["filter_statistics"] = pd.DataFrame([{k: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
                                                     for k, v in report.statistics.items()}])
    else:
        fraction = float((report.per_filter["category"] == "other").mean()) if n else 0.0
        value = f"{fraction:.3f} of {n} filters have a significant JASPAR hit"
        test = f"Tomtom against JASPAR {settings['jaspar']} (E <= 0.1): filters with any significant hit " \
               f"(the data names no ground-truth TFs)"
    verdict = "pass" if fraction >= MATCH_PASS else ("warn" if fraction > 0 else "fail")
    rows.append(_row(check, value, f"pass: >= {MATCH_PASS:g}; warn: > 0; fail: 0", verdict, test, "filters"))
    return report


def _gia_motifs(report, split, dataset, settings, database) -> tuple[list, str]:
    """The motifs to embed: the JASPAR motifs the most filters match best, else the data's ground-truth TFs."""
    from ..evaluation import ground_truth_tfs

    by_id = {m.id: m for m in database if m.id}
    by_name = {}
    for motif in database:
        by_name.setdefault(motif.name.casefold(), motif)
    chosen, source = [], ""
    if report is not None and "best_target_id" in report.per_filter.columns:
        hits = report.per_filter.dropna(subset=["best_target_id"])
        counts = hits.groupby(["best_target_id", "best_target_name"]).size().sort_values(ascending=False, kind="stable")
        for (identifier, name), _ in counts.items():
            motif = by_id.get(identifier) or by_name.get(str(name).casefold())
            if motif is not None and all(motif is not m for m in chosen):
                chosen.append(motif)
            if len(chosen) == settings["top_motifs"]:
                break
        source = "the JASPAR motifs matched best by the most filters"
    if not chosen:
        names, where = ground_truth_tfs(dataset, split)
        chosen = [by_name[n.casefold()] for n in names if n.casefold() in by_name][: settings["top_motifs"]]
        source = f"the data's ground-truth TFs ({where}); no filter matched a JASPAR motif"
    return chosen, source


def _gia(model, split, split_name, dataset, report, target, settings, tables, rows, parts, warned, device, batch_size):
    from ..gia import analyze

    test = (f"GIA position experiment in {settings['n_null']} dinucleotide-shuffled nulls of the {split_name} split: "
            "mean effect on the output at the centre start, 95% bootstrap CI over the nulls")
    try:
        motifs, source = _gia_motifs(report, split, dataset, settings, parts["database"])
    except (SeqlensError, OSError) as exc:
        rows.append(_na("GIA: top motif raises the output", _first_line(exc), test, "gia"))
        return
    if not motifs:
        rows.append(_na("GIA: top motif raises the output", "no filter matched a JASPAR motif and the data names no "
                        "ground-truth TF", test, "gia"))
        return
    settings["gia_motifs"] = f"{', '.join(m.name for m in motifs)}: {source}"
    length, results = split.X.shape[2], []
    for motif in motifs:
        check = f"GIA: {motif.name} raises the output (effect > 0)"
        width = motif.ppm.shape[1]
        centre = (length - width) // 2
        positions = sorted(set(range(0, length - width + 1, GIA_STEP)) | {centre})
        try:
            analysis = analyze(model, split, motif, null="dinuc", n_null=settings["n_null"], positions=positions,
                               target=target, seed=settings["seed"], batch_size=batch_size, device=device,
                               n_resamples=settings["n_resamples"])
        except SeqlensError as exc:
            rows.append(_na(check, _first_line(exc), test, "gia"))
            continue
        warned += [f"GIA null diagnostics ({motif.name}): {m}" for m in analysis.diagnostics["warnings"]]
        table = analysis.table.assign(motif_id=motif.id or "")
        results.append(table)
        at = table[table["position"] == centre].iloc[0]
        mean, low, high = float(at["mean"]), float(at["ci_low"]), float(at["ci_high"])
        verdict = "pass" if low > 0 else ("warn" if mean > 0 else "fail")
        rows.append(_row(check, f"{_ci_text(mean, low, high, digits=3, signed=True)} at start {centre} "
                         f"(Wilcoxon q = {float(at['q_wilcoxon']):.2g}; largest effect {table['mean'].max():+.3f})",
                         "pass: CI above 0; warn: mean > 0, CI includes 0; fail: mean <= 0", verdict, test, "gia"))
    if results:
        tables["gia"] = pd.concat(results, ignore_index=True)
        parts["gia_nulls"] = analysis.nulls


def _randomization(model, split, target, task, settings, tables, rows, parts, device, batch_size):
    import torch
    from scipy import stats

    from ..attribution import attribute_split
    from ..evaluation import position_scores, score_attribution_set
    from ..models import randomized_copy

    checks = ("randomisation check: saliency maps of a weight-randomised copy differ",
              "randomisation check: the copy's maps score below the model's")
    test_rho = ("Spearman rank correlation of the per-position scores (corrected saliency x input) of the model and "
                "of randomized_copy per sequence, mean with a 95% bootstrap CI (Adebayo et al. 2018)")
    test_truth = ("paired difference of interpretability AUROC per sequence (model - copy), mean with a 95% "
                  "bootstrap CI")
    attributions = parts.get("attributions")
    if attributions is None or "saliency" not in attributions.methods:
        reason = parts["refused"].get("saliency", "saliency was not computed")
        rows += [_na(checks[0], reason, test_rho, "randomization"), _na(checks[1], reason, test_truth, "randomization")]
        return
    copy = randomized_copy(model, seed=settings["seed"])
    before = [p.detach() for p in model.parameters()]
    after = [p.detach() for p in copy.parameters()]
    if not before or all(torch.equal(a.cpu(), b.cpu()) for a, b in zip(before, after)):
        reason = ("randomized_copy re-drew none of the model's parameters (none of its layers is, by class name, a "
                  "Conv1d, Linear, batch or layer norm or LSTM)")
        rows += [_na(checks[0], reason, test_rho, "randomization"), _na(checks[1], reason, test_truth, "randomization")]
        return
    rows_ = parts["rows"]
    result = attribute_split(copy, split, ["saliency"], target=target, rows=rows_, correct=True, seed=settings["seed"],
                             batch_size=batch_size, device=device, task_name=task)
    X = attributions.X
    mine = position_scores(attributions.methods["saliency"].maps["corrected"], X, "sum")
    theirs = position_scores(result.methods["saliency"].maps["corrected"], X, "sum")
    rho = np.array([stats.spearmanr(a, b).statistic for a, b in zip(mine, theirs)], dtype=float)
    table = pd.DataFrame({"sequence": np.arange(len(rho)), "row": rows_, "spearman": rho})
    mean, low, high = _bootstrap_mean(rho, settings["n_resamples"], settings["seed"])
    verdict = "pass" if mean < RHO_PASS else ("warn" if mean < RHO_WARN else "fail")
    rows.append(_row(checks[0], f"mean rho {_ci_text(mean, low, high, signed=True)} (n = {np.isfinite(rho).sum()})",
                     f"pass: mean < {RHO_PASS:g}; warn: < {RHO_WARN:g}; fail: >= {RHO_WARN:g} (near 0 expected)",
                     verdict, test_rho, "randomization"))
    scored = parts.get("scored")
    if scored is None:
        rows.append(_na(checks[1], "the split holds no ground truth", test_truth, "randomization"))
    else:
        copy_scores = score_attribution_set(result, ground_truth=scored.ground_truth, background=scored.background,
                                            convention="002").scores
        pick = lambda s: s[(s["method"] == "saliency") & (s["variant"] == "corrected")]["auroc"].to_numpy(float)  # noqa: E731
        model_auroc, copy_auroc = pick(scored.scores), pick(copy_scores)
        table = table.assign(auroc_model=model_auroc, auroc_copy=copy_auroc)
        diff, dlow, dhigh = _bootstrap_mean(model_auroc - copy_auroc, settings["n_resamples"], settings["seed"])
        copy_mean = float(np.nanmean(copy_auroc))
        verdict = "pass" if dlow > 0 else ("warn" if diff > 0 else "fail")
        rows.append(_row(checks[1], f"copy AUROC {copy_mean:.3f} vs model {float(np.nanmean(model_auroc)):.3f}: "
                         f"{_ci_text(diff, dlow, dhigh, signed=True)}",
                         "pass: CI of model - copy above 0; warn: difference > 0; fail: <= 0", verdict, test_truth,
                         "randomization"))
    tables["randomization"] = table


def audit_model(model, dataset, out_dir=None, split: str = "test", target: int = 0, limit: int = 200,
                jaspar=2016, n_null: int = 300, seed: int = 0, methods=("saliency", "deepshap"), top_motifs: int = 3,
                n_resamples: int = 1000, labelled: bool | None = None, batch_size: int | None = None, device=None,
                model_label: str = "model", data_label: str = "dataset", verbose: bool = False) -> AuditResult:
    """Audit ``model`` on ``dataset`` (module docstring); write the report into ``out_dir`` when given.

    ``target``: the model output audited (an index). ``labelled``: whether the model's
    outputs are the data's tasks (None: when their numbers agree; False skips the checks
    that need labels). ``limit``: sequences attributed (0 = all). ``jaspar``: a JASPAR
    release or a MEME file. ``n_null``: GIA nulls. ``top_motifs``: motifs GIA embeds.
    ``n_resamples``: bootstrap resamples of every CI. Raises SeqlensError for bad settings;
    a check the model or data cannot support is a ``not available`` row.
    """
    from ..data import SPLITS
    from ..models.foreign import output_count
    from ..validation import check_int

    if split not in SPLITS:
        raise SeqlensError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    check_int(limit, "limit", minimum=0)
    check_int(n_null, "n_null", minimum=2)
    check_int(top_motifs, "top_motifs", minimum=1)
    check_int(n_resamples, "n_resamples", minimum=10)
    if out_dir is not None:
        check_output_dir(out_dir, "output folder")
    from ..motifs import load_motifs

    database = load_motifs(jaspar)  # a bad release or a missing MEME file is an error, before any work
    if not database:
        raise SeqlensError(f"the motif database {jaspar} holds no motifs")
    count = output_count(model)
    if labelled is None:
        labelled = count is None or count == dataset.n_tasks
    outputs = count if count is not None else dataset.n_tasks
    target = check_int(target, "target", minimum=0)
    if target >= outputs:
        raise SeqlensError(f"target {target} is out of range for a model with {outputs} output(s)")
    chosen = dataset.split(split)
    task = dataset.task_names[target] if labelled else f"output{target}"
    settings = {"split": split, "target": target, "task": task, "limit": limit,
                "jaspar": str(jaspar) if isinstance(jaspar, (int, str, Path)) else f"{len(database)} given motifs",
                "n_null": n_null,
                "seed": seed, "methods": list(methods), "top_motifs": top_motifs, "n_resamples": n_resamples,
                "labelled": bool(labelled), "ground_truth": chosen.ground_truth is not None}
    tables, rows, parts, phases = {}, [], {"database": database}, {}
    gia_warnings: list[str] = []
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        steps = [
            ("performance", lambda: _performance(model, dataset, chosen, split, target, labelled, settings, tables,
                                                 rows, device, batch_size)),
            ("attribution", lambda: _attribution(model, chosen, split, target, task, labelled, settings, tables, rows,
                                                 parts, device, batch_size)),
            ("filters", lambda: parts.__setitem__("filter_report", _filters(model, chosen, dataset, settings, tables,
                                                                            rows, parts, device))),
            ("gia", lambda: _gia(model, chosen, split, dataset, parts.get("filter_report"), target, settings, tables,
                                 rows, parts, gia_warnings, device, batch_size)),
            ("randomization", lambda: _randomization(model, chosen, target, task, settings, tables, rows, parts, device,
                                                     batch_size)),
        ]
        for name, step in steps:
            begin = time.perf_counter()
            if verbose:
                from ..progress import console

                console.print(f"audit: {name} ...", highlight=False)
            step()
            phases[name] = round(time.perf_counter() - begin, 3)
    order = {"performance": 0, "angles": 1, "truth": 2, "filters": 3, "gia": 4, "randomization": 5}
    verdicts = pd.DataFrame(rows, columns=["check", "value", "comparison", "verdict", "test", "reason", "section"])
    verdicts = verdicts.sort_values("section", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    messages = list(dict.fromkeys(str(w.message) for w in caught)) + gia_warnings
    result = AuditResult(verdicts=verdicts, tables=tables, settings=settings, model=str(model_label),
                         data=str(data_label), seconds=time.perf_counter() - start, phases=phases, warnings=messages,
                         parts=parts)
    if out_dir is not None:
        write_audit_report(result, out_dir)
    return result


# -----------------------------------------------------------------------------------------
# The report
# -----------------------------------------------------------------------------------------


class _Figures:
    def __init__(self):
        self.rows: list[dict] = []

    def svg(self, section: str, name: str, figure, data: str) -> dict:
        markup = _svg(figure, name)
        self.rows.append({"section": section, "figure": name, "format": "svg", "bytes": len(markup), "data": data})
        return {"svg": markup, "data": data}

    def png(self, section: str, name: str, figure, data: str, title: str) -> dict:
        uri = _png(figure)
        self.rows.append({"section": section, "figure": name, "format": "png", "bytes": len(uri), "data": data})
        return {"src": uri, "title": title}


def _performance_figure(table: pd.DataFrame):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.2, 2.4), layout="constrained")
    ax = figure.add_subplot()
    labels = list(table["predictor"])
    values = table["auroc"].to_numpy(float)
    colors = ["#1f77b4", "#999999", "#bbbbbb"][: len(labels)]
    ax.barh(labels[::-1], values[::-1], color=colors[::-1])
    model = table.iloc[0]
    if np.isfinite(model["ci_low"]):
        low, high = float(model["ci_low"]) + float(table.iloc[1]["auroc"]), float(model["ci_high"]) + \
            float(table.iloc[1]["auroc"])
        ax.errorbar([model["auroc"]], [len(labels) - 1], xerr=[[model["auroc"] - low], [high - model["auroc"]]],
                    color="black", capsize=3, linewidth=1)
    ax.axvline(0.5, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("test AUROC")
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def _text(value) -> str:
    if isinstance(value, float):
        return "-" if not np.isfinite(value) else f"{value:.4g}"
    return "-" if value is None else str(value)


def _table_spec(table: pd.DataFrame, columns: list[str], data: str, limit: int = 200) -> dict:
    present = [c for c in columns if c in table.columns]
    return {"columns": present, "rows": [[_text(v) for v in row] for row in table[present].head(limit).itertuples(index=False)],
            "data": data}


def write_audit_report(result: AuditResult, out_dir) -> Path:
    """Write ``report.html``, ``report_data/*.csv`` and ``audit.json`` into ``out_dir``; return the page's path."""
    from ..plotting import angle_histogram_plot, attribution_logo, filter_report_plot, gia_position_plot, plot_attribution

    out = check_output_dir(out_dir, "output folder")
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pd.DataFrame] = {"verdicts": result.verdicts, **result.tables}
    figures = _Figures()
    data = lambda name: f"{DATA_FOLDER}/{name}.csv"  # noqa: E731
    sections: dict = {"performance": None, "classification": None, "angles": None, "truth": None, "logos": [],
                      "filters": None, "gia": [], "randomization": None}
    if "performance" in result.tables:
        sections["performance"] = {
            "table": _table_spec(result.tables["performance"], ["predictor", "auroc", "difference_vs_gc", "ci_low",
                                                                 "ci_high", "n"], data("performance")),
            "figure": figures.svg("performance", "fig-performance", _performance_figure(result.tables["performance"]),
                                  data("performance"))}
    if "classification" in result.tables:
        sections["classification"] = _table_spec(result.tables["classification"], list(result.tables["classification"]),
                                                 data("classification"))
    if "angles" in result.tables:
        sections["angles"] = {"table": _table_spec(result.tables["angles"], ["method", "positions", "n", "mean", "sd",
                                                                             "above_30", "above_45", "above_60"],
                                                   data("angles")), "figure": None}
        scored = result.parts.get("scored")
        raw = result.parts.get("raw_saliency")
        if raw is not None:
            ax = angle_histogram_plot(raw, scored.ground_truth if scored is not None else None,
                                      title="raw saliency: gradient angle to the simplex")
            sections["angles"]["figure"] = figures.svg("angles", "fig-angles", ax.get_figure(root=True), data("angles"))
    if "interpretability" in result.tables:
        summary = result.tables["interpretability"]
        summary = summary[summary["metric"].isin(["auroc", "aupr_trapezoid", "cosine", "snr"])]
        sections["truth"] = _table_spec(summary, list(summary.columns), data("interpretability"))
    logos = []
    attributions = result.parts.get("attributions")
    if attributions is not None:
        scored = result.parts.get("scored")
        for index in range(min(LOGO_SEQUENCES, len(attributions.X))):
            for method, variant, values in attributions.iter_maps():
                if (method.gradient and variant == "raw") or method.failed:
                    continue
                title = f"{method.method} ({variant}), {result.settings['split']} sequence {int(attributions.rows[index])}"
                if scored is not None:
                    figure = attribution_logo(scored, method.method, variant, index, title=title)
                else:
                    figure = plot_attribution(values[index], X=attributions.X[index], title=title)
                    figure = figure if hasattr(figure, "savefig") else figure.get_figure(root=True)
                logos.append(figures.png("attribution logos", f"logo-{len(logos)}", figure, data("attribution_logos"),
                                         title))
        tables["attribution_logos"] = pd.DataFrame([{"logo": logo["title"]} for logo in logos])
    sections["logos"] = logos
    report = result.parts.get("filter_report")
    if report is not None:
        columns = ["filter", "n_sites", "best_target_name", "best_target_id", "best_p_value", "category"]
        sections["filters"] = {"table": _table_spec(report.per_filter, columns, data("filters")), "logo": None}
        if len(report.motifs):
            figure = filter_report_plot(report, limit=MAX_FILTER_LOGOS, title="first-layer filters")
            sections["filters"]["logo"] = figures.png("filters", "filters", figure, data("filters"), "first-layer filters")
    if "gia" in result.tables:
        gia = result.tables["gia"]
        for name, table in gia.groupby("pattern", sort=False):
            drawn = gia_position_plot(table, title=f"GIA: {name} at each start")
            figure = drawn if hasattr(drawn, "savefig") else drawn.get_figure(root=True)
            sections["gia"].append(figures.svg("gia", f"fig-gia-{len(sections['gia'])}", figure, data("gia")))
    if "randomization" in result.tables:
        per_sequence = result.tables["randomization"]
        summary = pd.DataFrame([{"measure": c, "mean": per_sequence[c].mean(), "sd": per_sequence[c].std(),
                                 "n": int(per_sequence[c].notna().sum())}
                                for c in ("spearman", "auroc_model", "auroc_copy") if c in per_sequence])
        sections["randomization"] = _table_spec(summary, ["measure", "mean", "sd", "n"], data("randomization"))
    built = datetime.now(timezone.utc).isoformat(timespec="seconds")
    provenance = [("model", result.model), ("data", result.data), ("seqlens version", __version__),
                  ("report built", built), ("wall time", f"{result.seconds:.1f} s ("
                   + ", ".join(f"{k} {v:.1f} s" for k, v in result.phases.items()) + ")")]
    tables["provenance"] = pd.DataFrame(provenance + [(f"package {n}", v) for n, v in _package_versions()],
                                        columns=["item", "value"])
    tables["settings"] = pd.DataFrame([(k, json.dumps(v) if isinstance(v, (dict, list)) else str(v))
                                       for k, v in result.settings.items()], columns=["setting", "value"])
    tables["warnings"] = pd.DataFrame({"message": result.warnings}, dtype=str)
    tables["figures"] = pd.DataFrame(figures.rows, columns=["section", "figure", "format", "bytes", "data"])
    verdict_rows = [{"cells": [r["check"], r["value"], r["comparison"]], "verdict": r["verdict"],
                     "verdict_class": r["verdict"].replace(" ", "-"), "test": r["test"], "reason": r["reason"]}
                    for r in result.verdicts.to_dict("records")]
    html = _environment().get_template(AUDIT_TEMPLATE).render(
        model=result.model, data=result.data, settings=list(tables["settings"].itertuples(index=False)),
        provenance=provenance, packages=_package_versions(), verdicts=verdict_rows, counts=result.counts,
        sections=sections, warnings=result.warnings)
    data_dir = out / DATA_FOLDER
    written = {write_csv(table, data_dir / f"{name}.csv") for name, table in tables.items()}
    for stale in set(data_dir.glob("*.csv")) - written:
        stale.unlink()
    write_json(result.document(), out / AUDIT_JSON)
    path = out / REPORT_NAME
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
