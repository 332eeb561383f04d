"""First-layer filter motifs (activation alignment) and motif localisation AUROC."""

import numpy as np
import pytest
import torch
from torch import nn

from seqlens.alphabet import decode, one_hot_encode, random_sequences
from seqlens.errors import SeqlensError
from seqlens.evaluation import (
    filter_alignment,
    filter_ppms,
    filter_scan,
    localization_auroc,
    motif_regions,
    pwm_scan,
)
from seqlens.models import build
from seqlens.motifs import Motif, read_meme, write_meme


class MatchCounter(nn.Module):
    """First layer whose filter f counts the letters of a window equal to motif f.

    ``relu(matches - offset)``: the activation peaks at ``len(motif) - offset`` on an exact match.
    """

    def __init__(self, motifs, padding, offset=0.0):
        super().__init__()
        width = len(motifs[0])
        self.conv = nn.Conv1d(4, len(motifs), width, padding=padding, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.from_numpy(one_hot_encode(motifs)))
        self.offset = offset

    @property
    def first_conv(self):
        return self.conv

    def first_layer_activations(self, X, batch_size=256):
        with torch.no_grad():
            return torch.relu(self.conv(torch.as_tensor(X, dtype=torch.float32)) - self.offset)


def _planted(motif, n=60, length=40, seed=0):
    """Random sequences with ``motif`` written at a random start in every other sequence."""
    rng = np.random.default_rng(seed)
    X = random_sequences(n, length, seed=rng)
    site = one_hot_encode(motif)
    for i in range(0, n, 2):
        start = rng.integers(0, length - len(motif) + 1)
        X[i, :, start : start + len(motif)] = site
    return X


def _exact_occurrences(X, motif):
    strings = decode(X)
    return sum(s[i : i + len(motif)] == motif for s in strings for i in range(len(s) - len(motif) + 1))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("motif", ["ACGTTGCAT", "GATTACAC"])  # odd (9) and even (8) width
def test_filter_set_to_a_motif_finds_it(motif, padding):
    X = _planted(motif)
    model = MatchCounter([motif], padding)
    # threshold 0.99 of the maximum (an exact match) keeps exact matches only, so every window
    # is the motif and the PPM is exactly its one-hot matrix.
    alignment = filter_alignment(model, X, threshold=0.99)
    (found,) = alignment.motifs
    np.testing.assert_array_equal(found.ppm, one_hot_encode(motif))
    assert alignment.table["n_sites"][0] == _exact_occurrences(X, motif) >= 30
    assert found.counts[:, 0].sum() == alignment.table["n_sites"][0]
    # A window one wider than the filter adds one column on the left (the originals' window 20
    # around a width-19 filter); the motif follows it.
    (wider,) = filter_ppms(model, X, threshold=0.99, window=len(motif) + 1)
    np.testing.assert_array_equal(wider.ppm[:, 1:], one_hot_encode(motif))


def test_default_threshold_recovers_planted_motif_with_random_background():
    motif = "ACGTTGCATC"
    X = _planted(motif, n=200, length=50, seed=1)
    # relu(matches - 5): exact match 5; the 0.5 threshold keeps windows with >= 8 of 10 matches.
    (found,) = filter_ppms(MatchCounter([motif], "same", offset=5.0), X)
    assert found.consensus == motif
    assert (found.information_content() > 1.0).all()


def test_alignment_matches_naive_loop():
    rng = np.random.default_rng(2)
    X = random_sequences(7, 25, seed=rng).astype(np.float64)
    acts = rng.gamma(1.0, size=(7, 3, 25))  # 'same' activations of a width-5 layer
    kernel, window, threshold = 5, 6, 0.4
    got = filter_alignment(acts, X, threshold=threshold, window=window, kernel_size=kernel)
    for f in range(3):
        cut = threshold * acts[:, f].max()
        windows = []
        for n in range(7):
            for p in range(25):
                start = p - 2 + (kernel - window) // 2  # left pad 2, window starts one column early
                if acts[n, f, p] > cut and start >= 0 and start + window <= 25:
                    windows.append(X[n, :, start : start + window])
        assert got.table["n_sites"][f] == len(windows)
        np.testing.assert_allclose(got.motifs[f].ppm, np.mean(windows, axis=0), atol=1e-12)


