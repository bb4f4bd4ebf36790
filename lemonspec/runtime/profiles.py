"""Runtime profiles: which LiteLLM model (and server, and parameters) runs each capacity level.

A profile is a TOML file (see `profiles/*.toml`): the ordered capacity levels, the default
level, shared `[defaults]`, and one `[level.NAME]` table per level. Every key is checked: a
mistyped key is an error that suggests the known key it resembles. Parameters passed through
to the provider untouched (`top_p`, `seed`, `stop`, ...) live in an explicit
`[level.NAME.params]` table (or `[defaults.params]`), so a typo cannot pass through silently.

A level's `api_base` may list several servers of its model: LiteLLM's Router spreads the
level's calls over them and takes a failing server out for `cooldown` seconds. Each fallback
is its own endpoint: a model string (the provider's default address) or a table with its own
`model`, `api_base` and `api_key_env`; it never inherits the primary's server. The contract is
tested in tests/runtime/test_profiles.py and tests/runtime/test_servers.py.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from lemonspec.errors import LemonspecError

DEFAULT_PROFILE = "embedded"
PROFILE_ENV = "LEMONSPEC_PROFILE"  # the default profile, when set (a name or a .toml path)
IN_PROCESS_PROVIDERS = ("embedded",)  # served in this process: no network, nothing transient


class ProfileError(LemonspecError, ValueError):
    """A profile that cannot be found or does not make sense."""


def _api_bases(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(value)


def _provider(model: str) -> str:
    return model.split("/", 1)[0] if "/" in model else ""


@attrs.frozen
class Endpoint:
    """One model on its servers. Several servers share the model's load (LiteLLM's Router);
    none means the provider's own address (e.g. api.openai.com)."""

    model: str
    api_base: tuple[str, ...] = attrs.field(default=(), converter=_api_bases)
    api_key_env: str | None = None  # the variable that holds the key (never the key itself)

    @property
    def label(self) -> str:
        """The model and, when it is not the provider's default, its server(s)."""
        return f"{self.model} at {', '.join(self.api_base)}" if self.api_base else self.model

    @property
    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None


def _endpoints(values: Any) -> tuple[Endpoint, ...]:
    return tuple(v if isinstance(v, Endpoint) else Endpoint(v) for v in values)


@attrs.frozen
class LevelConfig:
    """How one capacity level is served."""

    model: str
    max_tokens: int = 512
    temperature: float = 0.0
    api_base: tuple[str, ...] = attrs.field(default=(), converter=_api_bases)
    api_key_env: str | None = None
    timeout: float = 120.0  # seconds per attempt
    retries: int = 3  # extra attempts per endpoint after the first, on transient errors
    fallbacks: tuple[Endpoint, ...] = attrs.field(default=(), converter=_endpoints)
    backoff_initial: float = 0.5
    backoff_max: float = 20.0
    cooldown: float = 30.0  # seconds a failing server of several is left out
    max_reply_chars: int = 200_000  # a longer reply is cut here, with a marker
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=lambda p: dict(sorted(p.items())))

    @property
    def primary(self) -> Endpoint:
        return Endpoint(self.model, self.api_base, self.api_key_env)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """The primary endpoint, then its fallbacks, in the order they are tried."""
        return (self.primary, *self.fallbacks)

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(endpoint.model for endpoint in self.endpoints)

    def request_params(self) -> dict[str, Any]:
        """What shapes a model's answer (and so belongs in the cache key), besides messages."""
        params = self.call_params()
        if self.api_base:
            params["api_base"] = self.api_base[0] if len(self.api_base) == 1 else list(self.api_base)
        return params

    def call_params(self) -> dict[str, Any]:
        """What every call of this level sends, whichever endpoint serves it."""
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, **self.params}

    def with_model(self, model: str) -> LevelConfig:
        """This level on `model`, keeping budgets and parameters. The servers, key and
        reliability settings belong to the level's model: kept for a model of the same
        provider, else the new model's defaults (a remote model is retried and given time
        even if the level ran in process)."""
        if _provider(model) == _provider(self.model):
            return attrs.evolve(self, model=model, fallbacks=())
        return attrs.evolve(self, model=model, fallbacks=(), api_base=(), api_key_env=None,
                            **reliability_defaults(model))


