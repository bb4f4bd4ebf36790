"""The edits API: the paper's three counterfactual edit families and a general field edit.

An edit splices only the edited characters of the source text and says where: `old` is the
range it replaced in the original, `new` the range of the replacement in the new text (the
text outside them is byte-identical), and `target` is the AST span of the field the edit is
about, which is where the trainer puts the counterfactual credit.

Families and their legal applications on a checked team (an application is legal when the
edited spec still passes the checker):
    drop_dependency  every name of every `after` list (a last name drops the whole field),
                     except where the dropped edge would leave a team without an `output`
                     with a second sink, i.e. with no answer
    remove_duty      every agent with a `duty` (it falls back to its base role)
    lower_capacity   every explicit `capacity` above the lowest level (an agent without
                     one runs at the profile default and has no field to credit, so it is
                     not edited)
"""

from __future__ import annotations

import re

import attrs

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import CompileError
from lemonspec.compiler.driver import check_text
from lemonspec.compiler.source import Span
from lemonspec.compiler.strings import encode
from lemonspec.compiler.unit import DEFAULT_LEVELS
from lemonspec.grammar.layout import INDENT

FAMILIES = ("drop_dependency", "remove_duty", "lower_capacity")


@attrs.frozen
class Edit:
    family: str  # one of FAMILIES, or "set_field"
    team: str
    agent: str
    field: str  # duty, capacity or after
    detail: str  # what changed, for people: "solver: after -analyst"
    target: Span  # the field's (or name's) span in the original: where the credit goes
    old: tuple[int, int]  # replaced characters of the original text
    new: tuple[int, int]  # their replacement in the new text
    text: str  # the new text


def _splice(original: str, start: int, end: int, replacement: str) -> tuple[str, tuple, tuple]:
    text = original[:start] + replacement + original[end:]
    return text, (start, end), (start, start + len(replacement))


def _removal_range(text: str, span: Span) -> tuple[int, int]:
    """The characters to delete to remove a node: its whole line(s) if it stands alone on
    them (with a comment at the end of the line), else the node and the blanks after it."""
    line_start = text.rfind("\n", 0, span.start) + 1
    after = re.compile(r"[ \t]*(#[^\n]*)?(\n|$)").match(text, span.end)
    if not text[line_start:span.start].strip() and after:
        return line_start, after.end()
    blanks = re.compile(r"[ \t]*").match(text, span.end)
    return span.start, blanks.end()


def _edit(family, team, agent, field, detail, target, original, start, end, replacement):
    text, old, new = _splice(original, start, end, replacement)
    return Edit(family, team.name.text, agent.name.text, field, detail, target, old, new, text)


def drop_dependency(original: str, team: ast.Team, agent: ast.Agent, index: int) -> Edit:
    after = agent.after
    names = after.agents
    name = names[index]
    detail = f"{agent.name.text}: after -{name.text}"
    if len(names) == 1:
        start, end = _removal_range(original, after.span)
    elif index < len(names) - 1:
        start, end = name.span.start, names[index + 1].span.start
    else:
        start, end = names[index - 1].span.end, name.span.end
    return _edit("drop_dependency", team, agent, "after", detail, name.span, original, start,
                 end, "")


def remove_duty(original: str, team: ast.Team, agent: ast.Agent) -> Edit:
    duty = agent.duty
    start, end = _removal_range(original, duty.span)
    return _edit("remove_duty", team, agent, "duty", f"{agent.name.text}: -duty", duty.span,
                 original, start, end, "")


def lower_capacity(original: str, team: ast.Team, agent: ast.Agent, levels) -> Edit:
    level = agent.capacity.level
    lower = levels[levels.index(level.text) - 1]
    return _edit("lower_capacity", team, agent, "capacity",
                 f"{agent.name.text}: capacity {level.text} -> {lower}", level.span, original,
                 level.span.start, level.span.end, lower)


def _checked_module(text: str, path: str, levels) -> ast.Module:
    result = check_text(text, path, levels=levels)
    if not result.ok:
        raise CompileError(result.diagnostics)
    return result.module


def legal_edits(text: str, family: str, *, team: str | None = None, levels=DEFAULT_LEVELS,
                path: str = "<text>", module: ast.Module | None = None) -> list[Edit]:
    """Every legal application of one edit family to a valid spec (all teams, or `team`).
    `module`: the spec's module as the caller already checked it (it is not checked again)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown edit family {family!r}; the families are {FAMILIES}")
    module = module or _checked_module(text, path, levels)
    edits = []
    for t in module.teams:
        if team is None or t.name.text == team:
            for agent in t.agents:
                edits += _applications(text, t, agent, family, tuple(levels))
    return edits


def _applications(text, team, agent, family, levels) -> list[Edit]:
    if family == "drop_dependency":
        drops = [drop_dependency(text, team, agent, i) for i in range(len(agent.dependencies))]
        return [e for e in drops if team.output or check_text(e.text, levels=levels).ok]
    if family == "remove_duty":
        return [remove_duty(text, team, agent)] if agent.duty else []
    capacity = agent.capacity
    if capacity and levels.index(capacity.level.text) > 0:
        return [lower_capacity(text, team, agent, levels)]
    return []


def all_legal_edits(text: str, **options) -> list[Edit]:
    return [e for family in FAMILIES for e in legal_edits(text, family, **options)]


def set_field(text: str, team: str, agent: str, field: str, value, *, levels=DEFAULT_LEVELS,
              path: str = "<text>") -> Edit:
    """Set (or with value None, remove) one field of one agent: duty (a string), capacity
    (a level) or after (a list of agent names). Only that field's characters change."""
    module = _checked_module(text, path, levels)
    team_node = module.team(team)
    if team_node is None or team_node.agent(agent) is None:
        raise KeyError(f"no agent {agent!r} in team {team!r}")
    node = team_node.agent(agent)
    current = next((f for f in node.fields if ast.FIELD_KEYS[type(f)] == field), None)
    if field not in ("duty", "capacity", "after"):
        raise ValueError(f"unknown field {field!r}; the fields are duty, capacity, after")
    detail = f"{agent}: {field} = {value!r}"
    if value is None:
        if current is None:
            raise ValueError(f"agent {agent!r} has no {field} to remove")
        start, end = _removal_range(text, current.span)
        return _edit("set_field", team_node, node, field, detail, current.span, text, start, end, "")
    indent = _indent_of(text, current.span if current else node.span) + (0 if current else 4)
    rendered = f"{field}: {_render_value(field, value, ' ' * indent)}"
    if current is not None:
        return _edit("set_field", team_node, node, field, detail, current.span, text,
                     current.span.start, current.span.end, rendered)
    return _insert_field(text, team_node, node, field, detail, rendered, indent)


def _indent_of(text: str, span: Span) -> int:
    line_start = text.rfind("\n", 0, span.start) + 1
    return len(text[line_start:span.start]) - len(text[line_start:span.start].lstrip())


def _render_value(field: str, value, indent: str) -> str:
    if field == "duty":
        return encode(value, indent + INDENT)
    if field == "capacity":
        return str(value)
    return ", ".join(value)


def _insert_field(text, team, agent, field, detail, rendered, indent) -> Edit:
    if agent.fields:
        last = agent.fields[-1].span
        return _edit("set_field", team, agent, field, detail, last, text, last.end, last.end,
                     "\n" + " " * indent + rendered)
    body = agent.body
    replacement = "{\n" + " " * indent + rendered + "\n" + " " * (indent - 4) + "}"
    return _edit("set_field", team, agent, field, detail, body, text, body.start, body.end,
                 replacement)
