"""Span alignment, property-tested over random specs (any layout, comments, non-ASCII
strings), random legal edits and the real SmolLM2 tokenizer, with token offsets computed the
way the sampler computes them (orchestrator/offsets.py, from each token's bytes); and, over
teams the generation grammar admits, that every legal edit's credit lands on a decision."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lemonspec.compiler import check_text
from lemonspec.compiler.edits import FAMILIES, legal_edits
from lemonspec.orchestrator import Scope
from lemonspec.orchestrator.constraint import vocabulary
from lemonspec.orchestrator.decoding import forced_sample
from lemonspec.orchestrator.offsets import assemble
from lemonspec.training.alignment import credited_span, field_spans, token_mask
from lemonspec.training.models import embedded_tokenizer
from tests.compiler.strategies import LEVELS, specs
from tests.orchestrator.teams import generation_teams


def tokenized(text: str):
    """The SmolLM2 tokens of `text` and each token's characters, as the sampler sees them."""
    tokenizer = embedded_tokenizer()
    ids = tokenizer.encode(text, add_special_tokens=False)
    token_bytes = vocabulary(tokenizer).token_bytes
    rebuilt, offsets = assemble(token_bytes[i] for i in ids)
    assert rebuilt == text
    return offsets


def held(start: int, end: int) -> set[int]:
    return set(range(start, max(end, start + 1)))


def assert_exact(span: tuple[int, int], offsets, mask: list[bool]) -> None:
    covered = set().union(*(held(*offsets[i]) for i, m in enumerate(mask) if m))
    assert set(range(*span)) <= covered, "the masked tokens cover the span"
    for i, m in enumerate(mask):
        overlaps = bool(held(*offsets[i]) & set(range(*span)))
        assert m == overlaps, f"token {i} {offsets[i]} is masked iff it overlaps {span}"


@given(specs(max_agents=4))
def test_every_field_mask_is_exact_and_fields_share_at_most_a_boundary_token(drawn):
    text, _ = drawn
    offsets = tokenized(text)
    spans = field_spans(check_text(text).module.teams[0])
    masks = [token_mask(*span, offsets) for span in spans]
    for span, mask in zip(spans, masks):
        assert_exact(span, offsets, mask)
    for a in range(len(spans)):
        for b in range(a + 1, len(spans)):
            first, second = sorted((spans[a], spans[b]))
            shared = [i for i, (x, y) in enumerate(zip(masks[a], masks[b])) if x and y]
            assert len(shared) <= 1
            for i in shared:  # a boundary token holds the whole gap between the two fields
                start, end = offsets[i]
                assert start < first[1] and max(end, start + 1) > second[0]


@given(specs(max_agents=4), st.data())
def test_the_credited_span_of_a_random_edit_maps_to_exactly_its_tokens(drawn, data):
    text, _ = drawn
    edits = [e for family in FAMILIES for e in legal_edits(text, family)]
    if not edits:
        return
    edit = data.draw(st.sampled_from(edits))
    team = check_text(text).module.teams[0]
    span = credited_span(edit, team)
    assert span[0] <= edit.target.start and edit.target.end <= span[1]
    offsets = tokenized(text)
    assert_exact(span, offsets, token_mask(*span, offsets))


def test_an_empty_span_token_belongs_where_its_pending_character_is():
    # Tokens 1 and 2 share one character (the first holds its leading bytes only).
    offsets = [(0, 3), (3, 3), (3, 4), (4, 6)]
    assert token_mask(3, 4, offsets) == [False, True, True, False]
    assert token_mask(0, 3, offsets) == [True, False, False, False]


# ---- credit lands on decisions ------------------------------------------------------------

TEAM = """team t {
    agent a: MathAnalyst {
        capacity: large
    }

    agent b: MathSolver {
        duty: "Solve."
        after: a
    }

    agent c: Inspector {
        capacity: medium
        after: a, b
    }

    output: c
}
"""


def credited_texts(text: str, family: str) -> list[str]:
    team = check_text(text).module.teams[0]
    return [text[slice(*credited_span(e, team))] for e in legal_edits(text, family)]


def test_each_family_credits_the_text_its_decisions_wrote():
    # The first name: the layout that opened `after`, the key and the name (all three are
    # forced when only `a` can be named); a later name: the `,` that continued the list.
    assert credited_texts(TEAM, "drop_dependency") == [
        "\n        after: a", "\n        after: a", ", b"]
    assert credited_texts(TEAM, "remove_duty") == ['\n        duty: "Solve."']
    assert credited_texts(TEAM, "lower_capacity") == ["large", "medium"]


def forbidden_spans(team, edit) -> list[tuple[int, int]]:
    """Every field of the team but the edited one, every agent's name and role, and the
    other names of an edited `after` list: where an edit's credit must not go."""
    agent = team.agent(edit.agent)
    edited = next(f for f in agent.fields if f.span.start <= edit.target.start < f.span.end)
    spans = [(s.start, s.end) for s in (team.goal.span if team.goal else None,
                                        team.output.span if team.output else None) if s]
    for other in team.agents:
        spans += [(other.name.span.start, other.name.span.end),
                  (other.base_role.span.start, other.base_role.span.end)]
        spans += [(f.span.start, f.span.end) for f in other.fields if f is not edited]
    if edit.family == "drop_dependency":
        spans += [(n.span.start, n.span.end) for n in edited.agents if n.span != edit.target]
    return spans


SCOPE = Scope(levels=LEVELS)


@settings(max_examples=150, deadline=None)
@given(generation_teams(max_agents=6))
def test_every_legal_edit_credits_a_chosen_token_and_no_other_field(text):
    """Over teams the generation grammar admits, tokenized by SmolLM2 and marked chosen or
    forced as the decoder marks them, for every legal edit of all three families."""
    tokenizer = embedded_tokenizer()
    sample = forced_sample(tokenizer, tokenizer.encode(text, add_special_tokens=False), SCOPE)
    assert sample.text == text and sample.finish_reason == "grammar"
    team = check_text(text).module.teams[0]
    for family in FAMILIES:
        for edit in legal_edits(text, family):
            mask = token_mask(*credited_span(edit, team), sample.token_offsets)
            credited = [i for i, m in enumerate(mask) if m]
            assert any(sample.chosen[i] for i in credited), (edit.detail, text)
            for start, end in forbidden_spans(team, edit):
                assert not any(token_mask(start, end, [sample.token_offsets[i]])[0]
                               for i in credited), (edit.detail, text[start:end], text)
