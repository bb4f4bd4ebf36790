"""`lemonc run`: run one team on one input, with a live view of its agents, then print the
answer and a per-agent table. Spec errors print the compiler's diagnostics and exit 1; bad
options or files exit 2; a run in which an agent failed exits 3, naming the agent."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any, ClassVar

import click

from lemonspec.errors import EXIT_INTERRUPTED, EXIT_RUN, EXIT_USAGE
from lemonspec.errors import EXIT_INVALID as EXIT_SPEC
from lemonspec.errors import fail as _fail


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--team", help="The team to run (needed when the file has several).")
@click.option("--input", "task_input", help="The task input.")
@click.option("--input-file", type=click.Path(dir_okay=False, exists=True),
              help="Read the task input from this file.")
@click.option("--profile", help="A shipped profile (embedded, paper-vllm, openai) or a .toml "
                                "path. Default: $LEMONSPEC_PROFILE, else embedded.")
@click.option("--model", help="Run every capacity level on this LiteLLM model string "
                              "(with a remote model's retries and timeout).")
@click.option("--trace", type=click.Path(dir_okay=False), help="Append a JSONL trace here.")
@click.option("--replay", type=click.Path(dir_okay=False, exists=True),
              help="Re-run from this trace's recorded outputs, calling no model.")
@click.option("--cache", type=click.Path(dir_okay=False),
              help="A node cache file (sqlite) to reuse and fill.")
@click.option("--extractor", type=click.Choice(["text", "number", "choice", "code", "exact"]),
              help="How answers are read, for a team that declares no `answer:` type (the "
                   "judge of lemonc bench). Default: the team's answer type, else text.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Model calls in flight at once.")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
def run(file, team, task_input, input_file, profile, model, trace, replay, cache, extractor,
        concurrency, as_json):
    """Run a team from FILE on a task input."""
    from lemonspec.runtime import (
        CacheError,
        ProfileError,
        RecordedRun,
        SqliteCache,
        TraceError,
        command_profile,
    )

    try:
        chosen = command_profile(profile, model=model)
        recorded = RecordedRun.load(replay) if replay else None
        text = _task_input(task_input, input_file, recorded)
        if recorded is not None:
            recorded.check_input(text)
        ir = _compile(file, team, chosen)
        if extractor is not None and ir.answer is not None and extractor != ir.answer.kind:
            _fail(f"team '{ir.team}' declares `answer: {ir.answer}`, which reads its answers; "
                  f"drop --extractor {extractor}", EXIT_USAGE)
        options = {"profile": chosen, "trace": trace, "replay": recorded,
                   "answer": extractor, "extractor": extractor if ir.answer is None else None,
                   "concurrency": concurrency, "cache": SqliteCache(cache) if cache else None}
        result = _run_with_progress(ir, text, options, live=not as_json)
    except (ProfileError, TraceError, CacheError) as exc:  # ModelSetupError is a ProfileError
        _fail(str(exc), EXIT_USAGE)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_result(result)
    for failure in result.failures:
        click.echo(f"error: {failure.error}", err=True)
    if not result.ok:
        sys.exit(EXIT_RUN)


def _task_input(task_input, input_file, recorded) -> str:
    if task_input is not None and input_file is not None:
        _fail("give the task input with --input or --input-file, not both", EXIT_USAGE)
    if input_file is not None:
        try:
            with open(input_file, encoding="utf-8") as f:
                return f.read()
        except UnicodeDecodeError as exc:
            _fail(f"--input-file {input_file}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
                  f"at offset {exc.start}); save it as UTF-8", EXIT_USAGE)
        except OSError as exc:
            _fail(f"--input-file {input_file}: {exc.strerror}", EXIT_USAGE)
    if task_input is not None:
        return task_input
    if recorded is not None and recorded.task_input is not None:
        return recorded.task_input  # replay defaults to the recorded input
    _fail("give the task input with --input TEXT or --input-file FILE", EXIT_USAGE)


def _compile(file, team, profile):
    from lemonspec.compiler import CompileError, compile_file
    from lemonspec.compiler.diagnostics import render_concise

    try:
        return compile_file(file, team=team, levels=profile.levels,
                            default_level=profile.default_level)
    except CompileError as exc:
        click.echo(render_concise(exc.diagnostics), nl=False, err=True)
        sys.exit(EXIT_SPEC)


def _run_with_progress(ir, text, options, live: bool):
    from rich.live import Live

    from lemonspec.display import stderr_console
    from lemonspec.runtime import run_team

    board = _Board(ir)
    console = stderr_console()
    try:
        if not live or not console.is_terminal:
            return asyncio.run(run_team(ir, text, listeners=[board.on_event], **options))
        with Live(board, console=console, refresh_per_second=8, transient=True):
            return asyncio.run(run_team(ir, text, listeners=[board.on_event], **options))
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except OSError as exc:  # e.g. a trace or cache path that cannot be written
        _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc), EXIT_USAGE)


class _Board:
    """The live view: every agent's state, updated from the run's events."""

    SYMBOLS: ClassVar[dict[str, str]] = {"waiting": "[dim]·[/] waiting", "running": "[yellow]…[/] running",
               "ok": "[green]✓[/] done", "cached": "[cyan]✓[/] cached",
               "failed": "[red]✗[/] failed", "skipped": "[dim]-[/] skipped"}

    def __init__(self, ir) -> None:
        self.ir = ir
        self.state = {a.name: "waiting" for a in ir.agents}
        self.since: dict[str, float] = {}

    def on_event(self, event: dict[str, Any]) -> None:
        agent, kind = event.get("agent"), event["event"]
        if kind == "agent_started":
            self.state[agent], self.since[agent] = "running", time.monotonic()
        elif kind == "agent_finished":
            self.state[agent] = "cached" if event["cached"] else "ok"
        elif kind in ("agent_failed", "agent_skipped"):
            self.state[agent] = kind.removeprefix("agent_")
        elif kind == "reply_truncated":
            click.echo(f"warning: agent '{agent}': the reply of {event['model']} had "
                       f"{event['chars']:,} characters; kept the first {event['kept']:,} "
                       "(the profile's max_reply_chars)", err=True)

    def __rich__(self):
        from rich.table import Table

        done = sum(s not in ("waiting", "running") for s in self.state.values())
        table = Table(title=f"{self.ir.team}: {done}/{len(self.state)} agents", box=None)
        for column in ("agent", "capacity", "state", "s"):
            table.add_column(column)
        for agent in self.ir.agents:
            state = self.state[agent.name]
            elapsed = (f"{time.monotonic() - self.since[agent.name]:.1f}"
                       if state == "running" else "")
            table.add_row(agent.name, agent.capacity, self.SYMBOLS[state], elapsed)
        return table


def _print_result(result) -> None:
    from rich.markup import escape
    from rich.table import Table

    from lemonspec.display import stdout_console

    console = stdout_console()
    calls = (f"{result.model_calls} model calls recorded, replayed from the trace"
             if result.replayed else f"{result.model_calls} model calls, {result.cache_hits} cached")
    table = Table(title=f"team {result.team}: {result.seconds:.2f} s, {calls}")
    for column, justify in (("agent", "left"), ("capacity", "left"), ("model", "left"),
                            ("status", "left"), ("tokens in", "right"),
                            ("tokens out", "right"), ("seconds", "right")):
        table.add_column(column, justify=justify, overflow="fold")
    for a in result.agents:
        status = "replayed" if a.replayed else "cached" if a.cached else a.status
        table.add_row(a.name, a.capacity, a.model, status, _number(a.prompt_tokens),
                      _number(a.completion_tokens), f"{a.seconds:.2f}" if a.ok else "")
    table.add_section()
    cost = "" if result.cost is None else f"  cost ${result.cost:.6f}"
    table.add_row("total", "", "", cost.strip(), _number(result.prompt_tokens),
                  _number(result.completion_tokens), f"{result.seconds:.2f}")
    console.print(table)
    answer = escape(result.answer) if result.answer is not None else "[red](none)[/]"
    console.print(f"[bold]answer:[/] {answer}", soft_wrap=True)  # one line, whatever its length


def _number(value) -> str:
    return "?" if value is None else str(value)
