"""Tests for seqlens.motifs: the Motif type, JASPAR look-ups, MEME and JASPAR PFM files."""

import numpy as np
import pytest
from scipy.stats import entropy

from seqlens.alphabet import reverse_complement
from seqlens.validation import check_one_hot
from seqlens.errors import MotifError
from seqlens.motifs import (
    DEFAULT_NSITES,
    Motif,
    get_motif,
    information_content,
    load_jaspar,
    read_jaspar_pfm,
    read_meme,
    resolve_motifs,
    sample_from_ppm,
    write_meme,
)

UNIFORM = [0.25, 0.25, 0.25, 0.25]
ONLY_A, ONLY_C, ONLY_G, ONLY_T = np.eye(4).tolist()

# SPEC section 1: the JASPAR2016 IDs and widths of the motifs the papers used.
SPEC_MOTIFS = {
    "SP1": ("MA0079.3", 11), "Gabpa": ("MA0062.2", 11), "CEBPB": ("MA0466.2", 10),
    "MAX": ("MA0058.3", 10), "YY1": ("MA0095.2", 12), "Arid3a": ("MA0151.1", 6),
    "FOSL1": ("MA0477.1", 11), "MAFK": ("MA0496.1", 15), "MEF2A": ("MA0052.3", 12),
    "NFYB": ("MA0502.1", 15), "SRF": ("MA0083.3", 16), "STAT1": ("MA0137.3", 11),
}


def motif_of(*columns, name="m", id=None):
    """A motif from a list of 4-probability columns."""
    return Motif(name=name, ppm=np.array(columns, dtype=float).T, id=id)


# --- information content ---------------------------------------------------------------


def test_information_content_hand_cases():
    m = motif_of(UNIFORM, ONLY_G, [0.5, 0.5, 0, 0])
    ic = m.information_content()
    assert ic.dtype == np.float64 and ic.shape == (3,)
    np.testing.assert_allclose(ic, [0.0, 2.0, 1.0], atol=1e-8)
    assert m.total_information == pytest.approx(3.0, abs=1e-8)
    # the epsilon sits inside the log: float64 keeps a uniform column just above 0
    assert 0 < ic[0] < 1e-9


def test_information_content_matches_entropy_and_batches():
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(4), size=(3, 7)).transpose(0, 2, 1)  # (N=3, 4, L=7)
    ic = information_content(P)
    assert ic.shape == (3, 7)
    np.testing.assert_allclose(ic, 2 - entropy(P, base=2, axis=1), atol=1e-8)
    with pytest.raises(MotifError, match="shape"):
        information_content(np.ones((3, 5)))


# --- the Motif value type --------------------------------------------------------------


def test_consensus_and_reverse_complement_hand_example():
    m = motif_of(ONLY_A, [0.1, 0.7, 0.1, 0.1], ONLY_G, [0.2, 0.2, 0.2, 0.4], name="x", id="MA0000.1")
    assert m.consensus == "ACGT"
    rc = m.reverse_complement()
    expected = np.array([[0.4, 0.2, 0.2, 0.2], ONLY_C, [0.1, 0.1, 0.7, 0.1], ONLY_T]).T
    np.testing.assert_array_equal(rc.ppm, expected)
    assert (rc.name, rc.id) == ("x", "MA0000.1")
    assert rc.consensus == reverse_complement(m.consensus) == "ACGT"
    assert rc.reverse_complement() == m
    assert rc != m


def test_reverse_complement_carries_counts():
    m = Motif.from_counts([[1, 0, 3], [0, 2, 0], [3, 0, 0], [0, 2, 1]], name="c")
    rc = m.reverse_complement()
    np.testing.assert_array_equal(rc.counts, [[1, 2, 0], [0, 0, 3], [0, 2, 0], [3, 0, 1]])
    np.testing.assert_array_equal(rc.ppm, rc.counts / rc.counts.sum(axis=0))
    assert rc.reverse_complement() == m


def test_consensus_ties_go_to_earlier_letter():
    assert motif_of(UNIFORM, [0, 0.5, 0, 0.5]).consensus == "AC"


