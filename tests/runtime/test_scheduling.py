"""Dependency order, maximal parallelism (no stage barriers) and the concurrency bound."""

from lemonspec.runtime import run_team_sync

from .conftest import fake, profile_for, team

# quick -> after_quick is one chain; slow runs beside it. Under stage barriers after_quick
# (stage 1) would wait for slow (stage 0) to finish; without them it starts at once.
SPEC = """
team t {
    agent quick: MathSolver { capacity: small }
    agent slow: MathSolver { capacity: large }
    agent after_quick: Inspector { after: quick }
    agent join: Inspector { after: after_quick, slow }
    output: join
}
"""
LATENCY = {"quick": 0.05, "slow": 0.40, "after_quick": 0.05, "join": 0.05}


def _run(**options):
    model = fake(lambda call: call.agent, latency=lambda call: LATENCY[call.agent])
    return run_team_sync(team(SPEC), "Q", profile=profile_for(model), **options)


def test_every_agent_starts_after_all_its_dependencies_finished():
    result = _run()
    assert result.ok and result.answer == "join"
    by_name = {a.name: a for a in result.agents}
    for agent in team(SPEC).agents:
        for dependency in agent.after:
            assert by_name[agent.name].started >= by_name[dependency].finished


def test_agents_without_a_path_between_them_overlap_and_nobody_waits_for_a_stage():
    result = _run()
    quick, slow, after_quick = (result.agent(n) for n in ("quick", "slow", "after_quick"))
    assert quick.started < slow.finished and slow.started < quick.finished  # overlap
    assert after_quick.started < slow.finished - 0.2  # started long before stage 0 ended
    # the run takes its critical path (slow, then join), not the sum of its stages
    assert result.seconds < LATENCY["slow"] + LATENCY["join"] + 0.15


def test_the_concurrency_bound_holds():
    spec = "team t {\n" + "".join(
        f"    agent a{i}: MathSolver {{}}\n" for i in range(6)) + (
        "    agent j: Inspector { after: " + ", ".join(f"a{i}" for i in range(6)) + " }\n}")
    model = fake(lambda call: "x", latency=0.05)
    result = run_team_sync(team(spec), "Q", profile=profile_for(model), concurrency=2)
    spans = [(a.started, a.finished) for a in result.agents if a.name != "j"]
    most = max(sum(s <= t < f for s, f in spans) for t, _ in spans)
    assert most == 2
    assert result.seconds >= 3 * 0.05
