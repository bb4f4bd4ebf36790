"""The simulated worker environment: a runtime backend whose answers follow its documented
probability model, with common random numbers keyed by (task, agent, sample)."""

from __future__ import annotations

import asyncio

import pytest

from lemonspec.compiler import compile_text
from lemonspec.compiler.edits import legal_edits
from lemonspec.runtime import MemoryCache, run_team
from lemonspec.training.simulator import (
    COMPLETION_TOKENS,
    SAMPLE_KEY,
    TASK_TYPES,
    Simulator,
    sigmoid,
)

CHAIN = """team t {
    agent a: MathAnalyst {
        capacity: small
    }

    agent b: MathSolver {
        duty: "Solve it."
        capacity: large
        after: a
    }

    output: b
}
"""


def run(sim, text, task, key, cache=None):
    async def go():
        SAMPLE_KEY.set(key)
        return await run_team(compile_text(text), task.text, profile=sim.profile,
                              cache=cache, extractor="number", sample=0)
    return asyncio.run(go())


def test_the_probability_model_is_the_documented_one():
    sim = Simulator(0, 3)
    task = next(t for t in sim.tasks if t.type.name == "word_problem")
    kind = TASK_TYPES["word_problem"]
    p = sim.probability(task, "MathSolver", "large", True, [("MathAnalyst", True)])
    assert p == pytest.approx(sigmoid(kind.fit["MathSolver"] + 1.8 - kind.difficulty + 1.0 + 2.5))
    assert sim.probability(task, "MathSolver", "small", False, []) < \
        sim.probability(task, "MathSolver", "large", False, [])
    assert sim.probability(task, "MathSolver", "large", False, [("Inspector", True)]) < \
        sim.probability(task, "MathSolver", "large", False, [])  # an unwanted edge distracts


def test_the_answer_format_every_agent_hears_is_not_a_duty():
    # A number team's agents are all told how to write an answer (runtime/messages.py); the
    # simulator must not read that line as a duty, or every MathSolver gets the duty bonus.
    from lemonspec.compiler.ir import AnswerType
    from lemonspec.runtime.messages import build_messages

    sim = Simulator(0, 3)
    team = compile_text(CHAIN)
    told = {agent.name: build_messages(agent, "Q", {"a": "x"}, {"a": "MathAnalyst"},
                                       answer=AnswerType("number"))[0]["content"]
            for agent in team.agents}
    assert "Answer: <number>" in told["a"]
    assert sim._role(told["a"]) == ("MathAnalyst", False)
    assert sim._role(told["b"]) == ("MathSolver", True)  # "Solve it." is its duty


def test_accuracy_matches_the_model_over_many_samples():
    sim = Simulator(1, 6, task_types=["arithmetic"])
    text = "team t {\n    agent a: MathSolver {\n        capacity: small\n    }\n\n    output: a\n}\n"
    expected = sim.probability(sim.tasks[0], "MathSolver", "small", False, [])
    right = sum(run(sim, text, sim.tasks[k % 6], str(k)).answer == str(sim.tasks[k % 6].answer)
                for k in range(200))
    assert right / 200 == pytest.approx(expected, abs=0.08)


def test_tokens_grow_with_capacity():
    sim = Simulator(0, 3)
    small = run(sim, CHAIN.replace("large", "small"), sim.tasks[0], "k")
    large = run(sim, CHAIN, sim.tasks[0], "k")
    assert small.agent("b").completion_tokens == COMPLETION_TOKENS["small"]
    assert large.agent("b").completion_tokens == COMPLETION_TOKENS["large"]


def test_common_random_numbers_an_edit_changes_outcomes_only_through_probabilities():
    sim = Simulator(2, 12)
    [edit] = legal_edits(CHAIN, "lower_capacity", levels=("small", "medium", "large"))
    for k in range(30):
        task = sim.tasks[k % 12]
        original = run(sim, CHAIN, task, f"s{k}")
        again = run(sim, CHAIN, task, f"s{k}")
        assert original.agent("b").output == again.agent("b").output  # same key, same draw
        edited = run(sim, edit.text, task, f"s{k}")
        # Lowering b's capacity lowers its probability: with the same draw, a right answer
        # can turn wrong, a wrong one never turns right.
        was_right = original.answer == str(task.answer)
        assert not (edited.answer == str(task.answer) and not was_right)
        assert edited.agent("a").output == original.agent("a").output


def test_an_edit_reruns_only_the_edited_agent_and_its_descendants():
    sim = Simulator(0, 3)
    [edit] = legal_edits(CHAIN, "remove_duty")
    cache = MemoryCache()
    first = run(sim, CHAIN, sim.tasks[1], "x", cache)
    second = run(sim, edit.text, sim.tasks[1], "x", cache)
    assert first.model_calls == 2
    assert second.model_calls == 1 and second.agent("a").cached
