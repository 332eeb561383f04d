"""Named datasets (``seqlens.data.load("irf1")``): the data folder, checksums, missing-file
messages and explicit paths. The real files come from ../shared/data (skipped when absent)."""

import os
import shutil
from pathlib import Path

import pytest

from seqlens import data
from seqlens.data import named
from seqlens.errors import DataFormatError, SeqlensError
from seqlens.synthetic import regulatory_code_dataset

IRF1 = "invivo/IRF1_400_h3k27ac.h5"


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    folder = tmp_path / "seqlens-data"
    folder.mkdir()
    monkeypatch.setenv(named.DATA_ENV, str(folder))
    return folder


def _place(shared_data: Path, folder: Path, path: str, copy: bool = False) -> Path:
    target = folder / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if copy:
        shutil.copyfile(shared_data / path, target)
    else:
        os.symlink((shared_data / path).resolve(), target)
    return target


def test_every_named_dataset_lists_files_of_the_table():
    assert {"irf1", "zbed2", "oct4-mafk", "regulatory-code", "multitask"} <= set(data.NAMED_DATASETS)
    assert len(named.FILES) == 11
    for spec in data.NAMED_DATASETS.values():
        assert spec.files and all(path in named.FILES for path in spec.files)
    for entry in named.FILES.values():
        assert len(entry.sha256) == 64 and int(entry.sha256, 16) >= 0 and entry.size > 0 and entry.source
        assert "http" not in entry.source  # nothing is downloaded; the source says where the file comes from


def test_data_dir_default_and_env(monkeypatch, tmp_path):
    monkeypatch.delenv(named.DATA_ENV, raising=False)
    try:
        import platformdirs
    except ImportError:
        assert named.data_dir() == Path("~/.cache/seqlens").expanduser()
    else:
        assert named.data_dir() == Path(platformdirs.user_cache_dir("seqlens"))
    monkeypatch.setenv(named.DATA_ENV, str(tmp_path))
    assert named.data_dir() == tmp_path


def test_load_a_named_dataset_from_the_data_folder(shared_data, data_folder):
    _place(shared_data, data_folder, IRF1)
    dataset = data.load("irf1")
    assert (len(dataset.train), len(dataset.valid), len(dataset.test)) == (2724, 389, 779)
    assert dataset.input_length == 400 and dataset.n_tasks == 1
    assert dataset.metadata["named_dataset"] == "irf1"
    assert data.load("IRF1").metadata["named_dataset"] == "irf1"  # names are case-insensitive
    listing = {record["name"]: record for record in data.available_datasets(verify=True)}
    assert listing["irf1"]["present"] and listing["irf1"]["ok"] and not listing["zbed2"]["present"]


def test_oct4_mafk_is_read_from_its_fasta_files(shared_data, data_folder):
    for path in named.NAMED_DATASETS["oct4-mafk"].files:
        _place(shared_data, data_folder, path)
    dataset = data.load("oct4-mafk")
    assert dataset.task_names == ["oct4"] and dataset.input_length == 200
    assert len(dataset.test) == 200 and len(dataset.train) + len(dataset.valid) == 3897 + 3900


def test_a_missing_file_says_what_to_put_where(data_folder):
    with pytest.raises(named.DatasetNotFoundError) as info:
        data.load("zbed2")
    message = str(info.value)
    assert "\n" not in message and isinstance(info.value, DataFormatError) and isinstance(info.value, FileNotFoundError)
    assert "ZBED2_400_h3k27ac.h5 not found" in message
    assert str(data_folder / "invivo" / "ZBED2_400_h3k27ac.h5") in message and "$SEQLENS_DATA" in message
    with pytest.raises(named.DatasetNotFoundError, match=r"oct4-mafk: oct4_train\.fa, oct4_test\.fa, mafk_train\.fa, "
                       r"mafk_test\.fa not found: put them in .*oct4_mafk_chipseq .*janggu"):
        data.load("oct4-mafk")


def test_a_checksum_mismatch_names_expected_and_found(shared_data, data_folder):
    target = _place(shared_data, data_folder, IRF1, copy=True)
    with open(target, "ab") as handle:
        handle.write(b"\0")
    found = named.sha256(target)
    with pytest.raises(named.ChecksumError) as info:
        data.load("irf1")
    message = str(info.value)
    assert "\n" not in message and str(target) in message
    assert f"expected {named.FILES[IRF1].sha256}" in message and f"found {found}" in message
    assert data.load("irf1", verify=False).input_length == 400  # verify=False reads it anyway


def test_a_checksum_mismatch_without_shared_data(data_folder):
    target = data_folder / IRF1
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not the IRF1 file")
    with pytest.raises(named.ChecksumError, match=r"SHA-256 mismatch, expected bde3a684.* found "):
        data.load("irf1")


def test_explicit_paths_always_work(tmp_path, data_folder):
    path = tmp_path / "mine.h5"
    data.save_h5(regulatory_code_dataset(n=200, seed=0), path)
    assert len(data.load(str(path)).train) > 0
    assert len(data.load(path).train) > 0  # a Path, never a name
    with pytest.raises(FileNotFoundError, match="mine2.h5"):
        data.load(str(tmp_path / "mine2.h5"))


def test_an_unknown_name_is_one_line_with_a_hint(data_folder):
    with pytest.raises(SeqlensError, match=r"^unknown dataset 'irf' \(known: irf1, zbed2, oct4-mafk.*did you mean 'irf1'\?$"):
        data.load("irf")
