"""`lemonc bench` on a ScriptedModel (a test-double LLM): the accuracy is the one the script
implies, votes are counted, HumanEval is scored by the sandbox, reruns resume, and a
different run into the same file is refused."""

import itertools
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lemonspec.benchmarks import load
from lemonspec.benchmarks.bench import read_results
from lemonspec.cli import main
from lemonspec.runtime import ScriptedModel

BASELINES = Path(__file__).resolve().parents[2] / "examples" / "baselines"
_names = itertools.count()


def gsm8k_folder(root: Path, size: int) -> Path:
    """A tiny GSM8K in its native layout: item i asks for i + i."""
    (root / "gsm8k").mkdir(parents=True)
    rows = [{"question": f"What is {i} plus {i}?", "answer": f"{i} + {i} = {2 * i}\n#### {2 * i}"}
            for i in range(size)]
    (root / "gsm8k" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def asked(call) -> int:
    return int(re.search(r"What is (\d+) plus", call.user).group(1))


def scripted(rule) -> str:
    return ScriptedModel(f"bench{next(_names)}", rule).model


def bench(spec, out, *options):
    args = ["bench", str(spec), "--out", str(out), *options]
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_accuracy_is_what_the_script_implies(tmp_path):
    data = gsm8k_folder(tmp_path / "data", 12)
    # Right on every third item; the chain's last agent (the inspector) decides.
    model = scripted(lambda call: f"Answer: {2 * asked(call) if asked(call) % 3 == 0 else -1}")
    out = tmp_path / "chain.jsonl"
    result = bench(BASELINES / "gsm8k" / "chain.lemon", out, "--dataset", "gsm8k",
                   "--data", str(data), "--model", model, "--concurrency", "3")
    assert result.exit_code == 0, result.output
    items = read_results(out).items
    assert len(items) == 12
    assert {i for i, r in items.items() if r["correct"]} == {f"gsm8k/test/{i}"
                                                            for i in (0, 3, 6, 9)}
    assert all(r["model_calls"] == 4 and r["ok"] and r["tokens"] > 0 for r in items.values())
    assert "33.3 [13.8, 60.9]" in result.output  # 4/12 with its Wilson interval


def test_a_rerun_runs_only_the_missing_items_and_a_larger_limit_extends(tmp_path):
    data = gsm8k_folder(tmp_path / "data", 10)
    calls = []
    model = scripted(lambda call: calls.append(asked(call)) or f"Answer: {2 * asked(call)}")
    spec, out = BASELINES / "gsm8k" / "cot.lemon", tmp_path / "cot.jsonl"
    common = ["--dataset", "gsm8k", "--data", str(data), "--model", model]
    assert bench(spec, out, *common, "--limit", "4").exit_code == 0
    first = set(read_results(out).items)
    rerun = bench(spec, out, *common, "--limit", "4")
    assert "4 already in" in rerun.output and len(calls) == 4  # nothing ran again
    assert bench(spec, out, *common, "--limit", "7").exit_code == 0
    items = read_results(out).items
    assert len(items) == 7 and first <= set(items) and len(calls) == 7


def test_the_vote_of_sc_cot_takes_the_majority(tmp_path):
    data = gsm8k_folder(tmp_path / "data", 6)

    def rule(call):  # samples 3-5 are right on even items; 1-2 always agree on a wrong one
        right = asked(call) % 2 == 0 and call.agent in ("sample_3", "sample_4", "sample_5")
        return f"Answer: {2 * asked(call) if right else 999}"

    out = tmp_path / "sc.jsonl"
    result = bench(BASELINES / "gsm8k" / "sc_cot.lemon", out, "--dataset", "gsm8k", "--data",
                   str(data), "--model", scripted(rule), "--temperature", "0.7")
    assert result.exit_code == 0, result.output
    items = read_results(out).items
    assert [items[f"gsm8k/test/{i}"]["correct"] for i in range(6)] == [True, False] * 3
    assert "warning" not in result.output  # sampling, so the voters may differ


def test_identical_voters_at_temperature_zero_are_warned_about(tmp_path):
    data = gsm8k_folder(tmp_path / "data", 1)
    result = bench(BASELINES / "gsm8k" / "sc_cot.lemon", tmp_path / "sc.jsonl", "--dataset",
                   "gsm8k", "--data", str(data), "--model", scripted(lambda call: "Answer: 0"))
    assert "will all answer alike" in result.output and "--temperature" in result.output


def test_humaneval_is_scored_by_running_the_tests_in_the_sandbox(tmp_path):
    items = load("humaneval", limit=4, seed=0)
    solved = {item.id for item in items[:3]}

    def rule(call):  # the canonical solution for three items, a wrong body for the fourth
        item = next(i for i in items if i.prompt.strip() in call.user)
        body = item.meta["canonical_solution"] if item.id in solved else "    return None\n"
        return f"Here it is:\n```python\n{item.prompt}{body}```"

    out = tmp_path / "he.jsonl"
    result = bench(BASELINES / "humaneval" / "vanilla.lemon", out, "--dataset", "humaneval",
                   "--limit", "4", "--model", scripted(rule))
    assert result.exit_code == 0, result.output
    records = read_results(out).items
    assert {i for i, r in records.items() if r["correct"]} == solved
    assert [r["why"] for i, r in records.items() if i not in solved] == ["failed"]


def test_a_different_run_into_the_same_file_is_refused(tmp_path):
    data = gsm8k_folder(tmp_path / "data", 2)
    model = scripted(lambda call: "Answer: 0")
    out = tmp_path / "r.jsonl"
    common = ["--dataset", "gsm8k", "--data", str(data), "--model", model]
    assert bench(BASELINES / "gsm8k" / "cot.lemon", out, *common).exit_code == 0
    before = out.read_bytes()
    refused = bench(BASELINES / "gsm8k" / "vanilla.lemon", out, *common)
    assert refused.exit_code == 2
    assert "holds the results of a different run" in refused.output
    assert "team: 'cot' in the file, 'vanilla' now" in refused.output
    assert out.read_bytes() == before


def test_user_errors_exit_2_and_spec_errors_exit_1(tmp_path):
    out = tmp_path / "r.jsonl"
    missing = bench(BASELINES / "gsm8k" / "cot.lemon", out, "--dataset", "gsm8k", "--data",
                    str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "no gsm8k test data" in missing.output
    broken = tmp_path / "broken.lemon"
    broken.write_text("team t { agent a: NoSuchRole {} }")
    bad_spec = bench(broken, out, "--dataset", "gsm8k", "--data", str(tmp_path))
    assert bad_spec.exit_code == 1 and "NoSuchRole" in bad_spec.output


@pytest.mark.embedded
def test_the_embedded_model_runs_a_short_bench_end_to_end(tmp_path):
    """The one real-model test: two GSM8K items, eight new tokens per agent."""
    profile = tmp_path / "tiny.toml"
    profile.write_text('levels = ["small", "medium", "large"]\nconcurrency = 2\n'
                       '[defaults]\nmodel = "embedded/smollm2-135m"\nmax_tokens = 8\n'
                       'retries = 0\ntimeout = 600\n'
                       '[level.small]\n[level.medium]\n[level.large]\n')
    out = tmp_path / "e.jsonl"
    result = bench(BASELINES / "gsm8k" / "vanilla.lemon", out, "--dataset", "gsm8k",
                   "--limit", "2", "--profile", str(profile))
    assert result.exit_code == 0, result.output
    records = list(read_results(out).items.values())
    assert len(records) == 2
    assert all(r["ok"] and 0 < r["completion_tokens"] <= 8 and r["cost"] == 0 for r in records)
    assert "accuracy % [95% CI]" in result.output
