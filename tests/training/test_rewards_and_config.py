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


def test_unknown_keys_and_sections_are_errors():
    with pytest.raises(ConfigError, match=r"\[reward\] unknown key alpah"):
        parse_config({"reward": {"alpah": 1}})
    with pytest.raises(ConfigError, match=r"unknown section \[rewards\]"):
        parse_config({"rewards": {}})
    with pytest.raises(ConfigError, match="unknown families"):
        parse_config({"counterfactual": {"families": ["drop_edge"]}})


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_every_example_config_loads(path):
    config = load_config(path)
    assert config.sampling.num_generations >= 2


def test_evolve_changes_only_the_keys_given():
    config = parse_config({"train": {"max_steps": 7}})
    changed = config.evolve(train={"seed": 3}, trl={"beta": 0.1})
    assert (changed.train.seed, changed.train.max_steps, changed.trl) == (3, 7, {"beta": 0.1})
