"""The reward and its TRL parts; the configuration file and the shipped examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from lemonspec.compiler import compile_text
from lemonspec.runtime.results import AgentResult, RunResult
from lemonspec.training.config import ConfigError, RewardConfig, load_config, parse_config
from lemonspec.training.rewards import INVALID, reward_functions, reward_parts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "training"
TEAM = compile_text("""team t {
    agent a: MathAnalyst {}

    agent b: MathSolver {
        after: a
    }

    output: b
}
""")


def run_costing(tokens_a: int, tokens_b: int, cached_b: bool = False) -> RunResult:
    agents = (AgentResult("a", "medium", "m", "ok", "x", prompt_tokens=tokens_a,
                          completion_tokens=0, attempts=1),
              AgentResult("b", "medium", "m", "ok", "Answer: 4", prompt_tokens=tokens_b,
                          completion_tokens=0, cached=cached_b, attempts=0 if cached_b else 1))
    return RunResult("t", "r", "4", TEAM.output, agents, 0.0)


def test_reward_is_success_plus_efficiency_minus_structure():
    config = RewardConfig(alpha=0.5, beta=0.1, token_budget=1000, agent_weight=1.0,
                          edge_weight=0.5)
    parts = reward_parts(TEAM, run_costing(300, 200), True, config)
    assert parts.tokens == 500 and parts.efficiency == pytest.approx(0.5)
    assert parts.structure == pytest.approx(2 * 1.0 + 1 * 0.5)
    assert parts.total(config) == pytest.approx(1 + 0.5 * 0.5 - 0.1 * 2.5)


def test_cached_agents_still_count_in_what_a_team_costs():
    config = RewardConfig()
    assert reward_parts(TEAM, run_costing(300, 200, cached_b=True), False, config).tokens == 500


def test_an_invalid_spec_gets_the_fixed_penalty_and_trl_sums_the_same_reward():
    config = RewardConfig(alpha=0.3, beta=0.05, invalid_penalty=-0.7)
    functions, weights = reward_functions(config)
    valid = reward_parts(TEAM, run_costing(100, 100), True, config)
    rows = [valid.as_row(config), INVALID.as_row(config)]
    columns = [f(completions=[None, None], lemon_reward_parts=rows) for f in functions]
    sums = [sum(w * (c[i] or 0.0) for w, c in zip(weights, columns)) for i in range(2)]
    assert sums == pytest.approx([valid.total(config), -0.7])
    assert [f.__name__ for f in functions] == ["success", "efficiency", "structure", "invalid"]


def test_unknown_keys_and_tables_are_errors_with_the_closest_name():
    with pytest.raises(ConfigError, match=r"\[reward\] unknown key alpah \(did you mean alpha"):
        parse_config({"reward": {"alpah": 1}})
    with pytest.raises(ConfigError, match=r"unknown table \[rewards\] \(did you mean reward"):
        parse_config({"rewards": {}})
    with pytest.raises(ConfigError, match="'drop_edge' is not one of"):
        parse_config({"counterfactual": {"families": ["drop_edge"]}})


# A valid `lemonc train` file; each bad case below replaces or adds one line of one table.
GOOD = {
    "model": {"name": '"tiny-random"', "lora": "false"},
    "data": {"dataset": '"simulator"'},
    "workers": {"profile": '"simulator"'},
    "simulator": {"tasks": "4"},
    "train": {"output_dir": '"OUT"', "max_steps": "1"},
}

# (table, key, TOML value, what the message must also say). Every message names the table,
# the key and the value as written; the last part is what is allowed.
BAD_VALUES = [
    ("train", "max_steps", '"six"', "an integer >= 1"),
    ("train", "max_steps", "0", "an integer >= 1"),
    ("train", "max_steps", "2.5", "an integer >= 1"),
    ("train", "max_steps", "true", "an integer >= 1"),
    ("train", "learning_rate", "0", "a number > 0"),
    ("train", "learning_rate", "nan", "a number > 0"),
    ("train", "save_steps", "-1", "an integer >= 1"),
    ("train", "tasks_per_step", "0", "an integer >= 1"),
    ("train", "output_dir", '""', "a non-empty string"),
    ("sampling", "num_generations", "0", "an integer >= 2"),
    ("sampling", "num_generations", "1", "an integer >= 2"),
    ("sampling", "max_agents", "0", "an integer >= 1"),
    ("sampling", "levels", "[]", "not empty"),
    ("sampling", "levels", '"small"', "a list of names"),
    ("sampling", "levels", '["small", "small"]', "must not repeat"),
    ("sampling", "levels", '["small", "huge"]', "the simulator's levels are small, medium"),
    ("sampling", "temperature", "0", "a number > 0"),
    ("sampling", "top_p", "1.5", "<= 1"),
    ("sampling", "role_pool", '"maths"', "did you mean math"),
    ("sampling", "roles", '["MathSolvr"]', "did you mean MathSolver"),
    ("sampling", "constrained", '"yes"', "true or false"),
    ("data", "dataset", '"gsm9k"', "did you mean gsm8k"),
    ("data", "limit", "0", "an integer >= 1"),
    ("workers", "profile", '"embeded"', "did you mean embedded"),
    ("workers", "concurrency", "0", "an integer >= 1"),
    ("reward", "token_budget", "0", "an integer >= 1"),
    ("reward", "alpha", "-0.5", "a number >= 0"),
    ("reward", "alpha", '"high"', "a number >= 0"),
    ("counterfactual", "floor", "0.5", "at most 0.333"),
    ("counterfactual", "families", '["drop_edge"]', "is not one of drop_dependency"),
    ("counterfactual", "families", '["remove_duties"]', "did you mean remove_duty"),
    ("counterfactual", "mean_decay", "1", "< 1"),
    ("counterfactual", "edit_fraction", "2", "<= 1"),
    ("model", "tiny_heads", "3", "must divide tiny_hidden_size"),
    ("model", "lora_r", "0", "an integer >= 1"),
    ("model", "init_adapter", '"no/such/folder"', "no adapter or model there"),
    ("simulator", "task_types", '["algebra"]', "is not one of arithmetic"),
    ("simulator", "tasks", "0", "an integer >= 1"),
    ("eval", "every", "-1", "an integer >= 0"),
    ("eval", "items", "0", "an integer >= 1"),
    ("eval", "best_by", '"acuracy"', "did you mean accuracy"),
    ("eval", "greedy", '"yes"', "true or false"),
]

# Whole-file mistakes: (extra TOML text, what the message must say).
BAD_FILES = [
    ("[reward]\nalpah = 1\n", "[reward] unknown key alpah (did you mean alpha?)"),
    ("[rewards]\nalpha = 1\n", "unknown table [rewards] (did you mean reward?)"),
    ("[trl]\nbeta = 0.0\nnum_generation = 4\n",
     "[trl] unknown key num_generation (did you mean num_generations?)"),
    ("[trl]\nbeta = 0.0\ngeneration_batch_size = 3\n", "trl.GRPOConfig refuses"),
    ("[sft]\noutput_dir = \"x\"\n", "[sft] source is missing"),
    ("[sft]\nsource = \"teachers\"\n", "did you mean teacher"),
    ("[sft]\nsource = \"teacher\"\n", "needs a LiteLLM model name"),
    ("[eval]\nsplit = \"test\"\n", "[eval] split = \"test\": the simulator has no splits"),
]


def good_toml(table: str | None = None, key: str | None = None, value: str | None = None,
              output_dir: str = "OUT") -> str:
    tables = {name: dict(keys) for name, keys in GOOD.items()}
    tables["train"]["output_dir"] = f'"{output_dir}"'
    if table is not None:
        tables.setdefault(table, {})[key] = value
    return "".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
                   for name, keys in tables.items())


def run_train(tmp_path, text: str):
    from click.testing import CliRunner

    from lemonspec.cli import main

    path = tmp_path / "bad.toml"
    path.write_text(text)
    return CliRunner().invoke(main, ["train", "--config", str(path)])


@pytest.mark.parametrize(("table", "key", "value", "allowed"), BAD_VALUES,
                         ids=[f"{t}.{k}={v}" for t, k, v, _ in BAD_VALUES])
def test_a_bad_value_exits_2_naming_the_key_the_value_and_what_is_allowed(
        tmp_path, table, key, value, allowed):
    text = good_toml(table, key, value, str(tmp_path / "out"))
    result = run_train(tmp_path, text)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = result.output
    assert "Traceback" not in message
    assert f"[{table}]" in message and key in message, message
    assert value in message or repr(float(value)) in message, message  # 2 is read as 2.0
    assert allowed in message, message
    assert not (tmp_path / "out").exists()  # refused before anything ran


@pytest.mark.parametrize(("extra", "said"), BAD_FILES, ids=[s for _, s in BAD_FILES])
def test_a_bad_file_exits_2_with_a_message_not_a_traceback(tmp_path, extra, said):
    result = run_train(tmp_path, good_toml(output_dir=str(tmp_path / "out")) + extra)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert said in result.output, result.output


def test_every_table_with_a_mistake_is_reported_at_once(tmp_path):
    text = good_toml(output_dir=str(tmp_path / "out")) + (
        "[sampling]\nmax_agents = 0\n[reward]\nalpha = -1\n[rewards]\n")
    result = run_train(tmp_path, text)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines), lines
    assert "[sampling] max_agents = 0" in lines[1] and "[reward] alpha = -1" in lines[2]
    assert "unknown table [rewards]" in lines[0]


def test_the_good_file_of_the_bad_cases_is_good():
    config = parse_config(__import__("tomllib").loads(good_toml()))
    assert config.train.max_steps == 1 and config.tables >= {"train", "model"}


def test_a_config_for_another_command_is_refused_with_what_to_run(tmp_path):
    from click.testing import CliRunner

    from lemonspec.cli import main

    sft = EXAMPLES / "sft_smoke.toml"
    result = CliRunner().invoke(main, ["train", "--config", str(sft)])
    assert result.exit_code == 2
    assert "no [train] table" in result.output
    assert f"run `lemonc train sft --config {sft}`" in result.output
    grpo = EXAMPLES / "simulator.toml"
    result = CliRunner().invoke(main, ["train", "sft", "--config", str(grpo)])
    assert result.exit_code == 2
    assert "no [sft] table" in result.output and f"`lemonc train --config {grpo}`" in (
        result.output)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_every_example_config_loads(path):
    config = load_config(path)
    assert config.sampling.num_generations >= 2


def test_evolve_changes_only_the_keys_given():
    config = parse_config({"train": {"max_steps": 7}})
    changed = config.evolve(train={"seed": 3}, trl={"beta": 0.1})
    assert (changed.train.seed, changed.train.max_steps, changed.trl) == (3, 7, {"beta": 0.1})


@pytest.mark.parametrize("table", ["data", "eval"])
def test_a_benchmark_split_that_does_not_exist_is_named(table):
    """A dataset without the requested split: the configuration says which it has."""
    from lemonspec.training.config import ConfigError, parse_config

    data = {"data": {"dataset": "gsm8k"}, "train": {}}
    data[table] = {**data.get(table, {}), "split": "dev"}
    with pytest.raises(ConfigError, match=fr'\[{table}\] split = "dev": gsm8k has the splits '
                                          "test, train"):
        parse_config(data)
