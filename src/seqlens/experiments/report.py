"""A study's results as one self-contained HTML page (``seqlens report DIR``).

:func:`build_report` reads what ``seqlens run`` left in a study's output folder
(``study.json``, ``results.csv``, ``summary.csv``, ``comparisons.csv``, ``claims.csv`` when
present, the unit folders and ``failed/``) and writes:

- ``DIR/report.html``: one static file that opens anywhere, offline and years later. CSS is
  inline; summary figures are inline SVG and logos (many glyphs) base64 PNG in ``data:``
  URIs; there are no scripts, fonts, external images or links, so opening it fetches
  nothing. Sections, in order: setup, provenance, test performance, interpretability (raw
  vs corrected maps), gradient angles, paired tests, first-layer filters, attribution logos,
  global importance analysis (only when the study has GIA results: per experiment the
  metrics by condition, the data's rule, a representative unit's spacing and position
  curves), the papers' numbers beside ours (claims), warnings.
- ``DIR/report_data/*.csv``: the table behind every table and figure of the page, so every
  number shown can be checked or re-plotted (``figures.csv`` lists the figures).

Every mean is shown with its SD over seeds and the number of seeds
(:func:`seqlens.evaluation.format_mean_sd`), every difference with its 95% interval, the
number of pairs and what was paired. A section whose analysis the study did not run says
so; a missing or unreadable piece (a unit without maps, a study with one seed) is reported,
never fatal. Logos are drawn only for one representative unit per condition (its first
seed), and their number and total size are capped so a paper-scale study stays well under
10 MB.
"""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import SeqlensError, StudyError
from ..evaluation import format_mean_sd
from ..io_utils import atomic_path, write_csv
from .results import read_study_table
from .work import GIA_ALPHA, GIA_WARNING
from .study import GENERATORS, PAPERS, TrainingSpec
from .units import FACTORS

REPORT_NAME = "report.html"
DATA_FOLDER = "report_data"
TEMPLATE_DIR = Path(__file__).with_name("templates")
TEMPLATE_NAME = "report.html.j2"

#: Grid factors that define a condition (the seeds of a condition are its replicates).
CONDITION_FACTORS = [f for f in FACTORS if f != "seed"]
#: Packages whose versions the provenance section lists.
PACKAGES = ("torch", "numpy", "scipy", "pandas", "scikit-learn", "memelite", "pyjaspar", "matplotlib", "jinja2")

CLASSIFICATION_METRICS = {"auroc": "AUROC", "aupr_trapezoid": "AUPR", "average_precision": "average precision"}
# with evaluation "controls": what composition alone reaches on the same test split
CONTROL_METRICS = {"gc_auroc": "GC-only AUROC", "kmer_auroc": "4-mer AUROC", "auroc_minus_gc": "AUROC - GC-only"}
INTERPRETABILITY_METRICS = {"auroc": "interpretability AUROC", "aupr_trapezoid": "interpretability AUPR"}
ANGLE_METRICS = {"mean": "mean angle (deg)", "above_30": "|angle| > 30", "above_45": "|angle| > 45",
                 "above_60": "|angle| > 60"}
FILTER_METRICS = {"match_fraction": "match fraction", "n_tfs_found": "TFs found", "tf_coverage": "TF coverage",
                  "other_fraction": "other-motif fraction"}
#: (analysis, metric) pairs whose paired tests the report shows.
KEY_COMPARISONS = {("interpretability", "auroc"), ("interpretability", "aupr_trapezoid"),
                   ("classification", "auroc"), ("filters", "match_fraction"), ("gia", "effect_max"),
                   ("gia", "interaction_at_rule")}
#: The GIA metrics the report's tables show per experiment (work.py's docstring defines them);
#: copies metrics (effect_k1, marginal_k2, ...) are taken as they come.
GIA_METRICS = {
    "position": {"effect_max": "largest effect", "effect_max_position": "at start", "effect_centre": "effect at centre",
                 "n_significant": "significant starts"},
    "spacing": {"interaction_peak": "peak interaction", "interaction_peak_distance": "peak distance",
                "interaction_at_rule": "interaction at the planted spacing",
                "interaction_at_rule_ci_low": "its CI low (per unit)", "interaction_at_rule_ci_high": "its CI high",
                "rule_recovered": "rule recovered (fraction)", "n_significant": "significant distances",
                "n_significant_off_rule": "significant off the rule"},
}
GIA_EXPERIMENT_TITLES = {"position": "Position: one motif at each start",
                         "spacing": "Spacing: A and B at each gap (four-arm design, interaction)",
                         "copies": "Copies: 1 .. k copies of a motif"}
VERDICTS = ("reproduced", "partly", "not", "untested")

#: Caps that keep the page small for a paper-scale study: conditions with logos, filters per
#: logo grid, sequences per condition, comparison and warning rows, base64 image bytes.
MAX_LOGO_CONDITIONS = 12
MAX_FILTER_LOGOS = 32
LOGO_SEQUENCES = 2
MAX_COMPARISON_ROWS = 400
MAX_WARNING_ROWS = 200
IMAGE_BUDGET_BYTES = 6_000_000
LOGO_DPI = 80
LOGO_COLORS = 64  # PNG palette size: logos are a few flat colours, so quantizing costs nothing visible


# -----------------------------------------------------------------------------------------
# Reading the output folder
# -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One cell of the grid without its seed: ``key`` is the levels of :data:`CONDITION_FACTORS` as text."""

    key: tuple
    label: str


@dataclass
class UnitFolder:
    """A finished unit: its name, grid coordinates (levels as text), folder and ``done.json`` record."""

    name: str
    coordinates: dict
    folder: Path
    done: dict

    @property
    def condition_key(self) -> tuple:
        return tuple(self.coordinates[f] for f in CONDITION_FACTORS)


