"""The reward of one executed spec, and its parts as TRL reward functions.

    R = success + alpha * efficiency - beta * structure      (a spec the checker accepts)
    R = invalid_penalty                                      (a spec it rejects)

success is 1 when the team's answer is right; efficiency = 1 - tokens / token_budget, clipped
to [0, 1], where tokens are every worker token the team costs (prompt and completion, all
agents, including those the node cache answered: a cache hit is a training artefact, not a
property of the team); structure = agent_weight * agents + edge_weight * edges.

The parts go to TRL as four reward functions (success, efficiency, structure, invalid) with
weights (1, alpha, beta, 1), so TRL logs each one and sums them exactly as `total` does. For
an invalid spec the first three are None (TRL counts them as 0 in the sum and leaves them out
of their logged means, so rewards/success/mean is the accuracy of valid teams).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from lemonspec.compiler.ir import TeamIR
from lemonspec.runtime.results import RunResult
from lemonspec.training.config import RewardConfig

PARTS_FIELD = "lemon_reward_parts"  # the rollout's extra field the reward functions read


@attrs.frozen
class RewardParts:
    valid: bool
    success: float = 0.0
    efficiency: float = 0.0
    structure: float = 0.0
    tokens: int = 0

    def total(self, config: RewardConfig) -> float:
        if not self.valid:
            return config.invalid_penalty
        return self.success + config.alpha * self.efficiency - config.beta * self.structure

    def as_row(self, config: RewardConfig) -> dict[str, float | None]:
        """What each TRL reward function returns for this spec (before its weight)."""
        if not self.valid:
            return {"success": None, "efficiency": None, "structure": None,
                    "invalid": config.invalid_penalty}
        return {"success": self.success, "efficiency": self.efficiency,
                "structure": -self.structure, "invalid": 0.0}


INVALID = RewardParts(valid=False)


def team_tokens(run: RunResult) -> int:
    """Every worker token the team costs, whether or not the cache served an agent."""
    return sum((a.prompt_tokens or 0) + (a.completion_tokens or 0) for a in run.agents)


def reward_parts(ir: TeamIR, run: RunResult, correct: bool, config: RewardConfig) -> RewardParts:
    edges = sum(len(a.after) for a in ir.agents)
    return counted_parts(correct, team_tokens(run), len(ir.agents), edges, config)


def counted_parts(correct: bool, tokens: int, agents: int, edges: int,
                  config: RewardConfig) -> RewardParts:
    """The parts of a valid team from its counts (what an evaluation record holds)."""
    efficiency = min(1.0, max(0.0, 1.0 - tokens / config.token_budget))
    structure = config.agent_weight * agents + config.edge_weight * edges
    return RewardParts(True, float(correct), efficiency, structure, tokens)


def _part(key: str) -> Callable[..., list[float | None]]:
    def reward(completions, **kwargs) -> list[float | None]:
        return [row[key] for row in kwargs[PARTS_FIELD]]

    reward.__name__ = key  # TRL logs each function under its name: rewards/<name>/mean
    return reward


def reward_functions(config: RewardConfig) -> tuple[list[Callable], list[float]]:
    """(functions, weights) for trl.GRPOTrainer / GRPOConfig.reward_weights."""
    names = ("success", "efficiency", "structure", "invalid")
    return [_part(n) for n in names], [1.0, config.alpha, config.beta, 1.0]
