"""What a trace says about each run, read from its events (runtime/trace.py lists them).

A trace is hostile input: it may be torn (a killed writer), empty, another tool's JSONL, or
hold replies written to attack the page. Reading never raises on content; it keeps what it
can and lists what is missing in `problems`, which the page shows. Only a file that holds
no run at all is a ViewError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from lemonspec.errors import LemonspecError


class ViewError(LemonspecError, ValueError):
    """A file the viewer cannot show; the message says what it is and what was expected."""


@attrs.frozen
class AgentView:
    name: str
    status: str  # ok, cached, failed, skipped, running (no end recorded), waiting (no start)
    capacity: str | None
    model: str | None
    after: tuple[str, ...]
    started: float | None  # seconds since the run started
    finished: float | None
    seconds: float | None  # the model's own time, as the runtime accounted it
    prompt_tokens: int | None
    completion_tokens: int | None
    cost: float | None
    attempts: int | None
    messages: tuple[Mapping[str, Any], ...]  # of the last model request
    output: str | None
    error: str | None


@attrs.frozen
class RunView:
    run_id: str
    team: str
    task_input: str | None
    profile: str | None
    agents: tuple[AgentView, ...]
    answer: str | None
    ok: bool | None  # None: the run has no run_finished event
    seconds: float | None
    cost: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    graph_known: bool  # False for traces written before run_started recorded the edges
    problems: tuple[str, ...]


def read_runs(path: str | Path) -> tuple[list[RunView], list[str]]:
    """Every run in a trace file, oldest first, and the problems found reading the file."""
    events, problems = _read_events(Path(path))
    runs: dict[str, list[dict]] = {}
    orphans = 0
    for event in events:
        run_id = event.get("run_id")
        if not isinstance(run_id, str) or not isinstance(event.get("event"), str):
            orphans += 1
            continue
        runs.setdefault(run_id, []).append(event)
    if orphans:
        problems.append(f"{orphans} line{'s' * (orphans > 1)} without `event` and `run_id` "
                        "fields were skipped")
    if not runs:
        raise ViewError(f"{path} holds no lemonspec run: expected JSON lines with `event` and "
                        "`run_id` fields, as `lemonc run --trace FILE` writes them")
    return [_run(run_id, mine) for run_id, mine in runs.items()], problems


def _read_events(path: Path) -> tuple[list[dict], list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ViewError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise ViewError(f"{path} is empty: a run writes its trace as it goes, so the run did "
                        "not start or wrote elsewhere")
    events, bad = [], []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            bad.append(number)
            continue
        if isinstance(event, dict):
            events.append(event)
        else:
            bad.append(number)
    if bad and not events:
        raise ViewError(f"{path} is not a JSONL trace: line {bad[0]} is not a JSON object")
    problems = []
    if bad:
        shown = ", ".join(map(str, bad[:5])) + (" ..." if len(bad) > 5 else "")
        problems.append(f"{len(bad)} unreadable line{'s' * (len(bad) > 1)} skipped (line "
                        f"{shown}): a run killed mid-write leaves a torn line")
    return events, problems


def _run(run_id: str, events: list[dict]) -> RunView:
    problems: list[str] = []
    first = {}
    for event in events:
        first.setdefault(event["event"], event)
    start = first.get("run_started")
    end = first.get("run_finished")
    if start is None:
        problems.append("the run's start (run_started) is missing: the team, the input and "
                        "the agents' order are unknown")
    if end is None:
        problems.append("the run's end (run_finished) is missing: it was killed or is still "
                        "running, so the answer and totals are unknown")
    names = _names(start, events)
    edges = (start or {}).get("after")
    graph_known = isinstance(edges, dict)
    if not graph_known:
        problems.append("the trace records no dependencies (run_started has no `after`; "
                        "traces from before it did): agents are drawn in one layer")
        edges = {}
    agents = tuple(_agent(name, edges.get(name), events) for name in names)
    unfinished = [a.name for a in agents if a.status in ("running", "waiting")]
    if unfinished:
        problems.append(f"no end recorded for {len(unfinished)} agent"
                        f"{'s' * (len(unfinished) > 1)}: {', '.join(unfinished[:10])}"
                        f"{' ...' if len(unfinished) > 10 else ''}")
    end = end or {}
    return RunView(
        run_id=run_id, team=_text((start or {}).get("team")) or "(unknown team)",
        task_input=_text((start or {}).get("input")), profile=_text((start or {}).get("profile")),
        agents=agents, answer=_text(end.get("answer")),
        ok=end.get("ok") if isinstance(end.get("ok"), bool) else None,
        seconds=_number(end.get("seconds")), cost=_number(end.get("cost")),
        prompt_tokens=_int(end.get("prompt_tokens")),
        completion_tokens=_int(end.get("completion_tokens")),
        graph_known=graph_known, problems=tuple(problems))


def _names(start: dict | None, events: list[dict]) -> list[str]:
    listed = (start or {}).get("agents")
    names = [n for n in listed if isinstance(n, str)] if isinstance(listed, list) else []
    for event in events:  # agents the start did not list (or no start at all)
        agent = event.get("agent")
        if isinstance(agent, str) and agent not in names:
            names.append(agent)
    return names


def _agent(name: str, after, events: list[dict]) -> AgentView:
    mine = [e for e in events if e.get("agent") == name]
    last = {}
    for event in mine:
        last[event["event"]] = event
    started, finished = last.get("agent_started"), last.get("agent_finished")
    failed, skipped = last.get("agent_failed"), last.get("agent_skipped")
    request = last.get("llm_request") or {}
    if finished:
        status = "cached" if finished.get("cached") else "ok"
    elif failed:
        status = "failed"
    elif skipped:
        status = "skipped"
    else:
        status = "running" if started else "waiting"
    ended = finished or failed or skipped
    done = finished or {}
    messages = request.get("messages")
    return AgentView(
        name=name, status=status,
        capacity=_text((started or {}).get("capacity")),
        model=_text(done.get("model") or (failed or {}).get("model")
                    or (started or {}).get("model")),
        after=tuple(str(a) for a in after) if isinstance(after, list) else (),
        started=_number((started or ended or {}).get("t")),
        finished=_number((ended or {}).get("t")),
        seconds=_number(done.get("seconds")), prompt_tokens=_int(done.get("prompt_tokens")),
        completion_tokens=_int(done.get("completion_tokens")), cost=_number(done.get("cost")),
        attempts=_int(done.get("attempts")),
        messages=tuple(m for m in messages if isinstance(m, dict))
        if isinstance(messages, list) else (),
        output=_text(done.get("output")),
        error=_text((failed or {}).get("error") or (skipped or {}).get("reason")))


def _text(value) -> str | None:
    return None if value is None else str(value)


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def layers(agents: tuple[AgentView, ...]) -> list[list[AgentView]]:
    """Agents by topological depth (the longest chain of dependencies before each), in
    declaration order within a layer. Unknown names are no edge; agents on a cycle (a
    hostile trace) go one layer past their other parents."""
    by_name = {a.name: a for a in agents}
    parents = {a.name: [p for p in dict.fromkeys(a.after) if p in by_name] for a in agents}
    children: dict[str, list[str]] = {a.name: [] for a in agents}
    for name, mine in parents.items():
        for parent in mine:
            children[parent].append(name)
    waiting = {name: len(mine) for name, mine in parents.items()}
    depth = dict.fromkeys(by_name, 0)
    ready = [a.name for a in agents if not parents[a.name]]
    done = set()
    while ready:  # Kahn's order: iterative, so a long chain cannot overflow the stack
        name = ready.pop()
        done.add(name)
        for child in children[name]:
            depth[child] = max(depth[child], depth[name] + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    for name in by_name:
        if name not in done:
            depth[name] = 1 + max((depth[p] for p in parents[name] if p in done), default=0)
    grouped: list[list[AgentView]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for agent in agents:
        grouped[depth[agent.name]].append(agent)
    return [layer for layer in grouped if layer]
