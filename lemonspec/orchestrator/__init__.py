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
"""

from lemonspec.orchestrator.constraint import Scope
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
from lemonspec.orchestrator.validity import SpecCheck, check_spec, spec_text

__all__ = [
    "PROMPT_VERSION", "Decoded", "RemoteSample", "Sample", "Scope", "SpecCheck", "Step",
    "chat_prompt", "check_spec", "decode", "family_of", "load_orchestrator",
    "orchestrator_prompt", "roles_in_scope", "sample_remote", "sample_specs", "spec_text",
]
