"""Limits: untrusted, model-written specs cannot make the compiler slow."""

import time

from lemonspec.compiler import Limits, check_text


def codes(text, **limits):
    return [d.code for d in check_text(text, limits=Limits(**limits)).diagnostics]


def test_file_size_is_checked_before_parsing():
    text = "team t { agent a: MathSolver {} }" + " " * 100
    assert codes(text, max_file_bytes=64) == ["E0901"]


def test_agents_per_team():
    agents = "".join(f"agent a{i}: MathSolver {{}}\n" for i in range(5))
    assert "E0902" in codes(f"team t {{ {agents} output: a0 }}", max_agents=4)


def test_string_length():
    assert codes('team t { goal: "' + "x" * 11 + '" agent a: MathSolver {} }',
                 max_string_chars=10) == ["E0903"]


def test_name_length():
    assert codes("team t { agent " + "n" * 11 + ": MathSolver {} }", max_name_chars=10) == ["E0905"]


def test_limit_errors_stop_the_later_passes():
    text = "team t { agent " + "n" * 11 + ": Unknown {} }"
    assert codes(text, max_name_chars=10) == ["E0905"]


def test_pathological_inputs_stay_fast():
    big_after = "team t {\n" + "".join(f"agent a{i}: MathSolver {{ after: " + ", ".join(
        f"a{j}" for j in range(i)) + " }\n" if i else "agent a0: MathSolver {}\n"
        for i in range(64)) + "}\n"
    cases = [
        "{" * 200_000,
        '"' * 200_000,
        "team t { goal: " + '"""' + "\\\"" * 60_000 + " }",
        "# " * 100_000,
        big_after,
    ]
    for text in cases:
        start = time.perf_counter()
        check_text(text)
        assert time.perf_counter() - start < 5.0
