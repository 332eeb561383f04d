"""The ``seqlens`` command line: a thin layer over the library.

Each command group lives in its own module and is registered here. ``main`` turns the
errors a user can cause into one line on stderr and a non-zero exit code:
1 = bad input or configuration, 2 = usage error (typer), 130 = interrupted.
"""

from __future__ import annotations

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


def _register() -> None:
    from . import attribute, data, demo, filters, score, simulate, train

    app.command("demo")(demo.demo)
    app.add_typer(simulate.app, name="simulate")
    app.add_typer(data.app, name="data")
    app.command("train")(train.train)
    app.command("evaluate-model")(train.evaluate_model)
    app.command("attribute")(attribute.attribute)
    app.command("score")(score.score)
    app.command("filters")(filters.filters)


_register()

EXPECTED_ERRORS = (SeqlensError, FileNotFoundError, IsADirectoryError, PermissionError, KeyError, OSError)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``seqlens`` script; returns the process exit code.

    Usage errors are reported by typer itself (exit 2); errors a user's input causes inside
    a command become one line on stderr and exit 1; an interrupt exits 130.
    """
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:  # typer's normal way out, with its exit code
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]")
        return 130
    except EXPECTED_ERRORS as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        console.print(f"[red]error:[/red] {escape(str(msg))}", highlight=False, soft_wrap=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
