"""Random teams as the generation grammar writes them: hypothesis's team models
(tests/compiler/strategies.py) printed in fmt's layout with the grammar's choices, and, for
the bound grammar, with agents named by position and lists in declaration order."""

from __future__ import annotations

import attrs
from hypothesis import strategies as st

from lemonspec.grammar.variants import agent_names
from tests.compiler.strategies import team_models

words = st.from_regex(r"[!#-\[\]-~]{1,6}", fullmatch=True)
ascii_lines = st.lists(words, min_size=1, max_size=5).map(" ".join)


def render(team) -> str:
    """fmt's layout with the generation variant's choices: a goal first, fields in order,
    an output always (the only sink when the team gave none)."""
    quote = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    sep = ", "
    lines = [f"team {team.name} {{"]
    if team.goal is not None:
        lines += [f"    goal: {quote(team.goal)}", ""]
    for agent in team.agents:
        fields = ([f"duty: {quote(agent.duty)}"] if agent.duty is not None else []) + (
            [f"capacity: {agent.capacity}"] if agent.capacity else []) + (
            [f"after: {sep.join(agent.after)}"] if agent.after else [])
        if fields:
            lines += [f"    agent {agent.name}: {agent.role} {{",
                      *(f"        {f}" for f in fields), "    }", ""]
        else:
            lines += [f"    agent {agent.name}: {agent.role} {{}}", ""]
    used = {d for a in team.agents for d in a.after}
    output = team.output or tuple(a.name for a in team.agents if a.name not in used)[-1:]
    lines += [f"    output: {f'vote({sep.join(output)})' if team.vote else output[0]}", "}"]
    return "\n".join(lines) + "\n"


def positional(team):
    """The team with agents named by position and every list in declaration order."""
    names = dict(zip((a.name for a in team.agents), agent_names(len(team.agents))))
    order = {name: i for i, name in enumerate(names)}

    def listed(refs):
        return tuple(names[r] for r in sorted(refs, key=order.__getitem__))

    agents = tuple(attrs.evolve(a, name=names[a.name], after=listed(a.after))
                   for a in team.agents)
    return attrs.evolve(team, agents=agents,
                        output=listed(team.output) if team.output else None)


@st.composite
def generation_teams(draw, max_agents: int = 6, bound: bool = True):
    """(text) of a random team the generation grammar admits (one-line ASCII strings)."""
    team = draw(team_models(max_agents=max_agents, newline_free=True))
    strings = {"goal": team.goal, **{a.name: a.duty for a in team.agents}}
    replaced = {k: draw(ascii_lines) for k, v in strings.items() if v is not None}
    team = attrs.evolve(
        team, goal=replaced.get("goal"),
        agents=tuple(attrs.evolve(a, duty=replaced.get(a.name)) for a in team.agents))
    return render(positional(team) if bound else team)
