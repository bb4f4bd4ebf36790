"""Names: duplicates, keywords used as names, repeated fields, empty teams."""

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import Label, error
from lemonspec.compiler.unit import Unit

DEPENDS_ON = ()

KEYWORDS = frozenset(
    ["use", "role", "team", "agent", "goal", "duty", "capacity", "after", "output", "vote", "description"]
)


def run(unit: Unit):
    module, path = unit.module, unit.path
    diagnostics = []
    diagnostics += _duplicates([r.name for r in module.roles], "role", path)
    diagnostics += _duplicates([t.name for t in module.teams], "team", path)
    for team in module.teams:
        diagnostics += _check_team(team, path)
    for name in _declared_names(module):
        if name.text in KEYWORDS:
            diagnostics.append(error(
                "E0202", f"`{name.text}` is a keyword and cannot be a name", path, name.span,
                f"rename it, e.g. `{name.text}_`"))
    return diagnostics


def _check_team(team: ast.Team, path: str):
    diagnostics = []
    if not team.agents:
        diagnostics.append(error(
            "E0204", f"team '{team.name.text}' has no agents", path, team.name.span,
            "add at least one `agent NAME: BASEROLE { ... }`"))
    diagnostics += _duplicates([a.name for a in team.agents], "agent", path)
    diagnostics += _repeated(team.items, (ast.GoalField, ast.AnswerField, ast.OutputField), path)
    for agent in team.agents:
        diagnostics += _repeated(agent.fields, tuple(ast.FIELD_KEYS), path)
        for field in agent.fields:
            if isinstance(field, ast.AfterField):
                diagnostics += _duplicates(list(field.agents), "dependency", path)
    output = team.output
    if output and output.vote:
        diagnostics += _duplicates(list(output.agents), "voter", path)
    return diagnostics


def _duplicates(names: list[ast.Name], kind: str, path: str):
    first: dict[str, ast.Name] = {}
    diagnostics = []
    for name in names:
        if name.text in first:
            diagnostics.append(error(
                "E0201", f"duplicate {kind} '{name.text}'", path, name.span,
                "rename or remove one of the two", [Label(first[name.text].span, "first here")]))
        else:
            first[name.text] = name
    return diagnostics


def _field_key(node) -> str:
    return {ast.GoalField: "goal", ast.AnswerField: "answer", ast.OutputField: "output",
            **ast.FIELD_KEYS}[type(node)]


def _repeated(nodes, kinds, path: str):
    seen: dict[type, object] = {}
    diagnostics = []
    for node in nodes:
        if not isinstance(node, kinds):
            continue
        if type(node) in seen:
            key = _field_key(node)
            diagnostics.append(error(
                "E0203", f"`{key}` is given more than once", path, node.key,
                f"keep one `{key}`", [Label(seen[type(node)].key, "first given here")]))
        else:
            seen[type(node)] = node
    return diagnostics


def _declared_names(module: ast.Module):
    for item in module.items:
        if isinstance(item, (ast.Role, ast.Team)):
            yield item.name
        if isinstance(item, ast.Team):
            yield from (a.name for a in item.agents)
