"""The TRL trainer subclass: per-token advantages, a real two-step run, exact resume.

Every run here is the real code path (TRL's GRPOTrainer, the rollout, the compiler, the
runtime with its node cache) on a tiny randomly initialised Llama with the simulator as
workers, so each takes seconds."""

from __future__ import annotations

import copy
import json
import shutil

import pytest
import torch
from trl import GRPOTrainer

from lemonspec.training.alignment import token_mask
from lemonspec.training.grpo import per_token_advantages
from lemonspec.training.session import build, train
from tests.training.conftest import tiny_config


def test_per_token_advantages_add_the_credit_only_where_it_is():
    grpo = torch.tensor([0.5, -1.0])
    out = per_token_advantages(grpo, [[0.0, 0.3, 0.3], [0.0]], width=4,
                               scale=torch.tensor([0.5, 2.0]))
    assert torch.allclose(out, torch.tensor([[0.5, 1.1, 1.1, 0.5], [-1.0, -1.0, -1.0, -1.0]]))


def first_batch(trainer):
    return next(iter(trainer.get_train_dataloader()))


def test_advantages_are_grpos_outside_the_edited_span_and_grpos_plus_lambda_delta_inside(
        tmp_path):
    session = build(tiny_config(tmp_path, counterfactual={"lam": 0.7}))
    trainer, rollout = session.trainer, session.rollout
    trainer.model.train()
    batch = first_batch(trainer)
    state = copy.deepcopy(rollout.state_dict())
    ours = trainer._generate_and_score_completions(copy.deepcopy(batch))
    samples, outcomes = rollout.last
    rollout.load_state_dict(state)  # the same step again, as plain GRPO
    grpo = GRPOTrainer._generate_and_score_completions(trainer, copy.deepcopy(batch))
    assert rollout.last[0] == samples  # the same samples: every seed derives from the step

    rewards = torch.tensor([o.reward for o in outcomes])
    scale = max(float(rewards.std()), rollout.config.counterfactual.min_scale)
    edited = 0
    for row, (sample, outcome) in enumerate(zip(samples, outcomes)):
        expected = torch.full((ours["advantages"].shape[1],), float(grpo["advantages"][row]))
        if outcome.edit is not None:
            inside = torch.tensor(token_mask(*outcome.edit.span, sample.token_offsets))
            expected[:len(inside)][inside] += 0.7 * outcome.edit.delta / scale
            edited += bool(outcome.edit.delta) and bool(inside.any())
        assert ours["advantages"][row].tolist() == pytest.approx(expected.tolist(), abs=1e-5)
    assert edited, "some edit changed the reward, so the test compared a real credit"


def lora_weights(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}


def test_a_two_step_lora_run_changes_the_adapter_and_nothing_else(tmp_path):
    session = build(tiny_config(tmp_path, model={"lora": True, "lora_r": 4,
                                                 "lora_target_modules": ["q_proj", "v_proj"]}))
    model = session.trainer.model
    before = lora_weights(model)
    base_before = {n: p.detach().clone() for n, p in model.named_parameters()
                   if "lora_" not in n}
    assert before and all(not p.requires_grad for n, p in model.named_parameters()
                          if "lora_" not in n)
    session.trainer.train()
    after = lora_weights(model)
    assert session.trainer.state.global_step == 2
    assert any(not torch.equal(before[n], after[n]) for n in before)
    assert all(torch.equal(p, dict(model.named_parameters())[n].detach())
               for n, p in base_before.items())
    log = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "reward" in r] == [1, 2]
    assert {"rewards/success/mean", "lemon/valid_rate", "workers/total_calls"} <= set(log[0])


def test_kill_and_resume_reproduces_the_same_next_step(tmp_path):
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    config = tiny_config(first_dir, train={"max_steps": 3, "save_steps": 1})
    first = train(config)
    # A run killed right after its step-2 checkpoint: the same folder without step 3.
    shutil.copytree(first_dir, second_dir)
    shutil.rmtree(second_dir / "checkpoint-3")
    resumed = train(config.evolve(train={"output_dir": str(second_dir)}), resume=True)

    def logged(folder):
        rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        return [r for r in rows if "reward" in r]

    one, two = logged(first_dir), logged(second_dir)
    assert [r["step"] for r in two] == [1, 2, 3]  # the killed run's step 3 line was dropped
    for key in ("reward", "loss", "grad_norm", "workers/total_calls", "lemon/team_tokens"):
        assert two[-1][key] == pytest.approx(one[-1][key], rel=1e-6), key
    assert resumed.rollout.state_dict() == first.rollout.state_dict()
    for (name, a), (_, b) in zip(first.trainer.model.named_parameters(),
                                 resumed.trainer.model.named_parameters()):
        assert torch.allclose(a, b, atol=1e-6), name
