"""What a generated team may name (`Scope`): the role pool, the capacity levels, whether
agents are bound by position, the size bounds; its generation grammar (Lark text, for
llguidance here and for a vLLM server's structured outputs); and the scope file saved
beside a trained orchestrator.

Kept apart from the decoding machinery (constraint.py: llguidance, torch) so that writing
teams with a remote model, and benchmarking one, need neither.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path

import attrs

from lemonspec.compiler.stdlib import role_pool, standard_roles
from lemonspec.compiler.unit import DEFAULT_LEVELS
from lemonspec.grammar.variants import DEFAULT_BOUNDS, GenerationBounds, generation_grammar


def _optional_tuple(names: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if names is None else tuple(names)


@attrs.frozen
class Scope:
    """What a generated team may name. None admits any base role or level; bind_agents names
    agents by position and lets references name only agents declared before them (so samples
    are acyclic and fully bound); without it agents take any name (an ablation)."""

    base_roles: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    levels: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    bind_agents: bool = True
    bounds: GenerationBounds = DEFAULT_BOUNDS

    @classmethod
    def for_family(cls, family: str | None, levels=DEFAULT_LEVELS, **options) -> Scope:
        """The family's role pool (every standard role for None) and `levels`."""
        roles = role_pool(family) if family else tuple(standard_roles())
        return cls(roles, levels, **options)

    def grammar(self) -> str:
        """The generation grammar of this scope (Lark text for llguidance), cached."""
        return _grammar(self)

    def max_tokens(self) -> int:
        """Enough new tokens for any sentence to finish (a token is at least one byte)."""
        return self.bounds.max_bytes(base_roles=self.base_roles, levels=self.levels)

    def to_json(self) -> dict:
        return attrs.asdict(self, value_serializer=lambda _, __, v: list(v)
                            if isinstance(v, tuple) else v)

    @classmethod
    def from_json(cls, data: dict) -> Scope:
        """The scope `to_json` wrote; a file edited by hand or corrupted raises ValueError or
        TypeError naming the field (a string is not a list of roles, "false" is not false)."""
        def names(key: str) -> tuple[str, ...] | None:
            value = data[key]
            if value is not None and not (isinstance(value, list) and value and all(
                    isinstance(name, str) and name.isidentifier() for name in value)):
                raise ValueError(f"{key} must be null or a list of names, not {value!r}")
            return None if value is None else tuple(value)

        if not isinstance(data["bind_agents"], bool):
            raise TypeError(f"bind_agents must be true or false, not {data['bind_agents']!r}")
        bounds = data["bounds"]
        known = attrs.fields_dict(GenerationBounds)
        if not isinstance(bounds, dict) or set(bounds) - set(known):
            raise ValueError(f"bounds must be an object with keys among {sorted(known)}")
        for key, value in bounds.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"bounds.{key} must be a whole number >= 1, not {value!r}")
        return cls(names("base_roles"), names("levels"), data["bind_agents"],
                   GenerationBounds(**bounds))


UNRESTRICTED = Scope()  # any base role or level; agents bound

# Beside a trained orchestrator's weights: the scope it was trained to write in. A policy
# trained under narrow bounds (one-character names, four agents) is evaluated under them
# too; under wider ones it meets choices it never learned.
SCOPE_FILE = "lemon_scope.json"


def save_scope(scope: Scope, folder) -> Path:
    path = Path(folder, SCOPE_FILE)
    path.write_text(json.dumps(scope.to_json(), indent=1) + "\n", encoding="utf-8")
    return path


def saved_scope(folder) -> Scope | None:
    """The scope a saved orchestrator was trained in (None: the folder does not say).
    Raises ValueError, naming the file, for one that cannot be read."""
    path = Path(folder, SCOPE_FILE)
    if not path.is_file():
        return None
    try:
        return Scope.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a readable scope ({type(exc).__name__}: {exc})"
                         ) from None


@functools.lru_cache(maxsize=64)
def _grammar(scope: Scope) -> str:
    return generation_grammar(base_roles=scope.base_roles, levels=scope.levels,
                              bind_agents=scope.bind_agents, bounds=scope.bounds)
