"""`lemonc generate`, with a tiny random model saved as a folder (and as a LoRA adapter)."""

import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from lemonspec.cli import main
from lemonspec.orchestrator import check_spec
from lemonspec.runtime import ScriptedModel


@pytest.fixture(scope="module")
def model_folder(tiny_model, tokenizer, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-orchestrator")
    tiny_model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def generate(*args):
    return CliRunner().invoke(main, ["generate", *map(str, args)], catch_exceptions=False)


def test_generate_writes_checked_specs_for_a_benchmark_item(model_folder, tmp_path):
    result = generate("--dataset", "gsm8k", "--index", 3, "--model", model_folder,
                      "--samples", 2, "--seed", 1, "--out", tmp_path)
    files = sorted(tmp_path.glob("*.lemon"))
    assert [f.name for f in files] == ["gsm8k-3-s1-0.lemon", "gsm8k-3-s1-1.lemon"]
    assert result.exit_code == 0, result.output
    for f in files:
        assert f"{f}: ok" in result.output
        check = check_spec(f.read_text())
        assert check.ok and check.formatted


def test_generate_from_text_unconstrained_reports_what_is_wrong(model_folder, tmp_path):
    result = generate("--task", "Add 2 and 3.", "--family", "math", "--model", model_folder,
                      "--unconstrained", "--max-new-tokens", 16, "--out", tmp_path)
    assert result.exit_code == 1  # a random model does not write a team by chance
    assert "task-s0-0.lemon: does not parse" in result.output
    assert "error[E0001]" in result.output


def test_generate_loads_a_lora_adapter(tiny_model, model_folder, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(model_folder)
    adapter = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))
    adapter.save_pretrained(tmp_path / "adapter")
    result = generate("--task", "Name a prime.", "--model", tmp_path / "adapter",
                      "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output


def test_generate_runs_the_teams_with_run(model_folder, tmp_path):
    worker = ScriptedModel("generate-cli-worker", rule=lambda call: "Answer: 18")
    profile = tmp_path / "worker.toml"
    profile.write_text(f'levels = ["small", "medium", "large"]\n[defaults]\nmodel = '
                       f'"{worker.model}"\n[level.small]\n[level.medium]\n[level.large]\n')
    result = generate("--dataset", "gsm8k", "--index", 0, "--model", model_folder, "--run",
                      "--profile", profile, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "answer: '18'  gold: '18'  correct: yes" in result.output


@pytest.mark.parametrize("args", [[], ["--task", "x", "--dataset", "gsm8k"]])
def test_generate_wants_exactly_one_task(args):
    result = generate(*args)
    assert result.exit_code == 2 and "--task TEXT or --dataset" in result.output


def test_generate_shows_its_stages_on_stderr_as_plain_lines(model_folder, tmp_path):
    result = generate("--task", "Add 2 and 3.", "--family", "math", "--model", model_folder,
                      "--samples", 2, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    # Not a terminal: one plain line per stage, in order (transformers' own weight-loading
    # bar, redrawn with carriage returns, is left out).
    lines = [line for line in result.stderr.split("\n") if line and "\r" not in line]
    assert lines[0] == f"loading the orchestrator model ({model_folder})"
    assert lines[1] == "sampling 2 team(s)"
    assert [line.split(" (")[0] for line in lines[2:4]] == ["sampled team 1/2",
                                                          "sampled team 2/2"]
    rate = re.fullmatch(r"sampled team 2/2 \((\d+) tokens, ([\d.]+) tokens/s\)", lines[3])
    assert rate and int(rate[1]) > 0 and float(rate[2]) > 0
    assert lines[4:] == ["checking team 1/2", "checking team 2/2"]
    assert "sampl" not in result.stdout and "task-s0-0.lemon: ok" in result.stdout


def test_a_remote_orchestrator_without_a_server_address_is_refused(tmp_path, monkeypatch):
    """LiteLLM would send a hosted_vllm/ request to api.openai.com: refused before any call,
    naming the variable that gives the address."""
    monkeypatch.delenv("HOSTED_VLLM_API_BASE", raising=False)
    result = CliRunner().invoke(main, ["generate", "--task", "Add 2 and 3.", "--model",
                                       "hosted_vllm/orc", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "$HOSTED_VLLM_API_BASE" in result.stderr and "Traceback" not in result.output
    bench = CliRunner().invoke(main, ["bench", "--orchestrator", "hosted_vllm/orc", "--dataset",
                                      "simulator", "--limit", "1", "--out",
                                      str(tmp_path / "o.jsonl")])
    assert bench.exit_code == 2 and "$HOSTED_VLLM_API_BASE" in bench.stderr
    assert not (tmp_path / "o.jsonl").exists() or not (tmp_path / "o.jsonl").read_text()


def test_a_remote_orchestrator_needs_neither_torch_nor_llguidance(tmp_path):
    """`generate --model hosted_vllm/...` in a process where torch, transformers and
    llguidance cannot be imported (a core install): it gets as far as the server, and an
    unreachable server is one error line with a way out (exit 3), not a traceback."""
    script = ("import sys\n"
              "for m in ('torch', 'transformers', 'llguidance', 'trl', 'peft'):\n"
              "    sys.modules[m] = None\n"
              "from lemonspec.cli import main\n"
              "main(['generate', '--task', 'Add 2 and 3.', '--model', 'hosted_vllm/orc',\n"
              f"      '--out', {str(tmp_path)!r}])\n")
    closed = "http://127.0.0.1:9/v1"  # the discard port: nothing listens
    env = {**os.environ, "HOSTED_VLLM_API_BASE": closed}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=300, check=False)
    assert out.returncode == 3, out.stderr[-3000:]
    assert "error: the orchestrator hosted_vllm/orc failed" in out.stderr
    assert "hint: check that its server is up" in out.stderr
    assert "Traceback" not in out.stderr and "No module named" not in out.stderr
