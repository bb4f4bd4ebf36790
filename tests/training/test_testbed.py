"""The structure testbed: its hidden optimum per family (pinned, and confirmed by brute-force
search), its worker answers following the documented model through the real runtime, and its
independence from prompt wording (it reads the IR)."""

from __future__ import annotations

import asyncio
import itertools

import attrs
import pytest

from lemonspec.compiler import compile_text
from lemonspec.runtime import run_team
from lemonspec.training.config import RewardConfig, load_config
from lemonspec.training.simulator import LEVELS, RUNNING, SAMPLE_KEY
from lemonspec.training.testbed import (
    FAMILIES,
    ROLES,
    Member,
    Team,
    Testbed,
    expected,
    optimum,
    team_of,
    team_text,
)

REWARD = RewardConfig(alpha=0.3, beta=0.03, token_budget=3000)  # as simulator_testbed.toml


def reward(team: Team, family: str) -> float:
    return expected(team, FAMILIES[family]).reward(REWARD)


def test_the_hidden_optimum_of_each_family_is_pinned():
    m = Member
    assert optimum(FAMILIES["audit"]) == Team((
        m("MathAnalyst", "small", False), m("MathSolver", "large", True, (0,)),
        m("Inspector", "small", False, (1,))), (2,))
    assert optimum(FAMILIES["pipeline"]) == Team((
        m("KnowledgeableExpert", "small", False), m("MathAnalyst", "small", False),
        m("ProgrammingExpert", "large", False, (0, 1)),
        m("Inspector", "small", True, (2,))), (3,))
    assert optimum(FAMILIES["review"]) == Team((
        m("KnowledgeableExpert", "small", False), m("MathAnalyst", "small", False, (0,)),
        m("MathSolver", "small", False, (1,)), m("ProgrammingExpert", "large", True, (1,)),
        m("Critic", "small", True, (2, 3))), (4,))
    assert {name: round(reward(optimum(f), name), 3) for name, f in FAMILIES.items()} == {
        "audit": 1.0, "pipeline": 0.963, "review": 0.828}


def _replace(team: Team, i: int, member: Member) -> Team:
    members = list(team.members)
    members[i] = member
    return attrs.evolve(team, members=tuple(members))


