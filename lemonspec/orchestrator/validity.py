"""Is a generated spec usable? The compiler's verdict on one sample, in three grades:
it parses; it is already in `lemonc fmt` layout; it passes every check as exactly one team.
"""

from __future__ import annotations

import re

import attrs

from lemonspec.compiler import CompileError, Diagnostic, check_text, format_text
from lemonspec.compiler.unit import DEFAULT_LEVELS

_FENCED = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
_TEAM = re.compile(r"\bteam\s+[A-Za-z_]\w*\s*\{")


@attrs.frozen
class SpecCheck:
    parses: bool
    formatted: bool  # byte-identical to `lemonc fmt` output
    ok: bool  # parses, no errors, exactly one team: ready to compile and run
    diagnostics: tuple[Diagnostic, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.diagnostics)


def spec_text(text: str) -> str:
    """The spec in a model's reply: a fenced block's content, else from the first `team`
    to the last `}`. A constrained sample is returned as it is."""
    fenced = _FENCED.search(text)
    if fenced:
        return fenced.group(1)
    start = _TEAM.search(text)
    end = text.rfind("}")
    if start is None or end < start.start():
        return text
    return text[start.start():end + 1] + "\n"


def check_spec(text: str, *, levels=DEFAULT_LEVELS, path: str = "<sample>") -> SpecCheck:
    try:
        formatted = format_text(text, path) == text
    except CompileError as exc:
        return SpecCheck(False, False, False, tuple(exc.diagnostics))
    result = check_text(text, path, levels=levels)
    teams = len(result.module.teams) if result.module else 0
    return SpecCheck(True, formatted, result.ok and teams == 1, result.diagnostics)
