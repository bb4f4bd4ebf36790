"""OpenTelemetry spans for team runs: one per run, per agent and per model call, with the
GenAI semantic-convention attributes (gen_ai.system, gen_ai.request.model,
gen_ai.usage.input_tokens / output_tokens, gen_ai.response.finish_reasons, ...) plus the
agent's name, capacity and hashes.

Configured the standard way, by environment: OTEL_TRACES_EXPORTER=console|otlp (a comma
list; `none` or unset: off), OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_PROTOCOL (read
by the exporter itself), OTEL_SERVICE_NAME (read by the SDK's Resource), OTEL_SDK_DISABLED.
When a program has already installed a global SDK tracer provider, its provider is used;
`configure(provider)` hands one over explicitly (tests use an in-memory exporter).

Unconfigured, nothing is emitted and this module imports nothing from OpenTelemetry: the
check reads two environment variables (tests/telemetry/test_spans.py proves both).

The spans are built from the runtime's own events (executor.py emits them; a listener here
turns them into spans), so the executor carries one hook, not a tracer at every step. While
a model call's span is open it is the current context, where LiteLLM's own OpenTelemetry
callback looks for a parent; LiteLLM's other callbacks are untouched.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

SCOPE = "lemonspec"
_explicit: list[Any] = []  # [provider] once configure() was called with one
_built: list[Any] = []  # the provider this module built from the environment, if any


def configure(tracer_provider: Any = None) -> None:
    """Use `tracer_provider` for lemonspec's spans (None: back to the environment)."""
    _explicit[:] = [tracer_provider] if tracer_provider is not None else []


def exporters_from_env() -> list[str]:
    """The exporters OTEL_TRACES_EXPORTER names, [] when tracing is off."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [n.strip().lower() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",")]
    return [n for n in names if n and n != "none"]


def enabled() -> bool:
    return bool(_explicit) or bool(exporters_from_env())


def span_listener(ir, profile):
    """A run listener that turns the run's events into spans, or None when tracing is off."""
    if not enabled():
        return None
    tracer = _tracer()
    return None if tracer is None else _Spans(tracer, ir, profile)


def _tracer():
    if _explicit:
        return _explicit[0].get_tracer(SCOPE, _version())
    try:
        from opentelemetry import trace
    except ImportError:
        _warn_once("OTEL_TRACES_EXPORTER is set but OpenTelemetry is not installed: no spans "
                   "are sent. Install it with `pip install 'lemonspec[otel]'`.")
        return None
    provider = trace.get_tracer_provider()
    if not _built and isinstance(provider, trace.ProxyTracerProvider):
        built = _provider_from_env()
        if built is None:
            return None
        _built.append(built)
        trace.set_tracer_provider(built)
        provider = built
    return provider.get_tracer(SCOPE, _version())


def _provider_from_env():
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    exporters = []
    for name in exporters_from_env():
        exporter = _exporter(name)
        if exporter is not None:
            exporters.append(exporter)
    if not exporters:
        return None
    # Resource.create() reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get(
        "OTEL_SERVICE_NAME", "lemonspec")}))
    for exporter in exporters:  # the provider flushes them at exit (shutdown_on_exit)
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _exporter(name: str):
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name == "otlp":
        protocol = (os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                    or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf")
        try:
            if protocol == "grpc":
                from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                    OTLPSpanExporter,
                )
            else:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )
        except ImportError:
            package = "grpc" if protocol == "grpc" else "http"
            _warn_once(f"OTEL_TRACES_EXPORTER=otlp ({protocol}) needs "
                       f"opentelemetry-exporter-otlp-proto-{package}; no spans are sent "
                       "there. `pip install 'lemonspec[otel]'` brings the http one.")
            return None
        return OTLPSpanExporter()  # reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, headers, ...
    _warn_once(f"OTEL_TRACES_EXPORTER names `{name}`, which lemonspec does not know; the "
               "exporters are console and otlp")
    return None


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lemonspec")
    except PackageNotFoundError:
        return "0"


