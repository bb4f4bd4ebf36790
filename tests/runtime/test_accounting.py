"""Tokens, latency and cost per agent and per run, with and without provider usage."""

import json

from lemonspec.runtime import ScriptedReply, run_team_sync
from lemonspec.runtime.llm import _reply

from .conftest import fake, profile_for, team

SPEC = """
team t {
    agent a: MathAnalyst {}
    agent b: MathSolver { after: a }
    output: b
}
"""


def test_provider_usage_is_reported_per_agent_and_summed_per_run():
    usage = {"a": (11, 3), "b": (20, 5)}
    model = fake(lambda call: ScriptedReply(call.agent, *usage[call.agent]), latency=0.02)
    result = run_team_sync(team(SPEC), "Q", profile=profile_for(model))
    for name, (prompt, completion) in usage.items():
        agent = result.agent(name)
        assert (agent.prompt_tokens, agent.completion_tokens) == (prompt, completion)
        assert agent.seconds >= 0.02
        assert agent.cost == 0.0  # an in-process model has no per-token price
    assert (result.prompt_tokens, result.completion_tokens) == (31, 8)
    assert result.cost == 0.0 and result.model_calls == 2


def test_missing_usage_is_counted_with_a_tokenizer_not_a_crash(tmp_path):
    model = fake(lambda call: "four words right here", report_usage=False)
    trace = tmp_path / "run.jsonl"
    result = run_team_sync(team(SPEC), "Q", profile=profile_for(model), trace=trace)
    for agent in result.agents:
        assert agent.prompt_tokens > 0 and agent.completion_tokens >= 4
    responses = [e for e in map(json.loads, trace.read_text().splitlines())
                 if e["event"] == "llm_response"]
    assert [e["usage_reported"] for e in responses] == [False, False]


class _Response:
    """The shape of a LiteLLM response, for the accounting function alone."""

    def __init__(self, text, usage):
        self.choices = [type("C", (), {"message": type("M", (), {"content": text})()})()]
        self.usage = usage


def test_cost_comes_from_litellm_where_it_knows_the_price():
    import litellm

    usage = litellm.Usage(prompt_tokens=1000, completion_tokens=100, total_tokens=1100)
    response = litellm.ModelResponse(model="gpt-4o-mini", usage=usage)
    response.choices[0].message.content = "hi"
    reply = _reply(litellm, "openai/gpt-4o-mini", "hi", [], response, 0.1, 1)
    expected = sum(litellm.cost_per_token(model="gpt-4o-mini", prompt_tokens=1000,
                                          completion_tokens=100))
    assert reply.cost is not None and abs(reply.cost - expected) < 1e-12
    assert (reply.prompt_tokens, reply.completion_tokens, reply.usage_reported) == (1000, 100, True)


def test_an_unknown_price_makes_the_run_cost_unknown():
    from lemonspec.runtime.results import AgentResult, RunResult

    priced = AgentResult("a", "small", "m", "ok", attempts=1, cost=0.5)
    unpriced = AgentResult("b", "small", "m", "ok", attempts=1, cost=None)
    cached = AgentResult("c", "small", "m", "ok", cached=True, cost=None)
    run = lambda *agents: RunResult("t", "id", None, None, agents, 0.0)
    assert run(priced, cached).cost == 0.5  # a cache hit spends nothing
    assert run(priced, unpriced).cost is None


def test_no_usage_and_no_price_gives_counted_tokens_and_no_cost():
    import litellm

    messages = [{"role": "user", "content": "hello there"}]
    reply = _reply(litellm, "fake/nothing", "a b c", messages, _Response("a b c", None), 0.1, 1)
    assert reply.prompt_tokens > 0 and reply.completion_tokens > 0
    assert reply.cost is None and not reply.usage_reported
