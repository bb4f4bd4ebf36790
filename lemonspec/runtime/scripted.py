"""ScriptedModel: a TEST DOUBLE for an LLM, served through LiteLLM as `fake/<name>`.

It answers deterministically, by a rule (a callable given the whole call: model string,
messages, parameters, agent metadata) or by a recorded table, optionally after a simulated
latency and with injected faults (timeouts, 429, 5xx, connection errors, hangs) chosen by
call number or by seeded chance. Tests, benchmarks and the trainer's simulator use it; no
real model is ever behind it.

    fake = ScriptedModel("math", rule=lambda call: "Answer: 4")
    run_team(ir, "2+2?", profile=single_model_profile(fake.model))
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from lemonspec.errors import LemonspecError

PROVIDER = "fake"
FAULT_KINDS = ("timeout", "rate_limit", "server_error", "unavailable", "connection",
               "bad_request", "hang")
_REGISTRY: dict[str, ScriptedModel] = {}


@attrs.frozen
class ScriptedCall:
    """Everything a rule may look at to decide its answer."""

    model: str  # the full model string, e.g. "fake/math"
    messages: tuple[Mapping[str, str], ...]
    params: Mapping[str, Any]  # max_tokens, temperature, ... as LiteLLM passed them on
    metadata: Mapping[str, Any]  # the runtime sends {"agent": name, "agent_hash": ...}
    index: int  # 1-based number of this call to this ScriptedModel

    @property
    def system(self) -> str:
        return next((m["content"] for m in self.messages if m["role"] == "system"), "")

    @property
    def user(self) -> str:
        return next((m["content"] for m in reversed(self.messages) if m["role"] == "user"), "")

    @property
    def agent(self) -> str | None:
        return self.metadata.get("agent")


@attrs.frozen
class ScriptedReply:
    """A rule may return this instead of a str to control the reported usage."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@attrs.frozen
class Fault:
    """Fail calls of `kind`: those numbered in `calls` (1-based), and each other call with
    `probability` (drawn from the model's seeded generator)."""

    kind: str = attrs.field(validator=attrs.validators.in_(FAULT_KINDS))
    calls: frozenset[int] = attrs.field(default=frozenset(), converter=frozenset)
    probability: float = 0.0


class InjectedFault(LemonspecError):
    """Raised by a ScriptedModel on purpose; the LiteLLM adapter maps it to LiteLLM's error."""

    def __init__(self, kind: str, model: str, index: int) -> None:
        self.kind, self.model, self.index = kind, model, index
        super().__init__(f"injected {kind} on call {index} to {model}")


class ScriptMissing(LemonspecError, LookupError):
    """The table has no answer for this call and there is no default."""


Rule = Callable[[ScriptedCall], "str | ScriptedReply"]


class ScriptedModel:
    """A fake LLM addressed as `fake/<name>` once created. Records every call it receives."""

    def __init__(self, name: str, rule: Rule | None = None, *,
                 table: Mapping[str, str] | None = None, default: str | None = None,
                 latency: float | Callable[[ScriptedCall], float] = 0.0,
                 faults: Iterable[Fault] = (), seed: int = 0, report_usage: bool = True,
                 hang_seconds: float = 3600.0) -> None:
        if rule is None and table is None and default is None:
            raise ValueError("a ScriptedModel needs a rule, a table or a default answer")
        self.name, self.rule, self.default = name, rule, default
        self.table = dict(table or {})  # user message -> answer
        self.latency, self.faults, self.report_usage = latency, tuple(faults), report_usage
        self.hang_seconds = hang_seconds
        self.calls: list[ScriptedCall] = []
        self._random = random.Random(seed)
        _REGISTRY[name] = self

    @property
    def model(self) -> str:
        return f"{PROVIDER}/{self.name}"

    def reset(self) -> None:
        self.calls.clear()

    def answer(self, call: ScriptedCall) -> ScriptedReply:
        """The reply to `call`, with word counts as usage when the rule gives none."""
        if self.rule is not None:
            reply = self.rule(call)
        elif call.user in self.table:
            reply = self.table[call.user]
        elif self.default is not None:
            reply = self.default
        else:
            raise ScriptMissing(f"{self.model} has no scripted answer for {call.user[:80]!r}")
        if isinstance(reply, str):
            reply = ScriptedReply(reply)
        if not self.report_usage:
            return ScriptedReply(reply.text)
        prompt = sum(len(m["content"].split()) for m in call.messages)
        return ScriptedReply(
            reply.text,
            reply.prompt_tokens if reply.prompt_tokens is not None else prompt,
            reply.completion_tokens if reply.completion_tokens is not None
            else len(reply.text.split()),
        )

    async def acomplete(self, messages: list, params: Mapping[str, Any],
                        metadata: Mapping[str, Any] | None = None) -> ScriptedReply:
        call = self._record(messages, params, metadata)
        delay = self._latency(call)
        fault = self._fault(call)
        if fault == "hang":
            delay = self.hang_seconds
        elif fault is not None:
            raise InjectedFault(fault, self.model, call.index)
        if delay > 0:
            await asyncio.sleep(delay)
        return self.answer(call)

    def complete(self, messages: list, params: Mapping[str, Any],
                 metadata: Mapping[str, Any] | None = None) -> ScriptedReply:
        """The same, for LiteLLM's synchronous `completion`."""
        call = self._record(messages, params, metadata)
        fault = self._fault(call)
        if fault not in (None, "hang"):
            raise InjectedFault(fault, self.model, call.index)
        delay = self.hang_seconds if fault == "hang" else self._latency(call)
        if delay > 0:  # sleep(0) would yield the CPU to other processes for nothing
            time.sleep(delay)
        return self.answer(call)

    def _record(self, messages, params, metadata) -> ScriptedCall:
        call = ScriptedCall(self.model, tuple(messages), dict(params), dict(metadata or {}),
                            len(self.calls) + 1)
        self.calls.append(call)
        return call

    def _latency(self, call: ScriptedCall) -> float:
        return self.latency(call) if callable(self.latency) else self.latency

    def _fault(self, call: ScriptedCall) -> str | None:
        for fault in self.faults:
            if call.index in fault.calls or (
                fault.probability and self._random.random() < fault.probability
            ):
                return fault.kind
        return None


def scripted_model(name: str) -> ScriptedModel:
    """The ScriptedModel addressed as `fake/<name>`."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ScriptMissing(f"no ScriptedModel named {name!r} (model 'fake/{name}')") from None
