"""Parsing: source text -> AST, or a syntax diagnostic in words a user knows."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
from pathlib import Path

import lark
from lark import Token, Tree

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import Diagnostic, did_you_mean, error
from lemonspec.compiler.files import TEXT_BOM
from lemonspec.compiler.source import Source, Span
from lemonspec.compiler.strings import bad_escapes, decode
from lemonspec.grammar import LARK_OPTIONS, parsing_grammar_text

AGENT_FIELDS = ("duty", "capacity", "after")
TEAM_ITEMS = ("agent", "goal", "answer", "output")

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


@functools.cache
def _strings_and_comments() -> re.Pattern:
    """Strings or comments, from the grammar's own terminals: in a file that parsed, a
    left-to-right scan that skips strings finds exactly the comments."""
    patterns = {t.name: t.pattern.to_regexp() for t in lark_parser().terminals}
    return re.compile("|".join(patterns[n] for n in ("LONG_STRING", "STRING", "COMMENT")))


def _comments(source: Source) -> tuple[ast.Comment, ...]:
    """Every comment, with its span. A comment is one line, so its line and columns come
    from a running count of newlines: one pass, with no search per comment (fmt of a file
    of comments spent most of its time here)."""
    text = source.text
    comments = []
    line, line_start, scanned = 1, 0, 0
    for match in _strings_and_comments().finditer(text):
        start = match.start()
        if text[start] != "#":
            continue
        newlines = text.count("\n", scanned, start)
        if newlines:
            line += newlines
            line_start = text.rindex("\n", scanned, start) + 1
        scanned = start
        body = match.group(0).rstrip()
        column = start - line_start + 1
        comments.append(ast.Comment(body, Span(start, start + len(body), line, column, line,
                                               column + len(body))))
    return tuple(comments)


_VALUE_TOKENS = frozenset({"NAME", "STRING", "LONG_STRING"})


class _Body(tuple):
    """A block's children with the span of the block (braces included)."""

    span: Span


class _ToAst:
    """Parse tree -> AST, bottom up. The parser keeps every token and no positions; each
    rule's span is computed here from its first and last token, which costs a quarter of
    what lark's propagate_positions does, and a plain walk skips lark.Transformer's wrappers.
    Handlers see the rule's span and its meaningful children (values, names, strings)."""

    def transform(self, tree: Tree):
        values, bounds = [], []
        for child in tree.children:
            if isinstance(child, Tree):
                value, span = self.transform(child)
                values.append(value)
                bounds.append(span)
            else:
                if child.type in _VALUE_TOKENS:
                    values.append(child)
                bounds.append(child)
        span = _join(bounds[0], bounds[-1]) if bounds else Span(0, 0, 1, 1, 1, 1)
        return getattr(self, tree.data)(span, values), span

    @staticmethod
    def _span(token: Token) -> Span:
        return Span(token.start_pos, token.end_pos, token.line, token.column, token.end_line,
                    token.end_column)

    def _name(self, token: Token) -> ast.Name:
        return ast.Name(str(token), self._span(token))

    @staticmethod
    def _key(span: Span, word: str) -> Span:
        return Span(span.start, span.start + len(word), span.line, span.column, span.line,
                    span.column + len(word))

    def start(self, span, children):
        return children

    def use(self, span, children):
        return ast.Use(self._string(children[0]), span)

    def role(self, span, children):
        return ast.Role(self._name(children[0]), children[1], span)

    def role_body(self, span, children):
        return children[0]

    def description_field(self, span, children):
        return children[0]

    def string(self, span, children):
        return self._string(children[0])

    def _string(self, token: Token) -> ast.String:
        return ast.String(decode(str(token)), str(token), self._span(token))

    def team(self, span, children):
        body = children[1]
        return ast.Team(self._name(children[0]), tuple(body), span, body.span)

    def agent_body(self, span, children):
        body = _Body(children)
        body.span = span
        return body

    team_body = agent_body

    def goal_field(self, span, children):
        return ast.GoalField(self._key(span, "goal"), children[0], span)

    def answer_field(self, span, children):
        return ast.AnswerField(self._key(span, "answer"), *children[0], span)

    def answer_type(self, span, children):
        name = self._name(children[0])
        # `choice` and `choice()` give the same children: the closing parenthesis tells.
        return name, None if span.end == name.span.end else tuple(children[1:])

    def answer_option(self, span, children):
        token = children[0]
        return self._name(token) if token.type == "NAME" else self._string(token)

    def output_field(self, span, children):
        rule = children[0]
        if isinstance(rule, tuple):
            return ast.OutputField(self._key(span, "output"), rule, True, span)
        return ast.OutputField(self._key(span, "output"), (rule,), False, span)

    def vote(self, span, children):
        return tuple(children)

    def agent(self, span, children):
        body = children[2]
        return ast.Agent(self._name(children[0]), children[1], tuple(body), span, body.span)

    def duty_field(self, span, children):
        return ast.DutyField(self._key(span, "duty"), children[0], span)

    def capacity_field(self, span, children):
        return ast.CapacityField(self._key(span, "capacity"), children[0], span)

    def after_field(self, span, children):
        return ast.AfterField(self._key(span, "after"), tuple(children), span)

    def base_role(self, span, children):
        return self._name(children[0])

    level = agent_ref = base_role


