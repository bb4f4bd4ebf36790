"""Where a designer learns: training tasks, the workers that run its teams, and a budget.

    env = Environment(space, tasks, profile, budget=400, seed=0)
    rewards = env.score([(design, task), ...])      # 1.0 right, 0.0 wrong, per pair

Every team a designer tries is rendered to `.lemon`, compiled (the one check), and run by the
runtime on the task's input, with one node cache for the whole search: as in the trainer
(training/rollout.py's `Spend`), the budget counts worker calls actually paid, so a cache hit
is free. The budget is checked before each batch; once it is spent, `score` raises
`BudgetExhausted` and the method saves what it has learned so far (tests/designers).

Each batch is one "visit": its sample index (part of the cache key) and the simulator's
sample key are the batch's number, so the teams of one batch face the same luck on a task
(common random numbers: a comparison inside a batch is about the designs) and a later batch
draws afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from lemonspec.designers.space import Design, Space, render
from lemonspec.errors import LemonspecError
from lemonspec.runtime.cache import MemoryCache
from lemonspec.runtime.profiles import Profile

if TYPE_CHECKING:  # the trainer's package imports torch; a designer's --help should not
    from lemonspec.training.tasks import Task


class BudgetExhausted(LemonspecError):
    """The worker budget is spent; the search stops and keeps what it has (the methods
    catch it; it reaches no user)."""


@attrs.define
class Spend:
    calls: int = 0  # worker calls paid (cache misses)
    tokens: int = 0
    runs: int = 0  # teams run (a cached one included)


class Environment:
    def __init__(self, space: Space, tasks: Sequence[Task], profile: Profile, *,
                 budget: int | None = None, seed: int = 0, concurrency: int | None = None):
        if not tasks:
            raise ValueError("a designer needs at least one training task")
        self.space = space
        self.tasks = tuple(tasks)
        self.profile = profile
        self.budget = budget
        self.seed = seed
        self.concurrency = concurrency or profile.concurrency
        self.spent = Spend()
        self.batches = 0
        self._cache = MemoryCache()

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.spent.calls >= self.budget

    def score(self, jobs: Sequence[tuple[Design, Task]]) -> list[float]:
        """Run each design on its task: 1.0 for a right answer, else 0.0."""
        if self.exhausted:
            raise BudgetExhausted(f"{self.spent.calls} of {self.budget} worker calls spent")
        visit = self.batches
        self.batches += 1
        return asyncio.run(self._score_all(jobs, visit))

    async def _score_all(self, jobs, visit: int) -> list[float]:
        limiter = asyncio.Semaphore(self.concurrency)
        return list(await asyncio.gather(*(self._score(design, task, visit, limiter)
                                           for design, task in jobs)))

    async def _score(self, design: Design, task: Task, visit: int, limiter) -> float:
        from lemonspec.compiler import compile_text
        from lemonspec.runtime import run_team
        from lemonspec.training import simulator

        ir = compile_text(render(design, self.space), "<designed team>",
                          levels=self.profile.levels, default_level=self.profile.default_level)
        # This task's own context (asyncio copies it per task), as the trainer's rollout does.
        simulator.SAMPLE_KEY.set(f"design-{self.seed}-{visit}")
        running = getattr(simulator, "RUNNING", None)  # an environment that reads the IR
        if running is not None:
            running.set((ir, task.input))
        run = await run_team(ir, task.input, profile=self.profile, cache=self._cache,
                             limiter=limiter, answer=task.answer, extractor=task.extractor_for(ir.answer),
                             sample=visit)
        self.spent.calls += run.model_calls
        self.spent.tokens += (run.prompt_tokens or 0) + (run.completion_tokens or 0)
        self.spent.runs += 1
        return 1.0 if task.is_correct(run.answer) else 0.0

    def batches_of(self, size: int, rng) -> list[Task]:
        """`size` training tasks, drawn without replacement while they last."""
        order = list(self.tasks)
        rng.shuffle(order)
        return [order[i % len(order)] for i in range(size)]
