"""``seqlens attribute``: attribution maps of a trained run for sequences of a dataset split.

Writes one attribution file (:mod:`seqlens.attribution.io`) with the selected sequences,
their ground truth and motif sites, and one map per method; gradient methods get both the
raw and the corrected map (Majdandzic et al. 2023 compare them), the corrected one computed from the raw
one with ``correct_gradients``. Every stochastic method gets the same ``--seed``, so each map
equals the library call ``method(model, X, target=..., seed=...)`` with the stored params.

Everything that can be checked is checked before the maps are computed (and before the data's
arrays are read): the output file, the method names, the split, the device, that the data
fits the model and that ``--target`` names one of its outputs. When ``--limit`` asks for more
sequences than qualify, a note (and the ``--json`` document: ``n_requested``, ``n_selected``,
``reason``) says how many were taken and why; when one method will take most of the time
(estimated from each method's model calls per sequence,
:func:`seqlens.attribution.sets.estimate_costs`), a note names it before the work starts.

The methods, their aliases, the ``--methods`` default, the ``--batch-size`` help and the
per-method options (``--smoothgrad-samples``, ``--ig-steps`` ...) are read from the
attribution method registry (:mod:`seqlens.attribution.registry`): a registered method's
:class:`~seqlens.attribution.MethodOption` entries become options here without editing this
module.

The model is a run directory, a TorchScript file, a ``torch.export`` program (``.pt2``) or
``--model-class package.module:Class --weights FILE [--model-kwargs JSON]``; ``--output-head``
picks one output of a tuple / dict (bpnet-lite's ``count``), ``--profile-summary`` reduces a
profile output over positions. A foreign model's outputs need not be the data's tasks
(``--target`` is then an index; ``--positives`` needs them to be). DeepSHAP is left out of
the default methods for a TorchScript model (no Python hooks run in it).
"""

from __future__ import annotations

import inspect
from pathlib import Path

import typer
from rich.markup import escape

from ..attribution.registry import get_method, registered_methods
from ..errors import SeqlensError
from ..io_utils import check_output_file
from ._common import (
    as_option,
    check_split_name,
    console,
    emit_json,
    load_run_and_split,
    model_argument,
    model_class_option,
    model_kwargs_option,
    model_source,
    n_outputs,
    output_head_option,
    output_name,
    labelled_outputs,
    require_labels,
    profile_summary_option,
    weights_option,
)


#: Methods that install Python forward hooks on the model's layers (not possible on TorchScript).
HOOK_METHODS = ("deepshap",)


def resolve_target(target: str, task_names: list[str], n_outputs: int) -> int:
    """Output index from ``--target``: an index or a task name."""
    if target.strip().isdigit():
        index = int(target)
    elif target in task_names:
        index = task_names.index(target)
    else:
        raise SeqlensError(f"--target must be an output index or one of the task names {task_names}, got {target!r}")
    if index >= n_outputs:
        raise SeqlensError(f"--target {index} is out of range for a model with {n_outputs} output(s)")
    return index


def method_options(specs=None) -> list[tuple[str, object]]:
    """``(method name, MethodOption)`` for every command-line option the registered methods expose."""
    return [(spec.name, option) for spec in (registered_methods() if specs is None else specs) for option in spec.options]


def method_overrides(values: dict, specs=None) -> dict[str, dict]:
    """``attribute_split`` ``params`` from the parsed per-method options (``{dest: value}``)."""
    overrides: dict[str, dict] = {}
    for name, option in method_options(specs):
        if option.dest in values:
            overrides.setdefault(name, {})[option.param] = values[option.dest]
    return overrides


def _methods_help(specs) -> str:
    names = [f"{s.name} ({', '.join(s.aliases)})" if s.aliases else s.name for s in specs]
    return "Comma-separated: " + ", ".join(names) + "."


def _batch_help(specs) -> str:
    units = ", ".join(f"{s.name}: {s.batch_unit}" for s in specs)
    return f"Rows per model call ({units}); default: each method's own."


