"""Grammar-aware span alignment: where an edit's credit goes (`credited_span`), and a
character span -> a mask over the sample's generated tokens -> per-token credit.

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


def token_credit(span: tuple[int, int], offsets: Offsets, value: float) -> list[float]:
    """`value` on every token of the span, 0 elsewhere: the per-token extra advantage of an
    edit. The one place where a credited span becomes per-token credit."""
    return [value if inside else 0.0 for inside in token_mask(*span, offsets)]


# ---- where each edit family's credit goes -----------------------------------------------------
#
# The credit of an edit goes to the characters written by the decisions that made the edited
# element, so that it always holds a token the model chose among several (the generation
# grammar forces many tokens: `env_mask` leaves those out of the loss). Agents are named by
# position, so names carry no decision; what does:
#   drop_dependency  the first name of an `after` list: the layout that opened the field
#                    (choosing `after` over closing the agent or another field), the key and
#                    the name; a later name: the `,` that continued the list (the name itself
#                    is forced when it is the last one left) and the name.
#   remove_duty      the layout that opened the field, and the field (its text is free).
#   lower_capacity   the level (chosen among the levels in scope).
# tests/training/test_alignment.py checks, over generated teams and the real tokenizer, that
# every legal edit's credit holds a chosen token and no token of another field.

def credited_span(edit: Edit, team: ast.Team) -> tuple[int, int]:
    """The characters whose tokens get the counterfactual credit of `edit` on `team` (the
    original team, as checked)."""
    agent = team.agent(edit.agent)
    if edit.family == "drop_dependency":
        names = agent.after.agents
        index = next(i for i, n in enumerate(names) if n.span == edit.target)
        start = _opening(agent, agent.after) if index == 0 else names[index - 1].span.end
        return start, edit.target.end
    if edit.family == "remove_duty":
        return _opening(agent, agent.duty), agent.duty.span.end
    return edit.target.start, edit.target.end


def _opening(agent: ast.Agent, field) -> int:
    """Where the layout before a field starts: the end of the previous field, or just after
    the agent body's `{`."""
    index = agent.fields.index(field)
    return agent.fields[index - 1].span.end if index else agent.body.start + 1


def field_spans(team: ast.Team) -> list[tuple[int, int]]:
    """The span of every agent field and agent name of a team, in source order."""
    spans = []
    for agent in team.agents:
        spans.append((agent.name.span.start, agent.name.span.end))
        spans += [(f.span.start, f.span.end) for f in agent.fields]
    return sorted(spans)
