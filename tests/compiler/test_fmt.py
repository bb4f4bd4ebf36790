"""The formatter: the canonical layout, comments kept where they were written."""

from lemonspec.compiler import format_text

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