def test_from_counts_divides_columns_by_their_sums():
    counts = [[4, 19, 0], [16, 0, 20], [0, 1, 0], [0, 0, 0]]
    m = Motif.from_counts(counts, name="Arnt", id="MA0004.1")
    np.testing.assert_array_equal(m.ppm, [[0.2, 0.95, 0], [0.8, 0, 1], [0, 0.05, 0], [0, 0, 0]])
    np.testing.assert_array_equal(m.counts, counts)
    assert m.width == 3
    with pytest.raises(MotifError, match="column 1 sums to 0"):
        Motif.from_counts([[1, 0], [0, 0], [0, 0], [0, 0]], name="z")


@pytest.mark.parametrize(
    "ppm, message",
    [
        (np.full((3, 2), 1 / 3), r"shape \(4, W\)"),
        (np.zeros((4, 0)), r"shape \(4, W\)"),
        (np.array([[1.5], [-0.5], [0], [0]]), "negative value in column 0"),
        (np.array([[np.nan], [0], [0], [1]]), "NaN"),
        (np.array([[0.25, 2], [0.25, 4], [0.25, 3], [0.25, 1]]), "column 1 sums to 10"),
        ([["a"], ["b"], ["c"], ["d"]], "not a numeric array"),
    ],
)
def test_invalid_ppm_raises(ppm, message):
    with pytest.raises(MotifError, match=message):
        Motif(name="bad", ppm=ppm)


def test_invalid_name_id_and_counts_raise():
    with pytest.raises(MotifError, match="name"):
        Motif(name="", ppm=np.full((4, 1), 0.25))
    with pytest.raises(MotifError, match="id"):
        Motif(name="a", ppm=np.full((4, 1), 0.25), id="")
    with pytest.raises(MotifError, match="does not match"):
        Motif(name="a", ppm=np.full((4, 1), 0.25), counts=[[1], [0], [0], [0]])
    with pytest.raises(MotifError, match="counts shape"):
        Motif(name="a", ppm=np.full((4, 1), 0.25), counts=np.ones((4, 2)))


def test_columns_within_tolerance_are_kept_as_given():
    column = [0.333333, 0.333333, 0.333333, 0.0]  # sums to 0.999999, as printed in files
    m = motif_of(column)
    np.testing.assert_array_equal(m.ppm[:, 0], column)


def test_equality_hash_and_immutability():
    a = motif_of(ONLY_A, UNIFORM, name="s", id="X1")
    b = Motif(name="s", ppm=a.ppm.copy(), id="X1")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Motif(name="s", ppm=a.ppm, id="X2")
    assert a != Motif(name="t", ppm=a.ppm, id="X1")
    assert a != Motif(name="s", ppm=a.ppm, id="X1", counts=a.ppm * 10)
    assert a != motif_of(ONLY_C, UNIFORM, name="s", id="X1")
    assert Motif(name="z", ppm=-0.0 + np.eye(4)[:, :1]) == Motif(name="z", ppm=np.eye(4)[:, :1])
    with pytest.raises(ValueError):
        a.ppm[0, 0] = 0.5
    source = np.array([ONLY_A]).T
    c = Motif(name="copy", ppm=source)
    source[:] = 0.25
    assert c.consensus == "A"  # the motif kept its own copy


def test_trim_to_informative_span():
    m = Motif.from_counts(
        np.array([UNIFORM, ONLY_A, UNIFORM, ONLY_T, UNIFORM, UNIFORM]).T * 8, name="t", id="T.1"
    )
    trimmed = m.trim(min_ic=0.5)
    assert trimmed.consensus == "AAT" and trimmed.width == 3 and trimmed.id == "T.1"
    np.testing.assert_array_equal(trimmed.ppm, m.ppm[:, 1:4])
    np.testing.assert_array_equal(trimmed.counts, m.counts[:, 1:4])
    np.testing.assert_array_equal(m.trim(min_ic=0.5, pad=1).ppm, m.ppm[:, 0:5])
    assert m.trim(min_ic=0.5, pad=10) == m  # padding is clipped to the motif
    with pytest.raises(MotifError, match="no column has more than 2.5 bits"):
        m.trim(min_ic=2.5)
    with pytest.raises(MotifError, match="pad"):
        m.trim(pad=-1)


