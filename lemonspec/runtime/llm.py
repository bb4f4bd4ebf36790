"""One agent's model call through `litellm.acompletion`: a per-attempt timeout, retries with
exponential backoff and jitter on transient errors (tenacity), then the fallback endpoints in
order, each on its own servers with its own key; usage and cost accounted whether or not the
provider reports usage.

An endpoint with several servers is called through a LiteLLM Router (one per endpoint and
event loop, so its cooldowns persist across agents and runs): it spreads calls over the
servers and leaves a failing one out for `cooldown` seconds, so the retry of a call that hit a
dead server goes to a live one. A reply with no content is a failure with that cause; a reply
longer than `max_reply_chars` is cut there, with a marker and a `reply_truncated` event.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import attrs
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from lemonspec.environment import configure
from lemonspec.errors import EXIT_RUN, LemonspecError
from lemonspec.runtime.profiles import Endpoint, LevelConfig

Emit = Callable[..., None]
_TRANSIENT_STATUS = {408, 409, 429}
_UNPRICED: set[str] = set()  # models LiteLLM has no price for: don't ask again


@attrs.frozen
class ModelReply:
    text: str
    model: str  # the model that answered (a fallback, perhaps)
    prompt_tokens: int | None
    completion_tokens: int | None
    cost: float | None
    seconds: float
    attempts: int
    usage_reported: bool  # False when the provider gave no usage and we counted ourselves


class EmptyReply(LemonspecError):
    """The provider answered, but with no text (a null content): nothing to use, and asking
    the same model again is unlikely to help."""

    exit_code = EXIT_RUN


class AgentCallError(LemonspecError):
    """An agent whose every model and every retry failed. Names the agent, model and cause."""

    exit_code = EXIT_RUN

    def __init__(self, agent: str, failures: list[tuple[str, int, BaseException]]) -> None:
        self.agent = agent
        self.failures = failures  # (model, attempts, last error) per model tried
        tried = "; ".join(f"{model} after {n} attempt{'s' * (n > 1)}: {_describe(exc)}"
                          for model, n, exc in failures)
        super().__init__(f"agent '{agent}' failed: {tried}")

    def __reduce__(self):
        return (_rebuild_call_error, (self.agent, str(self)))


def _rebuild_call_error(agent: str, message: str) -> AgentCallError:
    error = AgentCallError.__new__(AgentCallError)
    Exception.__init__(error, message)
    error.agent, error.failures = agent, []
    return error


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "TimeoutError: no answer within the per-attempt timeout"
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message[:300]}" if message else type(exc).__name__


def is_transient(exc: BaseException) -> bool:
    """Timeouts, rate limits, 5xx and connection errors: worth another try."""
    if isinstance(exc, TimeoutError):
        return True
    if isinstance(exc, EmptyReply):
        return False
    import openai  # a LiteLLM dependency; its errors are the base of LiteLLM's own

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError)):
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and (status >= 500 or status in _TRANSIENT_STATUS)


async def call_model(agent: str, agent_hash: str, config: LevelConfig, messages: list[dict],
                     emit: Emit) -> ModelReply:
    """The first answer from the primary endpoint, then its fallbacks; AgentCallError if none."""
    configure()
    from lemonspec.runtime.providers import litellm

    llm = litellm()
    failures: list[tuple[str, int, BaseException]] = []
    for endpoint in config.endpoints:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(config.retries + 1),
            wait=wait_exponential(multiplier=config.backoff_initial, max=config.backoff_max)
            + wait_random(0, config.backoff_initial),  # jitter: retries of many agents spread out
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        attempt_number = 0
        try:
            async for attempt in retrying:
                attempt_number = attempt.retry_state.attempt_number
                with attempt:
                    return await _attempt(llm, agent, agent_hash, endpoint, config, messages,
                                          emit, attempt_number)
        except Exception as exc:  # noqa: BLE001 - any failure moves on to the next endpoint
            failures.append((endpoint.label, attempt_number, exc))
    raise AgentCallError(agent, failures)


async def _attempt(llm: Any, agent: str, agent_hash: str, endpoint: Endpoint,
                   config: LevelConfig, messages: list[dict], emit: Emit,
                   attempt: int) -> ModelReply:
    model = endpoint.model
    emit("llm_request", agent=agent, model=model, attempt=attempt, messages=messages)
    start = time.perf_counter()
    try:
        async with asyncio.timeout(config.timeout):
            response = await _complete(llm, endpoint, config)(
                messages=messages, **config.call_params(), timeout=config.timeout,
                num_retries=0,  # tenacity retries; LiteLLM and the OpenAI SDK must not
                metadata={"agent": agent, "agent_hash": agent_hash},
            )
        text = _content(response)
    except Exception as exc:
        emit("llm_error", agent=agent, model=model, attempt=attempt,
             seconds=time.perf_counter() - start, error=_describe(exc),
             transient=is_transient(exc))
        raise
    if len(text) > config.max_reply_chars:
        emit("reply_truncated", agent=agent, model=model, chars=len(text),
             kept=config.max_reply_chars)
        text = text[:config.max_reply_chars] + truncation_marker()
    reply = _reply(llm, model, text, messages, response, time.perf_counter() - start, attempt)
    server = (getattr(response, "_hidden_params", None) or {}).get("api_base")
    emit("llm_response", agent=agent, model=reply.model, attempt=attempt, seconds=reply.seconds,
         text=reply.text, prompt_tokens=reply.prompt_tokens,
         completion_tokens=reply.completion_tokens, cost=reply.cost,
         usage_reported=reply.usage_reported,
         finish_reason=getattr(response.choices[0], "finish_reason", None),  # for OTel spans
         **({"api_base": server} if server else {}))
    return reply


def truncation_marker() -> str:
    # No digits and no lone capitals: the judge reads a cut reply's answer from what was kept,
    # never from this note (a count here would be a number team's answer). The counts travel
    # on the `reply_truncated` event.
    return "\n[lemonspec: reply truncated here at the profile's max_reply_chars; the rest was dropped]"


def _content(response: Any) -> str:
    choice = response.choices[0]
    text = choice.message.content
    if text is None:
        reason = getattr(choice, "finish_reason", None)
        raise EmptyReply(f"the model returned no content (null), finish_reason {reason!r}")
    return text


# One Router per endpoint for the process, so a server's cooldown holds for every agent and
# run (LiteLLM keys its HTTP clients by event loop, so a Router outlives asyncio.run()).
_routers: dict[tuple[Endpoint, str | None, float], Any] = {}


def _complete(llm: Any, endpoint: Endpoint, config: LevelConfig) -> Callable[..., Any]:
    """`acompletion` bound to the endpoint: directly for one server, else its Router's."""
    key = endpoint.api_key
    if len(endpoint.api_base) <= 1:
        server = {"api_base": endpoint.api_base[0]} if endpoint.api_base else {}
        return lambda **kw: llm.acompletion(model=endpoint.model, **server,
                                            **({"api_key": key} if key else {}), **kw)
    router = _routers.get((endpoint, key, config.cooldown))
    if router is None:
        deployments = [{"model_name": endpoint.model,
                        "litellm_params": {"model": endpoint.model, "api_base": base,
                                           **({"api_key": key} if key else {})}}
                       for base in endpoint.api_base]
        router = _routers[(endpoint, key, config.cooldown)] = llm.Router(
            model_list=deployments, routing_strategy="simple-shuffle", num_retries=0,
            allowed_fails=0,  # the first failure takes a server out, so the retry goes elsewhere
            cooldown_time=config.cooldown)
    return lambda **kw: router.acompletion(model=endpoint.model, **kw)


