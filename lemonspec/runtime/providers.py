"""LiteLLM, imported on first use, with lemonspec's in-process providers registered:
`embedded/<name>` (the embedded SmolLM2) and `fake/<name>` (ScriptedModel, a test double).

Importing LiteLLM takes seconds, so nothing imports this module until a model is about to be
called (`litellm()` below); callers run `lemonspec.environment.configure()` first.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

with warnings.catch_warnings():  # LiteLLM's pydantic models warn at import; not ours to fix
    warnings.simplefilter("ignore")
    import litellm as _litellm
    from litellm import CustomLLM, ModelResponse, Usage

from lemonspec.runtime import embedded, scripted

_litellm.suppress_debug_info = True
# Each asyncio.run() is a new loop; LiteLLM's logging worker warns when it moves to it.
logging.getLogger("LiteLLM").addFilter(
    lambda record: not record.getMessage().startswith("LoggingWorker: event loop changed"))  # no "Give Feedback / Get Help" banners on errors

_FAULTS = {
    "timeout": lambda msg, model: _litellm.Timeout(msg, model=model, llm_provider="fake"),
    "rate_limit": lambda msg, model: _litellm.RateLimitError(msg, "fake", model),
    "server_error": lambda msg, model: _litellm.InternalServerError(msg, "fake", model),
    "unavailable": lambda msg, model: _litellm.ServiceUnavailableError(msg, "fake", model),
    "connection": lambda msg, model: _litellm.APIConnectionError(msg, "fake", model),
    "bad_request": lambda msg, model: _litellm.BadRequestError(msg, model, "fake"),
}


def _respond(model_response: ModelResponse, model: str, text: str,
             prompt_tokens: int | None, completion_tokens: int | None) -> ModelResponse:
    model_response.model = model
    model_response.choices[0].message.content = text
    # An in-process model has no per-token price: its cost is 0, and saying so spares LiteLLM
    # a failed price lookup on every call (about half of its per-call time).
    model_response._hidden_params["response_cost"] = 0.0
    if prompt_tokens is not None and completion_tokens is not None:
        model_response.usage = Usage(prompt_tokens=prompt_tokens,
                                     completion_tokens=completion_tokens,
                                     total_tokens=prompt_tokens + completion_tokens)
    return model_response


class ScriptedProvider(CustomLLM):
    """Routes `fake/<name>` to the ScriptedModel of that name."""

    async def acompletion(self, model: str, messages: list, model_response: ModelResponse,
                          optional_params: dict, litellm_params: dict | None = None,
                          **_: Any) -> ModelResponse:
        fake = self._model(model)
        try:
            reply = await fake.acomplete(messages, optional_params, _metadata(litellm_params))
        except scripted.InjectedFault as fault:
            raise _FAULTS[fault.kind](str(fault), fake.model) from None
        except scripted.ScriptMissing as exc:  # a gap in the script is no transient fault
            raise _litellm.BadRequestError(str(exc), fake.model, "fake") from None
        return _respond(model_response, fake.model, reply.text, reply.prompt_tokens,
                        reply.completion_tokens)

    def completion(self, model: str, messages: list, model_response: ModelResponse,
                   optional_params: dict, litellm_params: dict | None = None,
                   **_: Any) -> ModelResponse:
        fake = self._model(model)
        try:
            reply = fake.complete(messages, optional_params, _metadata(litellm_params))
        except scripted.InjectedFault as fault:
            raise _FAULTS[fault.kind](str(fault), fake.model) from None
        except scripted.ScriptMissing as exc:
            raise _litellm.BadRequestError(str(exc), fake.model, "fake") from None
        return _respond(model_response, fake.model, reply.text, reply.prompt_tokens,
                        reply.completion_tokens)

    @staticmethod
    def _model(name: str) -> scripted.ScriptedModel:
        try:
            return scripted.scripted_model(name)
        except scripted.ScriptMissing as exc:
            raise _litellm.BadRequestError(str(exc), f"fake/{name}", "fake") from None


class EmbeddedProvider(CustomLLM):
    """Serves `embedded/smollm2-135m` from the in-process model, batching concurrent calls."""

    async def acompletion(self, model: str, messages: list, model_response: ModelResponse,
                          optional_params: dict, **_: Any) -> ModelResponse:
        request = self._request(model, messages, optional_params)
        result = await embedded.embedded_batcher().generate(request)
        return _respond(model_response, f"{embedded.EMBEDDED_PROVIDER}/{model}", result.text,
                        result.prompt_tokens, result.completion_tokens)

    def completion(self, model: str, messages: list, model_response: ModelResponse,
                   optional_params: dict, **_: Any) -> ModelResponse:
        [result] = embedded.generate_batch([self._request(model, messages, optional_params)])
        return _respond(model_response, f"{embedded.EMBEDDED_PROVIDER}/{model}", result.text,
                        result.prompt_tokens, result.completion_tokens)

    @staticmethod
    def _request(model: str, messages: list, params: dict) -> embedded.GenerationRequest:
        if model != embedded.EMBEDDED_MODEL_NAME:
            raise _litellm.BadRequestError(
                f"unknown embedded model {model!r}; the embedded model is "
                f"{embedded.EMBEDDED_MODEL}", f"embedded/{model}", "embedded")
        return embedded.GenerationRequest(
            messages=tuple(messages), max_tokens=int(params.get("max_tokens") or 256),
            temperature=float(params.get("temperature") or 0.0),
            top_p=float(params.get("top_p") or 1.0),
        )


def _metadata(litellm_params: dict | None) -> dict:
    return dict((litellm_params or {}).get("metadata") or {})


def _register(provider: str, handler: CustomLLM) -> None:
    """Add to LiteLLM's custom providers, keeping any that others registered."""
    entries = [e for e in _litellm.custom_provider_map if e["provider"] != provider]
    _litellm.custom_provider_map = [*entries, {"provider": provider, "custom_handler": handler}]


_register(scripted.PROVIDER, ScriptedProvider())
_register(embedded.EMBEDDED_PROVIDER, EmbeddedProvider())


def litellm() -> Any:
    """The LiteLLM module, with the in-process providers registered."""
    return _litellm
