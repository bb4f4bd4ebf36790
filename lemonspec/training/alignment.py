"""Grammar-aware span alignment: an AST field's character span -> a mask over the sample's
generated tokens.

The sampler gives each token the characters it completed (orchestrator/offsets.py): the
spans cover the text contiguously, and a token that completes no character (the first bytes
of a multi-byte character) has an empty span at the position of that pending character.

A token belongs to a span when its characters overlap it; an empty-span token counts as
holding the character at its position (its bytes are part of it). Consequences, which
tests/training/test_alignment.py checks with hypothesis over random specs, random edits and
the real SmolLM2 tokenizer:
  - the masked tokens' characters cover the span;
  - no token outside the span is masked;
  - boundaries: a token that straddles the end of one field and the start of the next (it
    holds the whole gap between them) belongs to both, so each field gets its credit and
    credits of the two add up on it; that is the only way masks of two fields can overlap,
    and at most one token can do it.
"""

from __future__ import annotations

from collections.abc import Sequence

from lemonspec.compiler import ast
from lemonspec.compiler.edits import Edit

Offsets = Sequence[tuple[int, int]]


def _held(start: int, end: int) -> tuple[int, int]:
    """The characters a token holds: an empty span holds its pending character."""
    return (start, end) if end > start else (start, start + 1)


def token_mask(span_start: int, span_end: int, offsets: Offsets) -> list[bool]:
    """mask[i]: token i overlaps the characters [span_start, span_end)."""
    mask = []
    for start, end in offsets:
        start, end = _held(start, end)
        mask.append(start < span_end and end > span_start)
    return mask


def credited_span(edit: Edit, team: ast.Team) -> tuple[int, int]:
    """Where the counterfactual credit of an edit goes: the edited field's target span, or
    the whole `after` field when dropping its only name removed the field. (The decision that
    made that edge was writing `after:` at all; the name itself may have been the only one
    the grammar allowed, i.e. no decision.)"""
    target = (edit.target.start, edit.target.end)
    if edit.family == "drop_dependency":
        after = team.agent(edit.agent).after
        if after is not None and len(after.agents) == 1:
            return after.span.start, after.span.end
    return target


def field_spans(team: ast.Team) -> list[tuple[int, int]]:
    """The span of every agent field and agent name of a team, in source order."""
    spans = []
    for agent in team.agents:
        spans.append((agent.name.span.start, agent.name.span.end))
        spans += [(f.span.start, f.span.end) for f in agent.fields]
    return sorted(spans)
