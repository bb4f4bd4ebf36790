"""Lowering: a checked team -> its executable IR (topological order, stages, hashes)."""

from __future__ import annotations

import graphlib

from lemonspec.compiler import ast
from lemonspec.compiler.checks.graph import dependencies, sinks
from lemonspec.compiler.ir import AgentNode, AnswerType, OutputRule, TeamIR, node_hash
from lemonspec.compiler.unit import Unit


def instructions(description: str, duty: str | None) -> str:
    """What an agent is told: its base role's description, then its duty."""
    return description if not duty else f"{description}\n\n{duty}"


def _stages(graph: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Each agent's stage, in one pass over a topological order: no recursion, so a chain
    of any allowed length lowers (the graph is acyclic here: the graph pass ran)."""
    stage: dict[str, int] = {}
    for name in graphlib.TopologicalSorter(graph).static_order():
        stage[name] = 1 + max((stage[d] for d in graph[name]), default=-1)
    return stage


def lower_team(unit: Unit, team: ast.Team) -> TeamIR:
    graph = dependencies(team)
    stage = _stages(graph)
    declared = {a.name.text: i for i, a in enumerate(team.agents)}
    order = sorted(graph, key=lambda n: (stage[n], declared[n]))
    answer = answer_type(team.answer)
    nodes: dict[str, AgentNode] = {}
    for name in order:
        nodes[name] = _node(unit, team.agent(name), stage[name], nodes, answer)
    return TeamIR(
        team=team.name.text,
        goal=team.goal.value.value if team.goal else None,
        source=unit.path,
        capacity_levels=tuple(unit.levels),
        agents=tuple(nodes[n] for n in order),
        output=_output_rule(team, graph),
        answer=answer,
    )


def answer_type(field: ast.AnswerField | None) -> AnswerType | None:
    """The declared answer type (checked: a known type with valid options), or None."""
    if field is None:
        return None
    options = tuple(o.text if isinstance(o, ast.Name) else o.value for o in field.options or ())
    return AnswerType(field.type.text, options)


def _node(unit: Unit, agent: ast.Agent, stage: int, done: dict[str, AgentNode],
          answer: AnswerType | None) -> AgentNode:
    role = unit.roles[agent.base_role.text]
    duty = agent.duty.value.value if agent.duty else None
    text = instructions(role.description, duty)
    capacity = agent.capacity.level.text if agent.capacity else unit.default_level
    after = tuple(d.text for d in agent.dependencies)
    upstream = [(d, done[d].role, done[d].hash) for d in after]
    return AgentNode(
        name=agent.name.text, role=role.name, role_description=role.description, duty=duty,
        instructions=text, capacity=capacity, after=after, stage=stage,
        hash=node_hash(agent.name.text, role.name, text, capacity, upstream, answer),
    )


def _output_rule(team: ast.Team, graph) -> OutputRule:
    if team.output:
        names = tuple(n.text for n in team.output.agents)
        return OutputRule("vote" if team.output.vote else "agent", names)
    return OutputRule("agent", tuple(sinks(graph)[:1]))
