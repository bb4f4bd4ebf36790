"""The trainer evaluates itself: an [eval] table makes `lemonc train` run the orchestrated
evaluation (benchmarks/orchestrated.py) of the policy it is training.

    [eval]
    every = 20      # steps between evaluations; 0: only at the end
    items = 16      # held-out items (tasks.held_out_items: never a training item)

When: after every `every`-th optimizer step, and after the last step (also when the
worker-call budget stops the run early). What: the policy as it is in memory (no save),
wrapped as the evaluation's LocalWriter, writes one team per held-out item, greedy and
under the training grammar and scope, and the evaluation checks, runs and judges it on the
training workers. On the simulator the draws use one fixed sample key, so two evaluations
differ only by the policy. Where: the main process evaluates every item; the others wait
for its metrics (broadcast), so that all of them save the best policy together.

Logged, at the step's number, through the trainer's log callbacks (metrics.jsonl, and
TensorBoard when installed): eval/accuracy, eval/reward (the training reward of each
item's team, averaged), eval/valid, eval/tokens_per_query/orchestrator and /workers,
eval/agents, eval/edges, eval/seconds. The best policy by eval/<best_by> (the first to reach the
maximum) is saved to output_dir/best/, and best_eval.json says which step it is. At the
end, training_curves.png draws the training reward and the eval accuracy.
Tests: tests/training/test_evaluation.py.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from lemonspec.training.config import Config
from lemonspec.training.rewards import INVALID, counted_parts

BEST_DIR = "best"
BEST_FILE = "best_eval.json"
CURVES_FILE = "training_curves.png"
EVAL_SAMPLE_KEY = "eval"  # the simulator's draws for every evaluation (common random numbers)


def eval_metrics(records: Sequence[Mapping[str, Any]], config: Config) -> dict[str, float]:
    """The logged figures of one evaluation, from its records (one per item)."""
    n = len(records)
    valid = [r for r in records if r["valid"]]

    def reward(record: Mapping[str, Any]) -> float:
        if not record["valid"]:
            return INVALID.total(config.reward)
        return counted_parts(record["correct"], record["worker_tokens"] or 0,
                             round(record["agents"]), round(record["edges"]),
                             config.reward).total(config.reward)

    metrics = {
        "eval/accuracy": sum(bool(r["correct"]) for r in records) / n,
        "eval/reward": sum(reward(r) for r in records) / n,
        "eval/valid": len(valid) / n,
        "eval/tokens_per_query/orchestrator":
            sum(r["orchestrator_tokens"] or 0 for r in records) / n,
        "eval/tokens_per_query/workers": sum(r["worker_tokens"] or 0 for r in records) / n,
        "eval/items": float(n),
    }
    if valid:
        metrics["eval/agents"] = sum(r["agents"] for r in valid) / len(valid)
        metrics["eval/edges"] = sum(r["edges"] for r in valid) / len(valid)
    return metrics


class OrchestratedEval(TrainerCallback):
    """The [eval] table at work (see the module docstring). `trainer` is set by session.build
    once the trainer exists: the callback logs and saves through it."""

    def __init__(self, config: Config, items: Sequence[Any], profile: Any, tokenizer: Any,
                 resume_step: int = 0):
        from lemonspec.training.rollout import make_scope
        from lemonspec.training.tasks import task_family

        self.config, self.items, self.profile, self.tokenizer = config, items, profile, tokenizer
        self.scope, self.family = make_scope(config), task_family(config)
        self.trainer: Any = None
        self.folder = Path(config.train.output_dir)
        self.metric = f"eval/{config.eval.best_by}"
        self.best: dict[str, Any] | None = None
        self.last_step = -1
        best_file = self.folder / BEST_FILE
        if resume_step and best_file.is_file():
            best = json.loads(best_file.read_text())
            if best.get("step", 0) <= resume_step:
                self.best = best

    # ---- when ---------------------------------------------------------------------------

    def on_train_begin(self, args, state, control, **kwargs):
        if self.best is None and state.is_world_process_zero:  # a fresh run: no stale best
            (self.folder / BEST_FILE).unlink(missing_ok=True)
            shutil.rmtree(self.folder / BEST_DIR, ignore_errors=True)

    def on_step_end(self, args, state, control, **kwargs):
        every = self.config.eval.every
        due = bool(every) and state.global_step % every == 0
        if due or state.global_step >= state.max_steps or control.should_training_stop:
            self.run(args, state, control)
        return control

    def on_train_end(self, args, state, control, **kwargs):
        if self.last_step != state.global_step:  # stopped another way: evaluate what it is
            self.run(args, state, control)
        if state.is_world_process_zero:
            draw_curves(self.folder)

    # ---- what ---------------------------------------------------------------------------

    def run(self, args, state, control) -> dict[str, float]:
        trainer = self.trainer
        self.last_step = state.global_step
        metrics = self.evaluate(trainer.accelerator.unwrap_model(trainer.model)) \
            if state.is_world_process_zero else {}
        if trainer.accelerator.num_processes > 1:
            from accelerate.utils import broadcast_object_list

            metrics = broadcast_object_list([metrics], from_process=0)[0]
        # As Trainer.log records a line, without TRL's merge of its pending train metrics.
        state.log_history.append({**metrics, "step": state.global_step})
        should_log = control.should_log  # the handler clears it: keep the step's own log
        trainer.callback_handler.on_log(args, state, control, metrics)
        control.should_log = should_log
        value = metrics[self.metric]
        if self.best is None or value > self.best["value"]:
            self.best = {"metric": self.metric, "value": value, "step": state.global_step,
                         "folder": BEST_DIR}
            trainer.save_model(str(self.folder / BEST_DIR))  # every process: DeepSpeed gathers
            state.best_metric = value
            if state.is_world_process_zero:
                (self.folder / BEST_FILE).write_text(json.dumps(self.best, indent=1) + "\n")
        return metrics

    def evaluate(self, model) -> dict[str, float]:
        """The orchestrated evaluation of `model` as it is now, on the held-out items."""
        from lemonspec.benchmarks.orchestrated import Decoding, LocalWriter, evaluate
        from lemonspec.training import simulator

        s = self.config.sampling
        decoding = Decoding(temperature=0.0 if self.config.eval.greedy else s.temperature,
                            top_p=s.top_p, constrained=s.constrained,
                            max_new_tokens=s.max_new_tokens)
        writer = LocalWriter(model, self.tokenizer, "policy", {"policy": "in memory"}, decoding)
        token = simulator.SAMPLE_KEY.set(EVAL_SAMPLE_KEY)  # asyncio.run copies this context
        started = time.perf_counter()
        try:
            records = evaluate(writer, self.items, self.profile, family=self.family,
                               seed=self.config.train.seed, scope=self.scope,
                               concurrency=self.config.workers.concurrency)
        finally:
            simulator.SAMPLE_KEY.reset(token)
        return {**eval_metrics(records, self.config),
                "eval/seconds": round(time.perf_counter() - started, 3)}


def draw_curves(folder: Path) -> Path | None:
    """training_curves.png: the training reward per step and the eval accuracy, one axis."""
    from lemonspec.training.callbacks import METRICS_FILE

    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        print(f"no {CURVES_FILE}: matplotlib is not installed (pip install 'lemonspec[bench]')")
        return None
    lines = [json.loads(line) for line in (folder / METRICS_FILE).read_text().splitlines()
             if line.strip()]
    train = [(r["step"], r["reward"]) for r in lines if r.get("reward") is not None]
    evals = [(r["step"], r["eval/accuracy"]) for r in lines if "eval/accuracy" in r]
    figure = Figure(figsize=(7, 4))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if train:
        axes.plot(*zip(*train, strict=True), label="training reward", alpha=0.7)
    if evals:
        axes.plot(*zip(*evals, strict=True), marker="o", label="eval accuracy (held out)")
    axes.set_xlabel("step")
    axes.legend(loc="best")
    axes.grid(alpha=0.3)
    path = folder / CURVES_FILE
    figure.savefig(path, dpi=100, bbox_inches="tight")
    return path
