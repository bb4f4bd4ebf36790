"""The supervised warm start (`lemonc train sft`): where its teams come from, its training,
and the measurement before and after.

`[sft] source` says where the (training item prompt -> team) pairs come from:

    "teacher"     any LiteLLM model writes `samples` teams per training item (under the
                  generation grammar where its server takes one: orchestrator.sample_remote);
                  each reply is checked by the compiler, put in the generation layout, and
                  kept only if the constrained sampler could have written it (the scope's
                  grammar accepts it). The paper's warm start: "valid specs written by a
                  stronger teacher".
    "rejection"   the current orchestrator samples `samples` teams per item under the
                  grammar; each is run by the workers and rewarded exactly as in GRPO
                  (rollout.LemonRollout, no counterfactual); each item's best-rewarded valid
                  team is kept (at least `min_reward` if set). Knowledge from the reward.
    "templates"   the baselines' templates (chain, tree, complete, random DAG over the role
                  pool) with random sizes and capacities: the format, no knowledge of the task.

Every team is written in the exact layout of the generation grammar (so a warm-started model
and the constrained sampler agree on every character). Training is TRL's SFTTrainer on
prompt-completion pairs, loss on the completion. Before and after, the same held-out items
are sampled with and without the grammar: the share of valid specs, and (constrained) the
mean reward of the teams when run. Tests: tests/training/test_sft.py.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import attrs

from lemonspec.compiler import ast, check_text
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

# ---- teams from a teacher model -----------------------------------------------------------

@attrs.frozen
class Collected:
    """The warm start's data and how it was gathered."""

    source: str
    examples: tuple[Example, ...]
    items: int  # training items asked for teams
    samples: int  # teams written (or sampled) in all
    kept_items: int  # items that gave at least one kept team
    rejected: Mapping[str, int] = attrs.field(factory=dict)  # why teams were dropped: count
    sampled_valid: float | None = None  # rejection: share of valid samples
    sampled_reward: float | None = None  # rejection: mean reward of all samples
    kept_reward: float | None = None  # rejection: mean reward of the kept teams

    def to_dict(self) -> dict:
        record = attrs.asdict(self, filter=lambda field, _: field.name != "examples")
        record["examples"] = len(self.examples)
        return record


def teacher_examples(tasks: Sequence[Task], config: Config, fits, *,
                     default_level: str) -> Collected:
    """`samples` teams per item from the LiteLLM model `[sft] teacher`; the valid ones that
    fit the scope, in the generation layout, each distinct team of an item once."""
    from lemonspec.orchestrator import sample_remote, spec_text
    from lemonspec.orchestrator.remote import accepts_grammar
    from lemonspec.training.rollout import make_scope

    settings = config.sft
    scope = make_scope(config)
    constrained = accepts_grammar(settings.teacher)
    params = {"api_base": settings.teacher_api_base} if settings.teacher_api_base else {}
    try:
        replies = sample_remote(
            settings.teacher, [t.prompt for t in tasks], num_samples=settings.samples,
            temperature=settings.teacher_temperature, scope=scope, seed=settings.seed,
            # A free-writing teacher may explain itself around the team: room for that.
            max_tokens=None if constrained else max(2 * scope.max_tokens(), 1024), **params)
    except Exception as exc:  # noqa: BLE001 - LiteLLM raises many unrelated types; name it
        from lemonspec.training.config import ConfigError, show

        message = " ".join(str(exc).split())[:300]
        raise ConfigError(f"[sft] teacher = {show(settings.teacher)} failed: "
                          f"{type(exc).__name__}: {message}") from None
    rejected: dict[str, int] = {}
    kept: dict[int, list[str]] = {}
    for reply in replies:
        team, reason = teacher_team(spec_text(reply.text), config, fits,
                                    default_level=default_level)
        if team is None:
            rejected[reason] = rejected.get(reason, 0) + 1
        elif team in kept.setdefault(reply.prompt_index, []):
            rejected["duplicate"] = rejected.get("duplicate", 0) + 1
        else:
            kept[reply.prompt_index].append(team)
    examples = tuple(Example(tasks[i].prompt, team) for i, teams in sorted(kept.items())
                     for team in teams)
    return Collected("teacher", examples, len(tasks), len(replies),
                     sum(bool(teams) for teams in kept.values()), rejected)


