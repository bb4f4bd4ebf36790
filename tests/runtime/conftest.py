"""Helpers for the runtime tests: compile a spec from text, and make ScriptedModels (the
test-double LLM) with unique names so tests never share call logs."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from lemonspec.compiler import compile_text
from lemonspec.runtime import ScriptedModel, uniform_profile

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_names = itertools.count()


def team(text: str):
    return compile_text(text, "<test>")


def fake(rule=None, **options) -> ScriptedModel:
    return ScriptedModel(f"t{next(_names)}", rule, **options)


def profile_for(model: ScriptedModel, **level_options):
    """Every level on `model`, with backoff fast enough for tests."""
    options = {"backoff_initial": 0.001, "backoff_max": 0.01, "timeout": 5.0, **level_options}
    return uniform_profile(model.model, **options)


def says_name(call) -> str:
    """A rule that depends on the whole request, like a real model: the agent's name plus a
    digest of what it was told, so any change in its input changes its output."""
    import hashlib

    digest = hashlib.sha256(repr(call.messages).encode()).hexdigest()[:8]
    return f"{call.agent} [{digest}] Answer: {len(call.user) % 10}"


@pytest.fixture(scope="session", autouse=True)
def _litellm_loaded():
    """Import LiteLLM once up front so no test's timing includes the import."""
    import lemonspec.runtime.providers  # noqa: F401
