"""Running one team over a benchmark, into a resumable results file.

    key = run_key(ir, "gsm8k", "test", seed=0, profile=profile)
    with ResultsFile.open("runs/gsm8k-cot.jsonl", key) as store:
        await run_bench(ir, [i for i in items if i.id not in store.done], profile, store)

The results file is JSONL: a header line naming the run (its `RunKey`), then one line per
finished item. Each line is written with one `os.write` of the complete line and then
fsync'd, so a crash or `kill -9` leaves at most a torn last line, which reopening cuts off.
Items already in the file are never run again, so a rerun loses and duplicates nothing. A
different run (another spec, dataset, split, seed, model or sampling setting) is refused.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import hashlib
import json
import math
import os
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from lemonspec.benchmarks.datasets import Item
from lemonspec.benchmarks.errors import Error
from lemonspec.benchmarks.scoring import item_answer_type, item_extractor, run_code
from lemonspec.compiler.ir import AnswerType, TeamIR
from lemonspec.runtime.answers import is_correct
from lemonspec.runtime.profiles import Profile

if TYPE_CHECKING:
    from typing import Self

RESULTS_VERSION = 1
Z_95 = 1.959963984540054  # the standard normal quantile for a two-sided 95% interval


# ---- what identifies a run ----


@attrs.frozen
class RunKey:
    """Everything that changes a run's answers. Items of two runs with equal keys are
    interchangeable, so one file holds the items of exactly one key."""

    spec_hash: str  # of the compiled team, not of its file: comments and moves don't count
    team: str
    dataset: str
    split: str
    seed: int
    profile: str
    models: Mapping[str, str]  # capacity level -> model (fallbacks after a comma)
    settings_hash: str  # of every level's request parameters (max_tokens, temperature, ...)
    # An orchestrated run (orchestrated.py): who wrote the teams and how; None for one spec.
    orchestrator: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunKey:
        return cls(**{field.name: data.get(field.name) for field in attrs.fields(cls)})

    def differences(self, other: RunKey) -> list[str]:
        mine, theirs = self.to_json(), other.to_json()
        return [f"{name}: {theirs[name]!r} in the file, {mine[name]!r} now"
                for name in mine if mine[name] != theirs[name]]


def run_key(ir: TeamIR, dataset: str, split: str, seed: int, profile: Profile) -> RunKey:
    used = sorted({agent.capacity for agent in ir.agents})
    models = {level: ",".join(profile.config(level).models) for level in used}
    settings = {level: profile.config(level).request_params() for level in used}
    return RunKey(spec_hash(ir), ir.team, dataset, split, seed, profile.name, models,
                  digest(settings))


def spec_hash(ir: TeamIR) -> str:
    """The compiled team without its file path: agents (each hash covers its instructions,
    capacity and dependencies) and the output rule."""
    content = {k: v for k, v in ir.to_json().items() if k != "source"}
    return digest(content)


def digest(value: object) -> str:
    """A short content hash of a JSON-able value."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---- the results file ----


@attrs.frozen
class Results:
    """What a results file holds: its header and its item records, by item id."""

    path: Path
    header: Mapping[str, Any] | None
    items: Mapping[str, Mapping[str, Any]]
    valid_bytes: int  # the length of the file without a torn last line

    @property
    def key(self) -> RunKey | None:
        return RunKey.from_json(self.header["key"]) if self.header else None

    @property
    def label(self) -> str:
        return self.header["key"]["team"] if self.header else self.path.stem


