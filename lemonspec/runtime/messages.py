"""What one agent is told: its instructions as the system message, then the task and the
labelled outputs of the agents it depends on, in `after` order."""

from __future__ import annotations

from collections.abc import Mapping

from lemonspec.compiler.ir import AgentNode, TeamIR


def build_messages(agent: AgentNode, task_input: str, outputs: Mapping[str, str],
                   team: TeamIR) -> list[dict[str, str]]:
    """`outputs` holds at least the output of every agent in `agent.after`."""
    sections = [f"Task:\n{task_input.strip()}"]
    for name in agent.after:
        role = team.agent(name).role
        sections.append(f"Output of {name} ({role}):\n{outputs[name].strip()}")
    return [
        {"role": "system", "content": agent.instructions},
        {"role": "user", "content": "\n\n".join(sections)},
    ]
