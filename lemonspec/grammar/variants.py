"""The layout-strict variants of lemon.lark, for constrained decoding.

They are derived from the one grammar file, never written by hand: every rule is kept; the
layout slots and keyword terminals are filled with the exact text `lemonc fmt` prints
(grammar/layout.py); whitespace and comments are no longer ignored; strings take fmt's
one-line spelling. Optionally the kinds of names are narrowed to what is in scope (base
roles, capacity levels, agent names), which a context-free grammar can do and a checker
otherwise reports after the fact.

`strict_grammar` accepts every formatted single team. `generation_grammar` narrows it further
for an orchestrator: bounded sizes, one field order, a required `output`, and, given the
agents a sample has declared so far, references that can only name earlier agents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

import attrs

from lemonspec.grammar import grammar_text
from lemonspec.grammar.layout import KEYWORDS, SLOTS

_DEFINITION = re.compile(r"^(\??[A-Za-z_][A-Za-z0-9_]*)\s*:", re.MULTILINE)

# fmt never prints a newline inside a one-line string and escapes exactly `\\ \" \t`.
CANONICAL_STRING = r'/"([^"\\\n\t]|\\["\\t])*"/'


def _split_definitions(text: str) -> dict[str, str]:
    """Definitions of a Lark grammar by name, each with its continuation lines."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith(("//", "%"))]
    definitions: dict[str, str] = {}
    current = None
    for line in lines:
        match = _DEFINITION.match(line)
        if match:
            current = match.group(1).lstrip("?")
            definitions[current] = line
        elif current and line[:1] in (" ", "\t") and line.strip():
            definitions[current] += "\n" + line
    return definitions


def _literal(text: str) -> str:
    return json.dumps(text)


def _alternatives(names: Iterable[str]) -> str:
    return " | ".join(_literal(n) for n in sorted(set(names)))


def strict_grammar(
    *,
    base_roles: Iterable[str] | None = None,
    levels: Iterable[str] | None = None,
    agent_names: Iterable[str] | None = None,
) -> str:
    """Lark text (for llguidance) whose only sentences are single teams in fmt's layout."""
    return _join(_strict_definitions(base_roles, levels, agent_names))


def _join(definitions: dict[str, str]) -> str:
    return "\n".join(definitions.values()) + "\n"


def _strict_definitions(base_roles, levels, agent_names) -> dict[str, str]:
    definitions = _split_definitions(grammar_text())
    for name in ("COMMENT", "WS", "_LEAD"):
        definitions.pop(name, None)
    definitions["start"] = 'start: team "\\n"'
    definitions["string"] = "string: STRING"
    definitions["STRING"] = f"STRING: {CANONICAL_STRING}"
    definitions.pop("LONG_STRING", None)
    for slot, text in SLOTS.items():
        definitions[slot] = f"{slot}: {_literal(text)}"
    for keyword, text in KEYWORDS.items():
        definitions[keyword] = f"{keyword}: {_literal(text)}"
    narrowed = {"base_role": base_roles, "level": levels, "agent_ref": agent_names}
    for rule, names in narrowed.items():
        if names is not None:
            definitions[rule] = f"{rule}: {_alternatives(names)}"
    if agent_names is not None:
        definitions["agent"] = definitions["agent"].replace("AGENT NAME", "AGENT agent_ref")
    return definitions


# ---- the generation variant -----------------------------------------------------------------

# Printable ASCII words joined by single spaces: no degenerate whitespace, one byte per
# character (so a length bound in characters bounds bytes and therefore tokens), and only
# the two escapes fmt prints for such text.
_WORD = r'([!#-\[\]-~]|\\["\\])+'
GENERATED_STRING = f'/"{_WORD}( {_WORD})*"/'

# The body of an agent for generation: each field at most once, in one order.
_FIELD_ORDER = ("duty_field", "capacity_field", "after_field")

# `after` and `vote` lists in lemon.lark, replaced by ordered lists of names in scope.
_REF_LIST = re.compile(r'agent_ref \("," _sp agent_ref\)\*')


def keywords() -> frozenset[str]:
    """The reserved words: every word literal of lemon.lark and every keyword terminal."""
    words = set(re.findall(r'"([a-z]+)"', grammar_text()))
    return frozenset(words | {text.strip() for text in KEYWORDS.values()})


