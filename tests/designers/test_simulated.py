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


def assert_draws_match_the_exact_value(design: Design, seed: int, visits: int = 6) -> None:
    """`visits` visits of the 48 held-out tasks, each a run of the rendered team by the
    runtime: the observed rate lies within 4 standard errors of the mean exact value."""
    tasks = simulated.training_tasks("test")
    env = Environment(space(), tasks, simulated.profile(), seed=seed)
    observed = sum(sum(env.score([(design, t) for t in tasks])) for _ in range(visits))
    exact = [simulated.expected_success(design, simulated.task_index(t.id)) for t in tasks]
    mean = sum(exact) / len(exact)
    error = math.sqrt(sum(p * (1 - p) for p in exact) * visits) / (visits * len(tasks))
    assert abs(observed / (visits * len(tasks)) - mean) < 4 * error, (observed, mean)


def test_the_exact_value_matches_the_runtimes_draws():
    assert_draws_match_the_exact_value(
        Design(("MathAnalyst", "MathSolver"), ("small", "medium"), {(0, 1)}, 1), seed=3)


def test_a_vote_elects_wrong_answers_that_agree():
    """Three voters, no edges: the vote is right with two or three right answers, or with
    only the first listed right while the two wrong answers differ (a three-way tie goes
    to the earliest listed); the simulator's wrong answers agree with chance 1/3."""
    sim = simulated.simulator()
    task = sim.tasks[0]
    roles = ("MathSolver", "Inspector", "MathAnalyst")
    vote = Design(roles, ("small",) * 3, frozenset(), (0, 1, 2))
    p = [sim.probability(task, role, "small", True, []) for role in roles]
    q = [1 - x for x in p]
    two_or_more = (p[0] * p[1] * p[2] + p[0] * p[1] * q[2] + p[0] * q[1] * p[2]
                   + q[0] * p[1] * p[2])
    first_alone = p[0] * q[1] * q[2] * (2 / 3)
    assert simulated.expected_success(vote, 0) == pytest.approx(two_or_more + first_alone)
    # The same agents with another voter listed first: only the tie-break differs.
    reordered = Design(roles, ("small",) * 3, frozenset(), (1, 0, 2))
    assert simulated.expected_success(reordered, 0) == pytest.approx(
        two_or_more + q[0] * p[1] * q[2] * (2 / 3))


def test_a_votes_exact_value_matches_the_runtimes_draws():
    """A four-agent vote with an edge, run from its rendered `.lemon` (`answer: number`,
    `output: vote(...)`)."""
    assert_draws_match_the_exact_value(
        Design(("MathAnalyst", "MathSolver", "ProgrammingExpert", "Inspector"),
               ("small",) * 4, {(0, 1)}, (0, 1, 2, 3)), seed=5)
