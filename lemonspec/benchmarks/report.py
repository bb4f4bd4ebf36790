"""Comparing runs: a table over results files and a bar chart of accuracy and tokens.

    rows = load_rows(["runs/gsm8k-cot.jsonl", "runs/gsm8k-orchestrated.jsonl"])
    Console().print(table(rows)); plot(rows, "report.png")

A row is one results file: one fixed team, or one orchestrator writing a team per item
(its team column reads `orchestrator:LABEL`), on one dataset with one worker model. Both
kinds sit in one table: accuracy with its Wilson interval, tokens per item split between the
orchestrator and the workers, the share of written teams the compiler accepted, and the mean
agents and edges. The chart groups rows by dataset and gives each team its own colour, so
baselines line up across benchmarks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from lemonspec.benchmarks.bench import Summary, read_results, summarize
from lemonspec.benchmarks.errors import Error


@attrs.frozen
class Row:
    path: Path
    team: str
    dataset: str
    model: str  # the models the team ran on, or the profile's name
    summary: Summary


def load_rows(paths: Iterable[str | os.PathLike]) -> list[Row]:
    """One row per results file that has finished items."""
    return [row for row in map(load_row, paths) if row is not None]


def is_trace(path: str | os.PathLike) -> bool:
    """A run trace (bench writes one beside each results file, so `runs/*.jsonl` globs
    both): its lines are events."""
    with open(path, encoding="utf-8", errors="replace") as file:
        first = file.readline()
    try:
        return "event" in json.loads(first)
    except (json.JSONDecodeError, TypeError):
        return False


def load_row(path: str | os.PathLike) -> Row | None:
    """The row of one results file; None while it has no finished item."""
    results = read_results(path)
    if results.header is None:
        raise Error(f"{path} is not a lemonc bench results file (it has no header line)")
    if not results.items:
        return None
    key = results.key
    models = sorted(set(key.models.values()))
    model = models[0] if len(models) == 1 else key.profile
    return Row(Path(path), key.team, key.dataset, model, summarize(results.items.values()))


# ---- the table ----

COLUMNS = ("team", "dataset", "model", "n", "accuracy % [95% CI]", "tokens/item",
           "orchestrator", "workers", "valid %", "agents", "edges", "cost/item", "s/item",
           "failed")


def cells(row: Row) -> tuple[str, ...]:
    s = row.summary
    orchestrator = ("-" if s.orchestrator_tokens_per_item is None
                    and not row.team.startswith("orchestrator:")
                    else _number(s.orchestrator_tokens_per_item, "{:,.0f}"))
    return (row.team, row.dataset, row.model, str(s.items), accuracy_text(s),
            _number(s.tokens_per_item, "{:,.0f}"), orchestrator,
            _number(s.worker_tokens_per_item, "{:,.0f}"),
            _number(None if s.valid_share is None else 100 * s.valid_share, "{:.0f}"),
            _number(s.agents_mean, "{:.1f}"), _number(s.edges_mean, "{:.1f}"),
            _number(s.cost_per_item, "${:.5f}"), f"{s.seconds_per_item:.1f}",
            str(s.failed_runs))


def accuracy_text(s: Summary) -> str:
    return f"{100 * s.accuracy:.1f} [{100 * s.ci_low:.1f}, {100 * s.ci_high:.1f}]"


def _number(value: float | None, form: str) -> str:
    return "?" if value is None else form.format(value)


def table(rows: Sequence[Row]):
    from rich.table import Table

    result = Table(title="lemonc report", caption="95% CI: Wilson score interval. Tokens per "
                   "item = orchestrator (writing the team) + workers (running it); ? = a "
                   "provider reported no usage. Valid: written teams the compiler accepted. "
                   "Failed: runs in which an agent failed (scored on the answer still given).")
    for column in COLUMNS:
        result.add_column(column, justify="left" if column in COLUMNS[:3] else "right")
    for row in sorted(rows, key=lambda r: (r.dataset, r.team)):
        result.add_row(*cells(row))
    return result


def markdown(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in sorted(rows, key=lambda r: (r.dataset, r.team)):
        lines.append("| " + " | ".join(cells(row)) + " |")
    return "\n".join(lines) + "\n"


# ---- the chart ----


def plot(rows: Sequence[Row], path: str | os.PathLike) -> Path:
    """Two panels, accuracy (with its 95% interval) and tokens per item, one bar group per
    dataset and one colour per team. Written as PNG without a display (Agg)."""
    from lemonspec.errors import require_extra

    require_extra("bench", "matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = sorted({r.dataset for r in rows})
    teams = list(dict.fromkeys(r.team for r in sorted(rows, key=lambda r: r.team)))
    figure, (accuracy_axes, token_axes) = plt.subplots(
        2, 1, figsize=(max(6.0, 1.2 * len(datasets) * max(1, len(teams)) ** 0.5 + 3), 7),
        sharex=True)
    width = 0.8 / max(1, len(teams))
    for t, team in enumerate(teams):
        mine = {r.dataset: r for r in rows if r.team == team}
        xs = [d + (t - (len(teams) - 1) / 2) * width for d, name in enumerate(datasets)
              if name in mine]
        shown = [mine[name].summary for name in datasets if name in mine]
        accuracy = [100 * s.accuracy for s in shown]
        errors = [[100 * (s.accuracy - s.ci_low) for s in shown],
                  [100 * (s.ci_high - s.accuracy) for s in shown]]
        accuracy_axes.bar(xs, accuracy, width, yerr=errors, capsize=3, label=team)
        workers = [s.worker_tokens_per_item or 0 for s in shown]
        token_axes.bar(xs, workers, width, label=team)
        token_axes.bar(xs, [s.orchestrator_tokens_per_item or 0 for s in shown], width,
                       bottom=workers, color="none", edgecolor="black", hatch="//")
    accuracy_axes.set_ylabel("accuracy % (95% CI)")
    accuracy_axes.set_ylim(0, 100)
    token_axes.set_ylabel("tokens per item\n(hatched: orchestrator)")
    token_axes.set_xticks(range(len(datasets)), datasets)
    accuracy_axes.legend(fontsize="small", ncols=min(4, len(teams)))
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
