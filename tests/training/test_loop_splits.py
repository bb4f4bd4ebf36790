"""The loop on the simulator (experiments/loop) is benchmarked on held-out tasks: the warm
start's data and measurement, GRPO's training tasks and its [eval] items are never test items
of `lemonc bench --dataset simulator` (designers/simulated.py), and a configuration whose
tasks reach into that test split is flagged (training/tasks.py bench_test_overlap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lemonspec.designers import simulated
from lemonspec.training.config import load_config
from lemonspec.training.session import warn_of_overlap, workers
from lemonspec.training.sft import split_items
from lemonspec.training.tasks import bench_test_overlap, held_out_items, load_tasks
from tests.training.conftest import tiny_config

ROOT = Path(__file__).resolve().parents[2]
LOOP = ROOT / "experiments" / "loop"


def _seen(config_path: Path):
    """(training tasks, held-out items) a configuration's run sees: for the warm start its
    data items and its measurement items, for GRPO all its tasks and its [eval] items."""
    config = load_config(config_path)
    _, sim = workers(config)
    tasks = load_tasks(config, sim)
    if "sft" in config.tables:
        data, measured = split_items(tasks, config)
        return config, [*data, *measured], []
    return config, tasks, held_out_items(config, tasks, sim)


@pytest.mark.parametrize("name", ["sft.toml", "grpo.toml", "grpo_cf.toml"])
def test_the_loops_runs_never_see_a_benchmark_test_item(name):
    config, tasks, held_out = _seen(LOOP / name)
    test = simulated.items("test")
    test_texts = {i.prompt for i in test}
    assert len(test) == simulated.TEST
    assert not {t.input for t in tasks} & test_texts
    assert not {i.prompt for i in held_out} & test_texts
    assert bench_test_overlap(config, tasks, held_out) == []
    # ... and they are the benchmark's train split, task for task (same text, same answer).
    train = {i.prompt: i.answer for i in simulated.items("train")}
    assert all(t.input in train and t.is_correct(train[t.input]) for t in tasks)
    assert all(train.get(i.prompt) == i.answer for i in held_out)


def test_both_grpo_arms_differ_only_by_the_counterfactual():
    plain, cf = load_config(LOOP / "grpo.toml"), load_config(LOOP / "grpo_cf.toml")
    assert not plain.counterfactual.enabled and cf.counterfactual.enabled
    assert plain.evolve(counterfactual={"enabled": True},
                        train={"output_dir": cf.train.output_dir}) == cf


def test_the_shipped_example_trains_on_benchmark_test_items_and_is_flagged(capsys):
    """examples/training/simulator.toml (64 tasks, 32 [eval] items) predates the benchmark's
    split: tasks 48-63 and every [eval] item are benchmark test items."""
    config, tasks, held_out = _seen(ROOT / "examples" / "training" / "simulator.toml")
    overlap = bench_test_overlap(config, tasks, held_out)
    assert overlap == [f"sim/{i}" for i in range(48, 96)]
    warn_of_overlap(config, tasks, held_out)
    warning = capsys.readouterr().err
    assert "48 training or [eval] tasks (sim/48, sim/49, sim/50 and 45 more)" in warning
    assert "train split (48 tasks)" in warning


def test_the_same_index_under_another_seed_is_another_task(tmp_path):
    """Only the same task (text and answer) counts: another seed draws other answers."""
    def overlap(seed):
        config = tiny_config(tmp_path, simulator={"seed": seed, "tasks": 60})
        return bench_test_overlap(config, load_tasks(config, workers(config)[1]))

    assert overlap(0) == [f"sim/{i}" for i in range(48, 60)]
    assert overlap(1) == []
