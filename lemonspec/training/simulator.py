"""A SIMULATED worker environment, for training experiments on a CPU. No language model is
behind it: every "worker answer" is drawn from a hand-written probability model.

What it simulates. Tasks come in a few types (TASK_TYPES). Each type hides a "right"
structure: which base roles suit it (`fit`), which dependencies help (`helpful` edges,
upstream role -> downstream role), how hard it is (`difficulty`), and whose customized duty
helps (`duty_role`). An agent answers correctly with probability

    p = sigmoid(fit[role] + skill[capacity] - difficulty + duty + sum of its edges)

where duty = DUTY_BONUS if the agent has a duty and its role is the type's duty_role, and each
dependency contributes EDGE_RIGHT (helpful edge, upstream answered right), EDGE_WRONG
(helpful edge, upstream wrong) or DISTRACTION (an edge the type does not want). The team's
answer is the runtime's: the output agent's, or the vote. Completion tokens grow with
capacity (COMPLETION_TOKENS); prompt tokens are the words of the messages the runtime builds
(role description, duty, task, upstream outputs), as the ScriptedModel counts them.

How it plugs in. It is a runtime backend like any other: one ScriptedModel (the runtime's
LiteLLM-registered test double) per capacity level, addressed as `fake/<prefix>-<level>`
through a runtime Profile (`Simulator.profile`). The trainer compiles and runs teams through
the real runtime, node cache included, and scores the answers; nothing in the trainer knows it
is simulated.

Common random numbers. An agent's draw is u = hash(seed, task, agent name, sample key),
uniform in [0, 1); it answers right iff u < p. The sample key is the rollout's id of the
sample being executed (the SAMPLE_KEY context variable, which the rollout sets around the
original run and its counterfactual alike). So the counterfactual of a sample faces the same
luck as the original, and an edit changes the outcome only through the probabilities it
changes; a different sample (or a later visit to the task) draws afresh.
"""

from __future__ import annotations

import contextvars
import hashlib
import math
import random
import re
from collections.abc import Mapping

import attrs

from lemonspec.compiler.ir import AnswerType
from lemonspec.compiler.stdlib import standard_roles
from lemonspec.runtime.answers import answer_format
from lemonspec.runtime.profiles import LevelConfig, Profile
from lemonspec.runtime.scripted import ScriptedCall, ScriptedModel, ScriptedReply

LEVELS = ("small", "medium", "large")
# An agent without a `capacity` runs at the cheapest level here, so that the capacity an
# orchestrator writes is a decision that matters (and that lower_capacity can credit).
DEFAULT_LEVEL = "small"
SKILL = {"small": 0.0, "medium": 1.0, "large": 1.8}
COMPLETION_TOKENS = {"small": 60, "medium": 120, "large": 240}
DUTY_BONUS = 1.0
EDGE_RIGHT = 2.5
EDGE_WRONG = 0.0
DISTRACTION = -0.7
UNKNOWN_ROLE_FIT = -1.0
# A wrong answer is the right one plus one of these, equally likely: wrong answers can agree,
# so a vote can elect one.
WRONG_OFFSETS = (1, 2, 3)
MAX_RECORDED_CALLS = 1000  # the ScriptedModels' call logs are trimmed beyond this

# Which rollout sample is executing (see the module docstring: common random numbers).
SAMPLE_KEY: contextvars.ContextVar[str] = contextvars.ContextVar("lemon_sample_key", default="0")
# Which team the runtime is running, and on which task input: (TeamIR, str). The rollout sets
# it around each run, so an environment that reads the IR (testbed.py) never has to parse the
# messages; this module's Simulator does not use it.
RUNNING: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("lemon_running",
                                                                      default=None)

_TASK_TAG = re.compile(r"\[simulated task (\d+)\]")
_UPSTREAM = re.compile(r"^Output of (\w+) \((\w+)\):\n(.*?)(?=\n\nOutput of |\Z)",
                       re.MULTILINE | re.DOTALL)
_ANSWER = re.compile(r"Answer: (-?\d+)\s*$")
# What runtime/messages.py appends to every agent's instructions on a number task.
_NUMBER_FORMAT = "\n\n" + (answer_format(AnswerType("number")) or "")


@attrs.frozen
class TaskType:
    name: str
    description: str  # what the orchestrator and the workers are told
    fit: Mapping[str, float]
    difficulty: float
    helpful: frozenset[tuple[str, str]] = attrs.field(converter=frozenset)
    duty_role: str


