"""The compiler driver: runs the phases and passes in their fixed order.

    size limit -> parse -> limits -> imports -> names -> references -> graph -> lower

A pass runs only when every pass it depends on reported no error, so each diagnostic is a
real problem and never the echo of an earlier one; all others are reported in one run.
"""

from __future__ import annotations

import os

import attrs

from lemonspec.compiler import ast
from lemonspec.compiler.checks import graph, imports, limits, names, references
from lemonspec.compiler.diagnostics import CompileError, Diagnostic, did_you_mean, error, sort_key
from lemonspec.compiler.ir import TeamIR
from lemonspec.compiler.lower import lower_team
from lemonspec.compiler.parser import parse
from lemonspec.compiler.source import Source
from lemonspec.compiler.stdlib import standard_role_nodes
from lemonspec.compiler.unit import DEFAULT_LEVEL, DEFAULT_LEVELS, Limits, RoleDef, Unit

__all__ = ["DEFAULT_LEVELS", "CheckResult", "Limits", "check_file", "check_text",
           "compile_file", "compile_text"]

DEFAULT_LIMITS = Limits()
PASSES = {"names": names, "references": references, "graph": graph}


@attrs.frozen
class CheckResult:
    path: str
    diagnostics: tuple[Diagnostic, ...]
    sources: dict[str, Source]
    unit: Unit | None = None  # None when the file could not be parsed

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def module(self) -> ast.Module | None:
        return self.unit.module if self.unit else None


def check_text(text: str, path: str = "<text>", *, levels=DEFAULT_LEVELS,
               default_level: str | None = None, limits: Limits = DEFAULT_LIMITS) -> CheckResult:
    """Every diagnostic for one file's text. Never raises on any input."""
    source = Source(path, text)
    sources = {path: source}
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_file_bytes:
        return _result(source, sources, [error(
            "E0901", f"file is larger than {limits.max_file_bytes} bytes", path,
            source.span(0, 0), "split it into files joined with `use`, or raise the limit")])
    module, diagnostics = parse(source)
    if module is None:
        return _result(source, sources, diagnostics)
    limit_problems = limits_pass(module, source, limits, levels)
    if limit_problems:
        return _result(source, sources, diagnostics + limit_problems)
    imported = imports.resolve(module, source, limits)
    sources.update(imported.sources)
    unit = Unit(module, source, sources, _scope(module, source, imported.roles),
                tuple(levels), default_level or _default_level(levels), limits)
    diagnostics += imported.diagnostics
    failed = {"imports"} if any(d.is_error for d in imported.diagnostics) else set()
    for name, check in PASSES.items():
        if failed.intersection(check.DEPENDS_ON):
            continue
        found = check.run(unit)
        diagnostics += found
        if any(d.is_error for d in found):
            failed.add(name)
    return _result(source, sources, diagnostics, unit)


def limits_pass(module, source, limits_, levels):
    unit = Unit(module, source, {}, {}, tuple(levels), levels[0], limits_)
    return limits.run(unit)


def _default_level(levels) -> str:
    return DEFAULT_LEVEL if DEFAULT_LEVEL in levels else levels[len(levels) // 2]


def _scope(module: ast.Module, source: Source, imported: dict[str, RoleDef]):
    roles = {name: RoleDef(name, r.description.value, "std", "<std>", r.name.span)
             for name, r in standard_role_nodes().items()}
    roles.update(imported)
    for r in module.roles:
        roles[r.name.text] = RoleDef(r.name.text, r.description.value, "local", source.path,
                                     r.name.span)
    return roles


def _result(source, sources, diagnostics, unit=None) -> CheckResult:
    ordered = sorted(diagnostics, key=lambda d: (d.path != source.path,) + sort_key(d))
    return CheckResult(source.path, tuple(ordered), sources, unit)


def check_file(path: str | os.PathLike, **options) -> CheckResult:
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        source = Source(path, "")
        return _result(source, {path: source}, [error(
            "E0103", f"cannot read the file: {exc}", path, source.span(0, 0),
            "check the path and that the file is UTF-8 text")])
    return check_text(text, path, **options)


def compile_text(text: str, path: str = "<text>", *, team: str | None = None,
                 **options) -> TeamIR:
    """The IR of one team (`team`, or the file's only team). Raises CompileError."""
    return lower(check_text(text, path, **options), team)


def compile_file(path: str | os.PathLike, *, team: str | None = None, **options) -> TeamIR:
    return lower(check_file(path, **options), team)


def lower(result: CheckResult, team: str | None = None) -> TeamIR:
    if not result.ok:
        raise CompileError(result.diagnostics)
    unit = result.unit
    chosen = _choose_team(unit, team)
    return lower_team(unit, chosen)


def _choose_team(unit: Unit, name: str | None) -> ast.Team:
    teams = unit.module.teams
    where = unit.source.span(0, 0)
    if name is not None:
        found = unit.module.team(name)
        if found:
            return found
        known = [t.name.text for t in teams]
        hint = did_you_mean(name, known)
        raise CompileError([error("E0305", f"no team '{name}' in {unit.path}", unit.path, where,
                                  f"{hint + ' ' if hint else ''}the teams are "
                                  f"{', '.join(known) or 'none'}")])
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise CompileError([error("E0205", "the file declares no team", unit.path, where,
                                  "add `team NAME { ... }`")])
    names = ", ".join(t.name.text for t in teams)
    raise CompileError([error("E0305", f"the file declares {len(teams)} teams ({names}); "
                              "pass --team NAME", unit.path, teams[1].name.span,
                              f"choose one of {names}")])
