"""The layout-strict variant of lemon.lark, for constrained decoding.

It is derived from the one grammar file, never written by hand: every rule is kept; the
layout slots and keyword terminals are filled with the exact text `lemonc fmt` prints
(grammar/layout.py); whitespace and comments are no longer ignored; strings take fmt's
one-line spelling. Optionally the kinds of names are narrowed to what is in scope (base
roles, capacity levels, agent names), which a context-free grammar can do and a checker
otherwise reports after the fact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

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
    return "\n".join(definitions.values()) + "\n"