def provider_name(model: str) -> str:
    """gen_ai.system for a LiteLLM model string: its provider prefix, else LiteLLM's guess."""
    if "/" in model:
        return model.split("/", 1)[0]
    litellm = sys.modules.get("litellm")  # loaded already by the call this span is about
    if litellm is not None:
        try:
            return str(litellm.get_llm_provider(model)[1])
        except Exception:  # noqa: BLE001 - an unknown model is "_OTHER", not a failure
            return "_OTHER"
    return "_OTHER"


class _Spans:
    """Events of one run -> spans: run > agent > model call."""

    def __init__(self, tracer, ir, profile) -> None:
        from opentelemetry import context, trace

        self.tracer, self.trace, self.context = tracer, trace, context
        self.ir, self.profile = ir, profile
        self.ir_hash = _ir_hash(ir)
        self.run = None
        self.agents: dict[str, Any] = {}
        self.calls: dict[str, tuple[Any, Any]] = {}  # agent -> (span, context token)

    def __call__(self, event: dict[str, Any]) -> None:
        handler = getattr(self, "_on_" + str(event.get("event")), None)
        try:
            if handler is not None:
                handler(event)
        except Exception as exc:  # noqa: BLE001 - telemetry must never fail a run
            _warn_once(f"lemonspec telemetry dropped a span: {exc!r}")

    def _in(self, parent):
        return self.trace.set_span_in_context(parent) if parent is not None else None

    def _on_run_started(self, e):
        self.run = self.tracer.start_span(f"invoke_workflow {self.ir.team}", attributes={
            "gen_ai.operation.name": "invoke_workflow", "lemonspec.team": self.ir.team,
            "lemonspec.run_id": e.get("run_id", ""), "lemonspec.ir_hash": self.ir_hash,
            "lemonspec.profile": self.profile.name, "lemonspec.agents": len(self.ir.agents),
            "lemonspec.sample": e.get("sample", 0), "lemonspec.replay": bool(e.get("replay"))})

    def _agent_attributes(self, name: str) -> dict[str, Any]:
        node = next((a for a in self.ir.agents if a.name == name), None)
        attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name,
                      "lemonspec.ir_hash": self.ir_hash, "lemonspec.team": self.ir.team}
        if node is not None:
            model = self.profile.config(node.capacity).model
            attributes.update({"gen_ai.agent.id": node.hash, "lemonspec.agent.hash": node.hash,
                               "lemonspec.agent.capacity": node.capacity,
                               "lemonspec.agent.role": node.role,
                               "gen_ai.request.model": model,
                               "gen_ai.system": provider_name(model)})
        return attributes

    def _agent_span(self, name: str):
        span = self.agents.get(name)
        if span is None:
            span = self.tracer.start_span(f"invoke_agent {name}", context=self._in(self.run),
                                          attributes=self._agent_attributes(name))
            self.agents[name] = span
        return span

    def _on_agent_started(self, e):
        self._agent_span(e["agent"])

    def _on_llm_request(self, e):
        agent, model = e.get("agent", ""), str(e.get("model", ""))
        parent = self.agents.get(agent) or self.run
        attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model,
                      "gen_ai.system": provider_name(model),
                      "gen_ai.provider.name": provider_name(model),
                      "gen_ai.agent.name": agent, "lemonspec.attempt": e.get("attempt", 1),
                      "lemonspec.ir_hash": self.ir_hash}
        node = next((a for a in self.ir.agents if a.name == agent), None)
        if node is not None:
            config = self.profile.config(node.capacity)
            attributes.update({"gen_ai.request.max_tokens": config.max_tokens,
                               "gen_ai.request.temperature": config.temperature,
                               "lemonspec.agent.capacity": node.capacity})
        span = self.tracer.start_span(f"chat {model}", context=self._in(parent),
                                      attributes=attributes)
        # Current while the call runs, so LiteLLM's own OTel callback nests under it.
        token = self.context.attach(self.trace.set_span_in_context(span))
        self.calls[agent] = (span, token)

    def _end_call(self, agent: str):
        span, token = self.calls.pop(agent, (None, None))
        if token is not None:
            self.context.detach(token)
        return span

    def _on_llm_response(self, e):
        span = self._end_call(e.get("agent", ""))
        if span is None:
            return
        _set(span, "gen_ai.response.model", e.get("model"))
        _set(span, "gen_ai.usage.input_tokens", e.get("prompt_tokens"))
        _set(span, "gen_ai.usage.output_tokens", e.get("completion_tokens"))
        _set(span, "lemonspec.cost_usd", e.get("cost"))
        _set(span, "lemonspec.usage_reported", e.get("usage_reported"))
        if e.get("finish_reason"):
            span.set_attribute("gen_ai.response.finish_reasons", [str(e["finish_reason"])])
        span.end()

    def _on_llm_error(self, e):
        span = self._end_call(e.get("agent", ""))
        if span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("error.type", str(e.get("error", "error")).split(":")[0])
        span.set_attribute("lemonspec.transient", bool(e.get("transient")))
        span.set_status(Status(StatusCode.ERROR, str(e.get("error", ""))[:500]))
        span.end()

    def _on_agent_finished(self, e):
        span = self._agent_span(e["agent"])
        _set(span, "gen_ai.response.model", e.get("model"))
        _set(span, "gen_ai.usage.input_tokens", e.get("prompt_tokens"))
        _set(span, "gen_ai.usage.output_tokens", e.get("completion_tokens"))
        _set(span, "lemonspec.cost_usd", e.get("cost"))
        span.set_attribute("lemonspec.cached", bool(e.get("cached")))
        _set(span, "lemonspec.attempts", e.get("attempts"))
        span.set_attribute("lemonspec.agent.status", "ok")
        self.agents.pop(e["agent"]).end()

    def _on_agent_failed(self, e):
        self._fail(e["agent"], "failed", e.get("error", ""))

    def _on_agent_skipped(self, e):
        self._fail(e["agent"], "skipped", e.get("reason", ""))

    def _fail(self, agent: str, status: str, why: str):
        from opentelemetry.trace import Status, StatusCode

        span = self._agent_span(agent)
        span.set_attribute("lemonspec.agent.status", status)
        if status == "failed":
            span.set_status(Status(StatusCode.ERROR, str(why)[:500]))
        self.agents.pop(agent).end()

    def _on_run_finished(self, e):
        if self.run is None:
            return
        from opentelemetry.trace import Status, StatusCode

        for name in ("model_calls", "cache_hits"):
            _set(self.run, f"lemonspec.{name}", e.get(name))
        _set(self.run, "gen_ai.usage.input_tokens", e.get("prompt_tokens"))
        _set(self.run, "gen_ai.usage.output_tokens", e.get("completion_tokens"))
        _set(self.run, "lemonspec.cost_usd", e.get("cost"))
        self.run.set_attribute("lemonspec.ok", bool(e.get("ok")))
        if not e.get("ok"):
            self.run.set_status(Status(StatusCode.ERROR, "an agent failed"))
        self.run.end()
        self.run = None


    def close(self) -> None:
        """End what is still open (a cancelled or crashed run), marked as interrupted."""
        from opentelemetry.trace import Status, StatusCode

        # The calls' context tokens belong to their agents' (cancelled) tasks: not detached.
        calls = [span for span, _ in self.calls.values()]
        for span in [*calls, *self.agents.values(), *([self.run] if self.run else [])]:
            span.set_status(Status(StatusCode.ERROR, "interrupted"))
            span.end()
        self.calls.clear()
        self.agents.clear()
        self.run = None


def _set(span, key: str, value) -> None:
    if value is not None:  # OTel attributes cannot be None; unknown stays absent
        span.set_attribute(key, value)


def _ir_hash(ir) -> str:
    """The team's hash as `lemonc bench` keys results by (its one owner)."""
    from lemonspec.benchmarks.bench import spec_hash

    return spec_hash(ir)
