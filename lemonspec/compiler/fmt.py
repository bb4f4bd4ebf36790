"""The canonical formatter (`lemonc fmt`): one layout for every spec, comments kept.

The layout is grammar/layout.py's, the same text the orchestrator's strict grammar puts in
each layout slot, so a constrained sample is already formatted. Fields keep the order the
author gave them; comments stay before (or at the end of the line of) the node they were
written next to.

Safe to run on save: it refuses (CompileError) what it would have to repair or could not
read: a syntax error, an unknown escape (E0002: printing the decoded string would turn an
invalid spec into a valid one), text that is not UTF-8, a file over the size limit. The
checker's later errors (an unknown role, a cycle) do not stop it: formatting keeps their
meaning exactly. Linear time: each comment is visited once. Proved by
tests/compiler/test_fmt.py.
"""

from __future__ import annotations

import collections
import re

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import CompileError
from lemonspec.compiler.driver import paused_gc
from lemonspec.compiler.files import file_source, source_of
from lemonspec.compiler.parser import parse
from lemonspec.compiler.strings import encode, encode_short
from lemonspec.compiler.unit import Limits
from lemonspec.grammar.layout import INDENT

DEFAULT_LIMITS = Limits()


def format_text(text: str | bytes, path: str = "<text>", *,
                limits: Limits = DEFAULT_LIMITS) -> str:
    """The canonical layout of a spec (str, or bytes read as a file's content). Raises
    CompileError, never anything else, when the text has an error formatting would hide."""
    source, refused = source_of(text, path, limits.max_file_bytes)
    if refused:
        raise CompileError([refused])
    with paused_gc():
        module, diagnostics = parse(source)
        if module is None or any(d.is_error for d in diagnostics):
            raise CompileError(diagnostics)
        return format_module(module, source.text)


def format_file(path: str, *, limits: Limits = DEFAULT_LIMITS) -> tuple[str, str]:
    """(the text of a .lemon file, its canonical layout); the file is read as check reads
    it (size-checked, regular files only, UTF-8). Raises CompileError as format_text."""
    source, refused = file_source(path, limits.max_file_bytes)
    if refused:
        raise CompileError([refused])
    return source.text, format_text(source.text, path, limits=limits)


def format_module(module: ast.Module, text: str) -> str:
    return _Printer(module.comments, text).module(module)


_BLANK_LINE_AFTER = re.compile(r"[ \t]*\n[ \t]*\n")


