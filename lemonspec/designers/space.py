"""The design space every designer writes into: agents drawn from a role pool, each at a
capacity level, `after` edges that form a DAG, and an output: one answering agent, or a
majority vote of several (G-Designer's FinalMajorVote). A `Design` is a plain value; `render`
turns it into the `.lemon` text that the compiler checks and the runtime runs.

The space is the same for every method (the role pool and lineup of `benchmarks/baselines.py`,
the profile's levels), so a comparison of designers is about design, not prompts: the only
instruction any agent gets beyond its base role is the answer format on the answering agent
(on every voter of a vote), exactly as the fixed baselines do it (`sc_cot` for a vote).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from lemonspec.benchmarks.baselines import role_agent_names
from lemonspec.compiler.fmt import format_text
from lemonspec.compiler.stdlib import role_pool, standard_roles
from lemonspec.compiler.strings import encode_short

SIMULATOR = "simulator"
_NUMBER = "Give the final answer as a single number on the last line: Answer: <number>"


@attrs.frozen
class Space:
    """What a designer may choose from."""

    dataset: str
    family: str  # the role pool: math, mmlu, code
    goal: str
    answer_format: str  # the output agent's duty (how its answer is scored)
    lineup: tuple[str, ...]  # the fixed baselines' agents, decider last (the node set)
    levels: tuple[str, ...]  # capacity levels, lowest first
    default_level: str
    answer: str | None = None  # the answer type a vote compares (`answer: number`), if known
    # The roles' descriptions when the designer was trained: the per-query designers embed
    # them, so a saved designer keeps designing with what it learned on even after the
    # standard library's wording changes (a change once shifted OFA-MAS's teams silently).
    descriptions: tuple[tuple[str, str], ...] = ()

    @property
    def pool(self) -> tuple[str, ...]:
        return role_pool(self.family)

    @classmethod
    def for_dataset(cls, dataset: str, levels: Sequence[str], default_level: str) -> Space:
        from lemonspec.benchmarks.baselines import LINEUPS, TASKS

        if dataset == SIMULATOR:
            family, goal, answer_format, lineup, answer = (
                "math", "Solve the simulated task.", _NUMBER, LINEUPS["math"], "number")
        else:
            task = TASKS[dataset]
            family, goal, answer_format, lineup, answer = (
                task.family, task.goal, task.answer_format, task.lineup, task.answer)
        described = standard_roles()
        descriptions = tuple((role, described[role])
                             for role in dict.fromkeys((*role_pool(family), *lineup)))
        return cls(dataset, family, goal, answer_format, lineup, tuple(levels), default_level,
                   answer, descriptions)

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self, value_serializer=lambda _, __, v: list(v)
                            if isinstance(v, tuple) else v)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Space:
        """The space `to_json` wrote. Its fields reach `.lemon` text, so a hand-edited or
        damaged one raises ValueError naming the field: everything the dataset implies must
        be what it implies, levels must be names, descriptions texts of standard roles."""
        levels = data["levels"]
        if not (isinstance(levels, list) and levels
                and all(isinstance(v, str) and v.isidentifier() for v in levels)):
            raise ValueError(f"levels must be a list of names, not {levels!r}")
        if data["default_level"] not in levels:
            raise ValueError(f"default_level {data['default_level']!r} is not one of the levels")
        dataset = data["dataset"]
        from lemonspec.benchmarks.baselines import TASKS

        if dataset != SIMULATOR and dataset not in TASKS:
            raise ValueError(f"unknown dataset {dataset!r}")
        implied = cls.for_dataset(dataset, tuple(levels), data["default_level"])
        for field in ("family", "goal", "answer_format", "lineup"):
            value = data[field]
            if (tuple(value) if isinstance(value, list) else value) != getattr(implied, field):
                raise ValueError(f"{field} is not {dataset}'s")
        answer = data.get("answer")  # folders saved before votes lack it
        if answer is not None and answer != implied.answer:
            raise ValueError(f"answer {answer!r} is not {dataset}'s ({implied.answer})")
        described = standard_roles()
        descriptions = data.get("descriptions", [])
        if not (isinstance(descriptions, list) and all(
                isinstance(pair, list) and len(pair) == 2 and pair[0] in described
                and isinstance(pair[1], str) for pair in descriptions)):
            raise ValueError("descriptions must be a list of [standard role, text] pairs")
        return attrs.evolve(implied, answer=answer,
                            descriptions=tuple((role, text) for role, text in descriptions))

    def role_description(self, role: str) -> str:
        """The role's description as the designer was trained with it."""
        return dict(self.descriptions).get(role) or standard_roles()[role]


