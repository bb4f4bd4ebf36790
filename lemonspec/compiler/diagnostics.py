"""Diagnostics: one data type, stable codes, three renderings (concise, full, JSON)."""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from lemonspec.compiler.source import Source, Span
from lemonspec.errors import EXIT_INVALID, LemonspecError


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


# Stable codes. Never renumber: tools and the trainer's reward key on them.
CODES = {
    "E0001": "syntax error",
    "E0002": "invalid escape in a string",
    "E0003": "not UTF-8 text (a byte that is not UTF-8, a NUL or a lone surrogate)",
    "E0101": "imported file not found",
    "E0102": "import cycle",
    "E0103": "file cannot be read",
    "E0104": "import outside the project root",
    "E0105": "not a regular .lemon file",
    "E0201": "duplicate name",
    "E0202": "keyword used as a name",
    "E0203": "repeated field",
    "E0204": "empty team",
    "E0205": "no team in the file",
    "E0301": "unknown base role",
    "E0302": "unknown agent",
    "E0303": "agent depends on itself",
    "E0304": "unknown capacity level",
    "E0305": "unknown team",
    "E0401": "dependency cycle",
    "E0402": "several sinks and no output",
    "E0501": "unknown answer type",
    "E0502": "answer type with options it does not take, or without the options it needs",
    "E0503": "invalid answer option",
    "E0504": "duplicate answer option",
    "E0901": "file too large",
    "E0902": "too many agents",
    "E0903": "string too long",
    "E0904": "imports nested too deeply",
    "E0905": "name too long",
    "W0301": "local role shadows a standard role",
    "W0401": "agent cannot reach the output",
    "W0501": "vote over answers that are free text or code",
    "N0301": "unused local role",
}


@attrs.frozen
class Label:
    """A secondary location that explains the primary one (e.g. the first definition)."""

    span: Span
    message: str
    path: str | None = None


@attrs.frozen
class Diagnostic:
    code: str
    severity: Severity
    message: str
    path: str
    span: Span
    help: str | None = None
    labels: tuple[Label, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "start": self.span.start,
            "end": self.span.end,
            "help": self.help,
            "labels": [
                {"message": lb.message, "file": lb.path or self.path, **lb.span.to_json()}
                for lb in self.labels
            ],
        }


def error(code: str, message: str, path: str, span: Span, help: str | None = None, labels=()):
    return Diagnostic(code, Severity.ERROR, message, path, span, help, tuple(labels))


def warning(code: str, message: str, path: str, span: Span, help: str | None = None, labels=()):
    return Diagnostic(code, Severity.WARNING, message, path, span, help, tuple(labels))


def note(code: str, message: str, path: str, span: Span, help: str | None = None, labels=()):
    return Diagnostic(code, Severity.NOTE, message, path, span, help, tuple(labels))


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """`did you mean 'x'?` for the closest known name, or None."""
    import difflib  # only when a name is unknown: keeps `lemonc check` start-up short

    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[name.lower()]] if name.lower() in lowered else []
    return f"did you mean '{close[0]}'?" if close else None


def sort_key(d: Diagnostic):
    return (d.path, d.span.start, d.code)


def render_concise(diagnostics: Iterable[Diagnostic]) -> str:
    return "".join(
        f"{d.path}:{d.span.line}:{d.span.column}: {d.severity.value}[{d.code}]: {d.message}\n"
        for d in diagnostics
    )


def _snippet(source: Source | None, span: Span, marker: str, message: str = "") -> list[str]:
    if source is None:
        return []
    gutter = " " * len(str(span.line))
    text = source.line_text(span.line).expandtabs(1)
    width = span.end_column - span.column if span.end_line == span.line else len(text) - span.column + 1
    caret = " " * (span.column - 1) + marker * max(1, width)
    return [f"{gutter} |", f"{span.line} | {text}", f"{gutter} | {caret} {message}".rstrip()]


def render_full(diagnostics: Iterable[Diagnostic], sources: dict[str, Source]) -> str:
    """rustc-style: headline, location, the source line with a caret, labels, help."""
    blocks = []
    for d in diagnostics:
        lines = [f"{d.severity.value}[{d.code}]: {d.message}"]
        lines.append(f"  --> {d.path}:{d.span.line}:{d.span.column}")
        lines.extend(_snippet(sources.get(d.path), d.span, "^"))
        for label in d.labels:
            path = label.path or d.path
            if path != d.path:
                lines.append(f"  ::: {path}:{label.span.line}:{label.span.column}")
            lines.extend(_snippet(sources.get(path), label.span, "-", label.message))
        if d.help:
            lines.append(f"  = help: {d.help}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    import json

    return json.dumps([d.to_json() for d in diagnostics], indent=2) + "\n"


class CompileError(LemonspecError):
    """Raised by APIs that need a valid program; carries every diagnostic. Pickles."""

    exit_code = EXIT_INVALID

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__(render_concise(d for d in self.diagnostics if d.is_error).rstrip())

    def __reduce__(self):
        return (type(self), (self.diagnostics,))
