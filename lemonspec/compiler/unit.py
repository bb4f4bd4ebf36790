"""What the checker passes share: the parsed file, its imports and the names in scope."""

from __future__ import annotations

import attrs

from lemonspec.compiler import ast
from lemonspec.compiler.source import Source, Span

DEFAULT_LEVELS = ("small", "medium", "large")
DEFAULT_LEVEL = "medium"


# The largest value each limit may be raised to. Within them every phase is linear in the
# size of the spec and no recursion depth is reachable (perf/compiler_scaling.py
# measures check and fmt up to them; tests/compiler/test_scaling.py holds the line).
CEILINGS = {
    "max_file_bytes": 4 * 1024 * 1024,
    "max_agents": 100_000,
    "max_string_chars": 4 * 1024 * 1024,
    "max_name_chars": 1024,
    "max_import_depth": 64,
}


def _within_ceiling(instance, attribute, value):
    ceiling = CEILINGS[attribute.name]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= ceiling:
        raise ValueError(f"Limits.{attribute.name} must be an integer from 1 to {ceiling}, "
                         f"not {value!r}")


@attrs.frozen
class Limits:
    """Bounds on untrusted (model-written) input, so that no spec can make the compiler slow.
    Each can be raised up to CEILINGS."""

    max_file_bytes: int = attrs.field(default=256 * 1024, validator=_within_ceiling)
    max_agents: int = attrs.field(default=64, validator=_within_ceiling)
    max_string_chars: int = attrs.field(default=8000, validator=_within_ceiling)
    max_name_chars: int = attrs.field(default=64, validator=_within_ceiling)
    max_import_depth: int = attrs.field(default=8, validator=_within_ceiling)

    @classmethod
    def largest(cls) -> Limits:
        """Every limit at its ceiling."""
        return cls(**CEILINGS)


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
