"""The orchestrator: an LLM that writes one team spec per task, decoded under the language's
own grammar so that every sample parses, is formatted and (with scope binding) passes the
checker's name and graph checks.

Public API:
    orchestrator_prompt(task, family=...)   the prompt (one versioned template)
    Scope, Scope.for_family(family)         what a constrained sample may name
    sample_specs(model, tokenizer, prompts, num_samples=G, ...) -> [Sample]
    decode(...) -> Decoded                  the same, with timings
    sample_remote(litellm_model, prompts, ...) -> [RemoteSample]
    load_orchestrator("local" | folder)     the embedded model, a model or a LoRA adapter
    check_spec(text) -> SpecCheck           parses / formatted / ok, with diagnostics

Names are imported on first use (PEP 562): a remote orchestrator (`sample_remote`, the
prompt, the scope, the checks) needs neither torch nor llguidance, which only local decoding
(`sample_specs`, `decode`, `load_orchestrator`) loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lemonspec.orchestrator.decoding import Decoded, Sample, Step, decode, sample_specs
    from lemonspec.orchestrator.models import load_orchestrator
    from lemonspec.orchestrator.prompt import (
        PROMPT_VERSION,
        chat_prompt,
        family_of,
        orchestrator_prompt,
        roles_in_scope,
    )
    from lemonspec.orchestrator.remote import RemoteSample, sample_remote
    from lemonspec.orchestrator.scope import Scope
    from lemonspec.orchestrator.validity import SpecCheck, check_spec, spec_text

__all__ = [
    "PROMPT_VERSION", "Decoded", "RemoteSample", "Sample", "Scope", "SpecCheck", "Step",
    "chat_prompt", "check_spec", "decode", "family_of", "load_orchestrator",
    "orchestrator_prompt", "roles_in_scope", "sample_remote", "sample_specs", "spec_text",
]

_LAZY = {
    **dict.fromkeys(("Decoded", "Sample", "Step", "decode", "sample_specs"),
                    "lemonspec.orchestrator.decoding"),
    "load_orchestrator": "lemonspec.orchestrator.models",
    **dict.fromkeys(("PROMPT_VERSION", "chat_prompt", "family_of", "orchestrator_prompt",
                     "roles_in_scope"), "lemonspec.orchestrator.prompt"),
    **dict.fromkeys(("RemoteSample", "sample_remote"), "lemonspec.orchestrator.remote"),
    "Scope": "lemonspec.orchestrator.scope",
    **dict.fromkeys(("SpecCheck", "check_spec", "spec_text"), "lemonspec.orchestrator.validity"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
