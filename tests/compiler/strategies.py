"""Hypothesis strategies that write valid .lemon specs the way people do: varied names,
strings with escapes and triple quotes, comments anywhere, fields in any order, any layout.

`specs()` draws (text, Team) where Team is the plain meaning of what was written, so a test
can compare the compiler's AST with it independently of the compiler's own printer.
"""

from __future__ import annotations

import attrs
from hypothesis import strategies as st

from lemonspec.compiler.checks.names import KEYWORDS
from lemonspec.compiler.stdlib import standard_roles

LEVELS = ("small", "medium", "large")
STD_ROLES = sorted(standard_roles())

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True).filter(
    lambda n: n not in KEYWORDS)

# Text with the characters that make strings hard: quotes, backslashes, tabs, newlines, '#'.
string_values = st.text(
    alphabet=st.sampled_from(list("ab z0#{}:,") + ['"', "\\", "\t", "\n", "é", "—", " "]),
    max_size=30,
)
one_line_values = string_values.map(lambda s: s.replace("\n", " "))


@attrs.frozen
class AgentModel:
    name: str
    role: str
    duty: str | None
    capacity: str | None
    after: tuple[str, ...]


@attrs.frozen
class TeamModel:
    name: str
    goal: str | None
    agents: tuple[AgentModel, ...]
    output: tuple[str, ...] | None  # None: the only sink answers
    vote: bool


@st.composite
def team_models(draw, max_agents: int = 6, newline_free: bool = False) -> TeamModel:
    values = one_line_values if newline_free else string_values
    agent_names = draw(st.lists(names, min_size=1, max_size=max_agents, unique=True))
    agents = []
    for i, name in enumerate(agent_names):
        earlier = agent_names[:i]
        after = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3)) if earlier else []
        agents.append(AgentModel(
            name, draw(st.sampled_from(STD_ROLES)), draw(st.none() | values),
            draw(st.none() | st.sampled_from(LEVELS)), tuple(after)))
    used = {d for a in agents for d in a.after}
    sinks = [a.name for a in agents if a.name not in used]
    vote = False
    if len(sinks) > 1 or draw(st.booleans()):
        vote = draw(st.booleans())
        output = tuple(draw(st.lists(st.sampled_from(agent_names), min_size=1, max_size=3,
                                     unique=True))) if vote else (draw(st.sampled_from(sinks)),)
    else:
        output = None
    return TeamModel(draw(names), draw(st.none() | values), tuple(agents), output, vote)


# --- rendering with random layout ---------------------------------------------------------

def _separator(draw, comments: bool) -> str:
    """Whitespace between tokens; always starts with a blank (keywords need one)."""
    options = [" ", "  ", "\n", "\n    ", "\t", " \n\n  "]
    if comments:
        options += [" # note\n", "  #{ tricky: \"comment\" }\n   "]
    return draw(st.sampled_from(options))


def _short(value: str, draw) -> str:
    out = []
    for ch in value:
        if ch == "\t":
            out.append(draw(st.sampled_from(["\\t", "\t"])))
        else:
            out.append({"\\": "\\\\", '"': '\\"', "\n": "\\n"}.get(ch, ch))
    return '"' + "".join(out) + '"'


def _long(value: str, draw) -> str | None:
    """A triple-quoted spelling when one says the value exactly, else None."""
    from lemonspec.compiler.strings import decode

    indent = " " * draw(st.integers(0, 8))
    body = value.replace("\\", "\\\\").replace('"', '\\"')
    text = '"""\n' + "\n".join(indent + ln if ln else "" for ln in body.split("\n")) + '\n"""'
    return text if decode(text) == value else None


def _string(value: str, draw) -> str:
    if "\n" in value and draw(st.booleans()):
        long = _long(value, draw)
        if long:
            return long
    return _short(value, draw)


@st.composite
def render(draw, team: TeamModel, comments: bool = True) -> str:
    def sep():
        return _separator(draw, comments)

    items = []
    if team.goal is not None:
        items.append(f"goal:{sep()}{_string(team.goal, draw)}")
    for agent in team.agents:
        fields = []
        if agent.duty is not None:
            fields.append(f"duty{sep()}:{sep()}{_string(agent.duty, draw)}")
        if agent.capacity is not None:
            fields.append(f"capacity:{sep()}{agent.capacity}")
        if agent.after:
            fields.append(f"after:{sep()}" + f"{sep()},{sep()}".join(agent.after))
        fields = draw(st.permutations(fields))
        body = "{" + "".join(sep() + f for f in fields) + sep() + "}"
        items.append(f"agent{sep()}{agent.name}{sep()}:{sep()}{agent.role}{sep()}{body}")
    if team.output is not None:
        names_ = f"{sep()},{sep()}".join(team.output)
        items.append(f"output:{sep()}" + (f"vote({names_})" if team.vote else names_))
    items = draw(st.permutations(items))
    head = draw(st.sampled_from(["", "# header\n", "\n\n# a comment\n# more\n"])) if comments else ""
    return f"{head}team{sep()}{team.name}{sep()}{{" + "".join(sep() + i for i in items) + f"{sep()}}}\n"


@st.composite
def specs(draw, max_agents: int = 6, comments: bool = True, newline_free: bool = False):
    team = draw(team_models(max_agents=max_agents, newline_free=newline_free))
    return draw(render(team, comments)), team
