"""Workers across servers, over real HTTP on 127.0.0.1 (OpenAITestServer, a test double of a
vLLM/llama.cpp server): a level's calls spread over its servers, a dead server is routed
around with nothing lost, a fallback is sent to its own server, and what a server says that
cannot be used (null content, a huge reply) is named or contained."""

import attrs
import pytest

from lemonspec.runtime import LevelConfig, Profile, run_team_sync
from lemonspec.runtime.llm import truncation_marker

from .conftest import team
from .openai_test_server import OpenAITestServer

WIDE = ("team t {\n" + "".join(f"    agent a{i}: MathSolver {{}}\n" for i in range(8))
        + "    output: vote(" + ", ".join(f"a{i}" for i in range(8)) + ")\n}\n")
ONE = "team t { agent solo: MathSolver {} }"


def profile(**level: object) -> Profile:
    options = {"model": "hosted_vllm/test", "retries": 3, "backoff_initial": 0.01,
               "backoff_max": 0.05, "timeout": 10.0, **level}
    config = LevelConfig(**options)
    return Profile("servers", ("small", "medium", "large"), "medium",
                   {lv: config for lv in ("small", "medium", "large")})


@pytest.fixture
def two_servers():
    with OpenAITestServer("a") as a, OpenAITestServer("b") as b:
        yield a, b


def test_a_levels_calls_spread_over_its_servers(two_servers):
    a, b = two_servers
    chosen = profile(api_base=(a.api_base, b.api_base))
    for _ in range(3):
        result = run_team_sync(team(WIDE), "Q", profile=chosen)
        assert result.ok
    assert len(a.requests) + len(b.requests) == 24
    assert len(a.requests) >= 4 and len(b.requests) >= 4  # shuffled: each gets a share


def test_a_dead_server_is_routed_around_and_nothing_is_lost(two_servers):
    a, b = two_servers
    chosen = profile(api_base=(a.api_base, b.api_base))
    assert run_team_sync(team(WIDE), "Q", profile=chosen).ok
    b.stop()  # server b dies: its connections drop, new ones are refused
    served_by_a = len(a.requests)
    results = [run_team_sync(team(WIDE), "Q", profile=chosen) for _ in range(3)]
    assert all(r.ok for r in results)  # every agent of every run answered
    assert {a.output for r in results for a in r.agents} == {"a says Answer: 4"}
    assert len(a.requests) - served_by_a == 24
    retried = sum(agent.attempts > 1 for r in results for agent in r.agents)
    assert retried <= 8  # only calls that reached b before its cooldown were retried


def test_a_fallback_goes_to_its_own_server_not_the_primarys(two_servers):
    a, b = two_servers
    a.rule = lambda body: 503  # the primary's server keeps failing
    fallback = {"model": "hosted_vllm/backup", "api_base": b.api_base}
    chosen = profile(api_base=a.api_base, retries=1, fallbacks=(_endpoint(fallback),))
    result = run_team_sync(team(ONE), "Q", profile=chosen)
    assert result.ok and result.answer == "b says Answer: 4"
    assert result.agent("solo").model == "hosted_vllm/backup"
    assert len(a.requests) == 2 and [r["model"] for r in b.requests] == ["backup"]


def test_a_failure_names_the_agent_the_model_and_the_server(two_servers):
    a, _ = two_servers
    a.rule = lambda body: 500
    result = run_team_sync(team(ONE), "Q", profile=profile(api_base=a.api_base, retries=1))
    error = result.agent("solo").error
    assert error.startswith("agent 'solo' failed: hosted_vllm/test at " + a.api_base)
    assert "after 2 attempts" in error


def test_a_null_content_is_a_failure_with_its_cause(two_servers):
    a, _ = two_servers
    a.rule = lambda body: None
    result = run_team_sync(team(ONE), "Q", profile=profile(api_base=a.api_base))
    solo = result.agent("solo")
    assert not result.ok and solo.status == "failed" and result.answer is None
    assert "EmptyReply: the model returned no content (null)" in solo.error
    assert len(a.requests) == 1  # asking again would not help


def test_an_oversized_reply_is_cut_with_a_marker(two_servers, tmp_path):
    a, _ = two_servers
    a.rule = lambda body: "x" * 300_000
    events = []
    result = run_team_sync(team(ONE), "Q", profile=profile(api_base=a.api_base, max_reply_chars=1000),
                           listeners=[events.append], trace=tmp_path / "t.jsonl")
    output = result.agent("solo").output
    assert result.ok and output == "x" * 1000 + truncation_marker()
    assert "reply truncated here" in output
    [warning] = [e for e in events if e["event"] == "reply_truncated"]
    assert warning["chars"] == 300_000 and warning["kept"] == 1000
    assert (tmp_path / "t.jsonl").stat().st_size < 20_000  # the trace holds the cut reply


def test_a_cut_reply_is_judged_on_what_was_kept_not_on_the_note(two_servers):
    a, _ = two_servers
    a.rule = lambda body: "The total is 42 " + "x" * 5000  # no "Answer:" line
    numbered = team("team t { answer: number agent solo: MathSolver {} }")
    result = run_team_sync(numbered, "Q", profile=profile(api_base=a.api_base, max_reply_chars=100))
    assert "reply truncated here" in result.agent("solo").output
    assert result.answer == "42"


def _endpoint(table):
    from lemonspec.runtime import Endpoint

    return Endpoint(**table)


def test_the_default_cap_is_documented_in_the_config():
    assert attrs.fields_dict(LevelConfig)["max_reply_chars"].default == 200_000


@pytest.mark.parametrize("status, error", [(401, "AuthenticationError"), (404, "NotFoundError"),
                                           (400, "BadRequestError")])
def test_an_error_that_retrying_cannot_fix_is_not_retried(two_servers, status, error):
    a, _ = two_servers
    a.rule = lambda body: status
    result = run_team_sync(team(ONE), "Q", profile=profile(api_base=a.api_base, retries=3))
    assert not result.ok and len(a.requests) == 1
    assert error in result.agent("solo").error and "after 1 attempt:" in result.agent("solo").error
