"""Random layered team DAGs for the runtime benchmarks (built as IR directly: the benchmark
measures the runtime, not the compiler)."""

from __future__ import annotations

import random

from lemonspec.compiler.ir import AgentNode, OutputRule, TeamIR, node_hash


def layered_team(agents: int, layers: int, seed: int = 0, max_deps: int = 3) -> TeamIR:
    """`agents` agents in `layers` layers; every agent past the first layer depends on one
    agent of the layer before (so the depth is exact) and on up to `max_deps - 1` more from
    any earlier layer. One final agent joins every sink so the team has one output."""
    rng = random.Random(seed)
    sizes = [1] * layers
    for _ in range(agents - 1 - layers):
        sizes[rng.randrange(layers)] += 1
    names_by_layer, nodes = [], {}
    for layer, size in enumerate(sizes):
        names = [f"a{layer}_{i}" for i in range(size)]
        for name in names:
            after = []
            if layer:
                after.append(rng.choice(names_by_layer[-1]))
                earlier = [n for level in names_by_layer for n in level if n not in after]
                after += rng.sample(earlier, min(len(earlier), rng.randrange(max_deps)))
            nodes[name] = _node(name, after, layer, nodes)
        names_by_layer.append(names)
    used = {d for node in nodes.values() for d in node.after}
    sinks = [n for n in nodes if n not in used]
    nodes["join"] = _node("join", sinks, layers, nodes)
    return TeamIR(f"dag{agents}", None, "", ("small", "medium", "large"),
                  tuple(nodes.values()), OutputRule("agent", ("join",)))


def _node(name: str, after: list[str], stage: int, nodes: dict[str, AgentNode]) -> AgentNode:
    instructions = f"You are agent {name}."
    hashes = [(d, "Worker", nodes[d].hash) for d in after]
    return AgentNode(name, "Worker", instructions, None, instructions, "medium", tuple(after),
                     stage, node_hash(name, "Worker", instructions, "medium", hashes))


def depth(ir: TeamIR) -> int:
    """Agents on the longest path: the critical path, in calls."""
    return max(a.stage for a in ir.agents) + 1