def _reply(llm: Any, model: str, text: str, messages: list[dict], response: Any,
           seconds: float, attempt: int) -> ModelReply:
    usage = getattr(response, "usage", None)
    prompt = getattr(usage, "prompt_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    reported = bool(prompt)  # LiteLLM fills a missing usage with zeros; no real prompt is empty
    if not reported:
        prompt = _count_tokens(llm, model, messages=messages)
        completion = _count_tokens(llm, model, text=text)
    cost = _cost(llm, model, response if reported else None, prompt, completion)
    return ModelReply(text, model, prompt, completion, cost, seconds, attempt, reported)


def _count_tokens(llm: Any, model: str, **what: Any) -> int | None:
    try:
        return int(llm.token_counter(model=model, **what))
    except Exception:  # noqa: BLE001 - an unknown tokenizer means "unknown", not a crash
        return None


def _cost(llm: Any, model: str, response: Any, prompt: int | None,
          completion: int | None) -> float | None:
    """LiteLLM's price for the call, or None where it knows no price for the model.
    `response` is None when the provider reported no usage (the tokens were counted here)."""
    hidden = getattr(response, "_hidden_params", None) or {}
    if "response_cost" in hidden:  # LiteLLM priced the call already (None: it could not)
        return hidden["response_cost"]
    if model in _UNPRICED or prompt is None or completion is None:
        return None
    try:
        if response is not None:
            return float(llm.completion_cost(completion_response=response, model=model))
        prompt_cost, completion_cost = llm.cost_per_token(
            model=model, prompt_tokens=prompt, completion_tokens=completion)
        return float(prompt_cost + completion_cost)
    except Exception:  # noqa: BLE001 - LiteLLM raises for models it has no price for
        _UNPRICED.add(model)
        return None
