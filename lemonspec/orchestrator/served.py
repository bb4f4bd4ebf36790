"""Orchestrator samples from a serving engine (vLLM) with token ids, for training.

`remote.py` reaches any LiteLLM model through chat messages and gets text back. Training
needs more: the exact prompt ids the trainer scores, the sampled ids, their log-probs, and
(for the loss mask) which tokens the model chose. This module talks to vLLM's
OpenAI-compatible `/v1/completions` with the prompt as token ids, the generation grammar in
`structured_outputs` (llguidance backend), `return_token_ids` and `logprobs: 0`, and, for a
policy being trained with LoRA, the step's adapter loaded at run time
(`/v1/load_lora_adapter`, vLLM's own LoRA support: TRL's weight sync needs NCCL/CUDA).

From the ids it rebuilds what the in-process decoder records as it samples: character
offsets (offsets.TextAssembler) and the chosen/forced mask (a replay of the same grammar
matcher over the ids, since the server does not return its allowed sets).

vLLM's default `logprobs_mode` is raw_logprobs: the model's own log-probabilities before
temperature and the grammar mask, the same quantity `Sample.logprobs` holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from lemonspec.errors import EXIT_RUN, LemonspecError
from lemonspec.orchestrator.scope import Scope


class ServedEngineError(LemonspecError):
    """The engine refused a request or answered something that is not a completion."""

    exit_code = EXIT_RUN


@attrs.frozen
class Completion:
    token_ids: tuple[int, ...]
    logprobs: tuple[float, ...]
    finish_reason: str | None


@attrs.frozen
class ServedEngine:
    """One vLLM server: `model` is the served base model name (adapters get their own)."""

    base_url: str  # http://host:port (no /v1)
    model: str
    timeout: float = 600.0

    def _post(self, path: str, body: dict) -> dict:
        import httpx

        try:
            reply = httpx.post(self.base_url + path, json=body, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise ServedEngineError(f"{self.base_url}{path}: {error}") from None
        if reply.status_code != 200:
            raise ServedEngineError(f"{self.base_url}{path} answered {reply.status_code}: "
                                    f"{reply.text[:500]}")
        try:
            return reply.json() if reply.content else {}
        except ValueError:
            if path.endswith("_lora_adapter"):  # these answer plain text on success
                return {}
            raise ServedEngineError(f"{self.base_url}{path} answered non-JSON: "
                                    f"{reply.text[:200]}") from None

    def load_adapter(self, name: str, path: str) -> None:
        """Make a LoRA adapter folder servable as model `name` (replaces a same-named one)."""
        self._post("/v1/load_lora_adapter", {"lora_name": name, "lora_path": path,
                                              "load_inplace": True})

    def unload_adapter(self, name: str) -> None:
        self._post("/v1/unload_lora_adapter", {"lora_name": name})

    def complete(self, prompt_ids: Sequence[int], *, n: int, temperature: float, top_p: float,
                 max_tokens: int, seed: int, grammar: str | None,
                 model: str | None = None) -> list[Completion]:
        body = {"model": model or self.model, "prompt": list(prompt_ids), "n": n,
                "temperature": temperature, "top_p": top_p, "max_tokens": max_tokens,
                "seed": seed, "logprobs": 0, "return_token_ids": True,
                "skip_special_tokens": False}
        if grammar is not None:
            body["structured_outputs"] = {"grammar": grammar}
        reply = self._post("/v1/completions", body)
        try:
            choices = sorted(reply["choices"], key=lambda c: c["index"])
            return [_completion(choice) for choice in choices]
        except (KeyError, TypeError, ValueError) as error:
            raise ServedEngineError(f"{self.base_url}: malformed completion ({error!r})") from None


def _completion(choice: dict) -> Completion:
    ids = tuple(int(t) for t in choice["token_ids"])
    logprobs = choice.get("logprobs") or {}
    values = tuple(float(v) for v in logprobs.get("token_logprobs") or ())
    if len(values) != len(ids):
        raise ValueError(f"{len(ids)} tokens but {len(values)} log-probs")
    return Completion(ids, values, choice.get("finish_reason"))


def served_grammar(scope: Scope) -> str:
    """The exact grammar text a vLLM (llguidance) server decodes under for `scope`."""
    from lemonspec.orchestrator.remote import grammar_body

    return grammar_body(scope)["structured_outputs"]["grammar"]


def sample_served(engine: ServedEngine, tokenizer, prompts: Sequence[str], *,
                  num_samples: int = 1, temperature: float = 1.0, top_p: float = 1.0,
                  max_new_tokens: int | None = None, constrained: bool = True,
                  scope: Scope | None = None, seed: int = 0, adapter: str | None = None,
                  chat: bool = True) -> list:
    """`num_samples` Samples per prompt (prompt-major, as decoding.sample_specs returns them)
    from a vLLM server; `adapter` names a LoRA adapter loaded with `load_adapter`."""
    import attrs as _attrs

    from lemonspec.orchestrator.constraint import vocabulary
    from lemonspec.orchestrator.decoding import UNCONSTRAINED_MAX_TOKENS, forced_sample
    from lemonspec.orchestrator.offsets import assemble
    from lemonspec.orchestrator.prompt import chat_prompt
    from lemonspec.orchestrator.scope import UNRESTRICTED

    scope = scope or UNRESTRICTED
    vocab = vocabulary(tokenizer)
    if max_new_tokens is None:
        max_new_tokens = scope.max_tokens() if constrained else UNCONSTRAINED_MAX_TOKENS
    grammar = served_grammar(scope) if constrained else None
    samples = []
    for index, prompt in enumerate(prompts):
        text = chat_prompt(tokenizer, prompt) if chat else prompt
        prompt_ids = tuple(tokenizer.encode(text, add_special_tokens=False))
        completions = engine.complete(prompt_ids, n=num_samples, temperature=temperature,
                                      top_p=top_p, max_tokens=max_new_tokens,
                                      seed=seed + index, grammar=grammar, model=adapter)
        for completion in completions:
            ids, logprobs = _without_eos(completion, vocab.eos_ids)
            if constrained:
                sample = forced_sample(tokenizer, ids, scope)  # offsets and chosen marks
                finish = "grammar" if completion.finish_reason == "stop" else "length"
            else:
                from lemonspec.orchestrator.decoding import Sample

                spec, offsets = assemble(vocab.token_bytes[t] for t in ids)
                sample = Sample(spec, ids, offsets, (), False, "eos", chosen=(True,) * len(ids))
                finish = "eos" if completion.finish_reason == "stop" else "length"
            samples.append(_attrs.evolve(sample, prompt_token_ids=prompt_ids,
                                         finish_reason=finish, prompt_index=index,
                                         logprobs=logprobs))
    return samples


def _without_eos(completion: Completion, eos_ids) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """The server ends a finished team with an end-of-sequence token; the in-process decoder
    stops before it (the grammar admits nothing more), so the two agree on what was sampled."""
    ids, logprobs = completion.token_ids, completion.logprobs
    while ids and ids[-1] in eos_ids:
        ids, logprobs = ids[:-1], logprobs[:-1]
    return ids, logprobs