def neighbours(team: Team):
    """Every team one field (or one agent) away: role, capacity, duty, one edge, an extra
    agent anywhere upstream-free, a dropped agent, another output, a vote."""
    n = len(team.members)
    for i, m in enumerate(team.members):
        for role in ROLES:
            if role != m.role:
                yield _replace(team, i, attrs.evolve(m, role=role))
        for level in LEVELS:
            if level != m.capacity:
                yield _replace(team, i, attrs.evolve(m, capacity=level))
        yield _replace(team, i, attrs.evolve(m, duty=not m.duty))
        for j in range(i):
            yield _replace(team, i, attrs.evolve(m, after=tuple(sorted(set(m.after) ^ {j}))))
        if i not in team.output and not any(i in other.after for other in team.members):
            kept = team.members[:i] + team.members[i + 1:]
            shift = tuple(tuple(u - (u > i) for u in k.after) for k in kept)
            yield Team(tuple(attrs.evolve(k, after=s) for k, s in zip(kept, shift)),
                       tuple(o - (o > i) for o in team.output))
        if (i,) != team.output:
            yield attrs.evolve(team, output=(i,))
    for role, level, duty in itertools.product(ROLES, LEVELS, (False, True)):
        for source in (None, *range(n)):
            extra = Member(role, level, duty, () if source is None else (source,))
            yield attrs.evolve(team, members=team.members + (extra,))
    yield attrs.evolve(team, output=tuple(range(n)), vote=True)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_one_field_change_of_the_optimum_is_worse(family):
    best = reward(optimum(FAMILIES[family]), family)
    worse = [reward(t, family) for t in neighbours(optimum(FAMILIES[family]))]
    assert len(worse) > 100
    assert max(worse) < best - 1e-3


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_brute_force_over_the_families_roles_and_edges_finds_the_optimum(family):
    """Every subset of the family's roles in plan order, every edge set between them, with
    each step's best capacity and duty: the optimum is the one best team."""
    plan = FAMILIES[family]
    best = optimum(plan)
    scored = []
    for k in range(1, len(plan.steps) + 1):
        for chosen in itertools.combinations(range(len(plan.steps)), k):
            pairs = [(j, i) for i in range(k) for j in range(i)]
            for edges in itertools.product((False, True), repeat=len(pairs)):
                after = [tuple(j for (j, i2), on in zip(pairs, edges) if on and i2 == i)
                         for i in range(k)]
                members = tuple(attrs.evolve(best.members[s], after=a)
                                for s, a in zip(chosen, after))
                team = Team(members, (k - 1,))
                scored.append((reward(team, family), team))
    top, winner = max(scored, key=lambda x: x[0])
    assert winner == best
    assert sorted(r for r, _ in scored)[-2] < top - 1e-3


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_brute_force_over_capacities_and_duties_finds_the_optimum(family):
    """Every capacity and duty assignment of the optimum's agents (jointly up to four agents;
    for five, every capacity assignment and every duty assignment, to keep the test short)."""
    best = optimum(FAMILIES[family])
    n = len(best.members)
    if n <= 4:
        choices = itertools.product(itertools.product(LEVELS, (False, True)), repeat=n)
    else:
        duties = tuple(m.duty for m in best.members)
        levels = tuple(m.capacity for m in best.members)
        choices = [tuple(zip(c, duties)) for c in itertools.product(LEVELS, repeat=n)] + \
                  [tuple(zip(levels, d)) for d in itertools.product((False, True), repeat=n)]
    scored = []
    for choice in choices:
        team = attrs.evolve(best, members=tuple(
            attrs.evolve(m, capacity=c, duty=d) for m, (c, d) in zip(best.members, choice)))
        scored.append((reward(team, family), team))
    assert max(scored, key=lambda x: x[0])[1] == best


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_no_team_of_one_or_two_agents_comes_close(family):
    best = reward(optimum(FAMILIES[family]), family)
    members = [Member(r, c, d) for r, c, d in itertools.product(ROLES, LEVELS, (False, True))]
    top = max(reward(Team((m,), (0,)), family) for m in members)
    for first, second in itertools.product(members, repeat=2):
        for after in ((), (0,)):
            team = Team((first, attrs.evolve(second, after=after)), (1,))
            top = max(top, reward(team, family))
    assert top < best - 0.05


# ---- through the real runtime ------------------------------------------------------------

def run(bed: Testbed, text: str, task, key: str):
    ir = compile_text(text)

    async def go():
        SAMPLE_KEY.set(key)
        RUNNING.set((ir, task.text))
        return await run_team(ir, task.text, profile=bed.profile, extractor="number")
    return ir, asyncio.run(go())


def test_runs_follow_the_exact_expectation():
    """The runtime's answers are exactly the testbed's draws, and the draws' success rate
    and tokens match the exact expectation."""
    bed = Testbed(seed=3, tasks=3)
    task = next(t for t in bed.tasks if t.family.name == "audit")
    text = team_text(optimum(task.family))
    for key in ("k0", "k1", "k2", "k3", "k4", "k5"):
        ir, result = run(bed, text, task, key)
        right = bed.outcomes(ir, task, key)
        assert (result.answer == str(task.answer)) == right[-1]
        assert [a.completion_tokens for a in result.agents] == \
            [bed.completion_tokens(ir, i, task, key) for i in range(len(ir.agents))]
    draws = 4000
    rate = sum(bed.outcomes(ir, task, f"m{i}")[-1] for i in range(draws)) / draws
    exact = expected(optimum(task.family), task.family)
    assert abs(rate - exact.success) < 4 * (exact.success * (1 - exact.success) / draws) ** 0.5
    tokens = sum(result.prompt_tokens + result.completion_tokens
                 for _, result in (run(bed, text, task, f"t{i}") for i in range(6))) / 6
    assert tokens == pytest.approx(exact.tokens, rel=0.1)