def teacher_team(text: str, config: Config, fits, *,
                 default_level: str) -> tuple[str | None, str]:
    """(the team in the generation layout, "kept") or (None, why it was dropped)."""
    s = config.sampling
    checked = check_text(text, "<teacher>", levels=s.levels, default_level=default_level)
    if not checked.ok:
        return None, f"invalid: {checked.errors[0].code}"
    if len(checked.module.teams) != 1:
        return None, "not exactly one team"
    team = checked.module.teams[0]
    agents = [item for item in team.items if isinstance(item, ast.Agent)]
    output = next(item for item in team.items if isinstance(item, ast.OutputField))
    if not agents:
        return None, "no agent"
    if len(agents) > s.max_agents:
        return None, f"more than {s.max_agents} agents"
    if output.vote or len(output.agents) != 1:
        return None, "not one output agent"
    goal = next((item.value.value for item in team.items if isinstance(item, ast.GoalField)),
                None)
    # Agents are renamed by position, as the generation grammar names them (static binding).
    names = dict(zip((a.name.text for a in agents), agent_names(len(agents))))
    rows = []
    for agent in agents:
        fields = {type(f): f for f in agent.fields}
        duty = fields.get(ast.DutyField)
        capacity = fields.get(ast.CapacityField)
        after = fields.get(ast.AfterField)
        rows.append((names[agent.name.text], agent.base_role.text,
                     _fit(duty.value.value, s.max_string_chars) if duty else None,
                     capacity.level.text if capacity else default_level,
                     [names[n.text] for n in after.agents] if after else []))
    team_name = team.name.text if len(team.name.text) <= s.max_name_chars else \
        "lemon"[:s.max_name_chars]
    rendered = generation_text(name=team_name, goal=_fit(goal, s.max_string_chars),
                               agents=rows, output=names[output.agents[0].text])
    if not check_text(rendered, levels=s.levels, default_level=default_level).ok:
        return None, "invalid once shortened to the scope"
    if not fits(rendered):
        return None, "outside the sampling scope (roles, levels, sizes)"
    return rendered, "kept"


def scope_checker(tokenizer, config: Config):
    """text -> could the constrained sampler have written it? (the scope's grammar, run over
    the text's tokens as the sampler would)."""
    from lemonspec.orchestrator.constraint import GrammarConstraint, matcher_factory, vocabulary
    from lemonspec.training.rollout import make_scope

    factory = matcher_factory(vocabulary(tokenizer), make_scope(config))

    def fits(text: str) -> bool:
        constraint = GrammarConstraint(factory)
        try:
            for token in tokenizer.encode(text, add_special_tokens=False):
                constraint.consume(token)
        except RuntimeError:  # a token the grammar masks out
            return False
        return constraint.done
    return fits


# ---- teams by rejection sampling -----------------------------------------------------------

