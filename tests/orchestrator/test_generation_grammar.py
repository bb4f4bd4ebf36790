"""The generation variant of lemon.lark: what an orchestrator may write, with or without
(static) agent binding (grammar/variants.py, orchestrator/constraint.py)."""

import random

import attrs
import numpy as np
import pytest
from hypothesis import given

from lemonspec.compiler import format_text
from lemonspec.grammar.variants import (
    GenerationBounds,
    agent_names,
    generation_grammar,
    keywords,
)
from lemonspec.orchestrator import Scope, check_spec
from lemonspec.orchestrator.constraint import (
    GrammarConstraint,
    MatcherFactory,
    Vocabulary,
    allowed_tokens,
    vocabulary,
)
from lemonspec.orchestrator.offsets import TextAssembler
from lemonspec.orchestrator.prompt import template
from tests.llguidance_bytes import BYTES, ByteTokenizer, llguidance_accepts
from tests.orchestrator.teams import generation_teams


def accepts(grammar: str, text: str) -> bool:
    return llguidance_accepts(grammar, text)


MATH = {"base_roles": ("MathSolver", "MathAnalyst", "Inspector", "ProgrammingExpert"),
        "levels": ("small", "medium", "large")}
TEAM = '''team t {
    goal: "Solve it."

    agent a: MathAnalyst {
        duty: "List the facts."
        capacity: small
    }

    agent b: MathSolver {
        after: a
    }

    output: b
}
'''


def test_the_keywords_are_read_from_the_grammar():
    assert keywords() == {"use", "role", "team", "agent", "goal", "duty", "capacity", "after",
                          "output", "vote", "description", "answer"}


@pytest.mark.parametrize("family", ["math", "mmlu", "code"])
def test_the_prompt_examples_are_valid_formatted_and_generable(family):
    example = template().examples[family] + "\n"
    check = check_spec(example)
    assert check.ok and check.formatted and not check.diagnostics
    assert accepts(Scope.for_family(family).grammar(), example)


def test_a_formatted_team_in_scope_is_accepted():
    assert accepts(generation_grammar(**MATH), TEAM)
    assert accepts(generation_grammar(), TEAM.replace("Inspector", "AnyRole"))


@pytest.mark.parametrize("change", [
    ('"List the facts."', '"List  the facts."'),  # two spaces
    ('"List the facts."', '" List the facts."'),  # leading space
    ('"List the facts."', '"List the\\tfacts."'),  # an escaped tab
    ('"List the facts."', '"' + "x" * 201 + '"'),  # too long
    ('"List the facts."', '""'),  # empty
    ("agent a:", "agent " + "a" * 33 + ":"),  # name too long
    ("agent b:", "agent duty:"),  # a keyword as a name
    ("        duty: \"List the facts.\"\n        capacity: small",
     "        capacity: small\n        duty: \"List the facts.\""),  # field order
    ("        capacity: small\n", "        capacity: small\n        capacity: small\n"),
    ("\n    output: b\n", "\n"),  # no output
    ("    agent b:", "\n    agent b:"),  # an extra blank line
    ("MathSolver", "Historian"),  # a base role out of scope
    ("small", "tiny"),  # an unknown level
    ("team t {", "team t {  # comment"),
    ("}\n", "}\n\n"),  # trailing newline
])
def test_padding_repeats_and_names_out_of_scope_are_rejected(change):
    old, new = change
    assert old in TEAM
    assert not accepts(generation_grammar(**MATH), TEAM.replace(old, new, 1))


def test_lists_of_agents_are_bounded_without_binding_too():
    unbound = generation_grammar(bounds=GenerationBounds(max_agents=3), bind_agents=False)
    two, three = "after: a, a", "after: a, a, a"
    assert accepts(unbound, TEAM.replace("after: a", two))
    assert not accepts(unbound, TEAM.replace("after: a", three))
    assert accepts(unbound, TEAM.replace("output: b", "output: vote(a, b, a)"))
    assert not accepts(unbound, TEAM.replace("output: b", "output: vote(a, b, a, b)"))


@pytest.mark.parametrize("bind_agents", [True, False])
def test_the_number_of_agents_is_bounded(bind_agents):
    three = TEAM.replace("    output: b", "    agent c: MathSolver {}\n\n    output: c")
    for most, accepted in ((3, True), (2, False)):
        grammar = generation_grammar(bounds=GenerationBounds(max_agents=most),
                                     bind_agents=bind_agents)
        assert accepts(grammar, three) == accepted


