from collections import Counter

import numpy as np
import pytest
import torch

from seqlens import alphabet as A
from seqlens.validation import check_one_hot
from seqlens.errors import SequenceError


def dinucleotides(s: str) -> Counter:
    return Counter(s[i : i + 2] for i in range(len(s) - 1))


# --- encoding / decoding ----------------------------------------------------------------


def test_one_hot_single_string_layout():
    X = A.one_hot_encode("ACGTA")
    expected = np.array(
        [[1, 0, 0, 0, 1], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]], dtype=np.float32
    )
    assert X.shape == (4, 5) and X.dtype == np.float32
    np.testing.assert_array_equal(X, expected)


def test_one_hot_batch_lowercase_rna_and_torch():
    X = A.one_hot_encode(["acgu", "ACGT"], as_tensor=True)
    assert isinstance(X, torch.Tensor) and X.shape == (2, 4, 4)
    assert torch.equal(X[0], X[1])  # lower case and U read as T


def test_one_hot_rna_alphabet_reads_t_as_u():
    X = A.one_hot_encode("ACGU", alphabet=A.RNA)
    np.testing.assert_array_equal(X, np.eye(4, dtype=np.float32))
    assert A.decode(X, alphabet=A.RNA) == "ACGU"
    np.testing.assert_array_equal(A.one_hot_encode("ACGT", alphabet=A.RNA), X)


def test_fasta_records_and_roundtrip():
    records = [("chr1:1-5", "ACGTN"), ("chr2:1-5", "ttgca")]
    X = A.one_hot_encode(records)
    assert A.decode(X) == ["ACGTN", "TTGCA"]


@pytest.mark.parametrize(
    "policy, column", [("zeros", [0, 0, 0, 0]), ("uniform", [0.25, 0.25, 0.25, 0.25])]
)
def test_n_policy(policy, column):
    X = A.one_hot_encode("ANA", n_policy=policy)
    np.testing.assert_array_equal(X[:, 1], column)
    assert A.decode(X) == "ANA"


def test_n_policy_error_names_record_and_position():
    with pytest.raises(SequenceError, match=r"'seq7'.*position 2"):
        A.one_hot_encode([("seq7", "ACNT")], n_policy="error")


@pytest.mark.parametrize("seq, char, pos", [("ACGTX", "X", 4), ("RACG", "R", 0), ("AC-G", "-", 2), ("ACé", "é", 2)])
def test_invalid_character_names_record_and_position(seq, char, pos):
    with pytest.raises(SequenceError) as err:
        A.one_hot_encode([("ok", "A" * len(seq)), ("bad", seq)])
    msg = str(err.value)
    assert repr(char) in msg and "'bad'" in msg and f"position {pos}" in msg
    assert "\n" not in msg


def test_unequal_lengths_and_bad_options():
    with pytest.raises(SequenceError, match="different lengths"):
        A.one_hot_encode(["ACG", "AC"])
    with pytest.raises(SequenceError, match="n_policy"):
        A.one_hot_encode("ACG", n_policy="drop")
    with pytest.raises(SequenceError, match="alphabet"):
        A.one_hot_encode("ACG", alphabet="ACGG")
    with pytest.raises(SequenceError, match="no sequences"):
        A.one_hot_encode([])


def test_one_hot_matches_naive_on_random_string():
    rng = np.random.default_rng(0)
    s = "".join(rng.choice(list("ACGTNacgtn"), size=10_000))
    X = A.one_hot_encode(s)
    naive = np.zeros((4, len(s)), dtype=np.float32)
    for i, ch in enumerate(s.upper()):
        if ch in "ACGT":
            naive["ACGT".index(ch), i] = 1
    np.testing.assert_array_equal(X, naive)


# --- reverse complement -------------------------------------------------------------------


def test_reverse_complement_string_and_array_agree():
    s = "AACGTTTGCN"
    assert A.reverse_complement(s) == "NGCAAACGTT"
    X = A.one_hot_encode([s])
    assert A.decode(A.reverse_complement(X)) == [A.reverse_complement(s)]
    Xt = torch.from_numpy(X)
    assert torch.equal(A.reverse_complement(A.reverse_complement(Xt)), Xt)


# --- validation ---------------------------------------------------------------------------


# --- random sequences -----------------------------------------------------------------------


def test_random_sequences_distribution_and_seed():
    X = A.random_sequences(2000, 100, gc=0.6, seed=1)
    freqs = X.mean(axis=(0, 2))
    np.testing.assert_allclose(freqs, [0.2, 0.3, 0.3, 0.2], atol=0.005)
    np.testing.assert_array_equal(X, A.random_sequences(2000, 100, gc=0.6, seed=1))
    assert not np.array_equal(X, A.random_sequences(2000, 100, gc=0.6, seed=2))
    check_one_hot(X, allow_n=False)


