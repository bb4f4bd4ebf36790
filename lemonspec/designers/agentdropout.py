"""AgentDropout (Wang et al., ACL 2025; github.com/wangzx1219/AgentDropout).

What it optimizes: the adjacency matrix of the communication graph (one logit per potential
edge, sampled edge by edge into a DAG as in AgentPrune, REINFORCE on "solved"), in two
phases. Node dropout: after `node_iterations` batches, the agents with the smallest
weighted degree (sum of their in- and out-edge probabilities) are dropped, `node_dropout`
of them (never the answering agent). Edge dropout: the matrix over the remaining agents is
trained again for `edge_iterations` batches with a low-rank penalty (the nuclear norm of the
edge-probability matrix, weight `low_rank`), then the `edge_dropout` share of the remaining
edges with the lowest logits is dropped. Each query samples its team from what is left.

Simplified: the paper learns one matrix per discussion round and drops different agents
per round; a `.lemon` team runs one round, so there is one matrix and one dropout of each
kind. Batch size and iteration counts are scaled to the simulator, 20 + 20 batches of 8 (the
README's GSM8K run: batches of 40, 2 iterations, pruning rate 0.10).
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
    # Scaled to the simulator (40 sampled teams learn nothing measurable there; see
    # docs/baselines.md); the GPU recipe sets the README's batch 40 x 2 iterations.
    node_iterations: int = 20
    edge_iterations: int = 20
    batch_size: int = 8
    lr: float = 0.1
    node_dropout: float = 0.25  # share of agents dropped (at least one when > 0)
    edge_dropout: float = 0.25
    low_rank: float = 0.05  # weight of the nuclear-norm penalty in the edge phase


@attrs.frozen
class AgentDropout:
    settings: Settings = attrs.field(factory=Settings)
    Settings = Settings
    name = "agentdropout"
    version = 1
    per_query = True

    def train(self, env: Environment, seed: int) -> Trained:
        import torch

        s = self.settings
        space = env.space
        n = len(space.lineup)
        output = n - 1
        generator, rng = seeded(seed)
        logits = torch.nn.Parameter(torch.zeros(n, n))
        optimizer = torch.optim.Adam([logits], lr=s.lr)
        mask = full_mask(n, output)
        kept = list(range(n))
        history: list[dict] = []

        def step(phase: str, low_rank: float) -> None:
            tasks = env.batches_of(s.batch_size, rng)
            probabilities = torch.sigmoid(logits)
            samples = [sample_dag(probabilities, mask, generator) for _ in tasks]
            designs = [design_of(space.lineup, space.default_level, edges, output, kept)
                       for edges, _ in samples]
            utilities = env.score(list(zip(designs, tasks)))
            loss = torch.stack([-lp * u for (_, lp), u in zip(samples, utilities)]).mean()
            if low_rank:
                live = probabilities * torch.tensor(mask, dtype=probabilities.dtype)
                loss = loss + low_rank * torch.linalg.matrix_norm(live, ord="nuc")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append({"phase": phase, "reward": sum(utilities) / len(utilities),
                            "calls": env.spent.calls, "agents": len(kept)})

        exhausted = False
        try:
            for _ in range(s.node_iterations):
                step("node", 0.0)
            kept, mask = self._drop_nodes(torch.sigmoid(logits).detach(), mask, output)
            for _ in range(s.edge_iterations):
                step("edge", s.low_rank)
        except BudgetExhausted:
            exhausted = True
            if len(kept) == n:  # the node phase did not finish: drop by what it learned
                kept, mask = self._drop_nodes(torch.sigmoid(logits).detach(), mask, output)
        mask = prune_lowest(logits.detach(), mask, s.edge_dropout) if s.edge_dropout else mask
        return Trained({"logits": logits.detach().tolist(), "mask": mask, "kept": kept,
                        "lineup": list(space.lineup)}, exhausted, tuple(history))

    def _drop_nodes(self, probabilities, mask, output: int):
        n = len(mask)
        degree = {k: float(probabilities[k].sum() + probabilities[:, k].sum()
                           - 2 * probabilities[k, k]) for k in range(n)}
        count = max(1, round(n * self.settings.node_dropout)) if self.settings.node_dropout \
            else 0
        dropped = sorted((k for k in range(n) if k != output), key=lambda k: degree[k])[:count]
        mask = [[0 if i in dropped or j in dropped else mask[i][j] for j in range(n)]
                for i in range(n)]
        return [k for k in range(n) if k not in dropped], mask

    def design(self, params: Mapping[str, Any], space: Space, query: str,
               seed: int) -> Design:
        import torch

        generator = torch.Generator().manual_seed(seed)
        edges, _ = sample_dag(torch.sigmoid(torch.tensor(params["logits"])), params["mask"],
                              generator)
        lineup = tuple(params["lineup"])
        return design_of(lineup, space.default_level, edges, len(lineup) - 1, params["kept"])
