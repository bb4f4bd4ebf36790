"""Imports: follow `use "PATH"` (relative to the importing file) and collect the base roles
they declare. Missing or unreadable files, cycles and too-deep nesting are errors; syntax
errors inside an imported file are reported at their own location.

Imports are confined, because a spec may be a stranger's or a model's: PATH is relative,
names a `.lemon` file, and stays inside the project root (symlinks resolved), or it is an
error before the file system is asked anything else. Only such files are read (regular
files, size-checked before reading, see files.py), so no diagnostic can show the content of
another file (`use "/proc/self/environ"` is E0104). The standard library needs no `use`.
Proved by tests/compiler/test_pass_imports.py."""

from __future__ import annotations

import os

import attrs

from lemonspec.compiler import ast
from lemonspec.compiler.diagnostics import Diagnostic, error
from lemonspec.compiler.files import SPEC_SUFFIX, Refusal, decode, read_bytes
from lemonspec.compiler.parser import parse
from lemonspec.compiler.source import Source
from lemonspec.compiler.unit import Limits, RoleDef

DEPENDS_ON = ()


@attrs.frozen
class Imported:
    roles: dict[str, RoleDef]
    sources: dict[str, Source]
    diagnostics: list[Diagnostic]


def resolve(module: ast.Module, source: Source, limits: Limits, root: str) -> Imported:
    state = _Walk(limits, root)
    state.visit(module, source, chain=(_key(source.path),))
    return Imported(state.roles, state.sources, state.diagnostics)


def _key(path: str) -> str:
    return path if path.startswith("<") or "\x00" in path else os.path.realpath(path)


class _Walk:
    def __init__(self, limits: Limits, root: str):
        self.limits = limits
        self.root = os.path.abspath(root)
        self.real_root = _key(self.root)
        self.roles: dict[str, RoleDef] = {}
        self.sources: dict[str, Source] = {}
        self.diagnostics: list[Diagnostic] = []
        self.done: set[str] = set()

    def visit(self, module: ast.Module, source: Source, chain: tuple[str, ...]):
        for use in module.uses:
            self._follow(use, source, chain)

    def _follow(self, use: ast.Use, source: Source, chain: tuple[str, ...]):
        base = os.path.dirname(source.path) if not source.path.startswith("<") else self.root
        target = self._confined(use, source, base)
        if target is None:
            return
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

    def _confined(self, use: ast.Use, source: Source, base: str) -> str | None:
        """The path a `use` names, if it may be read: relative, a .lemon file, inside the
        root before and after symlinks are resolved. Else an error and None."""
        value = use.path.value
        if not value or "\x00" in value or value.startswith("~") or os.path.isabs(value) \
                or os.path.splitdrive(value)[0]:
            self._error("E0104", f"`{_shown(value)}` is not a relative path", source, use,
                        "write the path relative to the importing file")
            return None
        target = os.path.normpath(os.path.join(base, value))
        if "\x00" in target or not _inside(os.path.abspath(target), self.root):
            self._outside(value, source, use)
            return None
        if not target.endswith(SPEC_SUFFIX):
            self._error("E0105", f"`{_shown(value)}` is not a {SPEC_SUFFIX} file", source, use,
                        f"only {SPEC_SUFFIX} specs can be imported")
            return None
        real = os.path.realpath(target)
        if not _inside(real, self.real_root):
            self._outside(value, source, use)
            return None
        if not real.endswith(SPEC_SUFFIX):
            self._error("E0105", f"`{_shown(value)}` links to a file that is not a {SPEC_SUFFIX} file",
                        source, use, f"only {SPEC_SUFFIX} specs can be imported")
            return None
        return target

    def _load(self, target: str, key: str, use: ast.Use, source: Source, chain):
        value = use.path.value
        try:
            data = read_bytes(target, self.limits.max_file_bytes)
        except FileNotFoundError:
            self._error("E0101", f"cannot find `{value}` (looked for {target})",
                        source, use, "the path is relative to the importing file")
            return
        if isinstance(data, Refusal):
            self._error(data.code, f"`{value}`: {data.message}", source, use, data.help)
            return
        text, problem = decode(data)
        imported = Source(target, text)
        self.sources[imported.path] = imported
        if problem:
            self.diagnostics.append(error(problem.code, problem.message, target,
                                          imported.span(problem.offset, problem.offset),
                                          problem.help))
            return
        module, diagnostics = parse(imported)
        self.diagnostics += diagnostics
        if module is None:
            return
        for role in module.roles:
            self.roles.setdefault(role.name.text, RoleDef(
                role.name.text, role.description.value, "imported", imported.path, role.name.span))
        self.visit(module, imported, chain + (key,))

    def _outside(self, value: str, source: Source, use: ast.Use):
        self._error("E0104", f"`{_shown(value)}` is outside the project root", source, use,
                    "the root is the checked file's folder (or --root); import only files "
                    "inside it")

    def _error(self, code, message, source: Source, use: ast.Use, help_):
        self.diagnostics.append(error(code, message, source.path, use.path.span, help_))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _shown(value: str) -> str:
    """A path as a message may quote it: no control characters, not too long."""
    printable = value.encode("unicode_escape", "backslashreplace").decode("ascii")
    return printable if len(printable) <= 80 else printable[:77] + "..."


