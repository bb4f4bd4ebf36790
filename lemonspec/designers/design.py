"""Train or search a designer on a dataset's training split and save it: what `lemonc
design` runs.

    folder = train_designer("agentprune", "simulator", out="runs/agentprune", budget=400)

The budget is in worker calls actually paid (cache hits free, as the trainer counts them).
A search that runs out of budget saves what it has learned and says so in the manifest
(`training.exhausted`) and in the returned Report.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from lemonspec.designers import simulated
from lemonspec.designers.base import Trained, load_method
from lemonspec.designers.environment import Environment
from lemonspec.designers.space import SIMULATOR, Space
from lemonspec.designers.store import save


@attrs.frozen
class Report:
    folder: Path
    method: str
    trained: Trained
    tasks: int
    calls: int
    tokens: int
    runs: int
    seconds: float


def training_setup(dataset: str, split: str, limit: int | None, seed: int, profile=None,
                   data: str | None = None):
    """(tasks, profile) for a dataset's split: the simulator's, or a benchmark's (the
    trainer's task loader, so the designer is judged as the trainer's reward judges)."""
    if dataset == SIMULATOR:
        if profile is not None:
            from lemonspec.benchmarks.errors import Error

            raise Error("the simulator brings its own workers", "drop --profile/--model")
        return simulated.training_tasks(split, limit), simulated.profile()
    import os

    from lemonspec.runtime import load_profile
    from lemonspec.training.config import DataConfig
    from lemonspec.training.tasks import benchmark_tasks

    if data is not None:
        os.environ.setdefault("LEMONSPEC_DATA", data)
    tasks = benchmark_tasks(DataConfig(dataset=dataset, split=split, limit=limit, seed=seed))
    return tasks, profile if profile is not None else load_profile(None)


def train_designer(method_name: str, dataset: str, *, out: str | Path, split: str = "train",
                   limit: int | None = None, budget: int | None = None, seed: int = 0,
                   settings: Mapping[str, Any] | None = None, profile=None,
                   data: str | None = None) -> Report:
    method = load_method(method_name, settings)
    tasks, workers = training_setup(dataset, split, limit, seed, profile, data)
    space = Space.for_dataset(dataset, workers.levels, workers.default_level)
    env = Environment(space, tasks, workers, budget=budget, seed=seed)
    started = time.perf_counter()
    trained = method.train(env, seed)
    seconds = time.perf_counter() - started
    training = {"dataset": dataset, "split": split, "limit": limit, "tasks": len(tasks),
                "seed": seed, "budget": budget, "profile": workers.name,
                "worker_calls": env.spent.calls, "worker_tokens": env.spent.tokens,
                "team_runs": env.spent.runs, "seconds": round(seconds, 2)}
    folder = save(out, method, trained, space, training)
    return Report(folder, method.name, trained, len(tasks), env.spent.calls, env.spent.tokens,
                  env.spent.runs, seconds)
