"""The end-to-end demo: does an exponential first layer make a CNN more interpretable?

Reproduces, at small scale, the central experiment of Koo & Ploenzke (2021), "Improving
representations of genomic sequence motifs in convolutional networks with exponential
activations", Nature Machine Intelligence, doi:10.1038/s42256-020-00291-x (docs/papers.md),
on the binary "regulatory code" task:

1. generate the dataset (SP1, GABPA, CEBPB, MAX, YY1 embedded in random DNA; JASPAR 2016);
2. train ``cnn_local`` with a ReLU and with an exponential first layer;
3. test AUROC of each model;
4. attribution maps (saliency raw and corrected, ISM) for the first positive test sequences;
5. interpretability AUROC/AUPR against the ground truth;
6. first-layer filters aligned into PPMs and matched to JASPAR 2016 with Tomtom (match
   fraction by the best significant hit, as the paper describes it), and motif localisation AUROC;
7. a Markdown report with tables and figures: every +- says what it is a standard deviation
   over (sequences here, training seeds in the paper) and of how many; a model whose
   training ran into the epoch cap instead of stopping early is flagged.

Steps 5 and 6 are the library functions ``seqlens score`` and ``seqlens filters`` call:
:func:`seqlens.evaluation.score_attribution_file` and :func:`seqlens.evaluation.filter_report`.

Every step writes its result under ``out_dir`` and is skipped when that result is already
there, so an interrupted demo continues where it stopped (training resumes from its
per-epoch checkpoint).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..attribution import attribute_split, save_attributions, select_rows
from ..data import load_h5, save_h5
from ..evaluation import AttributionScores, FilterReport, filter_report, score_attribution_file
from ..io_utils import atomic_path, json_ready, write_csv, write_json
from ..models import build, load_model
from ..motifs import write_meme
from ..synthetic import regulatory_code_dataset
from ..tomtom import DEFAULT_CRITERION, MATCH_CRITERIA
from ..training import evaluate, fit, training_check


@dataclass
class DemoSettings:
    """What the demo runs. Defaults are the papers' settings except where noted."""

    n: int = 20_000
    seed: int = 0
    model: str = "cnn_local"
    activations: Sequence[str] = ("relu", "exponential")
    epochs: int = 30
    early_stopping_patience: int = 5  # papers: 10-20 over 100 epochs; the demo caps epochs at 30
    lr_patience: int = 2
    methods: Sequence[str] = ("saliency", "ism")
    n_attributed: int = 500  # papers: the first 500 positive test sequences
    convention: str = "002"
    evalue: float = 0.1
    criterion: str = DEFAULT_CRITERION  # a filter matches when its best significant hit is a core TF (as 002 describes)
    jaspar_release: int = 2016
    log: Callable[[str], None] = field(default=lambda message: None, repr=False)


def _step_done(path: Path) -> bool:
    return path.exists()


def _dataset(out: Path, s: DemoSettings):
    path = out / "data.h5"
    if not _step_done(path):
        s.log(f"generating the regulatory-code dataset ({s.n} sequences) -> {path}")
        save_h5(regulatory_code_dataset(n=s.n, seed=s.seed), path)
    return load_h5(path)


def _trained_model(out: Path, dataset, activation: str, s: DemoSettings, verbose: bool):
    run = out / "runs" / f"{s.model}_{activation}"
    if not (run / "weights.pt").exists():
        s.log(f"training {s.model} with a {activation} first layer -> {run}")
        model = build(s.model, activation=activation, input_length=dataset.input_length, n_outputs=dataset.n_tasks,
                      seed=s.seed)
        fit(model, dataset, epochs=s.epochs, seed=s.seed, out_dir=run, verbose=verbose,
            early_stopping_patience=s.early_stopping_patience, lr_patience=s.lr_patience)
    history = pd.read_csv(run / "history.csv")
    return load_model(run), run, history


def _attributions(out: Path, model, dataset, activation: str, s: DemoSettings, verbose: bool) -> AttributionScores:
    """Attribution maps of the first positive test sequences (computed once), scored."""
    path = out / f"attributions_{activation}.h5"
    if not _step_done(path):
        s.log(f"attribution maps ({', '.join(s.methods)}) of the {activation} model -> {path}")
        rows = select_rows(dataset.test.y, target=0, positives=True, limit=s.n_attributed)
        result = attribute_split(model, dataset.test, s.methods, rows=rows, seed=s.seed, verbose=verbose,
                                 split_name="test", task_name=dataset.task_names[0])
        save_attributions(result, path)
    return score_attribution_file(path, convention=s.convention)


def _filters(out: Path, model, dataset, activation: str, s: DemoSettings) -> FilterReport:
    """The filter analysis of ``seqlens filters`` on the test split; the filters written to MEME."""
    report = filter_report(model, dataset.test, dataset=dataset, database=s.jaspar_release, evalue=s.evalue,
                           criterion=s.criterion)
    write_meme(report.motifs, out / f"filters_{activation}.meme")
    return report