def _attribute(
    run: Path | None = model_argument(),
    data: Path = typer.Option(..., "--data", help="HDF5 dataset (seqlens or papers' layout)."),
    out: Path = typer.Option(..., "-o", "--out", help="Attribution file to write (HDF5)."),
    model_class: str | None = model_class_option(),
    weights: Path | None = weights_option(),
    model_kwargs: str | None = model_kwargs_option(),
    output_head: str | None = output_head_option(),
    profile_summary: str | None = profile_summary_option(),
    methods: str = typer.Option("saliency", "--methods", help="(from the registry)"),
    split: str = typer.Option("test", "--split", help="train | valid | test."),
    positives: bool = typer.Option(False, "--positives", help="Only sequences labelled 1 for the target (the papers' evaluation set)."),
    limit: int = typer.Option(500, "--limit", min=0, help="Attribute the first LIMIT selected sequences (0 = all; the papers: 500 positives)."),
    target: str = typer.Option("0", "--target", help="Model output to explain: index or task name."),
    correct: bool = typer.Option(True, "--correct/--no-correct", help="Also store the corrected map of each gradient method."),
    seed: int = typer.Option(0, "--seed", help="Seed of every stochastic method (noise, shuffled references)."),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help="(from the registry)"),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default cpu)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or per-method lines."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    _specs=None,
    **method_values,
) -> None:
    """Compute attribution maps of a trained model and write them, with provenance, to an HDF5 file."""
    from ..attribution import attribute_split, canonical_methods, save_attributions
    from ..attribution.sets import dominant_method, estimate_costs, selection
    from ..models import is_torchscript
    from ..training import resolve_device

    names = canonical_methods(methods)
    default_methods = ",".join(s.name for s in (registered_methods() if _specs is None else _specs) if s.run_by_default)
    source = model_source(run, model_class, weights, model_kwargs, output_head, profile_summary)
    check_output_file(out, "output file (-o)")
    check_split_name(split)
    as_option("--device", lambda: resolve_device(device))
    overrides = method_overrides(method_values, _specs)
    resolved = {}

    def check_target(model, header) -> None:
        if positives:
            require_labels(model, header, "--positives")
        names_ = header.task_names if labelled_outputs(model, header) else []
        resolved["target"] = resolve_target(target, names_, n_outputs(model))
        resolved["task_name"] = output_name(model, header, resolved["target"])
        hooked = [n for n in names if n in HOOK_METHODS]
        if hooked and is_torchscript(model):  # say so before the other methods spend their time
            if methods != default_methods:
                raise SeqlensError(f"--methods: {', '.join(hooked)} cannot run on a TorchScript model (its compiled "
                                   f"forward runs no Python hooks); leave {'it' if len(hooked) == 1 else 'them'} out, "
                                   f"or give the eager model with --model-class and --weights")
            resolved["left_out"] = hooked

    model, dataset, chosen = load_run_and_split(source, data, split, check=check_target)
    if resolved.get("left_out"):
        names = [n for n in names if n not in resolved["left_out"]]
        console.print(f"[yellow]note:[/yellow] leaving out {', '.join(resolved['left_out'])}: a TorchScript model runs no "
                      f"Python hooks (give the eager model with --model-class and --weights for it)", highlight=False, soft_wrap=True)
    target_index = resolved["target"]
    task_name = resolved["task_name"]
    picked = selection(chosen.y, target_index, positives, limit, split_name=split, task_name=task_name)
    rows = picked.rows
    if picked.reason:
        console.print(f"[yellow]note:[/yellow] --limit {limit}: attributing {picked.n_selected} sequence(s): {escape(picked.reason)}",
                      highlight=False, soft_wrap=True)
    costs = estimate_costs(names, dataset.input_length, overrides, seed)
    dominant = dominant_method(costs)
    if not quiet:
        console.print(f"attributing {len(rows)} sequence(s) of {data} ({split}) for output {target_index} with {', '.join(names)}", highlight=False)
        if dominant is not None:
            flags = [o.flag for o in get_method(dominant.method).options]
            cheaper = f"; {', '.join(flags)} set its cost" if flags else ""
            console.print(
                f"[yellow]note:[/yellow] {dominant.method} will take about {dominant.share:.0%} of the time "
                f"(estimated from model calls per sequence: {dominant.calls_per_sequence:g}{cheaper})",
                highlight=False, soft_wrap=True,
            )

    def report(result) -> None:
        for message in result.warnings:
            console.print(f"[yellow]warning:[/yellow] {result.method}: {escape(message)}", highlight=False, soft_wrap=True)
        if not quiet:
            console.print(f"  {result.method}: {' + '.join(result.maps)} in {result.seconds:.2f} s", highlight=False)

    attributions = attribute_split(
        model, chosen, names, target=target_index, rows=rows, correct=correct, seed=seed,
        params=overrides, batch_size=batch_size, device=device,
        verbose=not quiet and console.is_terminal, on_method=report,
        task_name=task_name, split_name=split, model_dir=source.label, data_path=str(data),
    )
    results = attributions.methods
    sequences = attributions.sequences
    save_attributions(attributions, out)
    document = {
        "out": str(out),
        "run": source.label,
        "data": str(data),
        "split": split,
        "target": target_index,
        "output_head": output_head,
        "profile_summary": profile_summary,
        "task_name": attributions.task_name,
        "n": int(len(rows)),
        "n_requested": picked.n_requested,
        "n_selected": picked.n_selected,
        "positives": positives,
        "reason": picked.reason,
        "seed": seed,
        "ground_truth": sequences.ground_truth is not None,
        "methods": [
            {
                "method": m.method,
                "kind": m.kind,
                "variants": list(m.maps),
                "shape": list(m.maps["raw"].shape),
                "seconds": m.seconds,
                "params": m.params,
                "warnings": m.warnings,
                "estimated_share": costs[m.method].share if m.method in costs else None,
            }
            for m in results.values()
        ],
        "dominant_method": None if dominant is None else {"method": dominant.method, "estimated_share": dominant.share},
    }
    if json_output:
        emit_json(document)
    elif not quiet:
        console.print(f"wrote {out}", highlight=False)


