"""The simulator's exact expected success of a design agrees with its formula and with the
runtime's draws (the designers' beat-Random tests rely on it)."""

import math

import pytest

from lemonspec.designers import simulated
from lemonspec.designers.environment import Environment
from lemonspec.designers.space import Design, Space
from lemonspec.training.simulator import sigmoid

pytest.importorskip("torch")


def space() -> Space:
    profile = simulated.profile()
    return Space.for_dataset("simulator", profile.levels, profile.default_level)


def test_a_lone_agent_is_right_with_its_own_probability():
    task = simulated.simulator().tasks[0]  # arithmetic: MathSolver fits, has the duty
    kind = task.type
    lone = Design(("MathSolver",), ("medium",), frozenset(), 0)
    logit = kind.fit["MathSolver"] + 1.0 - kind.difficulty + 1.0  # skill, duty bonus
    assert simulated.expected_success(lone, 0) == pytest.approx(sigmoid(logit))


def test_a_chain_sums_over_its_upstream_being_right_or_wrong():
    sim = simulated.simulator()
    task = sim.tasks[0]
    chain = Design(("MathSolver", "Inspector"), ("small", "small"), {(0, 1)}, 1)
    up = sim.probability(task, "MathSolver", "small", False, [])
    expected = (up * sim.probability(task, "Inspector", "small", True, [("MathSolver", True)])
                + (1 - up) * sim.probability(task, "Inspector", "small", True,
                                             [("MathSolver", False)]))
    assert simulated.expected_success(chain, 0) == pytest.approx(expected)


def test_the_exact_value_matches_the_runtimes_draws():
    """6 visits of the 48 held-out tasks (288 runs of a two-agent team): the observed
    rate lies within 4 standard errors of the mean exact value."""
    tasks = simulated.training_tasks("test")
    design = Design(("MathAnalyst", "MathSolver"), ("small", "medium"), {(0, 1)}, 1)
    env = Environment(space(), tasks, simulated.profile(), seed=3)
    visits = 6
    observed = sum(sum(env.score([(design, t) for t in tasks])) for _ in range(visits))
    exact = [simulated.expected_success(design, simulated.task_index(t.id)) for t in tasks]
    mean = sum(exact) / len(exact)
    error = math.sqrt(sum(p * (1 - p) for p in exact) * visits) / (visits * len(tasks))
    assert abs(observed / (visits * len(tasks)) - mean) < 4 * error
