"""Where `lemonc`'s commands write for people and for scripts: the one owner of both choices.

Results go to stdout (`stdout_console`): a terminal gets rich's layout; a pipe or a file
gets lines that are never wrapped or cut (rich alone would assume 80 columns).

Progress goes to stderr (`stderr_console`): live when stderr is a terminal (rich redraws
it in place); otherwise (a log file, CI, a pipe) each change is one plain line, never
redrawn. `lemonc run`, `bench` and `generate` follow it; `Stages` is the display of a
command that goes through named stages (`generate`: loading, sampling, checking).
The proof: tests/test_display.py, tests/orchestrator/test_cli.py, tests/benchmarks/test_cli.py.
"""

from __future__ import annotations

from typing import Any, Self

import attrs


@attrs.frozen
class SamplingProgress:
    """Where a sampler of teams is (the local decoder after each step, a remote one after
    each reply): what `lemonc generate` shows."""

    finished: int  # samples complete
    total: int
    new_tokens: int | None  # tokens sampled so far over every sample; None: not reported
    seconds: float  # since sampling began (prefills included)

    def rate(self) -> str:
        """`310 tokens, 41.2 tokens/s`, or '' when the sampler reports no token counts."""
        if self.new_tokens is None or self.seconds <= 0:
            return ""
        return f"{self.new_tokens} tokens, {self.new_tokens / self.seconds:.1f} tokens/s"


def stdout_console() -> Any:
    """The rich console for a command's results on stdout."""
    import shutil

    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=max(shutil.get_terminal_size().columns, 10_000))
    return console


def stderr_console() -> Any:
    """The rich console on stderr; `.is_terminal` says whether to draw live."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


class Stages:
    """A one-line live status on a terminal, or plain lines otherwise.

    `stage(text)` starts a stage: shown live, or printed as a line. `update(text)` refreshes
    the current stage live (say, a rate) and prints nothing when not on a terminal, where
    only `stage` lines are worth a log's room. Use as a context manager."""

    def __init__(self, console: Any | None = None) -> None:
        self.console = console if console is not None else stderr_console()
        self.live = self.console.is_terminal
        self._status: Any = None
        self._finished = 0

    def __enter__(self) -> Self:
        if self.live:
            self._status = self.console.status("")
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def stage(self, text: str) -> None:
        if self._status is not None:
            self._status.update(text)
        else:
            self.console.print(text, markup=False, soft_wrap=True)

    def update(self, text: str) -> None:
        if self._status is not None:
            self._status.update(text)

    def echo(self, text: str, nl: bool = True) -> None:
        """A result line on stdout; the live status steps aside while it is written (both
        streams share the terminal, and a status redrawn over it would garble the line)."""
        import click

        if self._status is None or not (text or nl):
            click.echo(text, nl=nl)
            return
        self._status.stop()
        click.echo(text, nl=nl)
        self._status.start()

    def sampling(self, progress: SamplingProgress) -> None:
        """Live: teams done so far and the rate, at every step. Plain: a line per team done."""
        rate = progress.rate()
        if self.live:
            self.update(f"sampling teams: {progress.finished}/{progress.total} done"
                        + (f", {rate}" if rate else ""))
            return
        while self._finished < progress.finished:
            self._finished += 1
            self.stage(f"sampled team {self._finished}/{progress.total}"
                       + (f" ({rate})" if rate else ""))
