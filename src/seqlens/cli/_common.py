"""Shared plumbing for CLI commands: JSON on stdout, early checks, loading a run with its data.

Human summaries and progress bars go to stderr through ``console``; ``--json`` output is one
JSON document on stdout, so ``seqlens CMD --json | jq`` always works.

Commands check what they can before the expensive work (:func:`check_run_and_data` reads
the model and only the data file's header; outputs are checked with
``seqlens.io_utils.check_output_file`` / ``check_output_dir``), and say what went wrong in
the command line's terms (:func:`as_option` puts the flag into a library message).

Every command that runs a model takes a run directory, a TorchScript / ``torch.export``
file or ``--model-class CLASS --weights FILE [--model-kwargs JSON]``, with
``--output-head`` / ``--profile-summary`` for models returning tuples, dicts or profiles:
declare the parameters with :func:`model_argument`, :func:`model_class_option`,
:func:`weights_option`, :func:`model_kwargs_option`, :func:`output_head_option` and
:func:`profile_summary_option`, then pass ``model_source(run, model_class, weights,
model_kwargs, output_head, profile_summary)`` where the run directory went
(:func:`load_run_and_split`); :func:`n_outputs` counts a loaded model's outputs.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import typer

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


# --------------------------------------------------------------------------- which model

#: Help of the model argument every command that runs a model takes.
MODEL_HELP = ("Run directory written by `seqlens train` (or save_model), a TorchScript file (.pt/.ts, torch.jit.save) "
              "or a torch.export program (.pt2, torch.export.save); leave out with --model-class.")


def model_argument(help: str = MODEL_HELP):
    """The optional ``RUN`` argument (run directory or model file) of a command that runs a model."""
    return typer.Argument(None, help=help, show_default=False)


def model_class_option():
    return typer.Option(None, "--model-class", help="Your own nn.Module class, package.module:Class (importable; "
                        "instantiated with --model-kwargs, state dict from --weights).")


def weights_option():
    return typer.Option(None, "--weights", help="State dict file for --model-class (read with torch.load(weights_only=True)).")


def model_kwargs_option():
    return typer.Option(None, "--model-kwargs", help="Keyword arguments of --model-class as a JSON object, e.g. '{\"filters\": 32}'.")


def output_head_option():
    return typer.Option(None, "--output-head", help="For a model returning a tuple, list or dict: the output to use "
                        "(an index, a dict key, or profile / count for a (profile, counts) pair such as bpnet-lite's).")


def profile_summary_option():
    return typer.Option(None, "--profile-summary", help="Reduce a profile output (N, C, L) over its positions to one "
                        "number per channel: sum, logsumexp, mean or max.")


@dataclass(frozen=True)
class ModelSource:
    """Where a command's model comes from: a run directory / model file, or a class with weights.

    Build it with :func:`model_source` (which checks the options' combination); pass it where
    a run directory goes (:func:`check_run_and_data`, :func:`load_run_and_split`).
    """

    path: Path | None = None
    model_class: str | None = None
    weights: Path | None = None
    model_kwargs: dict = field(default_factory=dict)
    output_head: str | None = None
    profile_summary: str | None = None
    layer: str | None = None

    @property
    def label(self) -> str:
        """The model as the command's messages and documents name it."""
        return str(self.path) if self.path is not None else f"{self.model_class} (weights {self.weights})"

    @property
    def is_run(self) -> bool:
        return self.path is not None and Path(self.path).is_dir()


#: The library's words for the model options, as the command line spells them.
LOAD_WORDS = ((r"\bmodel_kwargs\b", "--model-kwargs"), (r"\bmodel_class\b", "--model-class"),
              (r"\band weights\b", "and --weights"), (r"^reduce\b", "--profile-summary"))
OUTPUT_WORDS = ((r"(?<![.\w])head\b(?!\.)", "--output-head"), (r"\breduce\b", "--profile-summary"))
LAYER_WORDS = ((r"^layer '", "--layer '"), (r"\bwith layer\b", "with --layer"))


def in_flags(call: Callable, words=LOAD_WORDS + OUTPUT_WORDS):
    """``call()``, a SeqlensError's message reworded with the command line's flags (``head`` -> ``--output-head`` ...)."""
    try:
        return call()
    except SeqlensError as exc:
        message = str(exc)
        for pattern, flag in words:
            message = re.sub(pattern, flag, message)
        exc.args = (message,)
        raise


def model_source(run: Path | None = None, model_class: str | None = None, weights: Path | None = None,
                 model_kwargs: str | None = None, output_head: str | None = None, profile_summary: str | None = None,
                 layer: str | None = None) -> ModelSource:
    """The command's model options, checked together (before anything is loaded).

    Raises SeqlensError for a combination that cannot work and FileNotFoundError for a
    missing run directory or model file.
    """
    from ..models.foreign import REDUCTIONS, parse_model_kwargs

    if run is None and model_class is None:
        raise SeqlensError("give a run directory, a model file (TorchScript .pt/.ts or torch.export .pt2) "
                           "or --model-class CLASS --weights FILE")
    if run is not None and model_class is not None:
        raise SeqlensError(f"give either RUN ({run}) or --model-class, not both")
    if model_class is None and (weights is not None or model_kwargs is not None):
        raise SeqlensError(f"{'--weights' if weights is not None else '--model-kwargs'} needs --model-class")
    if model_class is not None and weights is None:
        raise SeqlensError("--model-class needs --weights FILE (a state dict)")
    if profile_summary is not None and profile_summary not in REDUCTIONS:
        raise SeqlensError(f"--profile-summary must be one of {', '.join(REDUCTIONS)}, got {profile_summary!r}")
    kwargs = in_flags(lambda: parse_model_kwargs(model_kwargs), LOAD_WORDS)
    if run is not None:
        run = Path(run)
        if not run.exists():
            raise FileNotFoundError(f"run directory not found: {run} (nor a model file)")
        if run.is_dir() and (output_head is not None or profile_summary is not None):
            flag = "--output-head" if output_head is not None else "--profile-summary"
            raise SeqlensError(f"{flag} applies to a model file or --model-class; the seqlens run {run} returns (N, T) already")
    else:
        weights = Path(weights)
        if not weights.is_file():
            raise FileNotFoundError(f"--weights: file not found: {weights}")
    return ModelSource(path=run, model_class=model_class, weights=weights, model_kwargs=kwargs,
                       output_head=output_head, profile_summary=profile_summary, layer=layer)


def load_model_source(source: ModelSource):
    """The model of ``source``: a zoo model for a run directory, else a :class:`seqlens.models.ForeignModel`."""
    from ..models import load_model
    from ..models.foreign import ForeignModel, load_foreign_model

    if source.is_run:
        model = load_model(source.path)
        if source.layer is not None:  # the filter search runs on the zoo model like on any other
            model = ForeignModel(model, layer=source.layer, name=str(source.path))
        return model
    return in_flags(lambda: load_foreign_model(
        source.path, model_class=source.model_class, weights=source.weights, model_kwargs=source.model_kwargs,
        head=source.output_head, reduce=source.profile_summary, layer=source.layer), LOAD_WORDS)


def n_outputs(model) -> int:
    """Number of outputs of a loaded model (a zoo model's config, a probed foreign model's count)."""
    from ..models.foreign import output_count

    count = output_count(model)
    if count is None:
        raise SeqlensError("the model's number of outputs is unknown (run it through check_run_and_data first)")
    return count


def check_run_and_data(run, data: Path, split: str, outputs: bool = True):
    """The model of ``run`` and the header of dataset ``data``, checked against each other.

    ``run`` is a run directory, a model file or a :class:`ModelSource` (from
    :func:`model_source`: ``--model-class`` and the other model options). Returns ``(model,
    header)`` (:class:`seqlens.data.hdf5.DatasetHeader`) after checking, without reading the
    data's arrays, that the model exists, ``split`` is a split name, the data file is a
    dataset with every split, and the model's input length and number of outputs fit it. A
    seqlens run is checked against its config; a foreign model (no config) is run once on
    one sequence of the data's length, which also counts its outputs (``outputs=False``:
    only the input is checked, for commands that use the first layer only); its outputs need
    not be the data's tasks (:func:`labelled_outputs`, :func:`output_name`, :func:`require_labels`). Raises
    FileNotFoundError for a missing run directory, model or data file and DataFormatError /
    SeqlensError otherwise.
    """
    from ..data.hdf5 import read_h5_header
    from ..models.foreign import ForeignModel, probe_outputs

    check_split_name(split)
    source = run if isinstance(run, ModelSource) else model_source(run)
    header = read_h5_header(require_file(data, "data file"))
    model = load_model_source(source)
    label = source.label
    if not isinstance(model, ForeignModel):
        if model.config.input_length != header.input_length:
            raise DataFormatError(
                f"model in {label} takes sequences of length {model.config.input_length}, "
                f"but {data} holds length {header.input_length}"
            )
        if model.config.n_outputs != header.n_tasks:
            raise DataFormatError(f"model in {label} has {model.config.n_outputs} outputs, but {data} has {header.n_tasks} tasks")
        return model, header
    in_flags(lambda: probe_outputs(model, header.input_length, outputs=outputs), OUTPUT_WORDS)
    return model, header


def labelled_outputs(model, header) -> bool:
    """Whether the model's outputs are the data's tasks (same number): a seqlens run's always are
    (:func:`check_run_and_data` checks it); a foreign model's outputs may be anything else, and then
    the data's labels and task names do not apply to them (:func:`output_name`)."""
    return n_outputs(model) == header.n_tasks


def output_name(model, header, index: int) -> str:
    """The task name of model output ``index``: the data's when the outputs are its tasks, else ``outputINDEX``."""
    return header.task_names[index] if labelled_outputs(model, header) else f"output{index}"


def require_labels(model, header, flag: str) -> None:
    """A SeqlensError naming ``flag`` unless the model's outputs are the data's tasks (``flag`` reads labels)."""
    if not labelled_outputs(model, header):
        raise SeqlensError(f"{flag} reads the data's labels, but the model has {n_outputs(model)} output(s) and the data "
                           f"{header.n_tasks} task(s); pick the output that is the task with --output-head")


def load_run_and_split(run, data: Path, split: str, check: Callable | None = None, outputs: bool = True):
    """The model of ``run`` (a run directory, model file or :class:`ModelSource`) and split ``split`` of ``data``.

    Returns ``(model, dataset, split)``. Everything :func:`check_run_and_data` checks is
    checked before the data's arrays are read, then ``check(model, header)`` when given
    (a command's own checks, e.g. that ``--target`` names a task). Raises
    FileNotFoundError for a missing run directory or data file and DataFormatError when
    the model's input length or number of outputs does not fit the data.
    """
    from ..data import load_h5

    model, header = check_run_and_data(run, data, split, outputs=outputs)
    if check is not None:
        check(model, header)
    dataset = load_h5(data)
    return model, dataset, dataset.split(split)
