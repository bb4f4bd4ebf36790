"""One training run, assembled from a Config: model, tasks, workers, rollout, TRL trainer."""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from lemonspec.training.config import Config
from lemonspec.training.simulator import Simulator

SIMULATOR = "simulator"


@attrs.define
class Session:
    config: Config
    trainer: object  # LemonGRPOTrainer
    rollout: object  # LemonRollout
    simulator: Simulator | None


def workers(config: Config):
    """(runtime profile, simulator or None)."""
    if config.workers.profile == SIMULATOR:
        if config.simulator.kind == "testbed":
            from lemonspec.training.testbed import Testbed

            bed = Testbed(config.simulator.seed, config.simulator.tasks,
                          config.simulator.task_types)
            return bed.profile, bed
        sim = Simulator(config.simulator.seed, config.simulator.tasks,
                        config.simulator.task_types)
        return sim.profile, sim
    from lemonspec.runtime.profiles import load_profile

    return load_profile(config.workers.profile), None


def latest_checkpoint(output_dir: str) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(output_dir) if Path(output_dir).is_dir() else None


def build(config: Config, *, resume_step: int = 0, progress: bool = False,
          callbacks: tuple = ()) -> Session:
    from datasets import Dataset

    from lemonspec.training.callbacks import JsonlMetrics, RichProgress, WorkerBudget
    from lemonspec.training.grpo import LemonGRPOTrainer, grpo_args
    from lemonspec.training.models import load_orchestrator, lora_config
    from lemonspec.training.rewards import reward_functions
    from lemonspec.training.rollout import LemonRollout
    from lemonspec.training.tasks import load_tasks

    if config.train.torch_threads:
        import torch

        torch.set_num_threads(config.train.torch_threads)
    profile, sim = workers(config)
    tasks = load_tasks(config, sim)
    model, tokenizer = load_orchestrator(config.model)
    rollout = LemonRollout(config, tasks, profile, tokenizer)
    functions, weights = reward_functions(config.reward)
    extra = [JsonlMetrics(config.train.output_dir, resume_step), *callbacks]
    if config.train.max_worker_calls:
        extra.append(WorkerBudget(rollout, config.train.max_worker_calls))
    if progress:
        extra.append(RichProgress())
    trainer = LemonGRPOTrainer(
        model=model, reward_funcs=functions, args=grpo_args(config, weights),
        train_dataset=Dataset.from_dict({"prompt": [t.prompt for t in tasks]}),
        processing_class=tokenizer, callbacks=extra, rollout=rollout,
        peft_config=None if hasattr(model, "peft_config") else lora_config(config.model),
    )
    return Session(config, trainer, rollout, sim)


def train(config: Config, *, resume: bool = False, progress: bool = False,
          callbacks: tuple = ()) -> Session:
    """Train; with `resume`, continue from the last checkpoint in output_dir exactly."""
    checkpoint = latest_checkpoint(config.train.output_dir) if resume else None
    if resume and checkpoint is None:
        raise FileNotFoundError(f"no checkpoint to resume in {config.train.output_dir}")
    step = int(checkpoint.rsplit("-", 1)[1]) if checkpoint else 0
    session = build(config, resume_step=step, progress=progress, callbacks=callbacks)
    folder = Path(config.train.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lemon_config.json").write_text(json.dumps(config.to_dict(), indent=1))
    session.trainer.train(resume_from_checkpoint=checkpoint)
    return session