def test_uniform_motif_for_at_most_one_site_and_trimming():
    X = one_hot_encode(["AAAACCCCGGGG", "TTTTTTTTTTTT"])
    acts = np.zeros((2, 2, 12))
    acts[0, 0, 5] = 1.0  # filter 0: one site
    acts[:, 1, 6] = [1.0, 1.0]  # filter 1: two sites, at position 6 of both sequences
    alignment = filter_alignment(acts, X, kernel_size=4, names=["lonely", "pair"])
    lonely, pair = alignment.motifs
    assert lonely.name == "lonely" and lonely.counts is None
    np.testing.assert_array_equal(lonely.ppm, np.full((4, 4), 0.25))
    # Width-4 'same' filter: left pad 1, window 5..8 for position 6: "CCCG" and "TTTT".
    np.testing.assert_array_equal(pair.ppm, [[0, 0, 0, 0], [0.5, 0.5, 0.5, 0], [0, 0, 0, 0.5], [0.5, 0.5, 0.5, 0.5]])
    assert alignment.table[["n_hits", "n_sites"]].values.tolist() == [[1, 1], [2, 2]]
    # Trimming keeps the span of columns above ic_threshold bits, widened by trim_pad.
    # 'same' width 9 at position 4: windows 0..8 = ACGTACGTA, AAGTACGTA, ATGTACGTC. Column 1
    # (C, A, T) has 2 - log2(3) = 0.415 bits, column 8 (A, A, C) 1.08 bits, the others 2.
    X3 = one_hot_encode(["ACGTACGTAC", "AAGTACGTAC", "ATGTACGTCC"])
    acts3 = np.zeros((3, 1, 10))
    acts3[:, 0, 4] = 1.0
    (kept,) = filter_ppms(acts3, X3, kernel_size=9, trim=True, trim_pad=0)
    assert kept.width == 9  # columns 0 and 8 pass 0.5 bits: nothing to cut
    (strict,) = filter_ppms(acts3, X3, kernel_size=9, trim=True, ic_threshold=1.9, trim_pad=0)
    np.testing.assert_array_equal(strict.ppm, kept.ppm[:, :8])  # column 8 (1.08 bits) cut
    (padded,) = filter_ppms(acts3, X3, kernel_size=9, trim=True, ic_threshold=1.9, trim_pad=3)
    assert padded.width == 9  # padding clipped to the window
    (uniform,) = filter_ppms(np.zeros((3, 1, 10)), X3, kernel_size=9, trim=True)
    assert uniform.width == 9  # no informative column: kept whole


def test_zoo_model_and_meme_round_trip(tmp_path):
    torch.manual_seed(0)
    model = build("cnn_local", activation="exponential", input_length=100, seed=0)
    model.train()
    X = random_sequences(20, 100, seed=3, as_tensor=True)
    motifs = filter_ppms(model, X)
    assert len(motifs) == model.first_conv.out_channels and all(m.width == 19 for m in motifs)
    assert model.training  # mode restored
    path = write_meme(motifs, tmp_path / "filters.meme")
    back = read_meme(path)
    assert [m.name for m in back] == [m.name for m in motifs]
    np.testing.assert_allclose(back[0].ppm, motifs[0].ppm)


def test_filter_inputs_are_checked():
    X = random_sequences(3, 20, seed=0)
    with pytest.raises(SeqlensError, match="kernel_size"):
        filter_ppms(np.ones((3, 2, 20)), X)
    with pytest.raises(SeqlensError, match="padding"):
        filter_ppms(np.ones((3, 2, 17)), X, kernel_size=3)
    with pytest.raises(SeqlensError, match="X has 3"):
        filter_ppms(np.ones((2, 2, 20)), X, kernel_size=3)
    with pytest.raises(SeqlensError, match="threshold"):
        filter_ppms(np.ones((3, 2, 20)), X, threshold=1.5, kernel_size=3)
    with pytest.raises(SeqlensError, match="first_conv"):
        filter_ppms(nn.Linear(3, 3), X)


# --- localisation --------------------------------------------------------------------------


