"""The ``seqlens`` entry point: which errors become one line and which keep their traceback."""

import pytest

from seqlens import cli
from seqlens.cli import main
from seqlens.errors import DataFormatError


def test_user_errors_are_one_line_and_exit_1(tmp_path, capsys):
    assert main(["data", "info", str(tmp_path / "missing.h5")]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"error: HDF5 file not found: {tmp_path / 'missing.h5'}"
    assert "Traceback" not in err


def test_a_bug_keeps_its_traceback(monkeypatch, tmp_path):
    """A KeyError (or any non-seqlens exception) inside a command is a bug: it is not hidden."""

    def broken(path):
        raise KeyError("internal")

    monkeypatch.setattr("seqlens.cli.data.load_h5", broken)
    path = tmp_path / "d.h5"
    path.write_bytes(b"")
    with pytest.raises(KeyError, match="internal"):
        main(["data", "info", str(path)])


def test_debug_shows_the_traceback_of_a_user_error(monkeypatch, capsys, tmp_path):
    def bad(path):
        raise DataFormatError(f"{path} is missing key 'X_train'")

    monkeypatch.setattr("seqlens.cli.data.load_h5", bad)
    monkeypatch.setattr(cli._options, "debug", False)
    assert main(["--debug", "data", "info", str(tmp_path / "d.h5")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "is missing key 'X_train'" in err.splitlines()[-1]
    monkeypatch.setenv("SEQLENS_DEBUG", "1")
    assert main(["data", "info", str(tmp_path / "d.h5")]) == 1
    assert "Traceback" in capsys.readouterr().err
