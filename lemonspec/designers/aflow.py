"""AFlow (Zhang et al., ICLR 2025; github.com/FoundationAgents/AFlow, MetaGPT's aflow).

What it optimizes: one workflow for the dataset, by a Monte Carlo tree search over
workflows scored on a validation set. As in AFlow's optimizer: the search starts from the
simplest workflow (here one agent, the lineup's decider, answering alone); each round it
selects a parent among the `top_k` best workflows and the root with AFlow's soft mixed
probability, P = lam/n + (1 - lam) * softmax(alpha * (score - best)) (scores in percent);
expands it by one modification; evaluates the child on the validation tasks
(`validation_rounds` times) and records the modification in the parent's experience, so the
same one is not proposed again from that parent; and stops after `max_rounds` or when the
mean of the top 3 scores has not improved for `convergence_rounds` rounds. The best-scoring
workflow is the designer's team for every query.

Simplified: AFlow's modifications are code edits proposed by an optimizer LLM that reads
the parent's experience and logs; here a modification is one `.lemon` team edit drawn at
random among those not yet tried from that parent (add or remove an agent, change an
agent's role or capacity, add or remove an edge), so the search is over the same space as
the other designers and spends no design tokens.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

import attrs

from lemonspec.designers.base import Trained
from lemonspec.designers.environment import BudgetExhausted, Environment
from lemonspec.designers.space import Design, Space, reaches

MAX_AGENTS = 6
EDITS = ("add_agent", "remove_agent", "change_role", "add_edge", "remove_edge",
         "raise_capacity", "lower_capacity")


@attrs.frozen
class Settings:
    max_rounds: int = 20
    validation_tasks: int = 8
    validation_rounds: int = 1  # AFlow: 5; scaled to the budget
    top_k: int = 4  # AFlow's `sample`
    alpha: float = 0.2
    lam: float = 0.3
    convergence_rounds: int = 5


def root_design(space: Space) -> Design:
    return Design((space.lineup[-1],), (space.default_level,), frozenset(), 0)


def propose(design: Design, space: Space, rng: random.Random,
            tried: set[str]) -> tuple[Design, str] | None:
    """One random modification not yet tried from this parent, or None."""
    for _ in range(64):
        found = _modify(design, space, rng)
        if found is not None and found[1] not in tried:
            return found
    return None


def _modify(d: Design, space: Space, rng: random.Random) -> tuple[Design, str] | None:
    n, levels = d.size, space.levels
    kind = rng.choice(EDITS)
    others = [k for k in range(n) if k not in d.output]
    if kind == "add_agent" and n < MAX_AGENTS:
        role = rng.choice(space.pool)
        return (Design((*d.roles, role), (*d.levels, space.default_level),
                       d.edges | {(n, d.answerer)}, d.output), f"add_agent {role}")
    if kind == "remove_agent" and others:
        k = rng.choice(others)
        keep = [i for i in range(n) if i != k]
        index = {old: new for new, old in enumerate(keep)}
        edges = {(index[a], index[b]) for a, b in d.edges if k not in (a, b)}
        return (Design(tuple(d.roles[i] for i in keep), tuple(d.levels[i] for i in keep),
                       edges, tuple(index[a] for a in d.output)), f"remove_agent {k}")
    if kind == "change_role":
        k = rng.randrange(n)
        role = rng.choice([r for r in space.pool if r != d.roles[k]] or [d.roles[k]])
        roles = tuple(role if i == k else r for i, r in enumerate(d.roles))
        return Design(roles, d.levels, d.edges, d.output), f"change_role {k} {role}"
    if kind == "add_edge":
        free = [(a, b) for a in range(n) for b in range(n) if a != b
                and (a, b) not in d.edges and not reaches(d.edges, b, a)]
        if free:
            edge = rng.choice(free)
            return (Design(d.roles, d.levels, d.edges | {edge}, d.output),
                    f"add_edge {edge[0]}->{edge[1]}")
    if kind == "remove_edge" and d.edges:
        edge = rng.choice(sorted(d.edges))
        return (Design(d.roles, d.levels, d.edges - {edge}, d.output),
                f"remove_edge {edge[0]}->{edge[1]}")
    if kind in ("raise_capacity", "lower_capacity"):
        k = rng.randrange(n)
        step = 1 if kind == "raise_capacity" else -1
        at = levels.index(d.levels[k]) + step
        if 0 <= at < len(levels):
            new = tuple(levels[at] if i == k else v for i, v in enumerate(d.levels))
            return Design(d.roles, new, d.edges, d.output), f"{kind} {k}"
    return None


def selection_probabilities(scores: list[float], alpha: float, lam: float) -> list[float]:
    """AFlow's soft mixed probability over candidate workflows (scores in percent)."""
    best = max(scores)
    weights = [math.exp(alpha * (s - best)) for s in scores]
    total = sum(weights)
    return [lam / len(scores) + (1 - lam) * w / total for w in weights]


