"""The parse phase: syntax errors in words a user knows, at the right place."""

import pytest

from lemonspec.compiler import check_text


def only(text):
    result = check_text(text, "t.lemon")
    assert len(result.diagnostics) == 1, result.diagnostics
    return result.diagnostics[0]


def test_expected_tokens_are_named_as_written():
    d = only("team t {\n    agent a MathSolver {}\n}\n")
    assert (d.code, d.span.line, d.span.column) == ("E0001", 2, 13)
    assert d.message == "unexpected name `MathSolver`; expected `:`"


def test_unknown_field_suggests_the_closest_field():
    d = only("team t { agent a: MathSolver { capacty: small } }")
    assert "did you mean 'capacity'?" in d.help


@pytest.mark.parametrize("text, fix", [
    ("team t { agentbob: MathSolver {} }", "`agent bob`"),
    ("teamt { }", "`team t`"),
])
def test_a_keyword_glued_to_a_name_is_not_read_as_two_words(text, fix):
    d = only(text)
    assert d.code == "E0001" and fix in d.help


def test_end_of_file_points_at_the_last_character_not_minus_one():
    d = only("team t {\n    agent a: MathSolver {}\n")
    assert d.message.startswith("unexpected end of file")
    assert (d.span.line, d.span.column) == (2, 27)


def test_unterminated_string_is_reported_at_its_quote():
    d = only('team t {\n    goal: "no end\n}\n')
    assert (d.span.line, d.span.column) == (2, 11)


def test_unknown_escape_is_located_on_the_backslash():
    result = check_text('team t { agent a: MathSolver { duty: "ok \\" but \\x" } }', "t.lemon")
    (d,) = result.diagnostics
    assert d.code == "E0002" and d.message == "unknown escape `\\x` in a string"
    assert d.span.column == 49


def test_escapes_and_long_strings_decode():
    text = 'team t { agent a: MathSolver { duty: """\n        one\\t"two"\n          three\n    """ } }'
    result = check_text(text)
    duty = result.module.teams[0].agents[0].duty.value
    assert duty.value == 'one\t"two"\n  three'
    assert text[duty.span.start:duty.span.end] == duty.raw


def test_comments_are_ignored_anywhere_between_tokens():
    text = "# head\nteam t # a\n{ # b\n agent a # c\n : MathSolver {} # d\n}\n# tail"
    result = check_text(text)
    assert result.ok
    assert [c.text for c in result.module.comments] == ["# head", "# a", "# b", "# c", "# d",
                                                        "# tail"]
