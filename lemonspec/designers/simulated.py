"""The simulator as a dataset, so designers and fixed teams can be trained and compared on a
CPU: `lemonc design METHOD --dataset simulator` trains on its train split, `lemonc bench
--dataset simulator` evaluates on its held-out test split.

One Simulator(SEED, TRAIN + TEST) is built in every process that needs it (its tasks are
seeded, so each process sees the same ones): tasks 0..TRAIN-1 are the train split, the
next TEST the test split. Task types alternate, so both splits hold every type. The
simulator is used only through its public surface: `Simulator(seed, tasks)`, `.profile`,
`.tasks` (index, text, answer) and `training.tasks.simulator_tasks`.
"""

from __future__ import annotations

import functools

import attrs

from lemonspec.benchmarks.datasets import Item
from lemonspec.benchmarks.errors import Error

SEED = 0
TRAIN = 48
TEST = 48
SPLITS = ("train", "test")


@functools.cache
def simulator():
    """This process's simulator (one, so its workers are registered once)."""
    from lemonspec.training.simulator import Simulator

    return Simulator(SEED, TRAIN + TEST)


def profile():
    """The simulated workers, under a name that is the same in every process."""
    return attrs.evolve(simulator().profile, name=f"simulator(seed {SEED})")


def _indices(split: str) -> range:
    if split not in SPLITS:
        raise Error(f"the simulator has no split {split!r}", "its splits are train and test")
    return range(TRAIN) if split == "train" else range(TRAIN, TRAIN + TEST)


def training_tasks(split: str = "train", limit: int | None = None):
    """The split's tasks as the trainer sees them (training/tasks.py)."""
    from lemonspec.training.tasks import simulator_tasks

    chosen = {f"sim/{i}" for i in _indices(split)}
    tasks = [t for t in simulator_tasks(simulator()) if t.id in chosen]
    return tasks[:limit] if limit is not None else tasks


def items(split: str = "test", limit: int | None = None, seed: int = 0) -> list[Item]:
    """The split's tasks as benchmark items (number answers), for `lemonc bench`."""
    import random

    tasks = [simulator().tasks[i] for i in _indices(split)]
    result = [Item("simulator", f"simulator/{split}/{t.index}", t.text, str(t.answer), "number")
              for t in tasks]
    if limit is not None and limit < len(result):
        result = sorted(random.Random(seed).sample(result, limit),
                        key=lambda item: int(item.id.rsplit("/", 1)[1]))
    return result


def expected_success(design, index: int) -> float:
    """The exact probability that `design` (a designers.space.Design) answers simulator task
    `index` right, over the workers' luck: the simulator's own per-agent probabilities
    (Simulator.probability), summed over every pattern of answers in topological order.
    Only the answering agents have a duty (the answer format), as space.render writes it.
    A vote needs the wrong answers too: the simulator's wrong answer is the right one plus
    1, 2 or 3, equally likely, drawn apart from right-or-wrong; the vote is the runtime's
    own (`majority`, ties to the earliest listed). Tests compare designers with it instead
    of with a few dozen 0/1 draws, which cannot tell apart teams a few points apart
    (tests/designers/test_simulated.py checks it against the runtime's draws)."""
    from lemonspec.designers.space import topological_order
    from lemonspec.runtime.answers import majority
    from lemonspec.training.simulator import WRONG_OFFSETS

    sim = simulator()
    task = sim.tasks[index]
    order = topological_order(design.size, design.edges) or []
    upstream = {k: sorted(a for a, b in design.edges if b == k) for k in range(design.size)}
    # Outcomes of one agent: 0 is the right answer, an offset a wrong one. Without a vote
    # only right-or-wrong matters, so one "wrong" outcome stands for all of them.
    offsets = WRONG_OFFSETS if design.is_vote else WRONG_OFFSETS[:1]

    def probability(k: int, answers: dict[int, int]) -> float:
        return sim.probability(task, design.roles[k], design.levels[k], k in design.output,
                               [(design.roles[a], answers[a] == 0) for a in upstream[k]])

    def team_right(answers: dict[int, int]) -> bool:
        return majority([str(answers[k]) for k in design.output]) == "0"

    def total(position: int, answers: dict[int, int]) -> float:
        if position == len(order):
            return float(team_right(answers))
        k = order[position]
        p = probability(k, answers)
        share = (1 - p) / len(offsets)
        return (p * total(position + 1, {**answers, k: 0})
                + sum(share * total(position + 1, {**answers, k: offset})
                      for offset in offsets))

    return total(0, {})


def task_index(task_id: str) -> int:
    """The simulator's index of a training task ("sim/7") or a bench item
    ("simulator/test/55")."""
    return int(task_id.rsplit("/", 1)[1])


def random_baseline():
    """The committed Random baseline (examples/baselines/gsm8k/random.lemon, the `random`
    row of the simulator table) as a Design, every agent at the default level."""
    from lemonspec.benchmarks.baselines import random_team
    from lemonspec.designers.space import Design

    team = random_team("gsm8k")
    index = {agent.name: i for i, agent in enumerate(team.agents)}
    edges = {(index[up], index[agent.name]) for agent in team.agents for up in agent.after}
    return Design(tuple(a.role for a in team.agents),
                  (profile().default_level,) * len(team.agents), edges, index[team.output[0]])
