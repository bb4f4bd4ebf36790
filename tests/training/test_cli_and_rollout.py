"""`lemonc train` end to end on the tiny configuration, and rollout details: which tokens are
decisions, and what the counterfactual costs with the node cache."""

from __future__ import annotations

import json
import tomllib

import attrs
import pytest
from click.testing import CliRunner

from lemonspec.cli import main
from lemonspec.orchestrator.decoding import Sample, forced_sample
from lemonspec.training.rollout import LemonRollout, decision_mask
from lemonspec.training.session import workers
from lemonspec.training.tasks import load_tasks
from tests.training.conftest import tiny_config


def write_toml(path, config) -> None:
    """The configuration as a file with the tables it was made from."""
    lines = []
    for section, table in config.to_dict().items():
        if section not in config.tables:
            continue
        lines.append(f"[{section}]")
        for key, value in table.items():
            if value is not None:
                lines.append(f"{key} = {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n")
    tomllib.loads(path.read_text())


def test_lemonc_train_runs_checkpoints_and_resumes(tmp_path):
    config_path = tmp_path / "tiny.toml"
    write_toml(config_path, tiny_config(tmp_path / "out", train={"max_steps": 2}))
    runner = CliRunner()
    result = runner.invoke(main, ["train", "--config", str(config_path)])
    assert result.exit_code == 0, result.output
    assert "worker calls:" in result.output
    assert (tmp_path / "out" / "checkpoint-2" / "lemon_state.json").exists()
    resumed = runner.invoke(main, ["train", "--config", str(config_path), "--resume",
                                   "--max-steps", "3"])
    assert resumed.exit_code == 0, resumed.output
    steps = [json.loads(line)["step"] for line in
             (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert 3 in steps and steps.count(1) == 1


def test_a_bad_config_or_a_missing_checkpoint_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[reward]\nalpah = 1\n")
    result = CliRunner().invoke(main, ["train", "--config", str(bad)])
    assert result.exit_code == 2 and "alpah" in result.output
    good = tmp_path / "good.toml"
    write_toml(good, tiny_config(tmp_path / "empty"))
    result = CliRunner().invoke(main, ["train", "--config", str(good), "--resume"])
    assert result.exit_code == 2 and "no complete checkpoint" in result.output


def test_missing_data_prints_its_hint_as_a_hint_line(capsys):
    from lemonspec.benchmarks import Error
    from lemonspec.training.cli import _usage_errors

    with pytest.raises(SystemExit) as exited, _usage_errors():
        raise Error("no local gsm8k data found", "set LEMONSPEC_DATA to a folder")
    assert exited.value.code == 2
    assert capsys.readouterr().err == ("error: no local gsm8k data found\n"
                                       "hint: set LEMONSPEC_DATA to a folder\n")


def test_env_mask_is_the_decoders_chosen_marks(tokenizer, tmp_path):
    config = tiny_config(tmp_path)
    profile, sim = workers(config)
    rollout = LemonRollout(config, load_tasks(config, sim), profile, tokenizer)
    text = ("team t {\n    agent a: MathSolver {\n        capacity: large\n    }\n\n"
            "    output: a\n}\n")
    sample = forced_sample(tokenizer, tokenizer.encode(text, add_special_tokens=False),
                           rollout.scope)
    mask = decision_mask(sample)
    pieces = [tokenizer.decode([i]) for i in sample.token_ids]
    chosen = {p for p, m in zip(pieces, mask) if m}
    forced = {p for p, m in zip(pieces, mask) if not m}
    assert " large" in chosen  # the capacity level is a choice
    assert " a" in forced  # the first agent's name is fixed by the grammar
    assert "}" in forced or "}\n" in forced  # the closing of the team is forced
    with pytest.raises(ValueError, match="chosen/forced"):
        decision_mask(attrs.evolve(sample, chosen=None))


def test_the_node_cache_keeps_the_counterfactual_cheap(tmp_path):
    config = tiny_config(tmp_path)
    profile, sim = workers(config)
    tasks = load_tasks(config, sim)
    rollout = LemonRollout(config, tasks, profile, None)
    chain = ("team t {\n    agent a: MathAnalyst {\n        capacity: small\n    }\n\n"
             "    agent b: MathSolver {\n        capacity: large\n    }\n\n"
             "    agent c: Inspector {\n        after: a, b\n    }\n\n    output: c\n}\n")
    sample = Sample(chain, (), (), (), True, "grammar")
    outcomes = rollout.evaluate([tasks[0]] * 6, [sample] * 6, [str(i) for i in range(6)])
    for outcome in outcomes:
        assert outcome.spend.calls == 3
        # Only the edited agent and its descendants call a worker again.
        assert outcome.edit.spend.calls == (1 if outcome.edit.detail.startswith("c:") else 2)
        assert outcome.edit.agents == 3
    assert rollout.stats.counterfactual.calls < rollout.stats.original.calls


def simulator_rollout(tmp_path, tasks=None):
    """(rollout, tasks, profile, simulator) of the tiny simulator config, no edits."""
    config = tiny_config(tmp_path, counterfactual={"enabled": False})
    profile, sim = workers(config)
    tasks = tasks(load_tasks(config, sim)) if tasks else load_tasks(config, sim)
    return LemonRollout(config, tasks, profile, None), tasks, profile, sim


def test_a_team_that_declares_its_answer_type_is_read_by_the_tasks_declared_reader(tmp_path):
    """The rollout asks the task how a declared type is read (a benchmark task answers
    with bench's item_extractor under it), and keeps the task's own reading otherwise."""
    from lemonspec.compiler.ir import AnswerType

    asked = []

    def reader(declared):
        asked.append(declared)
        return "number"

    rollout, tasks, _, _ = simulator_rollout(tmp_path, lambda tasks: [
        attrs.evolve(t, declared_reader=reader) for t in tasks])
    declared = "team t {\n    answer: number\n    agent a: MathSolver {}\n\n    output: a\n}\n"
    bare = declared.replace("    answer: number\n", "")
    rollout.evaluate([tasks[0]], [Sample(bare, (), (), (), True, "grammar")], ["k"])
    assert asked == []
    rollout.evaluate([tasks[1]], [Sample(declared, (), (), (), True, "grammar")], ["k"])
    assert asked == [AnswerType("number")]


def test_an_agent_without_capacity_runs_at_the_profiles_default_level(tmp_path):
    from lemonspec.training.simulator import COMPLETION_TOKENS, DEFAULT_LEVEL

    rollout, tasks, profile, sim = simulator_rollout(tmp_path)
    bare = "team t {\n    agent a: MathSolver {}\n\n    output: a\n}\n"
    [outcome] = rollout.evaluate([tasks[0]], [Sample(bare, (), (), (), True, "grammar")], ["k"])
    assert profile.default_level == DEFAULT_LEVEL == "small"
    assert sim.models["small"].calls and not sim.models["medium"].calls
    assert outcome.parts.tokens > COMPLETION_TOKENS["small"]


def test_a_sample_declaring_another_answer_type_is_invalid_not_a_crash(tmp_path):
    # Unconstrained sampling can write an `answer:` item the task's answers are not.
    rollout, tasks, _, sim = simulator_rollout(tmp_path)
    text = "team t {\n    answer: text\n    agent a: MathSolver {}\n\n    output: a\n}\n"
    [outcome] = rollout.evaluate([tasks[0]], [Sample(text, (), (), (), False, "eos")], ["k"])
    from lemonspec.training.rewards import INVALID

    assert outcome.parts == INVALID and outcome.spend.calls == 0
    assert "declares `answer: text`" in outcome.error and tasks[0].id in outcome.error
    assert not any(model.calls for model in sim.models.values())  # refused before running