class _Printer:
    def __init__(self, comments: tuple[ast.Comment, ...], text: str):
        self.comments = collections.deque(comments)  # list.popleft() made fmt quadratic
        self.text = text
        self.lines: list[str] = []
        self.boundary = len(text) + 1  # where the node being printed ends and the next begins

    # comments -----------------------------------------------------------------------------
    def _leading(self, before: int, depth: int):
        while self.comments and self.comments[0].span.start < before:
            comment = self.comments.popleft()
            self.lines.append(INDENT * depth + comment.text)
            if _BLANK_LINE_AFTER.match(self.text, comment.span.end):  # a comment block ends
                self._blank()

    def _trailing(self, line: int):
        """Comments at the end of a node's last line, up to where the next node starts."""
        while (self.comments and self.comments[0].span.line == line
               and self.comments[0].span.start < self.boundary):
            self.lines[-1] += "  " + self.comments.popleft().text

    def _blank(self):
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    # items --------------------------------------------------------------------------------
    def module(self, module: ast.Module) -> str:
        previous = None
        for item, boundary in _with_next(module.items, len(self.text) + 1):
            self.boundary = boundary
            if previous is not None and not (isinstance(item, ast.Use)
                                             and isinstance(previous, ast.Use)):
                self._blank()
            self._leading(item.span.start, 0)
            self._item(item)
            previous = item
        if self.comments:
            if module.items:
                self._blank()
            self._leading(module.span.end + 1, 0)
        return "\n".join(self.lines) + "\n" if self.lines else ""

    def _item(self, item):
        if isinstance(item, ast.Use):
            self.lines.append(f"use {encode_short(item.path.value)}")
            self._trailing(item.span.end_line)
        elif isinstance(item, ast.Role):
            self._role(item)
        else:
            self._team(item)

    def _role(self, role: ast.Role):
        outer, self.boundary = self.boundary, role.description.span.start
        self.lines.append(f"role {role.name.text} {{")
        self._trailing(role.name.span.line)
        self._leading(role.description.span.start, 1)
        self.lines.append(f"{INDENT}description: {encode(role.description.value, INDENT * 2)}")
        self.boundary = role.span.end - 1
        self._trailing(role.description.span.end_line)
        self._close(role.span, 0, outer)

    def _team(self, team: ast.Team):
        outer = self.boundary
        if self._opens_block(f"team {team.name.text} {{", team.items, team.body):
            return
        for index, (item, boundary) in enumerate(_with_next(team.items, team.body.end - 1)):
            self.boundary = boundary
            if index:
                self._blank()
            self._leading(item.span.start, 1)
            self._team_item(item)
        self._close(team.body, 0, outer)

    def _team_item(self, item):
        if isinstance(item, ast.GoalField):
            self.lines.append(f"{INDENT}goal: {encode(item.value.value, INDENT * 2)}")
            self._trailing(item.span.end_line)
        elif isinstance(item, ast.AnswerField):
            self.lines.append(f"{INDENT}answer: {_answer_type(item)}")
            self._trailing(item.span.end_line)
        elif isinstance(item, ast.OutputField):
            names = ", ".join(n.text for n in item.agents)
            self.lines.append(f"{INDENT}output: {f'vote({names})' if item.vote else names}")
            self._trailing(item.span.end_line)
        else:
            self._agent(item)

    def _agent(self, agent: ast.Agent):
        outer = self.boundary
        header = f"{INDENT}agent {agent.name.text}: {agent.base_role.text} {{"
        if self._opens_block(header, agent.fields, agent.body):
            return
        for field, boundary in _with_next(agent.fields, agent.body.end - 1):
            self.boundary = boundary
            self._leading(field.span.start, 2)
            self.lines.append(INDENT * 2 + _field(field))
            self._trailing(field.span.end_line)
        self._close(agent.body, 1, outer)

    def _opens_block(self, header: str, children, body) -> bool:
        """Print a block's header; an empty block closes on the same line (returns True)."""
        if not children and not self._comments_within(body):
            self.lines.append(header + "}")
            self._trailing(body.end_line)
            return True
        self.lines.append(header)
        outer, self.boundary = self.boundary, children[0].span.start if children else body.end
        self._trailing(body.line)
        self.boundary = outer
        return False

    def _close(self, body_span, depth: int, boundary: int):
        self._leading(body_span.end, depth + 1)
        self.lines.append(INDENT * depth + "}")
        self.boundary = boundary
        self._trailing(body_span.end_line)

    def _comments_within(self, span) -> bool:
        return bool(self.comments) and self.comments[0].span.start < span.end


def _with_next(nodes, end: int):
    """Each node with the offset where the next one starts (or `end` after the last)."""
    starts = [n.span.start for n in nodes[1:]] + [end]
    return list(zip(nodes, starts))


def _field(field: ast.AgentField) -> str:
    if isinstance(field, ast.DutyField):
        return f"duty: {encode(field.value.value, INDENT * 3)}"
    if isinstance(field, ast.CapacityField):
        return f"capacity: {field.level.text}"
    return "after: " + ", ".join(n.text for n in field.agents)


def _answer_type(field: ast.AnswerField) -> str:
    if field.options is None:
        return field.type.text
    options = ", ".join(o.text if isinstance(o, ast.Name) else encode_short(o.value)
                        for o in field.options)
    return f"{field.type.text}({options})"
