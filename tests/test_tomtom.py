"""Tomtom tables, match statistics and the numba cache set-up.

The last tests run memelite's Tomtom for real: its numba kernels compile once per machine
(about 60-80 s on a busy 2-core machine) into the on-disk cache that ``numba_cache_dir``
sets up; later runs load them in well under a second. The default run pays that once.
"""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import seqlens.tomtom as tomtom_module
from seqlens.alphabet import one_hot_encode, random_sequences
from seqlens.errors import SeqlensError
from seqlens.evaluation import filter_ppms
from seqlens.tomtom import (
    best_hits,
    match_statistics,
    numba_cache_dir,
    significant_hits,
    tomtom_table,
)
from seqlens.motifs import Motif, get_motif, load_jaspar, load_motifs, write_meme


def _motif(name, consensus, id=None):
    return Motif(name=name, ppm=one_hot_encode(consensus) * 0.94 + 0.015, id=id)


# --- numba cache ---------------------------------------------------------------------------


def test_numba_cache_dir_defaults_to_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", "placeholder")  # restored after the test
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if "numba" in sys.modules:
        from numba.core import config

        monkeypatch.setattr(config, "CACHE_DIR", config.CACHE_DIR)
    path = numba_cache_dir()
    assert path == tmp_path / "seqlens" / "numba" and path.is_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == str(path)
    if "numba" in sys.modules:
        assert sys.modules["numba"].core.config.CACHE_DIR == str(path)


def test_numba_cache_dir_respects_user_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    if "numba" in sys.modules:
        from numba.core import config

        monkeypatch.setattr(config, "CACHE_DIR", config.CACHE_DIR)
    assert numba_cache_dir() == tmp_path / "mine"