def test_random_sequences_bad_probs():
    with pytest.raises(SequenceError, match="summing to 1"):
        A.random_sequences(2, 10, probs=[0.5, 0.5, 0.5, 0.5])
    with pytest.raises(SequenceError, match="either probs or gc"):
        A.random_sequences(2, 10, probs=[0.25] * 4, gc=0.5)


# --- shuffles -------------------------------------------------------------------------------


def test_shuffle_keeps_composition_and_shuffles():
    X = A.random_sequences(50, 200, seed=0)
    S = A.shuffle(X, seed=3)
    np.testing.assert_array_equal(S.sum(axis=2), X.sum(axis=2))
    assert (S != X).any(axis=(1, 2)).all()
    np.testing.assert_array_equal(S, A.shuffle(X, seed=3))


@pytest.mark.parametrize("length", [200, 20, 7])
def test_dinucleotide_shuffle_keeps_counts_exactly(length):
    X = A.random_sequences(200, length, seed=length)
    S = A.dinucleotide_shuffle(X, seed=1)
    for orig, shuf in zip(A.decode(X), A.decode(S)):
        assert dinucleotides(orig) == dinucleotides(shuf)
        assert orig[0] == shuf[0] and orig[-1] == shuf[-1]
    changed = np.mean([o != s for o, s in zip(A.decode(X), A.decode(S))])
    # 200 nt: every sequence changes; short sequences sometimes admit only one arrangement.
    assert changed > {200: 0.99, 20: 0.9, 7: 0.3}[length]


def test_dinucleotide_shuffle_really_shuffles_short_sequence():
    # AACAGA has several Eulerian arrangements (e.g. ACAAGA): some seed must find one.
    X = A.one_hot_encode(["AACAGA"])
    outs = {A.decode(A.dinucleotide_shuffle(X, seed=s))[0] for s in range(30)}
    assert len(outs) > 1
    assert all(dinucleotides(o) == dinucleotides("AACAGA") for o in outs)


def test_dinucleotide_shuffle_uniform_over_arrangements():
    # ACAGA-like: with first letter A, the arrangements of edges out of A are equally likely.
    X = A.one_hot_encode(["ACAGATA"])
    counts = Counter(A.decode(A.dinucleotide_shuffle(X, seed=s))[0] for s in range(3000))
    assert set(counts) == {"ACAGATA", "ACATAGA", "AGACATA", "AGATACA", "ATACAGA", "ATAGACA"}
    assert min(counts.values()) > 400  # expected 500 each


def test_dinucleotide_shuffle_torch_and_n_columns_and_seed():
    X = torch.from_numpy(A.one_hot_encode(["ACGNNACGTTAGCAN" * 4]))
    S = A.dinucleotide_shuffle(X, seed=5)
    assert isinstance(S, torch.Tensor) and S.dtype == X.dtype
    s = A.decode(S)[0]
    assert dinucleotides(s) == dinucleotides(A.decode(X)[0])
    assert torch.equal(S, A.dinucleotide_shuffle(X, seed=5))


def test_dinucleotide_shuffle_batch_is_uniform_and_keeps_n_values():
    # One call, many rows: rows are shuffled independently and each uniformly.
    X = np.repeat(A.one_hot_encode(["ACAGATA"]), 3000, axis=0)
    counts = Counter(A.decode(A.dinucleotide_shuffle(X, seed=0)))
    assert set(counts) == {"ACAGATA", "ACATAGA", "AGACATA", "AGATACA", "ATACAGA", "ATAGACA"}
    assert min(counts.values()) > 400  # expected 500 each
    # N columns (0.25 or all-zero or any non-one-hot column) move with their values.
    Y = A.one_hot_encode(["ANNACANGTNNA", "CCNACGTTNNAG"], n_policy="uniform")
    Y[1, :, 2] = [0.5, 0.5, 0.0, 0.0]
    S = A.dinucleotide_shuffle(Y, seed=3)
    for y, s in zip(Y, S):
        assert dinucleotides(A.decode(y)) == dinucleotides(A.decode(s))
        cols = sorted(map(tuple, y.T.tolist()))
        assert sorted(map(tuple, s.T.tolist())) == cols


def test_dinucleotide_shuffle_short_and_empty_unchanged():
    for length in (1, 2):
        X = A.random_sequences(4, length, seed=length)
        np.testing.assert_array_equal(A.dinucleotide_shuffle(X, seed=0), X)
    assert A.dinucleotide_shuffle(np.zeros((0, 4, 9), np.float32), seed=0).shape == (0, 4, 9)
    with pytest.raises(SequenceError, match="expected shape"):
        A.dinucleotide_shuffle(np.zeros((2, 5, 9)))
