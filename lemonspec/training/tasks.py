"""Training tasks: what the orchestrator is asked, what the workers get, how an answer is
judged. From a benchmark's items or from the simulator."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

from lemonspec.compiler.ir import AnswerType
from lemonspec.orchestrator.prompt import family_of, orchestrator_prompt
from lemonspec.runtime.answers import Extractor
from lemonspec.training.config import Config, ConfigError, DataConfig

if TYPE_CHECKING:
    from lemonspec.benchmarks.datasets import Item


@attrs.frozen
class Task:
    id: str
    prompt: str  # the orchestrator's user message (its chat template is applied at sampling)
    input: str  # what every worker is given as the task
    extractor: str | Extractor  # the judge's extractor (runtime/answers.py) for its answers
    is_correct: Callable[[str | None], bool] = attrs.field(eq=False, repr=False)
    # The type of its gold answers: a written team that declares none takes it, and its
    # agents are told its format (runtime/answers.py's team_answer_type).
    answer: AnswerType | None = None
    # How a team that declares its own (compatible) answer type is read: the benchmark's
    # scoring.item_extractor under that type, as `lemonc bench` reads it. None: `extractor`.
    declared_reader: Callable[[AnswerType], Extractor] | None = attrs.field(
        default=None, eq=False, repr=False)

    def extractor_for(self, declared: AnswerType | None) -> str | Extractor:
        """The extractor for a team that declares `declared` (None: declares nothing):
        a team declaring `choice(A, B)` on a four-option item is read as bench reads it,
        among its own options, not among the item's."""
        if declared is None or self.declared_reader is None:
            return self.extractor
        return self.declared_reader(declared)


def benchmark_tasks(data: DataConfig) -> list[Task]:
    from lemonspec.benchmarks import load, score
    from lemonspec.benchmarks.scoring import item_answer_type, item_extractor

    family = data.family or family_of(data.dataset)  # = task_family
    tasks = []
    for item in load(data.dataset, data.split, limit=data.limit, seed=data.seed):
        def is_correct(answer, item=item):
            return answer is not None and score(item, answer)

        # The benchmark's own extractor and scorer: the reward judges as `lemonc bench` does.
        tasks.append(Task(item.id, orchestrator_prompt(item.prompt, family=family), item.prompt,
                          item_extractor(item), is_correct, item_answer_type(item),
                          functools.partial(item_extractor, item)))
    return unique_prompts(tasks)


def task_family(config: Config) -> str | None:
    """The role pool the orchestrator's prompt offers (training and evaluation alike)."""
    if config.data.dataset == "simulator":
        return config.data.family or "math"
    return config.data.family or family_of(config.data.dataset)


def simulator_tasks(simulator, family: str = "math") -> list[Task]:
    tasks = []
    for task in simulator.tasks:
        def is_correct(answer, gold=str(task.answer)):
            return answer == gold

        tasks.append(Task(f"sim/{task.index}", orchestrator_prompt(task.text, family=family),
                          task.text, "number", is_correct, AnswerType("number")))
    return unique_prompts(tasks)


def unique_prompts(tasks: Sequence[Task]) -> list[Task]:
    """The rollout finds a task by its prompt (TRL hands it prompts only): keep the first."""
    seen: dict[str, Task] = {}
    for task in tasks:
        seen.setdefault(task.prompt, task)
    return list(seen.values())


def load_tasks(config: Config, simulator=None) -> list[Task]:
    if config.data.dataset == "simulator":
        if simulator is None:
            raise ValueError('data.dataset = "simulator" needs workers.profile = "simulator"')
        return simulator_tasks(simulator, task_family(config) or "math")
    return benchmark_tasks(config.data)


def held_out_items(config: Config, training: Sequence[Task], simulator=None) -> list[Item]:
    """[eval] items: the simulator's held-out tasks (drawn after the training ones), or
    `items` of the benchmark's [eval] split (default: the training split) once every
    training item is taken out, by id and by text. Never one the trainer sees."""
    from lemonspec.benchmarks.datasets import Item

    if config.data.dataset == "simulator":
        if simulator is None:
            raise ValueError('data.dataset = "simulator" needs workers.profile = "simulator"')
        candidates = [Item("simulator", f"sim/{t.index}", t.text, str(t.answer), "number")
                      for t in simulator.held_out_tasks]
    else:
        from lemonspec.benchmarks import load

        candidates = load(config.data.dataset, config.eval.split or config.data.split,
                          seed=config.data.seed)
    seen_ids = {t.id for t in training}
    seen_texts = {t.input for t in training}
    items = [i for i in candidates if i.id not in seen_ids and i.prompt not in seen_texts]
    if not items:  # only a benchmark: the simulator draws `items` held-out tasks
        raise ConfigError(f"[eval] no held-out item: every item of {config.data.dataset} "
                          f"{config.eval.split or config.data.split} is a training item; "
                          "give [eval] split another split, or lower [data] limit")
    return items[:config.eval.items]


def bench_test_overlap(config: Config, training: Sequence[Task],
                       held_out: Sequence[Item] = ()) -> list[str]:
    """The training tasks and held-out [eval] items that are also test items of `lemonc
    bench --dataset simulator` (designers/simulated.py: the same task text and answer), by
    their training ids. The simulator draws every task index from one seeded stream, so a
    trainer with more tasks than that dataset's train split trains on its test items, and
    an orchestrator it trained is then not evaluated on held-out tasks. Empty off the
    simulator. Tests: tests/training/test_loop_splits.py."""
    if config.data.dataset != "simulator" or config.simulator.kind != "simple":
        return []
    from lemonspec.designers import simulated

    test = {item.prompt: str(item.answer) for item in simulated.items("test")}  # numbers
    seen = [t.id for t in training if t.input in test and t.is_correct(test[t.input])]
    return seen + [i.id for i in held_out if test.get(i.prompt) == i.answer]


def overlap_warning(ids: Sequence[str]) -> str | None:
    """One line for the user, or None when nothing overlaps."""
    if not ids:
        return None
    from lemonspec.designers import simulated

    shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    return (f"warning: {len(ids)} training or [eval] tasks ({shown}) are test items of "
            f"`lemonc bench --dataset simulator`, so its results for this orchestrator are not "
            f"on held-out tasks; keep [simulator] tasks plus [eval] items within its train "
            f"split ({simulated.TRAIN} tasks) for a held-out benchmark")
