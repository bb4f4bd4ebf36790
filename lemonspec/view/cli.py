"""`lemonc view FILE [-o page.html]`: a trace (`lemonc run --trace`) or a results file
(`lemonc bench`) as one HTML page. A file that cannot be shown exits 2 with a message that
says what it is and what was expected, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lemonspec.errors import fail


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the page here (default: FILE with .html).")
@click.option("--run", "run_id", help="Show only this run of a trace (its id or a prefix).")
def view(file, output, run_id):
    """Write one self-contained HTML page (no network) for a run trace or bench results:
    the team graph, each agent's status, model, time, tokens and cost, its messages and
    answer, and a timeline; or the benchmark items, filterable by correct/wrong."""
    from lemonspec.view.model import ViewError

    try:
        text = render(Path(file), run_id)
    except ViewError as exc:
        fail(str(exc))
    target = Path(output) if output else Path(file).with_suffix(".html")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}")
    click.echo(f"wrote {target}")


MAX_RUNS = 50  # a bench trace holds a run per item; the page keeps the newest


def render(path: Path, run_id: str | None = None) -> str:
    """The page for `path`, a trace or a bench results file (told apart by the first line)."""
    from lemonspec.view.model import ViewError, read_runs
    from lemonspec.view.page import trace_page

    if _first_record(path).get("type") == "run":
        return _bench(path)
    runs, problems = read_runs(path)
    if run_id is not None:
        chosen = [r for r in runs if r.run_id.startswith(run_id)]
        if not chosen:
            known = ", ".join(r.run_id for r in runs[-5:])
            raise ViewError(f"{path} has no run {run_id!r}; its last runs are {known}")
        runs = chosen
    elif len(runs) > MAX_RUNS:
        problems.append(f"{len(runs) - MAX_RUNS} earlier runs are not shown (the page keeps "
                        f"the last {MAX_RUNS}); pick one with --run ID")
        runs = runs[-MAX_RUNS:]
    try:
        shown = str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    return trace_page(runs, problems, shown)


def _first_record(path: Path) -> dict:
    from lemonspec.view.model import ViewError

    try:
        with open(path, "rb") as handle:
            line = handle.readline(1 << 20)
    except OSError as exc:
        raise ViewError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return {}
    return record if isinstance(record, dict) else {}


def _bench(path: Path) -> str:
    from lemonspec.benchmarks.bench import read_results, summarize
    from lemonspec.benchmarks.errors import Error
    from lemonspec.view.model import ViewError
    from lemonspec.view.page import bench_page

    try:
        results = read_results(path)
    except Error as exc:
        hint = f" ({exc.hint})" if getattr(exc, "hint", None) else ""
        raise ViewError(f"{exc}{hint}") from None
    items = [i for i in results.items.values() if isinstance(i, dict)]
    problems = []
    if results.valid_bytes < path.stat().st_size:
        problems.append("the last line is torn (the run was killed mid-write) and is not shown")
    if not items:
        problems.append("no item has finished yet")
    try:
        summary = summarize(items) if items else None
    except (KeyError, TypeError, ValueError):
        summary = None
        problems.append("some items lack the fields a summary needs (correct, seconds, ...)")
    return bench_page(results.header or {}, items, summary, str(path), problems)
