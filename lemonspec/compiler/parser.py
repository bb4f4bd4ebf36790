"""Parsing: source text -> AST, or a syntax diagnostic in words a user knows."""

from __future__ import annotations

import functools
import re
import threading

import lark
from lark import Token, Tree

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import Diagnostic, did_you_mean, error
from lemonspec.compiler.source import Source
from lemonspec.compiler.strings import bad_escapes, decode
from lemonspec.grammar import LARK_OPTIONS, grammar_text

AGENT_FIELDS = ("duty", "capacity", "after")
TEAM_ITEMS = ("agent", "goal", "output")

# Terminals as a user reads them in "expected ..." lists.
_WORDS = {
    "NAME": "a name",
    "STRING": "a string",
    "LONG_STRING": "a string",
    "USE": "`use`",
    "ROLE": "`role`",
    "TEAM": "`team`",
    "AGENT": "`agent`",
    "$END": "end of file",
}
_COMMENT = re.compile(r"#[^\n]*")


def _word(terminal: str) -> str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    pattern = _terminal_patterns().get(terminal)
    return f"`{pattern}`" if pattern else terminal.lower()


_patterns: dict[str, str] = {}


def _terminal_patterns() -> dict[str, str]:
    if not _patterns:
        for t in lark_parser().terminals:
            if isinstance(t.pattern, lark.lexer.PatternStr):
                _patterns[t.name] = t.pattern.value
    return _patterns


def _expected_words(expected) -> str:
    words = sorted({_word(t) for t in expected if not t.startswith("_")})
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _found(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    return f"name `{token.value}`" if token.type == "NAME" else f"`{token.value}`"


class _Comments(threading.local):
    def __init__(self):
        self.found: list[tuple[int, str]] = []


_comments = _Comments()


def _on_comment(token: Token) -> Token:
    for m in _COMMENT.finditer(token.value):
        _comments.found.append((token.start_pos + m.start(), m.group(0).rstrip()))
    return token


@lark.v_args(meta=True, inline=False)
class _ToAst(lark.Transformer):
    """Parse tree -> AST. Runs after parse() so that every rule's meta is complete."""

    def __init__(self, source: Source):
        super().__init__()
        self.source = source

    def _span(self, item):
        if isinstance(item, Token):
            return self.source.span(item.start_pos, item.end_pos)
        return self.source.span(item.start_pos, item.end_pos)

    def _name(self, token: Token) -> ast.Name:
        return ast.Name(str(token), self._span(token))

    def _key(self, meta, word: str):
        return self.source.span(meta.start_pos, meta.start_pos + len(word))

    def start(self, meta, children):
        return children

    def use(self, meta, children):
        return ast.Use(self._string(children[1]), self._span(meta))

    def role(self, meta, children):
        return ast.Role(self._name(children[1]), children[2], self._span(meta))

    def role_body(self, meta, children):
        return children[0]

    def description_field(self, meta, children):
        return children[0]

    def string(self, meta, children):
        return self._string(children[0])

    def _string(self, token: Token) -> ast.String:
        return ast.String(decode(str(token)), str(token), self._span(token))

    def team(self, meta, children):
        body = children[2]
        return ast.Team(self._name(children[1]), tuple(body.children), self._span(meta),
                        self._span(body.meta))

    def team_body(self, meta, children):
        return Tree("body", children, meta)

    def goal_field(self, meta, children):
        return ast.GoalField(self._key(meta, "goal"), children[0], self._span(meta))

    def output_field(self, meta, children):
        rule = children[0]
        if isinstance(rule, tuple):
            return ast.OutputField(self._key(meta, "output"), rule, True, self._span(meta))
        return ast.OutputField(self._key(meta, "output"), (rule,), False, self._span(meta))

    def vote(self, meta, children):
        return tuple(children)

    def agent(self, meta, children):
        body = children[3]
        return ast.Agent(self._name(children[1]), children[2], tuple(body.children),
                         self._span(meta), self._span(body.meta))

    def agent_body(self, meta, children):
        return Tree("body", children, meta)

    def duty_field(self, meta, children):
        return ast.DutyField(self._key(meta, "duty"), children[0], self._span(meta))

    def capacity_field(self, meta, children):
        return ast.CapacityField(self._key(meta, "capacity"), children[0], self._span(meta))

    def after_field(self, meta, children):
        return ast.AfterField(self._key(meta, "after"), tuple(children), self._span(meta))

    def base_role(self, meta, children):
        return self._name(children[0])

    level = agent_ref = base_role


def _syntax_error(source: Source, exc: lark.exceptions.UnexpectedInput) -> Diagnostic:
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        offset = exc.pos_in_stream
        found = source.text[offset]
        expected = exc.allowed or set()
        message = f"unexpected character `{found}`; expected {_expected_words(expected)}"
        help_ = _hint_for_characters(source.text, offset, expected)
        return error("E0001", message, source.path, source.span(offset, offset + 1), help_)
    token = getattr(exc, "token", None)
    # `accepts` is exact (lark replays the parser); `expected` may carry LALR merge noise.
    expected = getattr(exc, "accepts", None) or getattr(exc, "expected", None) or set()
    if token is None or token.type == "$END":
        end = len(source.text.rstrip())
        span = source.span(end, end)
        message = f"unexpected end of file; expected {_expected_words(expected)}"
        return error("E0001", message, source.path, span, "the file ends before this item is closed")
    span = source.span(token.start_pos, token.end_pos)
    message = f"unexpected {_found(token)}; expected {_expected_words(expected)}"
    return error("E0001", message, source.path, span, _hint_for_token(token, expected))


def _hint_for_token(token: Token, expected: set[str]) -> str | None:
    value = str(token.value)
    if token.type == "NAME" and "COMMA" in expected:
        return "separate names with `,` as in `after: a, b`"
    keywords = [k.lower() for k in ("USE", "ROLE", "TEAM") if k in expected]
    if token.type == "NAME" and keywords:
        return _glued_keyword(value, keywords) or "a file holds use, role and team items"
    if token.type == "NAME" and {"DUTY", "CAPACITY", "AFTER"} <= expected:
        guess = did_you_mean(value, AGENT_FIELDS)
        return (guess + " " if guess else "") + "an agent's fields are duty, capacity and after"
    if token.type == "NAME" and {"AGENT", "GOAL", "OUTPUT"} <= expected:
        guess = _glued_keyword(value, TEAM_ITEMS) or did_you_mean(value, TEAM_ITEMS)
        return (guess + " " if guess else "") + "a team holds agent, goal and output items"
    if token.type == "NAME" and "COLON" in expected:
        return "write `agent NAME: BASEROLE { ... }`"
    return None


def _glued_keyword(value: str, keywords) -> str | None:
    for kw in keywords:
        if value.startswith(kw) and len(value) > len(kw):
            return f"did you mean `{kw} {value[len(kw):]}`? (a keyword is followed by a space)"
    return None


def _hint_for_characters(text: str, offset: int, expected: set[str]) -> str | None:
    word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[offset:])
    keywords = [k.lower() for k in ("USE", "ROLE", "TEAM", "AGENT") if k in expected]
    if word and keywords:
        return _glued_keyword(word.group(0), keywords) or f"expected one of: {', '.join(keywords)}"
    if text[offset] == "\\" or text[offset] == '"':
        return "strings are `\"...\"` on one line or `\"\"\"...\"\"\"` over several"
    return None


