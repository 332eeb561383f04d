"""``seqlens report``: a study's output folder as one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import console, emit_json


def report(
    folder: Path = typer.Argument(..., help="A study output folder (the -o of seqlens run)."),
    json_output: bool = typer.Option(False, "--json", help="Print the report's paths and size as JSON on stdout."),
) -> None:
    """Write FOLDER/report.html, one page that opens offline, and the tables behind it (FOLDER/report_data/*.csv).

    The page: setup and provenance, test performance, interpretability (raw vs corrected),
    gradient angles, paired tests, first-layer filters, attribution logos, the papers' claims
    beside ours, warnings.
    """
    from ..experiments.report import build_report, report_data_files

    path = build_report(folder)
    size = path.stat().st_size
    if json_output:
        emit_json({"report": path, "report_data": report_data_files(folder), "bytes": size})
    console.print(f"report: {path} ({size / 1e6:.1f} MB); its tables in {path.parent / 'report_data'}", highlight=False,
                  soft_wrap=True)
