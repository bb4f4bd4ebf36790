"""The graph: cycles with their whole path, sinks and output, unreachable agents."""

from lemonspec.compiler import check_text


def diagnostics(text):
    return check_text(text, "t.lemon").diagnostics


def test_cycle_shows_the_whole_path_from_the_first_declared_agent():
    text = """team t {
        agent analyst: MathAnalyst { after: checker }
        agent solver: MathSolver { after: analyst }
        agent checker: Inspector { after: solver }
    }"""
    (d,) = diagnostics(text)
    assert d.code == "E0401"
    assert d.message == "dependency cycle: analyst -> checker -> solver -> analyst"
    assert d.span.line == 2


def test_two_agent_cycle():
    (d,) = diagnostics("team t { agent a: MathSolver { after: b } agent b: MathSolver { after: a } }")
    assert d.message == "dependency cycle: a -> b -> a"


def test_several_sinks_need_an_output():
    (d,) = diagnostics("team t { agent a: MathSolver {} agent b: MathSolver {} }")
    assert d.code == "E0402" and "output: vote(a, b)" in d.help


def test_one_sink_is_the_answer():
    assert diagnostics("team t { agent a: MathSolver {} agent b: MathSolver { after: a } }") == ()


def test_agent_that_cannot_reach_the_output_is_a_warning():
    text = "team t { agent a: MathSolver {} agent b: MathSolver {} agent c: Inspector { after: a } output: c }"
    (d,) = diagnostics(text)
    assert (d.code, d.severity.value, d.message) == (
        "W0401", "warning", "agent 'b' cannot reach the output; its work is unused")


def test_vote_voters_and_their_ancestors_reach_the_output():
    text = "team t { answer: number agent a: MathSolver {} agent b: MathSolver { after: a } agent c: MathSolver {} output: vote(b, c) }"
    assert diagnostics(text) == ()


def test_unknown_agent_skips_the_graph_pass():
    text = "team t { agent a: MathSolver { after: b, zz } agent b: MathSolver { after: a } }"
    assert [d.code for d in diagnostics(text)] == ["E0302"]
