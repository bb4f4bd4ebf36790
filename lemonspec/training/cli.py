"""`lemonc train`: GRPO with the counterfactual signal, and `lemonc train sft`, the warm start.

    lemonc train --config examples/training/simulator.toml
    lemonc train --config examples/training/simulator.toml --resume
    lemonc train sft --config examples/training/sft_smoke.toml

A bad configuration exits 2 with the key that is wrong; --resume without a checkpoint too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from lemonspec.errors import EXIT_USAGE

UNCONSTRAINED_TOKENS = 512  # the budget of an unconstrained sample in the validity check


def _load(path: str, output_dir: str | None, max_steps: int | None):
    from lemonspec.training.config import ConfigError, load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    train = {k: v for k, v in (("output_dir", output_dir), ("max_steps", max_steps)) if v}
    return config.evolve(train=train) if train else config


@click.group(invoke_without_command=True)
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="The training configuration (TOML; see examples/training/).")
@click.option("--resume", is_flag=True,
              help="Continue exactly where the last checkpoint in the output folder stopped.")
@click.option("--output-dir", help="Override [train].output_dir.")
@click.option("--max-steps", type=click.IntRange(min=1), help="Override [train].max_steps.")
@click.pass_context
def train(ctx, config_path, resume, output_dir, max_steps):
    """Train the orchestrator: GRPO (TRL) with the localized counterfactual signal.

    Writes metrics.jsonl, checkpoints (adapter or weights, optimizer, trainer and sampler
    state) every [train].save_steps steps, and TensorBoard logs if it is installed."""
    if ctx.invoked_subcommand is not None:
        return
    if config_path is None:
        raise click.UsageError("give --config FILE.toml (or a subcommand: sft)")
    from lemonspec.training.session import train as run_training

    config = _load(config_path, output_dir, max_steps)
    try:
        session = run_training(config, resume=resume, progress=True)
    except FileNotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    _summary(session)


def _summary(session) -> None:
    state, stats = session.trainer.state, session.rollout.stats
    rewards = [log["reward"] for log in state.log_history if "reward" in log]
    tail = rewards[-max(1, len(rewards) // 10):]
    click.echo(f"steps: {state.global_step}   final reward (last {len(tail)} steps): "
               f"{sum(tail) / len(tail):.3f}" if tail else f"steps: {state.global_step}")
    extra = stats.counterfactual.calls / stats.original.calls if stats.original.calls else 0
    click.echo(f"worker calls: {stats.calls} ({stats.original.calls} for samples, "
               f"{stats.counterfactual.calls} for counterfactuals: +{extra:.1%})")
    click.echo(f"metrics: {Path(session.config.train.output_dir) / 'metrics.jsonl'}")


@train.command()
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              required=True, help="The configuration; [sft] holds the warm start's settings.")
@click.option("--skip-eval", is_flag=True, help="Do not measure spec validity.")
def sft(config_path, skip_eval):
    """Warm-start the orchestrator on teams synthesized from the baselines' templates (TRL
    SFTTrainer), measuring the share of valid specs before and after, with and without
    constrained decoding."""
    from lemonspec.training.sft import train_sft

    config = _load(config_path, None, None)
    before = None if skip_eval else _validity(config, None)
    _, model, tokenizer = train_sft(config, progress=True)
    click.echo(f"saved: {config.sft.output_dir}")
    if before is not None:
        after = _validity(config, (model, tokenizer))
        _print_validity(config, before, after)


def _validity(config, loaded):
    from lemonspec.training.models import load_orchestrator
    from lemonspec.training.session import workers
    from lemonspec.training.sft import validity
    from lemonspec.training.tasks import load_tasks

    model, tokenizer = loaded or load_orchestrator(config.model)
    _, sim = workers(config)
    prompts = [t.prompt for t in load_tasks(config, sim)[:config.sft.eval_prompts]]
    return {constrained: validity(model, tokenizer, prompts, config, constrained=constrained,
                                  max_new_tokens=UNCONSTRAINED_TOKENS, seed=config.sft.seed)
            for constrained in (False, True)}


def _print_validity(config, before, after) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="valid specs (the checker accepts them)")
    for column in ("decoding", "before warm start", "after warm start"):
        table.add_column(column)
    record = {}
    for constrained in (False, True):
        name = "constrained" if constrained else "unconstrained"
        b, a = before[constrained], after[constrained]
        table.add_row(name, f"{b.valid}/{b.samples} ({b.rate:.0%})",
                      f"{a.valid}/{a.samples} ({a.rate:.0%})")
        record[name] = {"before": b.rate, "after": a.rate, "samples": b.samples,
                        "errors_before": list(b.errors), "errors_after": list(a.errors)}
    Console().print(table)
    path = Path(config.sft.output_dir) / "validity.json"
    path.write_text(json.dumps(record, indent=1))
    click.echo(f"validity: {path}")
