"""Issue 13: datasets larger than memory (compact layout, streamed splits, fit and attribution)."""

import json
import pickle

import h5py
import numpy as np
import pytest
import torch
from torch import nn

from seqlens.data import (
    CompactWriter,
    SeqDataset,
    Split,
    StreamingSplit,
    attribute_blocks,
    convert_to_compact,
    load_h5,
    open_streaming,
    save_compact,
    save_h5,
)
from seqlens.data.streaming import codes_to_one_hot, codes_to_tensor, one_hot_to_codes
from seqlens.errors import DataFormatError


def _dataset(n=(70, 23, 11), length=24, tasks=2, seed=0, n_columns=None) -> SeqDataset:
    rng = np.random.default_rng(seed)
    splits = {}
    for name, size in zip(("train", "valid", "test"), n, strict=True):
        codes = rng.integers(0, 4, size=(size, length))
        X = codes_to_one_hot(codes)
        if n_columns is not None:
            X[0, :, 3] = n_columns
            X[-1, :, 0] = n_columns
        y = (rng.random((size, tasks)) < 0.5).astype(np.float32)
        y[0], y[1] = 0, 1  # both classes in each column
        splits[name] = Split(X=X, y=y)
    return SeqDataset(**splits, task_names=[f"t{i}" for i in range(tasks)], metadata={"origin": "test"})


def _model(length=24, tasks=2, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv1d(4, 6, 5, padding=2), nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(6, tasks))


# ---------------------------------------------------------------------------- codes


@pytest.mark.parametrize("n_value, policy", [(0.0, "zeros"), (0.25, "uniform")])
def test_codes_round_trip_follows_the_n_policy(n_value, policy):
    X = _dataset(n_columns=n_value).train.X
    codes, found = one_hot_to_codes(X)
    assert codes.dtype == np.uint8 and codes.shape == (70, 24)
    assert found == policy and codes[0, 3] == 4 and codes[-1, 0] == 4
    np.testing.assert_array_equal(codes_to_one_hot(codes, policy), X)
    np.testing.assert_array_equal(codes_to_tensor(codes, policy).numpy(), X)
    assert one_hot_to_codes(_dataset().train.X)[1] is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_codes_to_tensor_on_the_gpu():
    X = _dataset(n_columns=0.25).train.X
    codes, policy = one_hot_to_codes(X)
    out = codes_to_tensor(codes, policy, device="cuda")
    assert out.device.type == "cuda"
    np.testing.assert_array_equal(out.cpu().numpy(), X)


def test_codes_refuse_soft_and_mixed_columns():
    X = _dataset().train.X
    soft = X.copy()
    soft[2, :, 5] = [0.5, 0.5, 0, 0]
    with pytest.raises(DataFormatError, match="row 2 position 5 is neither one-hot"):
        one_hot_to_codes(soft)
    mixed = X.copy()
    mixed[0, :, 0] = 0
    mixed[1, :, 0] = 0.25
    with pytest.raises(DataFormatError, match="both all-zero and 0.25"):
        one_hot_to_codes(mixed)


# ---------------------------------------------------------------------------- layout


@pytest.mark.parametrize("compression", ["gzip", "lzf", "none"])
def test_compact_file_loads_back_into_a_dataset(tmp_path, compression):
    dataset = _dataset(n_columns=0.25)
    path = save_compact(dataset, tmp_path / "c.h5", chunk_rows=16, compression=compression)
    loaded = load_h5(path)
    for name in ("train", "valid", "test"):
        np.testing.assert_array_equal(loaded.split(name).X, dataset.split(name).X)
        np.testing.assert_array_equal(loaded.split(name).y, dataset.split(name).y)
    assert loaded.task_names == ["t0", "t1"] and loaded.metadata["layout"] == "compact"
    assert loaded.metadata["origin"] == "test"
    with h5py.File(path) as handle:
        assert handle["codes"].dtype == np.uint8 and handle["codes"].chunks == (16, 24)
        assert handle.attrs["n_policy"] == "uniform" and handle.attrs["checksum"].startswith("sha256:")
        assert json.loads(handle.attrs["split_rows"]) == {"train": [0, 70], "valid": [70, 93], "test": [93, 104]}
        np.testing.assert_array_equal(handle["split"][()], [0] * 70 + [1] * 23 + [2] * 11)
        assert "seqlens_version" in handle.attrs and "source" in handle.attrs


