"""The one grammar file in both engines: lark (the compiler) and llguidance (decoding)."""

from pathlib import Path

import llguidance
import pytest
from hypothesis import given, settings

from lemonspec.compiler import format_text
from lemonspec.grammar import grammar_text
from lemonspec.grammar.variants import strict_grammar
from tests.compiler.strategies import specs
from tests.llguidance_bytes import BYTES as TOKENIZER
from tests.llguidance_bytes import llguidance_accepts

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("**/*.lemon"))
VALID = [p for p in EXAMPLES if "invalid" not in p.parts]


def lark_accepts(text: str) -> bool:
    import lark

    from lemonspec.compiler.parser import lark_parser

    try:
        lark_parser().parse(text)
    except lark.exceptions.UnexpectedInput:
        return False
    return True


def test_the_grammar_has_no_priorities_or_lookahead():
    text = "\n".join(ln for ln in grammar_text().splitlines() if not ln.startswith("//"))
    assert "(?=" not in text and "(?!" not in text and "%declare" not in text
    import re
    assert not re.search(r"^\??\w+\.\d+\s*:", text, re.MULTILINE)
    is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(
        llguidance.LLMatcher.grammar_from_lark(grammar_text()), TOKENIZER)
    assert (is_error, messages) == (False, [])


@pytest.mark.parametrize("path", VALID + [p for p in EXAMPLES if p.stem.startswith(
    ("duplicate", "keyword", "repeated", "empty", "unknown", "cycle", "self", "several"))],
    ids=lambda p: p.stem)
def test_examples_that_parse_are_accepted_by_both_engines(path):
    text = path.read_text()
    assert lark_accepts(text)
    assert llguidance_accepts(grammar_text(), text)


@settings(max_examples=40)
@given(specs())
def test_generated_specs_are_accepted_by_both_engines(spec):
    text, _ = spec
    assert lark_accepts(text)
    assert llguidance_accepts(grammar_text(), text)


@pytest.mark.parametrize("text", [
    "team t { agentbob: MathSolver {} }",
    "teamt { agent a: MathSolver {} }",
    "team t { agent a: MathSolver { capacty: small } }",
    "team t { agent a: MathSolver { after: a b } }",
    'team t { goal: "open }',
])
def test_both_engines_reject_the_same_mistakes(text):
    assert not lark_accepts(text)
    assert not llguidance_accepts(grammar_text(), text)


@settings(max_examples=40)
@given(specs(comments=False, newline_free=True))
def test_the_strict_variant_accepts_formatted_teams(spec):
    text, _ = spec
    formatted = format_text(text)
    assert llguidance_accepts(strict_grammar(), formatted)


@given(specs(comments=False, newline_free=True))
@settings(max_examples=20)
def test_the_strict_variant_rejects_any_other_layout(spec):
    text, _ = spec
    formatted = format_text(text)
    for variant in (formatted.replace(": ", ":  ", 1), formatted.replace("\n", "\n\n", 1),
                    " " + formatted, formatted.replace("    ", "\t", 1)):
        assert not llguidance_accepts(strict_grammar(), variant)


def test_the_strict_variant_narrows_names_to_those_in_scope():
    grammar = strict_grammar(base_roles=["MathSolver"], levels=["small", "large"])
    ok = "team t {\n    agent a: MathSolver {\n        capacity: small\n    }\n}\n"
    assert llguidance_accepts(grammar, ok)
    assert not llguidance_accepts(grammar, ok.replace("MathSolver", "Inspector"))
    assert not llguidance_accepts(grammar, ok.replace("small", "medium"))
