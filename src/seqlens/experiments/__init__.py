"""Studies that reproduce the papers' findings, built from the library's parts.

- :mod:`~seqlens.experiments.study`: study files (YAML validated with pydantic), the bundled
  studies (:func:`bundled_studies`, :func:`describe_studies`) and :func:`load_study`.
- :mod:`~seqlens.experiments.units`: the grid of a study as units (one trained model each),
  keyed by their settings.
- :mod:`~seqlens.experiments.work`: :func:`run_unit`, what one unit computes.
- :mod:`~seqlens.experiments.executors`: in-process, local worker processes, Ray.
- :mod:`~seqlens.experiments.store`: the output folder (atomic unit folders, done records).
- :mod:`~seqlens.experiments.results`: results, summaries over seeds, paired comparisons.
- :mod:`~seqlens.experiments.runner`: :func:`run_study` (``seqlens run``).
- :mod:`~seqlens.experiments.report`: the HTML report of a study's output folder (``seqlens report``).
- :mod:`~seqlens.experiments.audit`: :func:`audit_model` (``seqlens audit``): one model on one
  dataset, every check with a verdict, and its report (:func:`write_audit_report`).
- :mod:`~seqlens.experiments.demo`: the quick scale of ``exp-activations`` and its report
  (``seqlens demo``, ``make demo``).

Example::

    from seqlens.experiments import load_study, run_study
    report = run_study(load_study("exp-activations", "quick"), "out/exp-activations")
"""

from .audit import AuditResult, audit_model, write_audit_report
from .demo import run_demo
from .report import build_report
from .runner import RunReport, run_study
from .study import PAPERS, Study, bundled_studies, describe_studies, load_study, parse_study
from .units import Unit, expand_units, parse_shard
from .work import UnitOutput, run_unit

__all__ = [
    "AuditResult",
    "audit_model",
    "write_audit_report",
    "PAPERS",
    "RunReport",
    "Study",
    "Unit",
    "UnitOutput",
    "build_report",
    "bundled_studies",
    "describe_studies",
    "expand_units",
    "load_study",
    "parse_shard",
    "parse_study",
    "run_demo",
    "run_study",
    "run_unit",
]