def test_sample_frequencies_converge_to_ppm():
    m = motif_of([0.1, 0.2, 0.3, 0.4], ONLY_C, [0.5, 0, 0.5, 0], [0, 0, 0, 1])
    X = m.sample(n=40_000, seed=7)
    assert X.shape == (40_000, 4, 4) and X.dtype == np.float32
    check_one_hot(X, allow_n=False)
    freq = X.mean(axis=0)
    np.testing.assert_allclose(freq, m.ppm, atol=0.01)
    assert freq[m.ppm == 0].max() == 0  # impossible letters are never drawn
    np.testing.assert_array_equal(X, m.sample(n=40_000, seed=7))
    assert not np.array_equal(X[:100], m.sample(n=100, seed=8))


def test_sample_from_ppm_normalises_columns_and_rejects_bad_input():
    X = sample_from_ppm(np.array([[2.0, 0.0], [0.0, 0.0], [0.0, 3.0], [0.0, 0.0]]), n=5, seed=0)
    assert {"".join("ACGT"[i] for i in x.argmax(0)) for x in X} == {"AG"}
    with pytest.raises(MotifError, match="positive column sums"):
        sample_from_ppm(np.zeros((4, 2)), n=1)
    with pytest.raises(MotifError, match=r"\(4, L\)"):
        sample_from_ppm(np.ones((3, 2)))


# --- JASPAR through pyjaspar -----------------------------------------------------------


def test_load_jaspar_counts_and_release_forms():
    motifs_2016 = load_jaspar(2016)
    assert len(motifs_2016) == 519
    assert load_jaspar("2016") == load_jaspar("JASPAR2016") == motifs_2016
    assert len(load_jaspar(2024)) == 879
    assert all(m.counts is not None for m in motifs_2016)
    assert len({m.id for m in motifs_2016}) == 519
    # the cache hands out copies of its list
    motifs_2016.clear()
    assert len(load_jaspar(2016)) == 519


def test_load_jaspar_all_versions_and_bad_arguments():
    every = load_jaspar(2016, all_versions=True)
    assert len(every) > 519
    assert {m.id for m in every} >= {m.id for m in load_jaspar(2016)}
    with pytest.raises(MotifError, match=r"unknown JASPAR release 2017; available releases: 2014, 2016"):
        load_jaspar(2017)
    with pytest.raises(MotifError, match="no motifs in JASPAR2016 CORE martians"):
        load_jaspar(2016, tax_group="martians")


def test_spec_motifs_ids_and_widths():
    for name, (matrix_id, width) in SPEC_MOTIFS.items():
        motif = get_motif(name, release=2016)
        assert (motif.name, motif.id, motif.width) == (name, matrix_id, width)
        assert get_motif(matrix_id) == motif


def test_get_motif_by_id_versionless_id_and_name():
    sp1 = get_motif("SP1")
    assert get_motif("MA0079.3") == sp1
    assert get_motif("MA0079") == sp1  # latest version in the release
    assert get_motif("ma0079") == sp1
    older = get_motif("MA0079.2")  # older versions stay reachable by full ID
    assert older.id == "MA0079.2" and older.name == "SP1" and older != sp1
    assert get_motif("gabpa").name == "Gabpa"
    assert get_motif("  GABPA ") == get_motif("Gabpa")
    np.testing.assert_array_equal(sp1.ppm, sp1.counts / sp1.counts.sum(axis=0))


def test_every_latest_motif_is_reachable_by_base_id_and_name():
    for motif in load_jaspar(2016):
        assert get_motif(motif.id.split(".")[0]) == motif
        assert get_motif(motif.name.upper()) == motif


def test_get_motif_errors_name_the_query():
    with pytest.raises(MotifError, match=r"unknown motif name 'SP11' in JASPAR2016 CORE vertebrates; did you mean SP1"):
        get_motif("SP11")
    with pytest.raises(MotifError, match="'qwzxv'.*no similar names"):
        get_motif("qwzxv")
    with pytest.raises(MotifError, match=r"'MA0079.9'.*available versions: MA0079.1, MA0079.2, MA0079.3"):
        get_motif("MA0079.9")
    with pytest.raises(MotifError, match="MA9999"):
        get_motif("MA9999")
    with pytest.raises(MotifError, match="non-empty string"):
        get_motif("")


def test_ambiguous_names_need_an_id():
    with pytest.raises(MotifError, match=r"'RORA' is ambiguous in JASPAR2024 .*MA0071.1.*MA0072"):
        get_motif("RORA", release=2024)
    # an exact-case match wins over case-insensitive ones (2024 has both Olig2 and OLIG2) ...
    assert get_motif("Olig2", release=2024).id == "MA1997.2"
    assert get_motif("OLIG2", release=2024).id == "MA0678.1"
    # ... and without one, several case-insensitive matches are ambiguous too
    with pytest.raises(MotifError, match=r"'olig2' is ambiguous.*MA0678.1 \(OLIG2\).*MA1997.2 \(Olig2\)"):
        get_motif("olig2", release=2024)


