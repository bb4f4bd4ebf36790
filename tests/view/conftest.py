"""A real traced run for the viewer's tests: a team of six on a ScriptedModel (the test-double
LLM) whose replies attack the page, with one agent that fails and one skipped after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lemonspec.compiler import compile_text
from lemonspec.runtime import ScriptedModel, run_team_sync, uniform_profile

TEAM = """
team hostile {
    goal: "Answer <b>bold</b> questions."
    agent reader: MathAnalyst { capacity: small }
    agent writer: MathSolver { capacity: large after: reader }
    agent second: Inspector { after: reader }
    agent doomed: Critic { after: reader }
    agent after_doom: Inspector { after: doomed }
    agent judge: Inspector { after: writer, second }
    output: judge
}
"""
AGENTS = ("reader", "writer", "second", "doomed", "after_doom", "judge")
# What a hostile model might say: markup that must stay text.
ATTACK = ('</pre></div><script>document.title="pwned"</script>'
          '<img src=x onerror="document.title=\'pwned\'"><svg onload="alert(1)">'
          "]]><!-- ' \" & </textarea></title>")


def rule(call):
    if call.agent == "doomed":
        raise ValueError("the doomed agent's model refuses")
    return f"{call.agent} says {ATTACK} Answer: 42"


@pytest.fixture(scope="session")
def trace(tmp_path_factory) -> Path:
    """A JSONL trace of one run of TEAM."""
    path = tmp_path_factory.mktemp("view") / "run.jsonl"
    model = ScriptedModel("view-hostile", rule, latency=0.05)
    profile = uniform_profile(model.model, backoff_initial=0.001, backoff_max=0.01,
                              timeout=5.0, retries=0)
    ir = compile_text(TEAM, "<view-test>")
    result = run_team_sync(ir, f"What is 6*7? {ATTACK}", profile=profile, trace=path)
    assert [a.status for a in result.agents] == ["ok", "ok", "ok", "failed", "skipped", "ok"]
    return path
