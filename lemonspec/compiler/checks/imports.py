"""Imports: follow `use "PATH"` (relative to the importing file) and collect the base roles
they declare. Missing or unreadable files, cycles and too-deep nesting are errors; syntax
errors inside an imported file are reported at their own location."""

from __future__ import annotations

import os

import attrs

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import Diagnostic, error
from lemonspec.compiler.parser import parse
from lemonspec.compiler.source import Source
from lemonspec.compiler.unit import Limits, RoleDef

DEPENDS_ON = ()


@attrs.frozen
class Imported:
    roles: dict[str, RoleDef]
    sources: dict[str, Source]
    diagnostics: list[Diagnostic]


def resolve(module: ast.Module, source: Source, limits: Limits) -> Imported:
    state = _Walk(limits)
    state.visit(module, source, chain=(_key(source.path),))
    return Imported(state.roles, state.sources, state.diagnostics)


def _key(path: str) -> str:
    return os.path.realpath(path) if not path.startswith("<") else path


class _Walk:
    def __init__(self, limits: Limits):
        self.limits = limits
        self.roles: dict[str, RoleDef] = {}
        self.sources: dict[str, Source] = {}
        self.diagnostics: list[Diagnostic] = []
        self.done: set[str] = set()

    def visit(self, module: ast.Module, source: Source, chain: tuple[str, ...]):
        for use in module.uses:
            self._follow(use, source, chain)

    def _follow(self, use: ast.Use, source: Source, chain: tuple[str, ...]):
        base = os.path.dirname(source.path) if not source.path.startswith("<") else os.getcwd()
        target = os.path.normpath(os.path.join(base, use.path.value))
        key = _key(target)
        if key in chain:
            cycle = " -> ".join(os.path.basename(p) for p in chain + (key,))
            self._error("E0102", f"import cycle: {cycle}", source, use,
                        "remove one of the `use` lines in the cycle")
        elif len(chain) > self.limits.max_import_depth:
            self._error("E0904", f"imports nested more than {self.limits.max_import_depth} deep",
                        source, use, "flatten the imports")
        elif key not in self.done:
            self.done.add(key)
            self._load(target, key, use, source, chain)

    def _load(self, target: str, key: str, use: ast.Use, source: Source, chain):
        if not os.path.isfile(target):
            self._error("E0101", f"cannot find `{use.path.value}` (looked for {target})",
                        source, use, "the path is relative to the importing file")
            return
        try:
            if os.path.getsize(target) > self.limits.max_file_bytes:
                self._error("E0901", f"`{use.path.value}` is larger than "
                            f"{self.limits.max_file_bytes} bytes", source, use, None)
                return
            with open(target, encoding="utf-8") as handle:
                imported = Source(target, handle.read())
        except (OSError, UnicodeDecodeError) as exc:
            self._error("E0103", f"cannot read `{use.path.value}`: {exc}", source, use, None)
            return
        self.sources[imported.path] = imported
        module, diagnostics = parse(imported)
        self.diagnostics += diagnostics
        if module is None:
            return
        for role in module.roles:
            self.roles.setdefault(role.name.text, RoleDef(
                role.name.text, role.description.value, "imported", imported.path, role.name.span))
        self.visit(module, imported, chain + (key,))

    def _error(self, code, message, source: Source, use: ast.Use, help_):
        self.diagnostics.append(error(code, message, source.path, use.path.span, help_))


