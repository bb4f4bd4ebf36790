"""GRPO with its rollouts sampled on a real vLLM CPU server: the policy's LoRA adapter is
loaded into the server each step, and what comes back scores like the in-process sampler's
samples of the same untrained policy."""

from __future__ import annotations

import json
import math
import statistics

import pytest

from lemonspec.training.config import parse_config
from lemonspec.training.session import build

pytestmark = pytest.mark.vllm


def smoke_config(server, output_dir, engine: str):
    return parse_config({
        "model": {"name": "embedded", "lora": True, "lora_r": 8, "lora_alpha": 16},
        "data": {"dataset": "simulator"},
        "simulator": {"seed": 0, "tasks": 8},
        "sampling": {"num_generations": 4, "temperature": 1.0, "role_pool": "math",
                     "max_agents": 3, "max_name_chars": 8, "max_string_chars": 40,
                     "engine": engine, "server": server.base_url,
                     "served_model": server.model},
        "workers": {"profile": "simulator", "concurrency": 16},
        "counterfactual": {"enabled": True},
        "train": {"output_dir": str(output_dir), "max_steps": 2, "tasks_per_step": 2,
                  "save_steps": 2, "logging_steps": 1, "learning_rate": 1e-3,
                  "torch_threads": 1},
        "trl": {"beta": 0.0},
    })


def test_a_grpo_run_samples_on_vllm_and_its_rewards_match_the_in_process_sampler(
        vllm_server, tmp_path):
    session = build(smoke_config(vllm_server, tmp_path / "run", "vllm"))
    rollout, model = session.rollout, session.trainer.model
    prompts = [p for p in list(rollout.tasks)[:4] for _ in range(4)]  # 4 tasks x G = 4
    keys = [f"compare:{i}" for i in range(len(prompts))]
    tasks = [rollout.tasks[p] for p in prompts]

    served = rollout.sample_served(model, prompts, seed=5, folder=str(tmp_path / "adapter"),
                                   adapter="compare")
    local = rollout.sample(model, prompts, seed=5)
    rewards = {name: [o.reward for o in rollout.evaluate(tasks, samples, keys)]
               for name, samples in (("vllm", served), ("local", local))}
    # The adapter starts at B = 0, so both sample the same untrained policy: every team is
    # valid, and the mean rewards differ by no more than the sampling noise allows.
    assert all(r > -1.0 for values in rewards.values() for r in values)
    spread = math.sqrt(sum(statistics.pvariance(v) / len(v) for v in rewards.values()))
    gap = abs(statistics.mean(rewards["vllm"]) - statistics.mean(rewards["local"]))
    assert gap <= 3 * spread + 0.05, (rewards, spread)

    session.trainer.train()  # two GRPO steps, each sampling on the server with its adapter
    metrics = [json.loads(line) for line in
               (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    steps = [m for m in metrics if "reward" in m]
    assert len(steps) == 2 and all(m["lemon/valid_rate"] == 1.0 for m in steps)
    assert (tmp_path / "run" / "checkpoint-2" / "adapter_model.safetensors").exists()
    assert (tmp_path / "run" / ".served" / "process-0" / "adapter_config.json").exists()


def test_vllm_rollouts_refuse_full_fine_tuning(vllm_server, tmp_path):
    from lemonspec.training.config import ConfigError

    with pytest.raises(ConfigError, match="lora = true"):
        parse_config({"model": {"name": "embedded", "lora": False},
                      "sampling": {"engine": "vllm", "server": vllm_server.base_url}})
