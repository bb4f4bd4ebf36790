"""Training tasks: what the orchestrator is asked, what the workers get, how an answer is
judged. From a benchmark's items or from the simulator."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from lemonspec.orchestrator.prompt import family_of, orchestrator_prompt
from lemonspec.runtime.answers import Extractor
from lemonspec.training.config import Config, DataConfig


@attrs.frozen
class Task:
    id: str
    prompt: str  # the orchestrator's user message (its chat template is applied at sampling)
    input: str  # what every worker is given as the task
    extractor: str | Extractor  # the judge's extractor (runtime/answers.py) for its answers
    is_correct: Callable[[str | None], bool] = attrs.field(eq=False, repr=False)


def benchmark_tasks(data: DataConfig) -> list[Task]:
    from lemonspec.benchmarks import load, score
    from lemonspec.benchmarks.scoring import item_extractor

    family = data.family or family_of(data.dataset)
    tasks = []
    for item in load(data.dataset, data.split, limit=data.limit, seed=data.seed):
        def is_correct(answer, item=item):
            return answer is not None and score(item, answer)

        # The benchmark's own extractor and scorer: the reward judges as `lemonc bench` does.
        tasks.append(Task(item.id, orchestrator_prompt(item.prompt, family=family), item.prompt,
                          item_extractor(item), is_correct))
    return unique_prompts(tasks)


def simulator_tasks(simulator, family: str = "math") -> list[Task]:
    tasks = []
    for task in simulator.tasks:
        def is_correct(answer, gold=str(task.answer)):
            return answer == gold

        tasks.append(Task(f"sim/{task.index}", orchestrator_prompt(task.text, family=family),
                          task.text, "number", is_correct))
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
        return simulator_tasks(simulator, config.data.family or "math")
    return benchmark_tasks(config.data)