def test_get_motifs_and_resolve_motifs():
    assert [m.id for m in resolve_motifs(["SP1", "MA0062", "cebpb"])] == ["MA0079.3", "MA0062.2", "MA0466.2"]
    assert resolve_motifs("YY1") == [get_motif("YY1")]
    custom = motif_of(ONLY_A, ONLY_C, name="custom")
    mixed = resolve_motifs(["SP1", custom, "MA0095.2"])
    assert [m.name for m in mixed] == ["SP1", "custom", "YY1"]
    assert mixed[1] is custom
    assert resolve_motifs(custom) == [custom]
    assert resolve_motifs("max", release=2024)[0].id == get_motif("MAX", release=2024).id
    with pytest.raises(MotifError, match="got int 3"):
        resolve_motifs(["SP1", 3])


# --- MEME files ------------------------------------------------------------------------


def test_meme_round_trip_is_exact(tmp_path):
    motifs = load_jaspar(2016)
    first = write_meme(motifs, tmp_path / "a.meme")
    read = read_meme(first)
    assert [(m.id, m.name) for m in read] == [(m.id, m.name) for m in motifs]
    assert all(np.array_equal(r.ppm, m.ppm) for r, m in zip(read, motifs))
    write_meme(read, tmp_path / "b.meme")
    assert read_meme(tmp_path / "b.meme") == read
    text = first.read_text()
    assert text.startswith("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n")
    sp1 = get_motif("SP1")
    assert f"MOTIF MA0079.3 SP1\nletter-probability matrix: alength= 4 w= 11 nsites= {int(sp1.counts[:, 0].sum())} E= 0\n" in text


def test_meme_round_trip_without_id_custom_background_and_rounding(tmp_path):
    odd = motif_of([1 / 3, 1 / 3, 1 / 3, 0], [0.1, 0.2, 0.3, 0.4], name="thirds")
    path = write_meme([odd], tmp_path / "o.meme", background=[0.3, 0.2, 0.2, 0.3])
    text = path.read_text()
    assert "MOTIF thirds\n" in text and "A 0.3 C 0.2 G 0.2 T 0.3" in text
    assert f"nsites= {DEFAULT_NSITES} " in text
    (back,) = read_meme(path)
    assert back == odd and back.id is None


def test_write_meme_rejects_unwritable_names_and_keeps_old_file(tmp_path):
    path = tmp_path / "keep.meme"
    path.write_text("old")
    with pytest.raises(MotifError, match="repeated spaces"):
        write_meme([motif_of(UNIFORM, name="a\tb")], path)
    with pytest.raises(MotifError, match="needs an id"):
        write_meme([motif_of(UNIFORM, name="JUN (var.2)")], path)
    with pytest.raises(MotifError, match="expects Motif"):
        write_meme([np.eye(4)], path)
    assert path.read_text() == "old"
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left behind
    # a name with single spaces round-trips when there is an id
    spaced = motif_of(UNIFORM, name="JUN (var.2)", id="MA0489.1")
    write_meme([spaced], path)
    assert read_meme(path) == [spaced]


def test_read_meme_variants(tmp_path):
    path = tmp_path / "v.meme"
    path.write_text(
        "MEME version 5.5.4\r\n\r\nALPHABET= ACGT\r\nstrands: +\r\n\r\n"
        "Background letter frequencies (from file x.txt):\r\nA 0.3 C 0.2 G 0.2 T 0.3\r\n\r\n"
        "MOTIF solo\r\n"
        "log-odds matrix: alength= 4 w= 2 n= 10 bayes= 1 E= 1e-3\r\n  1.0 -2.0 -2.0 0.5\r\n -1 1 1 -1\r\n\r\n"
        "letter-probability matrix: alength= 4 w= 2 nsites= 7 E= 1.2e-3\r\n"
        " 0.5\t0.5\t0\t0\r\n\r\n 0 0 0 1\r\n"
        "URL http://example.org/solo\r\n"
        "MOTIF 1-ACG STREME-1\r\nletter-probability matrix: alength= 4 nsites= 3\r\n1 0 0 0\r\n0 1 0 0\r\n0 0 1 0\r\n"
        "MOTIF last  name\r\nletter-probability matrix:\r\n 0.25 0.25 0.25 0.25\r\n"
    )
    solo, streme, last = read_meme(path)
    assert (solo.name, solo.id, solo.consensus) == ("solo", None, "AT")
    np.testing.assert_array_equal(solo.ppm[:, 0], [0.5, 0.5, 0, 0])
    assert (streme.name, streme.id, streme.consensus) == ("STREME-1", "1-ACG", "ACG")
    assert (last.name, last.id, last.width) == ("name", "last", 1)


