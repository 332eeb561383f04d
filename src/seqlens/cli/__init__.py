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
    from . import data, simulate

    app.add_typer(simulate.app, name="simulate")
    app.add_typer(data.app, name="data")
    from . import train
    app.command("train")(train.train)
    app.command("evaluate-model")(train.evaluate_model)
    from . import attribute, filters, score
    app.command("attribute")(attribute.attribute)
    app.command("score")(score.score)
    app.command("filters")(filters.filters)


_register()

EXPECTED_ERRORS = (SeqlensError, FileNotFoundError, IsADirectoryError, PermissionError, KeyError, OSError)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``seqlens`` script; returns the process exit code."""
    try:
        app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        console.print("[red]aborted[/red]")
        return 130
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]")
        return 130
    except EXPECTED_ERRORS as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        console.print(f"[red]error:[/red] {escape(str(msg))}", highlight=False, soft_wrap=True)
        return 1
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
