"""The warm start's synthesized teams: valid, canonical, and sentences of the generation
grammar the constrained sampler uses (so warm start and sampler agree on every character)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from lemonspec.compiler import check_text, format_text
from lemonspec.orchestrator.constraint import GrammarConstraint, MatcherFactory, vocabulary
from lemonspec.training.config import parse_config
from lemonspec.training.models import embedded_tokenizer
from lemonspec.training.rollout import make_scope
from lemonspec.training.sft import sft_dataset, synthesize, synthesized_team
from lemonspec.training.tasks import Task


def grammar_accepts(text: str, config) -> bool:
    tokenizer = embedded_tokenizer()
    factory = MatcherFactory(vocabulary(tokenizer), make_scope(config))
    constraint = GrammarConstraint(factory)
    for token in tokenizer.encode(text, add_special_tokens=False):
        constraint.consume(token)  # raises on a rejected token
    return constraint.done


@settings(max_examples=25)
@given(st.integers(0, 10**6), st.sampled_from([(3, 12, 80), (4, 1, 1), (6, 16, 120)]))
def test_synthesized_teams_are_valid_canonical_generation_sentences(seed, bounds):
    agents, names, strings = bounds
    config = parse_config({"sampling": {"max_agents": agents, "max_name_chars": names,
                                        "max_string_chars": strings}})
    text = synthesized_team(config, random.Random(seed))
    assert check_text(text).ok
    assert format_text(text) == text
    module = check_text(text).module
    assert len(module.teams[0].agents) <= agents
    assert grammar_accepts(text, config)


def test_the_dataset_pairs_task_prompts_with_teams_in_chat_form():
    tasks = [Task(f"t{i}", f"prompt {i}", "input", "number", lambda a: False) for i in range(3)]
    examples = synthesize(tasks, parse_config({}), count=5, seed=0)
    assert [e.prompt for e in examples] == ["prompt 0", "prompt 1", "prompt 2", "prompt 0",
                                            "prompt 1"]
    row = sft_dataset(examples)[0]
    assert row["prompt"] == [{"role": "user", "content": "prompt 0"}]
    assert row["completion"][0]["role"] == "assistant"
    assert row["completion"][0]["content"].startswith("team lemon {")
