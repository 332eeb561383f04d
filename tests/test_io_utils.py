"""seqlens.io_utils: atomic writes with normal permissions, output checks, the JSON normaliser."""

import json
import os
import stat

import numpy as np
import pytest

from seqlens.errors import OutputError
from seqlens.io_utils import atomic_path, check_output_dir, check_output_file, json_ready, to_json, write_json


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_outputs_get_the_permissions_of_open_under_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        written = write_json({"a": 1}, tmp_path / "w.json")
        with open(tmp_path / "plain.txt", "w"):
            pass
    finally:
        os.umask(old)
    mode = stat.S_IMODE(os.stat(written).st_mode)
    assert mode == 0o666 & ~umask == stat.S_IMODE(os.stat(tmp_path / "plain.txt").st_mode)


def test_a_directory_as_output_is_refused_and_nothing_is_created_outside(tmp_path):
    target = tmp_path / "folder"
    target.mkdir()
    before = set(tmp_path.iterdir())
    with pytest.raises(OutputError, match=f"output file {target} is a directory"):
        with atomic_path(target) as tmp:
            tmp.write_text("x")
    assert set(tmp_path.iterdir()) == before and list(target.iterdir()) == []


def test_early_output_checks(tmp_path):
    (tmp_path / "file").write_text("x")
    assert check_output_file(tmp_path / "new" / "deeper" / "out.h5") == tmp_path / "new" / "deeper" / "out.h5"
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output_file(tmp_path / "file" / "out.h5")
    with pytest.raises(OutputError, match="exists and is not a folder"):
        check_output_dir(tmp_path / "file")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(OutputError, match="is not writable"):
            check_output_file(locked / "out.h5")


def test_a_failed_write_keeps_the_old_file_and_names_the_target(tmp_path):
    path = tmp_path / "result.json"
    path.write_text("old")
    with pytest.raises(OSError) as info:
        with atomic_path(path) as tmp:
            raise FileNotFoundError(2, "No such file or directory", str(tmp))
    assert info.value.filename == str(path) and ".tmp" not in str(info.value)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_json_ready_normalises_numpy_paths_and_nan(tmp_path):
    value = {"a": np.float32(0.5), "b": np.arange(3), 1: (tmp_path, float("nan"))}
    assert json_ready(value) == {"a": 0.5, "b": [0, 1, 2], "1": [str(tmp_path), None]}
    assert json.loads(to_json(value)) == json_ready(value)
    with pytest.raises(TypeError, match=r"metadata.x holds a object"):
        json_ready({"x": object()}, "metadata")