def reliability_defaults(model: str) -> dict[str, Any]:
    """Retries and timeout for a model nobody configured: an in-process model has no transient
    faults and is slow on a CPU; a remote one is retried with backoff."""
    if _provider(model) in IN_PROCESS_PROVIDERS:
        return {"retries": 0, "timeout": 600.0}
    fields = attrs.fields_dict(LevelConfig)
    return {name: fields[name].default
            for name in ("retries", "timeout", "backoff_initial", "backoff_max", "cooldown")}


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
        """Every level on `model` (the CLI's `--model`); see LevelConfig.with_model."""
        configs = {k: c.with_model(model) for k, c in self.configs.items()}
        return attrs.evolve(self, name=f"{self.name}+{model}", configs=configs)


def available_profiles() -> list[str]:
    folder = resources.files(__package__).joinpath("profiles")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(name_or_path: str | os.PathLike | None = None) -> Profile:
    """A shipped profile by name (`embedded`, `paper-vllm`, `openai`) or a TOML file path.
    None means $LEMONSPEC_PROFILE if set, else `embedded`."""
    name = str(name_or_path or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE)
    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise ProfileError(f"cannot read profile {name}: {reason}") from None
        return parse_profile(text, name=path.stem)
    shipped = resources.files(__package__).joinpath("profiles").joinpath(f"{name}.toml")
    if not shipped.is_file():
        raise ProfileError(
            f"unknown profile {name!r}: give a .toml path or one of {', '.join(available_profiles())}"
        )
    return parse_profile(shipped.read_text(encoding="utf-8"), name=name)


def command_profile(name_or_path: str | os.PathLike | None = None, *, model: str | None = None,
                    temperature: float | None = None) -> Profile:
    """The workers a command's `--profile`, `--model` and `--temperature` name: one owner for
    every command that takes them (`lemonc run`, `bench`, `design`)."""
    chosen = load_profile(name_or_path)
    if model:
        chosen = chosen.with_model(model)
    if temperature is not None:
        configs = {level: attrs.evolve(config, temperature=temperature)
                   for level, config in chosen.configs.items()}
        chosen = attrs.evolve(chosen, name=f"{chosen.name}@t={temperature:g}", configs=configs)
    return chosen


# ---- reading the TOML ----------------------------------------------------------------------

_TOP_KEYS = {"name": str, "description": str, "levels": list, "default_level": str,
             "concurrency": int, "defaults": dict, "level": dict}
_NUMBER = (int, float)
# key -> (accepted types, what the message calls it)
_LEVEL_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "model": (str, "a LiteLLM model string"),
    "max_tokens": (int, "an integer >= 1"),
    "temperature": (_NUMBER, "a number >= 0"),
    "api_base": ((str, list), "a URL or a list of URLs"),
    "api_base_env": (str, "the name of an environment variable"),
    "api_key_env": (str, "the name of an environment variable"),
    "timeout": (_NUMBER, "a number of seconds > 0"),
    "retries": (int, "an integer >= 0"),
    "backoff_initial": (_NUMBER, "a number of seconds >= 0"),
    "backoff_max": (_NUMBER, "a number of seconds >= 0"),
    "fallbacks": (list, "a list of model strings or {model, api_base, api_key_env} tables"),
    "cooldown": (_NUMBER, "a number of seconds >= 0"),
    "max_reply_chars": (int, "an integer >= 1"),
    "params": (dict, "a table of parameters passed to the provider"),
}
_ENDPOINT_KEYS = ("model", "api_base", "api_base_env", "api_key_env")
_POSITIVE = {"max_tokens", "timeout", "max_reply_chars"}


