"""Trainer callbacks: metrics as JSONL, a rich progress bar, and the worker-call budget."""

from __future__ import annotations

import json
import math
from pathlib import Path

from transformers import TrainerCallback

METRICS_FILE = "metrics.jsonl"
FAMILY_SHORT = {"drop_dependency": "drop", "remove_duty": "duty", "lower_capacity": "cap"}


def _clean(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


class JsonlMetrics(TrainerCallback):
    """One JSON line per logging step in output_dir/metrics.jsonl. On resume, lines past the
    checkpoint's step (written by the run that was killed) are dropped first."""

    def __init__(self, output_dir: str, resume_step: int = 0):
        self.path = Path(output_dir) / METRICS_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume_step and self.path.exists():
            kept = [line for line in self.path.read_text().splitlines()
                    if line and json.loads(line).get("step", 0) <= resume_step]
            self.path.write_text("".join(line + "\n" for line in kept))
        elif not resume_step:
            self.path.write_text("")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            record = {"step": state.global_step, **{k: _clean(v) for k, v in logs.items()}}
            with self.path.open("a") as handle:
                handle.write(json.dumps(record) + "\n")


class WorkerBudget(TrainerCallback):
    """Stops training once the workers were called `max_calls` times (originals and
    counterfactuals together), so arms can be compared at an equal worker-call budget."""

    def __init__(self, rollout, max_calls: int):
        self.rollout, self.max_calls = rollout, max_calls

    def on_step_end(self, args, state, control, **kwargs):
        if self.rollout.stats.calls >= self.max_calls:
            control.should_training_stop = True
        return control


class RichProgress(TrainerCallback):
    """A progress bar with the reward, the valid rate and the mean Delta of each family."""

    def __init__(self):
        self.progress = None
        self.task = None

    def on_train_begin(self, args, state, control, **kwargs):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        if not state.is_world_process_zero:
            return
        self.progress = Progress(TextColumn("train"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(),
                                 TextColumn("{task.fields[status]}"))
        self.progress.start()
        self.task = self.progress.add_task("train", total=state.max_steps,
                                           completed=state.global_step, status="")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.progress is None or not logs or "reward" not in logs:
            return
        parts = [f"R {logs['reward']:.3f}"]
        if "lemon/valid_rate" in logs:
            parts.append(f"valid {logs['lemon/valid_rate']:.0%}")
        for family, short in FAMILY_SHORT.items():
            delta = logs.get(f"counterfactual/delta/{family}")
            if delta is not None:
                parts.append(f"Δ{short} {delta:+.2f}")
        if "workers/total_calls" in logs:
            parts.append(f"calls {int(logs['workers/total_calls'])}")
        self.progress.update(self.task, completed=state.global_step, status="  ".join(parts))

    def on_step_end(self, args, state, control, **kwargs):
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step)

    def on_train_end(self, args, state, control, **kwargs):
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