def read_results(path: str | os.PathLike) -> Results:
    """Parse a results file. A torn last line (no newline: the writer was killed mid-line)
    is ignored; any other unreadable line is an error."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Results(path, None, {}, 0)
    except OSError as exc:
        raise Error(f"cannot read {path}: {exc.strerror}") from None
    valid = data.rfind(b"\n") + 1
    if valid < len(data) and not data[valid:].startswith(_LINE_START):
        raise Error(f"{path} does not end like a lemonc bench results file",
                    "give this run a new --out; the file is left as it is")
    header, items = None, {}
    for number, line in enumerate(data[:valid].splitlines(), start=1):
        record = _parse_line(path, number, line)
        if record.get("type") == "run" and header is None and number == 1:
            header = record
        elif record.get("type") == "item" and header is not None:
            items.setdefault(record["id"], record)  # the first line of an id is the result
        else:
            raise Error(f"{path}:{number}: not a lemonc bench results line",
                        "results files are written by lemonc bench; give it a new --out")
    return Results(path, header, items, valid)


_LINE_START = b'{"type": "'  # how every line we write begins (json.dumps keeps key order)


def _parse_line(path: Path, number: int, line: bytes) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        record = None
    if not isinstance(record, dict):
        raise Error(f"{path}:{number}: not a JSON object; the file is damaged",
                    "delete that line (its item will be rerun) or give a new --out")
    return record


class ResultsFile:
    """The append-only results of one run, locked against a second writer while open."""

    def __init__(self, path: Path, fd: int, done: dict[str, Mapping[str, Any]]) -> None:
        self.path, self._fd, self.done = path, fd, done

    @classmethod
    def open(cls, path: str | os.PathLike, key: RunKey) -> ResultsFile:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            _lock(fd, path)
            existing = read_results(path)
            _check_same_run(existing, key)
            os.truncate(fd, existing.valid_bytes)  # cut a torn last line before appending
            store = cls(path, fd, dict(existing.items))
            if existing.header is None:
                store._append({"type": "run", "version": RESULTS_VERSION, "key": key.to_json(),
                               "created": _now()})
        except BaseException:
            os.close(fd)
            raise
        return store

    def add(self, record: Mapping[str, Any]) -> None:
        """Record one finished item; an id already recorded is never written again."""
        if record["id"] in self.done:
            return
        self._append({"type": "item", **record})
        self.done[record["id"]] = record

    def _append(self, record: Mapping[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        written = os.write(self._fd, line)  # O_APPEND: the whole line lands at the end
        while written < len(line):  # only on a full disk or a signal; we hold the lock
            written += os.write(self._fd, line[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # also releases the lock
            self._fd = -1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cut_torn_tail(path: str | os.PathLike) -> None:
    """Drop a JSONL file's unfinished last line (a killed writer's), so that the next line
    appended starts on a line of its own. Used on the trace, which bench appends to."""
    try:
        with open(path, "rb+") as file:
            data = file.read()
            file.truncate(data.rfind(b"\n") + 1)
    except FileNotFoundError:
        pass


def _lock(fd: int, path: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            raise Error(f"{path} is being written by another lemonc bench",
                        "wait for it to finish, or give this run another --out") from None
        raise


def _check_same_run(existing: Results, key: RunKey) -> None:
    if existing.header is None or existing.key == key:
        return
    reasons = "; ".join(key.differences(existing.key))
    raise Error(f"{existing.path} holds the results of a different run ({reasons})",
                "give this run its own --out; a results file holds one run, so that resuming "
                "never mixes two")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---- running items ----


def warm_up(profile: Profile) -> None:
    """Import LiteLLM and load the embedded model before the first item, so that neither
    counts in the first items' latency."""
    from lemonspec.environment import configure

    configure()
    import lemonspec.runtime.providers  # noqa: F401

    if any(m.startswith("embedded/") for c in profile.configs.values() for m in c.models):
        from lemonspec.runtime import load_embedded_model

        load_embedded_model()


def answer_extractor(item: Item, declared: AnswerType | None = None
                     ) -> Callable[[str], str | None]:
    """How an output agent's text becomes the item's answer (the vote compares these), by
    the team's declared answer type if any (see scoring.item_extractor)."""
    return item_extractor(item, declared)


async def judge(item: Item, answer: str | None) -> tuple[bool, str | None]:
    """(correct, why not) for an extracted answer; code runs in the sandbox (pass@1)."""
    if answer is None:
        return False, "no answer"
    if item.kind == "code":
        result = await asyncio.to_thread(run_code, item, answer)
        return result.passed, None if result.passed else result.status
    return is_correct(item.kind, answer, item.answer), None


