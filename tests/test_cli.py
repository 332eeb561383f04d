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


def test_as_option_puts_the_flag_into_library_messages():
    from seqlens.cli._common import as_option
    from seqlens.errors import MotifError, SeqlensError

    def fails(message, kind=SeqlensError):
        def call():
            raise kind(message)
        return call

    with pytest.raises(SeqlensError, match=r"^--motifs-per-seq probabilities must sum to 1$"):
        as_option("--motifs-per-seq", fails("motifs_per_seq probabilities must sum to 1"), "motifs_per_seq")
    with pytest.raises(MotifError, match=r"^--motifs: unknown motif name 'X'$"):
        as_option("--motifs", fails("unknown motif name 'X'", MotifError))
    assert as_option("--n", lambda: 3) == 3
