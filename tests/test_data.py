"""Tests of seqlens.data: containers, HDF5 layouts, FASTA, BED extraction, summary, CLI."""

import gzip
import json

import h5py
import numpy as np
import pandas as pd
import pytest

from seqlens.alphabet import decode, one_hot_encode, random_sequences, reverse_complement
from seqlens.data import (
    SeqDataset,
    Split,
    dataset_from_fasta,
    extract_regions,
    h5_layout,
    load_h5,
    read_bed,
    read_fasta,
    read_labels,
    save_h5,
    split_arrays,
    summary,
)
from seqlens.errors import DataFormatError, SequenceError


def _sites(rows):
    return pd.DataFrame(rows, columns=["sequence", "motif", "motif_id", "strand", "start", "end"])


def _ground_truth(n, length, informative):
    """Uniform (n, 4, length) model with a point-mass 'A' column at each (seq, pos) given."""
    gt = np.full((n, 4, length), 0.25, dtype=np.float32)
    for seq, pos in informative:
        gt[seq, :, pos] = [1, 0, 0, 0]
    return gt


def _tiny_dataset(seed=0, with_truth=True):
    """Three splits of 6/2/3 sequences, L = 12, two tasks, ground truth and motif sites."""
    splits = {}
    for k, (name, n) in enumerate((("train", 6), ("valid", 2), ("test", 3))):
        X = random_sequences(n, 12, seed=seed + k)
        y = (np.arange(2 * n).reshape(n, 2) % 3 == 0).astype(np.float32)
        gt = _ground_truth(n, 12, [(i, i + 1) for i in range(n)]) if with_truth else None
        sites = _sites([(i, "SP1", "MA0079.3", "+-"[i % 2], i + 1, i + 2) for i in range(n)])
        splits[name] = Split(X=X, y=y, ground_truth=gt, motif_sites=sites, names=[f"{name}{i}" for i in range(n)])
    return SeqDataset(**splits, task_names=["SP1", "MAX"], metadata={"seed": np.int64(7), "pool": ("a", "b")})


def _assert_splits_equal(a: Split, b: Split, with_tables=True):
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert (a.ground_truth is None) == (b.ground_truth is None)
    if a.ground_truth is not None:
        np.testing.assert_array_equal(a.ground_truth, b.ground_truth)
    if with_tables:
        assert a.names == b.names
        pd.testing.assert_frame_equal(a.motif_sites, b.motif_sites)


# ----------------------------------------------------------------------------------------
# containers


def test_split_converts_dtypes_and_reshapes_labels():
    X = random_sequences(4, 9, seed=1).astype(np.float64)
    split = Split(X=X, y=np.array([0, 1, 1, 0], dtype=np.int8))
    assert split.X.dtype == np.float32 and split.y.dtype == np.float32
    assert split.y.shape == (4, 1)
    assert (len(split), split.length, split.n_tasks) == (4, 9, 1)


def test_split_accepts_n_columns():
    X = one_hot_encode(["ACGNA", "NNNNT"], n_policy="uniform")
    assert len(Split(X=X, y=np.zeros((2, 1)))) == 2


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda X, y: (X.transpose(0, 2, 1), y), "channel-last"),
        (lambda X, y: (X[0], y), "must have shape (N, 4, L)"),
        (lambda X, y: (X * 2, y), "not one-hot: sequence 0, position 0"),
        (lambda X, y: (np.where(np.arange(10) == 3, np.nan, X), y), "NaN"),
        (lambda X, y: (X, y[:2]), "y has 2 rows but X has 3 sequences"),
        (lambda X, y: (X, np.full((3, 1), np.nan)), "y contains NaN"),
    ],
)
def test_split_rejects_bad_arrays(change, message):
    X, y = change(random_sequences(3, 10, seed=0), np.zeros((3, 1)))
    with pytest.raises(DataFormatError) as info:
        Split(X=X, y=y)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_channel_last_message_suggests_transpose():
    with pytest.raises(DataFormatError, match=r"\(3, 10, 4\).*transpose"):
        Split(X=random_sequences(3, 10, seed=0).transpose(0, 2, 1), y=np.zeros((3, 1)))


