"""GRPO training in two processes on a CPU (accelerate's launcher, torch.distributed over
gloo): each process samples its own prompts, the rollouts' ledger (worker spend, family
sampler) is shared so every process accounts every outcome, one summary and one set of
checkpoints are written, and --resume continues from them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "training" / "simulator.toml"

pytestmark = pytest.mark.skipif(shutil.which("accelerate") is None,
                                reason="accelerate's launcher is not installed")


def launch(config: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
               "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
               "--dynamo_backend", "no", "-m", "lemonspec.cli", "train", "--config",
               str(config), *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run(command, capture_output=True, text=True, timeout=1200, env=env,
                          check=False)


def test_two_processes_train_share_their_ledger_checkpoint_once_and_resume(tmp_path):
    out = tmp_path / "run"
    text = (EXAMPLE.read_text().replace('output_dir = "runs/train/simulator"',
                                        f'output_dir = "{out}"')
            .replace("max_steps = 400", "max_steps = 2").replace("save_steps = 20",
                                                                 "save_steps = 1")
            .replace("tasks_per_step = 2", "tasks_per_step = 1"))
    config = tmp_path / "two.toml"
    config.write_text(text)

    first = launch(config)
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.count("steps: 2") == 1  # one summary, from the main process
    assert sorted(p.name for p in (out / "checkpoint-2").glob("rng_state_*.pth")) == [
        "rng_state_0.pth", "rng_state_1.pth"]  # two processes took part
    steps = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [s for s in steps if "reward" in s]
    assert [s["step"] for s in steps] == [1, 2]  # logged once per step
    # Each process paid for its own prompts; the shared ledger counts both processes'
    # calls, so the total exceeds what one process's share of step 1 could be.
    assert steps[0]["workers/total_calls"] > steps[0]["workers/calls"]
    # The example's [eval]: the main process evaluated once, at the end; all saved best/.
    evals = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals if "eval/accuracy" in e] == [2]
    assert json.loads((out / "best_eval.json").read_text())["step"] == 2
    assert (out / "best" / "config.json").is_file()
    ledger = json.loads((out / "checkpoint-2" / "lemon_state.json").read_text())
    assert ledger["stats"]["samples"] == 2 * 2 * 4  # 2 steps x 2 processes x G = 4

    resumed = launch(config, "--resume", "--max-steps", "3")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    steps = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [s["step"] for s in steps if "reward" in s] == [1, 2, 3]
    assert [s["step"] for s in steps if "eval/accuracy" in s] == [2, 3]
    state = json.loads((out / "checkpoint-3" / "lemon_state.json").read_text())
    assert state["stats"]["samples"] == 3 * 2 * 4
