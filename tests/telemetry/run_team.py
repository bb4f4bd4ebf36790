"""Run by the telemetry tests in a fresh interpreter: a small team replayed from recorded
answers (the runtime's whole path but the model call, so LiteLLM's slow import is not paid);
prints one JSON line saying which OpenTelemetry modules got imported."""

import json
import sys

from lemonspec.compiler import compile_text
from lemonspec.runtime import RecordedRun, run_team_sync, uniform_profile

TEAM = """
team pair {
    agent first: MathSolver { capacity: small }
    agent second: Inspector { capacity: large after: first }
    output: second
}
"""

ir = compile_text(TEAM, "<otel>")
recorded = RecordedRun("2+2?", {a.hash: {"output": f"{a.name}: Answer: 4", "model": "fake/otel",
                                         "prompt_tokens": 50, "completion_tokens": 5}
                                for a in ir.agents})
result = run_team_sync(ir, "2+2?", profile=uniform_profile("fake/otel"), replay=recorded)
assert result.ok, result.failures
print(json.dumps({"answer": result.answer,
                  "otel_modules": sorted(m for m in sys.modules if m.startswith("opentelemetry")),
                  "litellm": "litellm" in sys.modules}))
