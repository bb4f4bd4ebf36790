"""References: base roles, agents, capacity levels, shadowing and unused roles."""

from lemonspec.compiler import check_text


def diagnostics(text, **options):
    return check_text(text, "t.lemon", **options).diagnostics


def test_unknown_base_role_suggests_the_closest():
    (d,) = diagnostics("team t { agent a: Inspectr {} }")
    assert d.code == "E0301" and d.message.endswith("did you mean 'Inspector'?")


def test_unknown_agents_in_after_and_output():
    text = "team t { agent a: MathSolver {} agent b: MathSolver { after: aa } output: bb }"
    assert [(d.code, d.message) for d in diagnostics(text)] == [
        ("E0302", "unknown agent 'aa' in team 't'; did you mean 'a'?"),
        ("E0302", "unknown agent 'bb' in team 't'; did you mean 'b'?"),
    ]


def test_self_dependency():
    (d,) = diagnostics("team t { agent a: MathSolver { after: a } }")
    assert d.code == "E0303"


def test_capacity_levels_come_from_the_profile():
    text = "team t { agent a: MathSolver { capacity: xl } }"
    assert [d.code for d in diagnostics(text)] == ["E0304"]
    assert diagnostics(text, levels=("s", "xl")) == ()


def test_dependencies_may_refer_to_agents_declared_later():
    assert diagnostics("team t { agent b: MathSolver { after: a } agent a: MathAnalyst {} }") == ()


def test_local_role_shadows_standard_role_with_a_warning():
    text = 'role Critic { description: "mine" }\nteam t { agent a: Critic {} }'
    (d,) = diagnostics(text)
    assert (d.code, d.severity.value) == ("W0301", "warning")
    assert check_text(text).ok


def test_unused_local_role_is_a_note_but_a_role_library_is_not():
    text = 'role Helper { description: "h" }\n'
    assert diagnostics(text) == ()
    (d,) = diagnostics(text + "team t { agent a: MathSolver {} }")
    assert (d.code, d.severity.value) == ("N0301", "note")
