"""The TRL rollout function: sample -> check -> run -> reward -> counterfactual.

`LemonRollout` is a `rollout_func` for trl.GRPOTrainer (signature `(prompts, trainer) ->
dict`). TRL hands it the process's prompts, each repeated G times in a row; for every sample
it returns the prompt and completion token ids and the sampler's logprobs, plus extra fields
that TRL forwards to the reward functions and merges into the batch rows:

    lemon_reward_parts  success / efficiency / structure / invalid (rewards.py)
    lemon_reward        the total reward R (the same sum TRL forms from the parts)
    lemon_credit        per-token extra advantage: lambda * Delta on the edit's credited span
                        (alignment.token_credit), else 0
    env_mask            1 on tokens the model chose, 0 on tokens the grammar forced (TRL
                        leaves env_mask == 0 tokens out of the loss): the decoder's
                        `Sample.chosen`, recorded as it sampled (nothing is replayed)

Per step it does, for each sample: check the spec once (an invalid one gets the fixed
penalty); compile and run it through the runtime with a node cache shared by the step; score
it; and, with the counterfactual on, apply one edit, which carries the span its credit goes
to (counterfactual.py), run the edited spec with the same cache and sample index (so only
the edited agent and its descendants call a worker), and set Delta = R(original) - R(edited). Sampling, edit choice and every seed derive from
(train seed, step, sample), and the family sampler is updated in sample order after the step,
so a resumed run replays the same step exactly.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import random
from collections.abc import Sequence

import attrs

from lemonspec.compiler.driver import CheckResult, check_text, lower
from lemonspec.orchestrator.decoding import Sample, sample_specs
from lemonspec.orchestrator.scope import Scope
from lemonspec.runtime.answers import AnswerTypeConflict, team_answer_type
from lemonspec.runtime.cache import MemoryCache
from lemonspec.runtime.executor import run_team
from lemonspec.runtime.profiles import Profile
from lemonspec.runtime.results import RunResult
from lemonspec.training import simulator
from lemonspec.training.alignment import token_credit
from lemonspec.training.config import Config
from lemonspec.training.counterfactual import ChosenEdit, FamilySampler, choose_edit
from lemonspec.training.rewards import INVALID, PARTS_FIELD, RewardParts, reward_parts
from lemonspec.training.tasks import Task

CREDIT_FIELD = "lemon_credit"
REWARD_FIELD = "lemon_reward"


def derived_seed(*key) -> int:
    """A 31-bit seed from a key: every random choice of a step is a function of its key."""
    return int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=4).digest(), "big") >> 1


@attrs.frozen
class Spend:
    """Worker calls and tokens actually paid (cache hits cost nothing)."""

    calls: int = 0
    tokens: int = 0

    @classmethod
    def of(cls, run: RunResult) -> Spend:
        return cls(run.model_calls, (run.prompt_tokens or 0) + (run.completion_tokens or 0))

    def __add__(self, other: Spend) -> Spend:
        return Spend(self.calls + other.calls, self.tokens + other.tokens)


@attrs.frozen
class EditOutcome:
    family: str
    detail: str
    span: tuple[int, int]  # the credited characters of the original (ChosenEdit.span)
    reward: float  # R(edited)
    delta: float  # R(original) - R(edited)
    spend: Spend  # what re-running the edited spec cost
    agents: int  # agents of the edited spec: the calls it would cost without the node cache


@attrs.frozen
class Outcome:
    """One sample's evaluation."""

    parts: RewardParts
    reward: float
    spend: Spend
    agents: int = 0
    edges: int = 0
    edit: EditOutcome | None = None
    error: str | None = None  # the first checker error of an invalid spec


@attrs.define
class RolloutStats:
    """Cumulative worker spend over the run (checkpointed with the sampler)."""

    original: Spend = Spend()
    counterfactual: Spend = Spend()
    samples: int = 0

    @property
    def calls(self) -> int:
        return self.original.calls + self.counterfactual.calls

    def state_dict(self) -> dict:
        return {"original": attrs.asdict(self.original),
                "counterfactual": attrs.asdict(self.counterfactual), "samples": self.samples}

    def load_state_dict(self, state: dict) -> None:
        self.original = Spend(**state["original"])
        self.counterfactual = Spend(**state["counterfactual"])
        self.samples = int(state["samples"])


