"""Orchestration-level GRPO on TRL, with the localized counterfactual term.

`LemonGRPOTrainer` is a `trl.GRPOTrainer` whose generation is `LemonRollout` (TRL's
`rollout_func`) and which changes one thing: after TRL has computed GRPO's advantages (one
per sample, shape (B,)), it adds each sample's per-token credit (lambda * Delta on the tokens
of the edited span, 0 elsewhere), giving per-token advantages of shape (B, T) that TRL's loss
accepts. Delta is divided by the standard deviation of the step's rewards (floored), as
GRPO divides reward differences by a standard deviation, so lambda weighs like with like. Everything else (loss, clipping, KL, optimizer, accelerate/DeepSpeed, logging,
checkpoints) is TRL's. With the counterfactual off the advantages stay TRL's (B,) tensor.

Checkpoints are staged and renamed when complete (see _save_checkpoint). They hold, besides
TRL's adapter/optimizer/scheduler/trainer state/RNG states, the rollout's state (family
sampler, worker spend) in `lemon_state.json`; resuming restores it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import warnings
from collections.abc import Sequence

import torch
import trl
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints
from trl import GRPOConfig, GRPOTrainer
from trl.trainer.utils import nanstd

from lemonspec.environment import configure
from lemonspec.orchestrator.scope import save_scope
from lemonspec.training.config import Config, ConfigError
from lemonspec.training.rollout import CREDIT_FIELD, REWARD_FIELD, LemonRollout

STATE_FILE = "lemon_state.json"
STAGING_DIR = ".saving"  # run_dir/.saving/checkpoint-N: a checkpoint being written
# The files a complete checkpoint has: TRL's trainer state (written last by transformers)
# and ours (written after it). A folder without them was left by a save that died.
COMPLETE_FILES = ("trainer_state.json", STATE_FILE)
# A test hook, off unless set: "STEP:POINT" SIGKILLs this process at that point of the
# step-STEP checkpoint save (points: KILL_POINTS), to prove a save that dies loses nothing.
TEST_KILL_DURING_SAVE = "LEMONSPEC_TEST_KILL_DURING_SAVE"
KILL_POINTS = ("model", "optimizer", "rng", "trainer_state", "lemon_state", "renamed")
# The TRL release whose private `_use_triton` the CPU speed-up below replaces; on another
# release the patch is skipped (correct, only slower) rather than guessed.
PATCHED_FOR_TRL = "1.16."


@contextlib.contextmanager
def quiet_trl():
    """Silence, for the duration only, warnings that say nothing to our users: TRL's
    "rollout_func is experimental" and transformers 5's deprecation of the
    `gradient_checkpointing` names TRL still uses. Nothing process-wide."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*'rollout_func'.* experimental",
                                category=UserWarning)
        warnings.filterwarnings("ignore", message=".*gradient_checkpointing.* is deprecated",
                                category=FutureWarning)
        yield