def test_split_rejects_bad_ground_truth_tables_and_names():
    X, y = random_sequences(2, 8, seed=0), np.zeros((2, 1))
    with pytest.raises(DataFormatError, match="ground_truth has shape"):
        Split(X=X, y=y, ground_truth=np.full((2, 4, 7), 0.25))
    bad_sum = _ground_truth(2, 8, [])
    bad_sum[1, 0, 5] = 0.5
    with pytest.raises(DataFormatError, match="sequence 1, position 5 sums to 1.25"):
        Split(X=X, y=y, ground_truth=bad_sum)
    with pytest.raises(DataFormatError, match="missing columns \\['strand'\\]"):
        Split(X=X, y=y, motif_sites=_sites([]).drop(columns="strand"))
    with pytest.raises(DataFormatError, match="row 1 has sequence outside"):
        Split(X=X, y=y, motif_sites=_sites([(0, "a", "a", "+", 0, 2), (2, "a", "a", "+", 0, 2)]))
    with pytest.raises(DataFormatError, match="site outside \\[0, 8\\]"):
        Split(X=X, y=y, motif_sites=_sites([(0, "a", "a", "+", 5, 9)]))
    with pytest.raises(DataFormatError, match="strand other than"):
        Split(X=X, y=y, motif_sites=_sites([(0, "a", "a", ".", 0, 2)]))
    with pytest.raises(DataFormatError, match="names has 1 entries"):
        Split(X=X, y=y, names=["only"])


def test_dataset_checks_splits_tasks_and_metadata():
    a = Split(X=random_sequences(3, 10, seed=0), y=np.zeros((3, 2)))
    short = Split(X=random_sequences(3, 9, seed=0), y=np.zeros((3, 2)))
    with pytest.raises(DataFormatError, match="split 'valid' has length 9"):
        SeqDataset(a, short, a)
    with pytest.raises(DataFormatError, match="1 task names for 2 tasks"):
        SeqDataset(a, a, a, task_names=["x"])
    with pytest.raises(DataFormatError, match="metadata.bad holds a set"):
        SeqDataset(a, a, a, metadata={"bad": {1}})
    dataset = SeqDataset(a, a, a, metadata={"n": np.int32(3), "v": np.arange(2)})
    assert dataset.task_names == ["task_0", "task_1"]
    assert dataset.metadata == {"n": 3, "v": [0, 1]}
    assert type(dataset.metadata["n"]) is int
    assert dataset.split("test") is a
    with pytest.raises(DataFormatError, match="unknown split 'dev'"):
        dataset.split("dev")


def test_subset_renumbers_motif_sites():
    X = random_sequences(4, 10, seed=3)
    sites = _sites([(0, "A", "1", "+", 0, 2), (2, "B", "2", "-", 3, 5), (2, "C", "3", "+", 6, 8), (3, "D", "4", "+", 1, 2)])
    split = Split(X=X, y=np.arange(4.0), motif_sites=sites, names=list("wxyz"))
    sub = split.subset(np.array([2, 1, 2]))
    np.testing.assert_array_equal(sub.X, X[[2, 1, 2]])
    assert sub.names == ["y", "x", "y"]
    assert sub.y[:, 0].tolist() == [2, 1, 2]
    assert sub.motif_sites[["sequence", "motif"]].values.tolist() == [[0, "B"], [0, "C"], [2, "B"], [2, "C"]]
    masked = split.subset(np.array([True, False, False, True]))
    assert masked.motif_sites[["sequence", "motif", "start"]].values.tolist() == [[0, "A", 0], [1, "D", 1]]


# ----------------------------------------------------------------------------------------
# HDF5


def test_seqlens_round_trip_is_exact(tmp_path):
    dataset = _tiny_dataset()
    # An N column (0.25) forces float32 storage for one split; others store uint8.
    dataset.test.X[0, :, 3] = 0.25
    path = save_h5(dataset, tmp_path / "d.h5")
    assert h5_layout(path) == "seqlens"
    with h5py.File(path, "r") as handle:
        assert handle["train/X"].dtype == np.uint8 and handle["test/X"].dtype == np.float32
        assert handle.attrs["format"] == "seqlens" and handle.attrs["format_version"] == 1
    loaded = load_h5(path)
    for name in ("train", "valid", "test"):
        _assert_splits_equal(dataset.split(name), loaded.split(name))
        assert loaded.split(name).X.dtype == np.float32
    assert loaded.task_names == ["SP1", "MAX"]
    assert loaded.metadata == {"seed": 7, "pool": ["a", "b"]}
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_seqlens_round_trip_without_optional_parts_and_empty_split(tmp_path):
    full = Split(X=random_sequences(5, 6, seed=0), y=np.ones((5, 1)))
    empty = full.subset(np.array([], dtype=int))
    dataset = SeqDataset(full, empty, full)
    loaded = load_h5(save_h5(dataset, tmp_path / "d.h5"))
    assert len(loaded.valid) == 0 and loaded.valid.X.shape == (0, 4, 6)
    assert loaded.train.ground_truth is None and loaded.train.motif_sites is None and loaded.train.names is None
    np.testing.assert_array_equal(loaded.test.X, full.X)
    assert summary(loaded)["splits"]["valid"]["label_balance"] is None