@functools.cache
def lark_parser() -> lark.Lark:
    callbacks = {"COMMENT": _on_comment, "_LEAD": _on_comment}
    return lark.Lark(grammar_text(), lexer_callbacks=callbacks, **LARK_OPTIONS)


def parse(source: Source) -> tuple[ast.Module | None, list[Diagnostic]]:
    """Parse one file. Returns the module (None on a syntax error) and its diagnostics."""
    _comments.found = []
    try:
        tree = lark_parser().parse(source.text)
    except lark.exceptions.UnexpectedInput as exc:
        return None, [_syntax_error(source, exc)]
    items = _ToAst(source).transform(tree)
    comments = tuple(
        ast.Comment(text, source.span(start, start + len(text))) for start, text in _comments.found
    )
    module = ast.Module(source.path, tuple(items), comments, source.span(0, len(source.text)))
    return module, _escape_errors(source, module)


def _escape_errors(source: Source, module: ast.Module) -> list[Diagnostic]:
    diagnostics = []
    for string in _strings(module):
        for offset, text in bad_escapes(string.raw):
            start = string.span.start + offset
            diagnostics.append(error(
                "E0002", f"unknown escape `{text}` in a string", source.path,
                source.span(start, start + len(text)),
                "the escapes are \\\" \\\\ \\n \\t; write \\\\ for a backslash",
            ))
    return diagnostics


def _strings(module: ast.Module):
    for item in module.items:
        if isinstance(item, ast.Use):
            yield item.path
        elif isinstance(item, ast.Role):
            yield item.description
        else:
            for team_item in item.items:
                if isinstance(team_item, ast.GoalField):
                    yield team_item.value
                elif isinstance(team_item, ast.Agent) and team_item.duty:
                    yield from (f.value for f in team_item.fields if isinstance(f, ast.DutyField))
