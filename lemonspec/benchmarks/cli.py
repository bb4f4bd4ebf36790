"""`lemonc bench`, `lemonc report` and `lemonc baselines`.

bench runs one team over a benchmark into a resumable results file; report compares results
files in a table and a chart; baselines writes the paper's baselines as .lemon files.
Exit codes: 1 the spec has errors, 2 bad options, files or data, 3 the orchestrator failed
(nothing is recorded for the item it failed on; rerun to resume), 130 interrupted.
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
from lemonspec.errors import EXIT_INTERRUPTED, EXIT_RUN
from lemonspec.errors import EXIT_INVALID as EXIT_SPEC
from lemonspec.errors import fail as _fail
from lemonspec.runtime.answers import SCORERS

# ---- lemonc bench ----


@click.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("--orchestrator", metavar="ORCH",
              help="Instead of SPEC, let an orchestrator write a team for each item: `local` "
                   "(the embedded SmolLM2), a model or LoRA adapter folder `lemonc train` "
                   "saved, or a LiteLLM model string (hosted_vllm/... decodes under the "
                   "grammar).")
@click.option("--designer", metavar="DIR", type=click.Path(file_okay=False),
              help="Instead of SPEC, let a designer `lemonc design` saved write a team for "
                   "each item.")
@click.option("--dataset", required=True, metavar="NAME|FILE",
              help=f"A benchmark ({', '.join(NAMES)}), `simulator` (its held-out test split "
                   "on simulated workers), or your own .jsonl/.csv file "
                   "(see --question-field, --answer-field, --scorer).")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="The results file (JSONL). Rerun with the same --out to resume.")
@click.option("--limit", type=click.IntRange(min=0), help="Run a seeded sample of N items.")
@click.option("--split", default="test", show_default=True,
              help="The split: test; also train (gsm8k) and dev (aqua, mmlu). Not for files.")
@click.option("--seed", default=0, show_default=True,
              help="Chooses the --limit sample, and the orchestrator's sampling seed.")
@click.option("--data", type=click.Path(), help="Where the benchmark's files are "
              "(default: $LEMONSPEC_DATA, then shared/datasets folders, then the HF hub).")
@click.option("--team", help="The team to run (needed when the file has several).")
@click.option("--profile", help="A shipped profile (embedded, paper-vllm, openai) or a .toml "
                                "path, for the workers. Default: embedded.")
@click.option("--model", help="Run every capacity level on this LiteLLM model string.")
@click.option("--temperature", type=click.FloatRange(min=0),
              help="Sample every level at this temperature (SC-CoT needs one above 0).")
@click.option("--concurrency", type=click.IntRange(min=1),
              help="Items (and model calls) in flight at once. Default: the profile's.")
@click.option("--trace", type=click.Path(dir_okay=False),
              help="The JSONL trace of every run. Default: OUT with .trace.jsonl.")
@click.option("--samples", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --orchestrator: teams written per item; the answer is the majority "
                   "of their answers.")
@click.option("--orchestrator-temperature", type=click.FloatRange(min=0),
              help="With --orchestrator: its sampling temperature. Default: 0 (greedy) for "
                   "one sample, 0.7 for more.")
@click.option("--unconstrained", is_flag=True,
              help="With --orchestrator: decode without the grammar (invalid teams score 0).")
@click.option("--question-field", default="question", show_default=True,
              help="With a data file: the field holding the question.")
@click.option("--answer-field", default="answer", show_default=True,
              help="With a data file: the field holding the gold answer.")
@click.option("--id-field", help="With a data file: the field holding each item's id "
                                 "(default: its position).")
@click.option("--scorer", type=click.Choice(SCORERS), default="number", show_default=True,
              help="With a data file: how answers are compared (number: numerically; choice: "
                   "a letter A-E; exact: the marked answer's text, ignoring case).")
def bench(spec, orchestrator, designer, dataset, out, limit, split, seed, data, team, profile, model,
          temperature, concurrency, trace, samples, orchestrator_temperature, unconstrained,
          question_field, answer_field, id_field, scorer):
    """Run the team in SPEC, or the teams an --orchestrator writes, over a benchmark or a
    data file: one results line per item, then a summary."""
    from lemonspec.benchmarks import bench as b
    from lemonspec.benchmarks.errors import Error

    if [spec, orchestrator, designer].count(None) != 2:
        _fail("give a team SPEC file, --orchestrator ORCH or --designer DIR (one of them)")
    if orchestrator is None and (samples != 1 or orchestrator_temperature is not None
                             or unconstrained):
        _fail("--samples, --orchestrator-temperature and --unconstrained need --orchestrator")
    if dataset == "simulator":  # designers/simulated.py: its own workers and splits
        if profile or model or temperature is not None:
            _fail("--dataset simulator runs on simulated workers: drop --profile, --model "
                  "and --temperature")
        from lemonspec.designers import simulated

        chosen = simulated.profile()
    else:
        chosen = _profile(profile, model, temperature)
    ir = None if spec is None else _compile(spec, team, chosen)  # spec errors first: exit 1
    try:
        items, dataset_label, split_label = _items(
            dataset, split, data, limit, seed, question_field, answer_field, id_field, scorer)
    except Error as exc:
        _fail(str(exc))
    if ir is not None:
        _check_answer_type(ir, items, dataset_label)
    if orchestrator is not None or designer is not None:
        _bench_orchestrated(orchestrator or designer, items, dataset, dataset_label, split_label, seed,
                            chosen, out, concurrency, trace, samples, orchestrator_temperature,
                            unconstrained, designer=designer is not None)
        return
    try:
        store = b.ResultsFile.open(out, b.run_key(ir, dataset_label, split_label, seed, chosen))
    except Error as exc:
        _fail(str(exc))
    _warn_if_votes_are_copies(ir, chosen)
    with store:
        todo = [item for item in items if item.id not in store.done]
        click.echo(f"{ir.team} on {dataset_label}/{split_label}: {len(items)} items, "
                   f"{len(items) - len(todo)} already in {out}, {len(todo)} to run", err=True)
        seconds = _run_with_progress(ir, todo, chosen, store, concurrency,
                                     trace or _default_trace(out))
        records = [store.done[item.id] for item in items]
    if records:
        _print_summary(ir.team, dataset_label, chosen, b.summarize(records), seconds, len(todo))


def _items(dataset, split, data, limit, seed, question_field, answer_field, id_field, scorer):
    """(items, the dataset's label, the split's label) for a benchmark name or a data file.
    A file's "split" is a fingerprint of its content and fields, so that a results file never
    mixes two versions of the data."""
    from lemonspec.benchmarks.datasets import (
        data_fingerprint,
        is_data_file,
        load,
        load_file,
    )

    if dataset == "simulator":
        from lemonspec.designers import simulated

        return simulated.items(split, limit, seed), dataset, split
    if not is_data_file(dataset):
        return load(dataset, split, path=data, limit=limit, seed=seed), dataset, split
    items = load_file(dataset, question_field=question_field, answer_field=answer_field,
                      id_field=id_field, scorer=scorer, limit=limit, seed=seed)
    fingerprint = data_fingerprint(dataset, question=question_field, answer=answer_field,
                                   id=id_field, scorer=scorer)
    return items, Path(dataset).name, f"file-{fingerprint}"


def _bench_orchestrated(orchestrator, items, dataset, dataset_label, split_label, seed,
                        profile, out, concurrency, trace, samples, orchestrator_temperature,
                        unconstrained, designer=False):
    from lemonspec.benchmarks import bench as b
    from lemonspec.benchmarks import orchestrated as o
    from lemonspec.benchmarks.errors import Error
    from lemonspec.orchestrator import family_of

    if orchestrator_temperature is None:
        orchestrator_temperature = 0.0 if samples == 1 else 0.7
    if samples > 1 and orchestrator_temperature == 0:
        click.echo(f"warning: {samples} greedy samples are one team written {samples} times; "
                   "pass --orchestrator-temperature 0.7", err=True)
    decoding = o.Decoding(samples=samples, temperature=orchestrator_temperature,
                          top_p=1.0 if orchestrator_temperature == 0 else 0.95,
                          constrained=not unconstrained)
    click.echo(f"loading the {'designer' if designer else 'orchestrator'} {orchestrator}",
               err=True)
    try:
        writer = _open_designer(orchestrator, dataset) if designer else o.open_writer(
            orchestrator, decoding)
        store = b.ResultsFile.open(out, o.run_key(writer, dataset_label, split_label, seed,
                                                  profile))
    except Error as exc:
        _fail(str(exc))
    if getattr(writer, "scope", None) is not None:
        bounds = writer.scope.bounds
        click.echo(f"writing in the scope it was trained in (lemon_scope.json): at most "
                   f"{bounds.max_agents} agents, names of {bounds.max_name_chars} and strings "
                   f"of {bounds.max_string_chars} characters", err=True)
    family = family_of(dataset)
    with store:
        todo = [item for item in items if item.id not in store.done]
        click.echo(f"{_kind(writer)} {writer.label} on {dataset_label}/{split_label}: "
                   f"{len(items)} items, {len(items) - len(todo)} already in {out}, "
                   f"{len(todo)} to run", err=True)

        def run(trace_writer, display):
            o.evaluate(writer, todo, profile, family=family, seed=seed,
                       concurrency=concurrency, trace=trace_writer,
                       on_record=lambda record: (store.add(record), display.advance(record)),
                       on_written=display.written)

        seconds = _with_progress(run, todo, profile, trace or _default_trace(out))
        records = [store.done[item.id] for item in items if item.id in store.done]
    if records:
        _print_summary(f"{_kind(writer)}:{writer.label}", dataset_label, profile,
                       b.summarize(records), seconds, len(todo))


def _kind(writer) -> str:
    return getattr(writer, "kind", "orchestrator")


def _open_designer(folder, dataset):
    from lemonspec.designers.store import DesignerWriter, check_fits, load

    saved = load(folder)
    note = check_fits(saved, dataset)
    if note:
        click.echo(note, err=True)
    return DesignerWriter(saved)


def _profile(name, model, temperature):
    from lemonspec.runtime import ProfileError, command_profile

    try:
        return command_profile(name, model=model, temperature=temperature)
    except ProfileError as exc:
        _fail(str(exc))


def _compile(spec, team, profile):
    from lemonspec.compiler import CompileError, compile_file
    from lemonspec.compiler.diagnostics import render_concise
    from lemonspec.runtime import ProfileError, check_capacities, check_models

    try:
        ir = compile_file(spec, team=team, levels=profile.levels,
                          default_level=profile.default_level)
        check_capacities(ir, profile)
        check_models(profile, {agent.capacity for agent in ir.agents})  # before any item runs
    except CompileError as exc:
        click.echo(render_concise(exc.diagnostics), nl=False, err=True)
        sys.exit(EXIT_SPEC)
    except ProfileError as exc:
        _fail(str(exc))
    return ir


def _check_answer_type(ir, items, dataset_label) -> None:
    """A team whose declared answer type its data's gold answers cannot be stops here
    (exit 2), before any item runs; choice letters that miss some golds warn."""
    from lemonspec.benchmarks.scoring import item_answer_type
    from lemonspec.runtime.answers import AnswerTypeConflict, team_answer_type

    for item in items[:1]:
        try:
            team_answer_type(ir.answer, item_answer_type(item), team=f"team '{ir.team}'",
                             task_name=dataset_label)
        except AnswerTypeConflict as exc:
            _fail(str(exc))
    if ir.answer is not None and ir.answer.kind == "choice":
        missed = sorted({str(i.answer) for i in items} - set(ir.answer.options))
        if missed:
            click.echo(f"warning: team '{ir.team}' declares `answer: {ir.answer}` but some "
                       f"gold answers of {dataset_label} are {', '.join(missed)}, which it "
                       "can never give; list every letter the items use", err=True)


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
    from lemonspec.benchmarks.bench import run_bench

    def run(trace, display):
        asyncio.run(run_bench(ir, items, profile, store, concurrency=concurrency, trace=trace,
                              on_record=display.advance))

    return _with_progress(run, items, profile, trace_path)


def _with_progress(run, items, profile, trace_path) -> float:
    """Run the items under a progress bar (plain lines when stderr is not a terminal);
    the wall-clock seconds it took. `run(trace, display)` runs them."""
    from lemonspec.benchmarks.bench import cut_torn_tail, warm_up
    from lemonspec.benchmarks.errors import Error
    from lemonspec.runtime import TraceWriter

    if items:
        warm_up(profile)
    cut_torn_tail(trace_path)  # a kill may have left half an event
    display = _Display(len(items))
    started = time.perf_counter()
    try:
        with TraceWriter(trace_path) as trace, display:
            run(trace, display)
    except KeyboardInterrupt:
        _fail(f"interrupted after {display.done} items; rerun the same command to resume",
              EXIT_INTERRUPTED)
    except Error as exc:
        _fail(f"{exc}\n(after {display.done} items; rerun the same command to resume)",
              EXIT_RUN)
    except OSError as exc:
        _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
    return time.perf_counter() - started


class _Display:
    """A rich progress bar with the running accuracy; one line per item in a log file."""

    def __init__(self, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from lemonspec.display import stderr_console

        self.console = stderr_console()
        self.total, self.done, self.correct, self.teams_written = total, 0, 0, 0
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

    def written(self, written) -> None:
        """An orchestrator wrote an item's teams (they run once their chunk is written)."""
        self.teams_written += 1
        note = f"teams written for {self.teams_written}/{self.total} items"
        self.progress.update(self.task, description=note)
        if self.progress.disable:
            click.echo(f"[team {self.teams_written}/{self.total}] {written.item.id}: written "
                       f"in {written.seconds:.1f} s", err=True)

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)


