"""ARG-Designer (Li et al., 2025, "Assemble Your Crew": autoregressive graph generation of
multi-agent topologies).

What it optimizes: a small generative model that builds a team for a query one agent at a
time: at each step it picks the next agent's role from the pool, or stops (the role head);
then, for every agent already placed, whether the new agent reads it (the edge head). Edges
only point from earlier agents to the new one, so every team is a DAG; the last agent
answers, and it reads every agent nobody else reads. Both heads see the query's embedding
and the team built so far (the mean embedding of its agents). The model is trained by
maximum likelihood (teacher forcing) on curated teams: as in the paper, teams that solved
their training task, and among those the smallest (fewest agents, then fewest edges).
Here the curated set is gathered by the model itself: each round samples `samples_per_task`
teams for `tasks_per_round` tasks, runs them (the worker budget), keeps the best solving
team per task, and fits the model to every team kept so far for `epochs` passes. Queries
are then answered by greedy decoding.

Simplified: the paper curates its training graphs once, with a strong LLM and a search
over candidate topologies, and conditions on a sentence-encoder embedding; here curation is
the model's own sampling (expert iteration) over the same role pool, the embedding is a
hashed bag of words, and agents have no per-agent prompt beyond their base role.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from lemonspec.designers.base import Trained, seeded
from lemonspec.designers.environment import BudgetExhausted, Environment
from lemonspec.designers.graphs import embed, generated_design
from lemonspec.designers.space import Design, Space


@attrs.frozen
class Settings:
    rounds: int = 6
    tasks_per_round: int = 4
    samples_per_task: int = 4
    epochs: int = 30
    lr: float = 0.01
    max_agents: int = 4
    dim: int = 32
    hidden: int = 32


def _model(pool_size: int, dim: int, hidden: int):
    import torch

    class Generator(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.roles = torch.nn.Embedding(pool_size, hidden)
            self.query = torch.nn.Linear(dim, hidden)
            self.role_head = torch.nn.Sequential(torch.nn.Linear(2 * hidden, hidden),
                                                 torch.nn.ReLU(),
                                                 torch.nn.Linear(hidden, pool_size + 1))
            self.edge_head = torch.nn.Sequential(torch.nn.Linear(3 * hidden, hidden),
                                                 torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

        def context(self, query, placed):
            q = self.query(query)
            team = self.roles(torch.tensor(placed)).mean(0) if placed else torch.zeros_like(q)
            return q, team

        def role_logits(self, query, placed):  # the last logit: stop
            q, team = self.context(query, placed)
            return self.role_head(torch.cat([q, team]))

        def edge_logits(self, query, placed, new):
            q, _ = self.context(query, placed)
            earlier = self.roles(torch.tensor(placed))
            me = self.roles(torch.tensor(new)).expand_as(earlier)
            return self.edge_head(torch.cat([earlier, me, q.expand_as(earlier)], 1))[:, 0]

    return Generator()


def _log_likelihood(model, query, roles: Sequence[int], edges, pool_size: int,
                    max_agents: int):
    """log P(team | query) under teacher forcing: roles in order, then stop; each new
    agent's edges from the agents before it."""
    import torch

    total = torch.zeros(())
    for k, role in enumerate([*roles, pool_size]):
        if k == max_agents:  # at the cap, stop is forced
            break
        logits = model.role_logits(query, list(roles[:k]))
        if k == 0:
            logits = logits.clone()
            logits[pool_size] = -1e9  # a team has at least one agent
        total = total + torch.log_softmax(logits, 0)[role]
        if role == pool_size or k == 0:
            continue
        target = torch.tensor([float((j, k) in edges) for j in range(k)])
        total = total - torch.nn.functional.binary_cross_entropy_with_logits(
            model.edge_logits(query, list(roles[:k]), role), target, reduction="sum")
    return total


def _generate(model, query, pool_size: int, max_agents: int, rng: random.Random | None):
    """(roles, edges): sampled with `rng`, greedy without."""
    import torch

    roles: list[int] = []
    edges: set[tuple[int, int]] = set()
    with torch.no_grad():
        while len(roles) < max_agents:
            probs = torch.softmax(model.role_logits(query, roles), 0).tolist()
            if not roles:
                probs[pool_size] = 0.0
            choice = (rng.choices(range(pool_size + 1), probs)[0] if rng
                      else max(range(pool_size + 1), key=probs.__getitem__))
            if choice == pool_size:
                break
            if roles:
                p = torch.sigmoid(model.edge_logits(query, roles, choice)).tolist()
                k = len(roles)
                edges |= {(j, k) for j in range(k)
                          if (rng.random() < p[j] if rng else p[j] > 0.5)}
            roles.append(choice)
    return roles, edges


@attrs.frozen
class ARGDesigner:
    settings: Settings = attrs.field(factory=Settings)
    Settings = Settings
    name = "argdesigner"
    version = 2
    per_query = True

    def train(self, env: Environment, seed: int) -> Trained:
        import torch

        s = self.settings
        space = env.space
        pool = len(space.pool)
        _, rng = seeded(seed)
        model = _model(pool, s.dim, s.hidden)
        optimizer = torch.optim.Adam(model.parameters(), lr=s.lr)
        curated: dict[str, tuple[str, list[int], set]] = {}  # task id -> the best team
        history, exhausted = [], False
        try:
            for round_ in range(s.rounds):
                tasks = env.batches_of(s.tasks_per_round, rng)
                jobs, drafts = [], []
                for task in tasks:
                    query = torch.tensor(embed(task.input, s.dim))
                    for _ in range(s.samples_per_task):
                        roles, edges = _generate(model, query, pool, s.max_agents, rng)
                        drafts.append((task, roles, edges))
                        jobs.append((generated_design(roles, edges, space.pool, space.default_level), task))
                rewards = env.score(jobs)
                for (task, roles, edges), reward in zip(drafts, rewards):
                    best = curated.get(task.id)
                    if reward and (best is None or (len(roles), len(edges))
                                   < (len(best[1]), len(best[2]))):
                        curated[task.id] = (task.input, roles, edges)
                self._fit(model, optimizer, curated.values())
                history.append({"round": round_, "reward": sum(rewards) / len(rewards),
                                "curated": len(curated), "calls": env.spent.calls})
        except BudgetExhausted:
            exhausted = True
        weights = {k: v.tolist() for k, v in model.state_dict().items()}
        return Trained({"weights": weights, "pool": list(space.pool),
                        "curated": [[r, sorted(map(list, e))] for _, r, e in curated.values()]},
                       exhausted, tuple(history))

    def _fit(self, model, optimizer, curated) -> None:
        import torch

        s = self.settings
        examples = [(torch.tensor(embed(text, s.dim)), roles, edges)
                    for text, roles, edges in curated]
        if not examples:
            return
        pool = model.role_head[-1].out_features - 1
        for _ in range(s.epochs):
            loss = -torch.stack([_log_likelihood(model, q, r, e, pool, s.max_agents)
                                 for q, r, e in examples]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def design(self, params: Mapping[str, Any], space: Space, query: str,
               seed: int) -> Design:
        import torch

        s = self.settings
        pool = len(params["pool"])
        model = _model(pool, s.dim, s.hidden)
        model.load_state_dict({k: torch.tensor(v) for k, v in params["weights"].items()})
        roles, edges = _generate(model, torch.tensor(embed(query, s.dim)), pool,
                                 s.max_agents, None)
        return generated_design(roles, edges, space.pool, space.default_level)
