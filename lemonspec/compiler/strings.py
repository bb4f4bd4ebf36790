"""String literals: decoding `"..."` and `\"\"\"...\"\"\"`, and fmt's canonical spelling."""

from __future__ import annotations

import re
import textwrap

from lemonspec.grammar.layout import STRING_ESCAPES

ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def bad_escapes(raw: str) -> list[tuple[int, str]]:
    """(offset in raw, escape text) of every backslash escape the language does not define."""
    return [(m.start(), m.group(0)) for m in _ESCAPE.finditer(raw) if m.group(1) not in ESCAPES]


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: ESCAPES.get(m.group(1), m.group(0)), text)


def _dedent_block(inner: str) -> str:
    lines = inner.split("\n")
    if lines and not lines[0].strip():
        lines = lines[1:]
    if lines and not lines[-1].strip():
        lines = lines[:-1]
    return textwrap.dedent("\n".join(lines))


def decode(raw: str) -> str:
    """The value of a string literal as written (escapes resolved; long strings dedented)."""
    if raw.startswith('"""'):
        return _unescape(_dedent_block(raw[3:-3]))
    return _unescape(raw[1:-1])


def encode_short(value: str) -> str:
    return '"' + "".join(STRING_ESCAPES.get(ch, ch) for ch in value) + '"'


def _encode_long(value: str, indent: str) -> str:
    body = value.replace("\\", "\\\\").replace('"""', '\\"""')
    lines = [indent + ln if ln else "" for ln in body.split("\n")]
    return '"""\n' + "\n".join(lines) + "\n" + indent[:-4] + '"""' if indent else ""


def encode(value: str, indent: str) -> str:
    """fmt's spelling: one line when the value has no newline; else an indented block,
    unless the block form could not say the value exactly (then one line with `\\n`)."""
    if "\n" in value:
        long = _encode_long(value, indent)
        if long and decode(long) == value:
            return long
    return encode_short(value)