def rejection_examples(model, tokenizer, tasks: Sequence[Task], config: Config,
                       profile) -> Collected:
    """`samples` constrained teams per item from `model`, each run and rewarded as in GRPO;
    each item's best-rewarded valid team (ties: the first sampled)."""
    from lemonspec.training.rollout import LemonRollout, derived_seed

    settings = config.sft
    plain = config.evolve(counterfactual={"enabled": False})
    rollout = LemonRollout(plain, tasks, profile, tokenizer)
    was_training = model.training
    model.eval()
    examples, kept_rewards, rewards, valid, samples = [], [], [], 0, 0
    rejected: dict[str, int] = {}
    for index, task in enumerate(tasks):
        drawn = rollout.sample(model, [task.prompt] * settings.samples,
                               seed=derived_seed(settings.seed, "rejection", index))
        keys = [f"sft:{index}:{i}" for i in range(len(drawn))]
        outcomes = rollout.evaluate([task] * len(drawn), drawn, keys)
        samples += len(drawn)
        rewards += [o.reward for o in outcomes]
        scored = [(o.reward, -i) for i, o in enumerate(outcomes) if o.parts.valid]
        valid += len(scored)
        if not scored:
            rejected["no valid sample"] = rejected.get("no valid sample", 0) + 1
            continue
        reward, best = max(scored)
        if settings.min_reward is not None and reward < settings.min_reward:
            rejected["best below min_reward"] = rejected.get("best below min_reward", 0) + 1
            continue
        examples.append(Example(task.prompt, drawn[-best].text))
        kept_rewards.append(reward)
    model.train(was_training)
    return Collected("rejection", tuple(examples), len(tasks), samples, len(examples), rejected,
                     sampled_valid=valid / max(1, samples),
                     sampled_reward=sum(rewards) / max(1, len(rewards)),
                     kept_reward=sum(kept_rewards) / len(kept_rewards) if kept_rewards else None)


def collect(config: Config, tasks: Sequence[Task], model, tokenizer, profile) -> Collected:
    """The warm start's (prompt, team) pairs from [sft] source."""
    settings = config.sft
    if settings.source == "templates":
        examples = synthesize(tasks, config, settings.examples, settings.seed)
        return Collected("templates", tuple(examples), len(tasks), len(examples),
                         len({e.prompt for e in examples}))
    if settings.source == "teacher":
        return teacher_examples(tasks, config, scope_checker(tokenizer, config),
                                default_level=profile.default_level)
    return rejection_examples(model, tokenizer, tasks, config, profile)


# ---- measuring before and after ------------------------------------------------------------

@attrs.frozen
class Measured:
    """One model on the held-out items: validity with and without the grammar, and the mean
    reward of its constrained teams when run (as GRPO would reward them)."""

    constrained: Validity
    unconstrained: Validity
    reward: float

    def to_dict(self) -> dict:
        return {"valid_constrained": self.constrained.rate,
                "valid_unconstrained": self.unconstrained.rate,
                "mean_reward": self.reward, "samples": self.constrained.samples,
                "errors_unconstrained": list(self.unconstrained.errors)}


def measure(model, tokenizer, tasks: Sequence[Task], config: Config, profile, *,
            max_new_tokens: int) -> Measured:
    from lemonspec.training.rollout import LemonRollout, derived_seed

    prompts = [t.prompt for t in tasks]
    was_training = model.training
    model.eval()
    loose = validity(model, tokenizer, prompts, config, constrained=False,
                     max_new_tokens=max_new_tokens, seed=config.sft.seed)
    rollout = LemonRollout(config.evolve(counterfactual={"enabled": False}), tasks, profile,
                           tokenizer)
    drawn = rollout.sample(model, prompts, seed=derived_seed(config.sft.seed, "measure"))
    outcomes = rollout.evaluate(tasks, drawn, [f"eval:{i}" for i in range(len(drawn))])
    model.train(was_training)
    errors = tuple(o.error or "" for o in outcomes if not o.parts.valid)
    strict = Validity(True, len(drawn), sum(o.parts.valid for o in outcomes),
                      sum(len(s.token_ids) for s in drawn) / max(1, len(drawn)), errors)
    return Measured(strict, loose, sum(o.reward for o in outcomes) / max(1, len(outcomes)))


def split_items(tasks: Sequence[Task], config: Config) -> tuple[list[Task], list[Task]]:
    """(items the warm start's data comes from, held-out items it is measured on). Held-out
    items are the ones after the first `items` (or after all, when none are left: then the
    measurement is on training items, and says so)."""
    settings = config.sft
    count = settings.items or len(tasks)
    train, rest = list(tasks[:count]), list(tasks[count:])
    return train, (rest or list(tasks))[:settings.eval_prompts]


