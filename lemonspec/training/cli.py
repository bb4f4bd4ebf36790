"""`lemonc train`: GRPO with the counterfactual signal, and `lemonc train sft`, the warm start.

    lemonc train --config examples/training/simulator.toml
    lemonc train --config examples/training/simulator.toml --resume
    lemonc train sft --config examples/training/sft_simulator.toml

A bad configuration exits 2 naming the key, its value and what is allowed; so do a file for
the other command (its tables say which: [train] or [sft]) and --resume without a complete
checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from lemonspec.errors import EXIT_USAGE

UNCONSTRAINED_TOKENS = 512  # the budget of an unconstrained sample in the validity check


def _load(path: str, command: str, output_dir: str | None = None,
          max_steps: int | None = None):
    from lemonspec.training.config import load_config, require_command

    with _usage_errors():
        config = load_config(path)
        require_command(config, command, path)
    train = {k: v for k, v in (("output_dir", output_dir), ("max_steps", max_steps)) if v}
    return config.evolve(train=train) if train else config


@contextlib.contextmanager
def _usage_errors():
    """What the user can fix (the configuration, a missing checkpoint, adapter or data set):
    one line on stderr and exit 2, no traceback."""
    from lemonspec.benchmarks import Error as DataError
    from lemonspec.runtime.profiles import ProfileError
    from lemonspec.training.config import ConfigError

    try:
        yield
    except (ConfigError, ProfileError, DataError, FileNotFoundError) as exc:
        message = getattr(exc, "message", None) or str(exc)  # a DataError's hint is apart
        for line in message.splitlines():
            click.echo(f"error: {line}", err=True)
        if getattr(exc, "hint", None):
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(EXIT_USAGE)


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

    config = _load(config_path, "train", output_dir, max_steps)
    with _usage_errors():
        session = run_training(config, resume=resume, progress=True)
    _summary(session)


def _summary(session) -> None:
    if not session.trainer.accelerator.is_main_process:
        return  # with several processes, one summary (the ledger is shared: see rollout)
    state, stats = session.trainer.state, session.rollout.stats
    rewards = [log["reward"] for log in state.log_history if "reward" in log]
    tail = rewards[-max(1, len(rewards) // 10):]
    click.echo(f"steps: {state.global_step}   final reward (last {len(tail)} steps): "
               f"{sum(tail) / len(tail):.3f}" if tail else f"steps: {state.global_step}")
    extra = stats.counterfactual.calls / stats.original.calls if stats.original.calls else 0
    click.echo(f"worker calls: {stats.calls} ({stats.original.calls} for samples, "
               f"{stats.counterfactual.calls} for counterfactuals: +{extra:.1%})")
    click.echo(f"metrics: {Path(session.config.train.output_dir) / 'metrics.jsonl'}")
    evals = [log for log in state.log_history if "eval/accuracy" in log]
    if evals:
        from lemonspec.training.evaluation import BEST_DIR, BEST_FILE

        last, folder = evals[-1], Path(session.config.train.output_dir)
        best = json.loads((folder / BEST_FILE).read_text())
        click.echo(f"held-out eval (step {last['step']}): accuracy {last['eval/accuracy']:.1%}, "
                   f"valid {last['eval/valid']:.1%}; best {best['metric']} {best['value']:.3f} "
                   f"at step {best['step']}: {folder / BEST_DIR}")


@train.command()
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              required=True, help="The configuration; [sft] holds the warm start's settings.")
@click.option("--skip-eval", is_flag=True,
              help="Do not measure validity and reward before and after.")
def sft(config_path, skip_eval):
    """Warm-start the orchestrator (TRL SFTTrainer) on teams from [sft] source: "teacher" (a
    LiteLLM model writes them), "rejection" (the orchestrator's own best-rewarded samples)
    or "templates" (the baselines' template teams: the format only). Measures valid specs
    (with and without the grammar) and the mean reward on held-out items before and after."""
    from lemonspec.training.sft import warm_start

    config = _load(config_path, "train sft")
    with _usage_errors():
        result = warm_start(config, measure_models=not skip_eval, progress=True,
                            max_new_tokens=UNCONSTRAINED_TOKENS)
    data = result.collected
    click.echo(f"source: {data.source}: {len(data.examples)} teams for {data.kept_items} of "
               f"{data.items} items ({data.samples} written)")
    if data.rejected:
        click.echo("dropped: " + ", ".join(f"{why} {n}" for why, n in data.rejected.items()))
    if data.sampled_reward is not None:
        kept = f"{data.kept_reward:.3f}" if data.kept_reward is not None else "-"
        click.echo(f"samples: {data.sampled_valid:.0%} valid, mean reward "
                   f"{data.sampled_reward:.3f}; kept teams: mean reward {kept}")
    click.echo(f"saved: {config.sft.output_dir}")
    if result.before is not None:
        _print_measurements(result)
    click.echo(f"record: {Path(config.sft.output_dir) / 'warm_start.json'}")


def _print_measurements(result) -> None:
    from rich.table import Table

    from lemonspec.display import stdout_console

    where = "held-out items" if result.held_out else "training items (none held out)"
    table = Table(title=f"before and after the warm start, on {where}")
    for column in ("measure", "before", "after"):
        table.add_column(column)
    before, after = result.before, result.after
    for name, pick in (("valid, constrained", lambda m: m.constrained),
                       ("valid, unconstrained", lambda m: m.unconstrained)):
        b, a = pick(before), pick(after)
        table.add_row(name, f"{b.valid}/{b.samples} ({b.rate:.0%})",
                      f"{a.valid}/{a.samples} ({a.rate:.0%})")
    table.add_row("mean reward, constrained", f"{before.reward:.3f}", f"{after.reward:.3f}")
    stdout_console().print(table)
