"""The abstract syntax tree: frozen nodes, each with the exact span of its source text.

Fields keep their source order and repeats (the grammar is forgiving; the checker reports a
repeated field), so every node here is what the user wrote, located to the character. The
trainer maps field edits to token masks through these spans.
"""

from __future__ import annotations

import functools

import attrs

from lemonspec.compiler.source import Span


@attrs.frozen
class Name:
    """An identifier where it is written."""

    text: str
    span: Span


@attrs.frozen
class String:
    """A string literal: its decoded value and the span of its quoted source."""

    value: str
    raw: str
    span: Span

    @property
    def is_long(self) -> bool:
        return self.raw.startswith('"""')


@attrs.frozen
class DutyField:
    key: Span
    value: String
    span: Span


@attrs.frozen
class CapacityField:
    key: Span
    level: Name
    span: Span


@attrs.frozen
class AfterField:
    key: Span
    agents: tuple[Name, ...]
    span: Span


AgentField = DutyField | CapacityField | AfterField

FIELD_KEYS = {DutyField: "duty", CapacityField: "capacity", AfterField: "after"}


@attrs.frozen
class Agent:
    name: Name
    base_role: Name
    fields: tuple[AgentField, ...]
    span: Span
    body: Span  # from "{" to "}" inclusive

    def _first(self, kind):
        return next((f for f in self.fields if isinstance(f, kind)), None)

    @property
    def duty(self) -> DutyField | None:
        return self._first(DutyField)

    @property
    def capacity(self) -> CapacityField | None:
        return self._first(CapacityField)

    @property
    def after(self) -> AfterField | None:
        return self._first(AfterField)

    @property
    def dependencies(self) -> tuple[Name, ...]:
        after = self.after
        return after.agents if after else ()


@attrs.frozen
class GoalField:
    key: Span
    value: String
    span: Span


@attrs.frozen
class AnswerField:
    """`answer: TYPE` or `answer: TYPE(OPTION, ...)`: the team's answer type as written.
    `options` is None without parentheses and () for empty ones, so that the checker can
    tell `choice` from `choice()`."""

    key: Span
    type: Name
    options: tuple[Name | String, ...] | None
    span: Span


@attrs.frozen
class OutputField:
    """`output: NAME` (one agent, vote=False) or `output: vote(NAME, ...)`."""

    key: Span
    agents: tuple[Name, ...]
    vote: bool
    span: Span


@attrs.frozen
class Team:
    name: Name
    items: tuple[GoalField | AnswerField | Agent | OutputField, ...]
    span: Span
    body: Span

    @functools.cached_property
    def agents(self) -> tuple[Agent, ...]:
        return tuple(i for i in self.items if isinstance(i, Agent))

    @functools.cached_property
    def _agents_by_name(self) -> dict[str, Agent]:
        by_name: dict[str, Agent] = {}
        for a in self.agents:
            by_name.setdefault(a.name.text, a)
        return by_name

    @property
    def goal(self) -> GoalField | None:
        return next((i for i in self.items if isinstance(i, GoalField)), None)

    @property
    def output(self) -> OutputField | None:
        return next((i for i in self.items if isinstance(i, OutputField)), None)

    @property
    def answer(self) -> AnswerField | None:
        return next((i for i in self.items if isinstance(i, AnswerField)), None)

    def agent(self, name: str) -> Agent | None:
        """The first agent of that name (the checker reports any later duplicate)."""
        return self._agents_by_name.get(name)


@attrs.frozen
class Role:
    name: Name
    description: String
    span: Span


@attrs.frozen
class Use:
    path: String
    span: Span


@attrs.frozen
class Comment:
    text: str
    span: Span


@attrs.frozen
class Module:
    """One parsed file: its items in source order and its comments (kept for fmt)."""

    path: str
    items: tuple[Use | Role | Team, ...]
    comments: tuple[Comment, ...]
    span: Span

    @property
    def uses(self) -> tuple[Use, ...]:
        return tuple(i for i in self.items if isinstance(i, Use))

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(i for i in self.items if isinstance(i, Role))

    @property
    def teams(self) -> tuple[Team, ...]:
        return tuple(i for i in self.items if isinstance(i, Team))

    def team(self, name: str) -> Team | None:
        return next((t for t in self.teams if t.name.text == name), None)

    def strings(self):
        """Every string literal of the file, in source order."""
        for item in self.items:
            if isinstance(item, Use):
                yield item.path
            elif isinstance(item, Role):
                yield item.description
            else:
                for node in item.items:
                    if isinstance(node, GoalField):
                        yield node.value
                    elif isinstance(node, AnswerField):
                        yield from (o for o in node.options or () if isinstance(o, String))
                    elif isinstance(node, Agent):
                        yield from (f.value for f in node.fields if isinstance(f, DutyField))


def strip_spans(node):
    """The node with every span and raw spelling removed: what the program means."""
    if isinstance(node, tuple):
        return tuple(strip_spans(n) for n in node)
    if isinstance(node, Span):
        return None
    if isinstance(node, String):
        return ("String", node.value)
    if attrs.has(type(node)):
        return (type(node).__name__,) + tuple(
            strip_spans(getattr(node, f.name)) for f in attrs.fields(type(node)) if f.name != "path"
        )
    return node
