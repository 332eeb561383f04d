"""``seqlens run`` and ``seqlens studies``: reproduce a paper as one resumable study."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ._common import console, emit_json


def run(
    study: str = typer.Argument(..., help="A bundled study (seqlens studies lists them) or a study YAML file."),
    scale: str = typer.Option(None, "--scale", help="quick (minutes on 2 cores) or paper (the papers' sizes and seeds); "
                                                    "default quick for studies that have scales."),
    executor: str = typer.Option("local", "--executor", help="local (worker processes on this machine) or ray."),
    workers: int = typer.Option(None, "--workers", min=0, help="Units at once (default: one per core, one thread each; "
                                                               "ray: the cluster's CPUs); 0 = in this process."),
    address: str = typer.Option(None, "--address", help="Ray cluster address (default: start a local Ray instance)."),
    shard_text: str = typer.Option(None, "--shard", help="K/N: run only every N-th unit starting at the K-th (job arrays)."),
    out: Path = typer.Option(None, "-o", "--out", help="Output folder (default out/STUDY-SCALE); rerunning resumes."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the units and why each would run or be skipped."),
    force: bool = typer.Option(False, "--force", help="Accept changed study settings; recompute the units they change."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Print the run report as one JSON document on stdout."),
) -> None:
    """Train every model of a study's grid, attribute, score, match filters, and tabulate with paired tests.

    Exit codes: 0 every unit done, 1 bad input, 3 some units failed (their errors are in
    OUT/failed/), 130 interrupted (rerun to continue).
    """
    from ..experiments import load_study, parse_shard, run_study
    from ..experiments.runner import make_executor

    loaded = load_study(study, scale)
    shard_spec = parse_shard(shard_text) if shard_text else None
    make_executor(executor, workers, address)  # bad executor options fail before the data is made
    out = out or Path("out") / (loaded.name + (f"-{loaded.scale}" if loaded.scale else ""))
    report = run_study(loaded, out, executor=executor, workers=workers, address=address, shard_spec=shard_spec,
                       dry_run=dry_run, force=force, verbose=not quiet)
    document = report.as_dict()
    if json_output:
        emit_json(document)
    else:
        _print_report(document)
    if report.interrupted:
        raise typer.Exit(130)
    if report.failed:
        raise typer.Exit(3)


def _print_report(document: dict) -> None:
    counts = document["counts"]
    if document["dry_run"]:
        view = Table(title=f"{document['study']} ({document['scale'] or 'no scale'}): {len(document['units'])} units")
        for column in ("unit", "action", "why"):
            view.add_column(column)
        for unit in document["units"]:
            view.add_row(unit["name"], unit["action"], unit["reason"])
        console.print(view)
        console.print(f"would run {counts['run']} of {len(document['units'])} units into {document['out']}", highlight=False)
        return
    console.print(f"{document['study']}: {counts['finished_now']} units finished now, {counts['failed_now']} failed, "
                  f"{counts['done']} were already done ({document['seconds']:.0f} s); tables in {document['out']}",
                  highlight=False)
    if "report" in document["tables"]:
        console.print(f"report: {document['tables']['report']}", highlight=False)
    for failure in document["failed"]:
        console.print(f"[red]failed:[/red] {failure['name']}: {failure['error']} "
                      f"(traceback in {document['out']}/failed/{failure['name']}.json)", highlight=False, soft_wrap=True)
    if document["interrupted"]:
        console.print("[yellow]interrupted:[/yellow] rerun the same command to continue", highlight=False)


def studies(json_output: bool = typer.Option(False, "--json", help="Print the list as one JSON document on stdout.")) -> None:
    """List the bundled studies: what each reproduces, its grid at each scale."""
    from ..experiments import describe_studies

    described = describe_studies()
    if json_output:
        emit_json(described)
        return
    view = Table(title="bundled studies (seqlens run NAME [--scale quick|paper])")
    for column in ("study", "reproduces", "question", "units quick / paper"):
        view.add_column(column, overflow="fold")
    for entry in described:
        units = " / ".join(str(entry["scales"].get(s, {}).get("units", "-")) for s in ("quick", "paper"))
        view.add_row(entry["name"], entry["citation"], entry["question"], units)
    console.print(view)