def _localisation_truth():
    """One sequence of 60: motifs at 10..14 and 20..24 (they merge after padding 3) and 45..49."""
    M = np.full((1, 4, 60), 0.25)
    for start in (10, 20, 45):
        M[0, :, start : start + 5] = one_hot_encode("ACGTA")
    return M


def test_motif_regions_padding_and_merging():
    regions = motif_regions(_localisation_truth(), pad=3)
    # Padded (end exclusive): 10..15 -> 7..18 and 20..25 -> 17..28 overlap -> one region 7..28;
    # 45..50 -> 42..53.
    assert regions[["start", "end", "motif"]].values.tolist() == [
        [0, 7, False], [7, 28, True], [28, 42, False], [42, 53, True], [53, 60, False],
    ]
    assert motif_regions(_localisation_truth(), pad=0)["motif"].sum() == 3


def test_localization_auroc_toy():
    M = _localisation_truth()
    scan = np.zeros((1, 60))
    scan[0, [12, 47]] = [5.0, 4.0]  # peaks inside both motif regions
    scan[0, 30] = 1.0
    good = localization_auroc(scan, M, pad=3)
    assert good.pooled_auroc == 1.0 and good.per_sequence["auroc"].iloc[0] == 1.0
    assert good.regions["score"].tolist() == [0.0, 5.0, 1.0, 4.0, 0.0]
    scan[0, 55] = 4.5  # a background region now beats the second motif region
    worse = localization_auroc(scan, M, pad=3)
    assert worse.pooled_auroc == pytest.approx(5 / 6)  # 2 motif x 3 background pairs, 1 wrong
    with pytest.raises(SeqlensError, match="shape"):
        localization_auroc(scan[:, :50], M)


def test_pwm_scan_matches_naive_loop_and_localises():
    rng = np.random.default_rng(4)
    motif = Motif(name="m", ppm=rng.dirichlet(np.full(4, 0.3), size=6).T)  # even width
    X = random_sequences(3, 30, seed=rng).astype(np.float64)
    scan = pwm_scan(X, [motif])
    weights = {
        strand: np.log2(np.maximum(ppm, 1e-4) / 0.25)
        for strand, ppm in (("+", motif.ppm), ("-", motif.reverse_complement().ppm))
    }
    padded = np.concatenate([np.zeros((3, 4, 2)), X, np.zeros((3, 4, 3))], axis=2)  # width 6: 2 left
    for n in range(3):
        for i in range(30):
            expected = max(np.sum(w * padded[n, :, i : i + 6]) for w in weights.values())
            assert scan[n, i] == pytest.approx(expected, abs=1e-12)
    # Consensus planted in a uniform background: the PWM scan localises it.
    sp = Motif(name="site", ppm=one_hot_encode("ACGTA") * 0.97 + 0.0075)
    X_loc = random_sequences(1, 60, seed=5)
    for start in (10, 20, 45):
        X_loc[0, :, start : start + 5] = one_hot_encode("ACGTA")
    result = localization_auroc(pwm_scan(X_loc, [sp]), _localisation_truth(), pad=3)
    assert result.pooled_auroc == 1.0


def test_filter_scan_aligns_activations_to_input_positions():
    motif = "ACGTTGCAT"
    X = _planted(motif, n=4, length=30)
    same = filter_scan(MatchCounter([motif, "TTTTTTTTT"], "same"), X)
    valid = filter_scan(MatchCounter([motif, "TTTTTTTTT"], "valid"), X)
    # A width-9 'valid' output p is centred on input p + 4; 'same' output p is centred on p.
    np.testing.assert_allclose(valid[:, 4:-4], same[:, 4:-4])
    assert (valid[:, :4] == valid.min()).all() and (valid[:, -4:] == valid.min()).all()
    starts = [decode(X[i]).find(motif) for i in range(0, 4, 2)]
    for i, start in zip(range(0, 4, 2), starts):
        assert same[i, start + 4] == 9.0  # exact match centred at start + 4


