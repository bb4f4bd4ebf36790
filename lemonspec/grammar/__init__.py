"""The grammar of the .lemon language: one Lark file, loaded for parsing and for decoding."""

from __future__ import annotations

import functools
from pathlib import Path

GRAMMAR_FILE = "lemon.lark"


@functools.cache
def grammar_text() -> str:
    """The text of lemon.lark, the single definition of the syntax."""
    return (Path(__file__).parent / GRAMMAR_FILE).read_text(encoding="utf-8")


def parsing_grammar_text() -> str:
    """lemon.lark for the compiler's parser: the same rules without the layout slots, which
    match nothing when whitespace is ignored and would each cost the parser a reduction."""
    import re

    from lemonspec.grammar.layout import SLOTS

    slot = "|".join(SLOTS)
    text = re.sub(rf"^({slot}):.*$", "", grammar_text(), flags=re.MULTILINE)
    return re.sub(rf"\b({slot})\b", "", text)


# How the compiler builds its parser: LALR keeping every token (the compiler derives each
# rule's span from its first and last token); lark caches the tables on disk, which keeps
# `lemonc check` start-up short.
LARK_OPTIONS = {
    "parser": "lalr",
    "lexer": "contextual",
    "keep_all_tokens": True,
    "maybe_placeholders": False,
    "cache": True,
}