def parse_profile(text: str, name: str = "<profile>") -> Profile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {name}: {exc}") from None
    _check_keys(name, "the top level", data, _TOP_KEYS, hint="")
    for key, kind in _TOP_KEYS.items():
        if key in data and not _is(data[key], kind):
            raise ProfileError(f"profile {name}: `{key}` must be {_KIND_NAMES[kind]}")
    levels = tuple(data.get("levels") or ())
    tables = data.get("level") or {}
    if not levels or not all(isinstance(lv, str) and lv for lv in levels):
        raise ProfileError(f"profile {name}: `levels` must list the capacity levels in order")
    missing = [lv for lv in levels if lv not in tables]
    if missing:
        raise ProfileError(f"profile {name}: no [level.{missing[0]}] table")
    extra_tables = [t for t in tables if t not in levels]
    if extra_tables:
        raise ProfileError(f"profile {name}: [level.{extra_tables[0]}] is not in `levels` "
                           f"({', '.join(levels)})")
    default_level = data.get("default_level", levels[len(levels) // 2])
    if default_level not in levels:
        raise ProfileError(f"profile {name}: default_level {default_level!r} is not in `levels`")
    defaults = _level_table(name, "defaults", data.get("defaults") or {})
    configs = {}
    for lv in levels:
        table = _level_table(name, f"level.{lv}", tables[lv])
        params = {**defaults.get("params", {}), **table.get("params", {})}
        configs[lv] = _level_config(name, lv, {**defaults, **table, "params": params})
    concurrency = data.get("concurrency", 8)
    if concurrency < 1:
        raise ProfileError(f"profile {name}: `concurrency` must be an integer >= 1")
    return Profile(name=data.get("name", name), levels=levels, default_level=default_level,
                   configs=configs, concurrency=concurrency,
                   description=data.get("description", ""))


_KIND_NAMES = {str: "a string", list: "a list", int: "an integer", dict: "a table"}


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)


def _check_keys(profile: str, where: str, table: Mapping[str, Any], known: Mapping[str, Any],
                hint: str) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
            help_ = f" (did you mean `{close[0]}`?)" if close else hint
            raise ProfileError(f"profile {profile}: unknown key `{key}` in {where}{help_}")


def _level_table(profile: str, where: str, table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ProfileError(f"profile {profile}: [{where}] must be a table")
    params_at = f"[{where}.params]"
    _check_keys(profile, f"[{where}]", table, _LEVEL_KEYS,
                hint=f"; parameters passed to the provider go in a {params_at} table")
    for key, value in table.items():
        kind, expected = _LEVEL_KEYS[key]
        bad = not _is(value, kind)
        if not bad and key in _POSITIVE:
            bad = value <= 0
        elif not bad and isinstance(value, (int, float)):
            bad = value < 0
        if bad:
            raise ProfileError(f"profile {profile}: [{where}] `{key}` must be {expected}, "
                               f"not {value!r}")
    return table


def _level_config(profile: str, level: str, table: dict[str, Any]) -> LevelConfig:
    where = f"[level.{level}]"
    if "model" not in table:
        raise ProfileError(f"profile {profile}: {where} needs a `model`")
    primary = _endpoint(profile, where, {k: table[k] for k in _ENDPOINT_KEYS if k in table})
    fallbacks = tuple(_endpoint(profile, f"{where} fallback {i + 1}", entry)
                      for i, entry in enumerate(table.get("fallbacks", ())))
    options = {k: v for k, v in table.items()
               if k not in _ENDPOINT_KEYS and k not in ("fallbacks", "params")}
    return LevelConfig(model=primary.model, api_base=primary.api_base,
                       api_key_env=primary.api_key_env, fallbacks=fallbacks,
                       params=table.get("params", {}), **options)


def _endpoint(profile: str, where: str, entry: Any) -> Endpoint:
    """A model string, or a table naming its own model, servers and key: nothing is inherited
    from the level's primary model."""
    if isinstance(entry, str):
        return Endpoint(entry)
    if not isinstance(entry, dict):
        raise ProfileError(f"profile {profile}: {where} must be a model string or a table")
    _check_keys(profile, where, entry, dict.fromkeys(_ENDPOINT_KEYS), hint="")
    if not isinstance(entry.get("model"), str) or not entry["model"]:
        raise ProfileError(f"profile {profile}: {where} needs a `model`")
    for key in ("api_base_env", "api_key_env"):
        if key in entry and not isinstance(entry[key], str):
            raise ProfileError(f"profile {profile}: {where} `{key}` must be the name of an "
                               "environment variable")
    api_base = entry.get("api_base")
    if api_base is not None and not (isinstance(api_base, str) or (
            isinstance(api_base, list) and all(isinstance(u, str) for u in api_base))):
        raise ProfileError(f"profile {profile}: {where} `api_base` must be a URL or a list of URLs")
    # TOML cannot read the environment, so a server address may name a variable to read
    # (several servers: comma-separated).
    from_env = os.environ.get(entry.get("api_base_env", ""), "")
    return Endpoint(entry["model"], from_env or api_base, entry.get("api_key_env"))


def uniform_profile(model: str, levels: tuple[str, ...] = ("small", "medium", "large"),
                    default_level: str = "medium", concurrency: int = 8,
                    **level_options: Any) -> Profile:
    """Every level on one model (tests, benchmarks, the trainer's simulator)."""
    config = LevelConfig(model=model, **level_options)
    return Profile(name=f"uniform:{model}", levels=tuple(levels), default_level=default_level,
                   configs={level: config for level in levels}, concurrency=concurrency)