def test_true_pwms_localise_reference_motifs(shared_data):
    # Paper 002: localisation AUROC of the true PWMs on the 12-TF task, 0.884 +- 0.252 (mean +- SD
    # over test sequences). Our scan (both strands, uniform background) does at least as well.
    h5py = pytest.importorskip("h5py")
    from seqlens.evaluation import summarize
    from seqlens.motifs import get_motif

    with h5py.File(shared_data / "reference" / "synthetic_dataset.h5", "r") as f:
        X, M = f["X_test"][:200], f["model_test"][:200]
    ids = ["MA0151.1", "MA0466.2", "MA0477.1", "MA0062.2", "MA0496.1", "MA0058.3",
           "MA0052.3", "MA0502.1", "MA0079.3", "MA0083.3", "MA0137.3", "MA0095.2"]
    result = localization_auroc(pwm_scan(X, [get_motif(i) for i in ids]), M, pad=10)
    summary = summarize(result.per_sequence, ["auroc"])
    assert summary.loc["auroc", "mean"] > 0.85 and result.pooled_auroc > 0.85
    # A scan that ignores the sequence cannot localise: random scores give about 0.5.
    noise = localization_auroc(np.random.default_rng(0).normal(size=(200, 200)), M, pad=10)
    assert abs(noise.pooled_auroc - 0.5) < 0.08


# --- the whole filter analysis (what `seqlens filters` and the demo call) -------------------


