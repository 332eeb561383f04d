"""The attribution file (seqlens.attribution.io): exact round trips, validation, atomic writes."""

import h5py
import numpy as np
import pandas as pd
import pytest

import seqlens
from seqlens.alphabet import random_sequences
from seqlens.attribution import AttributionSet, MethodMaps, load_attributions, save_attributions
from seqlens.data import Split, SeqDataset, save_h5
from seqlens.errors import DataFormatError, SeqlensError


def _split(n=5, length=30, seed=0, ground_truth=True, sites=True):
    rng = np.random.default_rng(seed)
    X = random_sequences(n, length, seed=rng)
    gt = None
    if ground_truth:
        gt = np.full((n, 4, length), 0.25, dtype=np.float32)
        gt[:, :, 10:15] = X[:, :, 10:15]  # a 5-column "motif" matching the sequence
    table = None
    if sites:
        table = pd.DataFrame(
            {"sequence": np.arange(n), "motif": "SP1", "motif_id": "MA0079.3", "strand": "+", "start": 10, "end": 15}
        )
    return Split(X=X, y=(np.arange(n) % 2)[:, None], ground_truth=gt, motif_sites=table, names=[f"s{i}" for i in range(n)])


def _set(sequences, map_seed=1, **provenance):
    rng = np.random.default_rng(map_seed)
    shape = sequences.X.shape
    raw = rng.normal(size=shape).astype(np.float32)
    ism = rng.normal(size=shape).astype(np.float32) * (1 - sequences.X)
    methods = {
        "saliency": MethodMaps(
            "saliency", "hypothetical", {"raw": raw, "corrected": raw - raw.mean(axis=1, keepdims=True)},
            params={"correct": False}, seconds=0.5,
        ),
        "ism": MethodMaps("ism", "ism_delta", {"raw": ism}, params={"fast": True}, seconds=1.25, warnings=["slow path"]),
    }
    return AttributionSet(sequences=sequences, rows=np.arange(len(sequences)) * 3 + 1, target=0, methods=methods, **provenance)


def test_round_trip_is_exact(tmp_path):
    split = _split()
    original = _set(
        split, task_name="label", split="test", seed=7, model_dir="runs/a", model_config={"name": "cnn_local", "filters": 24},
        data_path="d.h5",
    )
    path = save_attributions(original, tmp_path / "attr.h5")
    loaded = load_attributions(path)
    np.testing.assert_array_equal(loaded.X, split.X)
    np.testing.assert_array_equal(loaded.sequences.y, split.y)
    np.testing.assert_array_equal(loaded.ground_truth, split.ground_truth)
    pd.testing.assert_frame_equal(loaded.sequences.motif_sites, split.motif_sites)
    assert loaded.sequences.names == split.names
    np.testing.assert_array_equal(loaded.rows, [1, 4, 7, 10, 13])
    assert loaded.rows.dtype == np.int64
    assert (loaded.target, loaded.task_name, loaded.split, loaded.seed) == (0, "label", "test", 7)
    assert (loaded.model_dir, loaded.data_path) == ("runs/a", "d.h5")
    assert loaded.model_config == {"name": "cnn_local", "filters": 24}
    assert loaded.seqlens_version == seqlens.__version__
    assert list(loaded.methods) == ["saliency", "ism"]  # the order they were computed in
    for name, method in original.methods.items():
        got = loaded.methods[name]
        assert (got.method, got.kind, got.params, got.seconds, got.warnings) == (
            method.method, method.kind, method.params, method.seconds, method.warnings,
        )
        assert list(got.maps) == list(method.maps)
        for variant, values in method.maps.items():
            assert got.maps[variant].dtype == np.float32
            np.testing.assert_array_equal(got.maps[variant], values)
    listed = [(m.method, v) for m, v, _ in loaded.iter_maps()]
    assert listed == [("saliency", "raw"), ("saliency", "corrected"), ("ism", "raw")]
    assert loaded.methods["ism"].reduction == "l2" and loaded.methods["saliency"].reduction == "sum"


def test_round_trip_without_optional_parts(tmp_path):
    split = _split(ground_truth=False, sites=False)
    split.names = None
    loaded = load_attributions(save_attributions(_set(split), tmp_path / "bare.h5"))
    assert loaded.ground_truth is None and loaded.sequences.motif_sites is None and loaded.sequences.names is None
    assert (loaded.split, loaded.seed, loaded.model_config, loaded.task_name) == (None, None, None, None)
    np.testing.assert_array_equal(loaded.methods["ism"].maps["raw"], _set(split).methods["ism"].maps["raw"])


def test_torch_maps_are_stored_as_float32_numpy():
    import torch

    values = torch.randn(2, 4, 6, dtype=torch.float64)
    method = MethodMaps("saliency", "hypothetical", {"raw": values})
    assert method.maps["raw"].dtype == np.float32
    np.testing.assert_allclose(method.maps["raw"], values.numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "gradient"}, "kind must be one of"),
        ({"maps": {"smoothed": np.zeros((2, 4, 6))}}, "variant must be one of"),
        ({"maps": {"raw": np.zeros((2, 6, 4))}}, r"shape \(N, 4, L\)"),
        ({"maps": {"raw": np.full((2, 4, 6), np.nan)}}, "NaN"),
        ({"maps": {"raw": np.zeros((2, 4, 6)), "corrected": np.zeros((3, 4, 6))}}, "different shapes"),
        ({"maps": {}}, "has no maps"),
        ({"method": "a/b"}, "without '/'"),
        ({"params": {"seed": object()}}, "not JSON-able"),
    ],
)
def test_method_maps_validation(kwargs, message):
    arguments = {"method": "saliency", "kind": "hypothetical", "maps": {"raw": np.zeros((2, 4, 6))}} | kwargs
    with pytest.raises(DataFormatError, match=message):
        MethodMaps(**arguments)