def _filter_summary(report: FilterReport) -> dict:
    stats = report.statistics or {}
    local = report.localization or {}
    return {
        "n_filters": len(report.motifs),
        "evalue": report.evalue,
        "qvalue": report.qvalue,
        "criterion": report.criterion,
        "match_fraction": float(stats.get("match_fraction", float("nan"))),
        "other_fraction": float(stats.get("other_fraction", float("nan"))),
        "tfs_found": list(stats.get("tfs_found", [])),
        "localization_auroc": {name: values["pooled_auroc"] for name, values in local.items()},
    }


def run_demo(out_dir: str | Path = "out/demo", settings: DemoSettings | None = None, verbose: bool = False) -> dict:
    """Run the demo into ``out_dir``; return its summary (also written as ``summary.json``).

    The summary holds, per first-layer activation: test AUROC, epochs trained, how training
    ended (``training``: :func:`training_check`, with ``flags`` for a run that stopped at
    the epoch cap), mean +- SD over the scored sequences (with their number ``n``) of
    interpretability AUROC and AUPR per attribution method and variant, and the filter
    analysis (``n_filters``, ``criterion``, ``match_fraction``, ``other_fraction``,
    ``tfs_found``, ``localization_auroc`` pooled for the filters and the true PWMs); plus
    the paths of the report and figures. Values are JSON-ready (NaN as None).
    """
    from ..plotting import attribution_logo, filter_report_plot, metric_boxplot

    s = settings or DemoSettings()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dataset = _dataset(out, s)
    summary: dict = {"out": str(out), "settings": {k: v for k, v in vars(s).items() if k != "log"}, "models": {}}
    score_tables = []
    for activation in s.activations:
        model, run, history = _trained_model(out, dataset, activation, s, verbose)
        test = evaluate(model, dataset.test)
        scored = _attributions(out, model, dataset, activation, s, verbose)
        attributions = scored.attributions
        score_tables.append(scored.scores.assign(model=f"{s.model} {activation}")[["model", *scored.scores.columns]])
        s.log(f"matching first-layer filters of the {activation} model to JASPAR {s.jaspar_release}")
        filters = _filters(out, model, dataset, activation, s)
        filter_report_plot(filters, ncols=6, limit=24, title=f"{s.model} {activation}: first-layer filters",
                           path=out / f"filters_{activation}.png")
        saliency = attributions.methods["saliency"]
        variant = "corrected" if "corrected" in saliency.maps else "raw"
        attribution_logo(scored, "saliency", variant, 0,
                         title=f"{s.model} {activation}: {variant} saliency x input, test sequence {attributions.rows[0]}",
                         path=out / f"saliency_{activation}.png")
        training = training_check(history, s.epochs)
        summary["models"][activation] = {
            "run": str(run),
            "epochs": int(len(history)),
            "training": training,
            "test_auroc": float(test["auroc"].iloc[0]),
            "interpretability": scored.summary.query("metric in ['auroc', 'aupr_trapezoid']").to_dict("records"),
            "filters": _filter_summary(filters),
        }
    all_scores = pd.concat(score_tables, ignore_index=True)
    write_csv(all_scores, out / "scores.csv")
    all_scores["map"] = all_scores["method"] + " " + all_scores["variant"]
    per_box = all_scores.groupby(["model", "map"])["auroc"].count()
    counts = f"n = {per_box.min()}" if per_box.min() == per_box.max() else f"n = {per_box.min()}-{per_box.max()}"
    metric_boxplot(all_scores, x="map", y="auroc", hue="model", xlabel="attribution map",
                   ylabel="interpretability AUROC",
                   title=f"interpretability AUROC per positive test sequence ({counts} sequences per box)",
                   path=out / "interpretability_auroc.png")
    summary["report"] = str(_write_report(out, summary, s))
    summary = json_ready(summary, "demo summary")
    write_json(summary, out / "summary.json")
    return summary


#: Published reference numbers: Koo & Ploenzke (2021), cnn_local on the regulatory-code task,
#: interpretability AUROC (threshold 0.01 bits), mean +- SD over 10 models trained with
#: different seeds (each model's value is its mean over the positive test sequences).
PAPER_REFERENCE = {
    ("relu", "saliency"): (0.771, 0.013), ("exponential", "saliency"): (0.827, 0.019),
    ("relu", "ism"): (0.808, 0.022), ("exponential", "ism"): (0.887, 0.016),
}
PAPER_CITATION = ("Koo PK, Ploenzke M (2021). Improving representations of genomic sequence motifs in "
                  "convolutional networks with exponential activations. Nature Machine Intelligence. "
                  "doi:10.1038/s42256-020-00291-x")


def _number(value, digits: int = 3) -> str:
    return "-" if value is None or value != value else f"{value:.{digits}f}"


def _mean_sd(row: dict) -> str:
    """``mean ± SD (n = k)`` of a summary row (SD over the row's ``n`` sequences)."""
    if row.get("mean") is None or row["mean"] != row["mean"]:
        return "-"
    return f"{row['mean']:.3f} ± {_number(row.get('sd'))} (n = {row.get('n', '?')})"


