"""The answers pass: the declared answer type and votes over free text (W0501)."""

import pytest

from lemonspec.compiler import check_text

VOTE = "agent a: MathSolver {} agent b: MathSolver {} output: vote(a, b)"


def diagnostics(text):
    return check_text(text, "t.lemon").diagnostics


def codes(text):
    return [d.code for d in diagnostics(text)]


@pytest.mark.parametrize("answer", [
    "number", "text", "code", "choice(A)", "choice(A, B, C, D, E, F, G, H)",
    'label("yes", "no")', 'label("stays the same", "Goes up")',
])
def test_valid_answer_types_are_clean(answer):
    assert diagnostics(f"team t {{ answer: {answer} agent a: MathSolver {{}} }}") == ()


# `at`: the text the diagnostic points at (its last occurrence in the spec).
@pytest.mark.parametrize("answer, code, message, at", [
    ("numbr", "E0501", "unknown answer type 'numbr'; did you mean 'number'?", "numbr"),
    ("integer", "E0501", "unknown answer type 'integer'", "integer"),
    ("number(A)", "E0502", "answer type `number` takes no options", "answer:"),
    ("text()", "E0502", "answer type `text` takes no options", "answer:"),
    ("choice()", "E0502", "empty choice list: `choice` needs at least one option", "answer:"),
    ("choice", "E0502", "empty choice list: `choice` needs at least one option", "answer:"),
    ("label", "E0502", "empty label list: `label` needs at least one option", "answer:"),
    ("choice(A, b)", "E0503", "a choice is a capital letter A-Z, not `b`", "b)"),
    ("choice(A, AB)", "E0503", "a choice is a capital letter A-Z, not `AB`", "AB"),
    ('choice(A, "B")', "E0503", 'a choice is a capital letter A-Z, not `"B"`', '"B"'),
    ('label("yes", no)', "E0503", "a label is a non-empty string, not `no`", "no)"),
    ('label("yes", " ")', "E0503", 'a label is a non-empty string, not `" "`', '" "'),
    ("choice(A, B, A)", "E0504", "duplicate choice option `A`", "A)"),
    ('label("yes", "no", "YES")', "E0504", 'duplicate label option `"YES"`', '"YES"'),
    ('label("not sure", "Not  Sure")', "E0504", 'duplicate label option `"Not  Sure"`',
     '"Not  Sure"'),
    # The judge reads labels ignoring quotes and a final period too: these are one label.
    ('label("yes", "yes.")', "E0504", 'duplicate label option `"yes."`', '"yes."'),
])
def test_a_bad_answer_type_is_an_error_at_its_place(answer, code, message, at):
    text = f"team t {{ answer: {answer} agent a: MathSolver {{}} }}"
    [d] = diagnostics(text)
    assert (d.code, d.severity.value, d.message) == (code, "error", message)
    assert (d.path, d.span.line, d.span.column) == ("t.lemon", 1, text.rindex(at) + 1)
    assert d.help


def test_a_duplicate_names_where_the_first_was():
    [d] = diagnostics('team t { answer: label("yes", "Yes") agent a: MathSolver {} }')
    assert [(label.message, label.span.column) for label in d.labels] == [("first here", 24)]
    assert d.span.column == 31


def test_answer_given_twice_is_a_repeated_field():
    assert codes(f"team t {{ answer: number answer: text {VOTE} }}") == ["E0203"]


def test_a_label_with_an_unknown_escape_is_reported_as_any_string():
    assert "E0002" in codes(r'team t { answer: label("y\q") agent a: MathSolver {} }')


@pytest.mark.parametrize("answer", ["", "answer: text"])
def test_a_vote_over_free_text_warns_with_the_way_out(answer):
    [d] = diagnostics(f"team t {{ {answer} {VOTE} }}")
    assert (d.code, d.severity.value) == ("W0501", "warning")
    assert "compares free text" in d.message and "tie goes to the first listed" in d.message
    assert "declare `answer: number`" in d.message
    assert ("no answer type is declared" in d.message) is (answer == "")
    assert d.span.line == 1 and d.span.column == f"team t {{ {answer} {VOTE} }}".index("output") + 1
    assert bool(d.labels) is (answer != "")  # points at the declaration when there is one


def test_a_vote_over_code_warns_too():
    [d] = diagnostics(f"team t {{ answer: code {VOTE} }}")
    assert d.code == "W0501" and "compares the voters' code as text" in d.message


@pytest.mark.parametrize("answer", ["number", "choice(A, B)", 'label("yes", "no")'])
def test_a_vote_over_answers_that_can_be_equal_is_clean(answer):
    assert diagnostics(f"team t {{ answer: {answer} {VOTE} }}") == ()


def test_one_output_agent_needs_no_answer_type():
    assert diagnostics("team t { agent a: MathSolver {} output: a }") == ()


def test_an_agent_may_still_be_called_answer():
    """`answer` was not a keyword before answer types: old specs keep their meaning."""
    text = "team t { answer: number agent answer: MathSolver {} agent b: MathSolver {} " \
           "output: vote(answer, b) }"
    assert diagnostics(text) == ()