async def run_item(item: Item, ir: TeamIR, profile: Profile, limiter: asyncio.Semaphore,
                   trace: Any = None) -> dict[str, Any]:
    """Run the team on one item and judge it: the item's results line."""
    from lemonspec.runtime import run_team  # imports LiteLLM's adapter only on first call

    result = await run_team(ir, item.prompt, profile=profile, limiter=limiter, trace=trace,
                            answer=item_answer_type(item),
                            extractor=answer_extractor(item, ir.answer))
    correct, why = await judge(item, result.answer)
    failure = next((a.error for a in result.failures), None)
    return {
        "id": item.id, "answer": result.answer, "gold": gold_text(item), "correct": correct,
        "why": why, "ok": result.ok, "error": failure,
        "prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens,
        "tokens": _sum(result.prompt_tokens, result.completion_tokens), "cost": result.cost,
        "seconds": round(result.seconds, 3), "model_calls": result.model_calls,
        "run_id": result.run_id, "valid": True, "agents": len(ir.agents),
        "edges": sum(len(a.after) for a in ir.agents), "worker_tokens":
        _sum(result.prompt_tokens, result.completion_tokens),
        "outputs": {name: result.agent(name).output for name in ir.output.agents},
    }


def gold_text(item: Item) -> str:
    return item.answer if isinstance(item.answer, str) else f"tests of {item.answer.entry_point}"


def _sum(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


async def run_bench(ir: TeamIR, items: Iterable[Item], profile: Profile, store: ResultsFile,
                    *, concurrency: int | None = None, trace: Any = None,
                    on_record: Callable[[Mapping[str, Any]], None] = lambda record: None) -> None:
    """Run every item not yet in `store`, `concurrency` at a time (and as many model calls
    in flight), recording each the moment it finishes."""
    bound = concurrency or profile.concurrency
    items_in_flight, limiter = asyncio.Semaphore(bound), asyncio.Semaphore(bound)

    async def one(item: Item) -> None:
        async with items_in_flight:
            record = await run_item(item, ir, profile, limiter, trace)
        store.add(record)
        on_record(record)

    pending = [item for item in items if item.id not in store.done]
    tasks = [asyncio.create_task(one(item), name=item.id) for item in pending]
    try:
        await asyncio.gather(*tasks)
    finally:  # on an error or interrupt, stop the rest; what finished is already on disk
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# ---- the summary ----


@attrs.frozen
class Summary:
    items: int
    correct: int
    failed_runs: int  # runs in which an agent failed; scored on the answer still given
    accuracy: float
    ci_low: float  # Wilson 95% interval of the accuracy
    ci_high: float
    tokens_per_item: float | None  # None when some provider reported no usage
    cost_per_item: float | None  # None when some call's price is unknown
    seconds_per_item: float  # mean latency of one item's team run
    seconds_p95: float
    # Orchestrated runs split tokens between the orchestrator (writing teams) and the
    # workers (running them); a fixed-spec run has no orchestrator (None).
    orchestrator_tokens_per_item: float | None = None
    worker_tokens_per_item: float | None = None
    valid_share: float | None = None  # of the teams written, the share the compiler accepted
    agents_mean: float | None = None  # over valid teams; None when no record says
    edges_mean: float | None = None


def summarize(records: Iterable[Mapping[str, Any]]) -> Summary:
    records = list(records)
    if not records:
        raise Error("no finished items to summarize")
    n, correct = len(records), sum(bool(r["correct"]) for r in records)
    low, high = wilson_interval(correct, n)
    seconds = [float(r["seconds"]) for r in records]
    orchestrated = any("orchestrator_tokens" in r for r in records)
    written = sum(r.get("samples", 1) for r in records)
    valid = sum(r.get("valid_teams", int(r.get("valid", True))) for r in records)
    return Summary(n, correct, sum(not r["ok"] for r in records), correct / n, low, high,
                   _mean_or_none(r.get("tokens") for r in records),
                   _mean_or_none(r.get("cost") for r in records),
                   statistics.fmean(seconds), _percentile(seconds, 0.95),
                   _mean_or_none(r.get("orchestrator_tokens") for r in records)
                   if orchestrated else None,
                   _mean_or_none(r.get("worker_tokens", r.get("tokens")) for r in records),
                   valid / written if written else None,
                   _mean_present(r.get("agents") for r in records),
                   _mean_present(r.get("edges") for r in records))


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval: unlike p ± z·se it stays inside [0, 1] and is not empty
    at 0% or 100%, which small benchmark samples often hit."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends, where
    high = 1.0 if successes == n else min(1.0, centre + half)  # rounding would miss them
    return low, high


def _mean_or_none(values: Iterable[Any]) -> float | None:
    values = list(values)
    return None if any(v is None for v in values) else statistics.fmean(values)


def _mean_present(values: Iterable[Any]) -> float | None:
    """The mean of the values given; None when there are none (old files, invalid teams)."""
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]
