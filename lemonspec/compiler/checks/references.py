"""References: base roles, agents in `after` and `output`, capacity levels; shadowed
standard roles (warning) and local roles no agent uses (note)."""

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import Label, did_you_mean, error, note, warning
from lemonspec.compiler.stdlib import standard_modules
from lemonspec.compiler.unit import Unit

DEPENDS_ON = ("imports",)


def run(unit: Unit):
    diagnostics = []
    for team in unit.module.teams:
        diagnostics += _team(unit, team)
    diagnostics += _shadowing(unit)
    diagnostics += _unused_roles(unit)
    return diagnostics


def _team(unit: Unit, team: ast.Team):
    path = unit.path
    agents = dict.fromkeys(a.name.text for a in team.agents)  # ordered, and O(1) `in`
    diagnostics = []
    for agent in team.agents:
        role = agent.base_role
        if role.text not in unit.roles:
            diagnostics.append(error(
                "E0301", _unknown(f"base role '{role.text}'", role.text, unit.roles), path,
                role.span, "declare it with `role NAME { description: \"...\" }` or import a "
                "file that does"))
        capacity = agent.capacity
        if capacity and capacity.level.text not in unit.levels:
            level = capacity.level.text
            diagnostics.append(error(
                "E0304", _unknown(f"capacity level '{level}'", level, unit.levels), path,
                capacity.level.span, f"the levels are {', '.join(unit.levels)}"))
        for dep in agent.dependencies:
            if dep.text == agent.name.text:
                diagnostics.append(error(
                    "E0303", f"agent '{dep.text}' depends on itself", path, dep.span,
                    "remove it from its own `after` list"))
            elif dep.text not in agents:
                diagnostics.append(_unknown_agent(dep, agents, team, path))
    if team.output:
        diagnostics += [_unknown_agent(n, agents, team, path)
                        for n in team.output.agents if n.text not in agents]
    return diagnostics


def _unknown_agent(name: ast.Name, agents, team: ast.Team, path: str):
    return error(
        "E0302", _unknown(f"agent '{name.text}' in team '{team.name.text}'", name.text, agents),
        path, name.span, f"the agents are {', '.join(agents) or 'none'}")


def _unknown(what: str, name: str, known) -> str:
    suggestion = did_you_mean(name, known)
    return f"unknown {what}; {suggestion}" if suggestion else f"unknown {what}"


def _shadowing(unit: Unit):
    std = {r.name.text: (m.path, r.name.span) for m in standard_modules() for r in m.roles}
    return [
        warning("W0301", f"role '{r.name.text}' shadows the standard role of that name",
                unit.path, r.name.span, "rename it to keep the standard role in reach",
                [Label(std[r.name.text][1], "the standard role", std[r.name.text][0])])
        for r in unit.module.roles if r.name.text in std
    ]


def _unused_roles(unit: Unit):
    used = {a.base_role.text for t in unit.module.teams for a in t.agents}
    if not unit.module.teams:  # a file of roles only is a library: its roles are for others
        return []
    return [
        note("N0301", f"role '{r.name.text}' is declared but no agent uses it", unit.path,
             r.name.span, "remove it, or give it to an agent")
        for r in unit.module.roles if r.name.text not in used
    ]
