"""What a run produced: the team's answer and, per agent, its status, output and accounting."""

from __future__ import annotations

from typing import Any

import attrs

from lemonspec.compiler.ir import OutputRule

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


@attrs.frozen
class AgentResult:
    name: str
    capacity: str
    model: str  # the model that answered, else the one configured for its capacity
    status: str  # ok | failed | skipped (a dependency failed)
    output: str | None = None
    error: str | None = None
    cached: bool = False  # answered by the node cache: no model call
    replayed: bool = False  # taken from a trace; the other fields are the recorded ones
    attempts: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None  # None: the provider's price is unknown
    seconds: float = 0.0  # latency of the model call that produced the output
    started: float = 0.0  # offsets from the start of the run, in seconds
    finished: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def called_model(self) -> bool:
        """Whether a model was called for this output (in a replay: when it was recorded)."""
        return self.attempts > 0 and not self.cached

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class RunResult:
    team: str
    run_id: str
    answer: str | None  # the output rule applied to the extracted answers; None if unavailable
    output: OutputRule
    agents: tuple[AgentResult, ...]  # in the IR's topological order
    seconds: float  # wall time (a replay: the recorded run's)
    replayed: bool = False  # every output came from a trace; the totals are the recorded ones

    @property
    def ok(self) -> bool:
        return all(a.ok for a in self.agents)

    @property
    def failures(self) -> tuple[AgentResult, ...]:
        return tuple(a for a in self.agents if a.status == FAILED)

    def agent(self, name: str) -> AgentResult:
        return next(a for a in self.agents if a.name == name)

    @property
    def model_calls(self) -> int:
        """Agents that called a model in this run (cache hits and replays do not)."""
        return sum(a.called_model for a in self.agents)

    @property
    def cache_hits(self) -> int:
        return sum(a.cached for a in self.agents)

    # What this run spent: agents answered from the cache cost nothing now.
    @property
    def prompt_tokens(self) -> int | None:
        return _total(a.prompt_tokens for a in self.agents if a.called_model)

    @property
    def completion_tokens(self) -> int | None:
        return _total(a.completion_tokens for a in self.agents if a.called_model)

    @property
    def cost(self) -> float | None:
        """None as soon as one call's price is unknown: a partial sum would mislead."""
        return _total(a.cost for a in self.agents if a.called_model)

    def to_json(self) -> dict[str, Any]:
        return {
            "team": self.team, "run_id": self.run_id, "answer": self.answer, "ok": self.ok,
            "output": self.output.to_json(), "seconds": self.seconds, "replayed": self.replayed,
            "model_calls": self.model_calls, "cache_hits": self.cache_hits,
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "cost": self.cost, "agents": [a.to_json() for a in self.agents],
        }


def _total(values) -> Any:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)
