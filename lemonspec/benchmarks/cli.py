"""`lemonc bench`, `lemonc report` and `lemonc baselines`.

bench runs one team over a benchmark into a resumable results file; report compares results
files in a table and a chart; baselines writes the paper's baselines as .lemon files.
Exit codes: 1 the spec has errors, 2 bad options, files or data, 130 interrupted.
Heavy imports (LiteLLM, torch, matplotlib) happen inside the commands.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import click

from lemonspec.benchmarks.baselines import BASELINES
from lemonspec.benchmarks.datasets import NAMES
from lemonspec.errors import EXIT_INTERRUPTED
from lemonspec.errors import EXIT_INVALID as EXIT_SPEC
from lemonspec.errors import fail as _fail

# ---- lemonc bench ----


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False, exists=True))
@click.option("--dataset", required=True, type=click.Choice(NAMES), help="The benchmark.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="The results file (JSONL). Rerun with the same --out to resume.")
@click.option("--limit", type=click.IntRange(min=0), help="Run a seeded sample of N items.")
@click.option("--split", default="test", show_default=True,
              help="The split: test; also train (gsm8k) and dev (aqua, mmlu).")
@click.option("--seed", default=0, show_default=True, help="Chooses the --limit sample.")
@click.option("--data", type=click.Path(), help="Where the benchmark's files are "
              "(default: $LEMONSPEC_DATA, then shared/datasets folders, then the HF hub).")
@click.option("--team", help="The team to run (needed when the file has several).")
@click.option("--profile", help="A shipped profile (embedded, paper-vllm, openai) or a .toml "
                                "path. Default: embedded.")
@click.option("--model", help="Run every capacity level on this LiteLLM model string.")
@click.option("--temperature", type=click.FloatRange(min=0),
              help="Sample every level at this temperature (SC-CoT needs one above 0).")
@click.option("--concurrency", type=click.IntRange(min=1),
              help="Items (and model calls) in flight at once. Default: the profile's.")
@click.option("--trace", type=click.Path(dir_okay=False),
              help="The JSONL trace of every run. Default: OUT with .trace.jsonl.")
def bench(spec, dataset, out, limit, split, seed, data, team, profile, model, temperature,
          concurrency, trace):
    """Run the team in SPEC over a benchmark: one results line per item, then a summary."""
    from lemonspec.benchmarks import bench as b
    from lemonspec.benchmarks.datasets import load
    from lemonspec.benchmarks.errors import Error

    chosen = _profile(profile, model, temperature)
    ir = _compile(spec, team, chosen)
    try:
        items = load(dataset, split, path=data, limit=limit, seed=seed)
        store = b.ResultsFile.open(out, b.run_key(ir, dataset, split, seed, chosen))
    except Error as exc:
        _fail(str(exc))
    _warn_if_votes_are_copies(ir, chosen)
    with store:
        todo = [item for item in items if item.id not in store.done]
        click.echo(f"{ir.team} on {dataset}/{split}: {len(items)} items, "
                   f"{len(items) - len(todo)} already in {out}, {len(todo)} to run", err=True)
        seconds = _run_with_progress(ir, todo, chosen, store, concurrency,
                                     trace or _default_trace(out))
        records = [store.done[item.id] for item in items]
    if records:
        _print_summary(ir.team, dataset, chosen, b.summarize(records), seconds, len(todo))


def _profile(name, model, temperature):
    import attrs

    from lemonspec.runtime import ProfileError, load_profile

    try:
        chosen = load_profile(name)
    except ProfileError as exc:
        _fail(str(exc))
    if model:
        chosen = chosen.with_model(model)
    if temperature is not None:
        configs = {level: attrs.evolve(config, temperature=temperature)
                   for level, config in chosen.configs.items()}
        chosen = attrs.evolve(chosen, name=f"{chosen.name}@t={temperature:g}", configs=configs)
    return chosen


def _compile(spec, team, profile):
    from lemonspec.compiler import CompileError, compile_file
    from lemonspec.compiler.diagnostics import render_concise
    from lemonspec.runtime import ProfileError, check_capacities

    try:
        ir = compile_file(spec, team=team, levels=profile.levels,
                          default_level=profile.default_level)
        check_capacities(ir, profile)
    except CompileError as exc:
        click.echo(render_concise(exc.diagnostics), nl=False, err=True)
        sys.exit(EXIT_SPEC)
    except ProfileError as exc:
        _fail(str(exc))
    return ir


def _warn_if_votes_are_copies(ir, profile) -> None:
    """Voters told the same thing at temperature 0 answer alike: the vote is a costly no-op."""
    if ir.output.kind != "vote":
        return
    voters = [ir.agent(name) for name in ir.output.agents]
    same_prompt = len({(v.instructions, v.after) for v in voters}) == 1
    greedy = all(profile.config(v.capacity).temperature == 0 for v in voters)
    if same_prompt and greedy:
        click.echo("warning: the voters have the same instructions and temperature 0, so they "
                   "will all answer alike; pass --temperature 0.7 for self-consistency",
                   err=True)


def _default_trace(out: str) -> str:
    path = Path(out)
    return str(path.with_name(path.name.removesuffix(".jsonl") + ".trace.jsonl"))


def _run_with_progress(ir, items, profile, store, concurrency, trace_path) -> float:
    """Run the items under a progress bar (plain lines when stderr is not a terminal);
    the wall-clock seconds it took."""
    from lemonspec.benchmarks.bench import cut_torn_tail, run_bench, warm_up
    from lemonspec.runtime import TraceWriter

    if items:
        warm_up(profile)
    cut_torn_tail(trace_path)  # a kill may have left half an event
    display = _Display(len(items))
    started = time.perf_counter()
    try:
        with TraceWriter(trace_path) as trace, display:
            asyncio.run(run_bench(ir, items, profile, store, concurrency=concurrency,
                                  trace=trace, on_record=display.advance))
    except KeyboardInterrupt:
        _fail(f"interrupted after {display.done} items; rerun the same command to resume",
              EXIT_INTERRUPTED)
    except OSError as exc:
        _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
    return time.perf_counter() - started


class _Display:
    """A rich progress bar with the running accuracy; one line per item in a log file."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(stderr=True)
        self.total, self.done, self.correct = total, 0, 0
        self.progress = Progress(
            TextColumn("[progress.description]{task.description}"), BarColumn(),
            MofNCompleteColumn(), TextColumn("acc {task.fields[accuracy]}"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=self.console,
            disable=not self.console.is_terminal)
        self.task = self.progress.add_task("items", total=total, accuracy="-")

    def advance(self, record) -> None:
        self.done += 1
        self.correct += bool(record["correct"])
        accuracy = f"{100 * self.correct / self.done:.1f}%"
        self.progress.update(self.task, advance=1, accuracy=accuracy)
        if self.progress.disable:
            mark = "correct" if record["correct"] else "wrong"
            click.echo(f"[{self.done}/{self.total}] {record['id']}: {mark} "
                       f"({record['seconds']:.1f} s, acc {accuracy})", err=True)

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)