def test_attribution_set_validation():
    split = _split()
    good = _set(split)
    with pytest.raises(DataFormatError, match="rows must be 5 integers"):
        AttributionSet(sequences=split, rows=np.arange(4), target=0, methods=good.methods)
    with pytest.raises(DataFormatError, match="target must be an output index"):
        AttributionSet(sequences=split, rows=np.arange(5), target=-1, methods=good.methods)
    with pytest.raises(DataFormatError, match="named 'other'"):
        AttributionSet(sequences=split, rows=np.arange(5), target=0, methods={"other": good.methods["ism"]})
    small = MethodMaps("ism", "ism_delta", {"raw": np.zeros((5, 4, 20))})
    with pytest.raises(DataFormatError, match=r"maps have shape \(5, 4, 20\) but X has shape \(5, 4, 30\)"):
        AttributionSet(sequences=split, rows=np.arange(5), target=0, methods={"ism": small})
    with pytest.raises(DataFormatError, match="must be a seqlens.data.Split"):
        AttributionSet(sequences=split.X, rows=np.arange(5), target=0, methods={})


def test_load_rejects_other_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        load_attributions(tmp_path / "missing.h5")
    split = _split()
    dataset_file = save_h5(SeqDataset(train=split, valid=split, test=split), tmp_path / "data.h5")
    with pytest.raises(DataFormatError, match="not a seqlens attribution file"):
        load_attributions(dataset_file)
    path = save_attributions(_set(split), tmp_path / "attr.h5")
    with h5py.File(path, "a") as handle:
        del handle["maps"]
    with pytest.raises(DataFormatError, match="missing group '/maps'"):
        load_attributions(path)
    path = save_attributions(_set(split), tmp_path / "attr2.h5")
    with h5py.File(path, "a") as handle:
        handle.attrs["format_version"] = 99
    with pytest.raises(DataFormatError, match="format_version 99"):
        load_attributions(path)
    path = save_attributions(_set(split), tmp_path / "attr3.h5")
    with h5py.File(path, "a") as handle:
        del handle["rows"]
    with pytest.raises(DataFormatError, match="missing key 'rows'"):
        load_attributions(path)
    assert issubclass(DataFormatError, SeqlensError)  # so the CLI prints one line and exits 1


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    split = _split()
    path = save_attributions(_set(split, map_seed=1), tmp_path / "attr.h5")
    before = path.read_bytes()

    def broken(group, table):
        raise OSError("disk full")

    monkeypatch.setattr(seqlens.data.hdf5, "_write_table", broken)  # midway through the sequences
    with pytest.raises(OSError, match="disk full"):
        save_attributions(_set(split, map_seed=2), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["attr.h5"]  # no temporary file left behind


def test_file_info_reads_the_header_only(tmp_path):
    from seqlens.attribution.io import attribution_file_info, is_attribution_file

    split = _split()
    path = save_attributions(_set(split, split="test", seed=4, task_name="label"), tmp_path / "attr.h5")
    info = attribution_file_info(path)
    assert info == {
        "kind": "attributions", "n": 5, "input_length": 30, "target": 0, "has_ground_truth": True,
        "methods": {"saliency": ["raw", "corrected"], "ism": ["raw"]}, "task_name": "label", "split": "test", "seed": 4,
        "model_dir": None, "data_path": None, "seqlens_version": seqlens.__version__,
    }
    assert is_attribution_file(path)
    dataset_file = save_h5(SeqDataset(train=split, valid=split, test=split), tmp_path / "data.h5")
    assert not is_attribution_file(dataset_file)
    with pytest.raises(DataFormatError, match=r"not a seqlens attribution file .*; it is a dataset \(`seqlens data info` describes it\)"):
        attribution_file_info(dataset_file)


def test_failed_checks_round_trip_and_leave_scoring(tmp_path):
    """A failed check travels with the maps; scoring leaves those maps out and says why."""
    from seqlens.evaluation import score_attribution_set

    split = _split()
    attributions = _set(split)
    check = {"check": "summation_to_delta", "n_failed": 4, "n_pairs": 50, "worst_delta": 0.7,
             "message": "DeepSHAP summation-to-delta check failed for 4 of 50 pairs"}
    attributions.methods["ism"].failed_checks = [check]
    loaded = load_attributions(save_attributions(attributions, tmp_path / "a.h5"))
    assert loaded.methods["ism"].failed_checks == [check] and loaded.methods["ism"].failed
    assert loaded.methods["saliency"].failed_checks == [] and not loaded.methods["saliency"].failed
    scored = score_attribution_set(loaded)
    assert scored.failed == {"ism": "DeepSHAP summation-to-delta check failed for 4 of 50 pairs"}
    assert set(scored.scores["method"]) == {"saliency"} and list(scored.attributions.methods) == ["saliency"]
    loaded.methods["saliency"].failed_checks = [{"check": "other"}]
    with pytest.raises(DataFormatError, match="every method's maps failed a check, nothing to score"):
        score_attribution_set(loaded)


@pytest.mark.parametrize("failed_checks, message", [
    ([{"n_failed": 1}], "failed_checks must be dicts with a 'check' name"),
    ([{"check": "x", "worst": object()}], "failed_checks are not JSON-able"),
])
def test_failed_checks_are_validated(failed_checks, message):
    with pytest.raises(DataFormatError, match=message):
        MethodMaps("deepshap", "hypothetical", {"raw": np.zeros((1, 4, 3))}, failed_checks=failed_checks)
