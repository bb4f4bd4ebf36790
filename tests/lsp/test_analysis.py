"""What the server offers where, decided from the compiler's tokens (no server needed)."""

from __future__ import annotations

import pytest

from lemonspec.compiler import check_text
from lemonspec.lsp import analysis

ROLES = check_text("").unit.roles
LEVELS = ("small", "medium", "large")
HEAD = 'use "x.lemon"\nteam t {\n    agent a: MathSolver { capacity: small }\n    agent b: Critic {\n'


@pytest.mark.parametrize("before, expected", [
    ("", ["use", "role", "team"]),
    ("team t {\n    ", ["agent", "goal", "answer", "output"]),
    ("team t {\n    answer: number\n    ", ["agent", "goal", "output"]),
    ("team t {\n    answer: ", ["number", "choice", "label", "code", "text"]),
    ("team t {\n    answer: cho", ["number", "choice", "label", "code", "text"]),
    ("role R {\n    ", ["description"]),
    (HEAD + "        ", ["duty", "capacity", "after"]),
    (HEAD + '        duty: "x"\n        ', ["capacity", "after"]),
    (HEAD + "        after: ", ["a"]),
    (HEAD + "        after: a, ", ["a"]),
    (HEAD + "        capacity: ", list(LEVELS)),
    (HEAD + "        capacity: me", list(LEVELS)),  # the word being typed is replaced
    (HEAD + "    }\n    output: vote(", ["a", "b"]),
    (HEAD + "    }\n    output: vote(a, ", ["a", "b"]),
    (HEAD + "    }\n    agent c: ", None),  # every role in scope
    (HEAD + '        duty: "half a str', []),
    (HEAD + '        duty: """two\nlines ', []),
    (HEAD + "        # a comment ", []),
    (HEAD + "        after: a @ ", []),  # a stray character: nothing, and no exception
])
def test_completions_by_context(before, expected):
    labels = [c.label for c in analysis.completions(before, len(before), ROLES, LEVELS)]
    assert labels == (sorted(ROLES) if expected is None else expected)


@pytest.mark.parametrize("old, new", [
    ("abcdef", "abcXYdef"), ("abcdef", "abef"), ("abc", "abc"), ("", "xyz"), ("aaaa", "aaaaa"),
])
def test_a_shift_maps_the_text_outside_an_edit(old, new):
    shift = analysis.Shift.between(old, new)
    for offset in range(len(new)):
        back = shift.to_old(offset)
        if back is not None and offset != shift.prefix:  # a cursor at the edit's start
            assert new[offset] == old[back]            # sits before either text
    for start in range(len(old)):
        moved = shift.to_new(start, start + 1)
        if moved is not None:
            assert new[moved[0]:moved[1]] == old[start:start + 1]


def test_hover_on_an_answer_type_says_what_it_reads():
    text = 'team t {\n    answer: label("yes", "no")\n    agent a: MathSolver {}\n}\n'
    hover = analysis.hover(check_text(text), text.index("label") + 2)
    assert hover == '**answer label**: one of the given labels, ignoring case, e.g. label("yes", "no")'
    assert analysis.hover(check_text(text), text.index('"yes"') + 1) is None


def test_every_answer_type_the_compiler_knows_is_completed_and_explained():
    from lemonspec.compiler.ir import ANSWER_TYPES

    text = "team t {\n    answer: \n    agent a: MathSolver {}\n}\n"
    offered = {c.label for c in analysis.completions(text, text.index("answer: ") + 8, {},
                                                     ("small",))}
    assert offered == set(ANSWER_TYPES)
