"""The GPU configs of the credit experiment (experiments/gpu/, issue 13 part 4) parse and
validate, and every arm of experiments/credit_testbed.py applies to them, without loading a
model or reaching a server."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from lemonspec.training.config import ConfigError, load_config
from lemonspec.training.session import workers

ROOT = Path(__file__).resolve().parents[2]
GPU = ROOT / "experiments" / "gpu"


@pytest.fixture(scope="module")
def experiment(request):
    """experiments/credit_testbed.py as a module (it imports its sibling reporting.py)."""
    patch = pytest.MonkeyPatch()
    request.addfinalizer(patch.undo)
    patch.syspath_prepend(str(ROOT / "experiments"))
    spec = importlib.util.spec_from_file_location("credit_testbed",
                                                  ROOT / "experiments" / "credit_testbed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["credit_testbed_qwen7b", "credit_gsm8k_qwen7b"])
def test_every_arm_of_the_comparison_applies_to_the_gpu_config(experiment, name, tmp_path):
    path = GPU / f"{name}.toml"
    base = load_config(path)
    assert base.model.name == "Qwen/Qwen2.5-7B-Instruct" and base.model.lora
    assert base.sampling.engine == "vllm"
    for arm, counterfactual in experiment.ARMS.items():
        config = experiment.arm_config(arm, 5, 6000, tmp_path / arm, path)
        assert config.train.max_worker_calls == 6000
        assert config.train.seed == config.model.seed == 5
        assert config.counterfactual.enabled == counterfactual["enabled"]
        assert config.counterfactual.lam == counterfactual.get("lam", base.counterfactual.lam)
        assert config.sampling.mask_forced_tokens == (arm != "cf-nomask")
    profile, _ = workers(base)  # the workers' profile exists and has the sampled levels
    assert set(base.sampling.levels) <= set(profile.levels)


def test_the_testbed_config_is_scored_on_the_testbed_and_the_benchmark_one_by_its_eval(
        experiment):
    testbed = load_config(GPU / "credit_testbed_qwen7b.toml")
    gsm8k = load_config(GPU / "credit_gsm8k_qwen7b.toml")
    assert experiment.on_testbed(testbed) and not experiment.on_testbed(gsm8k)
    assert gsm8k.evaluates and gsm8k.eval.items == 200  # held-out figures need [eval]
    # the testbed comparison keeps the CPU config's decision space and reward
    cpu = load_config(ROOT / "examples" / "training" / "simulator_testbed.toml")
    assert testbed.sampling.roles == cpu.sampling.roles
    assert testbed.reward == cpu.reward and testbed.counterfactual == cpu.counterfactual


def test_a_run_off_the_testbed_without_an_eval_row_names_the_missing_table(experiment,
                                                                           tmp_path):
    (tmp_path / "metrics.jsonl").write_text('{"step": 1, "reward": 0.2}\n')
    with pytest.raises(ValueError, match=r"needs an \[eval\] table"):
        experiment.evaluated(tmp_path)
    (tmp_path / "metrics.jsonl").write_text(
        '{"step": 1, "reward": 0.2}\n{"step": 1, "eval/accuracy": 0.5, "eval/reward": 0.6, '
        '"eval/tokens_per_query/workers": 900.0, "eval/valid": 1.0, "eval/agents": 3.0}\n')
    assert experiment.evaluated(tmp_path) == {"reward": 0.6, "success": 0.5, "tokens": 900.0,
                                              "agents": 3.0, "valid": 1.0, "by_family": {}}


def test_a_wrong_value_in_a_gpu_config_is_named(tmp_path):
    text = (GPU / "credit_gsm8k_qwen7b.toml").read_text().replace('engine = "vllm"',
                                                                   'engine = "vlm"')
    broken = tmp_path / "broken.toml"
    broken.write_text(text)
    with pytest.raises(ConfigError, match="engine"):
        load_config(broken)
