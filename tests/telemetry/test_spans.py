"""OpenTelemetry spans of a team run: one per run, agent and model call, nested in that order,
with the GenAI semantic-convention attributes; configured by the standard environment, and
nothing imported or emitted without it."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import ClassVar

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the spans need opentelemetry-sdk (extra otel)")

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import StatusCode

from lemonspec.benchmarks.bench import spec_hash
from lemonspec.compiler import compile_text
from lemonspec.runtime import (
    MemoryCache,
    ScriptedModel,
    ScriptedReply,
    run_team_sync,
    telemetry,
    uniform_profile,
)

ROOT = Path(__file__).parents[2]
TEAM = """
team traced {
    agent reader: MathAnalyst { capacity: small }
    agent solver: MathSolver { capacity: large after: reader }
    agent doomed: Critic { after: reader }
    agent judge: Inspector { after: solver }
    output: judge
}
"""


def rule(call):
    if call.agent == "doomed":
        raise ValueError("refused")
    return ScriptedReply(f"{call.agent}: Answer: 4", prompt_tokens=100 + len(call.agent),
                         completion_tokens=7)


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.configure(provider)
    yield exporter
    telemetry.configure(None)


def test_one_span_per_run_agent_and_model_call_with_genai_attributes(spans):
    ir = compile_text(TEAM, "<otel>")
    model = ScriptedModel("otel-spans", rule)
    profile = uniform_profile(model.model, retries=0)
    result = run_team_sync(ir, "2+2?", profile=profile)
    finished = spans.get_finished_spans()
    runs = [s for s in finished if s.name == "invoke_workflow traced"]
    agents = {s.attributes["gen_ai.agent.name"]: s for s in finished
              if s.name.startswith("invoke_agent ")}
    calls = [s for s in finished if s.name.startswith("chat ")]
    assert len(runs) == 1 and set(agents) == {"reader", "solver", "doomed", "judge"}
    assert len(calls) == result.model_calls == 4  # the doomed call fails once (no retries)
    run = runs[0]
    assert run.attributes["lemonspec.ir_hash"] == spec_hash(ir)
    assert run.attributes["lemonspec.ok"] is False and run.status.status_code == StatusCode.ERROR
    for agent in agents.values():
        assert agent.parent.span_id == run.context.span_id
        assert agent.context.trace_id == run.context.trace_id
        assert agent.attributes["lemonspec.ir_hash"] == spec_hash(ir)
    solver = agents["solver"]
    node = ir.agent("solver")
    assert solver.attributes["lemonspec.agent.capacity"] == "large"
    assert solver.attributes["lemonspec.agent.hash"] == node.hash
    assert solver.attributes["gen_ai.request.model"] == model.model
    assert solver.attributes["gen_ai.system"] == "fake"
    assert solver.attributes["gen_ai.usage.input_tokens"] == result.agent("solver").prompt_tokens
    assert agents["doomed"].status.status_code == StatusCode.ERROR
    for call in calls:
        name = call.attributes["gen_ai.agent.name"]
        assert call.parent.span_id == agents[name].context.span_id
        assert call.attributes["gen_ai.operation.name"] == "chat"
        assert call.attributes["gen_ai.system"] == "fake"
        assert call.attributes["gen_ai.request.model"] == model.model
        if name == "doomed":
            assert call.status.status_code == StatusCode.ERROR
            continue
        assert call.attributes["gen_ai.usage.input_tokens"] == 100 + len(name)
        assert call.attributes["gen_ai.usage.output_tokens"] == 7
        assert call.attributes["gen_ai.response.finish_reasons"] == ("stop",)
        assert call.attributes["gen_ai.request.max_tokens"] == profile.config(
            ir.agent(name).capacity).max_tokens
        # the call lies inside its agent, which lies inside the run
        assert agents[name].start_time <= call.start_time <= call.end_time
        assert call.end_time <= agents[name].end_time <= run.end_time


def test_a_cached_agent_still_gets_its_span(spans):
    ir = compile_text(TEAM.replace("agent doomed: Critic { after: reader }\n", ""), "<otel>")
    model = ScriptedModel("otel-cached", rule)
    cache = MemoryCache()
    run_team_sync(ir, "2+2?", profile=uniform_profile(model.model), cache=cache)
    spans.clear()
    run_team_sync(ir, "2+2?", profile=uniform_profile(model.model), cache=cache)
    finished = spans.get_finished_spans()
    agents = [s for s in finished if s.name.startswith("invoke_agent ")]
    assert len(agents) == 3 and all(s.attributes["lemonspec.cached"] for s in agents)
    assert not [s for s in finished if s.name.startswith("chat ")]


def test_a_cancelled_run_still_ends_and_exports_its_spans(spans):
    import asyncio

    from lemonspec.runtime import run_team

    ir = compile_text(TEAM.replace("agent doomed: Critic { after: reader }\n", ""), "<otel>")
    model = ScriptedModel("otel-cancelled", rule, latency=5.0)

    async def main():
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(run_team(ir, "2+2?", profile=uniform_profile(model.model)),
                                   timeout=0.5)

    asyncio.run(main())
    finished = {s.name: s for s in spans.get_finished_spans()}
    assert set(finished) == {"invoke_workflow traced", "invoke_agent reader",
                             f"chat {model.model}"}
    assert all(s.status.status_code == StatusCode.ERROR for s in finished.values())
    assert finished["invoke_workflow traced"].status.description == "interrupted"


def test_litellm_callbacks_keep_working_beside_the_spans(spans):
    from litellm.integrations.custom_logger import CustomLogger

    from lemonspec.runtime import providers

    litellm = providers.litellm()
    seen: list[str] = []

    class Recorder(CustomLogger):
        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
            seen.append(kwargs.get("model"))

    recorder = Recorder()
    litellm.callbacks.append(recorder)
    try:
        ir = compile_text(TEAM.replace("agent doomed: Critic { after: reader }\n", ""), "<o>")
        model = ScriptedModel("otel-callbacks", rule)
        run_team_sync(ir, "2+2?", profile=uniform_profile(model.model))
    finally:
        litellm.callbacks.remove(recorder)
    assert len([s for s in spans.get_finished_spans() if s.name.startswith("chat ")]) == 3
    assert len(seen) == 3


def _run_subprocess(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return subprocess.run([sys.executable, str(ROOT / "tests/telemetry/run_team.py")],
                          env={**clean, "PYTHONPATH": str(ROOT), **env}, capture_output=True,
                          text=True, timeout=300, cwd=ROOT, check=False)


def test_unconfigured_nothing_is_imported_and_nothing_emitted():
    done = _run_subprocess()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1  # no span printed anywhere
    report = json.loads(lines[0])
    assert report["answer"] and report["otel_modules"] == [] and not report["litellm"]


class _Collector(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_standard_environment_sends_spans_to_the_console_and_an_otlp_endpoint():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = _run_subprocess(
            OTEL_TRACES_EXPORTER="console,otlp", OTEL_SERVICE_NAME="lemon-otel-test",
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    for name in ("invoke_workflow pair", "invoke_agent first", "invoke_agent second"):
        assert f'"name": "{name}"' in done.stdout  # replayed: no model call, so no chat span
    assert '"service.name": "lemon-otel-test"' in done.stdout
    assert '"gen_ai.usage.output_tokens": 5' in done.stdout
    paths = [path for path, _ in _Collector.received]
    assert paths and set(paths) == {"/v1/traces"}
    body = b"".join(body for _, body in _Collector.received)
    assert b"invoke_agent second" in body and b"lemon-otel-test" in body
