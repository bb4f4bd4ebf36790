"""The run trace: one JSON object per line, written and flushed as each event happens, so a
crashed or killed run still leaves everything that happened before it.

Events: run_started, agent_started, llm_request, llm_response, agent_finished, agent_failed,
agent_skipped, run_finished. Every event has `event`, `run_id` and `t` (seconds since the
run started). `agent_finished` carries the agent's hash and output, which is all `replay`
needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import attrs

from lemonspec.errors import LemonspecError


class TraceWriter:
    """Appends events to a JSONL file (or any text stream)."""

    def __init__(self, target: str | Path | IO[str]) -> None:
        if isinstance(target, (str, Path)):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            torn = _ends_torn(Path(target))
            self._stream: IO[str] = open(target, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
            if torn:  # a killed writer left half a line: keep it on a line of its own
                self._stream.write("\n")
            self._owned = True
        else:
            self._stream, self._owned = target, False

    def __call__(self, event: dict[str, Any]) -> None:
        self._stream.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._owned:
            self._stream.close()

    def __enter__(self) -> TraceWriter:  # noqa: PYI034 - not subclassed
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ends_torn(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with open(path, "rb") as f:
        f.seek(-1, 2)
        return f.read(1) != b"\n"


def read_trace(path: str | Path) -> list[dict[str, Any]]:
    """The trace's events. Lines a killed writer left half-written are skipped: they hold no
    complete event, and everything before and after them is intact."""
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    return events


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


class TraceError(LemonspecError, ValueError):
    """A trace that cannot be replayed for this team."""


@attrs.frozen
class RecordedRun:
    """The answers a traced run recorded, by agent hash, ready to be replayed."""

    task_input: str | None
    answers: dict[str, dict[str, Any]]  # agent hash -> its agent_finished event
    seconds: float | None = None  # the recorded run's wall time (None: it did not finish)

    def check_input(self, task_input: str) -> None:
        """Refuse to replay outputs recorded for another input: they would answer it wrongly."""
        if self.task_input is not None and task_input != self.task_input:
            raise TraceError(
                f"the trace was recorded on another input ({_short(self.task_input)}, not "
                f"{_short(task_input)}): replay it without --input to use the recorded one, "
                "or run without --replay")

    @classmethod
    def from_events(cls, events: list[dict[str, Any]], run_id: str | None = None) -> RecordedRun:
        """The last run in the trace (or the run `run_id`)."""
        starts = [e for e in events if e["event"] == "run_started"]
        if not starts:
            raise TraceError("the trace holds no run (no run_started event)")
        run_id = run_id or starts[-1]["run_id"]
        mine = [e for e in events if e.get("run_id") == run_id]
        task_input = next((e.get("input") for e in mine if e["event"] == "run_started"), None)
        answers = {e["hash"]: e for e in mine if e["event"] == "agent_finished"}
        seconds = next((e.get("seconds") for e in mine if e["event"] == "run_finished"), None)
        return cls(task_input, answers, seconds)

    @classmethod
    def load(cls, path: str | Path) -> RecordedRun:
        try:
            events = read_trace(path)
            if not events:
                raise TraceError(f"trace {path} is not a lemonspec trace: it holds no event")
            return cls.from_events(events)
        except OSError as exc:
            raise TraceError(f"cannot read trace {path}: {exc.strerror}") from None
        except (json.JSONDecodeError, KeyError) as exc:
            raise TraceError(f"trace {path} is not a lemonspec trace: {exc}") from None