def _score_completions_only_on_cpu() -> None:
    """TRL 1.16's fused LM head (trl/trainer/utils.py, add_fused_lm_head) projects only the
    completion positions when `_use_triton(device)`, and every position, prompt included,
    elsewhere (to spare Neuron recompilations). On a CPU, with a ~600-token orchestrator
    prompt and a ~60-token spec, that is ~10x the LM-head work of the loss. In that module
    the flag only chooses compaction (the kernels module has its own), so compact on CPUs."""
    import trl.trainer.utils as trl_utils

    original = getattr(trl_utils, "_use_triton", None)
    if (original is None or getattr(original, "lemon_patched", False)
            or not trl.__version__.startswith(PATCHED_FOR_TRL)):
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
        self._saving = False  # set while _save_checkpoint runs: see _get_output_dir
        configure()
        _score_completions_only_on_cpu()  # here, not at import: importing changes nothing
        with quiet_trl():
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

    # ---- checkpoints: written in a staging folder, renamed when complete ---------------------
    #
    # Every write of transformers' and TRL's _save_checkpoint goes to
    # os.path.join(self._get_output_dir(trial), "checkpoint-N"), so redirecting
    # _get_output_dir during the save puts the whole checkpoint (model, optimizer, scheduler,
    # RNG states, trainer state, TRL's extra files) in run_dir/.saving/checkpoint-N. Ours is
    # added last, the files are synced, and one rename publishes it: a `checkpoint-N` folder
    # is complete or absent, whenever the process dies (tests/training/test_checkpoints.py).

    def _get_output_dir(self, trial):
        run_dir = super()._get_output_dir(trial=trial)
        return os.path.join(run_dir, STAGING_DIR) if self._saving else run_dir

    def _save_checkpoint(self, model, trial):
        run_dir = self._get_output_dir(trial=trial)
        folder = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staged = os.path.join(run_dir, STAGING_DIR, folder)
        if self.args.should_save and os.path.isdir(staged):
            shutil.rmtree(staged)  # a save of this step that died half-way
        self._saving = True
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._saving = False
        kill_point("trainer_state", self.state.global_step)
        self.accelerator.wait_for_everyone()  # every process wrote its RNG state
        if not self.args.should_save:
            return
        with open(os.path.join(staged, STATE_FILE), "w") as handle:
            json.dump(self.lemon_rollout.state_dict(), handle, indent=1)
        kill_point("lemon_state", self.state.global_step)
        publish(staged, os.path.join(run_dir, folder))
        kill_point("renamed", self.state.global_step)
        best = self.state.best_model_checkpoint
        if best and os.path.dirname(best) == os.path.join(run_dir, STAGING_DIR):
            self.state.best_model_checkpoint = os.path.join(run_dir, os.path.basename(best))
        # The staged save rotated the staging folder; rotate the real one.
        rotate_checkpoints(output_dir=run_dir, save_total_limit=self.args.save_total_limit,
                           best_model_checkpoint=self.state.best_model_checkpoint,
                           use_mtime=False)

    def save_model(self, output_dir=None, _internal_call=False):
        super().save_model(output_dir, _internal_call)
        if self.args.should_save:  # every saved policy says where it learned to write
            save_scope(self.lemon_rollout.scope, output_dir or self.args.output_dir)
        if self._saving:
            kill_point("model", self.state.global_step)

    def _save_optimizer_and_scheduler(self, output_dir):
        super()._save_optimizer_and_scheduler(output_dir)
        kill_point("optimizer", self.state.global_step)

    def _save_rng_state(self, output_dir):
        super()._save_rng_state(output_dir)
        kill_point("rng", self.state.global_step)

    def _load_optimizer_and_scheduler(self, checkpoint):
        super()._load_optimizer_and_scheduler(checkpoint)
        path = os.path.join(checkpoint, STATE_FILE) if checkpoint else None
        if path and os.path.exists(path):
            with open(path) as handle:
                self.lemon_rollout.load_state_dict(json.load(handle))


def kill_point(point: str, step: int) -> None:
    """The test hook TEST_KILL_DURING_SAVE: die here, as kill -9 would, if asked to."""
    if os.environ.get(TEST_KILL_DURING_SAVE) == f"{step}:{point}":
        os.kill(os.getpid(), signal.SIGKILL)


def publish(staged: str, final: str) -> None:
    """Make a staged checkpoint durable, then visible under its final name in one rename."""
    for root, _, files in os.walk(staged):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
    if os.path.exists(final):  # left by a run that was resumed from an earlier step
        stale = final + ".stale"
        shutil.rmtree(stale, ignore_errors=True)
        os.rename(final, stale)
        shutil.rmtree(stale)
    os.rename(staged, final)
    with contextlib.suppress(OSError):  # other processes' files may still be in it
        os.rmdir(os.path.dirname(staged))
    _fsync_dir(os.path.dirname(final))


def _fsync_dir(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def complete_checkpoints(output_dir: str) -> list[str]:
    """The complete checkpoint folders of a run, newest (highest step) first."""
    if not os.path.isdir(output_dir):
        return []
    found = []
    for name in os.listdir(output_dir):
        prefix, _, step = name.rpartition("-")
        path = os.path.join(output_dir, name)
        if prefix == PREFIX_CHECKPOINT_DIR and step.isdigit() and os.path.isdir(path):
            found.append((int(step), path))
    return [path for _, path in sorted(found, reverse=True)
            if all(os.path.isfile(os.path.join(path, f)) for f in COMPLETE_FILES)]


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
    try:
        with quiet_trl():
            return GRPOConfig(**{**args, **config.trl})
    except (TypeError, ValueError) as exc:  # TRL's own checks of the combined arguments
        given = ", ".join(f"{k} = {v!r}" for k, v in config.trl.items()) or "nothing"
        raise ConfigError(f"trl.GRPOConfig refuses these settings ([trl] gives {given}): "
                          f"{' '.join(str(exc).split())}") from None


def _reporters() -> list[str]:
    import importlib.util

    return ["tensorboard"] if importlib.util.find_spec("tensorboard") else []