@attrs.frozen
class GenerationBounds:
    """How large a generated team may grow. Every sentence is then finite and at most
    `max_bytes()` long; a token is at least one byte, so that many new tokens always suffice
    for a constrained sample to finish."""

    max_agents: int = 6
    max_name_chars: int = 32
    max_string_chars: int = 200  # characters between the quotes, escapes counted as two

    def max_bytes(self, *, base_roles: Iterable[str] | None = None,
                  levels: Iterable[str] | None = None) -> int:
        """An upper bound on the length in bytes of any sentence of the grammar."""
        name, string, agents = self.max_name_chars, self.max_string_chars + 2, self.max_agents
        role = max(map(len, base_roles), default=0) if base_roles is not None else name
        level = max(map(len, levels), default=0) if levels is not None else name
        names = agents * (name + 2)  # a list of every agent, with separators
        header = len("team  {\n") + name
        goal = len("    goal: \n\n") + string
        agent = (len("    agent : {\n") + name + role + len("        duty: \n") + string
                 + len("        capacity: \n") + level + len("        after: \n") + names
                 + len("    }\n\n"))
        output = len("    output: vote()\n}\n") + names
        return header + goal + agents * agent + output


DEFAULT_BOUNDS = GenerationBounds()


def generation_grammar(
    *,
    base_roles: Iterable[str] | None = None,
    levels: Iterable[str] | None = None,
    declared_agents: Sequence[str] | None = None,
    bounds: GenerationBounds = DEFAULT_BOUNDS,
) -> str:
    """Lark text (for llguidance) for an orchestrator: a subset of `strict_grammar`'s teams.

    A team has an optional goal, 1..max_agents agents whose fields come in the order duty,
    capacity, after (each optional), then an `output`; names are bounded and never keywords;
    strings are bounded one-line ASCII text with single spaces between words.

    `declared_agents`, the agents a partial sample has declared so far in order, binds names
    to scope: the last of them may only depend on agents before it, every `after` and `vote`
    list names agents in declaration order without repeats, a further agent gets a fresh
    name, and `output` names a declared agent. Rebuilt at each declaration, this makes every
    sample acyclic with all names bound (orchestrator/constraint.py does that).
    """
    definitions = _strict_definitions(base_roles, levels, None)
    reserved = "|".join(sorted(keywords()))
    first, rest = bounds.max_name_chars, bounds.max_name_chars - 1
    assert first >= 1 and bounds.max_agents >= 1 and bounds.max_string_chars >= 1
    definitions["NAME"] = f"NAME: /[A-Za-z_][A-Za-z0-9_]{{0,{rest}}}/ & ~/({reserved})/"
    definitions["STRING"] = (f"STRING: {GENERATED_STRING} & "
                             f"/.{{3,{bounds.max_string_chars + 2}}}/")
    definitions["team_body"] = ('team_body: "{" _nl_item (goal_field _nl_blank)? agents '
                                '_nl_blank output_field _nl_close0 "}"')
    definitions["agent_body"] = 'agent_body: "{" "}" | "{" agent_fields _nl_close1 "}"'
    definitions["agent_fields"] = _fields_rule("agent_fields", "after_field")
    if declared_agents is None:
        definitions["agents"] = _repeated("agents", "agent", bounds.max_agents)
        # A list naming more agents than a team can hold is never valid; bounded, it also
        # keeps every sentence within max_bytes.
        definitions["after_field"] = _bounded_list(definitions["after_field"],
                                                   bounds.max_agents - 1)
        definitions["vote"] = _bounded_list(definitions["vote"], bounds.max_agents)
    else:
        definitions.update(_scoped_agents(definitions, tuple(declared_agents), bounds))
    return _join(definitions)


def _bounded_list(definition: str, most: int) -> str:
    """The definition with its list of agent references cut to `most` names."""
    more = f' ("," _sp agent_ref){{0,{most - 1}}}' if most > 1 else ""
    bounded, count = _REF_LIST.subn(f"agent_ref{more}", definition)
    assert count == 1, f"no list of agent references in {definition!r}: lemon.lark changed"
    return bounded


