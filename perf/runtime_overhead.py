"""Benchmark 2: the executor's per-agent overhead against LangGraph's, on the same graphs and
the same zero-latency fake model.

Both frameworks run the same random layered DAGs (20 and 100 agents). Each agent builds the
same messages and awaits the same ScriptedModel; the model answers at once, so the wall time
per agent is the framework's own cost. Two settings, measured side by side:

  in-process  the model call is a direct await of the fake (a LiteLLM-shaped shim), so only
              the frameworks differ: our scheduler, retry wrapper and accounting against
              LangGraph's Pregel loop and state channels;
  litellm     every call goes through `litellm.acompletion` to `fake/<name>`, in both.

Target: ours / LangGraph's <= 0.5 (in-process). Run: python perf/runtime_overhead.py
"""

from __future__ import annotations

import asyncio
import operator
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, TypedDict

sys.path.insert(0, str(Path(__file__).parent))

from _runtime_dags import layered_team

from lemonspec.runtime import ScriptedModel, build_messages, run_team, uniform_profile
from lemonspec.runtime.messages import roles

REPEATS = 15
SIZES = ((20, 5), (100, 10))


class _Shim:
    """LiteLLM's `acompletion` surface over a ScriptedModel, with no LiteLLM inside."""

    def __init__(self, fake: ScriptedModel) -> None:
        self.fake = fake

    async def acompletion(self, model, messages, **params):
        reply = await self.fake.acomplete(messages, params)
        return SimpleNamespace(
            choices=[SimpleNamespace(message=SimpleNamespace(content=reply.text))],
            usage=SimpleNamespace(prompt_tokens=reply.prompt_tokens,
                                  completion_tokens=reply.completion_tokens),
            _hidden_params={"response_cost": 0.0})


def langgraph_app(ir, complete):
    """The team as a LangGraph StateGraph: one node per agent, an edge from each dependency
    (a multi-source edge waits for all), outputs merged into one dict channel."""
    from langgraph.graph import END, START, StateGraph

    class State(TypedDict):
        outputs: Annotated[dict, operator.or_]

    graph = StateGraph(State)
    for agent in ir.agents:
        graph.add_node(agent.name, _node(agent, roles(ir), complete))
        graph.add_edge(list(agent.after) if agent.after else START, agent.name)
    for agent in ir.agents:
        if not ir.dependents(agent.name):
            graph.add_edge(agent.name, END)
    return graph.compile()


def _node(agent, labels, complete):
    async def node(state):
        messages = build_messages(agent, "Q", state["outputs"], labels)
        response = await complete(model="fake", messages=messages, max_tokens=512,
                                  temperature=0.0, num_retries=0)
        return {"outputs": {agent.name: response.choices[0].message.content}}
    return node


async def _time_ours(ir, profile) -> float:
    start = time.perf_counter()
    result = await run_team(ir, "Q", profile=profile, concurrency=len(ir.agents))
    assert result.ok
    return time.perf_counter() - start


async def _time_langgraph(app, ir) -> float:
    start = time.perf_counter()
    state = await app.ainvoke({"outputs": {}}, {"recursion_limit": 1000})
    assert len(state["outputs"]) == len(ir.agents)
    return time.perf_counter() - start


def measure(size: int, layers: int, through_litellm: bool) -> tuple[float, float]:
    """Median seconds per agent (ours, LangGraph's), the runs interleaved so that load from
    other processes falls on both alike."""
    from lemonspec.runtime import providers

    ir = layered_team(size, layers, seed=size)
    fake = ScriptedModel(f"overhead{size}{through_litellm}", default="ok")
    profile = uniform_profile(fake.model)
    backend = providers.litellm() if through_litellm else _Shim(fake)
    app = langgraph_app(ir, lambda **kw: backend.acompletion(**{**kw, "model": fake.model}))
    # Route our executor (which asks providers.litellm() at each call) to the same backend.
    original, providers.litellm = providers.litellm, lambda: backend
    try:
        ours, theirs = [], []
        for _ in range(REPEATS + 1):  # the first round warms both up
            ours.append(asyncio.run(_time_ours(ir, profile)))
            theirs.append(asyncio.run(_time_langgraph(app, ir)))
    finally:
        providers.litellm = original
    agents = len(ir.agents)
    return statistics.median(ours[1:]) / agents, statistics.median(theirs[1:]) / agents


def main() -> None:
    print(f"per-agent overhead, zero-latency fake model, median of {REPEATS} runs; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'agents':>6}  {'model call':<11} {'lemonspec':>10} {'LangGraph':>10} {'ratio':>6}")
    for size, layers in SIZES:
        for through_litellm in (False, True):
            ours, theirs = measure(size, layers, through_litellm)
            setting = "litellm" if through_litellm else "in-process"
            print(f"{size:>6}  {setting:<11} {ours * 1e3:>8.3f}ms {theirs * 1e3:>8.3f}ms "
                  f"{ours / theirs:>6.2f}")


if __name__ == "__main__":
    main()
