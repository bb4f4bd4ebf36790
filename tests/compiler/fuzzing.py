"""Fuzzing the compiler: hostile inputs and the contract every input must keep.

Inputs (`inputs()`): arbitrary text (surrogates and NULs included), arbitrary bytes, and
valid specs (the examples, the invalid examples, generated specs) mutated by splicing in
grammar pieces and hostile strings (`use` of /proc, `..`, NUL, BOM, lone surrogates, bad
escapes, non-UTF-8 bytes), deleting and duplicating ranges.

The contract (`assert_well_behaved`): check_text, compile_text and format_text never raise
anything but CompileError (the two that promise to raise); every diagnostic has a known
code and a span inside its file whose line and column agree with its offsets; all three
renderings work; fmt refuses exactly the texts with an error it would hide (syntax, escape,
encoding, size), and what it prints is idempotent and means what the input meant.

Run in CI by tests/compiler/test_fuzz.py (seeded, bounded), and for as long as you like by
perf/fuzz_compiler.py.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from hypothesis import strategies as st

from lemonspec.compiler import CompileError, check_text, compile_text, format_text
from lemonspec.compiler.ast import strip_spans
from lemonspec.compiler.diagnostics import CODES, render_concise, render_full, render_json
from lemonspec.compiler.files import source_of
from lemonspec.compiler.parser import parse
from lemonspec.compiler.unit import CEILINGS
from tests.compiler.strategies import specs

EXAMPLES = Path(__file__).parents[2] / "examples"
# Imports resolve here: real files (and an import cycle) that never change, no others.
ROOT = EXAMPLES / "invalid"
# Errors fmt must refuse (it would repair or could not read the text) and no others.
REFUSED_BY_FMT = {"E0001", "E0002", "E0003", "E0901"}

PIECES = [
    "{", "}", ":", ",", '"', '"""', "\\", "\\q", "\\n", "#", "\n", "\r\n", "\r", "\t", " ",
    "use ", "role ", "team ", "agent ", "goal: ", "duty: ", "capacity: ", "after: ",
    "output: ", "vote(", ")", "description: ", "MathSolver", "Inspector", "small", "large",
    'use "/proc/self/environ"\n', 'use "/etc/passwd"\n', 'use "../../../etc/x.lemon"\n',
    'use "imported/cycle_b.lemon"\n', 'use "import_cycle.lemon"\n', 'use "nowhere.lemon"\n',
    'use "notes.txt"\n', 'use ""\n', 'use "a\x00b"\n', "\x00", "\ufeff", "\ud800", "\udfff",
    "\u200b", "é", "\U0001f34b", "a" * 70, "x" * 9000,
]
# Whole lines, spliced in at a line start: they keep a spec parsing more often, so the
# checker's later passes, the imports and fmt's printing get fuzzed too.
LINES = [
    'use "/proc/self/environ"\n', 'use "../../../etc/x.lemon"\n', 'use "imported/cycle_b.lemon"\n',
    'use "import_cycle.lemon"\n', 'use "nowhere.lemon"\n', 'use "notes.txt"\n',
    'use "imported"\n', 'use "imported/../imported/cycle_b.lemon"\n', "# a comment\n", "#\n",
    "\n", "    # indented comment # with a hash\n", 'role Extra { description: "x" }\n',
    'role MathSolver { description: "shadow" }\n', "team empty {}\n",
    'team other { agent z: Inspector { duty: """\n  a\n   b\n""" } }\n',
    "# \ufeff \u200b \U0001f34b\n",
]
BAD_BYTES = [b"\xff", b"\xfe", b"\xc3", b"\xe9", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00",
             b"\xf4\x90\x80\x80", b"\xc0\xaf"]


@functools.cache
def seed_specs() -> tuple[str, ...]:
    paths = sorted(EXAMPLES.glob("*.lemon")) + sorted((EXAMPLES / "invalid").glob("*.lemon"))
    return tuple(p.read_bytes().decode("utf-8", "replace") for p in paths)


any_character = st.one_of(st.characters(), st.characters(categories=["Cs", "Cc", "Cf"]))


@st.composite
def mutated(draw, text: str) -> str:
    """`text` with a few splices: a piece inserted, a range deleted or repeated."""
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["line", "line", "insert", "delete", "repeat", "char"]))
        if kind == "line":
            at = text.rfind("\n", 0, at) + 1
            text = text[:at] + draw(st.sampled_from(LINES)) + text[at:]
        elif kind == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
        elif kind == "char":
            text = text[:at] + draw(any_character) + text[at:]
        else:
            end = draw(st.integers(at, min(len(text), at + 200)))
            text = text[:at] + (text[at:end] * 2 if kind == "repeat" else "") + text[end:]
    return text


@st.composite
def mutated_bytes(draw, text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.sampled_from(BAD_BYTES)) + data[at:]


def valid_texts():
    return st.one_of(st.sampled_from(seed_specs()), specs().map(lambda spec: spec[0]))


def inputs():
    """Text or bytes: arbitrary, or a valid spec mutated."""
    return st.one_of(
        st.text(any_character, max_size=300),
        st.binary(max_size=300),
        valid_texts().flatmap(mutated),
        valid_texts().flatmap(mutated),
        valid_texts().flatmap(mutated_bytes),
    )


def assert_well_behaved(data: str | bytes) -> None:
    result = check_text(data, root=ROOT)
    for d in result.diagnostics:
        assert d.code in CODES, d
        _assert_span(result.sources, d.path, d.span, d)
        for label in d.labels:
            if (label.path or d.path) in result.sources:
                _assert_span(result.sources, label.path or d.path, label.span, d)
    if result.module is not None:
        for comment in result.module.comments:
            _assert_span(result.sources, result.path, comment.span, comment)
    render_concise(result.diagnostics)
    render_full(result.diagnostics, result.sources)
    json.loads(render_json(result.diagnostics))
    _assert_compile(data, result)
    _assert_fmt(data, result)


def _assert_span(sources, path, span, d):
    source = sources[path]
    assert 0 <= span.start <= span.end <= len(source.text), d
    assert (span.line, span.column) == source.position(span.start), d
    assert (span.end_line, span.end_column) == source.position(span.end), d


def _assert_compile(data, result):
    try:
        ir = compile_text(data, root=ROOT)
    except CompileError as exc:
        assert exc.diagnostics
        return
    assert result.ok
    ir.dumps().encode("utf-8")  # the IR is always writable as UTF-8


def _assert_fmt(data, result):
    hidden = {d.code for d in result.errors} & REFUSED_BY_FMT
    try:
        formatted = format_text(data)
    except CompileError as exc:
        assert hidden or result.module is None, exc
        assert {d.code for d in exc.diagnostics} & REFUSED_BY_FMT
        return
    assert not hidden, f"fmt repaired {hidden}"
    assert format_text(formatted) == formatted
    assert meaning(formatted) == meaning(data)


def meaning(data: str | bytes):
    """What a text that parses says: its AST without spans and spellings."""
    source, refused = source_of(data, "<text>", CEILINGS["max_file_bytes"])
    assert refused is None
    module, _ = parse(source)
    return strip_spans(module.items)