@dataclass
class StudyFolder:
    """What :func:`read_study_folder` found in a study's output folder."""

    root: Path
    record: dict
    results: pd.DataFrame
    summary: pd.DataFrame
    comparisons: pd.DataFrame
    claims: pd.DataFrame | None
    units: list[UnitFolder]
    failures: list[dict]
    levels: dict[str, list[str]]
    notes: list[str] = field(default_factory=list)

    @property
    def study(self) -> dict:
        return self.record.get("study") or {}

    @property
    def varying(self) -> list[str]:
        """Condition factors with more than one level in the grid."""
        return [f for f in CONDITION_FACTORS if len(self.levels[f]) > 1]

    def condition(self, key: tuple) -> Condition:
        coordinates = dict(zip(CONDITION_FACTORS, key))
        parts = [_level_text(f, coordinates[f]) for f in self.varying]
        return Condition(tuple(key), ", ".join(parts) if parts else str(coordinates["architecture"]))

    def grid_position(self, coordinates: dict) -> tuple:
        """Where coordinates sit in the grid's enumeration order (unknown levels last)."""
        position = []
        for factor in FACTORS:
            levels = self.levels[factor]
            value = str(coordinates.get(factor, ""))
            position.append(levels.index(value) if value in levels else len(levels))
        return tuple(position)

    @property
    def conditions(self) -> list[Condition]:
        """The conditions with a finished unit or a result row, in grid order."""
        keys = {u.condition_key for u in self.units}
        if not self.results.empty:
            keys |= set(map(tuple, self.results[CONDITION_FACTORS].drop_duplicates().to_numpy().tolist()))
        ordered = sorted(keys, key=lambda k: self.grid_position(dict(zip(CONDITION_FACTORS, k))))
        return [self.condition(k) for k in ordered]

    def representative(self, condition: Condition) -> UnitFolder | None:
        """The finished unit of ``condition`` with the first seed of the grid, or None."""
        units = [u for u in self.units if u.condition_key == condition.key]
        return min(units, key=lambda u: self.grid_position(u.coordinates), default=None)


def _level_text(factor: str, level: str) -> str:
    return f"train_size={level}" if factor == "train_size" else str(level)


def _grid_levels(study: dict) -> dict[str, list[str]]:
    """Each factor's levels as text, in the study's order (what results.csv holds)."""
    grid = study.get("models") or {}

    def training_label(spec) -> str:
        try:
            return TrainingSpec.model_validate(spec).label
        except (ValueError, TypeError):
            return str(spec.get("method", spec)) if isinstance(spec, dict) else str(spec)

    if grid.get("given"):  # models trained elsewhere: one level each, nothing else varies
        return {"architecture": [g["name"] for g in grid["given"]], "config": ["default"], "activation": ["given"],
                "training": ["given"], "train_size": ["all"], "seed": ["0"]}
    return {
        "architecture": [str(a) for a in grid.get("architectures", [])],
        "config": [str(c) for c in (grid.get("configs") or {"default": {}})],
        "activation": [str(a) for a in grid.get("activations", ["relu"])],
        "training": [training_label(t) for t in grid.get("training", [{"method": "standard"}])],
        "train_size": ["all" if s is None else str(s) for s in grid.get("train_sizes", [None])],
        "seed": [str(s) for s in grid.get("seeds", [0])],
    }


def _read_table(path: Path, notes: list[str]) -> pd.DataFrame:
    """A CSV of the folder with grid and measure columns as text; empty when absent or empty."""
    if not path.exists():
        notes.append(f"{path.name} is missing (the run wrote no tables yet)")
        return pd.DataFrame()
    return read_study_table(path)