def sft_dataset(examples: Sequence[Example]):
    from datasets import Dataset

    return Dataset.from_dict({
        "prompt": [[{"role": "user", "content": e.prompt}] for e in examples],
        "completion": [[{"role": "assistant", "content": e.completion}] for e in examples],
    })


@attrs.frozen
class WarmStart:
    collected: Collected
    before: Measured | None
    after: Measured | None
    held_out: bool  # measured on items the data did not come from


def warm_start(config: Config, *, measure_models: bool = True, progress: bool = False,
               max_new_tokens: int = 512) -> WarmStart:
    """Collect the data from [sft] source, measure, train, measure again; saves the adapter
    or weights and warm_start.json (the data's statistics and both measurements) in
    [sft].output_dir."""
    import json
    from pathlib import Path

    from lemonspec.training.config import ConfigError
    from lemonspec.training.models import load_orchestrator
    from lemonspec.training.session import warn_of_overlap, workers
    from lemonspec.training.tasks import load_tasks

    settings = config.sft
    profile, sim = workers(config)
    tasks = load_tasks(config, sim)
    items, held_out = split_items(tasks, config)
    warn_of_overlap(config, [*items, *held_out])
    model, tokenizer = load_orchestrator(warm_start_model(config))
    before = measure(model, tokenizer, held_out, config, profile,
                     max_new_tokens=max_new_tokens) if measure_models else None
    collected = collect(config, items, model, tokenizer, profile)
    if not collected.examples:
        raise ConfigError(f"[sft] source = {settings.source!r} gave no team to train on "
                          f"({collected.samples} written for {collected.items} items; dropped: "
                          f"{dict(collected.rejected) or 'none'})")
    _, model, tokenizer = train_sft(config, collected.examples, model, tokenizer,
                                    progress=progress)
    after = measure(model, tokenizer, held_out, config, profile,
                    max_new_tokens=max_new_tokens) if measure_models else None
    result = WarmStart(collected, before, after, len(items) < len(tasks))
    record = {"source": settings.source, "data": collected.to_dict(),
              "held_out": result.held_out,
              "before": before.to_dict() if before else None,
              "after": after.to_dict() if after else None}
    Path(settings.output_dir, "warm_start.json").write_text(json.dumps(record, indent=1))
    return result


def warm_start_model(config: Config):
    """The model the warm start trains: [model] init_adapter if it is an earlier result
    (rejection sampling can iterate), not when it names this warm start's own output."""
    from pathlib import Path

    adapter = config.model.init_adapter
    if adapter and Path(adapter).resolve() == Path(config.sft.output_dir).resolve():
        adapter = None
    return attrs.evolve(config.model, init_adapter=adapter)


def train_sft(config: Config, examples: Sequence[Example], model, tokenizer, *,
              progress: bool = False):
    """Fine-tune `model` on the examples; returns (trainer, model, tokenizer). The adapter
    (LoRA) or the full weights are saved in [sft].output_dir, for [model].init_adapter."""
    from trl import SFTConfig, SFTTrainer

    from lemonspec.training.grpo import quiet_trl
    from lemonspec.training.models import lora_config

    settings = config.sft
    with quiet_trl():
        args = SFTConfig(
            output_dir=settings.output_dir, max_steps=settings.max_steps,
            learning_rate=settings.learning_rate,
            per_device_train_batch_size=settings.batch_size, logging_steps=1,
            save_strategy="no", seed=settings.seed, report_to=[], disable_tqdm=not progress,
            use_cpu=not _cuda(), bf16=False, gradient_checkpointing=False, max_length=None,
        )
    trainer = SFTTrainer(model=model, args=args, train_dataset=sft_dataset(examples),
                         processing_class=tokenizer,
                         peft_config=None if hasattr(model, "peft_config")
                         else lora_config(config.model))
    with quiet_trl():
        trainer.train()
    trainer.save_model(settings.output_dir)
    from lemonspec.orchestrator.scope import save_scope
    from lemonspec.training.rollout import make_scope

    save_scope(make_scope(config), settings.output_dir)  # bench evaluates it where it learned
    return trainer, trainer.model, tokenizer


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
