"""Span alignment, property-tested over random specs (any layout, comments, non-ASCII
strings), random legal edits and the real SmolLM2 tokenizer, with token offsets computed the
way the sampler computes them (orchestrator/offsets.py, from each token's bytes)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lemonspec.compiler import check_text
from lemonspec.compiler.edits import FAMILIES, legal_edits
from lemonspec.orchestrator.constraint import vocabulary
from lemonspec.orchestrator.offsets import assemble
from lemonspec.training.alignment import credited_span, field_spans, token_mask
from lemonspec.training.models import embedded_tokenizer
from tests.compiler.strategies import specs


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


def test_dropping_the_only_dependency_credits_the_whole_after_field():
    text = ("team t {\n    agent a: MathSolver {}\n\n    agent b: Inspector {\n"
            "        after: a\n    }\n\n    output: b\n}\n")
    [edit] = legal_edits(text, "drop_dependency")
    span = credited_span(edit, check_text(text).module.teams[0])
    assert text[span[0]:span[1]] == "after: a"
