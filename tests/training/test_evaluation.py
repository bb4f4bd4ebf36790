"""The trainer evaluates itself ([eval], training/evaluation.py): held-out items are never
training items, evaluations are logged at the right steps, the best policy is kept."""

from __future__ import annotations

import json
import sys

import pytest

from lemonspec.benchmarks.datasets import Item
from lemonspec.training.evaluation import BEST_DIR, BEST_FILE, CURVES_FILE, draw_curves
from lemonspec.training.session import workers
from lemonspec.training.tasks import held_out_items, load_tasks
from tests.training.conftest import tiny_config


def test_the_simulators_held_out_tasks_are_not_training_tasks_and_leave_them_unchanged(
        tmp_path):
    config = tiny_config(tmp_path, eval={"items": 5})
    _, sim = workers(config)
    training = load_tasks(config, sim)
    items = held_out_items(config, training, sim)
    assert len(items) == 5 and len(training) == config.simulator.tasks
    assert not {i.id for i in items} & {t.id for t in training}
    assert not {i.prompt for i in items} & {t.input for t in training}
    # Adding [eval] does not change what the trainer trains on.
    _, plain = workers(tiny_config(tmp_path))
    assert [t.prompt for t in load_tasks(tiny_config(tmp_path), plain)] == \
        [t.prompt for t in training]
    # The simulated workers answer a held-out task like any other (its gold is reachable).
    assert {i.answer for i in items} == {str(t.answer) for t in sim.held_out_tasks}


def test_the_evaluation_asks_the_policy_what_training_asks_it(tmp_path):
    from lemonspec.benchmarks.orchestrated import Context, LocalWriter, prompt_and_scope
    from lemonspec.training.rollout import make_scope

    config = tiny_config(tmp_path, eval={"items": 2})
    profile, sim = workers(config)
    task = load_tasks(config, sim)[0]
    item = Item("simulator", task.id, task.input, "0", "number")
    context = Context(LocalWriter(None, None, "policy", {}), profile, "math",
                      scope=make_scope(config))
    prompt, scope = prompt_and_scope(item, context)
    assert prompt == task.prompt and scope == make_scope(config)


def test_benchmark_held_out_items_leave_out_every_training_item(tmp_path, monkeypatch):
    from lemonspec import benchmarks

    # A stand-in for a benchmark file: ten items, one repeating item 1's text under
    # another id (a duplicate question must not leak into the held-out set).
    fake = [Item("gsm8k", f"gsm8k/train/{k}", f"question {k}", str(k), "number")
            for k in range(10)]
    fake[7] = Item("gsm8k", "gsm8k/train/7", "question 1", "1", "number")

    def fake_load(name, split="test", *, path=None, limit=None, seed=0):
        return fake[:limit] if limit else list(fake)

    monkeypatch.setattr(benchmarks, "load", fake_load)
    config = tiny_config(tmp_path).evolve(data={"dataset": "gsm8k", "limit": 4},
                                          workers={"profile": "embedded"},
                                          eval={"items": 10})
    training = load_tasks(config)
    items = held_out_items(config, training)
    assert [i.id for i in items] == [f"gsm8k/train/{k}" for k in (4, 5, 6, 8, 9)]
    everything = tiny_config(tmp_path).evolve(data={"dataset": "gsm8k", "limit": 10},
                                              workers={"profile": "embedded"})
    from lemonspec.training.config import ConfigError

    with pytest.raises(ConfigError, match="no held-out item"):
        held_out_items(everything, load_tasks(everything))


def test_training_logs_evaluations_at_their_steps_and_keeps_the_best(tmp_path):
    from lemonspec.training.session import train

    config = tiny_config(tmp_path, eval={"every": 2, "items": 3},
                         train={"max_steps": 3, "save_steps": 3})
    session = train(config)
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in lines if "eval/accuracy" in r]
    assert [r["step"] for r in evals] == [2, 3]  # every 2 steps, and at the end
    assert [r["step"] for r in lines if "reward" in r] == [1, 2, 3]  # training logs intact
    for record in evals:
        assert record["eval/items"] == 3
        assert 0 <= record["eval/accuracy"] <= 1 and 0 <= record["eval/valid"] <= 1
        assert record["eval/tokens_per_query/orchestrator"] > 0
    # No held-out prompt ever reached the rollout.
    held_out = {t.text for t in session.simulator.held_out_tasks}
    assert not held_out & {t.input for t in session.rollout.tasks.values()}
    best = json.loads((tmp_path / BEST_FILE).read_text())
    values = [r["eval/accuracy"] for r in evals]
    assert best["value"] == max(values)
    assert best["step"] == evals[values.index(max(values))]["step"]
    assert (tmp_path / BEST_DIR / "config.json").is_file()
    assert (tmp_path / CURVES_FILE).stat().st_size > 0


def test_without_matplotlib_the_curves_are_skipped_with_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "metrics.jsonl").write_text('{"step": 1, "reward": 0.5}\n')
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    assert draw_curves(tmp_path) is None
    assert capsys.readouterr().out.count("\n") == 1
    assert not (tmp_path / CURVES_FILE).exists()


def test_a_resumed_run_keeps_its_best_and_continues_the_evaluations(tmp_path):
    from lemonspec.training.session import train

    config = tiny_config(tmp_path, eval={"every": 1, "items": 2, "best_by": "reward"},
                         train={"max_steps": 2, "save_steps": 1})
    train(config)
    before = json.loads((tmp_path / BEST_FILE).read_text())
    train(config.evolve(train={"max_steps": 3}), resume=True)
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in lines if "eval/reward" in r]
    assert [r["step"] for r in evals] == [1, 2, 3]
    best = json.loads((tmp_path / BEST_FILE).read_text())
    values = [r["eval/reward"] for r in evals]
    assert best["metric"] == "eval/reward" and best["value"] == max(values)
    assert best["step"] == evals[values.index(max(values))]["step"]
    assert best["value"] >= before["value"]
