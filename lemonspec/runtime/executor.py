"""The async executor: runs a TeamIR with no stage barriers.

Each agent starts the moment its last dependency finishes; a semaphore bounds how many model
calls are in flight. An agent whose dependency failed is skipped, and every other agent still
runs, so a RunResult always reports what did finish.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lemonspec.compiler.ir import AgentNode, AnswerType, TeamIR
from lemonspec.runtime import telemetry
from lemonspec.runtime.answers import (
    Extractor,
    answer_type_extractor,
    get_extractor,
    majority,
    team_answer_type,
)
from lemonspec.runtime.cache import CachedAnswer, NodeCache, cache_key
from lemonspec.runtime.messages import build_messages, roles
from lemonspec.runtime.preflight import check_models
from lemonspec.runtime.profiles import LevelConfig, Profile, ProfileError, load_profile
from lemonspec.runtime.results import FAILED, OK, SKIPPED, AgentResult, RunResult
from lemonspec.runtime.trace import RecordedRun, TraceWriter

Listener = Callable[[dict[str, Any]], None]


async def run_team(
    ir: TeamIR,
    task_input: str,
    *,
    profile: Profile | str | None = None,
    cache: NodeCache | None = None,
    trace: str | Path | TraceWriter | None = None,
    concurrency: int | None = None,
    limiter: asyncio.Semaphore | None = None,
    answer: AnswerType | str | None = None,
    extractor: str | Extractor | None = None,
    sample: int = 0,
    replay: RecordedRun | str | Path | None = None,
    listeners: Iterable[Listener] = (),
) -> RunResult:
    """Run the team on `task_input` and return its answer with every agent's result.

    profile: a Profile, a shipped profile name or a TOML path (default: the embedded model).
    cache: a node cache (MemoryCache, SqliteCache) to read and fill.
    trace: a JSONL path (appended to) or a TraceWriter.
    concurrency / limiter: a bound on model calls in flight, for this run (default: the
        profile's) or shared by several runs (pass the same asyncio.Semaphore).
    answer: the task's answer type (an AnswerType, or a benchmark scorer's name: "number",
        "choice", "code", "exact"), used when the team declares none; the team's type
        (runtime/answers.py's `team_answer_type`; text when neither says) tells every agent
        how to write an answer and reads the answers. A declared type the task's answers
        cannot be raises AnswerTypeConflict before any agent runs.
    extractor: reads outputs into answers for the output rule instead of the team's type
        ("number", "choice", "code", "exact", "text" or a callable; a benchmark item's own,
        which knows its option texts or entry point).
    sample: the sample index, part of the cache key so repeated samples are not collapsed.
    replay: a recorded trace to take every agent's output from, calling no model; its
        recorded input must be `task_input` (TraceError otherwise).
    listeners: callables receiving every event as it happens (the CLI's live display).

    Raises ProfileError before any agent runs if the team's levels are not in the profile,
    and its subclass ModelSetupError if a model cannot be called as configured (a missing
    package or key, an unknown provider).
    """
    answer_type = team_answer_type(ir.answer, answer, team=f"team '{ir.team}'")
    read = answer_type_extractor(answer_type) if extractor is None else get_extractor(extractor)
    profile = profile if isinstance(profile, Profile) else load_profile(profile)
    check_capacities(ir, profile)
    if isinstance(replay, (str, Path)):
        replay = RecordedRun.load(replay)
    if replay is not None:
        replay.check_input(task_input)
    else:
        check_models(profile, {agent.capacity for agent in ir.agents})
    writer = trace if isinstance(trace, TraceWriter) or trace is None else TraceWriter(trace)
    spans = telemetry.span_listener(ir, profile)  # None unless OpenTelemetry is configured
    listeners = [*listeners, *([writer] if writer else []), *([spans] if spans else [])]
    run = _TeamRun(ir, task_input, profile, cache, answer_type, read, sample, replay,
                   listeners, limiter or asyncio.Semaphore(concurrency or profile.concurrency))
    try:
        return await run.execute()
    finally:
        if writer is not None and writer is not trace:
            writer.close()
        if spans is not None:
            spans.close()  # ends the spans of a run that was cancelled or raised


def run_team_sync(ir: TeamIR, task_input: str, **options: Any) -> RunResult:
    """`run_team`, waited for. Inside a running event loop (Jupyter, an async server) the run
    gets its own loop in a worker thread, since the caller's loop cannot be re-entered."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_team(ir, task_input, **options))
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="lemonspec-run") as pool:
        return pool.submit(asyncio.run, run_team(ir, task_input, **options)).result()


def check_capacities(ir: TeamIR, profile: Profile) -> None:
    unknown = sorted({a.capacity for a in ir.agents} - set(profile.levels))
    if unknown:
        raise ProfileError(
            f"team '{ir.team}' uses capacity level{'s' * (len(unknown) > 1)} "
            f"{', '.join(unknown)}, which profile '{profile.name}' does not define "
            f"(it has: {', '.join(profile.levels)})"
        )


class _TeamRun:
    def __init__(self, ir: TeamIR, task_input: str, profile: Profile, cache: NodeCache | None,
                 answer: AnswerType, extractor: Extractor, sample: int,
                 replay: RecordedRun | None, listeners: list[Listener],
                 limiter: asyncio.Semaphore) -> None:
        self.ir, self.task_input, self.profile, self.cache = ir, task_input, profile, cache
        self.answer = answer
        self.extractor, self.sample, self.replay = extractor, sample, replay
        self.listeners, self.limiter = listeners, limiter
        self.run_id = uuid.uuid4().hex[:12]
        self.emit = self._emit if listeners else _ignore
        self.roles = roles(ir)
        self.results: dict[str, AgentResult] = {}
        self.waiting = {a.name: len(a.after) for a in ir.agents}
        self.children: dict[str, list[AgentNode]] = {a.name: [] for a in ir.agents}
        for agent in ir.agents:
            for dependency in agent.after:
                self.children[dependency].append(agent)
        self.tasks: set[asyncio.Task] = set()
        self.all_done = asyncio.Event()
        self.start = time.perf_counter()

    def _emit(self, event: str, **fields: Any) -> None:
        record = {"event": event, "run_id": self.run_id, "t": round(self._now(), 6), **fields}
        for listener in self.listeners:
            listener(record)

    def _now(self) -> float:
        return time.perf_counter() - self.start

    async def execute(self) -> RunResult:
        self.emit("run_started", team=self.ir.team, input=self.task_input,
                  profile=self.profile.name, sample=self.sample,
                  agents=[a.name for a in self.ir.agents],
                  after={a.name: list(a.after) for a in self.ir.agents},  # for `lemonc view`
                  replay=self.replay is not None)
        try:
            for agent in self.ir.agents:
                if not agent.after:
                    self._launch(agent)
            if self.ir.agents:
                await self.all_done.wait()
        finally:
            for task in list(self.tasks):  # only left over if we were cancelled
                task.cancel()
        agents = tuple(self.results[a.name] for a in self.ir.agents)
        seconds = self._now()
        if self.replay is not None and self.replay.seconds is not None:
            seconds = self.replay.seconds  # the recorded run's time, not the replay's
        result = RunResult(self.ir.team, self.run_id, self._answer(), self.ir.output, agents,
                           seconds, replayed=self.replay is not None)
        self.emit("run_finished", answer=result.answer, ok=result.ok, seconds=result.seconds,
                  model_calls=result.model_calls, cache_hits=result.cache_hits,
                  prompt_tokens=result.prompt_tokens,
                  completion_tokens=result.completion_tokens, cost=result.cost)
        return result

    def _launch(self, agent: AgentNode) -> None:
        task = asyncio.create_task(self._run_agent(agent), name=f"agent:{agent.name}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run_agent(self, agent: AgentNode) -> None:
        try:
            result = await self._execute(agent)
        except Exception as exc:  # noqa: BLE001 - a bug must fail this agent, not hang the run
            result = self._failed(agent, self._config(agent).model,
                                  f"agent '{agent.name}' failed: internal error: {exc!r}")
        self.results[agent.name] = result
        for child in self.children[agent.name]:
            self.waiting[child.name] -= 1
            if self.waiting[child.name] == 0:
                self._launch(child)
        if len(self.results) == len(self.ir.agents):
            self.all_done.set()

    def _config(self, agent: AgentNode) -> LevelConfig:
        return self.profile.config(agent.capacity)

    async def _execute(self, agent: AgentNode) -> AgentResult:
        config = self._config(agent)
        broken = [d for d in agent.after if not self.results[d].ok]
        if broken:
            reason = f"not run: dependency '{broken[0]}' did not finish"
            self.emit("agent_skipped", agent=agent.name, reason=reason)
            return AgentResult(agent.name, agent.capacity, config.model, SKIPPED, error=reason,
                               started=self._now(), finished=self._now())
        outputs = {d: self.results[d].output for d in agent.after}
        messages = build_messages(agent, self.task_input, outputs, self.roles, self.answer)
        if self.replay is not None:
            return self._replayed(agent, config)
        key = None
        if self.cache is not None:
            key = cache_key(agent.hash, config.model, config.request_params(), messages,
                            self.sample)
            hit = self.cache.get(key) or await _IN_FLIGHT.join(self.cache, key)
            if hit is not None:
                return self._finished(agent, hit, self._now(), cached=True, attempts=0)
            with _IN_FLIGHT.lead(self.cache, key) as publish:
                result = await self._call(agent, config, messages, key)
                publish(result)
                return result
        return await self._call(agent, config, messages, key)

    async def _call(self, agent: AgentNode, config: LevelConfig, messages: list[dict],
                    key: str | None) -> AgentResult:
        from lemonspec.runtime.llm import AgentCallError, call_model  # imports LiteLLM

        async with self.limiter:
            started = self._now()
            self.emit("agent_started", agent=agent.name, hash=agent.hash,
                      capacity=agent.capacity, model=config.model)
            try:
                reply = await call_model(agent.name, agent.hash, config, messages, self.emit)
            except AgentCallError as exc:
                attempts = sum(n for _, n, _ in exc.failures)
                return self._failed(agent, config.model, str(exc), started, attempts)
        answer = CachedAnswer(reply.text, reply.model, reply.prompt_tokens,
                              reply.completion_tokens, reply.cost, reply.seconds)
        if key is not None:
            self.cache.put(key, answer)
        return self._finished(agent, answer, started, cached=False, attempts=reply.attempts)

    def _replayed(self, agent: AgentNode, config: LevelConfig) -> AgentResult:
        event = self.replay.answers.get(agent.hash)
        if event is None:
            return self._failed(agent, config.model, (
                f"agent '{agent.name}' has no recorded output in the trace (its spec, or an "
                "upstream agent's, changed since it was recorded)"))
        answer = CachedAnswer(event["output"], event.get("model") or config.model,
                              event.get("prompt_tokens"), event.get("completion_tokens"),
                              event.get("cost"), event.get("seconds") or 0.0)
        # As recorded: whether it called a model (and how often) or hit the cache, so that the
        # replay's totals are the recorded run's.
        return self._finished(agent, answer, self._now(), cached=bool(event.get("cached")),
                              attempts=int(event.get("attempts") or 0), replayed=True)

    def _finished(self, agent: AgentNode, answer: CachedAnswer, started: float, *,
                  cached: bool, attempts: int, replayed: bool = False) -> AgentResult:
        result = AgentResult(
            agent.name, agent.capacity, answer.model, OK, output=answer.text, cached=cached,
            replayed=replayed, attempts=attempts, prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens, cost=answer.cost,
            seconds=answer.seconds, started=started, finished=self._now(),
        )
        self.emit("agent_finished", agent=agent.name, hash=agent.hash, output=answer.text,
                  model=answer.model, cached=cached, attempts=attempts,
                  prompt_tokens=answer.prompt_tokens,
                  completion_tokens=answer.completion_tokens, cost=answer.cost,
                  seconds=answer.seconds)
        return result

    def _failed(self, agent: AgentNode, model: str, error: str, started: float | None = None,
                attempts: int = 0) -> AgentResult:
        self.emit("agent_failed", agent=agent.name, hash=agent.hash, model=model, error=error)
        now = self._now()
        return AgentResult(agent.name, agent.capacity, model, FAILED, error=error,
                           attempts=attempts, started=now if started is None else started,
                           finished=now)

    def _answer(self) -> str | None:
        """The output rule over the agents that finished: one agent's answer, or the
        majority of the voters' (ties to the earliest listed)."""
        finished = [self.results[name] for name in self.ir.output.agents]
        answers = [self.extractor(r.output) if r.ok else None for r in finished]
        if self.ir.output.kind == "vote":
            return majority(answers)
        return answers[0] if answers else None


def _ignore(event: str, **fields: Any) -> None:
    pass


class _InFlight:
    """Single flight for the node cache: when concurrent runs (a GRPO group, an original
    and its counterfactual) need the same node, one calls the model and the others await
    its answer instead of paying for it again."""

    def __init__(self) -> None:
        self._leaders: dict[tuple[int, str], asyncio.Future] = {}

    async def join(self, cache: NodeCache, key: str) -> CachedAnswer | None:
        """The leader's answer, or None if there is no leader or it failed."""
        leader = self._leaders.get((id(cache), key))
        return None if leader is None else await asyncio.shield(leader)

    @contextlib.contextmanager
    def lead(self, cache: NodeCache, key: str):
        future = asyncio.get_running_loop().create_future()
        self._leaders[(id(cache), key)] = future

        def publish(result: AgentResult) -> None:
            if result.ok and not future.done():
                future.set_result(CachedAnswer(result.output, result.model, result.prompt_tokens,
                                               result.completion_tokens, result.cost,
                                               result.seconds))

        try:
            yield publish
        finally:
            if not future.done():
                future.set_result(None)  # failed or cancelled: followers call for themselves
            if self._leaders.get((id(cache), key)) is future:
                del self._leaders[(id(cache), key)]


_IN_FLIGHT = _InFlight()
