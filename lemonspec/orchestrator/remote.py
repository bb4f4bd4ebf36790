"""Orchestrators behind an API, through LiteLLM.

A server that takes a grammar decodes under the same generation grammar as the local
sampler, agent binding included (the binding is static: agents are named by position and
references can only name earlier ones), so its teams are valid by construction. vLLM's OpenAI-compatible server takes it
as `structured_outputs: {"grammar": ...}` (v0.12 and later) or `guided_grammar` (earlier);
both are sent, each version ignores the other. The server must decode with the llguidance
backend (`--structured-outputs-config.backend guidance`, formerly
`--guided-decoding-backend guidance`): the grammar uses llguidance's Lark extensions.
Other providers decode unconstrained, and the compiler's diagnostics say what is wrong.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

import attrs

from lemonspec.display import SamplingProgress
from lemonspec.orchestrator.scope import UNRESTRICTED, Scope

# LiteLLM providers whose servers accept a grammar in the request body.
GRAMMAR_PROVIDERS = ("hosted_vllm/",)


@attrs.frozen
class RemoteSample:
    """A spec written by a remote model: text only (no token ids cross the API), and the
    tokens the provider says it spent (None where its reply carries no usage)."""

    text: str
    constrained: bool  # the server was asked to decode under the grammar
    finish_reason: str | None
    prompt_index: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


def accepts_grammar(model: str) -> bool:
    return model.startswith(GRAMMAR_PROVIDERS)


def server_grammar(scope: Scope) -> str:
    """The exact grammar text a server decodes under: the scope's generation grammar, with
    the `%llguidance {}` line that marks it as llguidance's Lark (not GBNF)."""
    return "%llguidance {}\n" + scope.grammar()


def grammar_body(scope: Scope) -> dict:
    """The request fields that carry the generation grammar to a vLLM server."""
    grammar = server_grammar(scope)
    return {"structured_outputs": {"grammar": grammar}, "guided_grammar": grammar}


def sample_remote(model: str, prompts: Sequence[str], *, num_samples: int = 1,
                  temperature: float = 1.0, top_p: float = 1.0, max_tokens: int | None = None,
                  scope: Scope = UNRESTRICTED, constrained: bool | None = None, seed: int = 0,
                  on_progress: Callable[[SamplingProgress], None] | None = None,
                  **litellm_params) -> list[RemoteSample]:
    """`num_samples` specs per prompt (prompt-major) from a LiteLLM model.

    constrained: None sends the grammar when the provider accepts one (accepts_grammar).
    on_progress: called with a SamplingProgress after each reply.
    """
    constrained = accepts_grammar(model) if constrained is None else constrained
    params = dict(temperature=temperature, top_p=top_p, drop_params=True, **litellm_params,
                  max_tokens=max_tokens or scope.max_tokens())
    if constrained:
        params["extra_body"] = {**params.get("extra_body", {}), **grammar_body(scope)}
    requests = [(i // num_samples, prompts[i // num_samples], seed + i)
                for i in range(len(prompts) * num_samples)]
    return asyncio.run(_sample_all(model, requests, constrained, params, on_progress))


async def _sample_all(model, requests, constrained: bool, params: dict,
                      on_progress=None) -> list[RemoteSample]:
    from lemonspec.environment import configure

    configure()  # before LiteLLM's import: its offline cost map, not a fetch with retries
    from lemonspec.runtime.providers import litellm

    started, finished = time.perf_counter(), 0
    tokens: int | None = 0

    async def one(index: int, prompt: str, seed: int) -> RemoteSample:
        nonlocal finished, tokens
        reply = await litellm().acompletion(
            model=model, messages=[{"role": "user", "content": prompt}], seed=seed, **params)
        choice = reply.choices[0]
        finished += 1
        prompt_tokens, counted = _usage(reply)  # None where a provider does not say
        tokens = tokens + counted if tokens is not None and counted is not None else None
        if on_progress is not None:
            on_progress(SamplingProgress(finished, len(requests), tokens,
                                         time.perf_counter() - started))
        return RemoteSample(choice.message.content or "", constrained, choice.finish_reason,
                            index, prompt_tokens, counted)

    return list(await asyncio.gather(*(one(*request) for request in requests)))


def _usage(reply) -> tuple[int | None, int | None]:
    """(prompt, completion) tokens from LiteLLM's `usage`; None for what a provider left out
    (LiteLLM may fill a missing usage with zeros: a reply's zero prompt tokens is not a
    count, every prompt here has words)."""
    usage = getattr(reply, "usage", None)
    prompt = getattr(usage, "prompt_tokens", None) if usage is not None else None
    completion = getattr(usage, "completion_tokens", None) if usage is not None else None
    if not prompt:
        return None, None
    return int(prompt), None if completion is None else int(completion)