def _edge_set(edges: Iterable[tuple[int, int]]) -> frozenset[tuple[int, int]]:
    return frozenset(edges)


def _agents(output: int | Iterable[int]) -> tuple[int, ...]:
    return (output,) if isinstance(output, int) else tuple(output)


@attrs.frozen
class Design:
    """One team: agents (role, level), edges (upstream index, downstream index), and the
    output: one answering agent (an index), or the voters of a majority vote (several; ties
    go to the earliest listed, as the runtime counts)."""

    roles: tuple[str, ...]
    levels: tuple[str, ...]
    edges: frozenset[tuple[int, int]] = attrs.field(converter=_edge_set)
    output: tuple[int, ...] = attrs.field(converter=_agents)

    def __attrs_post_init__(self):
        if len(self.roles) != len(self.levels) or not self.roles:
            raise ValueError("a design needs one level per agent and at least one agent")
        if not self.output or len(set(self.output)) != len(self.output):
            raise ValueError(f"output {self.output} must name distinct agents")
        if not all(isinstance(k, int) and 0 <= k < len(self.roles) for k in self.output):
            raise ValueError(f"output {self.output} is not an agent")
        if topological_order(len(self.roles), self.edges) is None:
            raise ValueError("the edges of a design must form a DAG")

    @property
    def size(self) -> int:
        return len(self.roles)

    @property
    def is_vote(self) -> bool:
        return len(self.output) > 1

    @property
    def answerer(self) -> int:
        """The one answering agent (for the methods that never vote)."""
        if self.is_vote:
            raise ValueError("a vote has no single answering agent")
        return self.output[0]


def topological_order(n: int, edges: Iterable[tuple[int, int]]) -> list[int] | None:
    """A topological order of 0..n-1 (stable: lowest index first), or None on a cycle."""
    edges = set(edges)
    indegree = [0] * n
    for _, j in edges:
        indegree[j] += 1
    ready = [i for i in range(n) if indegree[i] == 0]
    order = []
    while ready:
        ready.sort()
        i = ready.pop(0)
        order.append(i)
        for a, b in sorted(edges):
            if a == i:
                indegree[b] -= 1
                if indegree[b] == 0:
                    ready.append(b)
    return order if len(order) == n else None


def reaches(edges: Iterable[tuple[int, int]], start: int, goal: int) -> bool:
    """Whether a path start -> ... -> goal exists (a new edge goal -> start closes a cycle)."""
    edges = set(edges)
    seen, frontier = {start}, [start]
    while frontier:
        node = frontier.pop()
        if node == goal:
            return True
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                frontier.append(b)
    return False


def read_by_output(n: int, edges: Iterable[tuple[int, int]], output: int) -> frozenset:
    """The edges plus one edge into the output from every agent nobody reads: the output
    then hears every agent (AgentPrune's decision node reads every agent the same way)."""
    edges = set(edges)
    read = {a for a, _ in edges}
    edges |= {(i, output) for i in range(n) if i != output and i not in read
              and not reaches(edges, output, i)}
    return frozenset(edges)


def render(design: Design, space: Space, name: str = "designed") -> str:
    """The design as a canonically formatted `.lemon` file."""
    names = role_agent_names(design.roles)
    lines = [f"team {name} {{", f"goal: {encode_short(space.goal)}"]
    if design.is_vote:
        if space.answer is None:
            raise ValueError(f"a vote needs the answer type of {space.dataset}'s answers")
        lines.append(f"answer: {space.answer}")  # what the vote compares
    for i in topological_order(design.size, design.edges) or ():  # a Design is a DAG
        lines.append(f"agent {names[i]}: {design.roles[i]} {{")
        if i in design.output:
            lines.append(f"duty: {encode_short(space.answer_format)}")
        if design.levels[i] != space.default_level:
            lines.append(f"capacity: {design.levels[i]}")
        upstream = sorted(a for a, b in design.edges if b == i)
        if upstream:
            lines.append(f"after: {', '.join(names[a] for a in upstream)}")
        lines.append("}")
    voters = ", ".join(names[k] for k in design.output)
    lines += [f"output: {f'vote({voters})' if design.is_vote else voters}", "}"]
    return format_text("\n".join(lines) + "\n")
