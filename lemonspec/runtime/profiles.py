"""Runtime profiles: which LiteLLM model (and parameters) runs each capacity level.

A profile is a TOML file (see `profiles/*.toml`): the ordered capacity levels, the default
level, shared `[defaults]`, and one `[level.NAME]` table per level. Keys a level does not
recognise are passed through to LiteLLM (e.g. `top_p`), so any provider option works.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from lemonspec.errors import LemonspecError

DEFAULT_PROFILE = "embedded"
_KNOWN_KEYS = {
    "model", "max_tokens", "temperature", "api_base", "api_base_env", "timeout", "retries",
    "fallbacks", "backoff_initial", "backoff_max",
}


class ProfileError(LemonspecError, ValueError):
    """A profile that cannot be found or does not make sense."""


@attrs.frozen
class LevelConfig:
    """How one capacity level is served."""

    model: str
    max_tokens: int = 512
    temperature: float = 0.0
    api_base: str | None = None
    timeout: float = 120.0  # seconds per attempt
    retries: int = 3  # extra attempts per model after the first, on transient errors
    fallbacks: tuple[str, ...] = ()
    backoff_initial: float = 0.5
    backoff_max: float = 20.0
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=lambda p: dict(sorted(p.items())))

    @property
    def models(self) -> tuple[str, ...]:
        """The primary model, then its fallbacks, in the order they are tried."""
        return (self.model, *self.fallbacks)

    def request_params(self) -> dict[str, Any]:
        """What shapes a model's answer (and so belongs in the cache key), besides messages."""
        params = {"max_tokens": self.max_tokens, "temperature": self.temperature, **self.params}
        if self.api_base:
            params["api_base"] = self.api_base
        return params


@attrs.frozen
class Profile:
    name: str
    levels: tuple[str, ...]
    default_level: str
    configs: Mapping[str, LevelConfig]
    concurrency: int = 8
    description: str = ""

    def config(self, level: str) -> LevelConfig:
        try:
            return self.configs[level]
        except KeyError:
            raise ProfileError(
                f"profile {self.name!r} has no capacity level {level!r} "
                f"(it has: {', '.join(self.levels)})"
            ) from None

    def with_model(self, model: str) -> Profile:
        """Every level on `model` (the CLI's `--model`); budgets and api_base are kept."""
        configs = {k: attrs.evolve(c, model=model, fallbacks=()) for k, c in self.configs.items()}
        return attrs.evolve(self, name=f"{self.name}+{model}", configs=configs)


def available_profiles() -> list[str]:
    folder = resources.files(__package__).joinpath("profiles")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(name_or_path: str | os.PathLike | None = None) -> Profile:
    """A shipped profile by name (`embedded`, `paper-vllm`, `openai`) or a TOML file path."""
    name = str(name_or_path or DEFAULT_PROFILE)
    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProfileError(f"cannot read profile {name}: {exc.strerror}") from None
        return parse_profile(text, name=path.stem)
    shipped = resources.files(__package__).joinpath("profiles").joinpath(f"{name}.toml")
    if not shipped.is_file():
        raise ProfileError(
            f"unknown profile {name!r}: give a .toml path or one of {', '.join(available_profiles())}"
        )
    return parse_profile(shipped.read_text(encoding="utf-8"), name=name)


def parse_profile(text: str, name: str = "<profile>") -> Profile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {name}: {exc}") from None
    levels = tuple(data.get("levels") or ())
    tables = data.get("level") or {}
    if not levels:
        raise ProfileError(f"profile {name}: `levels` must list the capacity levels in order")
    missing = [lv for lv in levels if lv not in tables]
    if missing:
        raise ProfileError(f"profile {name}: no [level.{missing[0]}] table")
    default_level = data.get("default_level", levels[len(levels) // 2])
    if default_level not in levels:
        raise ProfileError(f"profile {name}: default_level {default_level!r} is not in `levels`")
    defaults = data.get("defaults") or {}
    configs = {lv: _level_config(name, lv, {**defaults, **tables[lv]}) for lv in levels}
    return Profile(name=data.get("name", name), levels=levels, default_level=default_level,
                   configs=configs, concurrency=int(data.get("concurrency", 8)),
                   description=data.get("description", ""))


def _level_config(profile: str, level: str, table: dict[str, Any]) -> LevelConfig:
    if "model" not in table:
        raise ProfileError(f"profile {profile}: [level.{level}] needs a `model`")
    # TOML cannot read the environment, so a server address may name a variable to read.
    api_base = os.environ.get(table.get("api_base_env", ""), "") or table.get("api_base")
    known = {k: v for k, v in table.items() if k in _KNOWN_KEYS and k != "api_base_env"}
    extra = {k: v for k, v in table.items() if k not in _KNOWN_KEYS}
    try:
        return LevelConfig(**{**known, "api_base": api_base or None,
                              "fallbacks": tuple(table.get("fallbacks", ())), "params": extra})
    except TypeError as exc:
        raise ProfileError(f"profile {profile}: [level.{level}]: {exc}") from None


def uniform_profile(model: str, levels: tuple[str, ...] = ("small", "medium", "large"),
                    default_level: str = "medium", concurrency: int = 8,
                    **level_options: Any) -> Profile:
    """Every level on one model (tests, benchmarks, the trainer's simulator)."""
    config = LevelConfig(model=model, **level_options)
    return Profile(name=f"uniform:{model}", levels=tuple(levels), default_level=default_level,
                   configs={level: config for level in levels}, concurrency=concurrency)
