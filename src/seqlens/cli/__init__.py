"""The ``seqlens`` command line: a thin layer over the library.

Each command group lives in its own module and is registered here. ``main`` turns the
errors a user can cause into one line on stderr and a non-zero exit code:
1 = bad input or configuration, 2 = usage error (typer), 130 = interrupted. Any other
exception is a bug and keeps its traceback; ``--debug`` shows the traceback of user
errors too.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from ..errors import SeqlensError
from ._common import console

app = typer.Typer(
    name="seqlens",
    help="Can you trust what your regulatory-DNA model learned?",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class _Options:
    """Global options, set by the ``seqlens`` callback before a command runs."""

    debug = False


_options = _Options()


@app.callback()
def _global_options(
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of errors reported as one line (also SEQLENS_DEBUG=1)."),
) -> None:
    _options.debug = _options.debug or debug


def _register() -> None:
    from . import attribute, audit, data, demo, filters, gia, report, run, score, simulate, train

    app.command("demo")(demo.demo)
    app.add_typer(simulate.app, name="simulate")
    app.add_typer(data.app, name="data")
    app.command("train")(train.train)
    app.command("evaluate-model")(train.evaluate_model)
    app.command("attribute")(attribute.attribute)
    app.command("score")(score.score)
    app.command("filters")(filters.filters)
    app.command("gia")(gia.gia)
    app.command("audit")(audit.audit)
    app.command("run")(run.run)
    app.command("studies")(run.studies)
    app.command("report")(report.report)


_register()

#: Errors that mean the user's input is wrong: one line on stderr, exit 1. A missing file or
#: a permission problem on a path is the user's to fix; any other exception is a bug in
#: seqlens and keeps its traceback.
USER_ERRORS = (SeqlensError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``seqlens`` script; returns the process exit code.

    Usage errors are reported by typer itself (exit 2); a :class:`SeqlensError` or a file
    error on a path the user gave becomes one line on stderr and exit 1 (``--debug``, or
    ``SEQLENS_DEBUG=1``, adds the traceback); an interrupt exits 130. Any other exception is
    a bug: it propagates with its full traceback.
    """
    _options.debug = os.environ.get("SEQLENS_DEBUG", "") not in ("", "0")
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:  # typer's normal way out, with its exit code
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]")
        return 130
    except USER_ERRORS as exc:
        if _options.debug:
            console.print_exception()
        console.print(f"[red]error:[/red] {escape(_one_line(exc))}", highlight=False, soft_wrap=True)
        return 1
    return 0


def _one_line(exc: BaseException) -> str:
    """The message of a user error on one line (OSErrors say which file)."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