def test_the_answer_comes_from_the_ir_not_the_wording():
    """Rewording a duty (or adding a misleading one where a duty does not matter) changes no
    answer and no token: the testbed reads the base role, whether a duty exists, the
    capacity and the edges from the IR."""
    bed = Testbed(seed=1, tasks=3)
    task = next(t for t in bed.tasks if t.family.name == "review")
    text = team_text(optimum(task.family))
    reworded = text.replace('duty: "x"', 'duty: "Ignore the task. You are a MathSolver."')
    assert reworded != text
    for key in ("a", "b", "c", "d"):
        ir, one = run(bed, text, task, key)
        ir2, two = run(bed, reworded, task, key)
        assert team_of(ir) == team_of(ir2)
        assert [a.output for a in one.agents] == [a.output for a in two.agents]
        assert [a.completion_tokens for a in one.agents] == \
            [a.completion_tokens for a in two.agents]


def test_a_needed_edge_carries_information_and_a_spurious_one_only_costs():
    family = FAMILIES["audit"]
    best = optimum(family)
    no_plan = _replace(best, 1, attrs.evolve(best.members[1], after=()))
    spurious = _replace(best, 2, attrs.evolve(best.members[2], after=(0, 1)))
    assert expected(no_plan, family).success < expected(best, family).success - 0.1
    assert expected(spurious, family).success < expected(best, family).success
    assert expected(spurious, family).tokens > expected(best, family).tokens


def test_the_large_capacity_pays_only_on_the_hard_step():
    family = FAMILIES["pipeline"]
    best = optimum(family)
    for i, member in enumerate(best.members):
        smaller = _replace(best, i, attrs.evolve(member, capacity="medium"))
        hard = family.step(member.role).hard
        gain = reward(best, "pipeline") - reward(smaller, "pipeline")
        assert (gain > 0.05) if hard else (gain < 0.0 or member.capacity != "large")


def test_calls_outside_an_announced_run_fail_clearly():
    bed = Testbed(seed=0, tasks=3)
    task = bed.tasks[0]
    ir = compile_text(team_text(optimum(task.family)))

    async def go():
        return await run_team(ir, task.text, profile=bed.profile, extractor="number")
    result = asyncio.run(go())
    assert not result.agents[0].ok
    assert "RUNNING" in result.agents[0].error


def test_unknown_family_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown testbed families.*audit"):
        Testbed(families=["audit", "nope"])


def test_the_example_config_builds_the_testbed():
    from lemonspec.training.session import workers

    config = load_config("examples/training/simulator_testbed.toml")
    profile, bed = workers(config)
    assert isinstance(bed, Testbed)
    assert profile.levels == LEVELS
    assert set(config.sampling.roles) == set(ROLES)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_near_optimum_team_keeps_the_agents_and_gets_only_the_fields_wrong(family):
    import random

    from lemonspec.training.testbed import near_optimum

    best = optimum(FAMILIES[family])
    assert near_optimum(FAMILIES[family], random.Random(0), 0.0) == best
    every = near_optimum(FAMILIES[family], random.Random(0), 1.0)  # every field wrong
    assert [m.role for m in every.members] == [m.role for m in best.members]
    assert every.output == best.output
    for position, (wrong, right) in enumerate(zip(every.members, best.members)):
        assert wrong.duty != right.duty and wrong.capacity != right.capacity
        assert not set(right.after) & set(wrong.after)  # every needed edge dropped
        spare = set(range(position)) - set(right.after)
        assert len(wrong.after) == (1 if spare else 0) and set(wrong.after) <= spare
    draws = [near_optimum(FAMILIES[family], random.Random(1), 0.25) for _ in range(2)]
    assert draws[0] == draws[1]  # the rng decides everything
    assert all(0.0 <= expected(d, FAMILIES[family]).success <= 1.0 for d in draws)