def _longest_team(bounds: GenerationBounds, role: str, level: str, bound: bool) -> str:
    """The longest sentence: every field, every string and name at its limit (a bound
    team's agent names are fixed)."""
    names = (list(agent_names(bounds.max_agents)) if bound else
             [chr(ord("a") + i) + "x" * (bounds.max_name_chars - 1)
              for i in range(bounds.max_agents)])
    string = '"' + "y" * bounds.max_string_chars + '"'
    lines = [f"team {'T' * bounds.max_name_chars} {{", f"    goal: {string}", ""]
    for i, name in enumerate(names):
        lines += [f"    agent {name}: {role} {{", f"        duty: {string}",
                  f"        capacity: {level}"]
        if i:
            lines.append(f"        after: {', '.join(names[:i])}")
        lines += ["    }", ""]
    lines += [f"    output: vote({', '.join(names)})", "}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("bound", [True, False])
@pytest.mark.parametrize("bounds", [GenerationBounds(), GenerationBounds(3, 8, 16)])
def test_max_bytes_bounds_the_longest_sentence(bounds, bound):
    longest = _longest_team(bounds, "ProgrammingExpert", "medium", bound)
    assert accepts(generation_grammar(bounds=bounds, bind_agents=bound, **MATH), longest)
    assert format_text(longest) == longest
    assert len(longest.encode()) <= bounds.max_bytes(**MATH)


# ---- random teams, and static binding ------------------------------------------------------

@given(generation_teams(max_agents=6, bound=True))
def test_random_formatted_teams_with_positional_names_are_accepted(text):
    assert format_text(text) == text
    assert check_spec(text).ok
    assert accepts(generation_grammar(), text)
    assert accepts(generation_grammar(bind_agents=False), text)


@given(generation_teams(max_agents=6, bound=False))
def test_without_binding_any_names_are_accepted(text):
    assert format_text(text) == text
    assert accepts(generation_grammar(bind_agents=False), text)


def test_binding_accepts_a_team_whose_references_point_back():
    assert accepts(generation_grammar(**MATH), TEAM)
    assert accepts(generation_grammar(**MATH), TEAM.replace("output: b", "output: vote(a, b)"))


@pytest.mark.parametrize("change", [
    ("after: a", "after: b"),  # itself
    ("after: a", "after: c"),  # unknown
    ("after: a", "after: a, a"),  # repeated
    ("output: b", "output: c"),  # unknown
    ("output: b", "output: vote(b, a)"),  # not in declaration order
    ("output: b", "output: vote(a, a)"),  # repeated
    ("agent b:", "agent a:"),  # a duplicate
    ("agent b:", "agent c:"),  # not the name of its position
    ("agent b:", "agent solver:"),  # a free name
    ("small\n    }", "small\n        after: b\n    }"),  # forward
])
def test_binding_rejects_unbound_names_cycles_and_duplicates(change):
    changed = TEAM.replace(*change)
    assert changed != TEAM
    assert accepts(generation_grammar(bind_agents=False, **MATH), changed)
    assert not accepts(generation_grammar(**MATH), changed)


@pytest.mark.parametrize("agents", [1, 6, 26, 27, 64])
def test_the_bound_grammar_stays_small_and_compiles_at_any_size(tokenizer, agents):
    """The unrolling is linear in max_agents: up to the compiler's limit of 64 agents."""
    scope = Scope.for_family("math", bounds=GenerationBounds(max_agents=agents))
    assert len(scope.grammar()) < 1200 * agents + 2000
    factory = MatcherFactory(vocabulary(tokenizer), scope)
    names = agent_names(agents)
    last = f"    agent {names[-1]}: MathSolver {{\n        after: {', '.join(names[:-1])}\n    }}"
    text = "team t {\n" + "".join(f"    agent {n}: Inspector {{}}\n\n" for n in names[:-1])
    text += (last if agents > 1 else "    agent a: MathSolver {}") + "\n\n"
    text += f"    output: vote({', '.join(names)})\n}}\n"
    assert check_spec(text).ok
    constraint = GrammarConstraint(factory)
    for token in tokenizer.encode(text, add_special_tokens=False):
        constraint.consume(token)
    assert constraint.done


def test_agents_names_are_positional_and_never_keywords():
    names = agent_names(800)
    assert names[:3] == ("a", "b", "c") and names[25:28] == ("z", "aa", "ab")
    assert len(set(names)) == 800 and not set(names) & keywords()
    with pytest.raises(ValueError, match="max_name_chars"):
        generation_grammar(bounds=GenerationBounds(max_agents=27, max_name_chars=1))


# ---- random walks through the grammar, byte by byte -------------------------------------

BYTE_VOCABULARY = Vocabulary(None, BYTES, ByteTokenizer.tokens, frozenset({256}))


def random_walk(factory: MatcherFactory, rng: random.Random) -> tuple[str, int]:
    """A sentence drawn byte by byte, each allowed byte equally likely: unlike a language
    model, this walk takes every branch (long lists, long names) often. (text, bytes)."""
    scope = factory.scope
    constraint = GrammarConstraint(factory)
    assembler, length = TextAssembler(), 0
    while not constraint.done and length <= scope.max_tokens():
        [allowed] = allowed_tokens([constraint], len(ByteTokenizer.tokens))
        token = int(rng.choice(np.flatnonzero(allowed[:256])))
        assembler.add(bytes([token]))
        constraint.consume(token)
        length += 1
    return assembler.finish()[0], length


@pytest.mark.parametrize("bounds, walks",
                         [(GenerationBounds(), 20), (GenerationBounds(3, 8, 16), 100)],
                         ids=["default-bounds", "small-bounds"])
@pytest.mark.parametrize("binding", ["bound", "unbound", "unscoped"])
def test_random_walks_end_within_max_bytes_as_formatted_teams(bounds, walks, binding):
    scope = Scope() if binding == "unscoped" else Scope.for_family("math")
    scope = attrs.evolve(scope, bind_agents=binding == "bound", bounds=bounds)
    rng, factory = random.Random(f"{binding}-{walks}"), MatcherFactory(BYTE_VOCABULARY, scope)
    for _ in range(walks):
        text, length = random_walk(factory, rng)
        check = check_spec(text)
        assert length <= scope.max_tokens() and check.parses and check.formatted, text
        assert check.ok or binding != "bound", (text, check.codes)


def test_the_orchestrator_writes_no_answer_type_but_strict_specs_may_have_one():
    """The task gives the answer type: the generation grammars leave `answer:` out, the
    strict (formatted-spec) grammar keeps it."""
    from lemonspec.grammar.variants import strict_grammar

    assert "answer_field" in strict_grammar()
    for bind in (True, False):
        grammar = generation_grammar(bind_agents=bind)
        assert "answer_field" not in grammar and "_team_item" not in grammar