def make_scope(config: Config) -> Scope:
    from lemonspec.compiler.stdlib import role_pool
    from lemonspec.grammar.variants import GenerationBounds

    s = config.sampling
    roles = s.roles if s.roles is not None else (role_pool(s.role_pool) if s.role_pool else None)
    bounds = GenerationBounds(max_agents=s.max_agents, max_name_chars=s.max_name_chars,
                              max_string_chars=s.max_string_chars)
    return Scope(base_roles=roles, levels=s.levels, bind_agents=True, bounds=bounds)


def decision_mask(sample: Sample) -> list[int]:
    """TRL's env_mask of a sample: 1 for each token the model chose among several the
    grammar allowed, 0 for a forced token, as the decoder recorded it (Sample.chosen)."""
    if sample.chosen is None:
        raise ValueError("the sample carries no chosen/forced marks: it was not decoded by "
                         "orchestrator.decoding (or set sampling.mask_forced_tokens = false)")
    return [int(c) for c in sample.chosen]


class LemonRollout:
    """The rollout_func. Holds the tasks, the worker profile and the family sampler."""

    def __init__(self, config: Config, tasks: Sequence[Task], profile: Profile, tokenizer):
        self.config, self.profile, self.tokenizer = config, profile, tokenizer
        self.tasks = {t.prompt: t for t in tasks}
        self.scope = make_scope(config)
        self.sampler = FamilySampler.from_config(config.counterfactual)
        self.stats = RolloutStats()
        self.last: tuple[list[Sample], list[Outcome]] = ([], [])  # the last step, to inspect

    # ---- TRL's interface ------------------------------------------------------------------

    def __call__(self, prompts: list[str], trainer) -> dict:
        step = trainer.state.global_step
        process = trainer.accelerator.process_index
        model = trainer.accelerator.unwrap_model(trainer.model)
        seed = derived_seed(self.config.train.seed, step, process)
        if self.config.sampling.engine == "vllm":
            folder = os.path.join(trainer.args.output_dir, ".served", f"process-{process}")
            samples = self.sample_served(model, prompts, seed=seed, folder=folder,
                                         adapter=f"lemon-policy-{process}")
        else:
            samples = self.sample(model, prompts, seed=seed)
        tasks = [self.tasks[p] for p in prompts]
        keys = [f"{step}:{process}:{i}" for i in range(len(samples))]
        share = None
        if trainer.accelerator.num_processes > 1:
            from accelerate.utils import gather_object

            share = gather_object
        outcomes = self.evaluate(tasks, samples, keys, share=share)
        self.last = (samples, outcomes)
        self._log(trainer, outcomes)
        return self.trl_fields(samples, outcomes)

    def state_dict(self) -> dict:
        return {"sampler": self.sampler.state_dict(), "stats": self.stats.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.sampler.load_state_dict(state["sampler"])
        self.stats.load_state_dict(state["stats"])

    # ---- sampling ---------------------------------------------------------------------------

    def sample(self, model, prompts: list[str], *, seed: int) -> list[Sample]:
        """One sample per prompt; runs of the same prompt are sampled as one group."""
        s = self.config.sampling
        samples = []
        for index, (prompt, run) in enumerate(itertools.groupby(prompts)):
            samples += sample_specs(model, self.tokenizer, [prompt], num_samples=len(list(run)),
                                    temperature=s.temperature, top_p=s.top_p,
                                    max_new_tokens=s.max_new_tokens, constrained=s.constrained,
                                    scope=self.scope, seed=derived_seed(seed, index))
        return samples

    def sample_served(self, model, prompts: list[str], *, seed: int, folder: str,
                      adapter: str) -> list[Sample]:
        """As `sample`, on a vLLM server: the policy's current LoRA adapter is saved to
        `folder` and loaded into the server as `adapter` (replacing last step's), then each
        prompt's group is sampled there under the same grammar (orchestrator/served.py)."""
        from lemonspec.orchestrator.served import ServedEngine, sample_served

        s = self.config.sampling
        engine = ServedEngine(s.server, s.served_model)
        model.save_pretrained(folder)  # a PEFT model writes only its adapter
        engine.load_adapter(adapter, os.path.abspath(folder))
        samples = []
        for index, (prompt, run) in enumerate(itertools.groupby(prompts)):
            samples += sample_served(engine, self.tokenizer, [prompt],
                                     num_samples=len(list(run)), temperature=s.temperature,
                                     top_p=s.top_p, max_new_tokens=s.max_new_tokens,
                                     constrained=s.constrained, scope=self.scope,
                                     seed=derived_seed(seed, index), adapter=adapter)
        return samples

    def trl_fields(self, samples: list[Sample], outcomes: list[Outcome]) -> dict:
        reward = self.config.reward
        fields = {
            "prompt_ids": [list(s.prompt_token_ids) for s in samples],
            "completion_ids": [list(s.token_ids) for s in samples],
            "logprobs": [list(s.logprobs) for s in samples],
            PARTS_FIELD: [o.parts.as_row(reward) for o in outcomes],
            REWARD_FIELD: [o.reward for o in outcomes],
            CREDIT_FIELD: [self.credit(s, o) for s, o in zip(samples, outcomes)],
        }
        if self.config.sampling.mask_forced_tokens and self.config.sampling.constrained:
            fields["env_mask"] = [decision_mask(s) for s in samples]
        return fields

    def credit(self, sample: Sample, outcome: Outcome) -> list[float]:
        if outcome.edit is None or not self.config.counterfactual.enabled:
            return [0.0] * len(sample.token_ids)
        value = self.config.counterfactual.lam * outcome.edit.delta
        return token_credit(outcome.edit.span, sample.token_offsets, value)

    # ---- execution --------------------------------------------------------------------------

    def evaluate(self, tasks: Sequence[Task], samples: Sequence[Sample],
                 keys: Sequence[str], share=None) -> list[Outcome]:
        """Run every sample (and its counterfactual); then update the family sampler in
        sample order, so the result does not depend on which run finished first.

        share: with several training processes, accelerate's gather_object: every process
        then accounts every process's outcomes, in process order, so the family samplers
        and the worker spend (and with it the budget's stop) stay identical everywhere."""
        checked = [self._check(s.text) for s in samples]  # the one check of each sample
        edits = [self._choose_edit(s.text, c, k) for s, c, k in zip(samples, checked, keys)]
        outcomes = asyncio.run(self._evaluate_all(tasks, checked, keys, edits))
        ledger = [(o.spend, o.edit.spend if o.edit else None, o.edit.family if o.edit else None,
                   o.edit.delta if o.edit else None) for o in outcomes]
        if share is not None:
            ledger = share(ledger)
        for spend, edit_spend, family, delta in ledger:
            self.stats.original += spend
            self.stats.samples += 1
            if family is not None:
                self.stats.counterfactual += edit_spend
                self.sampler.update(family, delta)
        return outcomes

    def _choose_edit(self, text: str, checked: CheckResult, key: str) -> ChosenEdit | None:
        if not (self.config.counterfactual.enabled and self.sampler.families):
            return None
        if not checked.ok:
            return None
        gate = random.Random(derived_seed(self.config.train.seed, "gate", key))
        if gate.random() >= self.config.counterfactual.edit_fraction:
            return None
        rng = random.Random(derived_seed(self.config.train.seed, "edit", key))
        return choose_edit(text, checked.module, self.sampler, rng, levels=self.profile.levels)

    def _check(self, text: str):
        """The checker with the workers' levels; an agent without a capacity gets the
        profile's default level, as the language says."""
        return check_text(text, levels=self.profile.levels,
                          default_level=self.profile.default_level)

    async def _evaluate_all(self, tasks, checked, keys, edits) -> list[Outcome]:
        cache = MemoryCache()  # one per step: an edit reuses its original's agents
        limiter = asyncio.Semaphore(self.config.workers.concurrency)
        jobs = [self._evaluate(task, result, index, key, edit, cache, limiter)
                for index, (task, result, key, edit) in enumerate(zip(tasks, checked, keys,
                                                                      edits))]
        return list(await asyncio.gather(*jobs))

    async def _evaluate(self, task: Task, checked: CheckResult, index: int, key: str,
                        chosen: ChosenEdit | None, cache, limiter) -> Outcome:
        simulator.SAMPLE_KEY.set(key)  # this task's own context: see simulator.py
        if not checked.ok:
            return Outcome(INVALID, INVALID.total(self.config.reward), Spend(),
                           error=checked.errors[0].message)
        ir = lower(checked)
        try:  # an unconstrained sample may declare an answer type its task's answers are not
            team_answer_type(ir.answer, task.answer, task_name=task.id)
        except AnswerTypeConflict as exc:
            return Outcome(INVALID, INVALID.total(self.config.reward), Spend(), error=str(exc))
        parts, run = await self._score(ir, task, index, cache, limiter)
        reward = parts.total(self.config.reward)
        outcome = Outcome(parts, reward, Spend.of(run), len(ir.agents),
                          sum(len(a.after) for a in ir.agents))
        if chosen is None:
            return outcome
        edited_ir = lower(self._check(chosen.edit.text))
        edited_parts, edited_run = await self._score(edited_ir, task, index, cache, limiter)
        edited_reward = edited_parts.total(self.config.reward)
        edit = EditOutcome(chosen.family, chosen.edit.detail, chosen.span, edited_reward,
                           reward - edited_reward, Spend.of(edited_run), len(edited_ir.agents))
        return attrs.evolve(outcome, edit=edit)

    async def _score(self, ir, task: Task, index: int, cache, limiter):
        simulator.RUNNING.set((ir, task.input))  # for a simulated environment that reads the IR
        run = await run_team(ir, task.input, profile=self.profile, cache=cache, limiter=limiter,
                             answer=task.answer, extractor=task.extractor_for(ir.answer),
                             sample=index)
        return reward_parts(ir, run, task.is_correct(run.answer), self.config.reward), run

    # ---- metrics ----------------------------------------------------------------------------

    def _log(self, trainer, outcomes: list[Outcome]) -> None:
        log = getattr(trainer, "_log_metric", None)  # TRL's hook for reward-function metrics
        if log is None:
            return
        for name, value in step_metrics(outcomes, self).items():
            log(name, value)


def step_metrics(outcomes: Sequence[Outcome], rollout: LemonRollout) -> dict[str, float]:
    valid = [o for o in outcomes if o.parts.valid]
    spend = sum((o.spend for o in outcomes), Spend())
    extra = sum((o.edit.spend for o in outcomes if o.edit), Spend())
    metrics = {
        "lemon/valid_rate": len(valid) / len(outcomes),
        "lemon/reward": sum(o.reward for o in outcomes) / len(outcomes),
        "lemon/agents": _mean([o.agents for o in valid]),
        "lemon/edges": _mean([o.edges for o in valid]),
        "lemon/team_tokens": _mean([o.parts.tokens for o in valid]),
        "workers/calls": spend.calls,
        "workers/tokens": spend.tokens,
        "workers/counterfactual_calls": extra.calls,
        "workers/counterfactual_tokens": extra.tokens,
        "workers/counterfactual_calls_uncached": sum(o.edit.agents for o in outcomes if o.edit),
        "workers/total_calls": rollout.stats.calls,
        "workers/total_tokens": rollout.stats.original.tokens + rollout.stats.counterfactual.tokens,
    }
    for family in rollout.sampler.families:
        deltas = [o.edit.delta for o in outcomes if o.edit and o.edit.family == family]
        if deltas:
            metrics[f"counterfactual/delta/{family}"] = _mean(deltas)
        metrics[f"counterfactual/mean_abs/{family}"] = rollout.sampler.means.get(family, 0.0)
        metrics[f"counterfactual/count/{family}"] = rollout.sampler.counts[family]
    return {k: v for k, v in metrics.items() if v is not None}


def _mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None