def _yy1_split(n=80, length=50, seed=0):
    """YY1's consensus planted in every other sequence (labelled 1), with ground truth and sites."""
    import pandas as pd

    from seqlens.data import Split
    from seqlens.motifs import get_motif

    yy1 = get_motif("YY1")
    rng = np.random.default_rng(seed)
    X = random_sequences(n, length, seed=rng)
    gt = np.full((n, 4, length), 0.25, dtype=np.float32)
    rows = []
    for i, start in zip(range(0, n, 2), rng.integers(0, length - yy1.width + 1, size=n // 2)):
        X[i, :, start : start + yy1.width] = one_hot_encode(yy1.consensus)
        gt[i, :, start : start + yy1.width] = yy1.ppm
        rows.append((i, "YY1", yy1.id, "+", int(start), int(start) + yy1.width))
    sites = pd.DataFrame(rows, columns=["sequence", "motif", "motif_id", "strand", "start", "end"])
    return yy1, Split(X=X, y=(np.arange(n) % 2 == 0).astype(np.float32)[:, None], ground_truth=gt, motif_sites=sites)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_filter_report_matches_its_parts_and_falls_back_without_tfs():
    from seqlens.data import SeqDataset, Split
    from seqlens.evaluation import FilterReport, filter_report, summarize
    from seqlens.tomtom import match_statistics, tomtom_table

    yy1, split = _yy1_split()
    model = MatchCounter([yy1.consensus, "T" * 12], "same", offset=6.0)  # YY1 is 12 wide
    dataset = SeqDataset(train=split, valid=split, test=split, metadata={"core_motifs": [{"name": "YY1", "id": yy1.id}]})
    report = filter_report(model, split, dataset=dataset)
    assert isinstance(report, FilterReport)
    assert (report.ground_truth_tfs, report.ground_truth_source) == (["YY1"], "dataset metadata (core_motifs)")
    assert (report.criterion, report.evalue, report.qvalue, report.n_database_motifs) == ("best", 0.1, None, 519)
    # Its parts, called one by one, give the same tables.
    alignment = filter_alignment(model, split.X)
    for got, want in zip(report.motifs, alignment.motifs):
        np.testing.assert_array_equal(got.ppm, want.ppm)
    table = tomtom_table(alignment.motifs)
    stats = match_statistics(table, ["YY1"], evalue=0.1)
    extra = {"min_information": 4.0, "n_uninformative": 0, "uninformative_fraction": 0.0}
    assert report.statistics == {**stats.summary, **extra}
    assert report.statistics["match_fraction"] == 0.5 and report.statistics["no_match_fraction"] == 0.5
    assert report.per_filter["name"].tolist() == ["filter0", "filter1"]
    assert report.per_filter["category"].tolist() == ["ground_truth", "none"]
    assert report.per_filter["best_target_id"][0] == yy1.id and report.per_filter["n_sites"][0] == alignment.table["n_sites"][0]
    assert report.hit_labels()[0].startswith(f"YY1 ({yy1.id}), p=") and report.hit_labels()[0].endswith(" *")
    assert report.hit_labels()[1] == "no match"
    assert report.coverage[["tf", "n_filters", "found"]].values.tolist() == [["YY1", 1, True]]
    # The planted sites are exactly where filter 0 and the true PWM peak: localisation AUROC 1.
    local = localization_auroc(filter_scan(model, split.X), split.ground_truth)
    assert report.localization["filters"]["pooled_auroc"] == local.pooled_auroc == 1.0
    assert report.localization["filters"]["n_sequences"] == summarize(local.per_sequence, ["auroc"]).loc["auroc", "n"] == 40
    assert report.localization["true_pwms"]["pooled_auroc"] == 1.0
    # "any" is a named option; here both rules agree (YY1 is filter 0's best hit).
    assert filter_report(model, split, dataset=dataset, criterion="any", localization=False).statistics == {
        **stats.summary, **extra, "criterion": "any"}
    with pytest.raises(SeqlensError, match="criterion must be one of 'best', 'any'"):
        filter_report(model, split, dataset=dataset, criterion="all")

    # Without ground-truth TF names (no metadata, sites or TF-like task names) and without
    # ground truth: best hits only, no statistics, no localisation.
    bare = Split(X=split.X, y=split.y)
    fallback = filter_report(model, bare, dataset=SeqDataset(train=bare, valid=bare, test=bare))
    assert (fallback.ground_truth_tfs, fallback.ground_truth_source) == ([], "none")
    assert fallback.statistics is None and fallback.coverage is None and fallback.localization is None
    assert fallback.per_filter["category"].tolist() == ["other", "none"]
    assert fallback.per_filter["best_target_name"][0] == "YY1" and "ground_truth_tf" not in fallback.per_filter


def _flat_and_yy1(yy1, n=120, length=60, seed=1):
    """Activations of two filters on random sequences: filter 0 peaks on planted YY1 sites,
    filter 1 peaks at random positions (its PPM is background, near-uniform)."""
    rng = np.random.default_rng(seed)
    X = random_sequences(n, length, seed=rng)
    acts = np.zeros((n, 2, length - yy1.width + 1), dtype=np.float32)
    for i, start in enumerate(rng.integers(0, length - yy1.width + 1, size=n)):
        X[i, :, start : start + yy1.width] = one_hot_encode(yy1.consensus)
        acts[i, 0, start] = 1.0
    acts[np.arange(n), 1, rng.integers(0, acts.shape[2], size=n)] = 1.0
    return X, acts


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_uninformative_filters_get_no_hits_counted():
    from seqlens.data import SeqDataset, Split
    from seqlens.evaluation import filter_report
    from seqlens.evaluation.filter_report import DEFAULT_MIN_INFORMATION
    from seqlens.motifs import Motif, get_motif
    from seqlens.tomtom import tomtom_table

    # A hand-made near-uniform PPM (19 wide, ~0.1 bit a column) matches long JASPAR 2024
    # motifs (CTCF) "significantly"; a real motif carries far more than the threshold.
    flat = Motif(name="flat", ppm=np.tile([[0.22], [0.28], [0.27], [0.23]], 19) + np.linspace(-0.02, 0.02, 19) * [[1], [-1], [1], [-1]])
    yy1 = get_motif("YY1")
    assert flat.core_information() < DEFAULT_MIN_INFORMATION == 4.0 < yy1.core_information()
    flat_hits = tomtom_table([flat], 2024)
    assert flat_hits["e_value"].min() < 0.1  # what issue 14 saw: a flat PPM with significant hits

    # In the report, a near-uniform filter next to a real motif is "uninformative": no hit counted.
    yy1, split = _yy1_split()
    model = MatchCounter([yy1.consensus, "T" * 12], "same", offset=6.0)
    dataset = SeqDataset(train=split, valid=split, test=split, metadata={"core_motifs": [{"name": "YY1", "id": yy1.id}]})
    X, acts = _flat_and_yy1(yy1)
    alignment = filter_alignment(acts, X, kernel_size=yy1.width, left_padding=0)
    info = alignment.table["information"].to_numpy()
    np.testing.assert_allclose(info, [m.total_information for m in alignment.motifs])
    assert info[0] > 10 and info[1] < DEFAULT_MIN_INFORMATION

    report = filter_report(model, split, dataset=dataset, localization=False, min_information=200.0)  # everything flat
    assert report.per_filter["category"].tolist() == ["uninformative", "uninformative"]
    assert (report.per_filter["n_significant"] == 0).all() and report.per_filter["best_target_id"].isna().all()
    assert report.per_filter["informative"].tolist() == [False, False]
    assert report.statistics["match_fraction"] == 0.0 and report.statistics["other_fraction"] == 0.0
    assert report.statistics["n_uninformative"] == report.n_uninformative == 2
    assert report.statistics["uninformative_fraction"] == 1.0 and report.statistics["no_match_fraction"] == 0.0
    assert report.hit_labels()[0].startswith("uninformative (")
    assert len(report.tomtom) == 2 * 519  # the raw Tomtom rows stay; only the counting skips them
    counted = filter_report(model, split, dataset=dataset, localization=False, min_information=0.0)
    assert counted.per_filter["category"].tolist() == ["ground_truth", "none"] and counted.n_uninformative == 0
    with pytest.raises(SeqlensError, match="min_information"):
        filter_report(model, split, dataset=dataset, min_information=-1.0)


def test_uninformative_filter_beside_a_real_motif_against_jaspar_2024():
    from seqlens.evaluation import filter_report
    from seqlens.motifs import get_motif

    class Fixed(torch.nn.Module):
        """A 'model' whose first-layer activations are given (filter 0: YY1 sites, filter 1: random)."""

        def __init__(self, acts, width):
            super().__init__()
            self.first_conv = torch.nn.Conv1d(4, acts.shape[1], width)
            self.acts = torch.as_tensor(acts)

        def first_layer_activations(self, X, batch_size=256):
            return self.acts

    from seqlens.data import Split

    yy1 = get_motif("YY1")
    X, acts = _flat_and_yy1(yy1)
    split = Split(X=X, y=np.ones((len(X), 1), np.float32))
    report = filter_report(Fixed(acts, yy1.width), split, database=2024, tfs=["YY1"], localization=False)
    # The YY1 filter keeps its hits (in JASPAR 2024 its best one need not be YY1 itself).
    assert report.per_filter["category"][0] in ("ground_truth", "other") and report.per_filter["n_significant"][0] > 0
    assert report.per_filter["category"][1] == "uninformative" and report.per_filter["n_significant"][1] == 0
    assert report.statistics["n_uninformative"] == 1 and report.statistics["uninformative_fraction"] == 0.5
    loose = filter_report(Fixed(acts, yy1.width), split, database=2024, tfs=["YY1"], localization=False, min_information=0)
    # Counting every hit, the background filter (~0.3 bits) "matches" CTCF at p ~ 1e-16: the inflation fixed.
    assert loose.per_filter["category"][1] == "other" and loose.per_filter["best_target_name"][1] == "CTCF"
    assert loose.per_filter["best_p_value"][1] < 1e-12 and loose.n_uninformative == 0


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_task_names_count_as_ground_truth_only_when_they_name_motifs():
    from seqlens.data import SeqDataset, Split
    from seqlens.evaluation import filter_report, ground_truth_tfs

    yy1, split = _yy1_split()
    bare = Split(X=split.X, y=split.y)
    oct4 = SeqDataset(train=bare, valid=bare, test=bare, task_names=["oct4_vs_mafk"])
    with pytest.warns(UserWarning, match="'oct4_vs_mafk' names no motif.*no ground truth"):
        assert ground_truth_tfs(oct4, bare) == ([], "none")
    model = MatchCounter([yy1.consensus, "T" * 12], "same", offset=6.0)
    with pytest.warns(UserWarning, match="oct4_vs_mafk"):
        report = filter_report(model, bare, dataset=oct4)
    assert report.statistics is None and report.coverage is None and report.ground_truth_tfs == []
    assert report.per_filter["category"].tolist() == ["other", "none"]  # hits only
    # A task named after a TF is ground truth; a mix keeps the TF and warns about the rest.
    two = Split(X=split.X, y=np.repeat(split.y, 2, axis=1))
    named = SeqDataset(train=two, valid=two, test=two, task_names=["YY1", "oct4_vs_mafk"])
    with pytest.warns(UserWarning, match="'oct4_vs_mafk' names no motif"):
        assert ground_truth_tfs(named, two) == (["YY1"], "task names")
    with pytest.warns(UserWarning):
        report = filter_report(model, two, dataset=named, localization=False)
    assert report.statistics["match_fraction"] == 0.5
    # A name found only in the given database counts too.
    custom = SeqDataset(train=bare, valid=bare, test=bare, task_names=["mytf"])
    from seqlens.motifs import Motif

    assert ground_truth_tfs(custom, bare, database=[Motif(name="MyTF", ppm=yy1.ppm)]) == (["mytf"], "task names")


def test_cli_filters_without_resolvable_ground_truth(tmp_path, capsys):
    """`seqlens filters` on an Oct4/Mafk-style task: no ground truth, hits only, no match fraction."""
    import json

    from seqlens.cli import main
    from seqlens.data import SeqDataset, Split, save_h5
    from seqlens.models import save_model

    rng = np.random.default_rng(0)
    split = Split(X=random_sequences(60, 200, seed=rng), y=(rng.random((60, 1)) < 0.5).astype(np.float32))
    save_h5(SeqDataset(split, split, split, task_names=["oct4_vs_mafk"]), tmp_path / "oct4.h5")
    save_model(build("cnn_local", activation="exponential", filters=4, seed=0), tmp_path / "run")
    capsys.readouterr()
    argv = ["filters", str(tmp_path / "run"), "--data", str(tmp_path / "oct4.h5"), "--no-plot", "-o", str(tmp_path / "f")]
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["ground_truth"] is None and document["ground_truth_tfs"] == [] and document["statistics"] is None
    assert "oct4_vs_mafk" in captured.err and "no ground truth" in captured.err
    assert "match_fraction" not in json.dumps(document)
    assert {f["category"] for f in document["filters"]} <= {"other", "none", "uninformative"}
    from seqlens.evaluation.filter_report import DEFAULT_MIN_INFORMATION

    assert document["min_information"] == DEFAULT_MIN_INFORMATION and document["n_uninformative"] == sum(
        f["category"] == "uninformative" for f in document["filters"])
    assert main([*argv[:-1], str(tmp_path / "g")]) == 0
    err = capsys.readouterr().err
    assert "no ground truth" in err and "no match fraction" in err and "match fraction 0" not in err
    # --tfs names a TF: ground truth again, with a match fraction.
    assert main([*argv[:-1], str(tmp_path / "h"), "--tfs", "POU5F1", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ground_truth"] == {"tfs": ["POU5F1"], "source": "--tfs"}
    assert "match_fraction" in document["statistics"]


def test_a_spread_out_ppm_is_uninformative_though_its_total_information_is_not_small():
    """Like the ReLU filters of cnn_dist on Oct4 vs Mafk: ~0.2 bits in each of 19 columns (3.9 bits in all,
    above a 2-bit total threshold) hits CTCF at E ~ 5e-8; its best 6 columns carry 1.2 bits, every
    JASPAR motif at least 5."""
    from seqlens.evaluation.filter_report import DEFAULT_MIN_INFORMATION
    from seqlens.motifs import Motif, load_motifs
    from seqlens.tomtom import tomtom_table

    rng = np.random.default_rng(0)
    columns = np.full((19, 4), 1 / 6)
    columns[np.arange(19), rng.integers(4, size=19)] = 0.5
    spread = Motif(name="spread", ppm=columns.T)
    assert spread.total_information == pytest.approx(3.943, abs=1e-3) and spread.total_information > 2
    assert spread.core_information() == pytest.approx(6 * (2 - (0.5 + 0.5 * np.log2(6))), abs=1e-6)  # a 1e-9 pseudocount
    assert spread.core_information() < DEFAULT_MIN_INFORMATION
    hits = tomtom_table([spread], 2024)
    assert hits.loc[hits["e_value"].idxmin(), "target_name"] == "CTCF" and hits["e_value"].min() < 1e-6
    for release in (2016, 2024):
        cores = [m.core_information() for m in load_motifs(release)]
        assert min(cores) > 5.0 > DEFAULT_MIN_INFORMATION, release
    narrow = Motif(name="narrow", ppm=np.eye(4)[:, [0, 1, 2]])  # narrower than the core: all of it counts
    assert narrow.core_information() == pytest.approx(6.0)