def test_numba_cache_is_configured_before_memelite_import(tmp_path):
    # In a fresh process, numba must see the directory when memelite's kernels are defined.
    code = (
        "import seqlens.tomtom as t; t._memelite_tomtom(); "
        "from numba.core import config; print(config.CACHE_DIR)"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(tmp_path / "seqlens" / "numba")


# --- table assembly (memelite replaced by a stub with known p-values) ------------------------


def test_tomtom_table_e_and_q_values(monkeypatch):
    queries = [_motif("q0", "ACGTAC"), _motif("q1", "GGGCCC")]
    targets = [_motif("T0", "ACGTAC", "MA0001.1"), _motif("Gmeb1", "TTTTTT", "MA0615.1"),
               _motif("T1", "CCCGGG", "MA0002.1"), _motif("T2", "ACGTTT", "MA0003.1")]
    seen = {}

    def fake_tomtom(Qs, Ts, n_jobs):
        seen.update(Q=Qs, T=Ts, n_jobs=n_jobs)
        p = np.array([[0.01, 0.2, 0.001], [0.5, 0.04, 0.3]])
        offsets = np.array([[0.0, -1.0, 2.0], [1.0, 0.0, 0.0]])
        overlaps = np.full((2, 3), 6.0)
        strands = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
        return p, -np.log(p), offsets, overlaps, strands

    monkeypatch.setattr(tomtom_module, "_memelite_tomtom", lambda: fake_tomtom)
    table = tomtom_table(queries, targets, exclude=["gmeb1"], n_jobs=1)
    assert len(seen["T"]) == 3 and seen["n_jobs"] == 1  # Gmeb1 excluded before the search
    assert all(a.dtype == np.float64 and a.flags.c_contiguous for a in seen["Q"] + seen["T"])
    assert table.attrs["n_targets"] == 3
    q0 = table[table["query"] == "q0"]
    # Sorted by p: T2 (0.001), T0 (0.01), T1 (0.2). E = 3 p. BH: 0.001 * 3/1, 0.01 * 3/2, 0.2.
    assert q0["target_name"].tolist() == ["T2", "T0", "T1"]
    assert q0["e_value"].tolist() == pytest.approx([0.003, 0.03, 0.6])
    assert q0["q_value"].tolist() == pytest.approx([0.003, 0.015, 0.2])
    assert q0["orientation"].tolist() == ["+", "+", "-"] and q0["offset"].tolist() == [2, 0, -1]
    q1 = table[table["query"] == "q1"]
    # p 0.04, 0.3, 0.5: BH 0.12, 0.45, 0.5.
    assert q1["target_id"].tolist() == ["MA0002.1", "MA0003.1", "MA0001.1"]
    assert q1["q_value"].tolist() == pytest.approx([0.12, 0.45, 0.5])
    assert len(significant_hits(table, evalue=0.1)) == 2
    assert len(significant_hits(table, qvalue=0.2)) == 4
    assert len(significant_hits(table, evalue=0.1, qvalue=0.01)) == 1
    best = best_hits(table, qvalue=0.13)
    assert best[["query", "target_name", "n_significant"]].values.tolist() == [["q0", "T2", 2], ["q1", "T1", 1]]
    with pytest.raises(SeqlensError, match="threshold"):
        significant_hits(table)


# --- match statistics on a hand-built table ------------------------------------------------


def _hand_table():
    rows = [
        # query_index, query, target_id, target_name, p, e
        (0, "f0", "MA0079.3", "SP1", 1e-6, 1e-3),
        (0, "f0", "MA0599.1", "KLF5", 1e-5, 1e-2),
        (1, "f1", "MA0039.2", "Klf4", 1e-7, 1e-4),  # best hit, not ground truth
        (1, "f1", "MA0079.2", "SP1", 1e-4, 5e-2),  # an older SP1 version: still SP1
        (1, "f1", "MA0062.2", "Gabpa", 1e-3, 0.5),  # not significant at E <= 0.1
        (2, "f2", "MA0615.1", "Gmeb1", 1e-5, 1e-2),
        (3, "f3", "MA0079.3", "SP1", 0.5, 200.0),
    ]
    table = pd.DataFrame(rows, columns=["query_index", "query", "target_id", "target_name", "p_value", "e_value"])
    return table.assign(q_value=table["e_value"])


def _labels(column):
    return [None if pd.isna(v) else v for v in column]


def test_match_statistics_hand_case():
    stats = match_statistics(_hand_table(), ["sp1", "GABPA", "YY1"], evalue=0.1, criterion="any")
    per = stats.per_filter
    assert per["category"].tolist() == ["ground_truth", "ground_truth", "other", "none"]
    assert _labels(per["ground_truth_tf"]) == ["sp1", "sp1", None, None]
    assert per["best_target_name"].tolist()[:3] == ["SP1", "Klf4", "Gmeb1"] and pd.isna(per["best_target_name"][3])
    assert per["n_significant"].tolist() == [2, 2, 1, 0]
    assert stats.summary["match_fraction"] == 0.5 and stats.summary["other_fraction"] == 0.25
    assert stats.summary["no_match_fraction"] == 0.25
    # SP1 found by 2 filters (best p 1e-6); Gabpa's only hit is not significant; YY1 absent.
    assert stats.coverage[["tf", "n_filters", "found"]].values.tolist() == [
        ["sp1", 2, True], ["GABPA", 0, False], ["YY1", 0, False],
    ]
    assert stats.coverage["best_p_value"][0] == 1e-6
    assert stats.summary["tf_coverage"] == pytest.approx(1 / 3) and stats.summary["tfs_found"] == ["sp1"]
    # "best": f1's best hit is Klf4, so f1 counts as matching other motifs only.
    best = match_statistics(_hand_table(), ["SP1", "Gabpa"], evalue=0.1, criterion="best")
    assert best.per_filter["category"].tolist() == ["ground_truth", "other", "other", "none"]
    assert best.summary["match_fraction"] == 0.25 and best.summary["other_fraction"] == 0.5
    # Aliases: Klf4 and KLF5 count for the label "KLF"; f0's best hit is SP1, f1's Klf4.
    alias = match_statistics(_hand_table(), {"KLF": ["Klf4", "KLF5"]}, evalue=0.1, criterion="best")
    assert _labels(alias.per_filter["ground_truth_tf"]) == [None, "KLF", None, None]
    alias_any = match_statistics(_hand_table(), {"KLF": ["Klf4", "KLF5"]}, evalue=0.1, criterion="any")
    assert _labels(alias_any.per_filter["ground_truth_tf"]) == ["KLF", "KLF", None, None]
    # q-value threshold (004) uses the q_value column: at 1e-4 only f1's Klf4 hit remains.
    strict = match_statistics(_hand_table(), ["SP1"], qvalue=1e-4)
    assert strict.per_filter["category"].tolist() == ["none", "other", "none", "none"]


def test_match_fraction_counts_the_best_significant_hit_by_default():
    # SPEC section 6: a filter matches when its *best* significant hit is a ground-truth TF.
    # f1's best significant hit is Klf4 (p 1e-7, not ground truth); a worse significant hit
    # (p 1e-4, E 0.05) is SP1. "any" counts f1 for SP1; the default ("best") does not.
    table = _hand_table().sample(frac=1.0, random_state=0)  # row order must not matter
    default = match_statistics(table, ["SP1"], evalue=0.1)
    assert default.summary["criterion"] == "best"
    assert default.per_filter["category"].tolist() == ["ground_truth", "other", "other", "none"]
    assert _labels(default.per_filter["ground_truth_tf"]) == ["SP1", None, None, None]
    assert default.summary["match_fraction"] == 0.25 and default.summary["other_fraction"] == 0.5
    assert default.coverage[["tf", "n_filters"]].values.tolist() == [["SP1", 1]]
    assert default.coverage["best_p_value"][0] == 1e-6  # f0's SP1 hit only
    assert match_statistics(table, ["SP1"], evalue=0.1, criterion="best").summary == default.summary
    anyhit = match_statistics(table, ["SP1"], evalue=0.1, criterion="any")
    assert anyhit.summary["criterion"] == "any"
    assert anyhit.per_filter["category"].tolist() == ["ground_truth", "ground_truth", "other", "none"]
    assert _labels(anyhit.per_filter["ground_truth_tf"]) == ["SP1", "SP1", None, None]
    assert anyhit.summary["match_fraction"] == 0.5 and anyhit.summary["other_fraction"] == 0.25
    assert anyhit.coverage[["tf", "n_filters"]].values.tolist() == [["SP1", 2]]
    # f1's SP1 hit is counted by "any" only because it is significant: at E <= 0.01 it is not.
    assert match_statistics(table, ["SP1"], evalue=0.01, criterion="any").per_filter["category"].tolist() == [
        "ground_truth", "other", "other", "none",
    ]


def test_match_statistics_bad_input():
    with pytest.raises(SeqlensError, match="list of TF names"):
        match_statistics(_hand_table(), "SP1", evalue=0.1)
    with pytest.raises(SeqlensError, match="criterion"):
        match_statistics(_hand_table(), ["SP1"], evalue=0.1, criterion="all")
    with pytest.raises(SeqlensError, match="threshold"):
        match_statistics(_hand_table(), ["SP1"])


def test_load_motifs_sources(tmp_path):
    motifs = [_motif("a", "ACGT"), _motif("b", "GGCC", "X1")]
    assert load_motifs(motifs) == motifs
    path = write_meme(motifs, tmp_path / "m.meme")
    assert [m.name for m in load_motifs(path)] == ["a", "b"]
    assert [m.name for m in load_motifs(str(path))] == ["a", "b"]
    assert len(load_motifs(2016)) == len(load_motifs("JASPAR2016")) == 519
    with pytest.raises(FileNotFoundError):
        load_motifs(tmp_path / "missing.meme")
    # a list goes through the one look-up (resolve_motifs): names and IDs resolve in JASPAR
    assert [m.id for m in load_motifs([motifs[0], "SP1"])] == [None, "MA0079.3"]
    with pytest.raises(SeqlensError, match="unknown motif name 'NOT_A_TF'"):
        load_motifs(["NOT_A_TF"])
    with pytest.raises(SeqlensError, match="expected a motif name, ID or Motif"):
        load_motifs([3])


# --- real Tomtom (numba compile on the first run of a machine) -------------------------------


def test_jaspar_motif_matches_itself_first():
    jaspar = load_jaspar(2016)
    sp1 = get_motif("SP1")
    gabpa = get_motif("Gabpa")
    queries = [sp1, gabpa.reverse_complement(), Motif(name="sp1_core", ppm=sp1.ppm[:, 2:9])]
    table = tomtom_table(queries, jaspar, n_jobs=1)
    best = best_hits(table, evalue=0.1)
    assert best["target_id"].tolist() == [sp1.id, gabpa.id, sp1.id]
    assert best["orientation"].tolist() == ["+", "-", "+"]
    assert best["offset"].tolist() == [0, 0, 2]  # the core starts at column 2 of SP1
    assert (best["e_value"] < 1e-3).all()
    assert table.attrs["n_targets"] == 519
    cache = numba_cache_dir()
    assert cache is not None and any(p.suffix == ".nbi" for p in cache.rglob("*tomtom*"))


def test_filters_of_a_planted_motif_match_the_tf():
    # Sites sampled from SP1's PPM in random sequences; a filter set to SP1's log-odds PWM
    # finds them, and its aligned PPM matches SP1 in JASPAR 2024 (a different release than
    # the motif came from: matched by name) among its significant hits.
    sp1 = get_motif("SP1")  # JASPAR 2016
    rng = np.random.default_rng(0)
    X = random_sequences(300, 60, seed=rng)
    sites = sp1.sample(150, seed=rng)
    for i, site in enumerate(sites):
        start = rng.integers(0, 60 - sp1.width)
        X[2 * i, :, start : start + sp1.width] = site
    pwm = np.log2(np.maximum(sp1.ppm, 1e-3) / 0.25)
    scores = np.stack(
        [[np.sum(pwm * X[n, :, s : s + sp1.width]) for s in range(60 - sp1.width + 1)] for n in range(300)]
    )
    motifs = filter_ppms(np.maximum(scores, 0)[:, None, :], X, kernel_size=sp1.width, left_padding=0)
    table = tomtom_table(motifs, 2024, n_jobs=1)
    stats = match_statistics(table, ["SP1"], qvalue=0.1, criterion="any")
    assert stats.summary["match_fraction"] == 1.0 and stats.summary["tfs_found"] == ["SP1"]
    assert stats.per_filter["ground_truth_tf"].tolist() == ["SP1"]
    # In JASPAR 2024 the filter's best significant hit is PATZ1 (then SP2, then SP1's MA0079.5),
    # so by the default criterion (best hit, SPEC 6) it matches other motifs only ...
    best = match_statistics(table, ["SP1"], qvalue=0.1)
    assert best.per_filter[["best_target_name", "category"]].values.tolist() == [["PATZ1", "other"]]
    assert best.summary["match_fraction"] == 0.0 and best.summary["other_fraction"] == 1.0
    # ... while in JASPAR 2016, where the motif came from, its best hit is SP1 itself.
    in_2016 = match_statistics(tomtom_table(motifs, 2016, n_jobs=1), ["SP1"], qvalue=0.1)
    assert in_2016.per_filter[["best_target_id", "category"]].values.tolist() == [[sp1.id, "ground_truth"]]
    assert in_2016.summary["match_fraction"] == 1.0


def test_tomtom_leaves_torch_thread_count_as_it_was():
    """numba's OpenMP layer shares torch's libgomp; a study worker set to one thread must stay so."""
    import torch

    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        queries = [_motif("q0", "ACGTACGT"), _motif("q1", "GGGCCCAA")]
        tomtom_table(queries, targets=[_motif("T0", "ACGTACGT", "MA0001.1"), _motif("T1", "TTGGGCCC", "MA0002.1")])
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
