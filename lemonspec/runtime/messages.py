"""What one agent is told: its instructions as the system message, then the task and the
labelled outputs of the agents it depends on, in `after` order."""

from __future__ import annotations

from collections.abc import Mapping

from lemonspec.compiler.ir import AgentNode, TeamIR


def roles(team: TeamIR) -> dict[str, str]:
    """Each agent's base role, by name: the labels of the outputs it passes on."""
    return {a.name: a.role for a in team.agents}


def build_messages(agent: AgentNode, task_input: str, outputs: Mapping[str, str],
                   roles: Mapping[str, str]) -> list[dict[str, str]]:
    """`outputs` and `roles` hold at least every agent in `agent.after` (see `roles()`)."""
    sections = [f"Task:\n{task_input.strip()}"]
    for name in agent.after:
        sections.append(f"Output of {name} ({roles[name]}):\n{outputs[name].strip()}")
    return [
        {"role": "system", "content": agent.instructions},
        {"role": "user", "content": "\n\n".join(sections)},
    ]