def _print_summary(team, dataset, profile, summary, seconds, ran) -> None:
    from rich.console import Console
    from rich.table import Table

    from lemonspec.benchmarks.report import accuracy_text

    table = Table(title=f"{team} on {dataset} ({profile.name})", show_header=False)
    rows = [
        ("items", f"{summary.items} ({ran} run now, in {seconds:.0f} s wall time)"),
        ("accuracy % [95% CI]", accuracy_text(summary)),
        ("correct", str(summary.correct)),
        ("failed runs", f"{summary.failed_runs} (an agent failed; scored as answered)"),
        ("tokens per item", "?" if summary.tokens_per_item is None
         else f"{summary.tokens_per_item:,.0f}"),
        ("cost per item", "? (unknown price)" if summary.cost_per_item is None
         else f"${summary.cost_per_item:.6f}"),
        ("latency per item",
         f"{summary.seconds_per_item:.2f} s mean, {summary.seconds_p95:.2f} s p95"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)


# ---- lemonc report ----


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--png", default="report.png", show_default=True, type=click.Path(dir_okay=False),
              help="Where to write the bar chart of accuracy and tokens.")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown.")
def report(results, png, markdown):
    """Compare results files of lemonc bench: a table, and a bar chart PNG."""
    from rich.console import Console

    from lemonspec.benchmarks import report as r
    from lemonspec.benchmarks.errors import Error

    traces = [path for path in results if r.is_trace(path)]
    if traces:
        click.echo(f"skipped {len(traces)} trace file(s), e.g. {traces[0]}", err=True)
    try:
        rows = r.load_rows(path for path in results if path not in traces)
    except Error as exc:
        _fail(str(exc))
    if not rows:
        _fail("none of the files given holds a finished item")
    if markdown:
        click.echo(r.markdown(rows), nl=False)
    else:
        Console().print(r.table(rows))
    click.echo(f"wrote {r.plot(rows, png)}", err=True)


# ---- lemonc baselines ----


@click.group()
def baselines():
    """The paper's baselines as .lemon specs."""


@baselines.command("random")
@click.option("--benchmark", required=True, type=click.Choice(NAMES))
@click.option("--agents", type=click.IntRange(1, 64),
              help="Team size. Default: the benchmark's lineup (4 for math, 5 otherwise).")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the spec here instead of printing it.")
def random_(benchmark, agents, seed, output):
    """A seeded random DAG over the benchmark's role pool (the Random baseline)."""
    from lemonspec.benchmarks.baselines import random_team, render

    _emit(render(random_team(benchmark, agents=agents, seed=seed)), output)


@baselines.command("show")
@click.argument("name", type=click.Choice(BASELINES))
@click.option("--benchmark", required=True, type=click.Choice(NAMES))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the spec here instead of printing it.")
def show(name, benchmark, output):
    """One baseline for one benchmark, as a .lemon spec."""
    from lemonspec.benchmarks.baselines import baseline, render

    _emit(render(baseline(name, benchmark)), output)


@baselines.command("write")
@click.option("--out", default="examples/baselines", show_default=True,
              type=click.Path(file_okay=False), help="The folder to write into.")
def write(out):
    """Write every baseline for every benchmark: OUT/<benchmark>/<baseline>.lemon."""
    from lemonspec.benchmarks.baselines import write_all

    click.echo(f"wrote {len(write_all(out))} specs under {out}")


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)
