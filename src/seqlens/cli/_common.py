"""Shared plumbing for CLI commands: JSON on stdout, loading a run with its data.

Human summaries and progress bars go to stderr through ``console``; ``--json`` output is one
JSON document on stdout, so ``seqlens CMD --json | jq`` always works.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import DataFormatError
from ..io_utils import json_ready, require_file, table_records, write_csv  # noqa: F401  (re-exported for the commands)
from ..progress import console, progress_bar  # noqa: F401  (re-exported for the commands)


def emit_json(document) -> None:
    """Print ``document`` as one JSON document on stdout (normalised by ``seqlens.io_utils.json_ready``)."""
    sys.stdout.write(json.dumps(json_ready(document, "output"), indent=2) + "\n")
    sys.stdout.flush()


def load_run_and_split(run: Path, data: Path, split: str):
    """The model of run directory ``run`` and split ``split`` of dataset ``data``.

    Returns ``(model, dataset, split)``. Raises FileNotFoundError for a missing run directory
    or data file and DataFormatError when the model's input length or number of outputs
    does not fit the data.
    """
    from ..data import load_h5
    from ..models import load_model

    if not Path(run).is_dir():
        raise FileNotFoundError(f"run directory not found: {run}")
    model = load_model(run)
    dataset = load_h5(require_file(data, "data file"))
    chosen = dataset.split(split)
    if model.config.input_length != dataset.input_length:
        raise DataFormatError(
            f"model in {run} takes sequences of length {model.config.input_length}, "
            f"but {data} holds length {dataset.input_length}"
        )
    if model.config.n_outputs != dataset.n_tasks:
        raise DataFormatError(f"model in {run} has {model.config.n_outputs} outputs, but {data} has {dataset.n_tasks} tasks")
    return model, dataset, chosen
