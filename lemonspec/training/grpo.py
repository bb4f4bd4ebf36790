"""Orchestration-level GRPO on TRL, with the localized counterfactual term.

`LemonGRPOTrainer` is a `trl.GRPOTrainer` whose generation is `LemonRollout` (TRL's
`rollout_func`) and which changes one thing: after TRL has computed GRPO's advantages (one
per sample, shape (B,)), it adds each sample's per-token credit (lambda * Delta on the tokens
of the edited span, 0 elsewhere), giving per-token advantages of shape (B, T) that TRL's loss
accepts. Delta is divided by the standard deviation of the step's rewards (floored), as
GRPO divides reward differences by a standard deviation, so lambda weighs like with like. Everything else (loss, clipping, KL, optimizer, accelerate/DeepSpeed, logging,
checkpoints) is TRL's. With the counterfactual off the advantages stay TRL's (B,) tensor.

Checkpoints hold, besides TRL's adapter/optimizer/scheduler/trainer state/RNG states, the
rollout's state (family sampler, worker spend) in `lemon_state.json`; resuming restores it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import torch
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR
from trl import GRPOConfig, GRPOTrainer
from trl.trainer.utils import nanstd

from lemonspec.environment import configure
from lemonspec.training.config import Config
from lemonspec.training.rollout import CREDIT_FIELD, REWARD_FIELD, LemonRollout

STATE_FILE = "lemon_state.json"


def _score_completions_only_on_cpu() -> None:
    """TRL 1.16's fused LM head (trl/trainer/utils.py, add_fused_lm_head) projects only the
    completion positions when `_use_triton(device)`, and every position, prompt included,
    elsewhere (to spare Neuron recompilations). On a CPU, with a ~600-token orchestrator
    prompt and a ~60-token spec, that is ~10x the LM-head work of the loss. In that module
    the flag only chooses compaction (the kernels module has its own), so compact on CPUs."""
    import trl.trainer.utils as trl_utils

    original = trl_utils._use_triton
    if getattr(original, "lemon_patched", False):
        return

    def compact(device) -> bool:
        return device.type == "cpu" or original(device)

    compact.lemon_patched = True
    trl_utils._use_triton = compact


def per_token_advantages(advantages: torch.Tensor, credits: Sequence[Sequence[float]],
                         width: int, scale: torch.Tensor | None = None) -> torch.Tensor:
    """(B,) GRPO advantages + per-token credits (each as long as its completion, padded
    with 0 to `width`), each row's divided by scale[row] if given -> (B, width)."""
    extra = torch.zeros((len(credits), width), dtype=advantages.dtype, device=advantages.device)
    for row, credit in enumerate(credits):
        extra[row, :len(credit)] = torch.tensor(credit, dtype=advantages.dtype)
    if scale is not None:
        extra = extra / scale.to(extra).unsqueeze(1)
    return advantages.unsqueeze(1) + extra


class LemonGRPOTrainer(GRPOTrainer):
    def __init__(self, *, rollout: LemonRollout, **kwargs):
        configure()
        _score_completions_only_on_cpu()
        super().__init__(rollout_func=rollout, **kwargs)
        self.lemon_rollout = rollout

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if self.lemon_rollout.config.counterfactual.enabled:
            # TRL merged the rollout's extra fields into the rows of `inputs`.
            credits = [row[CREDIT_FIELD] for row in inputs]
            rewards = torch.tensor([row[REWARD_FIELD] for row in inputs], dtype=torch.float32)
            output["advantages"] = per_token_advantages(
                output["advantages"], credits, output["completion_ids"].shape[1],
                self.reward_scale(rewards))
        return output

    def reward_scale(self, rewards: torch.Tensor) -> torch.Tensor | None:
        """The divisor of Delta: the standard deviation of the step's rewards (every process),
        floored at min_scale, so that lambda * Delta is in units comparable to GRPO's
        normalised advantage without blowing up when a batch's rewards are all equal.
        (The group's own std, which GRPO uses, is often 0 for G = 4.)"""
        settings = self.lemon_rollout.config.counterfactual
        if not settings.normalize:
            return None
        every = self.accelerator.gather(rewards.to(self.accelerator.device))
        std = nanstd(every).clamp(min=settings.min_scale)
        return std.expand_as(rewards)

    def _save_checkpoint(self, model, trial):
        super()._save_checkpoint(model, trial)
        if self.args.should_save:
            folder = os.path.join(self._get_output_dir(trial=trial),
                                  f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}")
            with open(os.path.join(folder, STATE_FILE), "w") as handle:
                json.dump(self.lemon_rollout.state_dict(), handle, indent=1)

    def _load_optimizer_and_scheduler(self, checkpoint):
        super()._load_optimizer_and_scheduler(checkpoint)
        path = os.path.join(checkpoint, STATE_FILE) if checkpoint else None
        if path and os.path.exists(path):
            with open(path) as handle:
                self.lemon_rollout.load_state_dict(json.load(handle))


def grpo_args(config: Config, reward_weights: list[float]) -> GRPOConfig:
    """TRL's GRPOConfig from ours; the [trl] table overrides or adds anything."""
    train, sampling = config.train, config.sampling
    on_cpu = not torch.cuda.is_available()
    args = {
        "output_dir": train.output_dir, "max_steps": train.max_steps,
        "learning_rate": train.learning_rate,
        "per_device_train_batch_size": train.tasks_per_step * sampling.num_generations,
        "gradient_accumulation_steps": 1, "num_generations": sampling.num_generations,
        "temperature": sampling.temperature, "top_p": sampling.top_p,
        "save_strategy": "steps", "save_steps": train.save_steps,
        "logging_steps": train.logging_steps, "seed": train.seed, "data_seed": train.seed,
        "reward_weights": reward_weights, "report_to": _reporters(), "disable_tqdm": True,
        "use_cpu": on_cpu, "bf16": False, "gradient_checkpointing": False,
        "remove_unused_columns": False,
    }
    return GRPOConfig(**{**args, **config.trl})


def _reporters() -> list[str]:
    import importlib.util

    return ["tensorboard"] if importlib.util.find_spec("tensorboard") else []
