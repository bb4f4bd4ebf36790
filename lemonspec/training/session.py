"""One training run, assembled from a Config: model, tasks, workers, rollout, TRL trainer."""

from __future__ import annotations

import json
import shutil
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
                        config.simulator.task_types,
                        held_out=config.eval.items if config.evaluates else 0)
        return sim.profile, sim
    from lemonspec.runtime.profiles import load_profile
    from lemonspec.training.config import BadValue, ConfigError

    profile = load_profile(config.workers.profile)
    missing = [level for level in config.sampling.levels if level not in profile.levels]
    if missing:
        error = BadValue("levels", list(config.sampling.levels),
                         f"the workers' profile {config.workers.profile} has the levels "
                         f"{', '.join(profile.levels)}")
        raise ConfigError(f"[sampling] {error}")
    return profile, None


def latest_checkpoint(output_dir: str) -> str | None:
    """The newest complete checkpoint: a folder a save left half-written (by a version that
    wrote in place, or copied by hand) is passed over for the one before it."""
    from lemonspec.training.grpo import complete_checkpoints

    complete = complete_checkpoints(output_dir)
    return complete[0] if complete else None


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
    evaluation = None
    held_out = []
    if config.evaluates:  # last: it sees the budget's stop in the same step
        from lemonspec.training.evaluation import OrchestratedEval
        from lemonspec.training.tasks import held_out_items

        held_out = held_out_items(config, tasks, sim)
        evaluation = OrchestratedEval(config, held_out, profile, tokenizer, resume_step)
        extra.append(evaluation)
    warn_of_overlap(config, tasks, held_out)
    trainer = LemonGRPOTrainer(
        model=model, reward_funcs=functions, args=grpo_args(config, weights),
        train_dataset=Dataset.from_dict({"prompt": [t.prompt for t in tasks]}),
        processing_class=tokenizer, callbacks=extra, rollout=rollout,
        peft_config=None if hasattr(model, "peft_config") else lora_config(config.model),
    )
    if evaluation is not None:
        evaluation.trainer = trainer
    return Session(config, trainer, rollout, sim)


def warn_of_overlap(config: Config, tasks, held_out=()) -> None:
    """Say so when the run trains or selects on the simulator benchmark's test items."""
    import sys

    from lemonspec.training.tasks import bench_test_overlap, overlap_warning

    warning = overlap_warning(bench_test_overlap(config, tasks, held_out))
    if warning:
        print(warning, file=sys.stderr)


def train(config: Config, *, resume: bool = False, progress: bool = False,
          callbacks: tuple = ()) -> Session:
    """Train; with `resume`, continue from the last checkpoint in output_dir exactly."""
    from lemonspec.training.grpo import STAGING_DIR

    checkpoint = latest_checkpoint(config.train.output_dir) if resume else None
    if resume and checkpoint is None:
        raise FileNotFoundError(f"no complete checkpoint to resume in {config.train.output_dir}")
    # What a save that died left behind; the rename that would have published it never ran.
    shutil.rmtree(Path(config.train.output_dir) / STAGING_DIR, ignore_errors=True)
    step = int(checkpoint.rsplit("-", 1)[1]) if checkpoint else 0
    session = build(config, resume_step=step, progress=progress, callbacks=callbacks)
    folder = Path(config.train.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lemon_config.json").write_text(json.dumps(config.to_dict(), indent=1))
    from lemonspec.training.grpo import quiet_trl

    with quiet_trl():
        session.trainer.train(resume_from_checkpoint=checkpoint)
    return session
