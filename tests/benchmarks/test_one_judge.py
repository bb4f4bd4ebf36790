"""One judge: `lemonc run --extractor`, `lemonc bench` and the trainer's reward read and
score an output the same way, because all three import runtime/answers.py. Each case is an
output a model might write; the three paths must agree on its answer and its score."""

import asyncio

import pytest

from lemonspec.benchmarks import Item, score
from lemonspec.benchmarks.bench import answer_extractor, judge
from lemonspec.benchmarks.scoring import item_extractor
from lemonspec.runtime import get_extractor

NUMBER = Item("t", "t/0", "q", "0.75", "number")
CHOICE = Item("t", "t/1", "q", "B", "choice", ("21", "15", "3"))

CASES = [
    (NUMBER, "Each gets 3/4 of a pizza. Answer: 3/4", "0.75", True),  # the old disagreement
    (NUMBER, "Answer: 0.750", "0.75", True),
    (NUMBER, "\\boxed{\\frac{3}{4}}", "0.75", True),
    (NUMBER, "It is 3, or rather 4. #### .75", "0.75", True),
    (NUMBER, "Answer: 3 / 4 = 0.75. Then 12 more.", "0.75", True),
    (NUMBER, "I got 1/2", "0.5", False),
    (CHOICE, "The answer is (b)", "B", True),
    (CHOICE, "15", "B", True),  # the text of exactly one option
    (CHOICE, "A careful look says C) 3", "C", False),
    (CHOICE, "no idea", None, False),
]


@pytest.mark.parametrize("item, output, answer, correct", CASES)
def test_run_bench_and_reward_agree(item, output, answer, correct):
    extracted = answer_extractor(item)(output)  # what bench's team run votes on
    assert extracted == answer
    assert item_extractor(item)(output) == extracted  # what the trainer's Task extracts
    if item.kind == "number":  # `lemonc run --extractor number` needs no item
        assert get_extractor("number")(output) == extracted
    assert asyncio.run(judge(item, extracted))[0] is correct  # bench's verdict
    assert score(item, output) is correct  # the scorer on the raw output
    # The trainer scores the runtime's (already extracted) answer: the same verdict.
    assert (extracted is not None and score(item, extracted)) is correct


def test_the_trainers_tasks_judge_as_bench_does(tmp_path, monkeypatch):
    """training/tasks.py builds each task's extractor and verdict from the same judge."""
    pytest.importorskip("torch")  # the training package needs the train extra
    import json

    from lemonspec.training.config import DataConfig
    from lemonspec.training.tasks import benchmark_tasks

    (tmp_path / "gsm8k").mkdir()
    rows = [{"question": "Split 3 pizzas among 4.", "answer": "3 / 4\n#### 0.75"}]
    (tmp_path / "gsm8k" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setenv("LEMONSPEC_DATA", str(tmp_path))
    [task] = benchmark_tasks(DataConfig(dataset="gsm8k", split="train", limit=None))
    for output, _, correct in [(o, a, c) for i, o, a, c in CASES if i is NUMBER]:
        answer = get_extractor(task.extractor)(output)  # what the rollout's team run gives
        assert task.is_correct(answer) is correct, output


def test_the_trainer_reads_a_declared_answer_type_as_bench_does(tmp_path, monkeypatch):
    """A team that declares `choice(A, B)` on a four-option item: bench reads its outputs
    among A and B only, so the trainer's reward must too (it once read them among the
    item's four and scored "C" right where bench scored it unreadable)."""
    pytest.importorskip("torch")
    from lemonspec.compiler.ir import AnswerType
    from lemonspec.training.config import DataConfig
    from lemonspec.training.tasks import benchmark_tasks

    (tmp_path / "mmlu" / "dev").mkdir(parents=True)
    (tmp_path / "mmlu" / "dev" / "algebra_dev.csv").write_text(
        "question,choice0,choice1,choice2,choice3,answer\nWhich?,one,two,three,four,2\n")
    monkeypatch.setenv("LEMONSPEC_DATA", str(tmp_path))
    [task] = benchmark_tasks(DataConfig(dataset="mmlu", split="dev", limit=None))
    from lemonspec.benchmarks import load

    [item] = load("mmlu", "dev")
    narrow = AnswerType("choice", ("A", "B"))
    for output in ("Answer: C", "Answer: B", "three", "Answer: A or C"):
        trainer = get_extractor(task.extractor_for(narrow))(output)
        assert trainer == answer_extractor(item, narrow)(output), output
    assert get_extractor(task.extractor_for(narrow))("Answer: C") is None
    assert get_extractor(task.extractor_for(None))("Answer: C") == "C"