@pytest.mark.parametrize("layout", ["seqlens", "papers"])
def test_convert_reads_in_blocks_and_matches(tmp_path, layout):
    dataset = _dataset()
    src = save_h5(dataset, tmp_path / "in.h5", layout=layout)
    out = convert_to_compact(src, tmp_path / "out.h5", chunk_rows=8)
    loaded = load_h5(out)
    for name in ("train", "valid", "test"):
        np.testing.assert_array_equal(loaded.split(name).X, dataset.split(name).X)
        np.testing.assert_array_equal(loaded.split(name).y, dataset.split(name).y)
    assert loaded.metadata["converted_from"]["layout"] == layout


def test_convert_command(tmp_path, capsys):
    from seqlens.cli import main

    src = save_h5(_dataset(), tmp_path / "in.h5")
    capsys.readouterr()
    assert main(["data", "convert", str(src), str(tmp_path / "out.h5"), "--chunk-rows", "10", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["layout"] == "compact" and document["sizes"] == {"train": 70, "valid": 23, "test": 11}
    assert main(["data", "info", str(tmp_path / "out.h5"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["layout"] == "compact"
    # bad input: one line each
    for argv in (
        ["data", "convert", str(tmp_path / "absent.h5"), str(tmp_path / "o.h5")],
        ["data", "convert", str(src), str(tmp_path / "o.h5"), "--chunk-rows", "0"],
        ["data", "convert", str(src), str(tmp_path / "o.h5"), "--compression", "zip"],
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:"), err


def test_convert_refuses_soft_inputs_in_one_line(tmp_path):
    src = save_h5(_dataset(), tmp_path / "soft.h5", layout="papers")
    with h5py.File(src, "r+") as handle:
        handle["X_train"][4, :, 2] = [0.7, 0.1, 0.1, 0.1]
    with pytest.raises(DataFormatError, match=r"split 'train', rows from 0: train X row 4 position 2") as info:
        convert_to_compact(src, tmp_path / "out.h5", chunk_rows=32)
    assert "\n" not in str(info.value) and not (tmp_path / "out.h5").exists()
    with pytest.raises(DataFormatError, match="not in the compact layout"):
        open_streaming(src)


def test_writer_checks_rows_and_order(tmp_path):
    with pytest.raises(DataFormatError, match="codes must have shape"):
        with CompactWriter(tmp_path / "w.h5", 10, 1) as w:
            w.write("train", np.zeros((3, 9), np.uint8), np.zeros(3))
    assert not (tmp_path / "w.h5").exists()
    with pytest.raises(DataFormatError, match="in order"):
        with CompactWriter(tmp_path / "w.h5", 10, 1) as w:
            w.write("valid", np.zeros((3, 10), np.uint8), np.zeros(3))
            w.write("train", np.zeros((3, 10), np.uint8), np.zeros(3))
    with CompactWriter(tmp_path / "w.h5", 10, 1, chunk_rows=4) as w:  # valid skipped: empty
        w.write("train", np.ones((3, 10), np.uint8), np.zeros(3))
        w.write("train", np.ones((2, 10), np.uint8), np.ones(2))
        w.write("test", np.full((4, 10), 2, np.uint8), np.ones(4))
    assert [len(open_streaming(tmp_path / "w.h5", s)) for s in ("train", "valid", "test")] == [5, 0, 4]


# ---------------------------------------------------------------------------- streaming


@pytest.fixture
def compact(tmp_path):
    dataset = _dataset(n_columns=0.0)
    return dataset, save_compact(dataset, tmp_path / "c.h5", chunk_rows=16)


def test_unshuffled_batches_equal_the_rows(compact):
    dataset, path = compact
    split = open_streaming(path, "valid", batch_size=7)
    assert isinstance(split, StreamingSplit) and split.shape == (23, 4, 24) and "valid" in repr(split)
    batches = list(split)
    assert [len(x) for x, _ in batches] == [7, 7, 7, 2]
    np.testing.assert_array_equal(torch.cat([x for x, _ in batches]).numpy(), dataset.valid.X)
    np.testing.assert_array_equal(torch.cat([y for _, y in batches]).numpy(), dataset.valid.y)
    assert batches[0][0].dtype == torch.float32 and batches[0][0].shape == (7, 4, 24)
    assert len(list(split.with_options(drop_last=True))) == 3


def test_shuffle_is_a_seeded_chunk_aligned_permutation(compact):
    dataset, path = compact
    split = open_streaming(path, "valid", batch_size=5, shuffle=True, seed=3, buffer_blocks=1)
    # valid rows are file rows 70..92: blocks cut at chunk edges 80 and 96
    assert split.blocks() == [(0, 10), (10, 23)]
    order = split.order(0)
    assert sorted(order) == list(range(23))
    # a buffer of one block: each block's rows come together, permuted within the block
    assert set(order[:10]) == set(range(10)) or set(order[:13]) == set(range(10, 23))
    assert not np.array_equal(order, np.arange(23))
    np.testing.assert_array_equal(order, open_streaming(path, "valid", shuffle=True, seed=3, buffer_blocks=1).order(0))
    assert not np.array_equal(split.order(0), split.order(1)) or not np.array_equal(order, split.with_options(seed=4).order(0))
    X = torch.cat([x for x, _ in split.batches(0)]).numpy()
    y = torch.cat([y for _, y in split.batches(0)]).numpy()
    np.testing.assert_array_equal(X, dataset.valid.X[order])
    np.testing.assert_array_equal(y, dataset.valid.y[order])
    big = open_streaming(path, "train", shuffle=True, seed=0, buffer_blocks=2)
    assert sorted(big.order(5)) == list(range(70))


def test_pickled_split_reopens_the_file(compact):
    dataset, path = compact
    split = open_streaming(path, "test", batch_size=4)
    list(split)  # opens the handle
    copy = pickle.loads(pickle.dumps(split))
    assert copy._handle is None
    np.testing.assert_array_equal(copy.read()[0], dataset.test.X)
    loader = torch.utils.data.DataLoader(open_streaming(path, "train", batch_size=8).torch_dataset(), batch_size=None, num_workers=2)
    rows = torch.cat([x for x, _ in loader]).numpy()
    assert rows.shape == dataset.train.X.shape
    assert sorted(map(bytes, rows.astype(np.uint8))) == sorted(map(bytes, dataset.train.X.astype(np.uint8)))


def test_streaming_options_are_checked(compact):
    _, path = compact
    with pytest.raises(DataFormatError, match="batch_size must be an integer >= 1"):
        open_streaming(path, batch_size=0)
    with pytest.raises(DataFormatError, match="unknown split"):
        open_streaming(path, "validation")


# ---------------------------------------------------------------------------- fit


def test_fit_on_streamed_splits_matches_in_memory(compact):
    from seqlens.training import fit

    dataset, path = compact
    settings = dict(epochs=3, batch_size=100, lr=1e-2, seed=1, verbose=False, early_stopping_patience=None)
    # one batch per epoch: the batch order is the only difference and a mean does not see it
    memory = fit(_model(), dataset, **settings)
    streamed = fit(_model(), (open_streaming(path, "train"), open_streaming(path, "valid")), **settings)
    for column in ("train_loss", "val_loss", "val_auroc", "val_aupr", "lr"):
        np.testing.assert_allclose(streamed[column], memory[column], rtol=1e-4, atol=1e-6)
    assert streamed.attrs["settings"]["data"]["train"]["X_sha256"].startswith("codes:")
    # several batches, shuffled, with a streamed train and an in-memory valid split
    many = fit(_model(), (open_streaming(path, "train", shuffle=True, seed=2), dataset.valid),
               **{**settings, "batch_size": 16, "rc_augment": True})
    again = fit(_model(), (open_streaming(path, "train", shuffle=True, seed=2), dataset.valid),
                **{**settings, "batch_size": 16, "rc_augment": True})
    np.testing.assert_array_equal(many["train_loss"], again["train_loss"])
    assert np.isfinite(many["train_loss"]).all()


def test_fit_refuses_mismatched_streams(compact, tmp_path):
    from seqlens.training import fit

    dataset, path = compact
    other = save_compact(_dataset(length=30), tmp_path / "other.h5")
    with pytest.raises(DataFormatError, match="length 24 but valid ones 30"):
        fit(_model(), (open_streaming(path), open_streaming(other, "valid")), epochs=1, verbose=False)


# ---------------------------------------------------------------------------- attribution


@pytest.mark.parametrize("method_name", ["saliency", "ism"])
def test_streamed_attribution_equals_in_memory(compact, tmp_path, method_name):
    import seqlens.attribution as attribution

    dataset, path = compact
    method = getattr(attribution, method_name)
    model = _model().eval()
    split = open_streaming(path, "test")
    X = torch.from_numpy(dataset.test.X)
    expected = method(model, X, target=1).numpy()
    blocks = attribute_blocks(method, model, split, block_rows=4, target=1)
    np.testing.assert_allclose(blocks, expected, rtol=1e-5, atol=1e-6)
    out = attribute_blocks(method, model, split, block_rows=3, out=tmp_path / f"{method_name}.h5", target=1)
    with h5py.File(out) as handle:
        np.testing.assert_allclose(handle["attributions"][()], expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(DataFormatError, match="block_rows must be"):
        attribute_blocks(method, model, split, block_rows=0)