def build_command(specs=None):
    """The ``seqlens attribute`` command for the registered methods (or ``specs``).

    Its ``--methods`` default and help, ``--batch-size`` help and one option per
    :class:`~seqlens.attribution.MethodOption` of every method (type and default from the
    method's defaults) all come from the attribution method registry; the options' values
    become ``attribute_split(params=...)`` overrides.
    """
    specs = registered_methods() if specs is None else tuple(specs)
    base = inspect.signature(_attribute, eval_str=True)
    parameters = []
    for parameter in base.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD or parameter.name == "_specs":
            continue
        if parameter.name == "methods":
            default = ",".join(s.name for s in specs if s.run_by_default)
            parameter = parameter.replace(default=typer.Option(default, "--methods", help=_methods_help(specs)))
        elif parameter.name == "batch_size":
            parameter = parameter.replace(default=typer.Option(None, "--batch-size", min=1, help=_batch_help(specs)))
        parameters.append(parameter)
    taken = {p.name for p in parameters}
    for name, option in method_options(specs):
        if option.dest in taken:
            raise SeqlensError(f"option {option.flag} of attribution method {name!r} clashes with an option of `seqlens attribute`")
        taken.add(option.dest)
        value = next(s for s in specs if s.name == name).defaults[option.param]
        kind = type(value)
        extra = {} if option.min is None or kind is str else {"min": kind(option.min)}
        parameters.append(inspect.Parameter(
            option.dest, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
            default=typer.Option(value, option.flag, help=option.help, **extra),
        ))

    def attribute(**values) -> None:
        return _attribute(**values, _specs=specs)

    attribute.__doc__ = _attribute.__doc__
    attribute.__signature__ = inspect.Signature(parameters)
    attribute.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    return attribute


#: ``seqlens attribute`` (built from the methods registered when :mod:`seqlens.cli` is imported).
attribute = build_command()
