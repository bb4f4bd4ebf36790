"""The adaptive family sampler (its floor holds), edit choice, and per-token credit."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lemonspec.compiler import check_text
from lemonspec.compiler.edits import FAMILIES
from lemonspec.training.alignment import token_credit
from lemonspec.training.config import ConfigError, CounterfactualConfig
from lemonspec.training.counterfactual import FamilySampler, choose_edit

SPEC = """team t {
    agent a: MathAnalyst {
        duty: "List the quantities."
        capacity: small
    }

    agent b: MathSolver {
        duty: "Solve."
        capacity: large
        after: a
    }

    output: b
}
"""

updates = st.lists(st.tuples(st.sampled_from(FAMILIES),
                             st.floats(-5, 5, allow_nan=False)), max_size=40)


@given(st.floats(0, 1 / 3), st.floats(0, 0.99), updates,
       st.lists(st.sampled_from(FAMILIES), min_size=1, unique=True))
@example(0.25, 0.0, [("drop_dependency", 5e-324)], ["drop_dependency"])  # a subnormal |Delta|
def test_every_available_family_keeps_at_least_the_floor(floor, decay, history, available):
    sampler = FamilySampler(FAMILIES, floor, decay)
    for family, delta in history:
        sampler.update(family, delta)
    probabilities = sampler.probabilities(available)
    assert set(probabilities) == set(available)
    assert sum(probabilities.values()) == pytest.approx(1.0)
    assert all(p >= floor - 1e-12 for p in probabilities.values())


def test_choice_follows_the_running_mean_of_abs_delta_but_never_starves_a_family():
    sampler = FamilySampler(FAMILIES, floor=0.1, decay=0.5)
    for _ in range(5):
        sampler.update("drop_dependency", -2.0)  # the sign does not matter, the size does
        sampler.update("remove_duty", 0.0)
        sampler.update("lower_capacity", 0.0)
    rng = random.Random(0)
    counts = Counter(sampler.choose(FAMILIES, rng) for _ in range(4000))
    assert counts["drop_dependency"] / 4000 == pytest.approx(0.8, abs=0.03)
    for family in ("remove_duty", "lower_capacity"):
        assert counts[family] / 4000 == pytest.approx(0.1, abs=0.02)


def test_an_untried_family_is_treated_optimistically():
    sampler = FamilySampler(FAMILIES, floor=0.0, decay=0.9)
    sampler.update("drop_dependency", 0.5)
    probabilities = sampler.probabilities(FAMILIES)
    assert probabilities["remove_duty"] == pytest.approx(probabilities["drop_dependency"])


def test_sampler_state_round_trips():
    sampler = FamilySampler(FAMILIES, 0.1, 0.9)
    sampler.update("remove_duty", 0.3)
    other = FamilySampler(FAMILIES, 0.1, 0.9)
    other.load_state_dict(sampler.state_dict())
    assert other.probabilities(FAMILIES) == sampler.probabilities(FAMILIES)
    assert other.counts == sampler.counts


def test_a_floor_too_high_for_the_families_is_a_config_error():
    with pytest.raises(ConfigError, match="floor"):
        CounterfactualConfig(floor=0.5)


def test_disabled_families_are_never_chosen_and_edits_are_legal():
    sampler = FamilySampler(("lower_capacity",), floor=0.0, decay=0.9)
    rng = random.Random(1)
    for _ in range(10):
        chosen = choose_edit(SPEC, check_text(SPEC).module, sampler, rng,
                             levels=("small", "medium", "large"))
        assert chosen.family == "lower_capacity"
        assert chosen.edit.detail == "b: capacity large -> medium"
        assert check_text(chosen.edit.text).ok


def test_no_edit_when_no_enabled_family_applies():
    one_agent = "team t {\n    agent a: MathSolver {}\n\n    output: a\n}\n"
    sampler = FamilySampler(FAMILIES, floor=0.1, decay=0.9)
    module = check_text(one_agent).module
    assert choose_edit(one_agent, module, sampler, random.Random(0), levels=("small",)) is None


def test_token_credit_puts_the_value_on_the_overlapping_tokens_only():
    offsets = [(0, 4), (4, 9), (9, 12), (12, 20)]
    assert token_credit((5, 10), offsets, 0.7) == [0.0, 0.7, 0.7, 0.0]


def test_a_chosen_edit_carries_its_credited_span():
    sampler = FamilySampler(("drop_dependency",), floor=0.0, decay=0.9)
    chosen = choose_edit(SPEC, check_text(SPEC).module, sampler, random.Random(0),
                         levels=("small", "medium", "large"))
    assert SPEC[slice(*chosen.span)] == "\n        after: a"