@attrs.frozen
class AFlow:
    settings: Settings = attrs.field(factory=Settings)
    Settings = Settings
    name = "aflow"
    version = 1
    per_query = False

    def train(self, env: Environment, seed: int) -> Trained:
        s = self.settings
        rng = random.Random(seed)
        validation = env.batches_of(min(s.validation_tasks, len(env.tasks)), rng)

        def evaluate(design: Design) -> float:
            total = 0.0
            for _ in range(s.validation_rounds):
                total += sum(env.score([(design, t) for t in validation]))
            return 100 * total / (s.validation_rounds * len(validation))

        archive: list[dict] = []  # design, score, parent, modification
        tried: dict[int, set[str]] = {}
        history: list[dict] = []
        exhausted = False
        try:
            archive.append({"design": root_design(env.space), "score": None, "parent": None,
                            "edit": "root"})
            archive[0]["score"] = evaluate(archive[0]["design"])
            best_top, stale = self._top_mean(archive), 0
            for round_ in range(s.max_rounds):
                ranked = sorted(range(len(archive)), key=lambda i: -archive[i]["score"])
                candidates = list(dict.fromkeys([*ranked[:s.top_k], 0]))
                probabilities = selection_probabilities(
                    [archive[i]["score"] for i in candidates], s.alpha, s.lam)
                parent = rng.choices(candidates, probabilities)[0]
                proposal = propose(archive[parent]["design"], env.space, rng,
                                   tried.setdefault(parent, set()))
                if proposal is None:
                    continue
                child, edit = proposal
                tried[parent].add(edit)
                archive.append({"design": child, "score": evaluate(child), "parent": parent,
                                "edit": edit})
                history.append({"round": round_, "parent": parent, "edit": edit,
                                "score": archive[-1]["score"], "calls": env.spent.calls})
                top = self._top_mean(archive)
                best_top, stale = (top, 0) if top > best_top else (best_top, stale + 1)
                if stale >= s.convergence_rounds:
                    break
        except BudgetExhausted:
            exhausted = True
        scored = [a for a in archive if a["score"] is not None] or archive
        best = max(scored, key=lambda a: a["score"] or 0.0)  # the earliest of equals
        return Trained({"best": _to_json(best["design"]), "score": best["score"],
                        "archive": [{"parent": a["parent"], "edit": a["edit"],
                                     "score": a["score"]} for a in archive]},
                       exhausted, tuple(history))

    @staticmethod
    def _top_mean(archive) -> float:
        scores = sorted((a["score"] for a in archive), reverse=True)[:3]
        return sum(scores) / len(scores)

    def design(self, params: Mapping[str, Any], space: Space, query: str,
               seed: int) -> Design:
        return _from_json(params["best"])


def _to_json(design: Design) -> dict[str, Any]:
    return {"roles": list(design.roles), "levels": list(design.levels),
            "edges": sorted([a, b] for a, b in design.edges), "output": design.answerer}


def _from_json(data: Mapping[str, Any]) -> Design:
    return Design(tuple(data["roles"]), tuple(data["levels"]),
                  frozenset((a, b) for a, b in data["edges"]), data["output"])