def read_study_folder(out_dir: str | Path) -> StudyFolder:
    """Everything the report needs from a study output folder; :class:`StudyError` if it is not one."""
    root = Path(out_dir)
    record_path = root / "study.json"
    if not record_path.is_file():
        raise StudyError(f"{root} is not a study output folder (no study.json); give the -o folder of seqlens run")
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StudyError(f"{record_path} is unreadable ({' '.join(str(exc).split())})") from None
    if not isinstance(record, dict) or not isinstance(record.get("study"), dict):
        raise StudyError(f"{record_path} holds no study record (expected a 'study' mapping)")
    notes: list[str] = []
    results = _read_table(root / "results.csv", notes)
    if not results.empty and "seed" in results.columns:
        results["seed"] = results["seed"].astype(str)
    summary = _read_table(root / "summary.csv", notes)
    comparisons = _read_table(root / "comparisons.csv", notes)
    if not comparisons.empty and {"analysis", "paired_by"} <= set(comparisons.columns):
        # per-sequence comparisons come from the interpretability scores and carry no analysis
        per_sequence = comparisons["paired_by"].str.contains("sequence") & (comparisons["analysis"] == "")
        comparisons.loc[per_sequence, "analysis"] = "interpretability"
    claims_path = root / "claims.csv"
    claims = pd.read_csv(claims_path, dtype=str).fillna("") if claims_path.is_file() else None
    units = []
    for done_path in sorted((root / "units").glob("*/done.json")):
        folder = done_path.parent
        try:
            done = json.loads(done_path.read_text(encoding="utf-8"))
            unit = json.loads((folder / "unit.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            notes.append(f"unit folder {folder.name} is unreadable ({type(exc).__name__}); left out")
            continue
        coordinates = {f: str(unit.get("coordinates", {}).get(f, "")) for f in FACTORS}
        units.append(UnitFolder(folder.name, coordinates, folder, done))
    failures = []
    for path in sorted((root / "failed").glob("*.json")):
        try:
            failure = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            failure = {"error": "failure record unreadable"}
        failures.append({"name": str(failure.get("name") or path.stem), "error": str(failure.get("error") or "")})
    folder = StudyFolder(root, record, results, summary, comparisons, claims, units, failures,
                         _grid_levels(record["study"]), notes)
    folder.units.sort(key=lambda u: folder.grid_position(u.coordinates))
    return folder


# -----------------------------------------------------------------------------------------
# Formatting
# -----------------------------------------------------------------------------------------


def _mean_sd(row, digits: int = 3) -> str:
    """A summary row (``mean``, ``sd``, ``n``) as ``"0.812 ± 0.013 (n = 10)"``; ``"-"`` without one."""
    if row is None:
        return "-"
    return format_mean_sd(row["mean"], row["sd"], row["n"], digits)


def _difference(mean_diff, low, high, digits: int = 3) -> str:
    """``"+0.012 [-0.003, 0.027]"``; the interval is undefined with fewer than 2 pairs."""
    if pd.isna(mean_diff):
        return "-"
    if pd.isna(low) or pd.isna(high):
        return f"{mean_diff:+.{digits}f} [CI undefined]"
    return f"{mean_diff:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}]"


def _p_value(p) -> str:
    if p is None or pd.isna(p):
        return "-"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _count(value) -> str:
    """A count read from a CSV (``"20.0"`` when the column has gaps) as ``"20"``; ``"-"`` when absent."""
    number = _number(value)
    return "-" if np.isnan(number) else str(int(number))


def _first_line(text: str, limit: int = 500) -> str:
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _settings_text(settings: dict | None) -> str:
    if not settings:
        return "-"
    return ", ".join(f"{k}={json.dumps(v) if isinstance(v, (dict, list)) else v}" for k, v in settings.items())


# -----------------------------------------------------------------------------------------
# Figures
# -----------------------------------------------------------------------------------------


def _svg(figure, name: str):
    """``figure`` as inline SVG markup: text kept as text, ids made unique to this figure, no metadata."""
    import matplotlib
    from markupsafe import Markup

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', text)
    # artists sharing a gid (one per line of a plot) become repeated ids: number the repeats
    seen: dict[str, int] = {}

    def unique(match) -> str:
        seen[match[1]] = seen.get(match[1], 0) + 1
        return match[0] if seen[match[1]] == 1 else f'id="{match[1]}-{seen[match[1]]}"'

    text = re.sub(r'\bid="([^"]+)"', unique, text)
    return Markup(text)


def _png(figure) -> str:
    """``figure`` as a ``data:`` URI of a palette PNG (logos: thousands of glyphs are lighter as pixels)."""
    from PIL import Image

    raw = io.BytesIO()
    figure.savefig(raw, format="png", dpi=LOGO_DPI)
    raw.seek(0)
    packed = io.BytesIO()
    Image.open(raw).convert("RGB").quantize(colors=LOGO_COLORS).save(packed, format="png", optimize=True)
    return "data:image/png;base64," + base64.b64encode(packed.getvalue()).decode("ascii")


# -----------------------------------------------------------------------------------------
# Sections
# -----------------------------------------------------------------------------------------


@dataclass
class _Build:
    """What the sections collect while the page is assembled: data tables, figures, skipped pieces."""

    folder: StudyFolder
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    image_bytes: int = 0

    def table(self, name: str, table: pd.DataFrame) -> str:
        """Keep ``table`` for ``report_data/NAME.csv``; return that relative path for captions."""
        self.tables[name] = table
        return f"{DATA_FOLDER}/{name}.csv"

    def svg_figure(self, section: str, name: str, figure, data: str) -> dict:
        markup = _svg(figure, name)
        self.figures.append({"section": section, "figure": name, "format": "svg", "bytes": len(markup), "data": data})
        return {"svg": markup, "data": data}

    def png_figure(self, section: str, name: str, figure, data: str, title: str) -> dict | None:
        """The figure as a PNG ``data:`` URI, or None (noted) once the page's image budget is spent."""
        if self.image_bytes >= IMAGE_BUDGET_BYTES:
            self.skipped.append(f"{section}: logo {title!r} left out (the page's {IMAGE_BUDGET_BYTES / 1e6:.0f} MB "
                                "image budget is spent)")
            return None
        uri = _png(figure)
        self.image_bytes += len(uri)
        self.figures.append({"section": section, "figure": name, "format": "png", "bytes": len(uri), "data": data})
        return {"src": uri, "title": title}

    def condition_columns(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` (with the condition factor columns) with a ``condition`` label column first."""
        labels = [self.folder.condition(tuple(row)).label for row in table[CONDITION_FACTORS].to_numpy().tolist()]
        return table.assign(condition=labels)[["condition", *table.columns]]


def _rows(build: _Build, table_name: str, analysis: str, metrics, **match) -> pd.DataFrame:
    """Rows of ``summary`` or ``results`` for one analysis and its ``metrics`` (and equal measure
    columns ``match``), with condition labels; empty when the folder has no such table."""
    table = getattr(build.folder, table_name)
    if table.empty or "analysis" not in table.columns:
        return pd.DataFrame()
    chosen = (table["analysis"] == analysis) & table["metric"].isin(list(metrics))
    for column, value in match.items():
        chosen &= table[column] == value
    return build.condition_columns(table[chosen].reset_index(drop=True))


def _lookup(table: pd.DataFrame, condition: Condition, **match):
    """The one summary row of ``condition`` with the given measure values, or None."""
    if table.empty:
        return None
    chosen = table["condition"] == condition.label
    for column, value in match.items():
        chosen &= table[column] == value
    rows = table[chosen]
    return None if rows.empty else rows.iloc[0]


def _setup_section(build: _Build) -> dict:
    study = build.folder.study
    data = study.get("data") or {}
    if data.get("simulate"):
        options = {k: v for k, v in data.items() if k not in ("simulate", "path", "dataset")}
        generator = GENERATORS.get(data["simulate"], data["simulate"])
        data_text = f"simulated: {data['simulate']} (seqlens.synthetic.{generator}), {_settings_text(options)}"
    elif data.get("dataset"):
        data_text = f"named dataset {data['dataset']} (seqlens.data.load, checksum verified)"
    else:
        data_text = f"HDF5 file {data.get('path')}"
    levels = build.folder.levels
    grid = pd.DataFrame({"factor": list(levels), "levels": [", ".join(v) for v in levels.values()],
                         "n_levels": [len(v) for v in levels.values()]})
    build.table("grid", grid)
    models = study.get("models") or {}
    fit_keys = ("epochs", "batch_size", "lr", "lr_decay", "lr_patience", "early_stopping_patience", "monitor", "l2",
                "rc_augment")
    attribution = study.get("attribution")
    if attribution:
        variants = ["corrected" if c else "raw" for c in dict.fromkeys(attribution.get("corrected", [False]))]
        limit = attribution.get("limit")
        attribution_text = (f"methods {', '.join(attribution.get('methods', []))}; variants of gradient methods: "
                            f"{', '.join(variants)}; {'every' if limit == 0 else f'the first {limit}'} "
                            f"{'positive ' if attribution.get('positives') else ''}test sequences of target "
                            f"{attribution.get('target')}; maps of the first {attribution.get('keep_maps')} kept"
                            + (f"; parameters {_settings_text(attribution.get('params'))}" if attribution.get("params")
                               else ""))
    else:
        attribution_text = "none (no attribution section)"
    scoring, filters = study.get("scoring") or {}, study.get("filters") or {}
    papers = [f"{key}: {PAPERS.get(key, 'unknown paper')}" for key in study.get("reproduces", [])]
    units = int(np.prod([len(v) for v in levels.values()]))
    return {
        "items": [
            ("reproduces", "; ".join(papers) or "-"),
            ("scale", build.folder.record.get("scale") or study.get("scale") or "none"),
            ("data", data_text),
            ("grid", f"{units} units: " + " x ".join(f"{f} ({len(v)})" for f, v in levels.items())),
            ("model options", _settings_text(models.get("options")) if models.get("options") else "-"),
            ("configs", _settings_text(models.get("configs"))),
            ("fit", _settings_text({k: models.get(k) for k in fit_keys})),
            ("evaluation", ", ".join(study.get("evaluation", []))),
            ("attribution", attribution_text),
            ("scoring", f"convention {scoring.get('convention')} (threshold {scoring.get('threshold') or 'its default'}"
                        f", top {scoring.get('top_k')} background positions for SNR)"),
            ("filters", _settings_text(filters) if "filters" in study.get("evaluation", []) else "not analysed"),
            *([("global importance analysis", _settings_text(study["gia"]))] if study.get("gia") else []),
        ],
        "grid": {"columns": ["factor", "levels", "n levels"], "rows": grid.astype(str).to_numpy().tolist(),
                 "data": f"{DATA_FOLDER}/grid.csv"},
    }


def _package_versions() -> list[tuple[str, str]]:
    versions = []
    for name in PACKAGES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "not installed"))
    return versions


def _provenance_section(build: _Build, built: str) -> dict:
    folder = build.folder
    expected = int(np.prod([len(v) for v in folder.levels.values()]))
    items = [
        ("data checksum", folder.record.get("data_checksum") or "-"),
        ("seqlens version of the run", folder.record.get("seqlens_version") or "-"),
        ("seqlens version of this report", __version__),
        ("report built", built),
        ("units", f"{len(folder.units)} done, {len(folder.failures)} failed, "
                  f"{max(expected - len(folder.units) - len(folder.failures), 0)} not run, of {expected}"),
    ]
    packages = _package_versions()
    rows = items + [(f"package {name}", version) for name, version in packages]
    build.table("provenance", pd.DataFrame(rows, columns=["item", "value"]))
    return {"items": items, "packages": packages,
            "study_json": json.dumps(folder.study, indent=2, sort_keys=False, default=str)}


def _classification_task(table: pd.DataFrame) -> str | None:
    """The task the performance tables show: ``mean`` (over tasks) when there are several, else the one."""
    tasks = list(dict.fromkeys(table["task"]))
    return "mean" if "mean" in tasks else (tasks[0] if tasks else None)


def _performance_section(build: _Build) -> dict:
    folder = build.folder
    summary = _rows(build, "summary", "classification", {**CLASSIFICATION_METRICS, **CONTROL_METRICS})
    section: dict = {"table": None, "figure": None, "training": None, "task": None}
    if not summary.empty:
        task = _classification_task(summary)
        summary = summary[summary["task"] == task]
        section["task"] = task
        data = build.table("test_performance", summary)
        metrics = {**CLASSIFICATION_METRICS, **{m: label for m, label in CONTROL_METRICS.items() if (summary["metric"] == m).any()}}
        rows = [[c.label, *[_mean_sd(_lookup(summary, c, metric=m)) for m in metrics]]
                for c in folder.conditions if _lookup(summary, c) is not None]
        section["table"] = {"columns": ["condition", *metrics.values()], "rows": rows, "data": data}
        per_unit = _rows(build, "results", "classification", ["auroc", "aupr_trapezoid"], task=task)
        if not per_unit.empty and per_unit["value"].astype(float).notna().any():
            per_unit = per_unit.assign(panel=per_unit["metric"])
            data = build.table("test_performance_units", per_unit)
            panels = {"auroc": "test AUROC", "aupr_trapezoid": "test AUPR"}
            from ..plotting import seed_points_figure

            figure = seed_points_figure(per_unit, "condition", None, panels)
            section["figure"] = build.svg_figure("test performance", "fig-performance", figure, data)
    training = _rows(build, "summary", "training", ["epochs", "best_epoch", "stopped_at_cap"])
    if not training.empty:
        data = build.table("training", training)
        rows = []
        for condition in folder.conditions:
            at_cap = _lookup(training, condition, metric="stopped_at_cap")
            if at_cap is None:
                continue
            stopped = "-" if pd.isna(at_cap["mean"]) else f"{round(at_cap['mean'] * at_cap['n'])} of {int(at_cap['n'])}"
            rows.append([condition.label, _mean_sd(_lookup(training, condition, metric="epochs"), 1),
                         _mean_sd(_lookup(training, condition, metric="best_epoch"), 1), stopped])
        cap = (folder.study.get("models") or {}).get("epochs")
        section["training"] = {"columns": ["condition", "epochs trained", "best epoch", f"stopped at the cap ({cap})"],
                               "rows": rows, "data": data}
    return section


def _method_order(build: _Build, table: pd.DataFrame) -> list[tuple[str, str]]:
    methods = list(dict.fromkeys([*((build.folder.study.get("attribution") or {}).get("methods") or []),
                                  *table["method"]]))
    pairs = set(zip(table["method"], table["variant"]))
    return [(m, v) for m in methods for v in ("raw", "corrected") if (m, v) in pairs]


def _interpretability_section(build: _Build) -> dict:
    folder = build.folder
    summary = _rows(build, "summary", "interpretability", INTERPRETABILITY_METRICS)
    if summary.empty:
        return {"table": None, "figure": None}
    data = build.table("interpretability", summary)
    rows = []
    for condition in folder.conditions:
        for method, variant in _method_order(build, summary):
            cells = [_mean_sd(_lookup(summary, condition, method=method, variant=variant, metric=m))
                     for m in INTERPRETABILITY_METRICS]
            if any(cell != "-" for cell in cells):
                rows.append([condition.label, method, variant, *cells])
    section = {"table": {"columns": ["condition", "method", "map", *INTERPRETABILITY_METRICS.values()], "rows": rows,
                         "data": data}, "figure": None}
    per_unit = _rows(build, "results", "interpretability", INTERPRETABILITY_METRICS)
    if not per_unit.empty and per_unit["value"].astype(float).notna().any():
        order = {pair: i for i, pair in enumerate(_method_order(build, per_unit))}
        pairs = zip(per_unit["method"], per_unit["variant"])
        per_unit = per_unit.assign(panel=per_unit["metric"], map=per_unit["method"] + " (" + per_unit["variant"] + ")",
                                   _order=[order.get(pair, len(order)) for pair in pairs])
        per_unit = per_unit.sort_values("_order", kind="stable").drop(columns="_order")
        data = build.table("interpretability_units", per_unit)
        from ..plotting import seed_points_figure

        figure = seed_points_figure(per_unit, "map", "condition", INTERPRETABILITY_METRICS)
        section["figure"] = build.svg_figure("interpretability", "fig-interpretability", figure, data)
    return section


def _angles_section(build: _Build) -> dict:
    summary = _rows(build, "summary", "angles", ANGLE_METRICS)
    if summary.empty:
        return {"table": None}
    data = build.table("angles", summary)
    positions = [p for p in ("all", "motif", "background") if p in set(summary["positions"])]
    positions += [p for p in dict.fromkeys(summary["positions"]) if p not in positions]
    rows = []
    for condition in build.folder.conditions:
        for method in dict.fromkeys(summary["method"]):
            for where in positions:
                cells = [_mean_sd(_lookup(summary, condition, method=method, positions=where, metric=m),
                                  1 if m == "mean" else 3) for m in ANGLE_METRICS]
                if any(cell != "-" for cell in cells):
                    rows.append([condition.label, method, where, *cells])
    return {"table": {"columns": ["condition", "method", "positions", *ANGLE_METRICS.values()], "rows": rows,
                      "data": data}}


def _comparisons_section(build: _Build) -> dict:
    comparisons = build.folder.comparisons
    needed = {"analysis", "metric", "factor", "level_a", "level_b", "mean_diff"}
    if comparisons.empty or not needed <= set(comparisons.columns):
        return {"table": None, "sentence": ""}
    key = [(a, m) in KEY_COMPARISONS for a, m in zip(comparisons["analysis"], comparisons["metric"])]
    table = comparisons[key].reset_index(drop=True)
    if "task" in table.columns and (table["analysis"] == "classification").any():
        task = _classification_task(table[table["analysis"] == "classification"])
        table = table[(table["analysis"] != "classification") | (table["task"] == task)].reset_index(drop=True)
    if table.empty:
        return {"table": None, "sentence": ""}
    data = build.table("comparisons", table)
    varying = build.folder.varying
    rows = []
    for record in table.head(MAX_COMPARISON_ROWS).to_dict("records"):
        within = [_level_text(f, record[f]) for f in varying if f in record and record[f] and f != record["factor"]]
        measure = [record.get("method", ""), record.get("variant", "") and f"({record['variant']})"]
        measure = " ".join(part for part in measure if part)
        rows.append([
            f"{record['factor']}: {record['level_b']} − {record['level_a']}",
            ", ".join(within) or "-",
            f"{record['analysis']} {record['metric']}" + (f", {measure}" if measure else ""),
            f"{_count(record.get('n_pairs'))} ({record.get('paired_by', '')})",
            _difference(_number(record["mean_diff"]), _number(record.get("ci_low")), _number(record.get("ci_high"))),
            f"{_p_value(_number(record.get('p_wilcoxon')))} ({_p_value(_number(record.get('p_wilcoxon_adjusted')))})",
            f"{_p_value(_number(record.get('p_ttest')))} ({_p_value(_number(record.get('p_ttest_adjusted')))})",
        ])
    if len(table) > MAX_COMPARISON_ROWS:
        build.skipped.append(f"paired tests: {len(table) - MAX_COMPARISON_ROWS} of {len(table)} rows not shown "
                             f"(all are in {data})")
    corrections = ", ".join(dict.fromkeys(table["correction"])) if "correction" in table.columns else "none recorded"
    paired_by = ", ".join(dict.fromkeys(table["paired_by"])) if "paired_by" in table.columns else "seed"
    sentence = (f"Each row compares two levels of one factor with everything else equal, pairing units by "
                f"{paired_by} (seed: one value per trained model; seed+sequence: the per-sequence scores of the same "
                "test sequences under models of the same seed). The difference is level b − level a, its mean "
                "with the 95% t interval. Two-sided paired t tests and Wilcoxon signed-rank tests back each row; "
                f"the p-values in parentheses are adjusted for multiple testing ({corrections}).")
    return {"table": {"columns": ["comparison", "within", "measure", "pairs (paired by)", "difference [95% CI]",
                                  "Wilcoxon p (adjusted)", "t-test p (adjusted)"], "rows": rows, "data": data},
            "sentence": sentence, "shown": min(len(table), MAX_COMPARISON_ROWS), "total": len(table)}


def _filters_section(build: _Build) -> dict:
    from ..evaluation.filter_report import hit_label
    from ..motifs import read_meme
    from ..plotting import plot_filters
    from ..tomtom import MATCH_CRITERIA

    folder = build.folder
    summary = _rows(build, "summary", "filters", [*FILTER_METRICS, "localization_auroc"])
    if summary.empty:
        return {"table": None, "logos": [], "caption": ""}
    data = build.table("filters", summary)
    rows = []
    for condition in folder.conditions:
        if _lookup(summary, condition) is None:
            continue
        cells = [_mean_sd(_lookup(summary, condition, metric=m), 1 if m == "n_tfs_found" else 3)
                 for m in FILTER_METRICS]
        local = [_mean_sd(_lookup(summary, condition, metric="localization_auroc", method=m))
                 for m in ("filters", "true_pwms")]
        rows.append([condition.label, *cells, *local])
    settings = folder.study.get("filters") or {}
    threshold = ", ".join(f"{name} <= {settings[key]:g}" for name, key in (("E", "evalue"), ("q", "qvalue"))
                          if settings.get(key) is not None)
    criterion = MATCH_CRITERIA.get(settings.get("criterion", ""), str(settings.get("criterion")))
    logos, hits = [], []
    for condition in folder.conditions[:MAX_LOGO_CONDITIONS]:
        unit = folder.representative(condition)
        if unit is None or not (unit.folder / "filters.meme").is_file() or not (unit.folder / "filters.csv").is_file():
            build.skipped.append(f"filter logos: no filters.meme/filters.csv for {condition.label}")
            continue
        try:
            motifs = read_meme(unit.folder / "filters.meme")
            per_filter = pd.read_csv(unit.folder / "filters.csv")
            labels = [hit_label(row) for row in per_filter.itertuples()]
        except (SeqlensError, OSError, ValueError, AttributeError) as exc:
            build.skipped.append(f"filter logos of {unit.name}: {_first_line(exc)}")
            continue
        if len(labels) != len(motifs):
            build.skipped.append(f"filter logos of {unit.name}: filters.csv and filters.meme disagree on the filters")
            continue
        shown = min(len(motifs), MAX_FILTER_LOGOS)
        hits.append(per_filter.head(shown).assign(condition=condition.label, unit=unit.name, label=labels[:shown]))
        if shown == 0:
            continue
        which = f"its {shown} filters" if shown == len(motifs) else f"the first {shown} of its {len(motifs)} filters"
        title = f"{condition.label} (seed {unit.coordinates['seed']}, {unit.name}): {which}"
        figure = plot_filters(motifs[:shown], ncols=6, labels=labels[:shown], title=title)
        image = build.png_figure("filters", f"filters-{len(logos)}", figure, f"{DATA_FOLDER}/filter_hits.csv", title)
        if image is not None:
            logos.append(image)
    if len(folder.conditions) > MAX_LOGO_CONDITIONS:
        build.skipped.append(f"filter logos: shown for the first {MAX_LOGO_CONDITIONS} of {len(folder.conditions)} "
                             "conditions")
    if hits:
        build.table("filter_hits", pd.concat(hits, ignore_index=True))
    return {
        "table": {"columns": ["condition", *FILTER_METRICS.values(), "localization AUROC (filters)",
                              "localization AUROC (true PWMs)"], "rows": rows, "data": data},
        "logos": logos,
        "caption": (f"Under each filter: its best significant Tomtom hit against JASPAR {settings.get('jaspar')} "
                    f"({threshold or 'no threshold'}); * = counted as a ground-truth TF ({criterion})."),
    }


def _attribution_logos_section(build: _Build) -> dict:
    from ..attribution import load_attributions
    from ..evaluation import score_attribution_set
    from ..plotting import attribution_logo

    folder = build.folder
    if "interpretability" not in folder.study.get("evaluation", []):
        return {"groups": []}
    scoring = folder.study.get("scoring") or {}
    groups, shown = [], []
    for condition in folder.conditions[:MAX_LOGO_CONDITIONS]:
        unit = folder.representative(condition)
        path = None if unit is None else unit.folder / "maps.h5"
        if path is None or not path.is_file():
            build.skipped.append(f"attribution logos: no maps.h5 for {condition.label} (keep_maps 0 or not finished)")
            continue
        try:
            scored = score_attribution_set(load_attributions(path), convention=scoring.get("convention", "002"),
                                           threshold=scoring.get("threshold"), top_k=scoring.get("top_k", 20))
        except (SeqlensError, OSError) as exc:
            build.skipped.append(f"attribution logos of {unit.name}: {_first_line(exc)}")
            continue
        attributions = scored.attributions
        for method, why in scored.failed.items():
            build.skipped.append(f"attribution logos of {unit.name}: {method} maps failed a check ({why})")
        images = []
        for index in range(min(LOGO_SEQUENCES, len(attributions.X))):
            for method, variant, _ in attributions.iter_maps():
                row = int(attributions.rows[index])
                title = (f"{condition.label} (seed {unit.coordinates['seed']}): {method.method} ({variant}), "
                         f"test sequence {row}")
                figure = attribution_logo(scored, method.method, variant, index, title=title)
                image = build.png_figure("attribution logos", f"logo-{len(shown)}", figure,
                                         f"{DATA_FOLDER}/attribution_logos.csv", title)
                if image is not None:
                    images.append(image)
                    shown.append({"condition": condition.label, "unit": unit.name, "method": method.method,
                                  "variant": variant, "sequence": index, "test_row": row})
        groups.append({"condition": condition.label, "unit": unit.name, "images": images})
    if len(folder.conditions) > MAX_LOGO_CONDITIONS:
        build.skipped.append(f"attribution logos: shown for the first {MAX_LOGO_CONDITIONS} of "
                             f"{len(folder.conditions)} conditions")
    if shown:
        build.table("attribution_logos", pd.DataFrame(shown))
    return {"groups": groups}


def _gia_rule_text(rule: dict | None) -> str:
    """The data's grammar rule in words: its task, motifs and parameters, and the label it sets."""
    if not rule:
        return "none (the data has no grammar rule: its metadata names no 'rule')"
    skip = {"task", "label", "spacing_definition", "distance_definition"}
    parts = [f"{key}={value}" for key, value in rule.items() if key not in skip and not str(key).endswith("_id")]
    ids = [f"{rule[key]} ({rule[key + '_id']})" for key in rule if f"{key}_id" in rule and rule[f"{key}_id"]]
    text = f"{rule.get('task', 'rule')}: {', '.join(parts)}"
    if ids:
        text += f"; motifs {', '.join(ids)}"
    if rule.get("label"):
        text += f". Label: {rule['label']}"
    definition = rule.get("spacing_definition") or rule.get("distance_definition")
    if definition:
        text += f". Gap: {definition}"
    return text


def _gia_metric_order(experiment: str, summary: pd.DataFrame) -> dict[str, str]:
    metrics = dict(GIA_METRICS.get(experiment, {}))
    present = list(dict.fromkeys(summary["metric"]))
    if not metrics:  # copies: effect_k1, marginal_k2, ... as recorded
        return {m: m.replace("_k", " k=") for m in present}
    return {m: label for m, label in metrics.items() if m in present}


def _gia_section(build: _Build) -> dict:
    """Per GIA experiment: mean ± SD over seeds of the metrics by condition, the rule, the curves of one unit."""
    folder = build.folder
    summary = folder.summary
    if summary.empty or "analysis" not in summary.columns or not (summary["analysis"] == "gia").any():
        return {"shown": False}
    summary = build.condition_columns(summary[summary["analysis"] == "gia"].reset_index(drop=True))
    build.table("gia", summary)
    tables = []
    for experiment in [e for e in ("position", "spacing", "copies") if e in set(summary["method"])]:
        rows_of = summary[summary["method"] == experiment]
        metrics = _gia_metric_order(experiment, rows_of)
        data = build.table(f"gia_{experiment}", rows_of)
        measures = rows_of[["task", "variant", "positions"]].drop_duplicates().to_records(index=False).tolist()
        rows = []
        for condition in folder.conditions:
            for task, variant, positions in measures:
                cells = [_mean_sd(_lookup(rows_of, condition, task=task, variant=variant, positions=positions,
                                          metric=m), 1 if m.startswith(("n_", "interaction_peak_distance",
                                                                         "effect_max_position")) else 3)
                         for m in metrics]
                if any(cell != "-" for cell in cells):
                    where = [positions or "-"] if experiment == "spacing" else []
                    rows.append([condition.label, task, variant, *where, *cells])
        where = ["orientation"] if experiment == "spacing" else []
        tables.append({"title": GIA_EXPERIMENT_TITLES.get(experiment, experiment),
                       "table": {"columns": ["condition", "pattern", "model", *where, *metrics.values()],
                                 "rows": rows, "data": data}})
    section = {"shown": True, "tables": tables, "rule": "-", "nulls": "-", "figures": [], "unit": None}
    unit = next((u for u in folder.units if (u.folder / "gia.json").is_file()), None)
    if unit is None:
        build.skipped.append("GIA: no finished unit has gia.json (the rule and curves are not shown)")
        return section
    try:
        record = json.loads((unit.folder / "gia.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        build.skipped.append(f"GIA: gia.json of {unit.name} is unreadable ({type(exc).__name__})")
        return section
    section["rule"] = _gia_rule_text(record.get("rule"))
    section["nulls"] = (f"{record.get('nulls', '-')} of the {record.get('split', 'test')} split; effects on the "
                        f"{record.get('scale', 'model output')} of output {record.get('target', '?')}")
    section["unit"] = unit.name
    from ..plotting import gia_position_plot, gia_spacing_plot

    curves = (("spacing", "gia_spacing.csv", gia_spacing_plot,
               "Joint effect of A+B, additive expectation (A alone + B alone) and interaction vs the gap"),
              ("position", "gia_position.csv", gia_position_plot, "Mean effect of each motif vs its start"))
    for experiment, file_name, plot, what in curves:
        path = unit.folder / file_name
        if not path.is_file():
            continue
        try:
            table = pd.read_csv(path)
            if "variant" in table.columns:
                table = table[table["variant"] == "trained"]
            data = build.table(f"gia_{experiment}_curve", table.assign(unit=unit.name))
            title = f"{unit.name} (first finished unit): {experiment}"
            drawn = plot(table, title=title)
            figure = drawn if hasattr(drawn, "savefig") else drawn.get_figure()
        except (SeqlensError, OSError, ValueError, KeyError) as exc:
            build.skipped.append(f"GIA {experiment} curve of {unit.name}: {_first_line(exc)}")
            continue
        spec = build.svg_figure("gia", f"fig-gia-{experiment}", figure, data)
        spec["caption"] = (f"{what}, for {unit.name}: means over the nulls with 95% bootstrap bands; stars mark "
                           f"BH q < {GIA_ALPHA:g} (Wilcoxon signed-rank over the nulls).")
        section["figures"].append(spec)
    return section


def _claims_section(build: _Build) -> dict:
    claims = build.folder.claims
    if claims is None:
        return {"rows": None}
    data = build.table("claims", claims)
    records = claims.to_dict("records")
    # the test behind the tested claims, said once when they share it; an untested claim says why beside "ours"
    tested = [r for r in records if r.get("verdict", "").strip().lower() != "untested"]
    tests = list(dict.fromkeys(r.get("test", "") for r in tested))
    shared_test = tests[0] if len(tests) == 1 else ""
    rows = []
    for record in records:
        verdict = record.get("verdict", "").strip().lower()
        ours = record.get("ours", "") or "-"
        if verdict == "untested" and record.get("test") and shared_test:
            ours = f"{ours} ({record['test']})"
        relation = {"greater": ">", "less": "<"}.get(record.get("expect", ""), "vs")
        expected = f"{record.get('factor', '')}: {record.get('level_b', '')} {relation} {record.get('level_a', '')}"
        pairs = _count(record.get("n_pairs"))
        if pairs != "-":
            pairs += f" ({record.get('paired_by') or '?'})"
        cells = [record.get("id", ""), record.get("text", ""), record.get("paper", "") or "-", expected,
                 ours, _count(record.get("conditions")), pairs,
                 _p_value(_number(record.get("p_adjusted")))]
        if not shared_test:
            cells.append(record.get("test", ""))
        rows.append({"cells": cells, "verdict": verdict or "untested",
                     "verdict_class": verdict if verdict in VERDICTS else "untested"})
    counts = {v: sum(r["verdict_class"] == v for r in rows) for v in VERDICTS}
    columns = ["claim", "what the paper says", "paper's numbers", "expected", "ours (per condition)", "conditions",
               "pairs (paired by)", "p adjusted (largest)", *([] if shared_test else ["test"]), "verdict"]
    return {"rows": rows, "data": data, "counts": counts, "columns": columns, "test": shared_test}


def _warnings_section(build: _Build) -> list[list[str]]:
    from ..training import training_check

    folder = build.folder
    rows = [["failed", f["name"], _first_line(f["error"]) or "no error recorded"] for f in folder.failures]
    for unit in folder.units:
        for message in dict.fromkeys(unit.done.get("warnings") or []):
            if message.startswith(GIA_WARNING):  # the GC mirage and other null-diagnostic warnings
                rows.append(["GIA null diagnostics", unit.name, _first_line(message.removeprefix(GIA_WARNING))])
            else:
                rows.append(["warning during the run", unit.name, _first_line(message)])
    results = folder.results
    if not results.empty:
        failed_maps = results[(results["analysis"] == "attribution") & (results["metric"] == "maps_failed")]
        for _, row in failed_maps.iterrows():
            rows.append(["maps failed a check, not scored", row["unit"],
                         f"{row['method']}: the check failed on {float(row['value']):.1%} of {int(row['n'])} checked "
                         "cases (the unit's warning says which); its maps are left out of every score"])
        at_cap = results[(results["analysis"] == "training") & (results["metric"] == "stopped_at_cap")
                         & (results["value"].astype(float) > 0)]
        cap = (folder.study.get("models") or {}).get("epochs")
        for name in dict.fromkeys(at_cap["unit"]):
            history = folder.root / "units" / name / "model" / "history.csv"
            flags = []
            if history.is_file() and cap:
                flags = training_check(pd.read_csv(history), int(cap))["flags"]
            rows.append(["stopped at the epoch cap", name, flags[0] if flags else f"trained all {cap} epochs"])
    rows += [["skipped by the report", "", note] for note in [*folder.notes, *build.skipped]]
    build.table("warnings", pd.DataFrame(rows, columns=["kind", "unit", "message"]))
    if len(rows) > MAX_WARNING_ROWS:
        rows = rows[:MAX_WARNING_ROWS] + [["skipped by the report", "",
                                           f"{len(rows) - MAX_WARNING_ROWS} more rows in {DATA_FOLDER}/warnings.csv"]]
    return rows


# -----------------------------------------------------------------------------------------
# The page
# -----------------------------------------------------------------------------------------


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def build_report(out_dir: str | Path) -> Path:
    """Write ``DIR/report.html`` and ``DIR/report_data/*.csv`` for the study output folder ``out_dir``.

    See the module docstring for what the page holds. Raises :class:`StudyError` (one line,
    naming the folder) when ``out_dir`` holds no ``study.json``. Returns the page's path; the
    data tables are ``report_data_files(out_dir)``. CSVs an earlier build left in
    ``report_data`` that this build did not write are removed, so the folder always matches the page.
    """
    folder = read_study_folder(out_dir)
    build = _Build(folder)
    built = datetime.now(timezone.utc).isoformat(timespec="seconds")
    study = folder.study
    evaluation = study.get("evaluation", [])
    context = {
        "name": study.get("name", folder.root.name),
        "title": study.get("title") or study.get("name", folder.root.name),
        "question": study.get("question", ""),
        "evaluation": evaluation,
        "conditions": [c.label for c in folder.conditions],
        "setup": _setup_section(build),
        "provenance": _provenance_section(build, built),
        "performance": _performance_section(build),
        "interpretability": _interpretability_section(build),
        "angles": _angles_section(build),
        "comparisons": _comparisons_section(build),
        "filters": _filters_section(build),
        "logos": _attribution_logos_section(build),
        "gia": _gia_section(build),
        "claims": _claims_section(build),
    }
    context["warnings"] = _warnings_section(build)  # last: it lists what the other sections skipped
    build.table("figures", pd.DataFrame(build.figures, columns=["section", "figure", "format", "bytes", "data"]))
    html = _environment().get_template(TEMPLATE_NAME).render(**context)
    data_dir = folder.root / DATA_FOLDER
    written = {write_csv(table, data_dir / f"{name}.csv") for name, table in build.tables.items()}
    for stale in set(data_dir.glob("*.csv")) - written:
        stale.unlink()
    path = folder.root / REPORT_NAME
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path


def report_data_files(out_dir: str | Path) -> list[Path]:
    """The data tables of the report in ``out_dir`` (``report_data/*.csv``), sorted by name."""
    return sorted((Path(out_dir) / DATA_FOLDER).glob("*.csv"))
