"""`lemonc generate`: the orchestrator writes teams for a task; each is saved as a .lemon
file and checked, and with --run executed. Exit 0 when every sample passes the checks,
1 when one does not, 2 on bad options. Results go to stdout; where it is (loading the
model, sampling with its rate, checking, running) to stderr (lemonspec.display)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

FAMILIES = ("math", "mmlu", "code")
from lemonspec.errors import EXIT_INVALID, EXIT_RUN
from lemonspec.errors import fail as _fail


@click.command()
@click.option("--task", help="The task, as text.")
@click.option("--dataset", help="Take the task from this benchmark (gsm8k, svamp, multiarith, "
                                "aqua, mmlu, humaneval).")
@click.option("--index", type=click.IntRange(min=0), default=0, show_default=True,
              help="The item of --dataset.")
@click.option("--split", default="test", show_default=True)
@click.option("--family", type=click.Choice(FAMILIES),
              help="The role pool for --task (default: every standard role).")
@click.option("--model", default="local", show_default=True,
              help="`local` (the embedded SmolLM2), a model or LoRA adapter folder, or a "
                   "LiteLLM model string (hosted_vllm/... decodes under the grammar).")
@click.option("--samples", "-n", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--temperature", type=click.FloatRange(min=0), default=0.7, show_default=True)
@click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=0.95,
              show_default=True)
@click.option("--max-new-tokens", type=click.IntRange(min=1),
              help="The token budget of a sample (default: enough for any team in scope).")
@click.option("--unconstrained", is_flag=True, help="Decode without the grammar.")
@click.option("--unbound", is_flag=True,
              help="Let references name any agent (no scope binding while decoding).")
@click.option("--out", type=click.Path(file_okay=False), default="generated", show_default=True,
              help="Where the .lemon files go.")
@click.option("--run", "execute", is_flag=True, help="Also run each valid team on the task.")
@click.option("--profile", help="The runtime profile for --run (default: embedded).")
def generate(task, dataset, index, split, family, model, samples, seed, temperature, top_p,
             max_new_tokens, unconstrained, unbound, out, execute, profile):
    """Write teams for a task (--task TEXT, or --dataset NAME --index I) and check them."""
    from lemonspec.orchestrator.scope import Scope

    item = _item(task, dataset, index, split)
    task_text = item.prompt if item else task
    family = _family(dataset) if dataset else family
    scope = Scope.for_family(family, bind_agents=not unbound)
    options = {"num_samples": samples, "temperature": temperature, "top_p": top_p,
               "scope": scope, "seed": seed}
    from lemonspec.display import Stages

    with Stages() as shown:
        texts, constrained = _generate(model, task_text, family, not unconstrained,
                                       max_new_tokens, options, shown)
        stem = f"{dataset}-{index}" if dataset else "task"
        valid = _report(texts, Path(out), stem, seed, constrained, execute, item, task_text,
                        profile, shown)
    sys.exit(0 if valid == len(texts) else EXIT_INVALID)


def _item(task, dataset, index, split):
    if (task is None) == (dataset is None):
        _fail("give the task with --task TEXT or --dataset NAME --index I")
    if dataset is None:
        return None
    from lemonspec.benchmarks.datasets import load
    from lemonspec.benchmarks.errors import Error

    try:
        items = load(dataset, split)
    except Error as exc:
        _fail(str(exc))
    if index >= len(items):
        _fail(f"{dataset} {split} has {len(items)} items; --index {index} is past the end")
    return items[index]


def _family(dataset: str) -> str | None:
    from lemonspec.orchestrator.prompt import family_of

    return family_of(dataset)


def _generate(model, task_text, family, constrained, max_new_tokens, options,
              shown) -> tuple[list[str], bool]:
    """The samples' texts, and whether they were decoded under the grammar."""
    from lemonspec.orchestrator.models import is_local, load_orchestrator
    from lemonspec.orchestrator.prompt import orchestrator_prompt

    prompt = orchestrator_prompt(task_text, family=family)
    if is_local(model):
        from lemonspec.cli import EMBEDDED
        from lemonspec.errors import require_extra

        require_extra(EMBEDDED[0], *EMBEDDED[1])
        from lemonspec.orchestrator.decoding import sample_specs

        shown.stage(f"loading the orchestrator model ({model})")
        network, tokenizer = load_orchestrator(model)
        shown.stage(f"sampling {options['num_samples']} team(s)")
        found = sample_specs(network, tokenizer, [prompt], constrained=constrained,
                             max_new_tokens=max_new_tokens, on_progress=shown.sampling,
                             **options)
        return [s.text for s in found], constrained
    from lemonspec.orchestrator.remote import accepts_grammar, sample_remote
    from lemonspec.runtime.preflight import model_problem

    problem = model_problem(model)
    if problem:
        _fail(problem, hint="or give --model local, or a model or adapter folder")
    constrained = constrained and accepts_grammar(model)
    shown.stage(f"sampling {options['num_samples']} team(s) from {model}")
    try:
        found = sample_remote(model, [prompt], constrained=constrained,
                              max_tokens=max_new_tokens, on_progress=shown.sampling, **options)
    except Exception as exc:  # noqa: BLE001 - any provider error has the same way out
        _fail(f"the orchestrator {model} failed: {type(exc).__name__}: {exc}", EXIT_RUN,
              hint="check that its server is up and reachable, then rerun")
    return [s.text for s in found], constrained


def _report(texts, out: Path, stem, seed, constrained, execute, item, task_text,
            profile, shown) -> int:
    from lemonspec.compiler.diagnostics import render_concise
    from lemonspec.orchestrator.validity import check_spec, spec_text

    out.mkdir(parents=True, exist_ok=True)
    valid = 0
    for number, text in enumerate(texts):
        path = out / f"{stem}-s{seed}-{number}.lemon"
        spec = text if constrained else spec_text(text)
        path.write_text(spec, encoding="utf-8")
        shown.stage(f"checking team {number + 1}/{len(texts)}")
        check = check_spec(spec, path=str(path))
        verdict = "ok" if check.ok else "invalid" if check.parses else "does not parse"
        shown.echo(f"{path}: {verdict}")
        shown.echo(render_concise(check.diagnostics), nl=False)
        valid += check.ok
        if execute and check.ok:
            shown.stage(f"running team {number + 1}/{len(texts)}")
            shown.echo(_run(spec, str(path), item, task_text, profile))
    return valid


def _run(spec: str, path: str, item, task_text: str, profile) -> str:
    """Runs a written team; the line that tells how it did."""
    import asyncio

    from lemonspec.compiler import compile_text
    from lemonspec.runtime import load_profile

    chosen = load_profile(profile)
    ir = compile_text(spec, path, levels=chosen.levels, default_level=chosen.default_level)
    if item is None:
        from lemonspec.runtime import run_team_sync

        result = run_team_sync(ir, task_text, profile=chosen)
        return f"  answer: {result.answer!r}"
    from lemonspec.benchmarks.bench import run_item

    line = asyncio.run(run_item(item, ir, chosen, asyncio.Semaphore(chosen.concurrency)))
    return (f"  answer: {line['answer']!r}  gold: {line['gold']!r}  "
            f"correct: {'yes' if line['correct'] else 'no'}")
