"""Retries with backoff on transient errors, the per-attempt timeout, fallback models, and a
failure that names the agent, model and cause while the run keeps everything else."""

import attrs
import pytest

from lemonspec.runtime import Fault, run_team_sync, uniform_profile
from lemonspec.runtime.llm import is_transient

from .conftest import fake, profile_for, team

ONE = "team t { agent solo: MathSolver {} }"
CHAIN_AND_SIDE = """
team t {
    agent first: MathAnalyst {}
    agent second: MathSolver { after: first }
    agent side: Critic {}
    agent last: Inspector { after: second, side }
    output: last
}
"""


@pytest.mark.parametrize("kind", ["rate_limit", "server_error", "unavailable", "connection",
                                  "timeout"])
def test_transient_errors_are_retried_until_an_attempt_succeeds(kind):
    model = fake(lambda call: "fine", faults=[Fault(kind, calls={1, 2})])
    result = run_team_sync(team(ONE), "Q", profile=profile_for(model, retries=2))
    assert result.ok and result.answer == "fine"
    assert result.agent("solo").attempts == 3 and len(model.calls) == 3


def test_a_hung_call_hits_the_per_attempt_timeout_and_is_retried():
    model = fake(lambda call: "fine", faults=[Fault("hang", calls={1})])
    result = run_team_sync(team(ONE), "Q", profile=profile_for(model, timeout=0.1, retries=1))
    assert result.ok and result.agent("solo").attempts == 2
    assert result.seconds < 1.0


def test_a_non_transient_error_is_not_retried():
    model = fake(lambda call: "fine", faults=[Fault("bad_request", calls={1})])
    result = run_team_sync(team(ONE), "Q", profile=profile_for(model, retries=3))
    assert not result.ok and len(model.calls) == 1
    assert "BadRequestError" in result.agent("solo").error


def test_fallback_models_answer_when_the_primary_keeps_failing():
    primary = fake(lambda call: "primary", faults=[Fault("rate_limit", probability=1.0)])
    backup = fake(lambda call: "backup")
    profile = uniform_profile(primary.model, fallbacks=(backup.model,), retries=1,
                              backoff_initial=0.001, backoff_max=0.01)
    result = run_team_sync(team(ONE), "Q", profile=profile)
    solo = result.agent("solo")
    assert result.ok and result.answer == "backup" and solo.model == backup.model
    assert len(primary.calls) == 2 and len(backup.calls) == 1 and solo.attempts == 1


def test_a_final_failure_names_agent_model_and_cause_and_keeps_the_other_results():
    # `second` always gets 503s; `first` and `side` succeed; `last` depends on `second`
    model = fake(lambda call: f"{call.agent} ok")
    failing = fake(lambda call: "never", faults=[Fault("unavailable", probability=1.0)])
    profile = profile_for(model, retries=1)
    large = attrs.evolve(profile.config("large"), model=failing.model)
    profile = attrs.evolve(profile, configs={**profile.configs, "large": large})
    ir = team(CHAIN_AND_SIDE.replace("agent second: MathSolver {",
                                     "agent second: MathSolver { capacity: large"))
    result = run_team_sync(ir, "Q", profile=profile)
    status = {a.name: a.status for a in result.agents}
    assert status == {"first": "ok", "second": "failed", "side": "ok", "last": "skipped"}
    error = result.agent("second").error
    assert error.startswith("agent 'second' failed: ")
    assert failing.model in error and "after 2 attempts" in error
    assert "ServiceUnavailableError" in error
    assert result.agent("last").error == "not run: dependency 'second' did not finish"
    assert result.agent("first").output == "first ok" and result.agent("side").output == "side ok"
    assert result.answer is None and not result.ok


def test_faults_by_probability_are_reproducible_with_a_seed():
    def failures(seed):
        model = fake(lambda call: "x", seed=seed, faults=[Fault("server_error", probability=0.5)])
        run_team_sync(team(ONE), "Q", profile=profile_for(model, retries=9))
        return len(model.calls)

    assert failures(7) == failures(7)


def test_what_counts_as_transient():
    import litellm

    assert is_transient(TimeoutError())
    assert is_transient(litellm.RateLimitError("x", "p", "m"))
    assert is_transient(litellm.InternalServerError("x", "p", "m"))
    assert is_transient(litellm.APIConnectionError("x", "p", "m"))
    assert not is_transient(litellm.BadRequestError("x", "m", "p"))
    assert not is_transient(litellm.AuthenticationError("x", "p", "m"))
