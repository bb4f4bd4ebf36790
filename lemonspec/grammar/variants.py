"""The layout-strict variants of lemon.lark, for constrained decoding.

They are derived from the one grammar file, never written by hand: every rule is kept; the
layout slots and keyword terminals are filled with the exact text `lemonc fmt` prints
(grammar/layout.py); whitespace and comments are no longer ignored; strings take fmt's
one-line spelling. Optionally the kinds of names are narrowed to what is in scope (base
roles, capacity levels, agent names), which a context-free grammar can do and a checker
otherwise reports after the fact.

`strict_grammar` accepts every formatted single team. `generation_grammar` narrows it further
for an orchestrator: bounded sizes, one field order, a required `output`, and agents named
by position so that every reference can only name an earlier agent (one static grammar per
scope: no rebuilding while a sample is decoded, and any llguidance server can use it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

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
# The fields of an agent body in lemon.lark, replaced by one run in _FIELD_ORDER.
_FIELD_RUN = re.compile(r"\(_nl_field _agent_field\)\+")


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


def agent_names(count: int) -> tuple[str, ...]:
    """The names of a generated team's agents, by position: a, b, ..., z, aa, ab, ... (so
    that a grammar can bind every reference statically: see generation_grammar)."""
    names = []
    for position in range(count):
        name, rest = "", position + 1
        while rest:  # bijective base 26
            rest, digit = divmod(rest - 1, 26)
            name = chr(ord("a") + digit) + name
        names.append(name)
    return tuple(names)


def generation_grammar(
    *,
    base_roles: Iterable[str] | None = None,
    levels: Iterable[str] | None = None,
    bind_agents: bool = True,
    bounds: GenerationBounds = DEFAULT_BOUNDS,
) -> str:
    """Lark text (for llguidance) for an orchestrator: a subset of `strict_grammar`'s teams.

    A team has an optional goal, 1..max_agents agents whose fields come in the order duty,
    capacity, after (each optional), then an `output`; strings are bounded one-line ASCII
    text with single spaces between words; the team's name is bounded and never a keyword.

    `bind_agents` binds every name statically, so that one context-free grammar (the same
    for the whole sample, and for any llguidance server) admits only teams whose references
    are bound and acyclic: the i-th agent is named agent_names()[i]; its `after` list names
    agents before it, in declaration order, each at most once; `output` names a declared
    agent, and a `vote` lists declared agents in declaration order. What the model loses:
    choosing agents' names (a name like `checker` no longer tells later tokens what an agent
    is for; its role and duty do) and the order of a list. The grammar is an unrolling over
    positions with O(max_agents) rules. Without binding, agents take any fresh-looking name
    and lists any names (the compiler then reports unbound names and cycles).
    """
    definitions = _strict_definitions(base_roles, levels, None)
    reserved = "|".join(sorted(keywords()))
    first, rest = bounds.max_name_chars, bounds.max_name_chars - 1
    assert first >= 1 and bounds.max_agents >= 1 and bounds.max_string_chars >= 1
    definitions["NAME"] = f"NAME: /[A-Za-z_][A-Za-z0-9_]{{0,{rest}}}/ & ~/({reserved})/"
    definitions["STRING"] = (f"STRING: {GENERATED_STRING} & "
                             f"/.{{3,{bounds.max_string_chars + 2}}}/")
    for unused in ("answer_field", "answer_type", "answer_option"):
        definitions.pop(unused)  # the task gives the answer type, not the orchestrator
    if bind_agents:
        definitions.update(_bound_team(definitions, bounds))
        return _join(definitions)
    definitions["team_body"] = ('team_body: "{" _nl_item (goal_field _nl_blank)? agents '
                                '_nl_blank output_field _nl_close0 "}"')
    definitions.pop("_team_item")  # team_body above lists its items itself
    definitions["agent_body"] = _one_run_of_fields(definitions["agent_body"], "agent_body",
                                                   "agent_fields")
    definitions["agent_fields"] = _fields_rule("agent_fields", "after_field")
    definitions["agents"] = _repeated("agents", "agent", bounds.max_agents)
    # A list naming more agents than a team can hold is never valid; bounded, it also
    # keeps every sentence within max_bytes.
    definitions["after_field"] = _bounded_list(definitions["after_field"], bounds.max_agents - 1)
    definitions["vote"] = _bounded_list(definitions["vote"], bounds.max_agents)
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


def _one_run_of_fields(definition: str, head: str, fields: str) -> str:
    """An agent body under `head` whose run of fields is the rule `fields`."""
    replaced, count = _FIELD_RUN.subn(fields, _derive(definition, head))
    assert count == 1, f"no run of agent fields in {definition!r}: lemon.lark changed"
    return replaced


def _list_of(definition: str, head: str, refs: str) -> str:
    """The definition under `head` with its list of agent references replaced by `refs`."""
    replaced, count = _REF_LIST.subn(refs, _derive(definition, head))
    assert count == 1, f"no list of agent references in {definition!r}: lemon.lark changed"
    return replaced


def _bound_team(definitions: dict[str, str], bounds: GenerationBounds) -> dict[str, str]:
    """The rules of a team whose names are bound by position (see generation_grammar).

    refs_to_j is a list of names in declaration order ending with the j-th name;
    refs_before_m is any such list of names before position m (left-recursive, so the lists
    of every position share 2 * max_agents rules instead of one set per position)."""
    names = agent_names(bounds.max_agents)
    if max(map(len, names)) > bounds.max_name_chars or set(names) & keywords():
        raise ValueError(f"{bounds.max_agents} agents need names of "
                         f"{max(map(len, names))} characters; max_name_chars is "
                         f"{bounds.max_name_chars}")
    rules: dict[str, str] = {}
    for j, name in enumerate(names):
        rules[f"refs_to_{j}"] = (f"refs_to_{j}: {_literal(name)}" if j == 0 else
                                 f'refs_to_{j}: {_literal(name)} | refs_before_{j} "," _sp '
                                 f"{_literal(name)}")
        rules[f"refs_before_{j + 1}"] = (f"refs_before_{j + 1}: refs_to_{j}" if j == 0 else
                                         f"refs_before_{j + 1}: refs_before_{j} | refs_to_{j}")
    for i, name in enumerate(names):
        after = None
        if i:  # the first agent depends on nobody
            after = f"after_{i}"
            rules[after] = _list_of(definitions["after_field"], after, f"refs_before_{i}")
        rules[f"fields_{i}"] = _fields_rule(f"fields_{i}", after)
        rules[f"body_{i}"] = _one_run_of_fields(definitions["agent_body"], f"body_{i}",
                                                f"fields_{i}")
        rules[f"agent_{i}"] = _derive(definitions["agent"], f"agent_{i}", NAME=_literal(name),
                                      agent_body=f"body_{i}")
        # A team of i + 1 agents ends with an output naming one of them.
        declared = i + 1
        rules[f"vote_{declared}"] = _list_of(definitions["vote"], f"vote_{declared}",
                                             f"refs_before_{declared}")
        rules[f"output_rule_{declared}"] = _derive(
            definitions["output_rule"], f"output_rule_{declared}",
            agent_ref=f"({_alternatives(names[:declared])})", vote=f"vote_{declared}")
        rules[f"output_{declared}"] = _derive(definitions["output_field"], f"output_{declared}",
                                              output_rule=f"output_rule_{declared}")
        last = declared == len(names)
        rest = f"output_{declared}" if last else f"(output_{declared} | agents_{i + 1})"
        rules[f"agents_{i}"] = f"agents_{i}: agent_{i} _nl_blank {rest}"
    rules["team_body"] = ('team_body: "{" _nl_item (goal_field _nl_blank)? agents_0 '
                          '_nl_close0 "}"')
    for unused in ("agent", "agent_body", "after_field", "vote", "output_field", "output_rule",
                   "agent_ref", "_team_item"):
        definitions.pop(unused)
    return rules
