"""Before any agent runs: can every model a team will call be called at all?

Retrying cannot fix a missing package, an unknown provider or a missing key, and finding out
at the first agent's call wastes the agents that ran before it. `check_models` asks what can
be known without a network call (the embedded model's packages, LiteLLM's provider lookup and
its `validate_environment` check of the provider's key variables) and raises one
ModelSetupError that names every problem and what to set or install.
Tested in tests/runtime/test_preflight.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from lemonspec.runtime import embedded
from lemonspec.runtime.profiles import Endpoint, Profile, ProfileError

_IN_PROCESS = ("embedded", "fake")  # served here; LiteLLM's key check does not apply
# Self-hosted servers have no default address (LiteLLM would send a hosted_vllm call to
# api.openai.com): the variable LiteLLM reads when the profile gives no api_base.
_SERVER_VARIABLES = {"hosted_vllm": "HOSTED_VLLM_API_BASE"}
_CREDENTIALS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
_checked: set[tuple[Endpoint, str | None]] = set()  # endpoints that passed, with their key


class ModelSetupError(ProfileError):
    """A model that cannot be called as configured: what to install or set is in the message."""


def check_models(profile: Profile, levels: Iterable[str] | None = None) -> None:
    """Raise ModelSetupError unless every endpoint of `levels` (default: all) can be called."""
    endpoints = {e: None for level in (levels or profile.levels)
                 for e in profile.config(level).endpoints}
    problems = list(dict.fromkeys(p for e in endpoints if (p := _problem(e))))
    if problems:
        raise ModelSetupError("; ".join(problems))


def model_problem(model: str) -> str | None:
    """What stops a bare LiteLLM model string (a remote orchestrator, a teacher) from being
    called, with what to set; None if nothing known does. It has no profile, so a server's
    address can only come from the variable LiteLLM reads."""
    variable = _SERVER_VARIABLES.get(model.split("/", 1)[0])
    if variable and not os.environ.get(variable):
        return (f"model {model} needs its server's address in ${variable} "
                "(e.g. http://localhost:8000/v1)")
    return _problem(Endpoint(model))


def _problem(endpoint: Endpoint) -> str | None:
    provider = endpoint.model.split("/", 1)[0] if "/" in endpoint.model else ""
    if provider == "embedded":
        if endpoint.model != embedded.EMBEDDED_MODEL:
            return (f"unknown embedded model {endpoint.model!r}: the embedded model is "
                    f"{embedded.EMBEDDED_MODEL}")
        return embedded.embedded_missing()
    if provider in _IN_PROCESS:
        return None
    variable = _SERVER_VARIABLES.get(provider)
    if variable and not endpoint.api_base and not os.environ.get(variable):
        return (f"model {endpoint.model} needs its server's address: api_base in the profile, "
                f"or ${variable}")
    if endpoint.api_key_env and not endpoint.api_key:
        return (f"model {endpoint.model} needs its key in ${endpoint.api_key_env} "
                "(the profile's api_key_env): set it")
    memo = (endpoint, endpoint.api_key)
    if memo in _checked:
        return None
    from lemonspec.environment import configure

    configure()  # before LiteLLM's import: its offline cost map, not a fetch with retries
    from lemonspec.runtime.providers import litellm  # LiteLLM knows the providers' needs

    llm = litellm()
    try:
        llm.get_llm_provider(model=endpoint.model, api_base=(endpoint.api_base or (None,))[0])
    except Exception:  # noqa: BLE001 - LiteLLM raises BadRequestError for an unknown provider
        return (f"unknown model {endpoint.model!r}: LiteLLM cannot tell its provider; write "
                "provider/model, e.g. openai/gpt-4o-mini or hosted_vllm/NAME with an api_base")
    if endpoint.api_key is None:
        report = llm.validate_environment(model=endpoint.model,
                                          api_base=(endpoint.api_base or (None,))[0])
        missing = [v for v in report.get("missing_keys") or []
                   if not (endpoint.api_base and v.endswith("_BASE"))]
        # Only a missing credential is certain to fail: most providers default their address.
        if any(word in name for name in missing for word in _CREDENTIALS):
            return (f"model {endpoint.model} needs {', '.join(missing)} in the environment: "
                    "set it, or name the variable that holds the key with api_key_env "
                    "in the profile")
    _checked.add(memo)
    return None