def _print_summary(team, dataset, profile, summary, seconds, ran) -> None:
    from rich.table import Table

    from lemonspec.benchmarks.report import accuracy_text
    from lemonspec.display import stdout_console

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
    if summary.orchestrator_tokens_per_item is not None or team.startswith(("orchestrator:",
                                                                           "designer:")):
        rows[5:5] = [
            ("orchestrator tokens per item", "?" if summary.orchestrator_tokens_per_item
             is None else f"{summary.orchestrator_tokens_per_item:,.0f}"),
            ("worker tokens per item", "?" if summary.worker_tokens_per_item is None
             else f"{summary.worker_tokens_per_item:,.0f}"),
            ("valid teams", f"{100 * (summary.valid_share or 0):.0f}%"),
            ("agents, edges (mean)", "-" if summary.agents_mean is None
             else f"{summary.agents_mean:.1f}, {summary.edges_mean:.1f}"),
        ]
    for name, value in rows:
        table.add_row(name, value)
    stdout_console().print(table)


# ---- lemonc report ----


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--png", type=click.Path(dir_okay=False),
              help="Also draw a bar chart of accuracy and tokens into this PNG file.")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown.")
def report(results, png, markdown):
    """Compare results files of lemonc bench (fixed teams and orchestrators): a table, and a
    bar chart PNG with --png."""
    from lemonspec.benchmarks import report as r
    from lemonspec.benchmarks.errors import Error
    from lemonspec.display import stdout_console

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
        stdout_console().print(r.table(rows))
    if png:
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
