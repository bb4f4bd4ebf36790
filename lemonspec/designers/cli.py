"""`lemonc design METHOD --dataset NAME --out DIR`: train or search a designer and save it.
Exit codes: 2 bad options, data or designer folder; 130 interrupted."""

from __future__ import annotations

import json

import click

from lemonspec.designers.base import METHODS
from lemonspec.errors import EXIT_INTERRUPTED
from lemonspec.errors import fail as _fail


def _settings(pairs) -> dict:
    """KEY=VALUE pairs; values are JSON (numbers, true/false) or else plain strings."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _fail(f"--set {pair!r}: write KEY=VALUE, e.g. --set iterations=4")
        try:
            settings[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            settings[key.strip()] = value
    return settings


@click.command()
@click.argument("method", type=click.Choice(sorted(METHODS)))
@click.option("--dataset", required=True, metavar="NAME",
              help="simulator, or a benchmark (gsm8k, svamp, multiarith, aqua, mmlu, "
                   "humaneval) to train on.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="The designer folder to write (manifest.json, params.json).")
@click.option("--split", default="train", show_default=True, help="The training split.")
@click.option("--limit", type=click.IntRange(min=1), help="Train on N tasks of the split.")
@click.option("--budget", type=click.IntRange(min=1), metavar="CALLS",
              help="Stop after this many worker calls (cache hits are free); what was "
                   "learned is saved. Default: the method's own schedule.")
@click.option("--seed", default=0, show_default=True)
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE",
              help="A method setting, e.g. --set iterations=4 (see docs/baselines.md).")
@click.option("--profile", help="The workers' profile (not with --dataset simulator).")
@click.option("--model", help="Run every capacity level on this LiteLLM model string.")
@click.option("--data", type=click.Path(), help="Where the benchmark's files are.")
def design(method, dataset, out, split, limit, budget, seed, pairs, profile, model, data):
    """Train or search a team designer (AgentPrune, AgentDropout, G-Designer, AFlow,
    ARG-Designer, OFA-MAS) on a training split and save it; evaluate it with
    `lemonc bench --designer DIR`."""
    from lemonspec.benchmarks.errors import Error
    from lemonspec.designers.design import train_designer

    workers = None
    if profile or model:
        from lemonspec.runtime import ProfileError, command_profile

        try:
            workers = command_profile(profile, model=model)
        except ProfileError as exc:
            _fail(str(exc))
    click.echo(f"{method} on {dataset}/{split}: training"
               + (f" within {budget} worker calls" if budget else ""), err=True)
    try:
        report = train_designer(method, dataset, out=out, split=split, limit=limit,
                                budget=budget, seed=seed, settings=_settings(pairs),
                                profile=workers, data=data)
    except Error as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; nothing was saved", EXIT_INTERRUPTED)
    rewards = [h["reward"] for h in report.trained.history if "reward" in h]
    click.echo(f"{report.method}: {len(report.trained.history)} steps on {report.tasks} tasks, "
               f"{report.calls} worker calls ({report.tokens:,} tokens, {report.runs} team "
               f"runs) in {report.seconds:.1f} s"
               + (f"; last step's reward {rewards[-1]:.2f}" if rewards else ""))
    if report.trained.exhausted:
        click.echo(f"the budget of {budget} worker calls ran out before the method's schedule "
                   f"ended; saved what it had learned", err=True)
    click.echo(f"saved {report.folder}; evaluate it with: lemonc bench --designer "
               f"{report.folder} --dataset {dataset}", err=True)
