"""What each agent is told: instructions as system; task then labelled dependency outputs."""

from lemonspec.runtime import build_messages, run_team_sync
from lemonspec.runtime.messages import roles

from .conftest import fake, profile_for, team

SPEC = """
team t {
    agent analyst: MathAnalyst { duty: "List the quantities." }
    agent solver: MathSolver { after: analyst }
    agent checker: Inspector { duty: "Check both." after: solver, analyst }
    output: checker
}
"""


def test_system_is_the_instructions_and_user_lists_outputs_in_after_order():
    ir = team(SPEC)
    checker = ir.agent("checker")
    messages = build_messages(checker, "  What is 2+3?\n", {"analyst": "A out", "solver": "S out"},
                              roles(ir))
    assert messages == [
        {"role": "system", "content": checker.instructions},
        {"role": "user", "content": "Task:\nWhat is 2+3?\n\n"
                                    "Output of solver (MathSolver):\nS out\n\n"
                                    "Output of analyst (MathAnalyst):\nA out"},
    ]
    assert checker.instructions.endswith("Check both.")


def test_an_agent_without_duty_is_told_its_base_role_only():
    ir = team(SPEC)
    solver = ir.agent("solver")
    [system, user] = build_messages(solver, "Q", {"analyst": "A out"}, roles(ir))
    assert system["content"] == solver.role_description
    assert user["content"] == "Task:\nQ\n\nOutput of analyst (MathAnalyst):\nA out"


def test_the_model_receives_exactly_these_messages():
    model = fake(lambda call: f"out of {call.agent}")
    ir = team(SPEC)
    run_team_sync(ir, "Q", profile=profile_for(model))
    sent = {call.agent: list(call.messages) for call in model.calls}
    outputs = {"analyst": "out of analyst", "solver": "out of solver"}
    for agent in ir.agents:
        assert sent[agent.name] == build_messages(agent, "Q", outputs, roles(ir))


def test_the_answer_format_follows_the_instructions_and_free_text_adds_none():
    from lemonspec.compiler.ir import TEXT, AnswerType

    ir = team(SPEC)
    solver = ir.agent("solver")
    plain = build_messages(solver, "Q", {"analyst": "A out"}, roles(ir))
    assert build_messages(solver, "Q", {"analyst": "A out"}, roles(ir), TEXT) == plain
    [system, user] = build_messages(solver, "Q", {"analyst": "A out"}, roles(ir),
                                    AnswerType("choice", ("A", "B")))
    assert system["content"] == (solver.instructions + "\n\nWhen you give an answer, end with "
                                 "a line of the form 'Answer: <letter>', the letter being one "
                                 "of A, B.")
    assert user == plain[1]


def test_standard_roles_carry_no_task_specific_answer_format():
    """Formats come from the team's answer type (or a duty), never from a standard role."""
    from lemonspec.compiler.stdlib import standard_modules

    for module in standard_modules():
        for role in module.roles:
            assert "Answer:" not in role.description.value, role.name.text
