"""Benchmark 1: does the executor run a team in its critical-path time?

Random layered DAGs of 20 and 100 agents on the ScriptedModel with a fixed latency per call.
With no stage barriers and enough concurrency, the wall time should be the critical path:
(agents on the longest path) x latency. Target: wall / critical path <= 1.05.

A second row per size gives each agent a random latency (0.5x-1.5x), where stage barriers
would cost the sum over stages of the slowest agent in each; we print that bound beside the
weighted critical path to show the executor does not pay it.

Run: python perf/runtime_scheduling.py [latency_seconds=0.5]
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _runtime_dags import depth, layered_team

from lemonspec.runtime import ScriptedModel, run_team_sync, uniform_profile

SIZES = ((20, 5), (100, 10))


def weighted_critical_path(ir, latency: dict[str, float]) -> float:
    finish: dict[str, float] = {}
    for agent in ir.agents:  # topological order
        finish[agent.name] = latency[agent.name] + max((finish[d] for d in agent.after),
                                                       default=0.0)
    return max(finish.values())


def stage_barrier_time(ir, latency: dict[str, float]) -> float:
    return sum(max(latency[name] for name in stage) for stage in ir.stages)


def run(ir, latency: dict[str, float], name: str) -> float:
    fake = ScriptedModel(name, default="ok", latency=lambda call: latency[call.agent])
    result = run_team_sync(ir, "Q", profile=uniform_profile(fake.model),
                           concurrency=len(ir.agents))
    assert result.ok and len(fake.calls) == len(ir.agents)
    return result.seconds


def main(base_latency: float) -> None:
    warm = layered_team(5, 2)
    run(warm, {a.name: 0.0 for a in warm.agents}, "warmup")  # LiteLLM's first-call setup
    print(f"latency {base_latency}s per call; wall time against the critical path; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'agents':>6} {'depth':>5} {'latency':<9} {'critical':>9} {'wall':>7} "
          f"{'ratio':>6} {'stage-barrier bound':>20}")
    for size, layers in SIZES:
        ir = layered_team(size, layers, seed=size)
        rng = random.Random(size)
        for kind, latency in (
            ("fixed", {a.name: base_latency for a in ir.agents}),
            ("random", {a.name: base_latency * rng.uniform(0.5, 1.5) for a in ir.agents}),
        ):
            critical = weighted_critical_path(ir, latency)
            wall = run(ir, latency, f"sched{size}{kind}")
            print(f"{len(ir.agents):>6} {depth(ir):>5} {kind:<9} {critical:>8.2f}s "
                  f"{wall:>6.2f}s {wall / critical:>6.3f} "
                  f"{stage_barrier_time(ir, latency):>19.2f}s")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.5)
