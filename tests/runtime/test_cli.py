"""`lemonc run` end to end, in process, on the ScriptedModel test double."""

import json

from click.testing import CliRunner

from lemonspec.cli import main
from lemonspec.runtime import Fault

from .conftest import EXAMPLES, fake, says_name

GSM8K = str(EXAMPLES / "gsm8k.lemon")


def _lemonc(*args):
    return CliRunner().invoke(main, ["run", *args])


def test_prints_the_answer_and_a_table_of_agents():
    model = fake(lambda call: f"{call.agent}: Answer: 5")
    result = _lemonc(GSM8K, "--input", "What is 2+3?", "--model", model.model)
    assert result.exit_code == 0, result.output
    assert "answer: checker: Answer: 5" in result.output
    for agent, capacity in (("analyst", "small"), ("solver", "large"), ("checker", "medium")):
        row = next(line for line in result.output.splitlines() if f" {agent} " in line)
        assert capacity in row and model.model in row and "ok" in row


def test_json_output_and_extractor():
    model = fake(lambda call: "so... Answer: 1,234")
    result = _lemonc(GSM8K, "--input", "Q", "--model", model.model, "--json",
                     "--extractor", "number")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["answer"] == "1234" and data["ok"] and data["model_calls"] == 3
    assert [a["name"] for a in data["agents"]] == ["analyst", "solver", "checker"]


def test_input_file_trace_and_replay(tmp_path):
    model = fake(says_name)
    task, trace = tmp_path / "task.txt", tmp_path / "run.jsonl"
    task.write_text("How many?")
    first = _lemonc(GSM8K, "--input-file", str(task), "--model", model.model,
                    "--trace", str(trace), "--json")
    assert first.exit_code == 0, first.output
    calls = len(model.calls)
    again = _lemonc(GSM8K, "--replay", str(trace), "--json")  # input comes from the trace
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["answer"] == json.loads(first.output)["answer"]
    assert json.loads(again.output)["model_calls"] == 0 and len(model.calls) == calls


def test_a_spec_error_prints_concise_diagnostics_and_exits_1(tmp_path):
    spec = tmp_path / "bad.lemon"
    spec.write_text("team t {\n    agent a: MathSolvr {}\n}\n")
    result = _lemonc(str(spec), "--input", "Q")
    assert result.exit_code == 1
    assert f"{spec}:2:14: error[E0301]" in result.output
    assert "Traceback" not in result.output


def test_the_profile_levels_reach_the_checker(tmp_path):
    profile = tmp_path / "two.toml"
    profile.write_text('levels = ["lo", "hi"]\ndefault_level = "lo"\n'
                       '[level.lo]\nmodel = "fake/x"\n[level.hi]\nmodel = "fake/x"\n')
    result = _lemonc(GSM8K, "--input", "Q", "--profile", str(profile))
    assert result.exit_code == 1 and "E0304" in result.output  # `small` is no level of it


def test_an_agent_failure_exits_3_naming_the_agent():
    model = fake(lambda call: "x", faults=[Fault("bad_request", calls={2})])
    result = _lemonc(GSM8K, "--input", "Q", "--model", model.model)
    assert result.exit_code == 3
    assert f"error: agent 'solver' failed: {model.model} after 1 attempt" in result.output
    assert "Traceback" not in result.output


def test_user_errors_are_messages_not_tracebacks(tmp_path):
    unknown = _lemonc(GSM8K, "--input", "Q", "--profile", "nope")
    assert unknown.exit_code == 2 and "error: unknown profile 'nope'" in unknown.output
    no_input = _lemonc(GSM8K)
    assert no_input.exit_code == 2 and "--input" in no_input.output
    both = _lemonc(GSM8K, "--input", "Q", "--input-file", GSM8K)
    assert both.exit_code == 2 and "not both" in both.output
    bad_trace = tmp_path / "x.jsonl"
    bad_trace.write_text("not json\n")
    replay = _lemonc(GSM8K, "--replay", str(bad_trace))
    assert replay.exit_code == 2 and "is not a lemonspec trace" in replay.output
    for result in (unknown, no_input, both, replay):
        assert "Traceback" not in result.output