def _join(first: Span | Token, last: Span | Token) -> Span:
    """The span from the start of `first` to the end of `last` (tokens or spans)."""
    start = first.start_pos if isinstance(first, Token) else first.start
    end = last.end_pos if isinstance(last, Token) else last.end
    return Span(start, end, first.line, first.column, last.end_line, last.end_column)


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
        return (guess + " " if guess else "") + "a team holds agent, goal, answer and output items"
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
    text = parsing_grammar_text()
    return lark.Lark(text, **{**LARK_OPTIONS, "cache": _tables_file(text)})


def _tables_file(grammar: str) -> str | bool:
    """Where lark keeps the parser's tables between runs (what keeps `lemonc check` start-up
    short): a file in the user's own cache folder, named by lark's and Python's versions and
    the grammar's hash, so checkouts with other grammars never overwrite each other's.

    Not lark's default (`cache=True`): a predictable name in the shared temporary folder,
    which lark unpickles before checking anything, so another local user could plant code
    there. False (no cache, only slower) when the folder cannot be made or could be written
    by someone else."""
    try:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lemonspec"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return False
    if info.st_mode & 0o022 or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        return False
    digest = hashlib.sha256(grammar.encode()).hexdigest()[:16]
    python = f"{sys.version_info[0]}{sys.version_info[1]}"
    return str(folder / f"parser-lark{lark.__version__}-py{python}-{digest}.pickle")


def parse(source: Source) -> tuple[ast.Module | None, list[Diagnostic]]:
    """Parse one file. Returns the module (None on a syntax error) and its diagnostics."""
    text = source.text
    if text.startswith(TEXT_BOM):  # read as a space, so every offset still counts it
        text = " " + text[1:]
    try:
        tree = lark_parser().parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        return None, [_syntax_error(source, exc)]
    items, _ = _ToAst().transform(tree)
    comments = _comments(source)
    module = ast.Module(source.path, tuple(items), comments, source.span(0, len(source.text)))
    return module, _escape_errors(source, module)


def _escape_errors(source: Source, module: ast.Module) -> list[Diagnostic]:
    diagnostics = []
    for string in module.strings():
        for offset, text in bad_escapes(string.raw):
            start = string.span.start + offset
            diagnostics.append(error(
                "E0002", f"unknown escape `{text}` in a string", source.path,
                source.span(start, start + len(text)),
                "the escapes are \\\" \\\\ \\n \\t; write \\\\ for a backslash",
            ))
    return diagnostics