def test_papers_round_trip_writes_exactly_the_papers_keys(tmp_path):
    dataset = _tiny_dataset()
    path = save_h5(dataset, tmp_path / "p.h5", layout="papers")
    with h5py.File(path, "r") as handle:
        assert sorted(handle) == sorted(f"{k}_{s}" for k in ("X", "Y", "model") for s in ("train", "valid", "test"))
        assert handle["X_train"].shape == (6, 4, 12)
    assert h5_layout(path) == "papers"
    loaded = load_h5(path)
    for name in ("train", "valid", "test"):
        _assert_splits_equal(dataset.split(name), loaded.split(name), with_tables=False)

    no_truth = _tiny_dataset(with_truth=False)
    with h5py.File(save_h5(no_truth, tmp_path / "q.h5", layout="papers"), "r") as handle:
        assert not any(key.startswith("model_") for key in handle)


def test_save_rejects_unknown_layout(tmp_path):
    with pytest.raises(DataFormatError, match="layout must be one of"):
        save_h5(_tiny_dataset(), tmp_path / "x.h5", layout="keras")


def _write_papers(path, **arrays):
    with h5py.File(path, "w") as handle:
        for key, value in arrays.items():
            handle.create_dataset(key, data=value)
    return path


def _papers_arrays(n=4, length=10):
    arrays = {}
    for split in ("train", "valid", "test"):
        arrays[f"X_{split}"] = random_sequences(n, length, seed=0).astype(np.float64)
        arrays[f"Y_{split}"] = np.zeros((n, 1), dtype=np.int8)
    return arrays


def test_load_errors_name_file_key_and_problem(tmp_path):
    arrays = _papers_arrays()
    missing = _write_papers(tmp_path / "missing.h5", **{k: v for k, v in arrays.items() if k != "Y_valid"})
    with pytest.raises(DataFormatError, match=r"missing\.h5 is missing key 'Y_valid'"):
        load_h5(missing)

    channel_last = _write_papers(tmp_path / "cl.h5", **{**arrays, "X_test": arrays["X_test"].transpose(0, 2, 1)})
    with pytest.raises(DataFormatError, match=r"cl\.h5: X_test has shape \(4, 10, 4\).*channel-last.*transpose"):
        load_h5(channel_last)

    not_one_hot = arrays["X_train"].copy()
    not_one_hot[2, :, 7] = [0.5, 0.5, 0, 0]
    bad = _write_papers(tmp_path / "bad.h5", **{**arrays, "X_train": not_one_hot})
    with pytest.raises(DataFormatError, match=r"bad\.h5, split 'train': X is not one-hot: sequence 2, position 7"):
        load_h5(bad)

    nan_labels = _write_papers(tmp_path / "nan.h5", **{**arrays, "Y_test": np.array([[0.0], [np.nan], [1], [0]])})
    with pytest.raises(DataFormatError, match=r"nan\.h5, split 'test': y contains NaN"):
        load_h5(nan_labels)

    rows = _write_papers(tmp_path / "rows.h5", **{**arrays, "Y_train": np.zeros((3, 1))})
    with pytest.raises(DataFormatError, match=r"rows\.h5: Y_train has 3 rows but X has 4"):
        load_h5(rows)

    neither = _write_papers(tmp_path / "neither.h5", data=np.zeros(3))
    with pytest.raises(DataFormatError, match="no key 'X_train'"):
        load_h5(neither)


