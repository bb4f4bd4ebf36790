"""What one agent is told: its instructions as the system message (then, for a team whose
answer type has a format, how to write an answer), then the task and the labelled outputs of
the agents it depends on, in `after` order."""

from __future__ import annotations

from collections.abc import Mapping

from lemonspec.compiler.ir import AgentNode, AnswerType, TeamIR
from lemonspec.runtime.answers import answer_format


def roles(team: TeamIR) -> dict[str, str]:
    """Each agent's base role, by name: the labels of the outputs it passes on."""
    return {a.name: a.role for a in team.agents}


def build_messages(agent: AgentNode, task_input: str, outputs: Mapping[str, str],
                   roles: Mapping[str, str],
                   answer: AnswerType | None = None) -> list[dict[str, str]]:
    """`outputs` and `roles` hold at least every agent in `agent.after` (see `roles()`);
    `answer` is the team's answer type (runtime/answers.py's `team_answer_type`). Every
    agent hears the format, since any of them may be the one whose answer counts."""
    sections = [f"Task:\n{task_input.strip()}"]
    for name in agent.after:
        sections.append(f"Output of {name} ({roles[name]}):\n{outputs[name].strip()}")
    form = answer_format(answer) if answer is not None else None
    system = agent.instructions if form is None else f"{agent.instructions}\n\n{form}"
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "\n\n".join(sections)},
    ]