def test_read_meme_empty_motif_list(tmp_path):
    path = write_meme([], tmp_path / "empty.meme")
    assert read_meme(path) == []


MALFORMED_MEME = [
    ("ALPHABET= ACGT\nMOTIF a\n", 2, "not a MEME file"),
    ("", None, "no 'MEME version' line"),
    ("MEME version 4\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n", 2, "unsupported alphabet"),
    ("MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.25 x\n0 0 0 1\n", 4, "expected numbers"),
    ("MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 1\n0.5 0.5 0\n", 4, "expected 4 probabilities"),
    ("MEME version 4\nMOTIF a\nletter-probability matrix: w= 3\n1 0 0 0\n0 1 0 0\nMOTIF b\n", 6, "2 matrix rows, expected w=3"),
    ("MEME version 4\nMOTIF a\nletter-probability matrix: w= 3\n1 0 0 0\n", None, "file ends after 1 of w=3 rows"),
    ("MEME version 4\nMOTIF a\nletter-probability matrix: w= 1\n1 0 0 0\n0 1 0 0\n", 5, "numbers outside a motif matrix"),
    ("MEME version 4\nMOTIF a\nletter-probability matrix: w= 1\n0.5 0.6 0 0\n", 2, "column 0 sums to 1.1"),
    ("MEME version 4\nMOTIF a\nMOTIF b\n", 2, "'a' has no letter-probability matrix"),
    ("MEME version 4\nMOTIF\n", 2, "without an identifier"),
    ("MEME version 4\nMOTIF a\nletter-probability matrix: alength= 20 w= 1\n", 3, "alength=20"),
    ("MEME version 4\nMOTIF a\nletter-probability matrix: w= 0\n", 3, "invalid motif width"),
    ("MEME version 4\nletter-probability matrix: w= 1\n", 2, "outside a MOTIF"),
    ("MEME version 4\nMOTIF a\nsomething odd\n", 3, "unexpected line"),
]


@pytest.mark.parametrize("text, line, message", MALFORMED_MEME)
def test_malformed_meme_names_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "bad.meme"
    path.write_text(text)
    with pytest.raises(MotifError, match=message) as info:
        read_meme(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}:{line}: " if line else f"{path}: ")


def test_binary_files_raise_motif_error(tmp_path):
    path = tmp_path / "binary.meme"
    path.write_bytes(b"MEME version 4\n\xff\xfe\x00")
    with pytest.raises(MotifError, match=r"not a UTF-8 text file \(bad byte at offset 15\)"):
        read_meme(path)
    with pytest.raises(MotifError, match="not a UTF-8 text file"):
        read_jaspar_pfm(path)


def test_missing_files_raise_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="MEME file not found"):
        read_meme(tmp_path / "nope.meme")
    with pytest.raises(FileNotFoundError, match="JASPAR PFM file not found"):
        read_jaspar_pfm(tmp_path / "nope.pfm")


# --- JASPAR count-matrix files ---------------------------------------------------------


