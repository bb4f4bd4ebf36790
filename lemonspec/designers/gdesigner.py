"""G-Designer (Zhang et al., ICML 2025; github.com/yanweiyue/GDesigner).

What it optimizes: a graph network that maps the query to a topology. Each agent is a node
whose features embed its role (the code: a sentence encoder over the role profile); the
query's embedding is joined to every node's features (`construct_new_features`); a two-layer
GCN over an anchor topology (here: the lineup's chain, undirected, with self-loops,
normalised) and an MLP give node embeddings Z; the edge logits are Z Z^T, min-max normalised to [-1, 1] as in
the code (so each edge's probability sigmoid(logit) lies between 0.27 and 0.73); edges are sampled into a DAG as in
AgentPrune, and the network's weights follow REINFORCE with the utility "solved"
(`loss = -log_prob * utility`, Adam, batches of 4). One topology per query.

The decision (the code's `--decision_method`): `vote`, the code's FinalMajorVote (every
agent answers, the most common answer wins; edges may join any two agents), or `refer`,
the code's default FinalRefer played by the lineup's last agent (it reads every agent and
answers; no edge leaves it). `vote` is the default here because under `refer` no topology
the normalised logits can express beats Random on the simulator (docs/baselines.md).

Simplified: embeddings are a hashed bag of words (graphs.embed), because no sentence
encoder can be fetched offline; the paper's sparsity regulariser is left out (the code's
training loss is the REINFORCE term alone). Plain torch: torch_geometric is not needed for a graph of a few nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from lemonspec.designers.base import Trained, seeded
from lemonspec.designers.environment import BudgetExhausted, Environment
from lemonspec.designers.graphs import design_of, embed, full_mask, sample_dag
from lemonspec.designers.space import Design, Space

DECISIONS = ("vote", "refer")


@attrs.frozen
class Settings:
    iterations: int = 10  # the code's GSM8K run: 10 iterations of batch 4, Adam lr 0.1
    batch_size: int = 4
    lr: float = 0.1
    dim: int = 32  # embedding size of roles and queries
    hidden: int = 16
    decision: str = attrs.field(default="vote", validator=attrs.validators.in_(DECISIONS))


def _network(dim: int, hidden: int):
    import torch

    class Network(torch.nn.Module):
        """GCN(2·dim -> hidden -> dim) over the anchor graph, then an MLP; logits Z Z^T."""

        def __init__(self):
            super().__init__()
            self.gcn1 = torch.nn.Linear(2 * dim, hidden)
            self.gcn2 = torch.nn.Linear(hidden, dim)
            self.mlp = torch.nn.Sequential(torch.nn.Linear(dim, dim), torch.nn.ReLU(),
                                           torch.nn.Linear(dim, dim))

        def forward(self, roles, query, anchor):
            features = torch.cat([roles, query.expand(roles.shape[0], -1)], dim=1)
            h = torch.relu(anchor @ self.gcn1(features))
            z = self.mlp(anchor @ self.gcn2(h))
            logits = z @ z.T
            # The code's min_max_norm over the flattened matrix: logits in [-1, 1], so every
            # edge probability sigmoid(logit) lies in [0.27, 0.73].
            low, high = logits.min(), logits.max()
            return 2 * (logits - low) / (high - low + 1e-8) - 1

    return Network()


def _inputs(lineup, query: str, dim: int, space: Space):
    import torch

    roles = torch.tensor([embed(f"{role} {space.role_description(role)}", dim)
                          for role in lineup])
    n = len(lineup)
    # The anchor: the lineup's chain (the fixed Chain baseline), undirected, with self-loops,
    # normalised D^-1/2 (A+I) D^-1/2. (A complete anchor would average every node into the
    # same embedding after one layer, and every edge would get the same logit.)
    adjacency = torch.tensor([[float(abs(i - j) <= 1) for j in range(n)] for i in range(n)])
    degree = adjacency.sum(1).rsqrt()
    anchor = degree[:, None] * adjacency * degree[None, :]
    return roles, torch.tensor([embed(query, dim)]), anchor


@attrs.frozen
class GDesigner:
    settings: Settings = attrs.field(factory=Settings)
    Settings = Settings
    name = "gdesigner"
    version = 3  # 3: the decision setting (folders of 2 answered by the last agent)
    per_query = True

    def train(self, env: Environment, seed: int) -> Trained:
        import torch

        s = self.settings
        space = env.space
        n = len(space.lineup)
        generator, rng = seeded(seed)
        network = _network(s.dim, s.hidden)
        optimizer = torch.optim.Adam(network.parameters(), lr=s.lr)
        output = self._output(n)
        mask = full_mask(n, output)
        history, exhausted = [], False
        try:
            for step in range(s.iterations):
                tasks = env.batches_of(s.batch_size, rng)
                samples = []
                for task in tasks:
                    logits = network(*_inputs(space.lineup, task.input, s.dim, space))
                    samples.append(sample_dag(torch.sigmoid(logits), mask, generator))
                designs = [design_of(space.lineup, space.default_level, edges, output)
                           for edges, _ in samples]
                utilities = env.score(list(zip(designs, tasks)))
                loss = torch.stack([-lp * u for (_, lp), u in zip(samples, utilities)]).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                history.append({"step": step, "reward": sum(utilities) / len(utilities),
                                "calls": env.spent.calls})
        except BudgetExhausted:
            exhausted = True
        weights = {k: v.tolist() for k, v in network.state_dict().items()}
        return Trained({"weights": weights, "lineup": list(space.lineup)}, exhausted,
                       tuple(history))

    def design(self, params: Mapping[str, Any], space: Space, query: str,
               seed: int) -> Design:
        import torch

        s = self.settings
        network = _network(s.dim, s.hidden)
        network.load_state_dict({k: torch.tensor(v) for k, v in params["weights"].items()})
        lineup = tuple(params["lineup"])
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            logits = network(*_inputs(lineup, query, s.dim, space))
        output = self._output(len(lineup))
        edges, _ = sample_dag(torch.sigmoid(logits), full_mask(len(lineup), output), generator)
        return design_of(lineup, space.default_level, edges, output)

    def _output(self, n: int) -> int | None:
        """The answering agent under `refer` (the lineup's last), None for a vote of all."""
        return n - 1 if self.settings.decision == "refer" else None
