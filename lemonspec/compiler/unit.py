"""What the checker passes share: the parsed file, its imports and the names in scope."""

from __future__ import annotations

import attrs

from lemonspec.compiler import ast
from lemonspec.compiler.source import Source, Span

DEFAULT_LEVELS = ("small", "medium", "large")
DEFAULT_LEVEL = "medium"


@attrs.frozen
class Limits:
    """Bounds on untrusted (model-written) input, so that no spec can make the compiler slow."""

    max_file_bytes: int = 256 * 1024
    max_agents: int = 64
    max_string_chars: int = 8000
    max_name_chars: int = 64
    max_import_depth: int = 8


@attrs.frozen
class RoleDef:
    """A base role in scope and where it was declared (origin: local, imported or std)."""

    name: str
    description: str
    origin: str
    path: str
    span: Span


@attrs.frozen
class Unit:
    module: ast.Module
    source: Source
    sources: dict[str, Source]
    roles: dict[str, RoleDef]  # every base role in scope, after imports and shadowing
    levels: tuple[str, ...] = DEFAULT_LEVELS
    default_level: str = DEFAULT_LEVEL
    limits: Limits = Limits()

    @property
    def path(self) -> str:
        return self.source.path
