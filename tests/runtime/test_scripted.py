"""The ScriptedModel test double itself: tables, defaults, what a rule sees, sync calls."""

import pytest

from lemonspec.runtime import ScriptedModel, run_team_sync

from .conftest import fake, profile_for, team

SPEC = """
team t {
    agent a: MathAnalyst {}
    agent b: MathSolver { after: a }
    output: b
}
"""


def test_a_recorded_table_answers_by_user_message_with_a_default():
    model = fake(table={"Task:\nQ": "from the table"}, default="by default")
    result = run_team_sync(team(SPEC), "Q", profile=profile_for(model))
    assert result.agent("a").output == "from the table"
    assert result.agent("b").output == "by default"


def test_a_gap_in_the_table_fails_the_agent_at_once_with_the_reason():
    model = fake(table={"nothing": "x"})
    result = run_team_sync(team(SPEC), "Q", profile=profile_for(model, retries=3))
    assert len(model.calls) == 1  # not retried: it is no transient fault
    assert "has no scripted answer" in result.agent("a").error


def test_a_rule_sees_model_messages_parameters_and_agent():
    model = fake(lambda call: "ok")
    run_team_sync(team(SPEC), "Q", profile=profile_for(model, max_tokens=33, temperature=0.5))
    call = model.calls[0]
    assert call.model == model.model and call.agent == "a" and call.index == 1
    assert call.params["max_tokens"] == 33 and call.params["temperature"] == 0.5
    assert call.system == team(SPEC).agent("a").instructions and call.user == "Task:\nQ"
    assert len(call.metadata["agent_hash"]) == 24


def test_litellm_sync_completion_reaches_it_too():
    from lemonspec.runtime.providers import litellm

    model = fake(lambda call: f"echo {call.user}")
    response = litellm().completion(model=model.model,
                                    messages=[{"role": "user", "content": "hi"}])
    assert response.choices[0].message.content == "echo hi"
    assert response.usage.completion_tokens == 2


def test_it_needs_something_to_answer_with():
    with pytest.raises(ValueError, match="needs a rule, a table or a default"):
        ScriptedModel("empty")
