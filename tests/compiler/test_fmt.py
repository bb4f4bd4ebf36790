"""The formatter: the canonical layout, comments kept where they were written."""

import pytest

from lemonspec.compiler import CompileError, Limits, format_text

MESSY = '''# header comment

use   "roles/x.lemon"
team t{goal:"Solve."   agent a:MathSolver{capacity:small # trailing
duty:"""
      line one
        line two
   """}
  # before b
agent b : Inspector { after : a } output : b}
'''

CANONICAL = '''# header comment

use "roles/x.lemon"

team t {
    goal: "Solve."

    agent a: MathSolver {
        capacity: small  # trailing
        duty: """
            line one
              line two
        """
    }

    # before b
    agent b: Inspector {
        after: a
    }

    output: b
}
'''


def test_messy_spec_gets_the_canonical_layout():
    assert format_text(MESSY) == CANONICAL


def test_formatting_is_idempotent():
    assert format_text(CANONICAL) == CANONICAL


def test_strings_that_a_block_cannot_say_stay_on_one_line():
    text = 'team t { agent a: MathSolver { duty: "  all lines\\n  indented" } }'
    assert 'duty: "  all lines\\n  indented"' in format_text(text)


def test_empty_blocks_close_on_their_line():
    assert format_text("team t {agent a: MathSolver {  }}") == (
        "team t {\n    agent a: MathSolver {}\n}\n")


@pytest.mark.parametrize("text, code", [
    ('team t {\n    agent a: MathSolver { duty: "a \\q b" }\n}\n', "E0002"),
    ('team t {\n    goal: "\\x"\n    agent a: MathSolver {}\n}\n', "E0002"),
    (b'team t {\n    goal: "\xe9"\n}\n', "E0003"),
    ('team t {\n    goal: "\x00"\n}\n', "E0003"),
    ('team t {\n    goal: "\ud800"\n}\n', "E0003"),
    ("team t {", "E0001"),
])
def test_fmt_refuses_what_it_would_repair_or_cannot_read(text, code):
    with pytest.raises(CompileError) as refused:
        format_text(text)
    assert [d.code for d in refused.value.diagnostics] == [code]


def test_fmt_has_the_same_size_limit_as_check():
    text = "team t {\n    agent a: MathSolver {}\n}\n" + "# note\n" * 100
    assert format_text(text, limits=Limits(max_file_bytes=2000)).startswith("team t")
    with pytest.raises(CompileError) as refused:
        format_text(text, limits=Limits(max_file_bytes=500))
    assert [d.code for d in refused.value.diagnostics] == ["E0901"]


def test_fmt_keeps_the_text_of_later_errors():
    text = "team t {\n    agent a: NoSuchRole {\n        after: nobody\n    }\n}\n"
    assert format_text(text) == text


def test_fmt_reads_bytes_and_drops_a_bom():
    assert format_text("\ufeffteam t {}".encode()) == "team t {}\n"


ANSWERS = """team t {
  answer :   choice( A,B ,
     C)   # letters
  agent a: MathSolver {}
}
team u { answer: label("yes","no\\t") agent a: MathSolver {} }
team v { answer:number agent a: MathSolver {} }
team w { answer: choice() agent a: MathSolver {} }
"""


def test_answer_types_get_the_canonical_layout_and_round_trip():
    formatted = format_text(ANSWERS)
    assert formatted == """team t {
    answer: choice(A, B, C)  # letters

    agent a: MathSolver {}
}

team u {
    answer: label("yes", "no\\t")

    agent a: MathSolver {}
}

team v {
    answer: number

    agent a: MathSolver {}
}

team w {
    answer: choice()

    agent a: MathSolver {}
}
"""
    assert format_text(formatted) == formatted
    from lemonspec.compiler.ast import strip_spans
    from lemonspec.compiler.files import source_of
    from lemonspec.compiler.parser import parse

    def meaning(text):
        return strip_spans(parse(source_of(text, "t.lemon", 10**6)[0])[0].items)

    assert meaning(formatted) == meaning(ANSWERS)
