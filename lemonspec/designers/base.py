"""The designer interface.

A method is searched or trained once on a training split (`train`), within a worker budget
counted by the Environment, and returns its learned parameters as plain JSON values. From
those, `design` writes one team per query (`per_query = True`) or the same team for every
query. Methods are classes with a `Settings` attrs class of defaults (the paper's, scaled to
the simulator where a note says so), registered by name in `METHODS`.

    method = load_method("agentprune", {"iterations": 4})
    trained = method.train(env, seed=0)              # Trained(params, exhausted, history)
    design = method.design(trained.params, env.space, query, seed=0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

import attrs

from lemonspec.benchmarks.errors import Error
from lemonspec.designers.environment import Environment
from lemonspec.designers.space import Design, Space

# name -> "module:Class", imported when asked for (torch only then).
METHODS = {
    "agentprune": "lemonspec.designers.agentprune:AgentPrune",
    "agentdropout": "lemonspec.designers.agentdropout:AgentDropout",
    "gdesigner": "lemonspec.designers.gdesigner:GDesigner",
    "aflow": "lemonspec.designers.aflow:AFlow",
    "argdesigner": "lemonspec.designers.argdesigner:ARGDesigner",
    "ofamas": "lemonspec.designers.ofamas:OFAMAS",
}


@attrs.frozen
class Trained:
    params: Mapping[str, Any]  # JSON values only: saved in the designer's folder
    exhausted: bool  # the budget ran out before the method's own schedule ended
    history: tuple[Mapping[str, Any], ...] = ()  # one entry per step: reward, calls spent


class Method(Protocol):
    name: ClassVar[str]
    version: ClassVar[int]  # bumped when the meaning of params changes
    per_query: ClassVar[bool]
    settings: Any  # an attrs instance of the method's Settings

    def train(self, env: Environment, seed: int) -> Trained: ...

    def design(self, params: Mapping[str, Any], space: Space, query: str,
               seed: int) -> Design: ...


def load_method(name: str, settings: Mapping[str, Any] | None = None) -> Method:
    """The method `name` with its settings (defaults overridden by `settings`)."""
    import importlib

    if name not in METHODS:
        raise Error(f"unknown designer method {name!r}",
                    f"the methods are {', '.join(sorted(METHODS))}")
    module, attr = METHODS[name].split(":")
    cls = getattr(importlib.import_module(module), attr)
    fields = {f.name for f in attrs.fields(cls.Settings)}
    unknown = sorted(set(settings or {}) - fields)
    if unknown:
        raise Error(f"{name} has no setting {', '.join(unknown)}",
                    f"its settings are {', '.join(sorted(fields))}")
    try:
        chosen = cls.Settings(**(settings or {}))
    except (TypeError, ValueError) as exc:  # attrs' validators put the sentence first
        detail = exc.args[0] if exc.args and isinstance(exc.args[0], str) else exc
        raise Error(f"bad {name} settings: {detail}") from None
    for field in attrs.fields(cls.Settings):
        problem = _bad_setting(field.name, getattr(chosen, field.name), field.default)
        if problem:
            raise Error(f"{name} setting {field.name} = {getattr(chosen, field.name)!r}: "
                        f"{problem}", "see docs/baselines.md for each method's settings")
    return cls(chosen)


# Settings that are shares or weights may be 0 (and shares stay below 1); counts, rates and
# sizes must be positive.
_FRACTIONS = ("rate", "dropout", "probability", "lam")
_WEIGHTS = ("low_rank", "alpha")


def _bad_setting(name: str, value: Any, default: Any) -> str | None:
    if isinstance(default, str):  # a choice: its own validator names the choices
        return None
    if isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int)):
        return "must be a whole number"
    if isinstance(default, float) and (isinstance(value, bool)
                                       or not isinstance(value, (int, float))):
        return "must be a number"
    if any(word in name for word in _FRACTIONS):
        return None if 0 <= value < 1 else "must be at least 0 and below 1"
    if any(word in name for word in _WEIGHTS):
        return None if value >= 0 else "must be at least 0"
    return None if value > 0 else "must be above 0"


def seeded(seed: int):
    """(torch generator, random.Random) for a training run, with torch's global seed set
    too (parameter initialisation draws from it): every learned designer starts this way."""
    import random

    import torch

    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed), random.Random(seed)
