"""Drawing a team's dependency graph as Graphviz dot or Mermaid text."""

from __future__ import annotations

from lemonspec.compiler.ir import TeamIR


def _label(agent) -> str:
    return f"{agent.name}\\n{agent.role} · {agent.capacity}"


def _vote_label(ir: TeamIR) -> str:
    """`vote`, with what it counts when the team declares it (`vote · number`)."""
    return "vote" if ir.answer is None else f"vote · {ir.answer}"


def to_dot(ir: TeamIR) -> str:
    lines = [f'digraph "{ir.team}" {{', "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    answer = set(ir.output.agents)
    for a in ir.agents:
        extra = ", penwidth=2" if a.name in answer else ""
        lines.append(f'  "{a.name}" [label="{_label(a)}"{extra}];')
    lines += [f'  "{dep}" -> "{a.name}";' for a in ir.agents for dep in a.after]
    if ir.output.kind == "vote":
        label = _vote_label(ir).replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'  "vote" [shape=diamond, label="{label}"];')
        lines += [f'  "{n}" -> "vote";' for n in ir.output.agents]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(ir: TeamIR) -> str:
    lines = ["flowchart LR"]
    for a in ir.agents:
        lines.append(f'  {a.name}["{a.name}<br/>{a.role} · {a.capacity}"]')
    lines += [f"  {dep} --> {a.name}" for a in ir.agents for dep in a.after]
    if ir.output.kind == "vote":
        lines.append(f'  vote{{"{_vote_label(ir).replace(chr(34), "#quot;")}"}}')
        lines += [f"  {n} --> vote" for n in ir.output.agents]
    return "\n".join(lines) + "\n"
