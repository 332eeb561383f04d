"""Shared plumbing for CLI commands: JSON on stdout, early checks, loading a run with its data.

Human summaries and progress bars go to stderr through ``console``; ``--json`` output is one
JSON document on stdout, so ``seqlens CMD --json | jq`` always works.

Commands check what they can before the expensive work (:func:`check_run_and_data` reads
the model and only the data file's header; outputs are checked with
``seqlens.io_utils.check_output_file`` / ``check_output_dir``), and say what went wrong in
the command line's terms (:func:`as_option` puts the flag into a library message).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from ..errors import DataFormatError, SeqlensError
from ..io_utils import json_ready, require_file, table_records, write_csv  # noqa: F401  (re-exported for the commands)
from ..progress import console, progress_bar  # noqa: F401  (re-exported for the commands)


def emit_json(document) -> None:
    """Print ``document`` as one JSON document on stdout (normalised by ``seqlens.io_utils.json_ready``)."""
    sys.stdout.write(json.dumps(json_ready(document, "output"), indent=2) + "\n")
    sys.stdout.flush()


def as_option(flag: str, call: Callable, *names: str):
    """``call()``, with a :class:`SeqlensError` it raises reworded for the command line.

    Each of ``names`` (the library's keyword, e.g. ``"motifs_per_seq"``) in the message
    becomes ``flag``; a message that still does not name ``flag`` gets it as a prefix
    (``"--motifs: unknown motif name ..."``). The error keeps its type.
    """
    try:
        return call()
    except SeqlensError as exc:
        message = str(exc)
        for name in names:
            message = message.replace(name, flag)
        if flag not in message:
            message = f"{flag}: {message}"
        exc.args = (message,)  # reworded in place: --debug still shows where it was raised
        raise


def check_split_name(split: str, flag: str = "--split") -> str:
    """``split`` if it names a split (train, valid, test); else a SeqlensError naming ``flag``."""
    from ..data import SPLITS

    if split not in SPLITS:
        raise SeqlensError(f"{flag} must be one of {', '.join(SPLITS)}, got {split!r}")
    return split


def check_run_and_data(run: Path, data: Path, split: str):
    """The model of run directory ``run`` and the header of dataset ``data``, checked against each other.

    Returns ``(model, header)`` (:class:`seqlens.data.hdf5.DatasetHeader`) after checking,
    without reading the data's arrays, that the run exists, ``split`` is a split name, the
    data file is a dataset with every split, and the model's input length and number of
    outputs fit it. Raises FileNotFoundError for a missing run directory or data file and
    DataFormatError / SeqlensError otherwise.
    """
    from ..data.hdf5 import read_h5_header
    from ..models import load_model

    check_split_name(split)
    if not Path(run).is_dir():
        raise FileNotFoundError(f"run directory not found: {run}")
    header = read_h5_header(require_file(data, "data file"))
    model = load_model(run)
    if model.config.input_length != header.input_length:
        raise DataFormatError(
            f"model in {run} takes sequences of length {model.config.input_length}, "
            f"but {data} holds length {header.input_length}"
        )
    if model.config.n_outputs != header.n_tasks:
        raise DataFormatError(f"model in {run} has {model.config.n_outputs} outputs, but {data} has {header.n_tasks} tasks")
    return model, header


def load_run_and_split(run: Path, data: Path, split: str, check: Callable | None = None):
    """The model of run directory ``run`` and split ``split`` of dataset ``data``.

    Returns ``(model, dataset, split)``. Everything :func:`check_run_and_data` checks is
    checked before the data's arrays are read, then ``check(model, header)`` when given
    (a command's own checks, e.g. that ``--target`` names a task). Raises
    FileNotFoundError for a missing run directory or data file and DataFormatError when
    the model's input length or number of outputs does not fit the data.
    """
    from ..data import load_h5

    model, header = check_run_and_data(run, data, split)
    if check is not None:
        check(model, header)
    dataset = load_h5(data)
    return model, dataset, dataset.split(split)
