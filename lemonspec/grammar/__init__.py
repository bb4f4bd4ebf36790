"""The grammar of the .lemon language: one Lark file, loaded for parsing and for decoding."""

from __future__ import annotations

import functools
from importlib import resources

GRAMMAR_FILE = "lemon.lark"


@functools.cache
def grammar_text() -> str:
    """The text of lemon.lark, the single definition of the syntax."""
    return resources.files(__package__).joinpath(GRAMMAR_FILE).read_text(encoding="utf-8")


# How the compiler builds its parser: LALR with positions on every rule; lark caches the
# tables on disk, which keeps `lemonc check` start-up short.
LARK_OPTIONS = dict(
    parser="lalr",
    lexer="contextual",
    propagate_positions=True,
    maybe_placeholders=False,
    cache=True,
)
