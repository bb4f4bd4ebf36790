"""The package's one error root, its exit codes, and how a command prints a failure.

Every exception lemonspec raises on purpose derives from `LemonspecError` (as lark's do from
`LarkError`), so a caller can catch the package's errors in one clause. Each class says which
exit code it means; `lemonc` prints any that reaches it as one `error:` line (plus a `hint:`
line when there is one) and exits with that code, never with a traceback
(`lemonspec.cli.LazyGroup.invoke`). The proof: tests/test_packaging.py.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import NoReturn

EXIT_OK = 0
EXIT_INVALID = 1  # the input was read and is wrong: spec diagnostics, unformatted or bad specs
EXIT_USAGE = 2  # the command cannot start: bad options, files, data, a missing extra
EXIT_RUN = 3  # the command started and part of it failed: an agent, a model call
EXIT_INTERRUPTED = 130  # Ctrl-C, as the shells report it


class LemonspecError(Exception):
    """A problem the user can act on: a message, an optional hint, and the exit code it means."""

    exit_code = EXIT_USAGE


class MissingExtra(LemonspecError):
    """A feature needs an optional dependency group that is not installed."""

    def __init__(self, extra: str, module: str):
        super().__init__(
            f"this needs the '{extra}' extra ({module} is not installed): "
            f"pip install 'lemonspec[{extra}]'"
        )
        self.extra, self.module = extra, module

    def __reduce__(self):
        return (type(self), (self.extra, self.module))


def require_extra(extra: str, *modules: str) -> None:
    """Raise `MissingExtra` naming `extra` unless every module can be imported.

    Looks the modules up without importing them, so the check costs microseconds."""
    for module in modules:
        if sys.modules.get(module) is None and importlib.util.find_spec(module) is None:
            raise MissingExtra(extra, module)


def fail(message: str, code: int = EXIT_USAGE, hint: str | None = None) -> NoReturn:
    """Print `error: message` (and `hint: ...`) on stderr and exit with `code`."""
    import click  # here, so that the library's error classes do not import it
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)
    raise SystemExit(code)


def report(error: LemonspecError) -> NoReturn:
    """Print a package error that reached the command line, and exit with its code."""
    if getattr(error, "diagnostics", None):  # a CompileError: already `file:line:col: error...`
        import click

        click.echo(str(error), err=True)
        raise SystemExit(error.exit_code)
    message = getattr(error, "message", None) or str(error)
    fail(message, error.exit_code, getattr(error, "hint", None))
