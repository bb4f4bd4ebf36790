"""The optional supervised warm start (`lemonc train sft`), and the validity measurement that
says whether it is needed.

The paper warm-starts the orchestrator on valid specs written by a stronger teacher. Here the
teacher is the baselines' templates (chain, tree, complete, random DAGs over the benchmark's
role pool: lemonspec/benchmarks/baselines.py) with random sizes and capacities, written in
the exact layout of the generation grammar (so a warm-started model and the constrained
sampler agree on every character). Training is TRL's SFTTrainer on prompt-completion pairs
(the orchestrator prompt of a training task -> one synthesized team), loss on the completion.

`validity` samples specs with and without the grammar and reports the share the checker
accepts: with constrained decoding it is 1 by construction, which is why the warm start
should be unnecessary; `lemonc train sft` measures it before and after.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import attrs

from lemonspec.compiler import check_text
from lemonspec.compiler.strings import encode_short
from lemonspec.grammar.layout import INDENT
from lemonspec.grammar.variants import agent_names
from lemonspec.training.config import Config
from lemonspec.training.tasks import Task

TEMPLATES = ("chain", "tree", "complete", "random")
DEFAULT_BENCHMARK = "gsm8k"  # whose templates a non-benchmark dataset (the simulator) uses


@attrs.frozen
class Example:
    prompt: str
    completion: str


def synthesize(tasks: Sequence[Task], config: Config, count: int, seed: int) -> list[Example]:
    """`count` (task prompt, team) pairs, cycling over the tasks."""
    rng = random.Random(seed)
    return [Example(tasks[i % len(tasks)].prompt, synthesized_team(config, rng))
            for i in range(count)]


def synthesized_team(config: Config, rng: random.Random) -> str:
    from lemonspec.benchmarks.baselines import TASKS, baseline, random_team

    s = config.sampling
    benchmark = config.data.dataset if config.data.dataset in TASKS else DEFAULT_BENCHMARK
    template = rng.choice(TEMPLATES)
    if template == "random":
        team = random_team(benchmark, agents=rng.randint(1, s.max_agents),
                           seed=rng.randrange(2**31))
    else:
        team = baseline(template, benchmark)
    agents = team.agents[-s.max_agents:]  # keep the answering agent (the last)
    kept = {a.name for a in agents}
    names = dict(zip((a.name for a in agents), agent_names(len(agents))))  # as the grammar does
    return generation_text(
        name="lemon"[:s.max_name_chars],
        goal=_fit(team.goal, s.max_string_chars),
        agents=[(names[a.name], a.role, _fit(a.duty, s.max_string_chars),
                 rng.choice(s.levels), [names[d] for d in a.after if d in kept])
                for a in agents],
        output=names[agents[-1].name])


def _fit(duty: str | None, limit: int) -> str | None:
    """A duty as the generation grammar admits it: one-line ASCII words, within the limit."""
    if duty is None:
        return None
    words = " ".join(duty.encode("ascii", "ignore").decode().split())
    return words[:limit].rstrip() or None


def generation_text(*, name: str, goal: str | None, agents, output: str) -> str:
    """A team in the generation grammar's layout: fields in the order duty, capacity, after,
    `after` lists in declaration order, one-line strings. agents: (name, role, duty, level,
    after) tuples, in declaration order."""
    order = {agent[0]: i for i, agent in enumerate(agents)}
    items = [f"goal: {encode_short(goal)}"] if goal else []
    for agent_name, role, duty, level, after in agents:
        fields = [f"duty: {encode_short(duty)}"] if duty else []
        fields.append(f"capacity: {level}")
        if after:
            fields.append(f"after: {', '.join(sorted(after, key=order.get))}")
        body = "".join(f"\n{INDENT * 2}{f}" for f in fields)
        items.append(f"agent {agent_name}: {role} {{{body}\n{INDENT}}}")
    items.append(f"output: {output}")
    return f"team {name} {{\n{INDENT}" + f"\n\n{INDENT}".join(items) + "\n}\n"


# ---- measuring validity ----------------------------------------------------------------------

@attrs.frozen
class Validity:
    constrained: bool
    samples: int
    valid: int
    mean_tokens: float
    errors: tuple[str, ...]  # the first checker error of each invalid sample

    @property
    def rate(self) -> float:
        return self.valid / self.samples if self.samples else 0.0


def validity(model, tokenizer, prompts: Sequence[str], config: Config, *, constrained: bool,
             max_new_tokens: int, seed: int = 0) -> Validity:
    """Sample one spec per prompt and count those the checker accepts."""
    from lemonspec.orchestrator.decoding import sample_specs
    from lemonspec.training.rollout import make_scope

    samples = sample_specs(model, tokenizer, list(prompts), num_samples=1,
                           temperature=config.sampling.temperature, top_p=config.sampling.top_p,
                           max_new_tokens=None if constrained else max_new_tokens,
                           constrained=constrained, scope=make_scope(config), seed=seed)
    results = [check_text(s.text, levels=config.sampling.levels) for s in samples]
    errors = tuple(_first_error(r) for r in results if not r.ok)
    return Validity(constrained, len(samples), sum(r.ok for r in results),
                    sum(len(s.token_ids) for s in samples) / max(1, len(samples)), errors)


def _first_error(result) -> str:
    error = result.errors[0]
    message = " ".join(error.message.split())
    return f"{error.code}: {message[:100]}"


# ---- training ------------------------------------------------------------------------------

def sft_dataset(examples: Sequence[Example]):
    from datasets import Dataset

    return Dataset.from_dict({
        "prompt": [[{"role": "user", "content": e.prompt}] for e in examples],
        "completion": [[{"role": "assistant", "content": e.completion}] for e in examples],
    })


def train_sft(config: Config, *, progress: bool = False):
    """Warm-start the orchestrator; returns (trainer, model, tokenizer). The adapter (LoRA)
    or the full weights are saved in [sft].output_dir, for [model].init_adapter."""
    from trl import SFTConfig, SFTTrainer

    from lemonspec.training.models import load_orchestrator, lora_config
    from lemonspec.training.session import workers
    from lemonspec.training.tasks import load_tasks

    settings = config.sft
    model, tokenizer = load_orchestrator(attrs.evolve(config.model, init_adapter=None))
    _, sim = workers(config)
    examples = synthesize(load_tasks(config, sim), config, settings.examples, settings.seed)
    args = SFTConfig(
        output_dir=settings.output_dir, max_steps=settings.max_steps,
        learning_rate=settings.learning_rate, per_device_train_batch_size=settings.batch_size,
        logging_steps=1, save_strategy="no", seed=settings.seed, report_to=[],
        disable_tqdm=not progress, use_cpu=not _cuda(), bf16=False,
        gradient_checkpointing=False, max_length=None,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=sft_dataset(examples),
                         processing_class=tokenizer,
                         peft_config=None if hasattr(model, "peft_config")
                         else lora_config(config.model))
    trainer.train()
    trainer.save_model(settings.output_dir)
    return trainer, trainer.model, tokenizer


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
