"""Names: duplicates (with the first definition labelled), keywords, repeated fields, empty
teams."""

from lemonspec.compiler import check_text


def diagnostics(text):
    return check_text(text, "t.lemon").diagnostics


def test_duplicate_agent_points_at_both():
    (d,) = diagnostics("team t {\n agent a: MathSolver {}\n agent a: Inspector {}\n output: a\n}")
    assert d.code == "E0201" and d.span.line == 3 and d.labels[0].span.line == 2


def test_duplicate_roles_teams_and_dependencies():
    text = ('role R { description: "x" }\nrole R { description: "y" }\n'
            "team t { agent a: R {} agent b: R { after: a, a } }\n"
            "team t { agent a: R {} }")
    messages = [d.message for d in diagnostics(text) if d.code == "E0201"]
    assert messages == ["duplicate role 'R'", "duplicate dependency 'a'", "duplicate team 't'"]


def test_keyword_used_as_a_name():
    (d,) = diagnostics("team t { agent duty: MathSolver {} }")
    assert d.code == "E0202" and "`duty` is a keyword" in d.message


def test_repeated_fields_each_reported():
    text = 'team t { goal: "a" goal: "b" agent a: MathSolver { duty: "x" duty: "y" after: b after: b } agent b: MathSolver {} }'
    found = [d.message for d in diagnostics(text) if d.code == "E0203"]
    assert found == ["`goal` is given more than once", "`duty` is given more than once",
                     "`after` is given more than once"]


def test_empty_team():
    (d,) = diagnostics("team lonely {}")
    assert d.code == "E0204" and d.message == "team 'lonely' has no agents"


def test_names_failing_skips_the_graph_pass():
    text = "team t { agent a: MathSolver { after: a2 } agent a: MathSolver {} agent a2: MathSolver { after: a } }"
    assert [d.code for d in diagnostics(text)] == ["E0201"]