def _fields_rule(head: str, after_rule: str | None) -> str:
    """`head`: a non-empty run of agent fields in _FIELD_ORDER, each at most once."""
    fields = [f for f in _FIELD_ORDER if f != "after_field"] + ([after_rule] if after_rule else [])
    alternatives = []
    for i, field in enumerate(fields):
        optional = "".join(f" (_nl_field {later})?" for later in fields[i + 1:])
        alternatives.append(f"_nl_field {field}{optional}")
    return f"{head}: " + "\n    | ".join(alternatives)


def _repeated(head: str, item: str, count: int, before: str = "") -> str:
    more = f" (_nl_blank {item}){{0,{count - 1}}}" if count > 1 else ""
    return f"{head}: {before}{item}{more}"


def _derive(definition: str, head: str, **replacements: str) -> str:
    """A copy of a definition under a new head, with whole symbols replaced."""
    body = definition.split(":", 1)[1]
    for old, new in replacements.items():
        body, count = re.subn(rf"(?<![\w\"]){old}(?![\w\"])", new, body)
        assert count, f"{old} is not in {definition!r}: lemon.lark changed"
    return f"{head}:{body}"


def _ordered_refs(head: str, names: Sequence[str]) -> dict[str, str]:
    """`head`: one or more of `names` joined by ", ", in their order, each at most once."""
    rules = {}
    for i, name in enumerate(names):
        alternatives = [_literal(name)]
        if i + 1 < len(names):
            alternatives += [f'{_literal(name)} "," _sp {head}_{i + 1}', f"{head}_{i + 1}"]
        rules[f"{head}_{i}"] = f"{head}_{i}: " + " | ".join(alternatives)
    rules[head] = f"{head}: {head}_0"
    return rules


def _scoped_agents(definitions: dict[str, str], declared: tuple[str, ...],
                   bounds: GenerationBounds) -> dict[str, str]:
    """Rules for a team whose agents so far are `declared` (see generation_grammar)."""
    if len(set(declared)) != len(declared) or len(declared) > bounds.max_agents:
        raise ValueError(f"declared agents must be distinct and at most {bounds.max_agents}")
    rules: dict[str, str] = {}
    reserved = "|".join(sorted(keywords() | set(declared)))
    rules["FRESH_NAME"] = f"FRESH_NAME: NAME & ~/({reserved})/"
    after_all = _scoped_body(definitions, rules, "all", declared)
    rules["agent"] = _derive(definitions["agent"], "agent", NAME="FRESH_NAME",
                             agent_body=after_all)
    if not declared:
        rules["agents"] = _repeated("agents", "agent", bounds.max_agents)
        return rules
    *earlier, current = declared
    rules["declared_agent"] = _derive(definitions["agent"], "declared_agent",
                                      NAME=f"({_alternatives(declared)})",
                                      agent_body=after_all)
    rules["current_agent"] = _derive(definitions["agent"], "current_agent",
                                     NAME=_literal(current),
                                     agent_body=_scoped_body(definitions, rules, "earlier",
                                                             earlier))
    before = "declared_agent _nl_blank " * len(earlier)
    fresh = bounds.max_agents - len(declared)
    more = f" (_nl_blank agent){{0,{fresh}}}" if fresh else ""
    rules["agents"] = f"agents: {before}current_agent{more}"
    rules["agent_ref"] = f"agent_ref: {_alternatives(declared)}"
    rules.update(_ordered_refs("declared_refs", declared))
    rules["vote"] = _REF_LIST.sub("declared_refs", definitions["vote"])
    return rules


def _scoped_body(definitions, rules: dict[str, str], scope: str, names: Sequence[str]) -> str:
    """Adds an agent body whose `after` names only `names` (or has no `after`); its head."""
    head = f"{scope}_agent_body"
    after = None
    if names:
        after = f"{scope}_after"
        rules.update(_ordered_refs(f"{scope}_refs", names))
        rules[after] = _REF_LIST.sub(f"{scope}_refs",
                                     _derive(definitions["after_field"], after))
        assert rules[after] != _derive(definitions["after_field"], after)
    rules[f"{scope}_fields"] = _fields_rule(f"{scope}_fields", after)
    rules[head] = _derive(definitions["agent_body"], head, agent_fields=f"{scope}_fields")
    return head
