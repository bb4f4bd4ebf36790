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

from lemonspec.orchestrator.constraint import Scope


class ServedEngineError(RuntimeError):
    """The engine refused a request or answered something that is not a completion."""


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