TASK_TYPES = {
    t.name: t for t in (
        TaskType("arithmetic", "a one-step arithmetic question",
                 {"MathSolver": 1.0, "ProgrammingExpert": 0.5, "MathAnalyst": -0.8,
                  "Inspector": -0.3},
                 difficulty=0.5, helpful={("MathSolver", "Inspector")},
                 duty_role="MathSolver"),
        TaskType("word_problem", "a multi-step word problem",
                 {"MathSolver": 0.6, "MathAnalyst": 1.0, "ProgrammingExpert": 0.0,
                  "Inspector": 0.3},
                 difficulty=2.0, helpful={("MathAnalyst", "MathSolver"),
                                          ("MathSolver", "Inspector")},
                 duty_role="MathSolver"),
        TaskType("computation", "a long computation that is best done with code",
                 {"ProgrammingExpert": 1.0, "MathSolver": 0.2, "MathAnalyst": -0.5,
                  "Inspector": 0.0},
                 difficulty=1.2, helpful={("MathAnalyst", "ProgrammingExpert"),
                                          ("ProgrammingExpert", "Inspector")},
                 duty_role="ProgrammingExpert"),
    )
}


@attrs.frozen
class SimTask:
    index: int
    type: TaskType
    answer: int

    @property
    def text(self) -> str:
        """The task as the orchestrator and the workers see it."""
        return (f"[simulated task {self.index}] Solve {self.type.description} "
                f"({self.type.name}). Reply with: Answer: <number>")


def uniform(*key) -> float:
    """A deterministic uniform draw in [0, 1) from a key (common random numbers)."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class Simulator:
    """The simulated environment: its tasks, and the workers that answer them."""

    _instances = 0

    def __init__(self, seed: int = 0, tasks: int = 64, task_types=None, held_out: int = 0):
        self.seed = seed
        types = [TASK_TYPES[name] for name in (task_types or TASK_TYPES)]
        draw = random.Random(seed)
        # Held-out tasks are drawn after the training ones, from the same stream: adding
        # them leaves the training tasks as they were, and their indices never meet.
        every = tuple(SimTask(i, types[i % len(types)], draw.randint(10, 999))
                      for i in range(tasks + held_out))
        self.tasks, self.held_out_tasks = every[:tasks], every[tasks:]
        self._every = every
        self._descriptions = {text: name for name, text in standard_roles().items()}
        Simulator._instances += 1
        self.prefix = f"sim{Simulator._instances}s{seed}"
        self.models = {level: ScriptedModel(f"{self.prefix}-{level}", self._answer)
                       for level in LEVELS}

    @property
    def profile(self) -> Profile:
        """A runtime profile with one simulated model per capacity level."""
        configs = {level: LevelConfig(model=m.model, max_tokens=COMPLETION_TOKENS[level],
                                      retries=0, timeout=30.0)
                   for level, m in self.models.items()}
        return Profile(name=f"simulator:{self.prefix}", levels=LEVELS, default_level=DEFAULT_LEVEL,
                       configs=configs, concurrency=64, description="simulated workers")

    # ---- one worker call ------------------------------------------------------------------

    def probability(self, task: SimTask, role: str, level: str, has_duty: bool,
                    upstream: list[tuple[str, bool]]) -> float:
        """P(right answer) of one agent given its upstream roles and whether they were right."""
        kind = task.type
        logit = kind.fit.get(role, UNKNOWN_ROLE_FIT) + SKILL[level] - kind.difficulty
        if has_duty and role == kind.duty_role:
            logit += DUTY_BONUS
        for upstream_role, right in upstream:
            if (upstream_role, role) in kind.helpful:
                logit += EDGE_RIGHT if right else EDGE_WRONG
            else:
                logit += DISTRACTION
        return sigmoid(logit)

    def _answer(self, call: ScriptedCall) -> ScriptedReply:
        model = self.models[call.model.rsplit("-", 1)[1]]
        if len(model.calls) > MAX_RECORDED_CALLS:
            model.calls.clear()
        level = call.model.rsplit("-", 1)[1]
        task = self._every[int(_TASK_TAG.search(call.user).group(1))]
        role, has_duty = self._role(call.system)
        upstream = [(up_role, self._was_right(text, task))
                    for _, up_role, text in _UPSTREAM.findall(call.user)]
        p = self.probability(task, role, level, has_duty, upstream)
        key = (self.seed, task.index, call.agent, SAMPLE_KEY.get())
        answer = task.answer if uniform(*key, "right") < p else (
            task.answer + WRONG_OFFSETS[int(uniform(*key, "wrong") * len(WRONG_OFFSETS))])
        tokens = COMPLETION_TOKENS[level]
        filler = " ".join(["step"] * (tokens - 2))
        return ScriptedReply(f"{filler}\nAnswer: {answer}", completion_tokens=tokens)

    def _role(self, system: str) -> tuple[str, bool]:
        """(base role, has a duty) from the instructions: description, then the duty, then
        the answer-format line every agent of a number team hears (not a duty)."""
        system = system.removesuffix(_NUMBER_FORMAT)
        for description, name in self._descriptions.items():
            if system.startswith(description):
                return name, len(system) > len(description)
        return "", bool(system)

    @staticmethod
    def _was_right(text: str, task: SimTask) -> bool:
        found = _ANSWER.search(text.strip())
        return bool(found) and int(found.group(1)) == task.answer
