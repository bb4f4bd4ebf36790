"""The compiler driver: runs the phases and passes in their fixed order.

    size and encoding -> parse -> limits -> imports -> names -> references -> graph -> answers
    -> lower

A pass runs only when every pass it depends on reported no error, so each diagnostic is a
real problem and never the echo of an earlier one; all others are reported in one run.
"""

from __future__ import annotations

import contextlib
import gc
import os

import attrs

from lemonspec.compiler import ast
from lemonspec.compiler.checks import answers, graph, imports, limits, names, references
from lemonspec.compiler.diagnostics import CompileError, Diagnostic, did_you_mean, error, sort_key
from lemonspec.compiler.files import file_source, source_of
from lemonspec.compiler.ir import TeamIR
from lemonspec.compiler.lower import lower_team
from lemonspec.compiler.parser import parse
from lemonspec.compiler.source import Source
from lemonspec.compiler.stdlib import standard_role_nodes
from lemonspec.compiler.unit import DEFAULT_LEVEL, DEFAULT_LEVELS, Limits, RoleDef, Unit

__all__ = ["DEFAULT_LEVELS", "CheckResult", "Limits", "check_file", "check_text",
           "compile_file", "compile_text"]

DEFAULT_LIMITS = Limits()
PASSES = {"names": names, "references": references, "graph": graph, "answers": answers}


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


def check_text(text: str | bytes, path: str = "<text>", *, root: str | os.PathLike | None = None,
               levels=DEFAULT_LEVELS, default_level: str | None = None,
               limits: Limits = DEFAULT_LIMITS) -> CheckResult:
    """Every diagnostic for one file's text (str, or bytes read as a file's content). Never
    raises on any input. `use` paths resolve inside `root`: by default the folder of `path`,
    or the current directory for a text with no file (a path like "<text>")."""
    source, refused = source_of(text, path, limits.max_file_bytes)
    if refused:
        return _result(source, {path: source}, [refused])
    return _check_source(source, root, levels, default_level, limits)


@contextlib.contextmanager
def paused_gc():
    """Python's cyclic collector off while a phase builds its (acyclic) trees, back on
    after. With it on, each collection walks every node built so far, and check of a
    4 MiB spec took 2.8x as long, growing from 1.5 to 3.6 us per byte between 40 KB and
    4 MB; without it the cost is a flat 1.3 us per byte (perf/compiler_scaling.py)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _check_source(source: Source, root, levels, default_level, limits) -> CheckResult:
    with paused_gc():
        return _checked(source, root, levels, default_level, limits)


def _checked(source: Source, root, levels, default_level, limits) -> CheckResult:
    path = source.path
    sources = {path: source}
    module, diagnostics = parse(source)
    if module is None:
        return _result(source, sources, diagnostics)
    limit_problems = limits_pass(module, source, limits, levels)
    if limit_problems:
        return _result(source, sources, diagnostics + limit_problems)
    imported = imports.resolve(module, source, limits, project_root(path, root))
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


def project_root(path: str, root: str | os.PathLike | None = None) -> str:
    """The folder `use` may not leave: `root` if given, else the file's folder (the current
    directory for a text with no file)."""
    if root is not None:
        return os.path.abspath(os.fspath(root))
    if path.startswith("<"):
        return os.getcwd()
    return os.path.dirname(os.path.abspath(path))


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


def check_file(path: str | os.PathLike, *, root: str | os.PathLike | None = None,
               levels=DEFAULT_LEVELS, default_level: str | None = None,
               limits: Limits = DEFAULT_LIMITS) -> CheckResult:
    """check_text on a file's content; a file that is not a regular file, is larger than
    the limit or is not UTF-8 is refused before (or while) it is read."""
    path = os.fspath(path)
    source, refused = file_source(path, limits.max_file_bytes)
    if refused:
        return _result(source, {path: source}, [refused])
    return _check_source(source, root, levels, default_level, limits)


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
    with paused_gc():
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
