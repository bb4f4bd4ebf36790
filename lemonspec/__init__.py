"""lemonspec: the .lemon language for multi-agent LLM teams, its compiler, runtime and trainer.

The Python API (docs/api.md; its examples run in tests/runtime/test_api.py):

    import lemonspec

    result = lemonspec.check(text)                     # every diagnostic, never raises
    team = lemonspec.compile(text)                     # a TeamIR, or CompileError
    answer = lemonspec.run_sync(team, "What is 2+3?")  # or: await lemonspec.run(...)

Importing lemonspec loads nothing heavy: the compiler, LiteLLM and torch are imported by the
first call that needs them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lemonspec.compiler import AnswerType, CheckResult, CompileError, Diagnostic, TeamIR
    from lemonspec.runtime import (
        AnswerTypeConflict,
        CacheError,
        LevelConfig,
        MemoryCache,
        ModelSetupError,
        Profile,
        ProfileError,
        RecordedRun,
        RunResult,
        ScriptedModel,
        SqliteCache,
        TraceError,
        load_profile,
    )

__version__ = "0.1.0"
LANGUAGE_VERSION = 1

# Importing lemonspec changes no process state: OMP_WAIT_POLICY and the like are set by
# lemonspec.environment.configure(), which the runtime calls before loading torch or LiteLLM.

__all__ = [
    "LANGUAGE_VERSION", "AnswerType", "AnswerTypeConflict", "CacheError", "CheckResult", "CompileError", "Diagnostic",
    "LevelConfig", "MemoryCache", "ModelSetupError", "Profile", "ProfileError", "RecordedRun",
    "RunResult", "ScriptedModel", "SqliteCache", "TeamIR", "TraceError", "__version__", "check",
    "check_file", "compile", "compile_file", "load_profile", "run", "run_sync",
]

# Names re-exported on first use (PEP 562), so `import lemonspec` stays light.
_LAZY = {
    **dict.fromkeys(("AnswerType", "CheckResult", "CompileError", "Diagnostic", "TeamIR"),
                    "lemonspec.compiler"),
    **dict.fromkeys(("AnswerTypeConflict", "CacheError", "LevelConfig", "MemoryCache", "ModelSetupError", "Profile",
                     "ProfileError", "RecordedRun", "RunResult", "ScriptedModel", "SqliteCache",
                     "TraceError", "load_profile"), "lemonspec.runtime"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lemonspec' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _level_options(levels: Sequence[str] | None, default_level: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if levels is not None:
        options["levels"] = tuple(levels)
    if default_level is not None:
        options["default_level"] = default_level
    return options


def check(source: str, *, path: str = "<text>", levels: Sequence[str] | None = None,
          default_level: str | None = None) -> CheckResult:
    """Every diagnostic of a spec's text (`result.ok`, `result.diagnostics`). Never raises."""
    from lemonspec.compiler import check_text

    return check_text(source, path, **_level_options(levels, default_level))


def check_file(path: str | os.PathLike[str], *, levels: Sequence[str] | None = None,
               default_level: str | None = None) -> CheckResult:
    """`check` of a .lemon file; its `use` imports resolve next to it."""
    from lemonspec.compiler import check_file as check_path

    return check_path(path, **_level_options(levels, default_level))


def compile(source: str, *, path: str = "<text>", team: str | None = None,
            levels: Sequence[str] | None = None, default_level: str | None = None) -> TeamIR:
    """The IR of one team of a spec's text (`team`, or its only team). Raises CompileError,
    which carries the diagnostics."""
    from lemonspec.compiler import compile_text

    return compile_text(source, path, team=team, **_level_options(levels, default_level))


def compile_file(path: str | os.PathLike[str], *, team: str | None = None,
                 levels: Sequence[str] | None = None,
                 default_level: str | None = None) -> TeamIR:
    """`compile` of a .lemon file."""
    from lemonspec.compiler import compile_file as compile_path

    return compile_path(path, team=team, **_level_options(levels, default_level))


async def run(team: TeamIR | str | os.PathLike[str], task_input: str, *,
              profile: Profile | str | os.PathLike[str] | None = None,
              model: str | None = None, team_name: str | None = None,
              **options: Any) -> RunResult:
    """Run a team on one task input and return its answer with every agent's result.

    team: a compiled TeamIR, a spec's text (str), or a .lemon file (a pathlib.Path). Text and
        files are compiled against the profile's capacity levels; `team_name` picks the team
        of a file with several.
    profile: a Profile, a shipped profile name (`embedded`, `openai`, `paper-vllm`) or a TOML
        path; default $LEMONSPEC_PROFILE, else the embedded model.
    model: run every level on this LiteLLM model string (the CLI's --model).
    options: cache, trace, concurrency, limiter, extractor, answer (the task's answer type,
        an AnswerType or its spelling such as "number"), sample, replay, listeners (see
        lemonspec.runtime.run_team).

    Raises CompileError for a spec with errors, AnswerTypeConflict for a team that declares
    an answer type the task's answers cannot be, ProfileError (and its ModelSetupError) before
    any agent runs for a profile or model that cannot work; an agent that fails at run time
    is in the result (`result.ok`, `result.failures`), not raised.
    """
    from lemonspec.runtime import run_team

    chosen = _profile(profile, model)
    return await run_team(_team(team, team_name, chosen), task_input, profile=chosen, **options)


def run_sync(team: TeamIR | str | os.PathLike[str], task_input: str, *,
             profile: Profile | str | os.PathLike[str] | None = None,
             model: str | None = None, team_name: str | None = None,
             **options: Any) -> RunResult:
    """`run`, waited for. Works with or without a running event loop (a script, Jupyter)."""
    from lemonspec.runtime import run_team_sync

    chosen = _profile(profile, model)
    return run_team_sync(_team(team, team_name, chosen), task_input, profile=chosen, **options)


def _profile(profile: Profile | str | os.PathLike[str] | None, model: str | None) -> Profile:
    from lemonspec.runtime import Profile, load_profile

    chosen = profile if isinstance(profile, Profile) else load_profile(profile)
    return chosen.with_model(model) if model else chosen


def _team(team: TeamIR | str | os.PathLike[str], name: str | None, profile: Profile) -> TeamIR:
    from lemonspec.compiler import TeamIR, compile_file, compile_text

    if isinstance(team, TeamIR):
        return team
    if isinstance(team, str):
        return compile_text(team, team=name, levels=profile.levels,
                            default_level=profile.default_level)
    return compile_file(team, team=name, levels=profile.levels,
                        default_level=profile.default_level)
