"""The warm start's synthesized teams: valid, canonical, and sentences of the generation
grammar the constrained sampler uses (so warm start and sampler agree on every character)."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lemonspec.compiler import check_text, format_text
from lemonspec.orchestrator.constraint import GrammarConstraint, MatcherFactory, vocabulary
from lemonspec.orchestrator.offsets import TextAssembler
from lemonspec.training.config import parse_config
from lemonspec.training.models import embedded_tokenizer
from lemonspec.training.rollout import make_scope
from lemonspec.training.sft import sft_dataset, synthesize, synthesized_team
from lemonspec.training.tasks import Task


def grammar_accepts(text: str, config) -> bool:
    tokenizer = embedded_tokenizer()
    factory = MatcherFactory(vocabulary(tokenizer), make_scope(config))
    constraint, assembler = GrammarConstraint(factory), TextAssembler()
    for token in tokenizer.encode(text, add_special_tokens=False):
        piece = assembler.add(factory.vocab.token_bytes[token])
        constraint.consume(token, assembler.text, piece)  # raises on a rejected token
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


# ---- a warm start with knowledge: a teacher model, rejection sampling ------------------------

TEACHER_TEAM = """Here is my team:
```lemon
team solve_it {
    goal: "Solve the problem step by step"

    agent the_long_analyst: MathAnalyst {
        duty: "List the quantities and what is asked"
    }

    agent solver: MathSolver {
        after: the_long_analyst
        capacity: large
    }

    output: solver
}
```"""
NO_CAPACITY = """team t {
    agent a: MathSolver {}

    output: a
}
Hope this helps."""
# The teacher's reply for each request seed (prompt-major: prompt 0 gets seeds 0-2).
TEACHER_REPLIES = {
    0: TEACHER_TEAM,
    1: TEACHER_TEAM,  # the same team again: kept once
    2: "team t {\n    agent a: MathSolver { after: ghost }\n\n    output: a\n}\n",  # invalid
    3: "team t {\n    agent a: Historian {}\n\n    output: a\n}\n",  # a role outside the pool
    4: "team t {\n" + "".join(f"    agent {n}: MathSolver {{}}\n\n" for n in "abcd")
       + "    output: d\n}\n",  # too many agents
    5: NO_CAPACITY,
}


def teacher_config(model: str, **sft):
    return parse_config({
        "sampling": {"max_agents": 3, "max_name_chars": 12, "max_string_chars": 80},
        "sft": {"source": "teacher", "teacher": model, "samples": 3, "seed": 0, **sft}})


def test_a_teacher_models_valid_teams_are_kept_in_the_generation_layout_and_the_rest_counted():
    from lemonspec.runtime import ScriptedModel
    from lemonspec.training.sft import scope_checker, teacher_examples

    fake = ScriptedModel("sft-teacher", rule=lambda call: TEACHER_REPLIES[call.params["seed"]])
    config = teacher_config(fake.model)
    tasks = [Task(f"t{i}", f"prompt {i}", "input", "number", lambda a: False) for i in range(2)]
    fits = scope_checker(embedded_tokenizer(), config)
    collected = teacher_examples(tasks, config, fits, default_level="medium")
    assert collected.samples == 6 and collected.items == 2 and collected.kept_items == 2
    assert dict(collected.rejected) == {
        "duplicate": 1, "invalid: E0302": 1, "more than 3 agents": 1,
        "outside the sampling scope (roles, levels, sizes)": 1}, collected.rejected
    first, second = collected.examples
    assert (first.prompt, second.prompt) == ("prompt 0", "prompt 1")
    for example in collected.examples:
        assert check_text(example.completion).ok
        assert format_text(example.completion) == example.completion
        assert grammar_accepts(example.completion, config)
    # Put in the generation layout: a name shortened to fit, fields in grammar order.
    assert "agent analyst: MathAnalyst" in first.completion
    assert "capacity: large\n        after: analyst" in first.completion
    assert "capacity: medium" in second.completion  # the default level made explicit


def test_rejection_sampling_keeps_each_items_best_rewarded_valid_team(tmp_path, tokenizer):
    from lemonspec.training.models import load_orchestrator
    from lemonspec.training.rollout import LemonRollout, derived_seed
    from lemonspec.training.session import workers
    from lemonspec.training.sft import rejection_examples
    from lemonspec.training.tasks import load_tasks
    from tests.training.conftest import tiny_config

    config = tiny_config(tmp_path, sft={"source": "rejection", "items": 3, "samples": 4})
    profile, sim = workers(config)
    tasks = load_tasks(config, sim)[:3]
    model, tokenizer = load_orchestrator(config.model)
    collected = rejection_examples(model, tokenizer, tasks, config, profile)
    assert collected.samples == 12 and collected.items == 3
    # The same draws again (every seed derives from the item): the kept team of each item
    # is the one with the highest reward among its valid samples.
    rollout = LemonRollout(config.evolve(counterfactual={"enabled": False}), tasks, profile,
                           tokenizer)
    model.eval()
    kept = {e.prompt: e.completion for e in collected.examples}
    best_rewards = []
    for index, task in enumerate(tasks):
        drawn = rollout.sample(model, [task.prompt] * 4,
                               seed=derived_seed(0, "rejection", index))
        outcomes = rollout.evaluate([task] * 4, drawn, [f"sft:{index}:{i}" for i in range(4)])
        valid = [(o.reward, s.text) for s, o in zip(drawn, outcomes) if o.parts.valid]
        if not valid:
            assert task.prompt not in kept
            continue
        best = max(r for r, _ in valid)
        best_rewards.append(best)
        assert kept[task.prompt] in [text for r, text in valid if r == best]
    assert collected.kept_reward == pytest.approx(sum(best_rewards) / len(best_rewards))
    assert collected.kept_reward >= collected.sampled_reward


def test_rejection_that_keeps_nothing_is_a_clear_error(tmp_path):
    from click.testing import CliRunner

    from lemonspec.cli import main
    from tests.training.conftest import tiny_config
    from tests.training.test_cli_and_rollout import write_toml

    path = tmp_path / "sft.toml"
    write_toml(path, tiny_config(tmp_path / "out", sft={
        "source": "rejection", "items": 2, "samples": 2, "min_reward": 100.0,
        "output_dir": str(tmp_path / "sft")}))
    result = CliRunner().invoke(main, ["train", "sft", "--config", str(path), "--skip-eval"])
    assert result.exit_code == 2, result.output
    assert "gave no team to train on" in result.output
    assert "best below min_reward" in result.output


@pytest.mark.parametrize("source", ["rejection", "teacher", "templates"])
def test_lemonc_train_sft_measures_before_and_after_on_held_out_items(tmp_path, source):
    from click.testing import CliRunner

    from lemonspec.cli import main
    from lemonspec.runtime import ScriptedModel
    from tests.training.conftest import tiny_config
    from tests.training.test_cli_and_rollout import write_toml

    fake = ScriptedModel("sft-teacher-cli", rule=lambda call: NO_CAPACITY)
    extra = {"teacher": fake.model} if source == "teacher" else {}
    path = tmp_path / "sft.toml"
    write_toml(path, tiny_config(tmp_path / "out", sft={
        "source": source, "items": 3, "samples": 2, "examples": 4, "max_steps": 2,
        "eval_prompts": 2, "batch_size": 2, "output_dir": str(tmp_path / "sft"), **extra}))
    result = CliRunner().invoke(main, ["train", "sft", "--config", str(path)])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "sft" / "warm_start.json").read_text())
    assert record["source"] == source and record["held_out"] is True
    assert record["data"]["examples"] >= 1
    for when in ("before", "after"):
        assert record[when]["samples"] == 2
        assert record[when]["valid_constrained"] == 1.0  # the grammar guarantees it
    assert (tmp_path / "sft" / "model.safetensors").exists()
    assert "before and after the warm start, on held-out items" in result.output


def test_a_teacher_that_fails_is_a_clear_error(tmp_path):
    from click.testing import CliRunner

    from lemonspec.cli import main
    from lemonspec.runtime import ScriptedModel
    from lemonspec.runtime.scripted import Fault
    from tests.training.conftest import tiny_config
    from tests.training.test_cli_and_rollout import write_toml

    broken = ScriptedModel("sft-teacher-down", default="x",
                           faults=[Fault("bad_request", probability=1.0)])
    path = tmp_path / "sft.toml"
    write_toml(path, tiny_config(tmp_path / "out", sft={
        "source": "teacher", "teacher": broken.model, "items": 1, "samples": 2,
        "output_dir": str(tmp_path / "sft")}))
    result = CliRunner().invoke(main, ["train", "sft", "--config", str(path), "--skip-eval"])
    assert result.exit_code == 2, result.output
    assert f'[sft] teacher = "{broken.model}" failed' in result.output
    assert "Traceback" not in result.output
