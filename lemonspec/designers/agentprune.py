"""AgentPrune (Zhang et al., 2024, "Cut the Crap"; github.com/yanweiyue/AgentPrune).

What it optimizes, as in its code: one learnable logit per potential edge of a complete
communication graph over the agents; each query samples a DAG edge by edge (`sample_dag`,
the code's `construct_spatial_connection`), and the logits follow REINFORCE with the
utility "solved" and no baseline (`loss = -log_prob * utility`, Adam, lr 0.1, batches of 4).
Every `prune_every` batches during the first `iterations`, the `pruning_rate` share of the
remaining edges with the lowest logits is masked out for good (`update_masks`: the one-shot
pruning). The learned logits and mask are the designer; each query samples its team from
them, as the code does after training (seeded by the item, so reruns write the same team).

Kept over the same agents as the fixed baselines (the role pool's lineup, the decider last
and answering); the code's separate decision node reading every agent becomes the decider
reading every agent nobody else reads. Dropped: temporal (cross-round) edges — a `.lemon`
team runs one round.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from lemonspec.designers.base import Trained, seeded
from lemonspec.designers.environment import BudgetExhausted, Environment
from lemonspec.designers.graphs import design_of, full_mask, prune_lowest, sample_dag
from lemonspec.designers.space import Design, Space


@attrs.frozen
class Settings:
    # The code's GSM8K run is 10 iterations of batch 4, pruning every 5 (docs/baselines.md's
    # GPU recipe sets those); on the simulator an edge moves success by a few points, and
    # 40 sampled teams cannot tell (measured: no better than Random), so 40 x 8 here.
    iterations: int = 40  # batches of training (the code's num_iterations)
    batch_size: int = 8
    lr: float = 0.1
    prune_every: int = 10  # imp_per_iterations
    pruning_rate: float = 0.25
    initial_probability: float = 0.5


@attrs.frozen
class AgentPrune:
    settings: Settings = attrs.field(factory=Settings)
    Settings = Settings
    name = "agentprune"
    version = 1
    per_query = True  # a fresh sample from the pruned distribution per query

    def train(self, env: Environment, seed: int) -> Trained:
        import torch

        s = self.settings
        space = env.space
        n = len(space.lineup)
        generator, rng = seeded(seed)
        start = torch.logit(torch.tensor(s.initial_probability))
        logits = torch.nn.Parameter(torch.full((n, n), float(start)))
        optimizer = torch.optim.Adam([logits], lr=s.lr)
        mask = full_mask(n, n - 1)
        history, exhausted = [], False
        try:
            for step in range(s.iterations):
                tasks = env.batches_of(s.batch_size, rng)
                samples = [sample_dag(torch.sigmoid(logits), mask, generator) for _ in tasks]
                designs = [design_of(space.lineup, space.default_level, edges, n - 1)
                           for edges, _ in samples]
                utilities = env.score(list(zip(designs, tasks)))
                loss = torch.stack([-log_prob * u for (_, log_prob), u
                                    in zip(samples, utilities)]).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if (step + 1) % s.prune_every == 0:
                    mask = prune_lowest(logits.detach(), mask, s.pruning_rate)
                history.append({"step": step, "reward": sum(utilities) / len(utilities),
                                "calls": env.spent.calls})
        except BudgetExhausted:
            exhausted = True
        return Trained({"logits": logits.detach().tolist(), "mask": mask,
                        "lineup": list(space.lineup)}, exhausted, tuple(history))

    def design(self, params: Mapping[str, Any], space: Space, query: str,
               seed: int) -> Design:
        import torch

        logits = torch.tensor(params["logits"])
        generator = torch.Generator().manual_seed(seed)
        edges, _ = sample_dag(torch.sigmoid(logits), params["mask"], generator)
        lineup = tuple(params["lineup"])
        return design_of(lineup, space.default_level, edges, len(lineup) - 1)