def test_read_jaspar_pfm_bracketed_and_bare(tmp_path):
    path = tmp_path / "m.pfm"
    path.write_text(
        ">MA0004.1\tArnt\nA  [ 4 19 0 ]\nC  [16  0 20 ]\n\nG  [ 0  1 0 ]\nT  [ 0  0 0 ]\n"
        ">bare\n1 0\n0 1\n0 0\n0 0\n"
        ">X.1 shuffled rows\nT[0 2]\nG[0 0]\nC[0 0]\nA[2 0]\n"
    )
    arnt, bare, shuffled = read_jaspar_pfm(path)
    assert (arnt.id, arnt.name) == ("MA0004.1", "Arnt")
    np.testing.assert_array_equal(arnt.counts, [[4, 19, 0], [16, 0, 20], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(arnt.ppm[:, 0], [0.2, 0.8, 0, 0])
    assert (bare.id, bare.name, bare.consensus) == (None, "bare", "AC")
    assert (shuffled.name, shuffled.consensus) == ("shuffled rows", "AT")


MALFORMED_PFM = [
    ("A [ 1 ]\n", 1, "count row before any '>' header"),
    (">a\nA [1]\nC [0]\nG [0]\n", 1, "3 count rows, expected 4"),
    (">a\nA [1 0]\nC [0 1]\nG [0]\nT [0 0]\n", 1, r"different lengths \[1, 2\]"),
    (">a\nA [1 x]\n", 2, "expected numbers"),
    (">a\nA [1]\nC [0]\nN [0]\nT [0]\n", 4, "unknown row letter 'N'"),
    (">a\nA [1]\nC [0]\nA [0]\nT [0]\n", 1, "expected one each of A, C, G, T"),
    (">a\nA [0]\nC [0]\nG [0]\nT [0]\n", 1, "column 0 sums to 0"),
    (">a\nA [-1]\nC [2]\nG [0]\nT [0]\n", 1, "negative value"),
    (">\n", 1, "header line without a motif name"),
    ("\n\n", None, "no motifs"),
]


@pytest.mark.parametrize("text, line, message", MALFORMED_PFM)
def test_malformed_pfm_names_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "bad.pfm"
    path.write_text(text)
    with pytest.raises(MotifError, match=message) as info:
        read_jaspar_pfm(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}:{line}: " if line else f"{path}: ")


# --- the real JASPAR files in ../shared/data -------------------------------------------


def printed_matrices(path):
    """The probability rows of every motif in a MEME file, parsed straight from the text."""
    matrices, rows = {}, None
    for line in path.read_text().splitlines():
        if line.startswith("MOTIF"):
            rows = matrices.setdefault(line.split()[1], [])
        elif rows is not None and line.strip() and line.split()[0][0].isdigit():
            rows.append([float(v) for v in line.split()])
    return {k: np.array(v).T for k, v in matrices.items()}


@pytest.mark.parametrize(
    "filename, release, count",
    [("JASPAR_CORE_2016_vertebrates.meme", 2016, 519), ("JASPAR2024_CORE_vertebrates_non-redundant.meme", 2024, 879)],
)
def test_real_meme_files(shared_data, filename, release, count):
    from memelite.io import read_meme as memelite_read_meme

    path = shared_data / "motifs" / filename
    motifs = read_meme(path)
    assert len(motifs) == count
    # values equal the printed text and memelite's independent reader, exactly
    printed = printed_matrices(path)
    reference = memelite_read_meme(str(path))
    assert list(reference) == [f"{m.id} {m.name}" for m in motifs]
    for motif in motifs:
        np.testing.assert_array_equal(motif.ppm, printed[motif.id])
        np.testing.assert_array_equal(motif.ppm, reference[f"{motif.id} {motif.name}"])
    # same motifs as pyjaspar's release, up to the 6 printed decimals
    jaspar = {m.id: m for m in load_jaspar(release)}
    assert {m.id for m in motifs} == set(jaspar)
    for motif in motifs:
        assert motif.name == jaspar[motif.id].name
        np.testing.assert_allclose(motif.ppm, jaspar[motif.id].ppm, rtol=0, atol=5.01e-7)


def test_real_meme_file_round_trip(shared_data, tmp_path):
    motifs = read_meme(shared_data / "motifs" / "JASPAR_CORE_2016_vertebrates.meme")
    assert read_meme(write_meme(motifs, tmp_path / "copy.meme")) == motifs


def test_real_pfm_counts_equal_pyjaspar(shared_data):
    motifs = read_jaspar_pfm(shared_data / "motifs" / "JASPAR2016_CORE_vertebrates_nonredundant.pfm")
    assert len(motifs) == 519
    by_id = {m.id: m for m in motifs}
    jaspar = {m.id: m for m in load_jaspar(2016)}
    assert by_id == jaspar  # names, IDs, counts and PPMs all identical
    for name, (matrix_id, width) in SPEC_MOTIFS.items():
        assert (by_id[matrix_id].name, by_id[matrix_id].width) == (name, width)