def test_load_rejects_non_hdf5_missing_and_future_files(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("hello\n")
    with pytest.raises(DataFormatError, match="is not an HDF5 file"):
        load_h5(text)
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        load_h5(tmp_path / "absent.h5")
    path = save_h5(_tiny_dataset(), tmp_path / "d.h5")
    with h5py.File(path, "a") as handle:
        handle.attrs["format_version"] = 2
    with pytest.raises(DataFormatError, match="format_version 2"):
        load_h5(path)
    with h5py.File(path, "a") as handle:
        handle.attrs["format_version"] = 1
        del handle["valid/y"]
    with pytest.raises(DataFormatError, match=r"d\.h5 is missing key '/valid/y'"):
        load_h5(path)
    with h5py.File(path, "a") as handle:
        handle["valid/y"] = np.zeros((2, 2), dtype=np.float32)
        del handle["test/motif_sites/strand"]
    with pytest.raises(DataFormatError, match=r"d\.h5 is missing key '/test/motif_sites/strand'"):
        load_h5(path)


@pytest.mark.parametrize(
    "file, sizes, n_tasks",
    [("synthetic_code_dataset.h5", (14000, 2000, 4000), 1), ("synthetic_dataset.h5", (21000, 3000, 6000), 12)],
)
def test_load_reference_synthetic_datasets(shared_data, file, sizes, n_tasks):
    path = shared_data / "reference" / file
    dataset = load_h5(path)
    assert [len(dataset.split(s)) for s in ("train", "valid", "test")] == list(sizes)
    assert (dataset.input_length, dataset.n_tasks) == (200, n_tasks)
    assert dataset.metadata["stored_dtypes"] == {"X": "float64", "y": "float64"}
    with h5py.File(path, "r") as handle:
        np.testing.assert_array_equal(dataset.test.X[:50], handle["X_test"][:50])
        np.testing.assert_allclose(dataset.test.ground_truth[:50], handle["model_test"][:50], rtol=1e-6)
    info = dataset.summary()
    assert info["has_ground_truth"]
    balance = np.array(list(info["splits"]["train"]["label_balance"].values()))
    counts = info["splits"]["train"]["motifs_per_sequence"]
    if n_tasks == 1:
        assert abs(balance[0] - 0.5) < 0.01  # 10,000 sequences per class
        # 3..7 motifs per sequence; abutting motifs merge into one run, so a few show 2
        assert counts["min"] >= 2 and counts["max"] <= 7 and counts["histogram"]["3"] / sizes[0] > 0.45
    else:
        assert np.all(np.abs(balance - 0.145) < 0.01)  # SPEC 2c: per-TF prevalence
        assert counts["min"] >= 1 and counts["max"] <= 5  # no motif-free sequences


def test_load_invivo_datasets(shared_data):
    for file, sizes in {"IRF1_400_h3k27ac.h5": (2724, 389, 779), "ZBED2_400_h3k27ac.h5": (3431, 490, 981)}.items():
        dataset = load_h5(shared_data / "invivo" / file)
        assert [len(dataset.split(s)) for s in ("train", "valid", "test")] == list(sizes)
        assert dataset.input_length == 400 and dataset.task_names == ["label"]
        assert dataset.train.ground_truth is None
        assert dataset.metadata["stored_dtypes"] == {"X": "float32", "y": "int8"}
        assert dataset.train.y.dtype == np.float32
        assert set(np.unique(dataset.train.y)) == {0.0, 1.0}


# ----------------------------------------------------------------------------------------
# FASTA


def test_read_fasta_multiline_blank_lines_and_gzip(tmp_path):
    text = ">seq1 some description\nACGT\nacgt\n\n>seq2\r\nNNAC\r\n;comment\nGT\n"
    plain = tmp_path / "a.fa"
    plain.write_text(text)
    expected = [("seq1", "ACGTacgt"), ("seq2", "NNACGT")]
    assert read_fasta(plain) == expected
    zipped = tmp_path / "a.fa.gz"
    with gzip.open(zipped, "wt") as handle:
        handle.write(text)
    assert read_fasta(zipped) == expected


def test_read_fasta_errors(tmp_path):
    path = tmp_path / "b.fa"
    path.write_text("ACGT\n>x\nAC\n")
    with pytest.raises(DataFormatError, match="line 1 holds sequence before the first '>'"):
        read_fasta(path)
    path.write_text(">x\n>y\nAC\n")
    with pytest.raises(DataFormatError, match="record 'x' \\(line 1\\) has no sequence"):
        read_fasta(path)
    path.write_text("\n\n")
    with pytest.raises(DataFormatError, match="holds no FASTA records"):
        read_fasta(path)
    with pytest.raises(FileNotFoundError):
        read_fasta(tmp_path / "none.fa")


def test_dataset_from_fasta_bad_character_names_record_and_position(tmp_path):
    path = tmp_path / "c.fa"
    path.write_text(">good\nACGTACGT\n>broken\nACGT\nAXGT\n")
    with pytest.raises(SequenceError, match=r"invalid character 'X' in sequence 'broken' at position 5.*c\.fa"):
        dataset_from_fasta({path: 1}, valid_fraction=0, test_fraction=0)


def test_dataset_from_fasta_one_file_per_class(shared_data):
    folder = shared_data / "invivo" / "oct4_mafk_chipseq"
    sources = {folder / "oct4_test.fa": 1, folder / "mafk_test.fa": 0}
    dataset = dataset_from_fasta(sources, valid_fraction=0.1, test_fraction=0.2, seed=5)
    assert [len(dataset.split(s)) for s in ("train", "valid", "test")] == [140, 20, 40]
    assert dataset.input_length == 200 and dataset.task_names == ["label"]
    oct4 = dict(read_fasta(folder / "oct4_test.fa"))
    mafk = dict(read_fasta(folder / "mafk_test.fa"))
    for name in ("train", "valid", "test"):
        split = dataset.split(name)
        for row, header in enumerate(split.names):
            source = oct4 if header in oct4 else mafk
            assert split.y[row, 0] == (1.0 if source is oct4 else 0.0)
            assert decode(split.X[row]) == source[header].upper()
    assert sum(dataset.split(s).y.sum() for s in ("train", "valid", "test")) == 100
    again = dataset_from_fasta(sources, seed=5)
    assert again.test.names == dataset.test.names
    assert dataset_from_fasta(sources, seed=6).test.names != dataset.test.names


def test_dataset_from_fasta_with_labels_file_multilabel(tmp_path):
    fasta = tmp_path / "s.fa"
    fasta.write_text("".join(f">r{i}\n{'ACGT'[i % 4] * 6}\n" for i in range(10)))
    labels = tmp_path / "labels.csv"
    labels.write_text("name,TF1,TF2\n" + "".join(f"r{i},{i % 2},{int(i > 4)}\n" for i in range(10)) + "extra,1,1\n")
    table, tasks = read_labels(labels)
    assert tasks == ["TF1", "TF2"] and table["r7"].tolist() == [1, 1]
    dataset = dataset_from_fasta(fasta, labels, valid_fraction=0.2, test_fraction=0.2, seed=0)
    assert dataset.task_names == ["TF1", "TF2"]
    assert [len(dataset.split(s)) for s in ("train", "valid", "test")] == [6, 2, 2]
    for split in (dataset.train, dataset.valid, dataset.test):
        for row, name in enumerate(split.names):
            i = int(name[1:])
            assert split.y[row].tolist() == [i % 2, int(i > 4)]

    tsv = tmp_path / "labels.tsv"
    tsv.write_text("r0\t1\n")
    with pytest.raises(DataFormatError, match="record 'r1' of .*s.fa has no row in labels file"):
        dataset_from_fasta(fasta, tsv)
    tsv.write_text("r0\t1\nr1\tyes\n")
    with pytest.raises(DataFormatError, match=r"labels.tsv, line 2: labels \['yes'\] are not numbers"):
        read_labels(tsv)


def test_dataset_from_fasta_lengths(tmp_path):
    fasta = tmp_path / "u.fa"
    fasta.write_text(">a\nAACCGGTT\n>b\nACGTA\n>c\nCCGGA\n")
    with pytest.raises(DataFormatError, match=r"differ in length \('a' has 8 nt, 'b' has 5 nt\); pass length="):
        dataset_from_fasta({fasta: 1})
    with pytest.raises(DataFormatError, match="'b' has 5 nt, shorter than length=6"):
        dataset_from_fasta({fasta: 1}, length=6)
    dataset = dataset_from_fasta({fasta: 1}, length=4, valid_fraction=0, test_fraction=0, seed=0)
    crops = dict(zip(dataset.train.names, decode(dataset.train.X)))
    # centre crops: window start = (len - 4) // 2
    assert crops == {"a": "CCGG", "b": "ACGT", "c": "CCGG"}
    with pytest.raises(DataFormatError, match="valid_fraction \\+ test_fraction must be < 1"):
        dataset_from_fasta({fasta: 1}, length=4, valid_fraction=0.5, test_fraction=0.5)


def test_split_arrays_sizes_and_seed():
    X = random_sequences(20, 5, seed=0)
    y = np.arange(20.0)
    dataset = split_arrays(X, y, valid_fraction=0.15, test_fraction=0.25, seed=1)
    assert [len(dataset.split(s)) for s in ("train", "valid", "test")] == [12, 3, 5]
    all_y = np.concatenate([dataset.split(s).y[:, 0] for s in ("train", "valid", "test")])
    assert sorted(all_y.tolist()) == list(range(20))
    np.testing.assert_array_equal(dataset.train.X, X[dataset.train.y[:, 0].astype(int)])


# ----------------------------------------------------------------------------------------
# BED + genome


@pytest.fixture
def genome(tmp_path):
    chroms = {"chr1": "AACCGGTTACGTACGTAAAACCCCGGGGTTTT", "chr2": "GATTACAGATTACA"}
    path = tmp_path / "genome.fa"
    # 10 nt per line: pyfaidx must stitch lines together
    path.write_text("".join(f">{c} description\n" + "\n".join(s[i:i + 10] for i in range(0, len(s), 10)) + "\n"
                            for c, s in chroms.items()))
    return path, chroms


def test_extract_regions_strands_and_names(tmp_path, genome):
    genome_path, chroms = genome
    bed = tmp_path / "r.bed"
    bed.write_text("track name=test\nchr1\t0\t6\tfirst\t0\t+\nchr1\t8\t14\tsecond\t0\t-\nchr2\t1\t7\n")
    names, X = extract_regions(bed, genome_path)
    assert names == ["first", "second", "chr2:1-7"]
    assert X.shape == (3, 4, 6) and X.dtype == np.float32
    assert decode(X) == [chroms["chr1"][0:6], reverse_complement(chroms["chr1"][8:14]), chroms["chr2"][1:7]]
    assert decode(X[1]) == "GTACGT"  # chr1[8:14] = ACGTAC, reverse-complemented by hand
    assert read_bed(bed)["strand"].tolist() == ["+", "-", "."]


def test_extract_regions_resize_and_chromosome_ends(tmp_path, genome):
    genome_path, chroms = genome
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t10\t12\ta\nchr2\t0\t2\tb\nchr1\t20\t21\tc\t.\t-\n")
    with pytest.raises(DataFormatError, match=r"line 2: region chr2:-1-3 runs off chr2 \(length 14\)"):
        extract_regions(bed, genome_path, length=4)
    names, X = extract_regions(bed, genome_path, length=4, off_chrom="skip")
    assert names == ["a", "c"]
    assert decode(X) == [chroms["chr1"][9:13], reverse_complement(chroms["chr1"][18:22])]
    with pytest.raises(DataFormatError, match=r"r\.bed: sequences differ in length \('a' has 2 nt, 'c' has 1 nt\)"):
        extract_regions(bed, genome_path)


def test_extract_regions_unknown_chromosome_and_bad_bed(tmp_path, genome):
    genome_path, _ = genome
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t0\t4\nchrUn\t0\t4\n")
    with pytest.raises(DataFormatError, match=r"r\.bed, line 2: chromosome 'chrUn' is not in .*genome\.fa"):
        extract_regions(bed, genome_path)
    bed.write_text("chr1\t5\t2\n")
    with pytest.raises(DataFormatError, match="line 1: bad interval \\[5, 2\\)"):
        extract_regions(bed, genome_path)
    bed.write_text("chr1\tzero\t2\n")
    with pytest.raises(DataFormatError, match="are not integers"):
        read_bed(bed)


# ----------------------------------------------------------------------------------------
# summary


def _hand_built_dataset(with_sites):
    """L = 10; three sequences with 2, 2 and 0 motifs; labels for tasks a, b."""
    X = one_hot_encode(["ACGTACGTAC", "TTTTACGTAA", "GGGGCCCCAA"])
    y = np.array([[1, 0], [0, 0], [1, 1]], dtype=np.float32)
    # seq 0: motifs at 2-4 and 4-6 abut (one run of informative columns);
    # seq 1: motifs at 0-1 and 8-10 (two runs); seq 2: background only.
    gt = _ground_truth(3, 10, [(0, 2), (0, 3), (0, 4), (0, 5), (1, 0), (1, 8), (1, 9)])
    sites = _sites([(0, "m", "1", "+", 2, 4), (0, "n", "2", "-", 4, 6), (1, "m", "1", "+", 0, 1), (1, "n", "2", "+", 8, 10)])
    split = Split(X=X, y=y, ground_truth=gt, motif_sites=sites if with_sites else None)
    return SeqDataset(split, split.subset([0]), split.subset([1, 2]), task_names=["a", "b"], metadata={"seed": 3})


def test_summary_values_on_hand_built_dataset():
    info = summary(_hand_built_dataset(with_sites=True))
    assert info["n_sequences"] == 6 and info["input_length"] == 10 and info["n_tasks"] == 2
    assert info["task_names"] == ["a", "b"] and info["metadata"] == {"seed": 3}
    train = info["splits"]["train"]
    assert train["label_balance"] == pytest.approx({"a": 2 / 3, "b": 1 / 3})
    assert train["motifs_per_sequence"] == {
        "source": "motif_sites", "mean": pytest.approx(4 / 3), "min": 0, "max": 2, "histogram": {"0": 1, "2": 2},
    }
    assert train["ground_truth_coverage"] == pytest.approx(7 / 30)
    assert info["splits"]["valid"]["motifs_per_sequence"]["histogram"] == {"2": 1}
    assert info["splits"]["test"]["ground_truth_coverage"] == pytest.approx(3 / 20)
    json.dumps(info)  # JSON-ready

    runs = summary(_hand_built_dataset(with_sites=False))["splits"]["train"]["motifs_per_sequence"]
    # counted from ground truth: the abutting pair in sequence 0 is one run
    assert runs == {"source": "ground_truth_runs", "mean": 1.0, "min": 0, "max": 2, "histogram": {"0": 1, "1": 1, "2": 1}}
    assert summary(_hand_built_dataset(with_sites=False))["splits"]["train"]["motifs_per_seq_source"] == "ground-truth runs"
    assert info["splits"]["train"]["motifs_per_seq_source"] == "motif table"


def test_summary_counts_motifs_from_the_site_table(tmp_path, capsys):
    """The regulatory-code generator places at least 3 motifs a sequence; ground-truth runs
    merge abutting ones (fewer), the site table counts each (issue 14)."""
    from seqlens.cli import main
    from seqlens.synthetic import regulatory_code_dataset

    dataset = regulatory_code_dataset(n=200)
    info = dataset.summary()
    for name, split in info["splits"].items():
        assert split["motifs_per_seq_source"] == "motif table"
        counts = split["motifs_per_sequence"]
        assert counts["source"] == "motif_sites" and counts["min"] >= 3, name
        expected = np.bincount(dataset.split(name).motif_sites["sequence"], minlength=split["n"])
        assert counts["mean"] == pytest.approx(expected.mean())
    path = save_h5(dataset, tmp_path / "code.h5")
    capsys.readouterr()
    assert main(["data", "info", str(path)]) == 0
    captured = capsys.readouterr()
    assert "motifs/seq: from the motif site table" in captured.out + captured.err
    assert main(["data", "info", str(path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {s["motifs_per_seq_source"] for s in document["splits"].values()} == {"motif table"}
    assert min(s["motifs_per_sequence"]["min"] for s in document["splits"].values()) >= 3
    # Without the site table the count falls back to runs and says so.
    bare = summary(_hand_built_dataset(with_sites=False))
    assert bare["splits"]["train"]["motifs_per_seq_source"] == "ground-truth runs"
    assert summary(SeqDataset(*(Split(X=random_sequences(2, 5, seed=0), y=np.zeros(2)),) * 3))["splits"]["train"]["motifs_per_seq_source"] is None


def test_summary_without_ground_truth():
    split = Split(X=random_sequences(4, 5, seed=0), y=np.array([1.0, 0, 0, 0]))
    info = SeqDataset(split, split, split).summary()
    assert not info["has_ground_truth"]
    assert info["splits"]["test"]["label_balance"] == {"label": 0.25}
    assert info["splits"]["test"]["motifs_per_sequence"] is None
    assert info["splits"]["test"]["ground_truth_coverage"] is None


# ----------------------------------------------------------------------------------------
# CLI


def test_cli_data_info_json(tmp_path, capsys):
    from seqlens.cli import main

    path = save_h5(_hand_built_dataset(with_sites=True), tmp_path / "tiny.h5")
    capsys.readouterr()
    assert main(["data", "info", str(path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["layout"] == "seqlens" and document["file"] == str(path)
    assert [document["splits"][s]["n"] for s in ("train", "valid", "test")] == [3, 1, 2]
    assert document["splits"]["train"]["ground_truth_coverage"] == pytest.approx(7 / 30)
    assert document["splits"]["train"]["label_balance"]["a"] == pytest.approx(2 / 3)

    papers = save_h5(_hand_built_dataset(with_sites=False), tmp_path / "papers.h5", layout="papers")
    assert main(["data", "info", str(papers)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "papers layout" in captured.err and "0.233" in captured.err


def test_cli_data_info_missing_file(tmp_path, capsys):
    from seqlens.cli import main

    assert main(["data", "info", str(tmp_path / "absent.h5")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "absent.h5" in lines[0] and lines[0].startswith("error:")


# ----------------------------------------------------------------------------------------
# issue 10: the papers' layout keeps task names and metadata; headers; what a file is


def test_papers_layout_keeps_task_names_and_metadata_as_attributes(tmp_path):
    from seqlens.synthetic import multitask_dataset

    dataset = multitask_dataset(n=60, tfs=["SP1", "MAX", "YY1"], seed=0)
    path = save_h5(dataset, tmp_path / "multi.h5", layout="papers")
    with h5py.File(path, "r") as handle:
        # keys stay exactly the papers' (the original code reads keys and ignores attributes)
        assert sorted(handle) == sorted(f"{k}_{s}" for k in ("X", "Y", "model") for s in ("train", "valid", "test"))
        assert json.loads(handle.attrs["task_names"]) == ["SP1", "MAX", "YY1"]
        assert json.loads(handle.attrs["metadata"])["generator"] == "multitask"
    loaded = load_h5(path)
    assert loaded.task_names == ["SP1", "MAX", "YY1"]
    assert loaded.metadata["generator"] == "multitask" and loaded.metadata["tfs"] == dataset.metadata["tfs"]
    assert loaded.metadata["layout"] == "papers" and loaded.metadata["stored_dtypes"]["X"] == "float32"
    np.testing.assert_array_equal(loaded.test.y, dataset.test.y)

    from seqlens.data.hdf5 import read_h5_header

    header = read_h5_header(path)
    assert (header.layout, header.task_names, header.n_tasks, header.input_length) == ("papers", ["SP1", "MAX", "YY1"], 3, 200)
    assert header.sizes == {"train": 42, "valid": 6, "test": 12} and all(header.has_ground_truth.values())
    seqlens_header = read_h5_header(save_h5(_tiny_dataset(), tmp_path / "s.h5"))
    assert (seqlens_header.layout, seqlens_header.task_names, seqlens_header.sizes["valid"]) == ("seqlens", ["SP1", "MAX"], 2)


def test_papers_files_without_or_with_bad_attributes(tmp_path):
    from seqlens.data.hdf5 import read_h5_header

    plain = _write_papers(tmp_path / "plain.h5", **_papers_arrays())  # as the original code writes it
    assert load_h5(plain).task_names == ["label"] and read_h5_header(plain).task_names == ["label"]
    with h5py.File(plain, "a") as handle:
        handle.attrs["metadata"] = "{not json"
    with pytest.raises(DataFormatError, match=r"plain\.h5: root attribute 'metadata' is not valid JSON"):
        load_h5(plain)
    with h5py.File(plain, "a") as handle:
        handle.attrs["metadata"] = "{}"
        handle.attrs["task_names"] = json.dumps(["a", "b"])
    with pytest.raises(DataFormatError, match=r"plain\.h5: 2 task names for 1 tasks"):
        load_h5(plain)
    with pytest.raises(DataFormatError, match=r"plain\.h5: 2 task names for 1 tasks"):
        read_h5_header(plain)


def test_attribution_and_non_hdf5_files_say_what_they_are(tmp_path, capsys):
    from seqlens.attribution import AttributionSet, MethodMaps, save_attributions
    from seqlens.cli import main

    split = _hand_built_dataset(with_sites=True).train
    maps = {"saliency": MethodMaps("saliency", "hypothetical", {"raw": np.ones(split.X.shape), "corrected": np.zeros(split.X.shape)})}
    attr = save_attributions(AttributionSet(sequences=split, rows=np.arange(3), target=1, methods=maps, task_name="b",
                                            split="train", seed=2), tmp_path / "attr.h5")
    with pytest.raises(DataFormatError, match=r"attr\.h5 is an attribution file \(written by `seqlens attribute`\).*`seqlens score"):
        load_h5(attr)
    capsys.readouterr()
    assert main(["data", "info", str(attr)]) == 0
    err = capsys.readouterr().err
    assert "is an attribution file" in err and f"seqlens score {attr}" in err
    assert "3 sequence(s) of 10 nt of split train, output 1 (b)" in err and "saliency (raw+corrected)" in err
    assert main(["data", "info", str(attr), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["kind"], document["read_by"], document["n"], document["target"]) == ("attributions", "seqlens score", 3, 1)
    assert document["methods"] == {"saliency": ["raw", "corrected"]} and document["has_ground_truth"]

    text = tmp_path / "seqs.fa"
    text.write_text(">s1\nACGT\n")
    assert main(["data", "info", str(text)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"{text} is not an HDF5 file" in lines[0] and "`seqlens data info` reads HDF5 datasets" in lines[0]
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    assert main(["data", "info", str(empty)]) == 1
    assert "is not an HDF5 file (it is empty)" in capsys.readouterr().err


def test_cli_data_info_reads_names_and_metadata_of_papers_files(tmp_path, capsys):
    from seqlens.cli import main

    papers = save_h5(_hand_built_dataset(with_sites=False), tmp_path / "papers.h5", layout="papers")
    capsys.readouterr()
    assert main(["data", "info", str(papers), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["layout"] == "papers" and document["task_names"] == ["a", "b"] and document["metadata"]["seed"] == 3
