"""The dependency graph: cycles (with their whole path), the team's answer (several sinks
and no `output` is an error), and agents whose work cannot reach the answer (warning)."""

from __future__ import annotations

import graphlib

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import error, warning
from lemonspec.compiler.unit import Unit

DEPENDS_ON = ("names", "references")


def run(unit: Unit):
    diagnostics = []
    for team in unit.module.teams:
        if team.agents:
            diagnostics += _team(team, unit.path)
    return diagnostics


def dependencies(team: ast.Team) -> dict[str, tuple[str, ...]]:
    return {a.name.text: tuple(d.text for d in a.dependencies) for a in team.agents}


def find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """One dependency cycle as a closed path [a, b, ..., a], or None."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(reversed(exc.args[1]))
    return None


def _team(team: ast.Team, path: str):
    graph = dependencies(team)
    cycle = find_cycle(graph)
    if cycle:
        cycle = _rotate(cycle[:-1], order=list(graph))
        first = team.agent(cycle[0])
        dep = next(d for d in first.dependencies if d.text == cycle[1])
        return [error("E0401", f"dependency cycle: {' -> '.join(cycle)}", path, dep.span,
                      "each agent runs after the next one in the path; remove one of these "
                      "dependencies")]
    return _output(team, graph, path)


def _rotate(loop: list[str], order: list[str]) -> list[str]:
    """The cycle starting at its agent declared first, closed: [a, b, c, a]."""
    position = {name: i for i, name in enumerate(order)}
    start = min(range(len(loop)), key=lambda i: position[loop[i]])
    loop = loop[start:] + loop[:start]
    return loop + loop[:1]


def sinks(graph: dict[str, tuple[str, ...]]) -> list[str]:
    used = {d for deps in graph.values() for d in deps}
    return [name for name in graph if name not in used]


def _output(team: ast.Team, graph, path: str):
    if team.output:
        answer = [n.text for n in team.output.agents]
    else:
        ends = sinks(graph)
        if len(ends) > 1:
            return [error("E0402", f"team '{team.name.text}' has {len(ends)} sinks "
                          f"({', '.join(ends)}) and no `output`", path, team.name.span,
                          f"add `output: {ends[-1]}` or `output: vote({', '.join(ends)})`")]
        answer = ends
    reaching = _ancestors(graph, answer)
    return [
        warning("W0401", f"agent '{a.name.text}' cannot reach the output; its work is unused",
                path, a.name.span, "make a later agent depend on it, or remove it")
        for a in team.agents if a.name.text not in reaching
    ]


def _ancestors(graph, roots: list[str]) -> set[str]:
    seen, stack = set(roots), list(roots)
    while stack:
        for dep in graph.get(stack.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen
