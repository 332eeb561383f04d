"""The end-to-end demo (``seqlens demo``, ``make demo``): the quick scale of ``exp-activations``.

Does an exponential first layer make a CNN more interpretable? The demo runs, at a scale
that takes minutes on 2 CPU cores, the central experiment of Koo & Ploenzke (2021),
"Improving representations of genomic sequence motifs in convolutional networks with
exponential activations", Nature Machine Intelligence, doi:10.1038/s42256-020-00291-x
(docs/papers.md): the bundled study ``exp-activations`` at its ``quick`` scale (6,000
regulatory-code sequences; cnn_local and cnn_dist with a ReLU and an exponential first
layer, 2 seeds each; every attribution method raw and gradient-corrected on 100 positive
test sequences, scored against the ground truth; first-layer filters matched to JASPAR 2016),
through the same runner as ``seqlens run`` (resumable: a rerun continues where it stopped),
and its HTML report (:func:`seqlens.experiments.report.build_report`).
"""

from __future__ import annotations

from pathlib import Path

from .results import read_study_table
from .runner import run_study
from .study import Study, load_study

DEMO_STUDY = "exp-activations"
DEMO_SCALE = "quick"


def run_demo(out_dir: str | Path = "out/demo", executor="local", workers: int | None = None, verbose: bool = True,
             study: Study | None = None) -> dict:
    """Run the demo study into ``out_dir`` and build its report; return the run report as a dict.

    ``study`` replaces the bundled ``exp-activations`` quick scale (tests use a tiny one).
    The dict is :meth:`RunReport.as_dict` plus ``report`` (the HTML file), ``headline``
    (interpretability AUROC mean ± SD over seeds per architecture, activation, method and
    variant, from ``summary.csv``) and ``claims`` (the paper's claims with their verdicts).
    """
    study = study or load_study(DEMO_STUDY, DEMO_SCALE)
    document = run_study(study, out_dir, executor=executor, workers=workers, verbose=verbose).as_dict()
    out = Path(out_dir)
    document["report"] = document["tables"]["report"]
    document["headline"] = headline(out)
    claims = out / "claims.csv"
    document["claims"] = read_study_table(claims).to_dict("records") if claims.exists() else []
    return document


def headline(out: Path) -> list[dict]:
    """Interpretability AUROC per condition, method and variant: mean, SD and n over seeds."""
    path = out / "summary.csv"
    if not path.exists():
        return []
    summary = read_study_table(path)
    rows = summary[(summary["analysis"] == "interpretability") & (summary["metric"] == "auroc")]
    columns = ["architecture", "activation", "training", "method", "variant", "n", "mean", "sd"]
    return rows[columns].to_dict("records")
