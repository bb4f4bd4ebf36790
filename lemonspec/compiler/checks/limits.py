"""Limits: agents per team, string and name lengths (file size is checked before parsing)."""

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import error
from lemonspec.compiler.unit import Unit

DEPENDS_ON = ()


def run(unit: Unit):
    limits, path = unit.limits, unit.path
    diagnostics = []
    for team in unit.module.teams:
        if len(team.agents) > limits.max_agents:
            diagnostics.append(error(
                "E0902", f"team '{team.name.text}' has {len(team.agents)} agents; the limit is "
                f"{limits.max_agents}", path, team.name.span,
                "split the work into smaller teams, or raise Limits.max_agents"))
    for string in unit.module.strings():
        if len(string.value) > limits.max_string_chars:
            diagnostics.append(error(
                "E0903", f"string of {len(string.value)} characters; the limit is "
                f"{limits.max_string_chars}", path, string.span, "shorten the text"))
    for name in _names(unit.module):
        if len(name.text) > limits.max_name_chars:
            diagnostics.append(error(
                "E0905", f"name of {len(name.text)} characters; the limit is "
                f"{limits.max_name_chars}", path, name.span, "use a shorter name"))
    return diagnostics


def _names(module: ast.Module):
    for item in module.items:
        if isinstance(item, ast.Role):
            yield item.name
        elif isinstance(item, ast.Team):
            yield item.name
            for agent in item.agents:
                yield agent.name
                yield agent.base_role
