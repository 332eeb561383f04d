"""Global importance analysis in studies: the ``gia`` section, what a unit computes and writes,
the tables (trained vs randomised pairs, claims), the report's GIA section, resuming.

One tiny study runs once for the module: a cooperative-pair grammar (600 sequences), cnn_local,
two seeds, one epoch, 30 nulls, a handful of positions and distances, and every experiment.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import xml.etree.ElementTree as ElementTree

import pandas as pd
import pytest

from seqlens.errors import StudyError
from seqlens.experiments import expand_units, load_study, parse_study, run_study, run_unit
from seqlens.experiments.report import DATA_FOLDER, build_report
from seqlens.experiments.work import GIA_WARNING

TINY = {
    "name": "tiny-gia",
    "title": "Tiny GIA study",
    "question": "Does GIA recover the planted spacing?",
    "reproduces": ["001"],
    "data": {"simulate": "cooperative-pair", "n": 600, "seed": 0, "spacing": 20, "tolerance": 2},
    "models": {"architectures": ["cnn_local"], "seeds": [0, 1], "epochs": 1},
    "evaluation": ["gia"],
    "gia": {"n_null": 30, "positions": "0:180:60", "distances": [0, 10, 20, 30], "orientations": ["++"],
            "experiments": ["position", "spacing", "copies"], "copies": 2, "n_resamples": 100},
    "claims": [{"id": "trained-beats-randomized", "text": "trained models have larger motif effects",
                "factor": "variant", "a": "randomized", "b": "trained",
                "where": {"analysis": "gia", "method": "position", "metric": "effect_max"}}],
}
POSITION_METRICS = {"effect_max", "effect_max_position", "effect_centre", "n_significant"}
SPACING_METRICS = {"interaction_peak", "interaction_peak_distance", "n_significant", "interaction_at_rule",
                   "interaction_at_rule_ci_low", "interaction_at_rule_ci_high", "rule_recovered",
                   "n_significant_off_rule"}


def study(**gia) -> dict:
    document = copy.deepcopy(TINY)
    document["gia"].update(gia)
    return document


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("gia") / "out"
    report = run_study(parse_study(study()), out, workers=0, verbose=False)
    assert not report.failed, report.failed
    return out, report


# ---------------------------------------------------------------------------------------------
# The study file
# ---------------------------------------------------------------------------------------------


def test_evaluation_gia_alone_takes_every_default():
    parsed = parse_study({"name": "g", "data": {"simulate": "cooperative-pair", "n": 600},
                          "models": {"architectures": ["cnn_local"]}, "evaluation": ["gia"]})
    spec = parsed.gia
    assert spec.motifs == "auto" and spec.null == "dinuc" and spec.n_null == 500 and spec.experiments is None
    assert spec.positions is None and spec.distances is None and spec.copies == 3 and spec.split == "test"
    assert spec.randomized_control is True and spec.target == 0
    (unit,) = expand_units(parsed, "x")
    assert unit.settings["gia"] == spec.model_dump(mode="json")
    plain = parse_study({"name": "g", "data": {"simulate": "cooperative-pair", "n": 600},
                         "models": {"architectures": ["cnn_local"]}})
    assert plain.gia is None and "gia" not in expand_units(plain, "x")[0].settings  # old keys unchanged


def test_bad_gia_settings_name_the_key():
    def error(**gia):
        with pytest.raises(StudyError) as caught:
            parse_study(study(**gia))
        return str(caught.value)

    bad = copy.deepcopy(TINY)
    bad["gia"]["nulls"] = "dinuc"
    with pytest.raises(StudyError, match=r"unknown key 'gia\.nulls'; did you mean 'null'"):
        parse_study(bad)
    assert "gia.positions" in error(positions="40:10") and "FIRST:LAST" in error(positions="40:10")
    assert "gia.null" in error(null="uniform")
    assert "gia.experiments" in error(experiments=["kmers"])
    assert "spacing" in error(motifs=["GGGCGG"], experiments=["spacing"])
    assert "gia.orientations" in error(orientations=["+*"])
    no_gia = copy.deepcopy(TINY)
    no_gia["evaluation"] = ["classification"]
    with pytest.raises(StudyError, match="needs 'gia' in evaluation"):
        parse_study(no_gia)


def test_a_yaml_null_key_means_the_null_setting(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("name: g\ndata: {simulate: cooperative-pair, n: 600}\nmodels: {architectures: [cnn_local]}\n"
                    "evaluation: [gia]\ngia:\n  null: profile\n  motifs: GATA1\n")
    loaded = load_study(path)
    assert loaded.gia.null == "profile" and loaded.gia.motifs == ["GATA1"]


def test_the_bundled_gia_study():
    quick, paper = load_study("gia", "quick"), load_study("gia", "paper")
    assert quick.reproduces == ["001"] and "spacing" in quick.question
    assert quick.data.simulate == "cooperative-pair" and quick.gia.n_null == 200 and len(quick.models.seeds) == 2
    assert len(paper.models.seeds) == 10 and paper.models.epochs == 100 and paper.gia.n_null == 1000
    assert any(c.factor == "variant" and c.a == "randomized" for c in quick.claims)


# ---------------------------------------------------------------------------------------------
# A unit and the run
# ---------------------------------------------------------------------------------------------


def test_a_gia_unit_writes_its_tables_and_records(finished):
    out, _ = finished
    folder = out / "units" / "cnn_local-relu-standard-seed0"
    for name in ("gia_position.csv", "gia_spacing.csv", "gia_copies.csv", "gia.json", "records.csv"):
        assert (folder / name).is_file(), name
    position = pd.read_csv(folder / "gia_position.csv")
    assert set(position["variant"]) == {"trained", "randomized"}
    assert set(position["pattern"]) == {"Gata1", "TAL1::TCF3"} and set(position["position"]) == {0, 60, 120, 180}
    spacing = pd.read_csv(folder / "gia_spacing.csv")
    assert list(spacing["distance"]) == [0, 10, 20, 30] and set(spacing["orientation"]) == {"++"}
    assert {"interaction", "interaction_ci_low", "interaction_ci_high", "q_interaction_wilcoxon"} <= set(spacing)
    assert list(pd.read_csv(folder / "gia_copies.csv")["copies"]) == [1, 2, 1, 2]
    record = json.loads((folder / "gia.json").read_text())
    assert record["rule"]["spacing"] == 20 and record["motifs"] == ["Gata1", "TAL1::TCF3"]
    assert record["planted_spacing"] == {"spacing": 20, "tolerance": 2} and "warnings" in record["diagnostics"]
    done = json.loads((folder / "done.json").read_text())
    assert "gia" in done["phases"]

    results = pd.read_csv(out / "results.csv", keep_default_na=False)
    gia = results[(results["analysis"] == "gia") & (results["unit"] == folder.name)]
    assert set(gia[gia["method"] == "position"]["metric"]) == POSITION_METRICS
    spacing_rows = gia[gia["method"] == "spacing"]
    assert set(spacing_rows["metric"]) == SPACING_METRICS
    assert set(spacing_rows["task"]) == {"Gata1+TAL1::TCF3"} and set(spacing_rows["positions"]) == {"++"}
    at_rule = spacing_rows[spacing_rows["metric"] == "interaction_at_rule"]["value"].iloc[0]
    assert at_rule == pytest.approx(spacing.loc[spacing["distance"] == 20, "interaction"].iloc[0])
    peak = spacing.loc[spacing["interaction"].idxmax()]
    recovered = spacing_rows[spacing_rows["metric"] == "rule_recovered"]["value"].iloc[0]
    assert recovered == float(abs(peak["distance"] - 20) <= 2)
    trained = position[(position["variant"] == "trained") & (position["pattern"] == "Gata1")]
    effect_max = gia[(gia["method"] == "position") & (gia["variant"] == "trained") & (gia["task"] == "Gata1")
                     & (gia["metric"] == "effect_max")]
    assert effect_max["value"].iloc[0] == pytest.approx(trained["mean"].max())
    assert effect_max["n"].iloc[0] == 30
    assert {"effect_k1", "effect_k2", "marginal_k2"} == set(gia[gia["method"] == "copies"]["metric"])


def test_trained_and_randomized_models_are_paired_by_seed_and_claims_use_them(finished):
    out, _ = finished
    comparisons = pd.read_csv(out / "comparisons.csv", keep_default_na=False)
    pairs = comparisons[(comparisons["analysis"] == "gia") & (comparisons["factor"] == "variant")]
    assert set(pairs["level_a"]) == {"randomized"} and set(pairs["level_b"]) == {"trained"}
    assert set(pairs["method"]) == {"position"} and set(pairs["n_pairs"].astype(int)) == {2}
    claims = pd.read_csv(out / "claims.csv", keep_default_na=False)
    assert claims.loc[0, "verdict"] in ("reproduced", "partly", "not") and claims.loc[0, "paired_by"] == "seed"


def test_run_unit_refuses_auto_motifs_the_data_does_not_name(finished):
    from seqlens.data import load_h5

    out, _ = finished
    dataset = load_h5(out / "data.h5")
    dataset.metadata = {}
    (unit,) = expand_units(parse_study({**study(), "models": {"architectures": ["cnn_local"], "epochs": 1}}), "x")
    with pytest.raises(StudyError, match="gia.motifs auto"):
        run_unit(unit.settings, dataset)


def test_a_rerun_skips_the_finished_units(finished):
    out, _ = finished
    before = (out / "results.csv").read_text()
    again = run_study(parse_study(study()), out, workers=0, verbose=False, report=False)
    assert {p.action for p in again.plan} == {"skip"} and again.done == []
    assert (out / "results.csv").read_text() == before


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------


def test_the_report_has_a_gia_section_with_tables_figures_and_the_rule(finished):
    out, _ = finished
    html = (out / "report.html").read_text(encoding="utf-8")
    for heading in ("8. Attribution logos against the ground truth", "9. Global importance analysis",
                    "10. The papers' numbers beside ours", "11. Warnings"):
        assert f">{heading}</h2>" in html
    section = html[html.index('<section id="gia">'):html.index('<section id="claims">')]
    assert "cooperative-pair" in section and "spacing=20" in section and "tolerance=2" in section
    assert "Wilcoxon signed-rank" in section and "bootstrap" in section
    for title in ("Position: one motif", "Spacing: A and B", "Copies:"):
        assert title in section
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False)
    row = summary[(summary["analysis"] == "gia") & (summary["metric"] == "effect_max")
                  & (summary["variant"] == "trained") & (summary["task"] == "Gata1")].iloc[0]
    assert f"{row['mean']:.3f} ± {row['sd']:.3f} (n = 2)" in section
    svgs = re.findall(r"<svg\b.*?</svg>", section, flags=re.DOTALL)
    assert len(svgs) == 2  # the spacing and position curves of the first unit
    for svg in svgs:
        ElementTree.fromstring(svg)
    assert "<script" not in html.lower()
    ids = re.findall(r"\bid=\"([^\"]+)\"", html)
    assert len(ids) == len(set(ids))
    figures = pd.read_csv(out / DATA_FOLDER / "figures.csv")
    assert set(figures[figures["section"] == "gia"]["figure"]) == {"fig-gia-spacing", "fig-gia-position"}
    names = {path.stem for path in (out / DATA_FOLDER).glob("*.csv")}
    assert {"gia", "gia_position", "gia_spacing", "gia_copies", "gia_spacing_curve", "gia_position_curve"} <= names
    curve = pd.read_csv(out / DATA_FOLDER / "gia_spacing_curve.csv")
    assert set(curve["unit"]) == {"cnn_local-relu-standard-seed0"} and len(curve) == 4


def test_null_diagnostic_warnings_reach_the_report(finished, tmp_path):
    out, _ = finished
    copied = tmp_path / "out"
    shutil.copytree(out, copied)
    done_path = copied / "units" / "cnn_local-relu-standard-seed1" / "done.json"
    done = json.loads(done_path.read_text())
    done["warnings"] = [GIA_WARNING + "nulls differ from the data in GC content: 0.600 vs 0.400"]
    done_path.write_text(json.dumps(done))
    html = build_report(copied).read_text(encoding="utf-8")
    assert "<td>GIA null diagnostics</td><td>cnn_local-relu-standard-seed1</td>" in html
    assert "nulls differ from the data in GC content" in html


def test_a_report_without_gia_keeps_its_numbering(finished, tmp_path):
    out, _ = finished
    copied = tmp_path / "out"
    shutil.copytree(out, copied)
    for name in ("summary.csv", "results.csv"):
        table = pd.read_csv(copied / name, keep_default_na=False)
        table[table["analysis"] != "gia"].to_csv(copied / name, index=False)
    html = build_report(copied).read_text(encoding="utf-8")
    assert "Global importance analysis</h2>" not in html
    assert ">9. The papers' numbers beside ours</h2>" in html and ">10. Warnings</h2>" in html


def test_chromium_renders_the_gia_section(finished, tmp_path):
    """The GIA section and its two inline SVG figures survive a real browser (skips without chromium)."""
    from test_report import chromium

    out, _ = finished
    dom = chromium("--dump-dom", (out / "report.html").as_uri(), profile=tmp_path / "profile").stdout
    assert ">9. Global importance analysis</h2>" in dom
    section = dom[dom.index('<section id="gia">'):dom.index('<section id="claims">')]
    assert len(re.findall(r"<svg\b", section)) == 2
