"""What the language server knows about one document, computed from the compiler's own
parser, AST spans and checker (no second parser): the symbol under the cursor, hover text,
definitions, completions and renames. Offsets here are Python string offsets; the server
(lsp/server.py) converts them to the editor's positions.

Every function takes any text, finished or half-typed, and answers None or an empty list
where it has nothing to say: tests/lsp/test_prefixes.py feeds every prefix of the examples.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import attrs

from lemonspec.compiler import CheckResult, ast
from lemonspec.compiler.parser import AGENT_FIELDS, TEAM_ITEMS
from lemonspec.compiler.source import Span
from lemonspec.compiler.unit import RoleDef
from lemonspec.errors import LemonspecError

# Keyword spellings (the grammar's own): a name in one of these spellings is a keyword.
KEYWORDS = ("use", "role", "team", "agent", "goal", "duty", "capacity", "after", "output",
            "vote", "description")
# What each answer type (compiler/ir.py's ANSWER_TYPES) means: completion detail and hover.
ANSWER_TYPE_HELP = {
    "number": "a number, read from 'Answer: <number>' and compared numerically",
    "choice": "a letter among those listed, e.g. choice(A, B, C, D)",
    "label": 'one of the given labels, ignoring case, e.g. label("yes", "no")',
    "code": "Python code, read from its last ```python block",
    "text": "free text: the whole output (a vote over it warns)",
}
TOP_ITEMS = ("use", "role", "team")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@attrs.frozen
class Symbol:
    """A name in the file and what it denotes.

    kind: agent (declaration or reference), role (declaration or base-role reference), level
    (a capacity level) or use (an import path)."""

    kind: str
    text: str
    span: Span
    team: ast.Team | None = None
    declaration: bool = False


@attrs.frozen
class Location:
    path: str
    span: Span | None  # None: the start of the file


def symbol_at(module: ast.Module, offset: int) -> Symbol | None:
    """The symbol whose span holds `offset` (its end included, where an editor's cursor
    sits after typing a name)."""
    return next((s for s in symbols(module) if s.span.start <= offset <= s.span.end), None)


def symbols(module: ast.Module) -> Iterator[Symbol]:
    """Every name of the file in source order."""
    for item in module.items:
        if isinstance(item, ast.Use):
            yield Symbol("use", item.path.value, item.path.span)
        elif isinstance(item, ast.Role):
            yield Symbol("role", item.name.text, item.name.span, declaration=True)
        elif isinstance(item, ast.Team):
            yield from _team_symbols(item)


def _team_symbols(team: ast.Team) -> Iterator[Symbol]:
    for node in team.items:
        if isinstance(node, ast.Agent):
            yield Symbol("agent", node.name.text, node.name.span, team, declaration=True)
            yield Symbol("role", node.base_role.text, node.base_role.span, team)
            for field in node.fields:
                if isinstance(field, ast.CapacityField):
                    yield Symbol("level", field.level.text, field.level.span, team)
                elif isinstance(field, ast.AfterField):
                    yield from (Symbol("agent", n.text, n.span, team) for n in field.agents)
        elif isinstance(node, ast.OutputField):
            yield from (Symbol("agent", n.text, n.span, team) for n in node.agents)


# ---- a half-typed file ----


@attrs.frozen
class Shift:
    """How the text of the last check that parsed maps onto the current text, which does
    not parse: the edit lies between a common prefix and a common suffix, and everything
    outside it moved by the same amount. Offsets inside the edit map to nothing."""

    prefix: int
    suffix: int
    old_length: int
    new_length: int

    @classmethod
    def between(cls, old: str, new: str) -> Shift:
        prefix = len(os.path.commonprefix([old, new]))
        room = min(len(old), len(new)) - prefix
        suffix = len(os.path.commonprefix([old[::-1][:room], new[::-1][:room]]))
        return cls(prefix, suffix, len(old), len(new))

    def to_old(self, offset: int) -> int | None:
        if offset <= self.prefix:
            return offset
        if offset >= self.new_length - self.suffix:
            return offset - self.new_length + self.old_length
        return None

    def to_new(self, start: int, end: int) -> tuple[int, int] | None:
        """A span of the old text in the new one, if the edit left it whole."""
        if end <= self.prefix:
            return start, end
        if start >= self.old_length - self.suffix:
            moved = self.new_length - self.old_length
            return start + moved, end + moved
        return None


# ---- hover ----


def hover(result: CheckResult, offset: int, profile=None) -> str | None:
    """Markdown for the symbol at `offset`: a base role's description and origin; an agent's
    role, capacity with the model `profile` maps it to, and its upstream agents."""
    module = result.module
    answer = _answer_type_at(module, offset) if module else None
    if answer is not None:
        return f"**answer {answer}**: {ANSWER_TYPE_HELP[answer]}"
    symbol = symbol_at(module, offset) if module else None
    if symbol is None:
        return None
    if symbol.kind == "role":
        role = _role(result, symbol.text)
        if role is None:
            return f"**role {symbol.text}**: not in scope"
        return f"**role {role.name}** ({_origin(role)})\n\n{role.description}"
    if symbol.kind == "agent":
        agent = symbol.team.agent(symbol.text)
        return _agent_hover(result, symbol.team, agent, profile) if agent else None
    if symbol.kind == "level":
        return f"**capacity {symbol.text}**" + _model_line(symbol.text, profile)
    return f"**use** `{symbol.text}` → `{_use_target(result.path, symbol.text)}`"


def _answer_type_at(module: ast.Module, offset: int) -> str | None:
    """The known answer type whose name holds `offset`, if any."""
    for team in module.teams:
        field = team.answer
        if (field is not None and field.type.text in ANSWER_TYPE_HELP
                and field.type.span.start <= offset <= field.type.span.end):
            return field.type.text
    return None


def _agent_hover(result, team: ast.Team, agent: ast.Agent, profile) -> str:
    level = agent.capacity.level.text if agent.capacity else _default_level(result, profile)
    lines = [f"**agent {agent.name.text}**: {agent.base_role.text} (team {team.name.text})",
             f"capacity: {level}{'' if agent.capacity else ' (default)'}"
             + _model_line(level, profile)]
    direct = [n.text for n in agent.dependencies]
    ancestors = _upstream(team, agent.name.text)
    if direct:
        lines.append(f"after: {', '.join(direct)}")
    indirect = [a for a in ancestors if a not in direct]
    if indirect:
        lines.append(f"further upstream: {', '.join(indirect)}")
    if not ancestors:
        lines.append("upstream: none (it starts first)")
    if agent.duty:
        lines.append(f"duty: {agent.duty.value.value.strip()}")
    return "\n\n".join(lines)


def _default_level(result: CheckResult, profile) -> str:
    if result.unit is not None:
        return result.unit.default_level
    return profile.default_level if profile is not None else "medium"


def _model_line(level: str, profile) -> str:
    if profile is None or level not in profile.levels:
        return ""
    config = profile.config(level)
    fallbacks = f", then {', '.join(config.fallbacks)}" if config.fallbacks else ""
    return (f" → model `{config.model}`{fallbacks} (profile {profile.name}, "
            f"max_tokens {config.max_tokens})")


def _upstream(team: ast.Team, name: str) -> list[str]:
    """Every agent `name` transitively waits for, nearest first (cycles tolerated)."""
    seen: list[str] = []
    frontier = [name]
    while frontier:
        agent = team.agent(frontier.pop(0))
        for dep in agent.dependencies if agent else ():
            if dep.text not in seen and dep.text != name:
                seen.append(dep.text)
                frontier.append(dep.text)
    return seen


def _role(result: CheckResult, name: str) -> RoleDef | None:
    unit = result.unit
    return unit.roles.get(name) if unit is not None else None


def _origin(role: RoleDef) -> str:
    if role.origin == "std":
        return f"standard library, {os.path.basename(_std_file(role.name) or 'stdlib')}"
    if role.origin == "imported":
        return f"imported from {role.path}"
    return "declared in this file"


# ---- go to definition ----


def definition(result: CheckResult, offset: int) -> Location | None:
    module = result.module
    symbol = symbol_at(module, offset) if module else None
    if symbol is None:
        return None
    if symbol.kind == "agent":
        agent = symbol.team.agent(symbol.text)
        return Location(result.path, agent.name.span) if agent else None
    if symbol.kind == "role":
        role = _role(result, symbol.text)
        if role is None:
            return None
        if role.origin == "std":
            path = _std_file(role.name)
            return Location(path, role.span) if path else None
        return Location(role.path, role.span)
    if symbol.kind == "use":
        target = _use_target(result.path, symbol.text)
        return Location(target, None) if os.path.isfile(target) else None
    return None


def _use_target(path: str, used: str) -> str:
    # The compiler's own rule (checks/imports.py): relative to the importing file.
    base = os.path.dirname(path) if not path.startswith("<") else os.getcwd()
    return os.path.normpath(os.path.join(base, used))


def _std_file(role: str) -> str | None:
    """The shipped standard-library file that declares `role`."""
    from lemonspec.compiler.stdlib import STDLIB_DIR, standard_modules

    for module in standard_modules():
        if any(r.name.text == role for r in module.roles):
            return str(STDLIB_DIR / os.path.basename(module.path))
    return None


# ---- rename ----


class RenameError(LemonspecError, ValueError):
    """A rename that cannot be done; the message says why."""


def rename_spans(result: CheckResult, offset: int, new_name: str | None = None) -> list[Span]:
    """Every span to rewrite to rename the agent or role at `offset` across the file."""
    module = result.module
    symbol = symbol_at(module, offset) if module else None
    if symbol is None or symbol.kind not in ("agent", "role"):
        raise RenameError("put the cursor on an agent or role name to rename it")
    if new_name is not None:
        if not NAME_RE.match(new_name):
            raise RenameError(f"`{new_name}` is not a name: use letters, digits and _")
        if new_name in KEYWORDS:
            raise RenameError(f"`{new_name}` is a keyword and cannot be a name")
    if symbol.kind == "agent":
        return [s.span for s in _team_symbols(symbol.team)
                if s.kind == "agent" and s.text == symbol.text]
    if symbol.text not in {r.name.text for r in module.roles}:
        role = _role(result, symbol.text)
        where = _origin(role) if role else "not declared anywhere in scope"
        raise RenameError(f"role '{symbol.text}' is not declared in this file ({where}); "
                          "rename it where it is declared")
    return [s.span for s in symbols(module) if s.kind == "role" and s.text == symbol.text]


# ---- completion ----


@attrs.frozen
class Completion:
    label: str
    kind: str  # role, agent, field, level, keyword
    detail: str = ""


def completions(text: str, offset: int, roles: dict[str, RoleDef],
                levels: tuple[str, ...]) -> list[Completion]:
    """What may be typed at `offset`, from the tokens before it (the compiler's own lexer;
    the text need not parse): base roles after `agent NAME:`, agents declared earlier in
    the team after `after:`/`output:`/`vote(`, levels after `capacity:`, and field or item
    names at the start of one."""
    context = _context(text[:offset])
    if context is None:
        return []
    where, agents, fields, expecting = context
    if expecting == "role":
        return [Completion(name, "role", _role_detail(role)) for name, role in sorted(roles.items())]
    if expecting == "agent":
        return [Completion(name, "agent", "agent declared earlier") for name in agents]
    if expecting == "level":
        return [Completion(level, "level", "capacity level") for level in levels]
    if expecting == "answer":
        return [Completion(name, "keyword", detail) for name, detail in ANSWER_TYPE_HELP.items()]
    if expecting == "item":
        names = {"top": TOP_ITEMS, "team": TEAM_ITEMS, "agent": AGENT_FIELDS,
                 "role": ("description",)}[where]
        return [Completion(n, "field" if where in ("agent", "role") else "keyword")
                for n in names if n not in fields]
    return []


def _role_detail(role: RoleDef) -> str:
    first = role.description.strip().split(". ")[0]
    return f"{_origin(role)}: {first[:80]}"


_SKIPPED = ("_LEAD", "WS", "COMMENT")


def _context(prefix: str):
    """(where, agents declared so far in the team, fields already in the block, expecting)
    for the end of `prefix`, or None inside a string or comment."""
    tokens = _tokens(prefix)
    if tokens is None:
        return None
    if tokens and tokens[-1].type == "NAME" and tokens[-1].end_pos == len(prefix):
        tokens = tokens[:-1]  # the word being typed
    elif tokens and tokens[-1].end_pos == len(prefix) and tokens[-1].type in ("STRING",
                                                                              "LONG_STRING"):
        return None  # right after a closing quote, nothing to offer yet
    stack: list[str] = ["top"]
    pending = None  # the block the next "{" opens
    agents: list[str] = []
    fields: list[str] = []
    words = [str(t).strip() for t in tokens]
    for i, word in enumerate(words):
        if word in ("team", "agent", "role") and tokens[i].type != "STRING":
            pending = word
            if word == "team" and stack[-1] == "top":
                agents = []
            if word == "agent" and i + 1 < len(words) and stack[-1] == "team":
                agents.append(words[i + 1])
        elif word == "{":
            stack.append(pending or "block")
            pending, fields = None, []
        elif word == "}":
            if len(stack) > 1:
                stack.pop()
            fields = []
        elif (word in KEYWORDS or word == "answer") and i + 1 < len(words) \
                and words[i + 1] == ":":
            fields.append(word)
    return stack[-1], _earlier(agents, words), fields, _expecting(words, stack[-1])


def _earlier(agents: list[str], words: list[str]) -> list[str]:
    """The agents declared before the one being written (not the agent itself)."""
    inside = _current_agent(words)
    return [a for a in dict.fromkeys(agents) if a != inside]


def _current_agent(words: list[str]) -> str | None:
    depth = 0
    for i in range(len(words) - 1, -1, -1):
        if words[i] == "}":
            depth += 1
        elif words[i] == "{":
            if depth == 0:
                j = i - 1  # `agent NAME : ROLE {`
                return words[j - 2] if j >= 3 and words[j - 3] == "agent" else None
            depth -= 1
    return None


def _expecting(words: list[str], where: str) -> str | None:
    last = words[-1] if words else ""
    before = words[-2] if len(words) > 1 else ""
    if last == ":" and len(words) >= 3 and words[-3] == "agent":
        return "role"
    if last == ":" and before == "capacity":
        return "level"
    if last == ":" and before == "answer" and where == "team":
        return "answer"
    if (last == ":" and before in ("after", "output")) or (last == "(" and before == "vote"):
        return "agent"
    if last == ",":
        for word in reversed(words):
            if word in ("after", "vote"):
                return "agent"
            if word in (":", ",", "(") or NAME_RE.match(word):
                continue
            break
        return None
    if last in ("{", "}") or last == "" or _ends_item(words):
        return "item"
    return None


def _ends_item(words: list[str]) -> bool:
    """Whether the last token completes a field or item, so a new one may start."""
    last = words[-1]
    if last.startswith('"'):
        return True
    if not NAME_RE.match(last) or last in KEYWORDS or len(words) < 2:
        return False
    return words[-2] in (":", ",") and not (len(words) >= 3 and words[-3] == "agent"
                                            and words[-2] == ":")


def _ends_in_comment(token) -> bool:
    """Whether a skipped token (a comment, or blanks and comments) ends inside a comment."""
    text = str(token)
    return "#" in text and "\n" not in text[text.rfind("#"):]


def _tokens(prefix: str):
    """The compiler's tokens of `prefix`; None when it ends inside a string or comment."""
    from lark.exceptions import LarkError

    from lemonspec.compiler.parser import lark_parser

    tokens = []
    try:
        for token in lark_parser().lex(prefix):
            if token.type not in _SKIPPED:
                tokens.append(token)
            elif token.end_pos == len(prefix) and _ends_in_comment(token):
                return None
    except LarkError:
        return None  # an unclosed string (or a stray character) before the cursor
    return tokens
