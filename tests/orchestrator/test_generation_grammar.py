"""The generation variant of lemon.lark: what an orchestrator may write, with or without
scope binding (grammar/variants.py, orchestrator/constraint.py)."""

import random

import attrs
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lemonspec.compiler import format_text
from lemonspec.grammar.variants import GenerationBounds, generation_grammar, keywords
from lemonspec.orchestrator import Scope, check_spec
from lemonspec.orchestrator.constraint import (
    GrammarConstraint,
    MatcherFactory,
    Vocabulary,
    vocabulary,
)
from lemonspec.orchestrator.offsets import TextAssembler
from lemonspec.orchestrator.prompt import template
from tests.compiler.strategies import team_models
from tests.llguidance_bytes import BYTES, ByteTokenizer, llguidance_accepts


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
                          "output", "vote", "description"}


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
    bounds = GenerationBounds(max_agents=3)
    two, three = "after: a, a", "after: a, a, a"
    assert accepts(generation_grammar(bounds=bounds), TEAM.replace("after: a", two))
    assert not accepts(generation_grammar(bounds=bounds), TEAM.replace("after: a", three))
    assert accepts(generation_grammar(bounds=bounds),
                   TEAM.replace("output: b", "output: vote(a, b, a)"))
    assert not accepts(generation_grammar(bounds=bounds),
                       TEAM.replace("output: b", "output: vote(a, b, a, b)"))


def test_the_number_of_agents_is_bounded():
    bounds = GenerationBounds(max_agents=2)
    three = TEAM.replace("    output: b", "    agent c: MathSolver {}\n\n    output: c")
    assert accepts(generation_grammar(bounds=GenerationBounds(max_agents=3)), three)
    assert not accepts(generation_grammar(bounds=bounds), three)


def _longest_team(bounds: GenerationBounds, role: str, level: str) -> str:
    """The longest sentence: every field, every string and name at its limit."""
    names = [chr(ord("a") + i) + "x" * (bounds.max_name_chars - 1)
             for i in range(bounds.max_agents)]
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


@pytest.mark.parametrize("bounds", [GenerationBounds(), GenerationBounds(3, 8, 16)])
def test_max_bytes_bounds_the_longest_sentence(bounds):
    longest = _longest_team(bounds, "ProgrammingExpert", "medium")
    assert accepts(generation_grammar(bounds=bounds, **MATH), longest)
    assert format_text(longest) == longest
    assert len(longest.encode()) <= bounds.max_bytes(**MATH)


# ---- the canonical rendering of random valid teams ---------------------------------------

words = st.from_regex(r"[!#-\[\]-~]{1,6}", fullmatch=True)
ascii_lines = st.lists(words, min_size=1, max_size=5).map(" ".join)


def render(team) -> str:
    """fmt's layout with the generation variant's choices: a goal first, fields in order,
    an output always (the only sink when the team gave none)."""
    quote = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    sep = ", "
    lines = [f"team {team.name} {{"]
    if team.goal is not None:
        lines += [f"    goal: {quote(team.goal)}", ""]
    for agent in team.agents:
        fields = ([f"duty: {quote(agent.duty)}"] if agent.duty is not None else []) + (
            [f"capacity: {agent.capacity}"] if agent.capacity else []) + (
            [f"after: {sep.join(agent.after)}"] if agent.after else [])
        if fields:
            lines += [f"    agent {agent.name}: {agent.role} {{",
                      *(f"        {f}" for f in fields), "    }", ""]
        else:
            lines += [f"    agent {agent.name}: {agent.role} {{}}", ""]
    used = {d for a in team.agents for d in a.after}
    output = team.output or tuple(a.name for a in team.agents if a.name not in used)[-1:]
    lines += [f"    output: {f'vote({sep.join(output)})' if team.vote else output[0]}", "}"]
    return "\n".join(lines) + "\n"


@given(team_models(max_agents=6, newline_free=True), st.data())
def test_random_formatted_teams_are_accepted(team, data):
    strings = {"goal": team.goal, **{a.name: a.duty for a in team.agents}}
    replaced = {k: data.draw(ascii_lines) for k, v in strings.items() if v is not None}
    team = attrs.evolve(
        team, goal=replaced.get("goal"),
        agents=tuple(attrs.evolve(a, duty=replaced.get(a.name)) for a in team.agents))
    text = render(team)
    assert format_text(text) == text
    assert accepts(generation_grammar(), text)


# ---- scope binding: the grammar is rebuilt at each agent declaration --------------------

def bound_accepts(tokenizer, text: str) -> bool:
    scope = Scope.for_family("math")
    constraint = GrammarConstraint(MatcherFactory(vocabulary(tokenizer), scope))
    assembler = TextAssembler()
    try:
        for token in tokenizer.encode(text, add_special_tokens=False):
            piece = assembler.add(vocabulary(tokenizer).token_bytes[token])
            constraint.consume(token, assembler.text, piece)
    except RuntimeError:
        return False
    return constraint.done


def test_binding_accepts_a_team_whose_references_point_back(tokenizer):
    assert bound_accepts(tokenizer, TEAM)
    assert bound_accepts(tokenizer, TEAM.replace("output: b", "output: vote(a, b)"))


@pytest.mark.parametrize("change", [
    ("after: a", "after: b"),  # itself
    ("after: a", "after: c"),  # unknown
    ("after: a", "after: a, a"),  # repeated
    ("output: b", "output: c"),  # unknown
    ("output: b", "output: vote(b, a)"),  # not in declaration order
    ("agent b:", "agent a:"),  # a duplicate
    ("small\n    }", "small\n        after: b\n    }"),  # forward
])
def test_binding_rejects_unbound_names_cycles_and_duplicates(tokenizer, change):
    changed = TEAM.replace(*change)
    assert changed != TEAM
    assert accepts(generation_grammar(**MATH), changed)  # the context-free grammar cannot
    assert not bound_accepts(tokenizer, changed)


# ---- random walks through the grammar, byte by byte -------------------------------------

BYTE_VOCABULARY = Vocabulary(None, BYTES, ByteTokenizer.tokens, frozenset({256}))


def random_walk(factory: MatcherFactory, rng: random.Random) -> tuple[str, int]:
    """A sentence drawn byte by byte, each allowed byte equally likely: unlike a language
    model, this walk takes every branch (long lists, long names) often. (text, bytes)."""
    scope = factory.scope
    constraint = GrammarConstraint(factory)
    assembler, length = TextAssembler(), 0
    bitmask = torch.zeros((1, 9), dtype=torch.int32)
    while not constraint.done and length <= scope.max_tokens():
        constraint.fill_mask(bitmask, 0)
        allowed = np.flatnonzero(np.unpackbits(bitmask.numpy().view(np.uint8),
                                               bitorder="little")[:256])
        token = int(rng.choice(allowed))
        piece = assembler.add(bytes([token]))
        constraint.consume(token, assembler.text, piece)
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