def _write_report(out: Path, summary: dict, s: DemoSettings) -> Path:
    lines = [
        "# seqlens demo: ReLU vs exponential first layer on the regulatory-code task",
        "",
        f"Reproduces, at small scale, the central experiment of {PAPER_CITATION}.",
        "",
        f"Dataset: {s.n} synthetic sequences (SP1, GABPA, CEBPB, MAX, YY1 from JASPAR 2016), seed {s.seed}.",
        f"Model: {s.model}, trained once per first layer (one seed), at most {s.epochs} epochs with early stopping "
        f"(patience {s.early_stopping_patience}); interpretability scored on the first {s.n_attributed} positive "
        f"test sequences (convention {s.convention}); filters matched to JASPAR {s.jaspar_release} with Tomtom "
        f"(E <= {s.evalue}).",
        "AUPR: trapezoid rule over the PR curve (as the original code).",
        "",
        "**How to read ±:** in the table below, ± is the standard deviation **over the n scored sequences** of "
        "one trained model (one seed): how much interpretability varies from sequence to sequence. The paper's "
        "± (further down) is the standard deviation **over 10 models trained with different seeds**, each "
        "summarised by its mean over sequences; the two are not comparable, and the paper's is much smaller.",
        "",
        "| first layer | epochs (cap) | test AUROC | map | interpretability AUROC, mean ± SD over sequences (n) "
        "| AUPR (trapezoid), mean ± SD over sequences (n) |",
        "|---|---:|---:|---|---|---|",
    ]
    flagged = []
    for activation, m in summary["models"].items():
        training = m.get("training") or {}
        epochs = f"{m['epochs']} ({training.get('epoch_cap', s.epochs)})" + (" ⚠" if training.get("flags") else "")
        flagged += [(activation, flag) for flag in training.get("flags", [])]
        by_map: dict[tuple, dict] = {}
        for row in m["interpretability"]:
            by_map.setdefault((row["method"], row["variant"]), {})[row["metric"]] = _mean_sd(row)
        for (method, variant), metrics in by_map.items():
            lines.append(f"| {activation} | {epochs} | {m['test_auroc']:.3f} | {method} ({variant}) | "
                         f"{metrics.get('auroc', '-')} | {metrics.get('aupr_trapezoid', '-')} |")
    if flagged:
        lines += ["", "**Training flags** (⚠ in the table):"]
        lines += [f"- **{activation}**: {flag}" for activation, flag in flagged]
    n_filters = {m["filters"].get("n_filters") for m in summary["models"].values()}
    of = f" (of {n_filters.pop()})" if len(n_filters) == 1 and None not in n_filters else ""
    lines += ["", f"Filter match fraction: criterion {s.criterion!r}, a filter counts when its {MATCH_CRITERIA[s.criterion]}.",
              "Localisation AUROC: pooled over motif and background regions of the test sequences (one value per "
              "model, no SD), as Koo & Ploenzke (2021) compute it.", "",
              f"| first layer | fraction of filters{of} matching a core TF | significant hits, not counted | core TFs found "
              "| localisation AUROC (filters) | localisation AUROC (true PWMs) |",
              "|---|---:|---:|---|---:|---:|"]
    for activation, m in summary["models"].items():
        f = m["filters"]
        local = f["localization_auroc"]
        cells = [_number(local.get(k)) for k in ("filters", "true_pwms")]
        lines.append(f"| {activation} | {_number(f['match_fraction'], 2)} | {_number(f['other_fraction'], 2)} "
                     f"| {', '.join(f['tfs_found']) or '-'} | {cells[0]} | {cells[1]} |")
    reference = ", ".join(
        f"{method} {PAPER_REFERENCE[('relu', method)][0]:.3f} ± {PAPER_REFERENCE[('relu', method)][1]:.3f} (relu) vs "
        f"{PAPER_REFERENCE[('exponential', method)][0]:.3f} ± {PAPER_REFERENCE[('exponential', method)][1]:.3f} "
        "(exponential)" for method in ("saliency", "ism")
    )
    lines += [
        "",
        f"Koo & Ploenzke (2021), {s.model} on this task (20,000 sequences, up to 100 epochs), interpretability AUROC "
        f"on 500 positive test sequences, mean ± SD **over 10 training seeds** (n = 10 models): {reference}.",
        "",
        "![interpretability AUROC](interpretability_auroc.png)",
        "",
        "Logos: the ground truth (information, bits) above the saliency map times input; shaded spans are the "
        "embedded motif sites, labelled with TF and strand. Filter grids: each first-layer filter's PPM with its "
        "best Tomtom hit (* = counted as a core TF).",
        "",
    ]
    for activation in summary["models"]:
        lines += [f"![saliency {activation}](saliency_{activation}.png)", "", f"![filters {activation}](filters_{activation}.png)", ""]
    path = out / "report.md"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines), encoding="utf-8")
    return path
